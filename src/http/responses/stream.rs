//! A streamed response: `event: <type>` and `data: {"type", "sequence_number",
//! ...}` in OpenAI's order: response.created, response.in_progress; the
//! message item (output_item.added, content_part.added, output_text.delta...,
//! output_text.done, content_part.done, output_item.done); each function call
//! handed back (output_item.added, function_call_arguments.delta and .done,
//! output_item.done); response.completed. A failure after the first event is
//! an `error` event and response.failed.

use std::convert::Infallible;

use async_openai::types::responses::{
    OutputContent, OutputStatus, ResponseCompletedEvent, ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent, ResponseCreatedEvent, ResponseErrorEvent, ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent, ResponseFunctionCallArgumentsDoneEvent,
    ResponseInProgressEvent, ResponseOutputItemAddedEvent, ResponseOutputItemDoneEvent,
    ResponseStreamEvent, ResponseTextDeltaEvent, ResponseTextDoneEvent, Status,
};
use axum::response::sse::Event;
use futures::{Stream, StreamExt};

use super::output::{Frame, output_text};
use crate::agent::TurnEvent;
use crate::conversation::TurnResult;
use crate::http::shutdown;
use crate::http::sse::Item;

/// The state of a stream being written.
struct Writer {
    frame: Frame,
    model: String,
    sequence: u64,
    started: bool,
    /// The text streamed so far; `Some` once the message item is open.
    text: Option<String>,
    /// Hold the text back and send the checked answer whole at the end.
    whole_answer: bool,
}

/// The events for a turn's items.
pub(super) fn events(
    items: impl Stream<Item = Item> + Send + 'static,
    frame: Frame,
    whole_answer: bool,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let mut writer = Writer {
        frame,
        model: String::new(),
        sequence: 0,
        started: false,
        text: None,
        whole_answer,
    };
    items.flat_map(move |item| {
        let events = writer.item(item);
        futures::stream::iter(events.into_iter().map(Ok::<_, Infallible>))
    })
}

impl Writer {
    fn next(&mut self) -> u64 {
        let n = self.sequence;
        self.sequence += 1;
        n
    }

    fn item(&mut self, item: Item) -> Vec<Event> {
        let mut events = Vec::new();
        if let Item::Event(TurnEvent::Capability { capability, .. }) = &item {
            self.model.clone_from(capability);
        }
        if !self.started {
            self.started = true;
            let response = self
                .frame
                .response(&self.model, Status::InProgress, Vec::new());
            let sequence_number = self.next();
            events.push(ResponseStreamEvent::ResponseCreated(ResponseCreatedEvent {
                sequence_number,
                response: response.clone(),
            }));
            let sequence_number = self.next();
            events.push(ResponseStreamEvent::ResponseInProgress(
                ResponseInProgressEvent {
                    sequence_number,
                    response,
                },
            ));
        }
        match item {
            Item::Event(TurnEvent::Delta { text }) if !self.whole_answer => {
                self.delta(&text, &mut events);
            }
            Item::Event(_) => {}
            Item::Finished(Ok(result)) => self.finish(&result, &mut events),
            Item::Finished(Err(err)) => {
                let param = err.param().map(str::to_string);
                self.fail(err.code(), &err.to_string(), param, &mut events);
            }
            Item::ShuttingDown => self.fail(shutdown::CODE, shutdown::MESSAGE, None, &mut events),
        }
        events.iter().map(sse).collect()
    }

