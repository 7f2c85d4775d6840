//! A turn's conversation as it is sent to the model: the system prompt, the
//! history (which may be cut to fit the window) and the turn's own messages,
//! each with its tokens; and the settings every model call of the turn uses.

use super::AgentError;
use super::window::{self, Window};
use std::sync::Arc;

use crate::model::{CallOptions, Message, ModelRequest, PreparedTool};

/// What every model call of a turn is sent with besides the messages.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Settings<'a> {
    /// Sampling temperature (the caller's, else the capability's).
    pub(super) temperature: Option<f32>,
    /// A function the model must call.
    pub(super) forced_tool: Option<&'a str>,
    /// The caller's tool choice, sampling and answer format.
    pub(super) call: Option<&'a CallOptions>,
}

/// A turn's conversation as it is sent: what always goes, the history that
/// may be cut, and this turn's own messages, each with its tokens.
pub(super) struct Conversation<'h> {
    system: String,
    /// System prompt, tool definitions and framing.
    fixed: usize,
    /// Borrowed from the turn: a long session's history is copied only into
    /// the request that is sent.
    history: Vec<(&'h Message, usize)>,
    current: Vec<Message>,
    current_tokens: usize,
}

impl<'h> Conversation<'h> {
    /// The turn's conversation: the system prompt and its tokens with the
    /// tools', the history, and this turn's messages so far. Without a new
    /// message the turn continues the history's last one (the caller answered
    /// the functions it was handed).
    pub(super) fn new(
        system: String,
        fixed: usize,
        history: Vec<(&'h Message, usize)>,
        message: Option<(Message, usize)>,
    ) -> Self {
        let mut history = history;
        let (current, current_tokens) = match message {
            Some((user, tokens)) => (vec![(user)], tokens),
            None => {
                let start = history
                    .iter()
                    .rposition(|(m, _)| matches!(m, Message::User { .. }))
                    .unwrap_or(0);
                let tail = history.split_off(start);
                let tokens = tail.iter().map(|(_, t)| t).sum();
                (tail.into_iter().map(|(m, _)| m.clone()).collect(), tokens)
            }
        };
        Self {
            system,
            fixed,
            history,
            current,
            current_tokens,
        }
    }

    /// The request for the next model call, cut to `window`.
    pub(super) fn request(
        &self,
        window: Window,
        tools: &[Arc<PreparedTool>],
        settings: Settings<'_>,
    ) -> Result<ModelRequest, AgentError> {
        let skip = window::fit(window, self.fixed, &self.history, self.current_tokens)?;
        let mut system = self.system.clone();
        if skip > 0 {
            system.push_str(&window::omitted_note(skip));
        }
        let mut messages = Vec::with_capacity(1 + self.history.len() - skip + self.current.len());
        messages.push(Message::system(system));
        messages.extend(self.history[skip..].iter().map(|(m, _)| (*m).clone()));
        messages.extend_from_slice(&self.current);
        Ok(ModelRequest {
            messages,
            tools: tools.to_vec(),
            temperature: settings.temperature,
            tool_choice: settings.forced_tool.map(str::to_string),
            options: settings.call.cloned().unwrap_or_default(),
        })
    }

    /// This turn's messages, the first (user) message included.
    pub(super) fn into_current(self) -> Vec<Message> {
        self.current
    }

    pub(super) fn push(&mut self, message: Message, tokens: usize) {
        self.current_tokens += tokens;
        self.current.push(message);
    }
}
