//! Server-sent events, decoded in one pass: each byte is scanned once, so an
//! event of any size costs linear time (a general parser that re-reads its
//! whole buffer on every chunk took over 20 s on one 8 MB event), and memory
//! is bounded by the transport's size cap.

/// Splits a byte stream into the `data` of each event.
#[derive(Debug, Default)]
pub(super) struct SseDecoder {
    pending: Vec<u8>,
    scanned: usize,
    data: Option<String>,
}

impl SseDecoder {
    /// Takes the next bytes; returns the data of every event they complete.
    pub(super) fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(offset) = self.pending[self.scanned..]
            .iter()
            .position(|&b| b == b'\n')
        {
            let end = self.scanned + offset;
            let line = &self.pending[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(event) = field(&mut self.data, line) {
                events.push(event);
            }
            start = end + 1;
            self.scanned = start;
        }
        self.pending.drain(..start);
        // What is left holds no line break: the next push scans only its own bytes.
        self.scanned = self.pending.len();
        events
    }
}

/// One line: a field, a comment, or the blank line that ends an event (whose
/// data it returns).
fn field(data: &mut Option<String>, line: &[u8]) -> Option<String> {
    if line.is_empty() {
        return data.take();
    }
    let text = String::from_utf8_lossy(line);
    let (field, value) = match text.split_once(':') {
        Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
        None => (text.as_ref(), ""),
    };
    if field == "data" {
        match data {
            Some(data) => {
                data.push('\n');
                data.push_str(value);
            }
            None => *data = Some(value.to_string()),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_on_blank_lines_across_chunks() {
        let mut decoder = SseDecoder::default();
        assert!(decoder.push(b"data: {\"a\"").is_empty());
        assert!(decoder.push(b":1}\r\n").is_empty());
        assert_eq!(
            decoder.push(b"\r\ndata: [DONE]\n\n"),
            ["{\"a\":1}", "[DONE]"]
        );
    }

    #[test]
    fn comments_and_other_fields_are_skipped_and_data_lines_joined() {
        let mut decoder = SseDecoder::default();
        let events = decoder.push(b": keep-alive\n\nevent: x\nid: 7\ndata: one\ndata:two\n\n");
        assert_eq!(events, ["one\ntwo"]);
    }

    #[test]
    fn a_long_line_is_scanned_once() {
        let mut decoder = SseDecoder::default();
        decoder.push(b"data: ");
        for _ in 0..256 {
            assert!(decoder.push(&[b'a'; 4096]).is_empty());
        }
        assert_eq!(decoder.scanned, decoder.pending.len());
        let events = decoder.push(b"\n\n");
        assert_eq!(events[0].len(), 256 * 4096);
    }
}
