//! Streaming: the deltas an upstream sends, and the assembler that turns them back
//! into one response. Tool calls arrive as fragments (arguments split across
//! chunks, parallel calls interleaved by index, some servers omitting `index` or
//! repeating ids); they are assembled by index and id, and a stream that ends
//! before the model finished never yields a call with partial arguments.

use std::pin::Pin;

use futures::Stream;

use super::{ModelError, ModelResponse, ToolCall, Usage};

/// A stream of deltas from the model.
pub type DeltaStream = Pin<Box<dyn Stream<Item = Result<Delta, ModelError>> + Send>>;

/// One chunk's worth of change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delta {
    /// Text to append.
    pub content: Option<String>,
    /// Tool-call fragments.
    pub tool_calls: Vec<ToolCallFragment>,
    /// Set on the chunk where the model stopped.
    pub finish_reason: Option<String>,
    /// Token usage (usually on the last chunk).
    pub usage: Option<Usage>,
}

/// A piece of a tool call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolCallFragment {
    /// Which call (absent on some servers).
    pub index: Option<u32>,
    /// The call's id (first fragment; some servers repeat it).
    pub id: Option<String>,
    /// The tool's name (first fragment; some servers repeat it).
    pub name: Option<String>,
    /// A piece of the arguments.
    pub arguments: Option<String>,
}

#[derive(Debug, Default)]
struct Partial {
    index: Option<u32>,
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Collects deltas into a [`ModelResponse`].
#[derive(Debug, Default)]
pub struct Assembler {
    content: String,
    calls: Vec<Partial>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
}

impl Assembler {
    /// A fresh assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one delta; returns the text it adds, to forward as it arrives.
    pub fn push(&mut self, delta: Delta) -> Option<String> {
        for fragment in delta.tool_calls {
            let slot = self.slot_for(&fragment);
            let call = &mut self.calls[slot];
            if call.id.is_none() {
                call.id = fragment.id.filter(|id| !id.is_empty());
            }
            if let Some(name) = fragment.name.filter(|n| !n.is_empty()) {
                // Servers that repeat the name on every fragment send it whole.
                if call.name != name {
                    call.name.push_str(&name);
                }
            }
            if let Some(arguments) = fragment.arguments {
                call.arguments.push_str(&arguments);
            }
        }
        if delta.finish_reason.is_some() {
            self.finish_reason = delta.finish_reason;
        }
        if delta.usage.is_some() {
            self.usage = delta.usage;
        }
        let text = delta.content.filter(|t| !t.is_empty())?;
        self.content.push_str(&text);
        Some(text)
    }

    /// Which partial call a fragment continues: by index, else by id, else the
    /// last one; a new index or id starts a new call.
    fn slot_for(&mut self, fragment: &ToolCallFragment) -> usize {
        let id = fragment.id.as_deref().filter(|id| !id.is_empty());
        let found = match (fragment.index, id) {
            (Some(index), _) => self.calls.iter().position(|c| c.index == Some(index)),
            (None, Some(id)) => self.calls.iter().position(|c| c.id.as_deref() == Some(id)),
            (None, None) => self.calls.len().checked_sub(1),
        };
        found.unwrap_or_else(|| {
            self.calls.push(Partial {
                index: fragment.index,
                ..Partial::default()
            });
            self.calls.len() - 1
        })
    }

