//! What the person said in this conversation, for tools that may act only on
//! what the PM reported: `log_event` records client work only when its
//! `pm_report` quotes the PM's own words, found here (so the model cannot log
//! the coaching conversation itself, or invent work, as hours).

use crate::model::Message;

/// Fewest words a quote must have to count as a report.
pub(crate) const MIN_QUOTE_WORDS: usize = 3;

/// The user's messages of the turn: the history and the new message.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserWords<'a> {
    history: &'a [Message],
    message: Option<&'a str>,
}

impl<'a> UserWords<'a> {
    /// The user's words in `history` and `message`.
    pub fn new(history: &'a [Message], message: Option<&'a str>) -> Self {
        Self { history, message }
    }

    /// Whether `quote` (at least [`MIN_QUOTE_WORDS`] words) is something the
    /// user said, ignoring case, spacing, punctuation and surrounding quotes.
    pub fn contain(&self, quote: &str) -> bool {
        let quote = normalize(quote);
        if quote.split(' ').filter(|w| !w.is_empty()).count() < MIN_QUOTE_WORDS {
            return false;
        }
        let users = self.history.iter().filter_map(|m| match m {
            Message::User { content, .. } => Some(content.as_str()),
            _ => None,
        });
        users
            .chain(self.message)
            .any(|said| normalize(said).contains(&quote))
    }
}

/// Lowercase words separated by single spaces, without punctuation.
fn normalize(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_users_own_words_count() {
        let history = [
            Message::user("Yesterday I ran a 2-hour pricing workshop with the VP."),
            Message::Assistant {
                content: Some("Great: I ran the numbers for you.".into()),
                tool_calls: Vec::new(),
            },
        ];
        let words = UserWords::new(&history, Some("Also: wrote three PRDs (4 h)."));
        assert!(words.contain("\"I ran a 2-hour  pricing workshop\""));
        assert!(words.contain("wrote three PRDs (4 h)"));
        assert!(!words.contain("I ran the numbers"), "assistant text");
        assert!(!words.contain("pricing workshop"), "too short");
        assert!(!words.contain("I ran a 3-hour pricing workshop"));
        assert!(!UserWords::default().contain("anything at all here"));
    }
}
