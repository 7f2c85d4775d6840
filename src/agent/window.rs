//! Fitting a request into the model's context window, without I/O: the
//! system prompt, the tools and the current turn always stay; earlier turns go
//! oldest first, whole (a tool call never without its result); a request that
//! cannot fit even then is refused with the numbers.

use crate::model::Message;

/// The window a request must fit, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The model's context window.
    pub context: usize,
    /// Kept free for the answer.
    pub reserved_output: usize,
}

impl Window {
    /// Tokens a request may take.
    pub fn input_limit(&self) -> usize {
        self.context.saturating_sub(self.reserved_output)
    }
}

/// A request that does not fit even with no history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the request needs {needed} tokens (system prompt and tools {fixed}, this turn {current}) \
     but the model's context allows {limit} ({context} minus {reserved} kept for the answer)"
)]
pub struct Overflow {
    /// Tokens needed without any history.
    pub needed: usize,
    /// The system prompt and tool definitions.
    pub fixed: usize,
    /// The current turn's messages.
    pub current: usize,
    /// What the window allows for input.
    pub limit: usize,
    /// The context window.
    pub context: usize,
    /// Reserved for the answer.
    pub reserved: usize,
}

/// Tokens the note about omitted turns may take.
pub(crate) const OMITTED_NOTE_TOKENS: usize = 40;

/// The note appended to the system prompt when earlier turns were left out.
pub(crate) fn omitted_note(messages: usize) -> String {
    format!(
        "\n\n({messages} earlier messages of this conversation were left out to fit the model's \
         context; ask the user if you need something from them.)"
    )
}

/// How many history messages to leave out (from the oldest) so that `fixed`
/// (system prompt, tools), the kept history and `current` (this turn) fit.
/// History is cut only at the start of a turn (a user message), so a tool
/// call is never sent without its result.
pub(crate) fn fit(
    window: Window,
    fixed: usize,
    history: &[(&Message, usize)],
    current: usize,
) -> Result<usize, Overflow> {
    let limit = window.input_limit();
    let total: usize = history.iter().map(|(_, tokens)| tokens).sum();
    if fixed + total + current <= limit {
        return Ok(0);
    }
    let room = limit.saturating_sub(OMITTED_NOTE_TOKENS);
    let mut kept = total;
    for (skip, (message, tokens)) in history.iter().enumerate() {
        if matches!(message, Message::User { .. }) && fixed + kept + current <= room {
            return Ok(skip);
        }
        kept -= tokens;
    }
    if fixed + current <= room {
        return Ok(history.len());
    }
    Err(Overflow {
        needed: fixed + current,
        fixed,
        current,
        limit,
        context: window.context,
        reserved: window.reserved_output,
    })
}

/// `content` cut to about `max_tokens` (at three characters a token, which
/// undercounts no common tokenizer's text), saying how much was cut.
pub(crate) fn cap(content: String, tokens: usize, max_tokens: usize) -> String {
    if tokens <= max_tokens {
        return content;
    }
    let keep: String = content.chars().take(max_tokens * 3).collect();
    format!("{keep}\n… [cut: the result was {tokens} tokens; only the first part is shown]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ToolCall;

    fn window(context: usize) -> Window {
        Window {
            context,
            reserved_output: 100,
        }
    }

    /// Two earlier turns: a plain one, then one with a tool call and result.
    fn history() -> Vec<Message> {
        vec![
            Message::user("first"),
            Message::Assistant {
                content: Some("answer".into()),
                tool_calls: Vec::new(),
            },
            Message::user("second"),
            Message::Assistant {
                content: None,
                tool_calls: vec![ToolCall {
                    id: "c".into(),
                    name: "t".into(),
                    arguments: "{}".into(),
                }],
            },
            Message::Tool {
                tool_call_id: "c".into(),
                content: "result".into(),
            },
            Message::Assistant {
                content: Some("done".into()),
                tool_calls: Vec::new(),
            },
        ]
    }

    fn counted(messages: &[Message], each: usize) -> Vec<(&Message, usize)> {
        messages.iter().map(|m| (m, each)).collect()
    }

    #[test]
    fn everything_is_sent_when_it_fits() {
        let history = history();
        assert_eq!(fit(window(1_000), 300, &counted(&history, 50), 100), Ok(0));
    }

    #[test]
    fn the_oldest_whole_turns_go_first() {
        let history = history();
        // 300 + 6 * 50 + 100 = 700 > 650 input; dropping the first turn (2
        // messages) leaves 300 + 200 + 100 = 600, with room for the note.
        let skip = fit(window(750), 300, &counted(&history, 50), 100).expect("fits");
        assert_eq!(skip, 2);
        assert!(matches!(history[skip], Message::User { .. }));
        let tighter = fit(window(600), 300, &counted(&history, 50), 100).expect("fits");
        assert_eq!(
            tighter, 6,
            "the second turn goes whole, tool call with its result"
        );
    }

    #[test]
    fn a_turn_that_cannot_fit_names_the_numbers() {
        let err = fit(window(500), 300, &[], 200).expect_err("too big");
        assert_eq!(err.needed, 500);
        assert_eq!(err.limit, 400);
        assert!(err.to_string().contains("needs 500 tokens"), "{err}");
    }

    #[test]
    fn long_results_are_cut_and_say_so() {
        let long = "x".repeat(10_000);
        let cut = cap(long, 5_000, 100);
        assert!(cut.starts_with(&"x".repeat(300)));
        assert!(cut.contains("the result was 5000 tokens"));
        assert_eq!(cap("short".into(), 1, 100), "short");
    }
}
