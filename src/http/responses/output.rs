//! A finished turn as a Responses API object: a message item with the answer
//! and a function_call item per call handed back to the caller, usage in
//! the Responses API's terms, and what the request set echoed back.

use std::collections::HashMap;

use async_openai::types::responses::{
    AssistantRole, FunctionToolCall, InputTokenDetails, Instructions, OutputItem, OutputMessage,
    OutputMessageContent, OutputStatus, OutputTextContent, OutputTokenDetails, Response,
    ResponseError, ResponseErrorCode, ResponseTextParam, ResponseUsage, Status, Tool,
    ToolChoiceOptions, ToolChoiceParam,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::conversation::TurnResult;
use crate::model::{ToolCall, Usage};

/// What a response echoes of its request.
#[derive(Debug, Clone, Default)]
pub(super) struct Echo {
    pub(super) instructions: Option<String>,
    pub(super) previous_response_id: Option<String>,
    pub(super) metadata: HashMap<String, String>,
    pub(super) tools: Vec<Tool>,
    pub(super) tool_choice: Option<ToolChoiceParam>,
    pub(super) text: Option<ResponseTextParam>,
    pub(super) temperature: Option<f32>,
    pub(super) top_p: Option<f32>,
    pub(super) parallel_tool_calls: Option<bool>,
    pub(super) max_output_tokens: Option<u32>,
}

impl Echo {
    /// The request's settings, as far as they read as the SDK's types (the
    /// request is checked elsewhere).
    pub(super) fn of(raw: &Map<String, Value>) -> Self {
        fn read<T: serde::de::DeserializeOwned>(
            raw: &Map<String, Value>,
            field: &str,
        ) -> Option<T> {
            raw.get(field)
                .and_then(|v| serde_json::from_value(v.clone()).ok())
        }
        Echo {
            tools: read(raw, "tools").unwrap_or_default(),
            tool_choice: read(raw, "tool_choice"),
            text: read(raw, "text"),
            temperature: read(raw, "temperature"),
            top_p: read(raw, "top_p"),
            parallel_tool_calls: read(raw, "parallel_tool_calls"),
            max_output_tokens: read(raw, "max_output_tokens"),
            ..Echo::default()
        }
    }
}

/// The response's frame: its id, when it was made, and its echo.
#[derive(Debug, Clone)]
pub(super) struct Frame {
    pub(super) id: String,
    pub(super) created_at: u64,
    pub(super) echo: Echo,
}

impl Frame {
    /// The response object with this status and output.
    pub(super) fn response(
        &self,
        model: &str,
        status: Status,
        output: Vec<OutputItem>,
    ) -> Response {
        let echo = &self.echo;
        #[allow(deprecated)]
        Response {
            background: Some(false),
            billing: None,
            conversation: None,
            created_at: self.created_at,
            completed_at: None,
            error: None,
            id: self.id.clone(),
            incomplete_details: None,
            instructions: echo.instructions.clone().map(Instructions::Text),
            max_output_tokens: echo.max_output_tokens,
            metadata: Some(echo.metadata.clone()),
            model: model.to_string(),
            object: "response".into(),
            output,
            parallel_tool_calls: Some(echo.parallel_tool_calls.unwrap_or(true)),
            previous_response_id: echo.previous_response_id.clone(),
            prompt: None,
            prompt_cache_key: None,
            prompt_cache_retention: None,
            reasoning: None,
            safety_identifier: None,
            service_tier: None,
            status,
            temperature: echo.temperature,
            text: Some(echo.text.clone().unwrap_or_default()),
            tool_choice: Some(
                echo.tool_choice
                    .clone()
                    .unwrap_or(ToolChoiceParam::Option(ToolChoiceOptions::Auto)),
            ),
            tools: Some(echo.tools.clone()),
            top_logprobs: None,
            top_p: echo.top_p,
            truncation: None,
            usage: None,
            prompt_cache_options: None,
            prompt_cache_diagnostics: None,
            moderation: None,
            access_programs: None,
            tool_usage: None,
        }
    }

    /// The id of the message item.
    pub(super) fn message_id(&self) -> String {
        format!("msg_{}", self.suffix())
    }

    /// The id of the `index`th function_call item.
    pub(super) fn call_id(&self, index: usize) -> String {
        format!("fc_{}_{index}", self.suffix())
    }

    fn suffix(&self) -> &str {
        self.id.strip_prefix("resp_").unwrap_or(&self.id)
    }

    /// The completed response for a finished turn: its answer as `text`.
    pub(super) fn completed(&self, result: &TurnResult, text: &str) -> Response {
        let mut output = Vec::new();
        if !text.is_empty() || result.handed_back.is_empty() {
            output.push(self.message(text, OutputStatus::Completed));
        }
        for (index, call) in result.handed_back.iter().enumerate() {
            output.push(self.function_call(index, call, OutputStatus::Completed));
        }
        let mut response = self.response(&result.capability, Status::Completed, output);
        response.completed_at = Some(unix_now());
        response.usage = Some(usage(result.usage));
        response
    }

    /// A failed response: what went wrong (the `error` event before it
    /// carries pmcoach's code).
    pub(super) fn failed(&self, model: &str, message: &str) -> Response {
        let mut response = self.response(model, Status::Failed, Vec::new());
        response.error = Some(ResponseError {
            code: ResponseErrorCode::ServerError,
            message: message.to_string(),
            misalignment: None,
            param: None,
            r#type: None,
        });
        response
    }

    /// The message item.
    pub(super) fn message(&self, text: &str, status: OutputStatus) -> OutputItem {
        let content = match status {
            OutputStatus::InProgress => Vec::new(),
            _ => vec![OutputMessageContent::OutputText(output_text(text))],
        };
        OutputItem::Message(OutputMessage {
            content,
            id: self.message_id(),
            role: AssistantRole::Assistant,
            phase: None,
            status,
        })
    }

    /// A function_call item; in progress it has no arguments yet.
    pub(super) fn function_call(
        &self,
        index: usize,
        call: &ToolCall,
        status: OutputStatus,
    ) -> OutputItem {
        OutputItem::FunctionCall(FunctionToolCall {
            arguments: match status {
                OutputStatus::InProgress => String::new(),
                _ => call.arguments.clone(),
            },
            call_id: call.id.clone(),
            namespace: None,
            name: call.name.clone(),
            id: Some(self.call_id(index)),
            status: Some(status),
            caller: None,
            r#async: None,
        })
    }
}

/// A text part.
pub(super) fn output_text(text: &str) -> OutputTextContent {
    OutputTextContent {
        annotations: Vec::new(),
        logprobs: Some(Vec::new()),
        text: text.to_string(),
    }
}

pub(super) fn unix_now() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or_default()
}

