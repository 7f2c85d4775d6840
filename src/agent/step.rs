//! The pure part of the agent loop: given what the model answered, decide what
//! happens next. No I/O here, so every branch is a plain unit test.

use crate::model::{ModelResponse, ToolCall};

/// What the runner does after a model response.
#[derive(Debug, PartialEq)]
pub(crate) enum Next {
    /// The turn is over: this is the reply.
    Reply(String),
    /// Run these calls (in this order of results), then ask the model again.
    /// `refused` are calls over the per-step limit, answered with an error.
    RunTools {
        run: Vec<ToolCall>,
        refused: Vec<ToolCall>,
    },
    /// The model said nothing and called nothing.
    Empty,
}

/// Decides the next move. Calls without an id get one (`call_<step>_<n>`), since
/// every result must quote the id of its call.
pub(crate) fn next(response: &mut ModelResponse, step: usize, max_parallel: usize) -> Next {
    for (n, call) in response.tool_calls.iter_mut().enumerate() {
        if call.id.trim().is_empty() {
            call.id = format!("call_{step}_{n}");
        }
    }
    if !response.tool_calls.is_empty() {
        let mut run = response.tool_calls.clone();
        let refused = run.split_off(run.len().min(max_parallel));
        return Next::RunTools { run, refused };
    }
    match response.content.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Next::Reply(text.to_string()),
        _ => Next::Empty,
    }
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

    #[test]
    fn text_without_calls_is_the_reply() {
        let mut r = response(Some("  Start with why.\n"), &[]);
        assert_eq!(next(&mut r, 1, 8), Next::Reply("Start with why.".into()));
    }

    #[test]
    fn calls_win_over_interim_text() {
        let mut r = response(Some("Let me ask."), &[("a", "x"), ("b", "y")]);
        let Next::RunTools { run, refused } = next(&mut r, 1, 8) else {
            panic!("expected tools");
        };
        assert_eq!(run.len(), 2);
        assert!(refused.is_empty());
    }

    #[test]
    fn calls_over_the_limit_are_refused_not_dropped() {
        let mut r = response(None, &[("a", "x"), ("b", "y"), ("c", "z")]);
        let Next::RunTools { run, refused } = next(&mut r, 1, 2) else {
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
    fn missing_ids_are_filled_in_the_response_too() {
        let mut r = response(None, &[("", "x"), ("keep", "y")]);
        let Next::RunTools { run, .. } = next(&mut r, 3, 8) else {
            panic!("expected tools");
        };
        assert_eq!(run[0].id, "call_3_0");
        assert_eq!(r.tool_calls[0].id, "call_3_0");
        assert_eq!(run[1].id, "keep");
    }

    #[test]
    fn nothing_at_all_is_empty() {
        assert_eq!(next(&mut response(None, &[]), 1, 8), Next::Empty);
        assert_eq!(next(&mut response(Some("  "), &[]), 1, 8), Next::Empty);
    }
}
