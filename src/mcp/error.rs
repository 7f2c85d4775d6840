//! How refusals and failures reach an MCP client: a request that cannot be
//! served as asked is a JSON-RPC error naming the argument at fault (`data.field`);
//! a turn that was taken but failed (budget, model, storage) is a tool result
//! marked as an error, so the host's model reads why.

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::access::Caller;
use crate::conversation::ConversationError;
use crate::workspace::{CustomerId, WorkspaceError};

/// The key does not reach this customer (or session): a server-defined code
/// in JSON-RPC's implementation range, as HTTP's 403.
pub const FORBIDDEN: ErrorCode = ErrorCode(-32003);

/// An invalid argument, named in the message and in `data.field`.
pub(super) fn bad_argument(field: &str, message: impl std::fmt::Display) -> ErrorData {
    ErrorData::invalid_params(format!("{field}: {message}"), Some(json!({"field": field})))
}

/// A refusal of the caller's scope, naming the argument that reached outside it.
pub(super) fn forbidden(field: &str, customer: &str) -> ErrorData {
    ErrorData::new(
        FORBIDDEN,
        format!("{field}: this key may not act for customer {customer:?}"),
        Some(json!({"field": field})),
    )
}

/// A tool's or prompt's arguments as their typed struct; the error names the
/// field at fault: by its path (a wrong type) or as serde names it (a missing
/// or unknown field).
pub(super) fn parse_args<T: DeserializeOwned>(
    arguments: Option<Map<String, Value>>,
) -> Result<T, ErrorData> {
    let value = Value::Object(arguments.unwrap_or_default());
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        let field = if path == "." {
            field_named(&message)
        } else {
            Some(path)
        };
        match field {
            Some(field) => bad_argument(&field, message),
            None => ErrorData::invalid_params(format!("invalid arguments: {message}"), None),
        }
    })
}

/// The field a serde message names between backticks (`missing field `message``).
fn field_named(message: &str) -> Option<String> {
    let (_, rest) = message.split_once('`')?;
    let (field, _) = rest.split_once('`')?;
    Some(field.to_string())
}

/// A customer id argument, valid and within the caller's scope.
pub(super) fn customer_in_scope(
    field: &str,
    id: &str,
    caller: &Caller,
) -> Result<CustomerId, ErrorData> {
    let customer = CustomerId::parse(id).map_err(|err| bad_argument(field, err))?;
    if !caller.may_use(customer.as_str()) {
        return Err(forbidden(field, customer.as_str()));
    }
    Ok(customer)
}

/// Why a turn was not taken, as the MCP answer: refusals of the request are
/// errors naming the argument; failures of the turn are error results.
pub(super) fn turn_refused(err: ConversationError) -> Result<CallToolResult, ErrorData> {
    match err {
        ConversationError::Invalid(message) => Err(match message.strip_prefix("message ") {
            Some(rest) => bad_argument("message", rest),
            None => ErrorData::invalid_params(message, None),
        }),
        ConversationError::UnknownSession(id) => Err(bad_argument(
            "session_id",
            format!("no session {id:?} for this customer and key"),
        )),
        ConversationError::Forbidden(customer) => Err(forbidden("customer", &customer)),
        ConversationError::UnknownCapability(id) => Err(ErrorData::invalid_params(
            format!("unknown capability {id:?}"),
            None,
        )),
        ConversationError::DailyBudget(spent) => Ok(failed(
            "budget_exhausted",
            &spent.to_string(),
            json!({"retry_after_secs": spent.retry_after_secs}),
        )),
        ConversationError::NoModel => Ok(failed("no_model", &err.to_string(), json!({}))),
        ConversationError::Agent(_) => Ok(failed("turn_failed", &err.to_string(), json!({}))),
        ConversationError::Store(_) | ConversationError::Workspace(_) => Ok(failed(
            "storage_error",
            &format!("{err}; what was already saved is intact"),
            json!({}),
        )),
    }
}

/// A tool result that reports a failure: the message as text, and
/// `{code, message, ...}` as structured content.
pub(super) fn failed(code: &str, message: &str, extra: Value) -> CallToolResult {
    let mut body = json!({"code": code, "message": message});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    let mut result = CallToolResult::error(vec![ContentBlock::text(format!("{code}: {message}"))]);
    result.structured_content = Some(body);
    result
}

/// A workspace error reading a customer's documents, as an MCP error.
pub(super) fn workspace(err: WorkspaceError) -> ErrorData {
    match err {
        WorkspaceError::UnknownCustomer(_) | WorkspaceError::UnknownArtifact(_) => {
            ErrorData::resource_not_found(err.to_string(), None)
        }
        WorkspaceError::Invalid(_) => ErrorData::invalid_params(err.to_string(), None),
        other => ErrorData::internal_error(other.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::field_named;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            field_named("missing field `message`").as_deref(),
            Some("message")
        );
        assert_eq!(
            field_named("unknown field `colour`, expected one of `message`").as_deref(),
            Some("colour")
        );
        assert_eq!(
            field_named("invalid type: integer, expected a string"),
            None
        );
    }
}
