//! A turn as the agent runs it: what it is asked, what it answers, and why it
//! can fail.

use super::options::TurnOptions;
use super::window::Overflow;
use crate::capability::Capability;
use crate::limits::{Budget, Exhausted};
use crate::model::{Message, ModelError, ToolCall};
use crate::prompt::PromptError;
use crate::session::Progress;
use crate::workspace::{CustomerId, WorkspaceError};

use super::EventSink;

/// One turn of a capability: a person's (or orchestrator's) message at depth
/// 0, or a consulted capability's question one level down.
#[derive(Debug, Clone, Copy)]
pub struct Turn<'a> {
    /// The capability that answers.
    pub capability: &'a Capability,
    /// The conversation so far, without the system prompt.
    pub history: &'a [Message],
    /// The new user message; none when the turn continues after the caller
    /// answered the functions it handed back (the history then ends with
    /// their results).
    pub message: Option<&'a str>,
    /// The session, for logs and tool context.
    pub session_id: &'a str,
    /// The customer the turn is about, if any.
    pub customer: Option<&'a CustomerId>,
    /// Where to stream events, if anyone listens (depth 0 only).
    pub events: Option<&'a EventSink>,
    /// A template the turn must produce (structured invoke): the loop goes on
    /// until it is filled or the step limit ends it with the fields still missing.
    pub required_template: Option<&'a str>,
    /// 0 for a turn a person started; 1 inside a consulted capability.
    pub depth: usize,
    /// Display name of the capability consulting this one, if any.
    pub consulted_by: Option<&'a str>,
    /// What the whole request may still spend (shared with every consult).
    pub budget: &'a Budget,
    /// The caller's options (its functions, tool choice, sampling, format).
    pub options: Option<&'a TurnOptions>,
    /// Whether the caller's key covers every customer (or no keys are
    /// configured): only then does the growth advisor keep the PM's growth store.
    pub practice: bool,
}

impl<'a> Turn<'a> {
    /// A person's turn: depth 0, no history, customer, listener or template
    /// until set.
    pub fn new(
        capability: &'a Capability,
        message: &'a str,
        session_id: &'a str,
        budget: &'a Budget,
    ) -> Self {
        Self {
            capability,
            history: &[],
            message: Some(message),
            session_id,
            customer: None,
            events: None,
            required_template: None,
            depth: 0,
            consulted_by: None,
            budget,
            options: None,
            practice: false,
        }
    }
}

/// What a finished turn produced.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The final answer.
    pub reply: String,
    /// Messages this turn added (user message first), to append to the session.
    pub messages: Vec<Message>,
    /// Model calls made at this turn's level.
    pub steps: usize,
    /// Tool calls, documents, model calls and tokens: what the turn did.
    pub progress: Progress,
    /// Calls of the caller's functions the turn ends with (the reply is then
    /// whatever text came with them, perhaps none).
    pub handed_back: Vec<ToolCall>,
}

/// A turn that failed, with what it had done by then.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct TurnFailure {
    /// Why it failed.
    pub error: AgentError,
    /// What it had done.
    pub progress: Progress,
}

/// Why a turn failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The model call failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The model kept calling tools past the step limit.
    #[error("the model did not finish within {steps} steps (it kept calling tools)")]
    StepLimit {
        /// The limit that was reached.
        steps: usize,
    },
    /// The answer is not in the format the caller asked for, even after one
    /// correction.
    #[error("the model's answer is not in the requested format: {0}")]
    Output(String),
    /// A required template was not filled within the step limit.
    #[error("the {template} document was not produced: {detail}")]
    TemplateNotFilled {
        /// The template id.
        template: String,
        /// The last fill_template error (the fields still missing), or why not.
        detail: String,
    },
    /// The model returned neither text nor tool calls.
    #[error("the model returned an empty answer")]
    EmptyReply,
    /// A prompt failed to render: a bug in prompts/ or in what we pass them.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// The customer's documents could not be read.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The request does not fit the model's context window.
    #[error(transparent)]
    ContextOverflow(#[from] Overflow),
    /// The request has spent its budget of model calls, tool calls or tokens.
    #[error(transparent)]
    Budget(#[from] Exhausted),
}
