//! pmcoach: an agent service that puts a Strategic PM Coach (and its sibling
//! capabilities) in front of fractional product managers and the orchestrators
//! that serve them.
//!
//! A chat turn flows `http` → `agent` (system prompt from `prompt` and
//! `capability`) → `model` ⇄ `tools` → back out; see ARCHITECTURE.md.

pub mod access;
pub mod agent;
pub mod app;
pub mod atomic;
pub mod capability;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod defuse;
pub mod eval;
pub mod group_commit;
pub mod http;
pub mod keyed_lock;
pub mod limits;
pub mod mcp;
pub mod model;
pub mod pricing;
pub mod prompt;
pub mod session;
pub mod telemetry;
pub mod templates;
pub mod tokens;
pub mod tools;
pub mod workspace;
