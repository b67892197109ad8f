//! What single bytes, code points and xterm/kitty modifier numbers mean as keys: the tables the
//! parser (`parse.rs`, `csi.rs`) looks keys up in. The mapping is crossterm 0.28's (its private
//! parser is what the App and its tests were written against), so every key reads the same.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers, MediaKeyCode, ModifierKeyCode,
};

/// The key a byte below 0x80 stands for on its own (ESC aside, which the parser decides).
/// Raw mode is assumed: `\n` is Ctrl+J and `0x08` is Ctrl+H, as crossterm reads them.
pub fn ascii_key(byte: u8) -> KeyEvent {
    match byte {
        b'\r' => KeyEvent::from(KeyCode::Enter),
        b'\t' => KeyEvent::from(KeyCode::Tab),
        0x7f => KeyEvent::from(KeyCode::Backspace),
        0x00 => KeyEvent::new(KeyCode::Char(' '), KeyModifiers::CONTROL),
        0x01..=0x1a => KeyEvent::new(
            KeyCode::Char(char::from(byte - 0x01 + b'a')),
            KeyModifiers::CONTROL,
        ),
        0x1b => KeyEvent::from(KeyCode::Esc),
        0x1c..=0x1f => KeyEvent::new(
            KeyCode::Char(char::from(byte - 0x1c + b'4')),
            KeyModifiers::CONTROL,
        ),
        _ => char_key(char::from(byte)),
    }
}

/// A typed character: an uppercase letter carries Shift (as crossterm reports it).
pub fn char_key(c: char) -> KeyEvent {
    let modifiers = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), modifiers)
}

/// The modifiers of an xterm/kitty modifier parameter (1 + a bit mask).
pub fn modifiers(param: u32) -> KeyModifiers {
    let bits = param.saturating_sub(1);
    [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
        (8, KeyModifiers::SUPER),
        (16, KeyModifiers::HYPER),
        (32, KeyModifiers::META),
    ]
    .into_iter()
    .filter(|(bit, _)| bits & bit != 0)
    .fold(KeyModifiers::NONE, |all, (_, m)| all | m)
}

/// Caps Lock / Num Lock from a kitty modifier parameter.
pub fn lock_state(param: u32) -> KeyEventState {
    let bits = param.saturating_sub(1);
    let mut state = KeyEventState::NONE;
    if bits & 64 != 0 {
        state |= KeyEventState::CAPS_LOCK;
    }
    if bits & 128 != 0 {
        state |= KeyEventState::NUM_LOCK;
    }
    state
}

/// A kitty event type (1 press, 2 repeat, 3 release; anything else a press).
pub fn kind(code: u32) -> KeyEventKind {
    match code {
        2 => KeyEventKind::Repeat,
        3 => KeyEventKind::Release,
        _ => KeyEventKind::Press,
    }
}

/// The key of a code point in a CSI u or modifyOtherKeys sequence: kitty's private-use
/// functional keys, the control characters that name keys, or the character itself.
pub fn code_point_key(code: u32, modifiers: KeyModifiers) -> Option<(KeyCode, KeyEventState)> {
    if let Some(found) = functional_key(code) {
        return Some(found);
    }
    let c = char::from_u32(code)?;
    let key = match c {
        '\u{1b}' => KeyCode::Esc,
        '\r' => KeyCode::Enter,
        '\t' if modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        '\t' => KeyCode::Tab,
        '\u{7f}' => KeyCode::Backspace,
        _ => KeyCode::Char(c),
    };
    Some((key, KeyEventState::NONE))
}

