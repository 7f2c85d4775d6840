//! Offline evals: cases in `evals/cases/`, replayed against their recorded model
//! calls in `evals/recordings/`, graded by expectations and an LLM judge, and
//! reported as a table, JSON and JUnit. See evals/README.md.

pub mod builtin;
pub mod case;
pub mod cassette;
pub mod grade;
pub mod judge;
pub mod mode;
pub mod models;
pub mod report;
pub mod run;
mod sandbox;
pub mod transcripts;

pub use case::{Case, CaseError};
pub use mode::Mode;
pub use run::{CaseResult, Suite};
pub use transcripts::grade_transcripts;
