//! Bounded capture of tool output: keeps the first and last bytes of a stream of any length
//! (head + tail, with an elision marker in between) in constant memory, and cuts only on UTF-8
//! character boundaries. Used by both sandbox backends and by the file tools (`read`, `grep`,
//! `write`) and the tool registry's safety cap.

use std::collections::VecDeque;

/// Default cap for what a model sees of one tool result.
pub const DEFAULT_MODEL_CAP: usize = 30_000;

/// Collects bytes, remembering at most `head_cap` from the start and `tail_cap` from the end.
#[derive(Debug, Clone)]
pub struct CappedBuffer {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    total: u64,
}

impl CappedBuffer {
    /// A buffer whose rendered text is at most about `cap` bytes: half head, half tail.
    pub fn new(cap: usize) -> Self {
        let head_cap = cap / 2;
        Self::with_split(head_cap, cap - head_cap)
    }

    pub fn with_split(head_cap: usize, tail_cap: usize) -> Self {
        Self {
            head: Vec::with_capacity(head_cap.min(64 * 1024)),
            tail: VecDeque::new(),
            head_cap,
            tail_cap,
            total: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if self.head.len() < self.head_cap {
            let take = (self.head_cap - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        if bytes.is_empty() || self.tail_cap == 0 {
            return;
        }
        if bytes.len() >= self.tail_cap {
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - self.tail_cap..]);
            return;
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_cap);
        self.tail.drain(..overflow);
        self.tail.extend(bytes);
    }

    /// Bytes pushed so far.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// Whether anything was dropped.
    pub fn is_truncated(&self) -> bool {
        self.total > (self.head.len() + self.tail.len()) as u64
    }

    /// The kept text: head, an elision marker naming how much was left out, tail. Invalid
    /// UTF-8 is replaced; a character cut by the head or tail boundary is dropped, not mangled.
    pub fn render(&self) -> String {
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        if !self.is_truncated() {
            let mut all = self.head.clone();
            all.extend_from_slice(&tail);
            return String::from_utf8_lossy(&all).into_owned();
        }
        let head = trim_incomplete_end(&self.head);
        let tail = trim_incomplete_start(&tail);
        let omitted = self.total - (head.len() + tail.len()) as u64;
        format!(
            "{}\n[... {omitted} bytes omitted ...]\n{}",
            String::from_utf8_lossy(head),
            String::from_utf8_lossy(tail)
        )
    }
}

/// Cap a string already in memory to about `cap` bytes, head + tail.
pub fn cap_text(text: &str, cap: usize) -> String {
    if text.len() <= cap {
        return text.to_string();
    }
    let mut buf = CappedBuffer::new(cap);
    buf.push(text.as_bytes());
    buf.render()
}

/// Drop a trailing partial UTF-8 sequence.
fn trim_incomplete_end(bytes: &[u8]) -> &[u8] {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes,
        Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
        Err(_) => bytes,
    }
}

/// Drop leading UTF-8 continuation bytes.
fn trim_incomplete_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .take(3)
        .take_while(|b| (**b & 0b1100_0000) == 0b1000_0000)
        .count();
    &bytes[skip..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_kept_whole() {
        let mut b = CappedBuffer::new(100);
        b.push(b"hello ");
        b.push(b"world");
        assert!(!b.is_truncated());
        assert_eq!(b.render(), "hello world");
    }

    #[test]
    fn long_output_keeps_head_and_tail_in_bounded_memory() {
        let mut b = CappedBuffer::with_split(10, 10);
        for i in 0..100_000u32 {
            b.push(format!("{i:08}\n").as_bytes());
        }
        assert_eq!(b.total_bytes(), 900_000);
        let text = b.render();
        assert!(text.starts_with("00000000\n0"), "{text}");
        assert!(text.ends_with("099999\n"), "{text}");
        assert!(text.contains("[... 899980 bytes omitted ...]"), "{text}");
        assert!(b.tail.len() <= 10 && b.head.len() <= 10);
    }

    #[test]
    fn cuts_only_on_char_boundaries() {
        let s = "é".repeat(100); // 2 bytes each
        let mut b = CappedBuffer::with_split(5, 5);
        b.push(s.as_bytes());
        let text = b.render();
        assert!(!text.contains('\u{FFFD}'), "{text}");
        assert!(text.starts_with("éé\n"));
        assert!(text.ends_with("\néé"));
    }

    #[test]
    fn cap_text_leaves_short_text_alone() {
        assert_eq!(cap_text("abc", 10), "abc");
        assert!(cap_text(&"x".repeat(100), 20).contains("omitted"));
    }
}
