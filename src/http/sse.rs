//! Running a turn behind a server-sent-events response: the turn's events as
//! they happen, then its result, in that order. The turn runs inside the
//! response stream, so a client that disconnects drops the turn, and with it
//! the upstream request. The response is already a 200 when a turn fails, so a
//! failure's cause is logged here, where the stream ends. When the server's
//! shutdown cancels the turn, the stream ends with [`Item::ShuttingDown`].

use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;

use super::error::ApiError;
use crate::agent::TurnEvent;
use crate::conversation::{ConversationError, PreparedTurn, TurnResult};

/// What the stream yields.
pub(super) enum Item {
    /// Something happened in the turn.
    Event(TurnEvent),
    /// The turn is over; nothing follows.
    Finished(Result<Box<TurnResult>, ApiError>),
    /// The server's shutdown cancelled the turn; nothing follows.
    ShuttingDown,
}

struct Pump {
    events: mpsc::Receiver<TurnEvent>,
    turn: Option<BoxFuture<'static, Result<TurnResult, ConversationError>>>,
    result: Option<Result<TurnResult, ConversationError>>,
    /// Resolves when the server's shutdown cancels the turn.
    cancelled: BoxFuture<'static, ()>,
    finished: bool,
}

/// Starts the turn and waits for the first of its answer: text, a tool
/// call, a document, or its end. A turn that fails before any of that is an
/// error for the handler to answer with its status (a router can then retry);
/// otherwise the stream to send, the items so far first. A failure after the
/// response has started is logged where the stream ends.
pub(super) async fn start(
    prepared: PreparedTurn,
) -> Result<impl Stream<Item = Item> + Send + 'static, ApiError> {
    let mut items = Box::pin(events_then_result(prepared));
    let mut held = Vec::new();
    while let Some(item) = items.next().await {
        match item {
            Item::Finished(Err(err)) => return Err(err),
            Item::Event(TurnEvent::Capability { .. }) => held.push(item),
            answer => {
                held.push(answer);
                break;
            }
        }
    }
    Ok(futures::stream::iter(held)
        .chain(items)
        .map(|item| match item {
            Item::Finished(Err(err)) => {
                if let Some(cause) = err.cause() {
                    cause.log();
                }
                crate::telemetry::refused(err.code(), err.status().as_u16());
                Item::Finished(Err(err))
            }
            other => other,
        }))
}

/// The pump: events while the turn runs, what it sent before it ended, then
/// its result.
fn events_then_result(prepared: PreparedTurn) -> impl Stream<Item = Item> + Send + 'static {
    let (sender, events) = mpsc::channel(64);
    let pump = Pump {
        events,
        turn: Some(Box::pin(prepared.run(Some(sender)))),
        result: None,
        cancelled: Box::pin(super::shutdown::cancelled()),
        finished: false,
    };
    futures::stream::unfold(pump, |mut pump| async move {
        if pump.finished {
            return None;
        }
        loop {
            match pump.turn.as_mut() {
                Some(turn) => {
                    tokio::select! {
                        biased;
                        () = &mut pump.cancelled => {
                            // Dropping the turn cancels it, and its upstream request.
                            pump.turn = None;
                            pump.finished = true;
                            tracing::info!("streamed turn cancelled by the shutdown");
                            return Some((Item::ShuttingDown, pump));
                        }
                        event = pump.events.recv() => match event {
                            Some(event) => return Some((Item::Event(event), pump)),
                            // The sender is dropped only when the turn ends.
                            None => {
                                let result = match pump.turn.take() {
                                    Some(turn) => turn.await,
                                    None => return None,
                                };
                                pump.finished = true;
                                return Some((Item::Finished(result.map(Box::new).map_err(ApiError::from)), pump));
                            }
                        },
                        result = turn => {
                            pump.turn = None;
                            pump.result = Some(result);
                        }
                    }
                }
                None => {
                    // The turn is over: drain what it sent, then report it.
                    if let Some(event) = pump.events.recv().await {
                        return Some((Item::Event(event), pump));
                    }
                    pump.finished = true;
                    let result = pump.result.take()?;
                    return Some((
                        Item::Finished(result.map(Box::new).map_err(ApiError::from)),
                        pump,
                    ));
                }
            }
        }
    })
}
