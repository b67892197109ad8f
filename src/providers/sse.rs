//! Incremental `text/event-stream` decoder (WHATWG HTML §9.2.5/9.2.6), fed raw network chunks.
//!
//! Written here rather than taken from the `eventsource-stream` crate (dropped as a dependency
//! for this reason) because the clients need exactly these guarantees, each pinned by a test
//! below: CR, LF and CRLF line ends, including a CR at the end of one chunk and its LF at the
//! start of the next; UTF-8 decoded per complete line, so a character split across chunks
//! survives; one leading BOM ignored; comments and unknown fields ignored; `data:` lines joined
//! with `\n`; an event without data not dispatched. It works on bytes with `memchr`, so parsing
//! is not the bottleneck of a fast stream.

use super::{ProviderError, ProviderEvent};

/// A provider decoder whose wire is SSE: it interprets one event's `data` at a time, and
/// [`feed_sse`] / [`finish_sse`] supply the framing and the end-of-stream rule they share (a
/// stream that ends before its terminal marker, or in the middle of an event, is
/// `StreamIncomplete`).
pub trait SseWire {
    /// The frame decoder and the buffer its events go into.
    fn framing(&mut self) -> (&mut SseDecoder, &mut Vec<SseEvent>);
    fn on_data(&mut self, data: &str, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError>;
    /// The terminal marker was seen.
    fn finished(&self) -> bool;
    fn provider_name(&self) -> &str;
}

/// Decode a network chunk and interpret every event it completes.
pub fn feed_sse<D: SseWire>(
    decoder: &mut D,
    chunk: &[u8],
    out: &mut Vec<ProviderEvent>,
) -> Result<(), ProviderError> {
    let (sse, events) = decoder.framing();
    sse.feed(chunk, events);
    drain(decoder, out)
}

/// The stream ended: interpret what is left and check that the reply was complete.
pub fn finish_sse<D: SseWire>(
    decoder: &mut D,
    out: &mut Vec<ProviderEvent>,
) -> Result<(), ProviderError> {
    let (sse, events) = decoder.framing();
    sse.finish(events);
    let incomplete = ProviderError::StreamIncomplete {
        provider: decoder.provider_name().to_string(),
    };
    match drain(decoder, out) {
        Err(ProviderError::InvalidResponse { .. }) => Err(incomplete),
        Err(e) => Err(e),
        Ok(()) if decoder.finished() => Ok(()),
        Ok(()) => Err(incomplete),
    }
}

fn drain<D: SseWire>(decoder: &mut D, out: &mut Vec<ProviderEvent>) -> Result<(), ProviderError> {
    // Taken out while interpreting (`on_data` needs the decoder), then put back to reuse it.
    let events = std::mem::take(decoder.framing().1);
    let mut result = Ok(());
    for e in &events {
        result = decoder.on_data(&e.data, out);
        if result.is_err() {
            break;
        }
    }
    let buffer = decoder.framing().1;
    *buffer = events;
    buffer.clear();
    result
}

/// One dispatched event. `event` is empty when the stream gave no `event:` line (the spec's
/// default type `message`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of the current, unfinished line.
    line: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
    event: String,
    /// The previous chunk ended in CR: a LF at the start of the next one belongs to it.
    skip_lf: bool,
    /// Still at the very start of the stream (a BOM may follow).
    at_start: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self {
            at_start: true,
            ..Self::default()
        }
    }

    /// Feed one chunk; complete events are appended to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) {
        if self.at_start {
            // The BOM itself may arrive split; wait until 3 bytes are seen.
            let mut head = std::mem::take(&mut self.line);
            head.extend_from_slice(chunk);
            if head.len() < 3 && b"\xEF\xBB\xBF".starts_with(&head) {
                self.line = head;
                return;
            }
            self.at_start = false;
            let start = if head.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                0
            };
            self.feed_lines(&head[start..], out);
            return;
        }
        if self.skip_lf && !chunk.is_empty() {
            self.skip_lf = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        self.feed_lines(chunk, out);
    }

    fn feed_lines(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) {
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', chunk) {
            let terminator = chunk[pos];
            if self.line.is_empty() {
                self.process_line(&chunk[..pos], out);
            } else {
                self.line.extend_from_slice(&chunk[..pos]);
                let line = std::mem::take(&mut self.line);
                self.process_line(&line, out);
                self.line = line;
                self.line.clear();
            }
            chunk = &chunk[pos + 1..];
            if terminator == b'\r' {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
        }
        self.line.extend_from_slice(chunk);
    }

    /// End of stream: a final line without its terminator is processed and an event still
    /// being built is dispatched (lenient: some servers omit the last blank line).
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, out);
        }
        self.dispatch(out);
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => self.event = String::from_utf8_lossy(value).into_owned(),
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if !self.has_data {
            self.event.clear();
            return;
        }
        let data = match String::from_utf8(std::mem::take(&mut self.data)) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        out.push(SseEvent {
            event: std::mem::take(&mut self.event),
            data,
        });
        self.has_data = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    fn decode_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c, &mut out);
        }
        d.finish(&mut out);
        out
    }

    /// Every split of `input` into two chunks must decode like the whole.
    fn decode_all_splits(input: &[u8]) -> Vec<SseEvent> {
        let whole = decode_chunks(&[input]);
        for i in 0..=input.len() {
            let (a, b) = input.split_at(i);
            assert_eq!(decode_chunks(&[a, b]), whole, "split at {i} of {input:?}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(decode_chunks(&bytes), whole, "byte by byte");
        whole
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, &[u8], Vec<SseEvent>)> = vec![
            (
                "lf",
                b"data: a\n\ndata: b\n\n",
                vec![ev("", "a"), ev("", "b")],
            ),
            (
                "crlf",
                b"data: a\r\n\r\ndata: b\r\n\r\n",
                vec![ev("", "a"), ev("", "b")],
            ),
            (
                "cr",
                b"data: a\r\rdata: b\r\r",
                vec![ev("", "a"), ev("", "b")],
            ),
            (
                "mixed",
                b"data: a\r\n\rdata: b\n\r\n",
                vec![ev("", "a"), ev("", "b")],
            ),
            (
                "multi-line data",
                b"data: a\ndata:b\ndata\n\n",
                vec![ev("", "a\nb\n")],
            ),
            ("one space stripped", b"data:  x\n\n", vec![ev("", " x")]),
            (
                "comments ignored",
                b": OPENROUTER PROCESSING\n\n: x\ndata: a\n\n",
                vec![ev("", "a")],
            ),
            (
                "event names",
                b"event: ping\ndata: {}\n\nevent: message_stop\ndata: {\"t\":1}\n\n",
                vec![ev("ping", "{}"), ev("message_stop", "{\"t\":1}")],
            ),
            (
                "event without data is dropped",
                b"event: x\n\ndata: y\n\n",
                vec![ev("", "y")],
            ),
            (
                "unknown fields ignored",
                b"id: 1\nretry: 5\ndata : z\nfoo\ndata: y\n\n",
                vec![ev("", "y")],
            ),
            (
                "bom at start",
                b"\xEF\xBB\xBFdata: a\n\n",
                vec![ev("", "a")],
            ),
            (
                "bom later is data",
                b"data: a\n\n\xEF\xBB\xBFdata: b\n\n",
                vec![ev("", "a")],
            ),
            (
                "no final blank line",
                b"data: a\n\ndata: [DONE]",
                vec![ev("", "a"), ev("", "[DONE]")],
            ),
            (
                "utf-8",
                "data: Olá 👋\n\n".as_bytes(),
                vec![ev("", "Olá 👋")],
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(decode_all_splits(input), want, "{name}");
        }
    }

    #[test]
    fn invalid_utf8_becomes_replacement_not_panic() {
        let out = decode_chunks(&[b"data: a\xFFb\n\n"]);
        assert_eq!(out, vec![ev("", "a\u{FFFD}b")]);
    }
}