fn usage(usage: Usage) -> ResponseUsage {
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    ResponseUsage {
        input_tokens: clamp(usage.prompt_tokens),
        input_tokens_details: InputTokenDetails::default(),
        output_tokens: clamp(usage.completion_tokens),
        output_tokens_details: OutputTokenDetails::default(),
        total_tokens: clamp(usage.total_tokens),
    }
}

/// pmcoach's additions to a response (ignored by OpenAI clients).
#[derive(Debug, Serialize)]
pub(super) struct Extras {
    /// The session a stored response belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    routed: bool,
    artifacts: Vec<crate::templates::Artifact>,
    tool_calls: Vec<crate::session::ToolCallRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
}

/// A response and pmcoach's additions.
#[derive(Debug, Serialize)]
pub(super) struct Body {
    #[serde(flatten)]
    pub(super) response: Response,
    pub(super) pmcoach: Extras,
}

/// The whole response for a finished turn.
pub(super) fn body(frame: &Frame, result: TurnResult, stored: bool) -> Body {
    let response = frame.completed(&result, &result.reply);
    Body {
        response,
        pmcoach: extras(result, stored),
    }
}

pub(super) fn extras(result: TurnResult, stored: bool) -> Extras {
    Extras {
        session_id: stored.then_some(result.session_id),
        routed: result.routed,
        artifacts: result.artifacts,
        tool_calls: result.tool_calls,
        cost_usd: result.cost_usd,
    }
}