/// Kitty's functional keys (code points in the private use area).
fn functional_key(code: u32) -> Option<(KeyCode, KeyEventState)> {
    const KEYPAD_CHARS: &[u8] = b"0123456789./*-+";
    let keypad = |key| Some((key, KeyEventState::KEYPAD));
    let plain = |key| Some((key, KeyEventState::NONE));
    match code {
        57399..=57413 => keypad(KeyCode::Char(char::from(
            KEYPAD_CHARS[(code - 57399) as usize],
        ))),
        57414 => keypad(KeyCode::Enter),
        57415 => keypad(KeyCode::Char('=')),
        57416 => keypad(KeyCode::Char(',')),
        57417 => keypad(KeyCode::Left),
        57418 => keypad(KeyCode::Right),
        57419 => keypad(KeyCode::Up),
        57420 => keypad(KeyCode::Down),
        57421 => keypad(KeyCode::PageUp),
        57422 => keypad(KeyCode::PageDown),
        57423 => keypad(KeyCode::Home),
        57424 => keypad(KeyCode::End),
        57425 => keypad(KeyCode::Insert),
        57426 => keypad(KeyCode::Delete),
        57427 => keypad(KeyCode::KeypadBegin),
        57358 => plain(KeyCode::CapsLock),
        57359 => plain(KeyCode::ScrollLock),
        57360 => plain(KeyCode::NumLock),
        57361 => plain(KeyCode::PrintScreen),
        57362 => plain(KeyCode::Pause),
        57363 => plain(KeyCode::Menu),
        57376..=57398 => plain(KeyCode::F((code - 57376 + 13) as u8)),
        57428..=57440 => plain(KeyCode::Media(media_key(code)?)),
        57441..=57454 => plain(KeyCode::Modifier(modifier_key(code)?)),
        _ => None,
    }
}

fn media_key(code: u32) -> Option<MediaKeyCode> {
    use MediaKeyCode as M;
    const KEYS: [MediaKeyCode; 13] = [
        M::Play,
        M::Pause,
        M::PlayPause,
        M::Reverse,
        M::Stop,
        M::FastForward,
        M::Rewind,
        M::TrackNext,
        M::TrackPrevious,
        M::Record,
        M::LowerVolume,
        M::RaiseVolume,
        M::MuteVolume,
    ];
    KEYS.get(code.checked_sub(57428)? as usize).copied()
}

fn modifier_key(code: u32) -> Option<ModifierKeyCode> {
    use ModifierKeyCode as M;
    const KEYS: [ModifierKeyCode; 14] = [
        M::LeftShift,
        M::LeftControl,
        M::LeftAlt,
        M::LeftSuper,
        M::LeftHyper,
        M::LeftMeta,
        M::RightShift,
        M::RightControl,
        M::RightAlt,
        M::RightSuper,
        M::RightHyper,
        M::RightMeta,
        M::IsoLevel3Shift,
        M::IsoLevel5Shift,
    ];
    KEYS.get(code.checked_sub(57441)? as usize).copied()
}

/// The modifier a modifier key itself sets while it is down (kitty reports it with the key).
pub fn modifier_of_key(key: ModifierKeyCode) -> KeyModifiers {
    use ModifierKeyCode as M;
    match key {
        M::LeftShift | M::RightShift => KeyModifiers::SHIFT,
        M::LeftControl | M::RightControl => KeyModifiers::CONTROL,
        M::LeftAlt | M::RightAlt => KeyModifiers::ALT,
        M::LeftSuper | M::RightSuper => KeyModifiers::SUPER,
        M::LeftHyper | M::RightHyper => KeyModifiers::HYPER,
        M::LeftMeta | M::RightMeta => KeyModifiers::META,
        M::IsoLevel3Shift | M::IsoLevel5Shift => KeyModifiers::NONE,
    }
}

/// The key of a `CSI number ~` sequence (xterm/VT220 editing and function keys).
pub fn tilde_key(number: u32) -> Option<KeyCode> {
    Some(match number {
        1 | 7 => KeyCode::Home,
        2 => KeyCode::Insert,
        3 => KeyCode::Delete,
        4 | 8 => KeyCode::End,
        5 => KeyCode::PageUp,
        6 => KeyCode::PageDown,
        11..=15 => KeyCode::F((number - 10) as u8),
        17..=21 => KeyCode::F((number - 11) as u8),
        23..=26 => KeyCode::F((number - 12) as u8),
        28..=29 => KeyCode::F((number - 15) as u8),
        31..=34 => KeyCode::F((number - 17) as u8),
        _ => return None,
    })
}

/// The key a final letter names in `CSI A`, `CSI 1;5A`, `SS3 A` (arrows, Home/End, F1-F4).
pub fn letter_key(letter: u8) -> Option<KeyCode> {
    Some(match letter {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'F' => KeyCode::End,
        b'H' => KeyCode::Home,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        _ => return None,
    })
}
