//! Everything that can refuse a turn with a 4xx, checked before it runs: the
//! message, the ids, the session and its owner, the capability (or routing),
//! the required template, and a model to run on.

use std::sync::Arc;

use tokio::sync::OwnedMutexGuard;

use super::{AUTO, ConversationError, TurnRequest};
use crate::access::Caller;
use crate::agent::{Agent, TurnOptions};
use crate::app::AppState;
use crate::capability::Capability;
use crate::model::Message;
use crate::session::Session;
use crate::workspace::{CustomerId, InvalidName, SessionId};

/// Which capability answers.
pub(super) enum Choice {
    /// This one.
    Fixed(Arc<Capability>),
    /// The one a routing call picks.
    Route,
}

/// A validated turn, ready to run. Everything that can be refused with a 4xx is
/// checked before this exists, so a streaming response starts only for a turn
/// that will run.
pub struct PreparedTurn {
    pub(super) state: AppState,
    pub(super) agent: Agent,
    /// The new message; none when the turn continues after the caller's
    /// function results (the history's last messages).
    pub(super) message: Option<String>,
    pub(super) options: TurnOptions,
    pub(super) customer: Option<CustomerId>,
    pub(super) session_id: String,
    pub(super) history: Vec<Message>,
    pub(super) choice: Choice,
    pub(super) template: Option<String>,
    pub(super) caller: Caller,
    pub(super) store: bool,
    /// Where the messages to record with the turn start in `history`, when
    /// the request's history is kept (`TurnRequest::keep_history`).
    pub(super) recorded_from: Option<usize>,
    /// How many turns the continued session has answered (0 for a new one).
    pub(super) answered: usize,
    /// Held until the turn is recorded, for a continued session.
    pub(super) _session_guard: Option<OwnedMutexGuard<()>>,
}

impl PreparedTurn {
    /// The session the turn belongs to.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// How many turns the continued session had answered when the turn was
    /// prepared (0 for a new session): this turn, answered, is the next.
    pub fn answered(&self) -> usize {
        self.answered
    }
}

fn invalid(err: InvalidName) -> ConversationError {
    ConversationError::Invalid(err.to_string())
}

/// Validates a request and resolves session, customer and capability.
pub async fn prepare(
    state: &AppState,
    request: TurnRequest,
) -> Result<PreparedTurn, ConversationError> {
    let message = checked_message(state, &request)?;
    let customer = requested_customer(&request)?;
    let (session_guard, existing) = match &request.session_id {
        Some(id) => {
            let (guard, session) =
                load_session(state, id, customer.as_ref(), &request.caller).await?;
            (Some(guard), Some(session))
        }
        None => (None, None),
    };
    let requested = request.capability.as_deref();
    let choice = choose(
        state,
        requested.or(existing.as_ref().map(|s| s.capability.as_str())),
    )?;
    if let Some(template) = &request.template {
        check_template(state, template, &choice)?;
    }
    let agent = state.agent.clone().ok_or(ConversationError::NoModel)?;
    super::daily_budget::check(state, customer.as_ref()).await?;
    if let Some(customer) = &customer {
        state.workspace.ensure_customer_once(customer).await?;
    }
    let answered = existing.as_ref().map_or(0, |session| session.answered);
    let stored = existing.map(|session| session.messages).unwrap_or_default();
    let given = request.history.unwrap_or_default();
    check_continuation(&stored, &given)?;
    let mut history: Vec<Message> = request
        .instructions
        .map(Message::system)
        .into_iter()
        .collect();
    history.extend(stored);
    let recorded_from = request.keep_history.then_some(history.len());
    history.extend(given);
    Ok(PreparedTurn {
        state: state.clone(),
        agent,
        message,
        customer,
        session_id: request
            .session_id
            .unwrap_or_else(|| SessionId::generate().to_string()),
        history,
        choice,
        template: request.template,
        options: request.options,
        caller: request.caller,
        store: request.store,
        recorded_from,
        answered,
        _session_guard: session_guard,
    })
}