    /// The whole response. Fails when the stream ended before the model said it
    /// finished, or when it stopped at the token limit in the middle of a tool
    /// call: in both cases the arguments may be partial, so nothing may run.
    pub fn finish(mut self) -> Result<ModelResponse, ModelError> {
        let Some(finish_reason) = self.finish_reason.take() else {
            return Err(ModelError::Incomplete(
                "the stream ended before the model finished".into(),
            ));
        };
        if finish_reason == "length" && !self.calls.is_empty() {
            return Err(ModelError::Incomplete(
                "the model hit its output token limit in the middle of a tool call".into(),
            ));
        }
        // Calls with an index come in index order; others keep arrival order.
        self.calls
            .sort_by_key(|c| c.index.map_or(u64::MAX, u64::from));
        let mut tool_calls = Vec::with_capacity(self.calls.len());
        for call in self.calls {
            if call.name.is_empty() {
                return Err(ModelError::BadResponse);
            }
            tool_calls.push(ToolCall {
                id: call.id.unwrap_or_default(),
                name: call.name,
                arguments: call.arguments,
            });
        }
        Ok(ModelResponse {
            content: (!self.content.is_empty()).then_some(self.content),
            tool_calls,
            usage: self.usage.unwrap_or_default(),
            finish_reason: Some(finish_reason),
        })
    }
}

/// The deltas that stand for a whole response (how a model without real
/// streaming streams).
pub fn single_delta(response: ModelResponse) -> Delta {
    Delta {
        content: response.content,
        tool_calls: response
            .tool_calls
            .into_iter()
            .enumerate()
            .map(|(i, call)| ToolCallFragment {
                index: u32::try_from(i).ok(),
                id: Some(call.id),
                name: Some(call.name),
                arguments: Some(call.arguments),
            })
            .collect(),
        finish_reason: Some(response.finish_reason.unwrap_or_else(|| "stop".into())),
        usage: Some(response.usage),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fragment(index: Option<u32>, id: Option<&str>, name: Option<&str>, args: &str) -> Delta {
        Delta {
            tool_calls: vec![ToolCallFragment {
                index,
                id: id.map(str::to_string),
                name: name.map(str::to_string),
                arguments: Some(args.to_string()),
            }],
            ..Delta::default()
        }
    }

    fn finished(mut assembler: Assembler) -> ModelResponse {
        assembler.push(Delta {
            finish_reason: Some("tool_calls".into()),
            ..Delta::default()
        });
        assembler.finish().expect("complete")
    }

    #[test]
    fn text_is_forwarded_and_collected() {
        let mut a = Assembler::new();
        assert_eq!(
            a.push(Delta {
                content: Some("Hel".into()),
                ..Delta::default()
            })
            .as_deref(),
            Some("Hel")
        );
        assert_eq!(
            a.push(Delta {
                content: Some(String::new()),
                ..Delta::default()
            }),
            None
        );
        a.push(Delta {
            content: Some("lo".into()),
            finish_reason: Some("stop".into()),
            ..Delta::default()
        });
        let response = a.finish().expect("complete");
        assert_eq!(response.content.as_deref(), Some("Hello"));
        assert!(response.tool_calls.is_empty());
    }

    #[test]
    fn interleaved_calls_are_assembled_by_index() {
        let mut a = Assembler::new();
        a.push(fragment(Some(0), Some("a"), Some("one"), ""));
        a.push(fragment(Some(1), Some("b"), Some("two"), ""));
        a.push(fragment(Some(1), None, None, "{\"y\":"));
        a.push(fragment(Some(0), None, None, "{\"x\":"));
        a.push(fragment(Some(0), None, None, "1}"));
        a.push(fragment(Some(1), None, None, "2}"));
        let calls = finished(a).tool_calls;
        assert_eq!(calls[0].arguments, "{\"x\":1}");
        assert_eq!(calls[1].arguments, "{\"y\":2}");
        assert_eq!((calls[0].id.as_str(), calls[1].name.as_str()), ("a", "two"));
    }

    #[test]
    fn missing_indexes_and_repeated_ids_and_names() {
        let mut a = Assembler::new();
        a.push(fragment(None, Some("a"), Some("one"), "{\"x\""));
        a.push(fragment(None, Some("a"), Some("one"), ":1}"));
        a.push(fragment(None, Some("b"), Some("two"), "{}"));
        a.push(fragment(None, None, None, ""));
        let calls = finished(a).tool_calls;
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name, "one");
        assert_eq!(calls[0].arguments, "{\"x\":1}");
        assert_eq!(calls[1].arguments, "{}");
    }

    #[test]
    fn a_cut_stream_never_yields_calls() {
        let mut a = Assembler::new();
        a.push(fragment(Some(0), Some("a"), Some("one"), "{\"x\": 1"));
        assert!(matches!(a.finish(), Err(ModelError::Incomplete(_))));
        let mut a = Assembler::new();
        a.push(fragment(Some(0), Some("a"), Some("one"), "{\"x\": 1"));
        a.push(Delta {
            finish_reason: Some("length".into()),
            ..Delta::default()
        });
        assert!(matches!(a.finish(), Err(ModelError::Incomplete(_))));
    }

    /// Splits `text` into pieces at the given cut points.
    fn split(text: &str, cuts: &[usize]) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (chars.len() + 1)).collect();
        points.push(0);
        points.push(chars.len());
        points.sort_unstable();
        points.dedup();
        points
            .windows(2)
            .map(|w| chars[w[0]..w[1]].iter().collect())
            .collect()
    }

    proptest! {
        #[test]
        fn any_split_and_interleaving_reassembles_the_calls(
            first in "\\PC{0,40}",
            second in "\\PC{0,40}",
            cuts_a in proptest::collection::vec(0usize..64, 0..12),
            cuts_b in proptest::collection::vec(0usize..64, 0..12),
            order in proptest::collection::vec(any::<bool>(), 0..32),
            omit_index in any::<bool>(),
        ) {
            let pieces_a = split(&first, &cuts_a);
            let pieces_b = split(&second, &cuts_b);
            let mut a = Assembler::new();
            a.push(fragment(Some(0), Some("call_a"), Some("alpha"), ""));
            a.push(fragment(Some(1), Some("call_b"), Some("beta"), ""));
            let (mut i, mut j) = (0, 0);
            let mut turn = order.into_iter();
            while i < pieces_a.len() || j < pieces_b.len() {
                let take_a = j >= pieces_b.len() || (i < pieces_a.len() && turn.next().unwrap_or(true));
                if take_a {
                    // Without indexes a server must repeat the id to say which call.
                    let (index, id) = if omit_index { (None, Some("call_a")) } else { (Some(0), None) };
                    a.push(fragment(index, id, None, &pieces_a[i]));
                    i += 1;
                } else {
                    let (index, id) = if omit_index { (None, Some("call_b")) } else { (Some(1), None) };
                    a.push(fragment(index, id, None, &pieces_b[j]));
                    j += 1;
                }
            }
            let calls = finished(a).tool_calls;
            prop_assert_eq!(calls.len(), 2);
            prop_assert_eq!(&calls[0].arguments, &first);
            prop_assert_eq!(&calls[1].arguments, &second);
            prop_assert_eq!(calls[0].name.as_str(), "alpha");
            prop_assert_eq!(calls[1].id.as_str(), "call_b");
        }
    }
}
