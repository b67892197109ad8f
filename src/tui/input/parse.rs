//! The terminal input parser: bytes in, split across reads any way, [`Input`]s out. Keys,
//! pastes, mouse and focus come out as crossterm's [`Event`]s (the vocabulary the App and its
//! tests speak); the terminal's answers to our questions (cursor position, kitty flags, device
//! attributes) come out as [`Reply`]s, never as keys.
//!
//! It is a byte-at-a-time state machine, so no sequence is ever parsed twice and memory stays
//! bounded: a control sequence longer than [`MAX_SEQUENCE`] is skipped to its final byte
//! without being kept, and a paste keeps at most [`MAX_PASTE`] bytes (the rest is dropped,
//! with a warning). A byte that cannot continue the sequence in progress ends it (skipped, or
//! read as Alt+`[` / Alt+`O` when nothing followed) and is then read on its own, so nothing
//! typed after a malformed sequence is lost. Pasted bytes are text only: escape sequences
//! inside a paste stay in its text until the terminal's `ESC [ 201 ~` ends it.
//!
//! A lone ESC is ambiguous (the Esc key, or the start of a sequence still arriving): the
//! reader asks [`InputParser::waiting_on_escape`] and, when no byte followed within a short
//! time, calls [`InputParser::flush_escape`], which reads it as the key.

use super::csi::{self, Sequence};
use super::keys;
use crossterm::event::{Event, KeyCode, KeyModifiers};

/// Longest control sequence kept (its parameters); a longer one is skipped whole.
pub const MAX_SEQUENCE: usize = 64 * 1024;
/// Most bytes of one paste kept; the rest of the paste is dropped.
pub const MAX_PASTE: usize = 16 * 1024 * 1024;

const PASTE_END: &[u8] = b"\x1b[201~";

/// What the terminal sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A key, paste, mouse or focus event.
    Event(Event),
    /// The terminal's answer to a question we wrote.
    Reply(Reply),
}

/// The terminal's answers to questions (never user input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `ESC [ row ; column R`, here 0-based.
    CursorPosition { row: u16, column: u16 },
    /// `ESC [ ? flags u`: the terminal speaks kitty's keyboard protocol.
    KeyboardFlags(u8),
    /// `ESC [ ? ... c`: the primary device attributes (every terminal answers this).
    DeviceAttributes,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Ground,
    /// ESC seen.
    Escape,
    /// ESC O (SS3) seen.
    Ss3,
    /// ESC [ and the parameter bytes so far.
    Csi(Vec<u8>),
    /// A control sequence longer than [`MAX_SEQUENCE`], skipped up to its final byte.
    CsiTooLong,
    /// ESC [ [ (the Linux console's F1-F5).
    LinuxFunction,
    /// ESC [ M and the raw bytes of an X10 mouse report so far.
    X10Mouse(Vec<u8>),
    /// The bytes of a UTF-8 character so far (`alt`: ESC came before it).
    Utf8 {
        bytes: Vec<u8>,
        alt: bool,
    },
    Paste(Paste),
}

#[derive(Debug, Default)]
struct Paste {
    text: Vec<u8>,
    /// How many bytes of [`PASTE_END`] the last bytes matched.
    matched: usize,
    dropped: usize,
}

impl Paste {
    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_PASTE.saturating_sub(self.text.len());
        let kept = bytes.len().min(room);
        self.text.extend_from_slice(&bytes[..kept]);
        self.dropped += bytes.len() - kept;
    }
}

/// The incremental parser (one per terminal; it keeps an unfinished sequence between reads).
#[derive(Debug, Default)]
pub struct InputParser {
    state: State,
}