/// The customer the request names, valid and within the caller's scope: a
/// customer's folder exists or is created only where the key allows.
fn requested_customer(request: &TurnRequest) -> Result<Option<CustomerId>, ConversationError> {
    let Some(id) = request.customer.as_deref() else {
        return Ok(None);
    };
    let customer = CustomerId::parse(id).map_err(invalid)?;
    if !request.caller.may_use(customer.as_str()) {
        return Err(ConversationError::Forbidden(customer.to_string()));
    }
    Ok(Some(customer))
}

/// The message, trimmed: not over the limit, and not empty unless the
/// caller's history ends with its functions' results (the turn continues).
fn checked_message(
    state: &AppState,
    request: &TurnRequest,
) -> Result<Option<String>, ConversationError> {
    let message = request.message.trim();
    let continues = request
        .history
        .as_ref()
        .and_then(|history| history.last())
        .is_some_and(|last| matches!(last, Message::Tool { .. }));
    if message.is_empty() && continues {
        return Ok(None);
    }
    if message.is_empty() {
        return Err(ConversationError::Invalid(
            "message must not be empty".into(),
        ));
    }
    let max_chars = state.limits.max_message_chars;
    if message.chars().count() > max_chars {
        return Err(ConversationError::Invalid(format!(
            "message is longer than {max_chars} characters"
        )));
    }
    Ok(Some(message.to_string()))
}

/// Function results that open a history given with a session answer the
/// calls the session's last answer handed back, each once.
fn check_continuation(stored: &[Message], given: &[Message]) -> Result<(), ConversationError> {
    let mut open: Vec<&str> = match stored.last() {
        Some(Message::Assistant { tool_calls, .. }) => {
            tool_calls.iter().map(|call| call.id.as_str()).collect()
        }
        _ => Vec::new(),
    };
    for message in given {
        let Message::Tool { tool_call_id, .. } = message else {
            break;
        };
        let Some(at) = open.iter().position(|id| id == tool_call_id) else {
            return Err(ConversationError::Invalid(format!(
                "the function result for {tool_call_id:?} answers no call the conversation's \
                 last answer made"
            )));
        };
        open.remove(at);
    }
    Ok(())
}

/// Waits for a turn already running in the session, then reads the history it
/// left. A session is reachable only with its customer named (and in the
/// key's scope) and by the key that started it (or an admin key); to anyone
/// else it does not exist.
async fn load_session(
    state: &AppState,
    id: &str,
    customer: Option<&CustomerId>,
    caller: &Caller,
) -> Result<(OwnedMutexGuard<()>, Session), ConversationError> {
    SessionId::parse(id).map_err(invalid)?;
    let guard = state.session_locks.lock(id).await;
    let unknown = || ConversationError::UnknownSession(id.to_string());
    let session = state.sessions.get(id).await?.ok_or_else(unknown)?;
    let owned = session
        .owner
        .as_deref()
        .is_none_or(|owner| owner == caller.name || caller.admin);
    if session.customer.as_deref() != customer.map(CustomerId::as_str) || !owned {
        return Err(unknown());
    }
    Ok((guard, session))
}

/// The capability asked for (or the session's): a known one, or routing.
fn choose(state: &AppState, requested: Option<&str>) -> Result<Choice, ConversationError> {
    match requested {
        None | Some(AUTO) => Ok(Choice::Route),
        Some(id) => state
            .capabilities
            .get(id)
            .map(|capability| Choice::Fixed(Arc::clone(capability)))
            .ok_or_else(|| ConversationError::UnknownCapability(id.to_string())),
    }
}

/// A required template must exist and belong to the capability that answers,
/// which must therefore be named.
fn check_template(
    state: &AppState,
    template: &str,
    choice: &Choice,
) -> Result<(), ConversationError> {
    let known = state.templates.get(template).ok_or_else(|| {
        ConversationError::Invalid(format!(
            "unknown template {template:?} (see GET /v1/capabilities)"
        ))
    })?;
    match choice {
        Choice::Fixed(capability) if capability.id == known.capability => Ok(()),
        Choice::Fixed(capability) => Err(ConversationError::Invalid(format!(
            "template {template:?} belongs to {}, not {}",
            known.capability, capability.id
        ))),
        Choice::Route => Err(ConversationError::Invalid(
            "a template needs a named capability".into(),
        )),
    }
}
