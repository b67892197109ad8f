//! The agent's wire format, both directions: a 13-byte header (kind, call id, payload length,
//! little-endian) then the payload. Pure: encoding and an incremental decoder that accepts bytes
//! split anywhere (Docker's attach stream re-chunks them), table-tested below.

/// Host → agent: run a command (payload: [`RunRequest`] as JSON).
pub const RUN: u8 = b'R';
/// Host → agent: kill every process of a call (payload: the call's nonce).
pub const REAP: u8 = b'K';
/// Agent → host: the agent is up (payload: its protocol version).
pub const READY: u8 = b'Y';
/// Agent → host: a chunk of the command's merged stdout+stderr.
pub const OUT: u8 = b'O';
/// Agent → host: a chunk of the wrapper's own stderr (status lines).
pub const STATUS: u8 = b'S';
/// Agent → host: the wrapper ended (payload: its exit status as i32, 128+signal when killed).
pub const EXIT: u8 = b'X';
/// Agent → host: the agent could not start the call (payload: why, one line).
pub const FAILED: u8 = b'F';

pub const HEADER_LEN: usize = 13;
/// Larger frames are refused: a command is bounded by what a shell accepts, chunks are 64 KiB.
pub const MAX_PAYLOAD: usize = 64 * 1024 * 1024;
/// Bumped when the frames change; host and agent are the same binary, so this only guards
/// against a container started by another harness version.
pub const VERSION: &str = "1";

/// What the host asks the agent to run: the arguments of `wrapper.sh`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunRequest {
    pub nonce: String,
    /// As `sleep` accepts it.
    pub timeout: String,
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub id: u64,
    pub payload: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("a sandbox agent frame of {0} bytes exceeds the limit")]
    TooLarge(usize),
}

pub fn encode(kind: u8, id: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.push(kind);
    out.extend_from_slice(&id.to_le_bytes());
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reassembles frames from arbitrarily split bytes.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, if the buffer holds one.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.buf.len() < HEADER_LEN {
            return Ok(None);
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.buf[1..9]);
        let mut len = [0u8; 4];
        len.copy_from_slice(&self.buf[9..13]);
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_PAYLOAD {
            return Err(FrameError::TooLarge(len));
        }
        if self.buf.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let kind = self.buf[0];
        let payload = self.buf[HEADER_LEN..HEADER_LEN + len].to_vec();
        self.buf.drain(..HEADER_LEN + len);
        Ok(Some(Frame {
            kind,
            id: u64::from_le_bytes(id),
            payload,
        }))
    }

    /// Bytes held that do not yet make a frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// An exit status as the shell reports it: the code, or 128 + the signal that killed it.
pub fn exit_status(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 255,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_any_split() {
        let mut wire = encode(OUT, 7, b"hello");
        wire.extend(encode(EXIT, 7, &3i32.to_le_bytes()));
        wire.extend(encode(READY, 0, b""));
        for split in 0..wire.len() {
            let mut d = Decoder::default();
            let mut frames = Vec::new();
            for part in [&wire[..split], &wire[split..]] {
                d.push(part);
                while let Some(f) = d.next_frame().unwrap() {
                    frames.push(f);
                }
            }
            assert_eq!(frames.len(), 3, "split at {split}");
            assert_eq!(frames[0].payload, b"hello");
            assert_eq!(frames[1].id, 7);
            assert_eq!(frames[1].kind, EXIT);
            assert_eq!(frames[2].kind, READY);
            assert_eq!(d.pending(), 0);
        }
    }

    #[test]
    fn oversized_frames_are_refused() {
        let mut header = vec![OUT];
        header.extend_from_slice(&1u64.to_le_bytes());
        header.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut d = Decoder::default();
        d.push(&header);
        assert_eq!(d.next_frame(), Err(FrameError::TooLarge(u32::MAX as usize)));
    }

    #[test]
    fn exit_statuses() {
        use std::os::unix::process::ExitStatusExt;
        let cases = [(0, 0), (3 << 8, 3), (9, 137), (15, 143)];
        for (raw, expected) in cases {
            let status = std::process::ExitStatus::from_raw(raw);
            assert_eq!(exit_status(status), expected, "raw {raw}");
        }
    }
}
