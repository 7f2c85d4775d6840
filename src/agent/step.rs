//! The pure part of the agent loop: given the loop's state and what the model
//! answered, decide what happens next. No I/O here, so every branch is a plain
//! unit test.

use super::AgentError;
use super::options::OutputFormat;
use crate::model::{ModelResponse, ToolCall};

/// What the loop knows between model calls.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoopState {
    /// Model calls the turn may make.
    pub(crate) max_steps: usize,
    /// Tool calls run from one model response.
    pub(crate) max_parallel: usize,
    /// A template the turn must produce (structured invoke), if any.
    pub(crate) required: Option<Required>,
    /// Names of the caller's functions: a call to one hands the turn back.
    pub(crate) caller_tools: Vec<String>,
    /// The format the answer must have.
    pub(crate) output: Option<OutputFormat>,
    /// Whether the model was already asked once to fix its answer's format.
    pub(crate) corrected: bool,
}

/// A template the turn must produce, and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Required {
    /// The template id.
    pub(crate) template: String,
    /// Whether it has been produced.
    pub(crate) filled: bool,
    /// The last `fill_template` error (the fields still missing).
    pub(crate) last_error: Option<String>,
}

/// What the runner does after a model response.
#[derive(Debug)]
pub(crate) enum Next {
    /// The turn is over: this is the reply.
    Reply(String),
    /// The model called the caller's functions: the turn goes back to the
    /// caller with these calls (and any text the model wrote), pmcoach's own
    /// calls in the same answer left unrun.
    HandBack {
        text: Option<String>,
        calls: Vec<ToolCall>,
    },
    /// The answer is not in the required format: tell the model what is wrong
    /// (this user message) and ask once more.
    Correct(String),
    /// Run these calls (in this order of results), then ask the model again.
    /// `refused` are calls over the per-step limit, answered with an error.
    RunTools {
        run: Vec<ToolCall>,
        refused: Vec<ToolCall>,
    },
    /// The model answered before producing the required document: tell it to,
    /// with this user message, and ask again.
    Nudge(String),
    /// The turn fails.
    Fail(AgentError),
}

impl LoopState {
    /// A turn with these limits, producing `required` if given.
    pub(crate) fn new(max_steps: usize, max_parallel: usize, required: Option<&str>) -> Self {
        Self {
            max_steps,
            max_parallel,
            required: required.map(|template| Required {
                template: template.to_string(),
                filled: false,
                last_error: None,
            }),
            ..Self::default()
        }
    }

    /// Why the turn ends when the steps run out.
    pub(crate) fn give_up(&self) -> AgentError {
        match &self.required {
            Some(required) if !required.filled => AgentError::TemplateNotFilled {
                template: required.template.clone(),
                detail: required
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "the model never called fill_template".to_string()),
            },
            _ => AgentError::StepLimit {
                steps: self.max_steps,
            },
        }
    }

    fn unfilled(&self) -> Option<&str> {
        self.required
            .as_ref()
            .filter(|r| !r.filled)
            .map(|r| r.template.as_str())
    }
}

/// Gives calls without an id one (`call_<step>_<n>`): every result must quote
/// the id of its call.
pub(crate) fn name_calls(response: &mut ModelResponse, step: usize) {
    for (n, call) in response.tool_calls.iter_mut().enumerate() {
        if call.id.trim().is_empty() {
            call.id = format!("call_{step}_{n}");
        }
    }
}

/// Decides the next move after the answer to model call `step` (from 1).
pub(crate) fn next(state: &LoopState, step: usize, response: &ModelResponse) -> Next {
    let last = step >= state.max_steps;
    let (theirs, _): (Vec<&ToolCall>, Vec<&ToolCall>) = response
        .tool_calls
        .iter()
        .partition(|call| state.caller_tools.contains(&call.name));
    if !theirs.is_empty() {
        let text = response.content.as_deref().map(str::trim);
        return Next::HandBack {
            text: text.filter(|t| !t.is_empty()).map(str::to_string),
            calls: theirs.into_iter().cloned().collect(),
        };
    }
    if !response.tool_calls.is_empty() {
        // Results of tools run now could never reach the model: stop before
        // running (and writing) anything.
        if last {
            return Next::Fail(state.give_up());
        }
        let mut run = response.tool_calls.clone();
        let refused = run.split_off(run.len().min(state.max_parallel));
        return Next::RunTools { run, refused };
    }
    let text = match response.content.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => text,
        _ => return Next::Fail(AgentError::EmptyReply),
    };
    match state.unfilled() {
        Some(_) if last => Next::Fail(state.give_up()),
        Some(template) => Next::Nudge(nudge(template)),
        None => formatted(state, last, text),
    }
}

/// The reply in its required format; once, a chance to fix it.
fn formatted(state: &LoopState, last: bool, text: &str) -> Next {
    let Some(format) = &state.output else {
        return Next::Reply(text.to_string());
    };
    match format.check(text) {
        Ok(json) => Next::Reply(json),
        Err(problem) if !state.corrected && !last => Next::Correct(format!(
            "{problem}. Answer again with only the JSON, nothing before or after it."
        )),
        Err(problem) => Next::Fail(AgentError::Output(problem)),
    }
}