    /// Opens the message item if need be, then sends the text.
    fn delta(&mut self, text: &str, events: &mut Vec<ResponseStreamEvent>) {
        if self.text.is_none() {
            let item = self.frame.message("", OutputStatus::InProgress);
            let sequence_number = self.next();
            events.push(ResponseStreamEvent::ResponseOutputItemAdded(
                ResponseOutputItemAddedEvent {
                    sequence_number,
                    output_index: 0,
                    item,
                },
            ));
            let sequence_number = self.next();
            events.push(ResponseStreamEvent::ResponseContentPartAdded(
                ResponseContentPartAddedEvent {
                    sequence_number,
                    item_id: self.frame.message_id(),
                    output_index: 0,
                    content_index: 0,
                    part: OutputContent::OutputText(output_text("")),
                },
            ));
            self.text = Some(String::new());
        }
        if text.is_empty() {
            return;
        }
        if let Some(streamed) = self.text.as_mut() {
            streamed.push_str(text);
        }
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseOutputTextDelta(
            ResponseTextDeltaEvent {
                sequence_number,
                item_id: self.frame.message_id(),
                output_index: 0,
                content_index: 0,
                delta: text.to_string(),
                logprobs: Some(Vec::new()),
            },
        ));
    }

    /// Closes the message item, sends the calls handed back, then the
    /// completed response. The message holds the text streamed (or the
    /// answer whole, when it was held back).
    fn finish(&mut self, result: &TurnResult, events: &mut Vec<ResponseStreamEvent>) {
        let wants_message = !result.reply.is_empty() || result.handed_back.is_empty();
        if self.text.is_none() && wants_message {
            self.delta(&result.reply, events);
        }
        let text = self.text.clone();
        if let Some(text) = &text {
            self.close_message(text, events);
        }
        let first = usize::from(text.is_some());
        for (index, call) in result.handed_back.iter().enumerate() {
            self.call(first + index, index, call, events);
        }
        // Its output matches the items streamed: a message when one was.
        let response = self
            .frame
            .completed(result, text.as_deref().unwrap_or_default());
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseCompleted(
            ResponseCompletedEvent {
                sequence_number,
                response,
            },
        ));
    }

    fn close_message(&mut self, text: &str, events: &mut Vec<ResponseStreamEvent>) {
        let item_id = self.frame.message_id();
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseOutputTextDone(
            ResponseTextDoneEvent {
                sequence_number,
                item_id: item_id.clone(),
                output_index: 0,
                content_index: 0,
                text: text.to_string(),
                logprobs: Some(Vec::new()),
            },
        ));
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseContentPartDone(
            ResponseContentPartDoneEvent {
                sequence_number,
                item_id,
                output_index: 0,
                content_index: 0,
                part: OutputContent::OutputText(output_text(text)),
            },
        ));
        let item = self.frame.message(text, OutputStatus::Completed);
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseOutputItemDone(
            ResponseOutputItemDoneEvent {
                sequence_number,
                output_index: 0,
                item,
            },
        ));
    }

    /// A function call handed back: added, its arguments, done.
    fn call(
        &mut self,
        output_index: usize,
        index: usize,
        call: &crate::model::ToolCall,
        events: &mut Vec<ResponseStreamEvent>,
    ) {
        let output_index = u32::try_from(output_index).unwrap_or(u32::MAX);
        let item_id = self.frame.call_id(index);
        let added = self
            .frame
            .function_call(index, call, OutputStatus::InProgress);
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseOutputItemAdded(
            ResponseOutputItemAddedEvent {
                sequence_number,
                output_index,
                item: added,
            },
        ));
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseFunctionCallArgumentsDelta(
            ResponseFunctionCallArgumentsDeltaEvent {
                sequence_number,
                item_id: item_id.clone(),
                output_index,
                delta: call.arguments.clone(),
            },
        ));
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseFunctionCallArgumentsDone(
            ResponseFunctionCallArgumentsDoneEvent {
                name: Some(call.name.clone()),
                sequence_number,
                item_id,
                output_index,
                arguments: call.arguments.clone(),
            },
        ));
        let item = self
            .frame
            .function_call(index, call, OutputStatus::Completed);
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseOutputItemDone(
            ResponseOutputItemDoneEvent {
                sequence_number,
                output_index,
                item,
            },
        ));
    }

    /// An `error` event with our code, then response.failed.
    fn fail(
        &mut self,
        code: &str,
        message: &str,
        param: Option<String>,
        events: &mut Vec<ResponseStreamEvent>,
    ) {
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseError(ResponseErrorEvent {
            sequence_number,
            code: Some(code.to_string()),
            message: message.to_string(),
            param,
        }));
        let response = self.frame.failed(&self.model, message);
        let sequence_number = self.next();
        events.push(ResponseStreamEvent::ResponseFailed(ResponseFailedEvent {
            sequence_number,
            response,
        }));
    }
}

/// One event: its type as the SSE event name, the whole event as data.
fn sse(event: &ResponseStreamEvent) -> Event {
    let data = serde_json::to_value(event).unwrap_or_default();
    let kind = data["type"].as_str().unwrap_or("error").to_string();
    Event::default().event(kind).data(data.to_string())
}
