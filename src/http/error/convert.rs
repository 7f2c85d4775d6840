//! How the errors of the layers below, and axum's rejections, become the
//! one [`ApiError`]: each to its status and code.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::StatusCode;

use super::ApiError;
use crate::agent::AgentError;
use crate::conversation::ConversationError;
use crate::workspace::WorkspaceError;

impl From<AgentError> for ApiError {
    fn from(err: AgentError) -> Self {
        match err {
            AgentError::Model(err) => ApiError::Model(err),
            AgentError::StepLimit { .. } | AgentError::EmptyReply => {
                ApiError::ModelBehaviour(err.to_string())
            }
            AgentError::TemplateNotFilled { .. } => ApiError::TemplateNotFilled(err.to_string()),
            AgentError::Prompt(err) => ApiError::Internal(err.to_string()),
            AgentError::Workspace(err) => {
                ApiError::Storage(format!("could not read the customer's documents: {err}"))
            }
            AgentError::ContextOverflow(overflow) => {
                ApiError::ContextOverflow(overflow.to_string())
            }
            AgentError::Budget(spent) => ApiError::BudgetExhausted(spent.to_string()),
            AgentError::Output(_) => ApiError::InvalidOutput(err.to_string()),
        }
    }
}

impl From<ConversationError> for ApiError {
    fn from(err: ConversationError) -> Self {
        match err {
            ConversationError::Invalid(message) => ApiError::BadRequest(message),
            ConversationError::UnknownCapability(id) => ApiError::UnknownCapability(id),
            ConversationError::UnknownSession(id) => ApiError::UnknownSession(id),
            ConversationError::Forbidden(_) => ApiError::Forbidden(err.to_string()),
            ConversationError::NoModel => ApiError::NoModel,
            ConversationError::DailyBudget(refusal) => ApiError::DailyBudget(refusal),
            ConversationError::Agent(err) => err.into(),
            ConversationError::Store(_) | ConversationError::Workspace(_) => {
                ApiError::Storage(format!("{err}; what was already saved is intact"))
            }
        }
    }
}

impl From<WorkspaceError> for ApiError {
    fn from(err: WorkspaceError) -> Self {
        match err {
            WorkspaceError::UnknownCustomer(id) => ApiError::UnknownCustomer(id),
            WorkspaceError::UnknownArtifact(name) => ApiError::UnknownArtifact(name),
            WorkspaceError::Invalid(err) => ApiError::BadRequest(err.to_string()),
            WorkspaceError::NoStatusHeader(_) => ApiError::Conflict(err.to_string()),
            WorkspaceError::Io { .. } | WorkspaceError::Symlink(_) | WorkspaceError::ReadOnly => {
                ApiError::Storage(err.to_string())
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
            _ => ApiError::BadRequest(rejection.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}