/// The user message that asks for the required document.
fn nudge(template: &str) -> String {
    format!(
        "Produce the `{template}` document now: call fill_template with template \
         \"{template}\" and the fields you can fill from the task and context. \
         Do not ask questions; this request has no one to answer them."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Usage;

    fn response(content: Option<&str>, calls: &[(&str, &str)]) -> ModelResponse {
        ModelResponse {
            content: content.map(str::to_string),
            tool_calls: calls
                .iter()
                .map(|(id, name)| ToolCall {
                    id: id.to_string(),
                    name: name.to_string(),
                    arguments: "{}".into(),
                })
                .collect(),
            usage: Usage::default(),
            finish_reason: None,
        }
    }

    fn state(max_steps: usize, max_parallel: usize) -> LoopState {
        LoopState::new(max_steps, max_parallel, None)
    }

    #[test]
    fn text_without_calls_is_the_reply() {
        let r = response(Some("  Start with why.\n"), &[]);
        let next = next(&state(8, 8), 1, &r);
        assert!(
            matches!(&next, Next::Reply(t) if t == "Start with why."),
            "{next:?}"
        );
    }

    #[test]
    fn calls_win_over_interim_text() {
        let r = response(Some("Let me ask."), &[("a", "x"), ("b", "y")]);
        let Next::RunTools { run, refused } = next(&state(8, 8), 1, &r) else {
            panic!("expected tools");
        };
        assert_eq!(run.len(), 2);
        assert!(refused.is_empty());
    }

    #[test]
    fn calls_over_the_limit_are_refused_not_dropped() {
        let r = response(None, &[("a", "x"), ("b", "y"), ("c", "z")]);
        let Next::RunTools { run, refused } = next(&state(8, 2), 1, &r) else {
            panic!("expected tools");
        };
        assert_eq!(
            run.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(
            refused.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["c"]
        );
    }

    #[test]
    fn calls_without_an_id_get_one() {
        let mut r = response(None, &[("", "x"), ("keep", "y")]);
        name_calls(&mut r, 3);
        assert_eq!(r.tool_calls[0].id, "call_3_0");
        assert_eq!(r.tool_calls[1].id, "keep");
    }

    #[test]
    fn nothing_at_all_is_an_empty_reply() {
        for content in [None, Some("  ")] {
            let next = next(&state(8, 8), 1, &response(content, &[]));
            assert!(
                matches!(next, Next::Fail(AgentError::EmptyReply)),
                "{next:?}"
            );
        }
    }

    #[test]
    fn no_tools_run_on_the_last_step() {
        let r = response(None, &[("a", "log_event")]);
        let next = next(&state(3, 8), 3, &r);
        assert!(
            matches!(next, Next::Fail(AgentError::StepLimit { steps: 3 })),
            "{next:?}"
        );
    }

    #[test]
    fn a_call_to_the_callers_function_hands_the_turn_back() {
        let state = LoopState {
            caller_tools: vec!["get_weather".into()],
            ..state(8, 8)
        };
        let r = response(
            Some("Checking."),
            &[("a", "log_event"), ("b", "get_weather")],
        );
        let Next::HandBack { text, calls } = next(&state, 8, &r) else {
            panic!("expected a hand-back");
        };
        assert_eq!(text.as_deref(), Some("Checking."));
        assert_eq!(calls.len(), 1, "pmcoach's own call is not handed back");
        assert_eq!(calls[0].name, "get_weather");
    }

    #[test]
    fn a_badly_formatted_answer_gets_one_correction() {
        let mut state = LoopState {
            output: Some(super::super::options::OutputFormat::JsonObject),
            ..state(8, 8)
        };
        let prose = response(Some("Sure! Here it is."), &[]);
        assert!(matches!(next(&state, 1, &prose), Next::Correct(_)));
        state.corrected = true;
        let failed = next(&state, 2, &prose);
        assert!(
            matches!(failed, Next::Fail(AgentError::Output(_))),
            "{failed:?}"
        );
        let json = response(Some("{\"ok\": true}"), &[]);
        assert!(matches!(next(&state, 3, &json), Next::Reply(t) if t == "{\"ok\": true}"));
    }

    #[test]
    fn a_reply_before_the_required_document_is_nudged() {
        let state = LoopState::new(4, 8, Some("strategic-work-proposal"));
        let Next::Nudge(text) = next(&state, 1, &response(Some("Questions?"), &[])) else {
            panic!("expected a nudge");
        };
        assert!(
            text.contains("template \"strategic-work-proposal\""),
            "{text}"
        );
    }

    #[test]
    fn a_reply_after_the_required_document_ends_the_turn() {
        let mut state = LoopState::new(4, 8, Some("proposal"));
        if let Some(required) = &mut state.required {
            required.filled = true;
        }
        let next = next(&state, 2, &response(Some("Done."), &[]));
        assert!(matches!(&next, Next::Reply(t) if t == "Done."), "{next:?}");
    }

    #[test]
    fn running_out_of_steps_names_the_missing_fields() {
        let mut state = LoopState::new(2, 8, Some("proposal"));
        if let Some(required) = &mut state.required {
            required.last_error = Some("missing: /investment".into());
        }
        for r in [
            response(Some("Here is a summary."), &[]),
            response(None, &[("a", "fill_template")]),
        ] {
            let next = next(&state, 2, &r);
            let Next::Fail(AgentError::TemplateNotFilled { template, detail }) = next else {
                panic!("expected TemplateNotFilled, got {next:?}");
            };
            assert_eq!(template, "proposal");
            assert_eq!(detail, "missing: /investment");
        }
        let never = LoopState::new(1, 8, Some("proposal")).give_up();
        assert!(
            never.to_string().contains("never called fill_template"),
            "{never}"
        );
    }
}
