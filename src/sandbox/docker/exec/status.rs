//! What a call's streams say: the wrapper's status lines (exit, timeout, OOM counts) and the
//! command's output decoded for live display. Shared by the `docker exec` path and the agent.

use super::{START_TAG, STATUS_CAP, STATUS_TAG, TIMEOUT_TAG};

/// What the wrapper reported.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct StatusReport {
    /// `None` when the status line never came.
    pub(crate) exit: Option<i32>,
    pub(crate) timed_out: bool,
    /// From the start line (`Some` once the command was about to start) or the status line.
    pub(crate) oom_before: Option<u64>,
    pub(crate) oom_after: u64,
    /// Other text the wrapper's shell wrote (its own errors).
    pub(crate) other: String,
}

/// The wrapper's stderr, bounded.
pub(crate) struct StatusLines {
    nonce: String,
    pub(crate) bytes: Vec<u8>,
}

impl StatusLines {
    pub(crate) fn new(nonce: &str) -> Self {
        Self {
            nonce: nonce.to_string(),
            bytes: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        let room = STATUS_CAP.saturating_sub(self.bytes.len());
        if room >= chunk.len() {
            self.bytes.extend_from_slice(chunk);
        } else {
            // Keep the end: the status line is always written last.
            self.bytes.extend_from_slice(chunk);
            let excess = self.bytes.len() - STATUS_CAP;
            self.bytes.drain(..excess);
        }
    }

    /// Only the last status line counts: the wrapper writes it after everything else is dead,
    /// so a line forged by the command cannot come after it.
    pub(crate) fn finish(self) -> StatusReport {
        let text = String::from_utf8_lossy(&self.bytes);
        let mut report = StatusReport::default();
        let mut other = Vec::new();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let tag = words.next();
            let nonce_ok = words.next() == Some(self.nonce.as_str());
            match tag {
                Some(TIMEOUT_TAG) if nonce_ok => report.timed_out = true,
                Some(START_TAG) if nonce_ok => {
                    let before = words.next().and_then(|w| w.parse().ok());
                    report.oom_before = Some(before.unwrap_or(0));
                }
                Some(STATUS_TAG) if nonce_ok => {
                    let nums: Vec<Option<i64>> = words.map(|w| w.parse().ok()).collect();
                    if let [Some(exit), Some(before), Some(after)] = nums[..] {
                        report.exit = i32::try_from(exit).ok();
                        report.oom_before = Some(u64::try_from(before).unwrap_or(0));
                        report.oom_after = u64::try_from(after).unwrap_or(0);
                    }
                }
                // The wrapper's shell announcing the jobs it killed.
                Some("Killed" | "Terminated") if line.split_whitespace().count() == 1 => {}
                _ if !line.trim().is_empty() => other.push(line.to_string()),
                _ => {}
            }
        }
        if !other.is_empty() {
            report.other = format!("\n{}", other.join("\n"));
        }
        report
    }
}

/// Lossy UTF-8 decoding of a byte stream for display, without splitting characters that span
/// chunk boundaries.
#[derive(Debug, Default)]
pub(crate) struct LiveDecoder {
    carry: Vec<u8>,
}

impl LiveDecoder {
    pub(crate) fn decode(&mut self, bytes: &[u8]) -> String {
        self.carry.extend_from_slice(bytes);
        let complete = self.carry.len() - incomplete_suffix_len(&self.carry);
        let text = String::from_utf8_lossy(&self.carry[..complete]).into_owned();
        self.carry.drain(..complete);
        text
    }
}

/// Length of a UTF-8 sequence cut short at the end of `bytes` (0 when the end is complete).
pub(crate) fn incomplete_suffix_len(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let needed = match byte {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if needed > back { back } else { 0 };
    }
    0
}