impl InputParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Read `bytes`, appending what they complete to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Input>) {
        let mut rest = bytes;
        while let Some((&byte, tail)) = rest.split_first() {
            if let State::Paste(paste) = &mut self.state {
                let used = paste_bytes(paste, rest);
                rest = &rest[used..];
                if paste.matched == PASTE_END.len() {
                    self.end_paste(out);
                }
                continue;
            }
            self.byte(byte, out);
            rest = tail;
        }
    }

    /// Whether the bytes so far end in a lone ESC (or ESC O, ESC [) that is the Esc key (or
    /// Alt+O, Alt+[) unless more bytes follow at once.
    pub fn waiting_on_escape(&self) -> bool {
        match &self.state {
            State::Escape | State::Ss3 => true,
            State::Csi(params) => params.is_empty(),
            _ => false,
        }
    }

    /// No byte followed a lone ESC in time: it was the key.
    pub fn flush_escape(&mut self, out: &mut Vec<Input>) {
        if self.waiting_on_escape() {
            self.end_prefix(out);
        }
    }

    /// Read one byte outside a paste.
    fn byte(&mut self, byte: u8, out: &mut Vec<Input>) {
        match std::mem::take(&mut self.state) {
            State::Ground => self.ground(byte, false, out),
            State::Paste(_) => {} // `feed` hands paste bytes to `paste_bytes`
            State::Escape => match byte {
                b'[' => self.state = State::Csi(Vec::new()),
                b'O' => self.state = State::Ss3,
                // ESC ESC: the first is the Esc key; the second may start a sequence.
                0x1b => {
                    emit_key(out, keys::ascii_key(0x1b), false);
                    self.state = State::Escape;
                }
                _ => self.ground(byte, true, out),
            },
            State::Ss3 => match keys::letter_key(byte) {
                Some(code) => emit_key(out, code.into(), false),
                None if is_printable(byte) => {} // an SS3 key we do not know: skipped
                None => self.interrupted(State::Ss3, byte, out),
            },
            State::Csi(mut params) => match byte {
                b'[' if params.is_empty() => self.state = State::LinuxFunction,
                b'M' if params.is_empty() => self.state = State::X10Mouse(Vec::new()),
                0x20..=0x3f if params.len() >= MAX_SEQUENCE => self.state = State::CsiTooLong,
                0x20..=0x3f => {
                    params.push(byte);
                    self.state = State::Csi(params);
                }
                0x40..=0x7e => match csi::dispatch(&params, byte) {
                    Sequence::Input(input) => out.push(input),
                    Sequence::PasteStart => self.state = State::Paste(Paste::default()),
                    Sequence::Ignored => {}
                },
                _ => self.interrupted(State::Csi(params), byte, out),
            },
            State::CsiTooLong => match byte {
                0x20..=0x3f => self.state = State::CsiTooLong,
                0x40..=0x7e => {}
                _ => self.byte(byte, out),
            },
            State::LinuxFunction => match byte {
                b'A'..=b'E' => emit_key(out, KeyCode::F(byte - b'A' + 1).into(), false),
                _ if is_printable(byte) => {}
                _ => self.byte(byte, out),
            },
            State::X10Mouse(mut bytes) => {
                bytes.push(byte);
                match <[u8; 3]>::try_from(bytes.as_slice()) {
                    Ok(report) => out.extend(csi::x10_mouse(report)),
                    Err(_) => self.state = State::X10Mouse(bytes),
                }
            }
            State::Utf8 { mut bytes, alt } => {
                if byte & 0xc0 != 0x80 {
                    // Not a continuation byte: the character is malformed, the byte new.
                    return self.byte(byte, out);
                }
                bytes.push(byte);
                if bytes.len() < utf8_length(bytes[0]) {
                    self.state = State::Utf8 { bytes, alt };
                } else if let Some(c) = std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|s| s.chars().next())
                {
                    emit_key(out, keys::char_key(c), alt);
                }
            }
        }
    }

    /// A byte with nothing in progress (`alt`: right after an ESC).
    fn ground(&mut self, byte: u8, alt: bool, out: &mut Vec<Input>) {
        match byte {
            0x1b => self.state = State::Escape,
            0x00..=0x7f => emit_key(out, keys::ascii_key(byte), alt),
            _ if utf8_length(byte) > 1 => {
                self.state = State::Utf8 {
                    bytes: vec![byte],
                    alt,
                }
            }
            _ => {} // not a UTF-8 lead byte: skipped
        }
    }

    /// `byte` cannot continue `was`: a bare prefix was Alt+`[`/Alt+`O`, a longer sequence is
    /// skipped; then `byte` is read on its own.
    fn interrupted(&mut self, was: State, byte: u8, out: &mut Vec<Input>) {
        self.state = was;
        if self.waiting_on_escape() {
            self.end_prefix(out);
        }
        self.state = State::Ground;
        self.byte(byte, out);
    }

    /// Read a bare ESC / ESC O / ESC [ as the key it is on its own.
    fn end_prefix(&mut self, out: &mut Vec<Input>) {
        match std::mem::take(&mut self.state) {
            State::Escape => emit_key(out, keys::ascii_key(0x1b), false),
            State::Ss3 => emit_key(out, keys::char_key('O'), true),
            State::Csi(_) => emit_key(out, keys::char_key('['), true),
            other => self.state = other,
        }
    }

    fn end_paste(&mut self, out: &mut Vec<Input>) {
        if let State::Paste(paste) = std::mem::take(&mut self.state) {
            if paste.dropped > 0 {
                tracing::warn!(
                    "a paste of {} bytes was cut to its first {} bytes",
                    paste.text.len() + paste.dropped,
                    paste.text.len()
                );
            }
            let text = String::from_utf8_lossy(&paste.text).into_owned();
            out.push(Input::Event(Event::Paste(text)));
        }
    }
}

/// Take paste bytes from `bytes` up to and including the end marker (or all of them);
/// returns how many were used.
fn paste_bytes(paste: &mut Paste, bytes: &[u8]) -> usize {
    for (i, &byte) in bytes.iter().enumerate() {
        if byte == PASTE_END[paste.matched] {
            paste.matched += 1;
            if paste.matched == PASTE_END.len() {
                return i + 1;
            }
            continue;
        }
        // What looked like the end marker was text after all.
        paste.push(&PASTE_END[..paste.matched]);
        paste.matched = 0;
        if byte == PASTE_END[0] {
            paste.matched = 1;
        } else {
            paste.push(&[byte]);
        }
    }
    bytes.len()
}

fn emit_key(out: &mut Vec<Input>, mut key: crossterm::event::KeyEvent, alt: bool) {
    if alt {
        key.modifiers |= KeyModifiers::ALT;
    }
    out.push(Input::Event(Event::Key(key)));
}

fn is_printable(byte: u8) -> bool {
    (0x20..=0x7e).contains(&byte)
}

/// How many bytes the UTF-8 character starting with `lead` has (1 for a byte that is not a
/// multi-byte lead).
fn utf8_length(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
