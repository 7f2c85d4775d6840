//! Token counting with the model's own encoding (tiktoken's o200k or cl100k),
//! or a conservative estimate for models whose tokenizer we do not have (most
//! local ones). The encoding tables are loaded once, when the counter is made
//! at start-up, never on a request.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, Mutex};

use foldhash::quality::RandomState;

use tiktoken_rs::CoreBPE;
use tiktoken_rs::tokenizer::{Tokenizer, get_tokenizer};

use crate::model::{Message, ToolDefinition};

/// Tokens a message costs beyond its text (role and framing), as OpenAI's
/// cookbook counts them.
pub const PER_MESSAGE: usize = 3;
/// What an image is counted as: OpenAI's charge for a 512-pixel tile at
/// high detail plus the base (765); other providers vary.
pub const TOKENS_PER_IMAGE: usize = 765;
/// Tokens every reply is primed with.
pub const REPLY_PRIMING: usize = 3;
/// Tokens each tool call costs beyond its name and arguments.
const PER_TOOL_CALL: usize = 3;

/// How text becomes tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `o200k_base`: the gpt-4o, gpt-4.1, o-series and gpt-5 families.
    O200k,
    /// `cl100k_base`: gpt-4, gpt-3.5 and older chat models.
    Cl100k,
    /// No tokenizer of the model's own: cl100k's count plus a fifth, which
    /// overcounts the tokenizers of common local models (Llama 3 and Qwen are
    /// close to cl100k; older 32k-vocabulary ones a little less efficient).
    Estimate,
}

impl Encoding {
    /// The encoding a model name implies; [`Encoding::Estimate`] for names
    /// tiktoken does not know.
    pub fn for_model(model: &str) -> Self {
        match get_tokenizer(model) {
            Some(Tokenizer::O200kBase | Tokenizer::O200kHarmony) => Encoding::O200k,
            Some(_) => Encoding::Cl100k,
            None => Encoding::Estimate,
        }
    }

    /// Parses a configured name: `o200k`, `cl100k` or `estimate`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "o200k" | "o200k_base" => Some(Encoding::O200k),
            "cl100k" | "cl100k_base" => Some(Encoding::Cl100k),
            "estimate" => Some(Encoding::Estimate),
            _ => None,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::O200k => "o200k",
            Encoding::Cl100k => "cl100k",
            Encoding::Estimate => "estimate",
        })
    }
}

/// Counts tokens. Cheap to clone: the tables are process-wide, and so is the
/// memo of messages already counted (a session's history is counted once, not
/// on every turn).
#[derive(Clone)]
pub struct TokenCounter {
    encoding: Encoding,
    bpe: &'static CoreBPE,
    /// The memo's keys: a fast hash (a long session's every message is
    /// hashed on every turn), seeded per process so no one can aim a
    /// collision at it.
    keys: RandomState,
    counted: Arc<Mutex<HashMap<u64, usize>>>,
}

/// Messages remembered before the memo starts over.
const MEMO_SIZE: usize = 50_000;

impl fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCounter")
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl TokenCounter {
    /// A counter for `encoding`, its table loaded now.
    pub fn new(encoding: Encoding) -> Self {
        let bpe = match encoding {
            Encoding::O200k => tiktoken_rs::o200k_base_singleton(),
            Encoding::Cl100k | Encoding::Estimate => tiktoken_rs::cl100k_base_singleton(),
        };
        Self {
            encoding,
            bpe,
            keys: RandomState::default(),
            counted: Arc::default(),
        }
    }

    /// The encoding it counts with.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Tokens of a text.
    pub fn text(&self, text: &str) -> usize {
        let tokens = self.bpe.count_ordinary(text);
        match self.encoding {
            Encoding::Estimate => tokens + tokens.div_ceil(5),
            Encoding::O200k | Encoding::Cl100k => tokens,
        }
    }

    /// Tokens of one message, framing included.
    pub fn message(&self, message: &Message) -> usize {
        PER_MESSAGE
            + match message {
                Message::System { content } => self.text(content),
                Message::User { content, images } => {
                    self.text(content) + images.len() * TOKENS_PER_IMAGE
                }
                Message::Assistant {
                    content,
                    tool_calls,
                } => {
                    content.as_deref().map_or(0, |c| self.text(c))
                        + tool_calls
                            .iter()
                            .map(|call| {
                                PER_TOOL_CALL + self.text(&call.name) + self.text(&call.arguments)
                            })
                            .sum::<usize>()
                }
                Message::Tool { content, .. } => self.text(content),
            }
    }

    /// [`TokenCounter::message`], remembered: hashing a message is much
    /// cheaper than encoding it.
    pub fn message_memo(&self, message: &Message) -> usize {
        self.memo(message, || self.message(message))
    }

    /// [`TokenCounter::text`], remembered (for text that recurs, such as a
    /// customer's documents from turn to turn).
    pub fn text_memo(&self, text: &str) -> usize {
        self.memo(text, || self.text(text))
    }

    fn memo(&self, value: &(impl Hash + ?Sized), count: impl FnOnce() -> usize) -> usize {
        let key = self.keys.hash_one(value);
        // std Mutex: held only to look up or insert, never across .await.
        let known = self
            .counted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .copied();
        if let Some(tokens) = known {
            return tokens;
        }
        let tokens = count();
        let mut memo = self.counted.lock().unwrap_or_else(|p| p.into_inner());
        if memo.len() >= MEMO_SIZE {
            memo.clear();
        }
        memo.insert(key, tokens);
        tokens
    }

    /// Tokens of a whole conversation, the reply's priming included.
    pub fn messages(&self, messages: &[Message]) -> usize {
        REPLY_PRIMING + messages.iter().map(|m| self.message(m)).sum::<usize>()
    }

    /// Tokens the tool definitions cost, counted on their JSON (providers
    /// render them more compactly, so this errs on the safe side).
    pub fn tools(&self, tools: &[ToolDefinition]) -> usize {
        if tools.is_empty() {
            return 0;
        }
        serde_json::to_string(tools).map_or(0, |json| self.text(&json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_follows_the_model_family() {
        for model in ["gpt-4o-mini", "gpt-4.1", "o3-mini", "gpt-5"] {
            assert_eq!(Encoding::for_model(model), Encoding::O200k, "{model}");
        }
        for model in ["gpt-4", "gpt-3.5-turbo"] {
            assert_eq!(Encoding::for_model(model), Encoding::Cl100k, "{model}");
        }
        for model in ["llama3.1", "qwen2.5:7b", "mistral"] {
            assert_eq!(Encoding::for_model(model), Encoding::Estimate, "{model}");
        }
        assert_eq!(Encoding::parse("CL100K_base"), Some(Encoding::Cl100k));
        assert_eq!(Encoding::parse("sentencepiece"), None);
    }

    #[test]
    fn counts_are_real_tokens_or_a_safe_estimate() {
        let o200k = TokenCounter::new(Encoding::O200k);
        assert_eq!(o200k.text("hello world"), 2);
        let estimate = TokenCounter::new(Encoding::Estimate);
        assert_eq!(estimate.text("hello world"), 3);
        let text = "The Value Ladder runs from staff augmentation to strategic advisor.";
        assert!(estimate.text(text) >= o200k.text(text));
    }

    #[test]
    fn a_conversation_costs_its_texts_and_framing() {
        let counter = TokenCounter::new(Encoding::O200k);
        let messages = [Message::system("hello world"), Message::user("hello world")];
        assert_eq!(counter.messages(&messages), 3 + 2 * (3 + 2));
    }
}
