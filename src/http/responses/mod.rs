//! `POST /v1/responses`: the Responses API as a thin translation onto the
//! chat completions machinery. The request is read as the chat completion
//! request it amounts to (and checked as one), the turn runs as any other,
//! and the result is written back as a Responses object or its events.
//!
//! A stored response is a turn of a pmcoach session: its id is
//! `resp_<session>_<n>`, the session's `n`th answered turn, and
//! `previous_response_id` continues that session from its latest response.

mod input;
mod items;
mod output;
mod schema;
mod stream;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::AppState;
use super::error::ApiError;
use super::openai::{self, OpenAiError, OpenAiJson};
use super::sse;
use crate::access::Caller;
use crate::agent::Agent;
use crate::conversation::{self, ConversationError, PreparedTurn, TurnRequest};
use crate::workspace::SessionId;

/// A stored response: the session and which of its answered turns.
struct ResponseId {
    session: String,
    turn: usize,
}

impl ResponseId {
    fn parse(id: &str) -> Option<Self> {
        let (session, turn) = id.strip_prefix("resp_")?.rsplit_once('_')?;
        SessionId::parse(session).ok()?;
        Some(ResponseId {
            session: session.to_string(),
            turn: turn.parse().ok().filter(|n| *n > 0)?,
        })
    }

    fn format(&self) -> String {
        format!("resp_{}_{}", self.session, self.turn)
    }
}

fn unknown_previous(id: &str) -> ApiError {
    ApiError::UnknownResponse(id.to_string())
}

/// Answers with a capability, as the Responses API does.
#[utoipa::path(
    post,
    path = "/v1/responses",
    tag = "openai",
    request_body(content = schema::ResponsesRequest, description = "A Responses API request; `model` is a capability id or `auto` (absent: the previous response's). Supported: `input` (a string, or message, function_call and function_call_output items), `instructions`, function `tools`, `tool_choice`, `parallel_tool_calls`, `temperature`, `top_p`, `max_output_tokens`, `text.format`, `metadata`, `stream`, `store` (default true) and `previous_response_id`; what would change the answer and is not honoured is a 400 `unsupported_parameter` naming it"),
    params(
        ("x-pmcoach-customer" = Option<String>, Header, description = "The customer (a slug), within the key's scope; a continued response needs the same one"),
    ),
    responses(
        (status = 200, description = "A Responses object (or, with `stream`, `response.*` server-sent events, from response.created to response.completed; after the first event a failure is an `error` event and response.failed)", body = schema::ResponseObject),
        (status = 400, description = "Invalid or unsupported parameter (OpenAI error shape, `param` names it)"),
        (status = 401, description = "No valid key"),
        (status = 403, description = "The customer is outside the key's scope"),
        (status = 404, description = "Unknown model (capability), or a `previous_response_id` that is not a stored response this key and customer reach (code `previous_response_not_found`)"),
        (status = 413, description = "The body is too large, or the input cannot fit the model's context"),
        (status = 415, description = "The body is not JSON"),
        (status = 429, description = "The customer has spent its daily token budget (code `budget_exhausted`), with `Retry-After`"),
        (status = 502, description = "The model upstream failed, or the answer did not fit `text.format` after one correction (`invalid_structured_output`)"),
        (status = 503, description = "No model configured, or too many requests in flight for the key")
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    OpenAiJson(raw): OpenAiJson<Value>,
) -> Result<Response, OpenAiError> {
    let customer = openai::customer(&headers)?;
    let request = input::translate(raw)?;
    let store = request.store;
    let Ready {
        prepared,
        frame,
        stream,
        whole_answer,
    } = ready(&state, caller, customer, request).await?;
    if !stream {
        let result = prepared.run(None).await?;
        return Ok(axum::Json(output::body(&frame, result, store)).into_response());
    }
    let events = stream::events(sse::start(prepared).await?, frame, whole_answer);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// A response ready to run.
struct Ready {
    prepared: PreparedTurn,
    frame: output::Frame,
    stream: bool,
    /// The answer is checked against `text.format` before it is sent.
    whole_answer: bool,
}

/// Checks the request as chat completions would, then prepares its turn:
/// every 4xx is answered here, before anything runs.
async fn ready(
    state: &AppState,
    caller: Caller,
    customer: Option<String>,
    request: input::Translated,
) -> Result<Ready, ApiError> {
    let previous = match request.echo.previous_response_id.as_deref() {
        Some(id) => Some(ResponseId::parse(id).ok_or_else(|| unknown_previous(id))?),
        None => None,
    };
    let agent = state.agent.as_ref();
    let parsed = openai::request::parse(
        request.chat,
        agent.is_some_and(Agent::multimodal),
        &|name| agent.is_some_and(|a| a.owns_tool(name)),
        previous.is_some(),
    )
    .map_err(|err| input::renamed(err, &request.sources))?;
    let whole_answer = parsed.options.output.is_some();
    let turn = TurnRequest {
        caller,
        store: request.store,
        message: parsed.message,
        customer,
        session_id: previous.as_ref().map(|p| p.session.clone()),
        capability: request.model,
        history: Some(parsed.history),
        keep_history: true,
        instructions: request.echo.instructions.clone(),
        template: None,
        options: parsed.options,
    };
    let prepared =
        conversation::prepare(state, turn)
            .await
            .map_err(|err| match (err, &previous) {
                (ConversationError::UnknownSession(_), Some(p)) => unknown_previous(&p.format()),
                (err, _) => err.into(),
            })?;
    let answered = prepared.answered();
    if let Some(previous) = previous.filter(|p| p.turn != answered) {
        return Err(latest_only(&previous, answered));
    }
    let frame = frame(&prepared, request.store, request.echo);
    Ok(Ready {
        prepared,
        frame,
        stream: parsed.stream,
        whole_answer,
    })
}

/// The response's id and echo. A stored response is the session's next
/// answered turn; one not stored gets an id nothing can continue.
fn frame(prepared: &PreparedTurn, store: bool, echo: output::Echo) -> output::Frame {
    let id = match store {
        true => ResponseId {
            session: prepared.session_id().to_string(),
            turn: prepared.answered() + 1,
        }
        .format(),
        false => format!("resp_{}", SessionId::generate().as_str()),
    };
    output::Frame {
        id,
        created_at: output::unix_now(),
        echo,
    }
}

/// Only a conversation's latest response can be continued: the session
/// holds one line of turns.
fn latest_only(previous: &ResponseId, answered: usize) -> ApiError {
    ApiError::InvalidParameter {
        param: "previous_response_id".into(),
        message: format!(
            "{} is not the latest response of its conversation; continue from {}",
            previous.format(),
            ResponseId {
                session: previous.session.clone(),
                turn: answered,
            }
            .format()
        ),
    }
}
