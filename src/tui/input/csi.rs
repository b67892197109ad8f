//! What a complete control sequence (`ESC [ params final`) means: keys with xterm modifiers,
//! kitty's CSI u, xterm's modifyOtherKeys (`CSI 27 ; mod ; code ~`), mouse reports (SGR, rxvt,
//! X10), focus, the start of a bracketed paste, and the terminal's answers to our questions
//! (cursor position, kitty flags, device attributes). Anything else, or a sequence whose
//! numbers do not parse, is [`Sequence::Ignored`]: skipped whole, never a key.

use super::keys;
use super::parse::{Input, Reply};
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers, MouseButton, MouseEvent,
    MouseEventKind,
};

/// What a control sequence turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sequence {
    Input(Input),
    /// `CSI 200 ~`: the bytes up to `CSI 201 ~` are pasted text.
    PasteStart,
    Ignored,
}

/// The meaning of `ESC [ params final` (`params`: the bytes between `[` and the final byte).
pub fn dispatch(params: &[u8], final_byte: u8) -> Sequence {
    if params.iter().any(|b| (0x20..=0x2f).contains(b)) {
        // Intermediate bytes: no key or answer we know has them.
        return Sequence::Ignored;
    }
    let found = match params.first() {
        Some(b'<') if matches!(final_byte, b'M' | b'm') => {
            fields(&params[1..]).and_then(|f| sgr_mouse(&f, final_byte == b'm'))
        }
        Some(b'?') if final_byte == b'u' => fields(&params[1..]).map(|f| {
            let flags = number(&f, 0, 0).unwrap_or(0);
            Input::Reply(Reply::KeyboardFlags(u8::try_from(flags).unwrap_or(u8::MAX)))
        }),
        Some(b'?') if final_byte == b'c' => Some(Input::Reply(Reply::DeviceAttributes)),
        Some(b'<'..=b'?') => None,
        _ => fields(params).and_then(|f| numbered(&f, final_byte)),
    };
    match found {
        Some(input) => Sequence::Input(input),
        None if final_byte == b'~'
            && fields(params).and_then(|f| number(&f, 0, 0)) == Some(200) =>
        {
            Sequence::PasteStart
        }
        None => Sequence::Ignored,
    }
}

/// The parameter fields: `;`-separated, each a `:`-separated list (an empty one is `None`).
/// `None` when a field is not a number (or does not fit in a `u32`).
type Fields = Vec<Vec<Option<u32>>>;

fn fields(params: &[u8]) -> Option<Fields> {
    if params.is_empty() {
        return Some(Vec::new());
    }
    params
        .split(|b| *b == b';')
        .map(|field| {
            field
                .split(|b| *b == b':')
                .map(|sub| {
                    if sub.is_empty() {
                        return Some(None);
                    }
                    std::str::from_utf8(sub).ok()?.parse::<u32>().ok().map(Some)
                })
                .collect()
        })
        .collect()
}

/// Field `i`'s sub-parameter `j`, if present.
fn number(fields: &Fields, i: usize, j: usize) -> Option<u32> {
    fields.get(i)?.get(j).copied().flatten()
}

/// The modifiers, event kind and lock state of field `i` (`mask:kind`; absent: none, press).
fn modifier_field(fields: &Fields, i: usize) -> (KeyModifiers, KeyEventKind, KeyEventState) {
    match number(fields, i, 0) {
        Some(mask) => (
            keys::modifiers(mask),
            keys::kind(number(fields, i, 1).unwrap_or(1)),
            keys::lock_state(mask),
        ),
        None => (KeyModifiers::NONE, KeyEventKind::Press, KeyEventState::NONE),
    }
}

fn key(
    code: KeyCode,
    modifiers: KeyModifiers,
    kind: KeyEventKind,
    state: KeyEventState,
) -> Option<Input> {
    Some(Input::Event(Event::Key(KeyEvent::new_with_kind_and_state(
        code, modifiers, kind, state,
    ))))
}

/// Sequences without a private marker, by their final byte.
fn numbered(f: &Fields, final_byte: u8) -> Option<Input> {
    match final_byte {
        b'Z' if f.is_empty() => key(
            KeyCode::BackTab,
            KeyModifiers::SHIFT,
            KeyEventKind::Press,
            KeyEventState::NONE,
        ),
        b'I' if f.is_empty() => Some(Input::Event(Event::FocusGained)),
        b'O' if f.is_empty() => Some(Input::Event(Event::FocusLost)),
        b'R' if !f.is_empty() => {
            // ESC [ row ; column R, 1-based. (Shift+F3 as `CSI 1;2R` reads the same: crossterm
            // takes it for the answer too, and kitty sends F3 as `CSI 13~`.)
            let row = number(f, 0, 0)?.checked_sub(1)?;
            let column = number(f, 1, 0)?.checked_sub(1)?;
            Some(Input::Reply(Reply::CursorPosition {
                row: u16::try_from(row).ok()?,
                column: u16::try_from(column).ok()?,
            }))
        }
        // Not F3: `CSI R` without numbers is no key crossterm knows either.
        b'R' => None,
        b'M' if !f.is_empty() => rxvt_mouse(f),
        b'~' => tilde(f),
        b'u' => csi_u(f),
        letter => {
            let code = keys::letter_key(letter)?;
            let (modifiers, kind, _) = match f.len() {
                // `CSI 5A`: crossterm reads a lone number as the modifier.
                1 => (
                    keys::modifiers(number(f, 0, 0)?),
                    KeyEventKind::Press,
                    KeyEventState::NONE,
                ),
                _ => modifier_field(f, 1),
            };
            key(code, modifiers, kind, KeyEventState::NONE)
        }
    }
}

/// `CSI number ; modifiers ~`: editing and function keys, and modifyOtherKeys' `27`.
fn tilde(f: &Fields) -> Option<Input> {
    let first = number(f, 0, 0)?;
    if first == 27 {
        // xterm modifyOtherKeys: CSI 27 ; modifiers ; code point ~
        let (modifiers, _, state) = modifier_field(f, 1);
        return code_point(
            number(f, 2, 0)?,
            None,
            modifiers,
            KeyEventKind::Press,
            state,
        );
    }
    let code = keys::tilde_key(first)?;
    let (modifiers, kind, state) = modifier_field(f, 1);
    key(code, modifiers, kind, state)
}

/// Kitty's `CSI code:shifted ; modifiers:kind u` (and the older fixterms `CSI code ; mod u`).
fn csi_u(f: &Fields) -> Option<Input> {
    let code = number(f, 0, 0)?;
    let shifted = number(f, 0, 1);
    let (modifiers, kind, state) = modifier_field(f, 1);
    code_point(code, shifted, modifiers, kind, state)
}

/// The key of a code point with its modifiers, as crossterm reads a CSI u key: a modifier key
/// sets its own modifier; with Shift, the shifted key (when reported) replaces the key.
fn code_point(
    code: u32,
    shifted: Option<u32>,
    mut modifiers: KeyModifiers,
    kind: KeyEventKind,
    lock_state: KeyEventState,
) -> Option<Input> {
    let (mut keycode, key_state) = keys::code_point_key(code, modifiers)?;
    if let KeyCode::Modifier(modifier_key) = keycode {
        modifiers |= keys::modifier_of_key(modifier_key);
    }
    if modifiers.contains(KeyModifiers::SHIFT) {
        if let Some(c) = shifted.and_then(char::from_u32) {
            keycode = KeyCode::Char(c);
            modifiers.remove(KeyModifiers::SHIFT);
        }
    }
    key(keycode, modifiers, kind, key_state | lock_state)
}

/// `CSI < button ; column ; row M` (pressed) or `m` (released), 1-based.
fn sgr_mouse(f: &Fields, released: bool) -> Option<Input> {
    let cb = u8::try_from(number(f, 0, 0)?).ok()?;
    let (kind, modifiers) = mouse_button(cb)?;
    let kind = match kind {
        MouseEventKind::Down(button) if released => MouseEventKind::Up(button),
        other => other,
    };
    mouse(kind, modifiers, number(f, 1, 0)?, number(f, 2, 0)?)
}

/// rxvt's `CSI button+32 ; column ; row M`.
fn rxvt_mouse(f: &Fields) -> Option<Input> {
    let cb = u8::try_from(number(f, 0, 0)?).ok()?.checked_sub(32)?;
    let (kind, modifiers) = mouse_button(cb)?;
    mouse(kind, modifiers, number(f, 1, 0)?, number(f, 2, 0)?)
}

/// X10's `CSI M` followed by three bytes, each a value + 32.
pub fn x10_mouse(bytes: [u8; 3]) -> Option<Input> {
    let (kind, modifiers) = mouse_button(bytes[0].checked_sub(32)?)?;
    let at = |b: u8| u32::from(b.saturating_sub(32));
    mouse(kind, modifiers, at(bytes[1]), at(bytes[2]))
}

/// A mouse event at a 1-based column and row (reported 0-based, as crossterm does).
fn mouse(kind: MouseEventKind, modifiers: KeyModifiers, column: u32, row: u32) -> Option<Input> {
    let zero_based = |n: u32| u16::try_from(n.saturating_sub(1)).ok();
    Some(Input::Event(Event::Mouse(MouseEvent {
        kind,
        column: zero_based(column)?,
        row: zero_based(row)?,
        modifiers,
    })))
}

/// The button byte: button number (bits 0-1 and 6-7), Shift/Alt/Ctrl (bits 2-4), drag (bit 5).
fn mouse_button(cb: u8) -> Option<(MouseEventKind, KeyModifiers)> {
    let button = (cb & 0b0000_0011) | ((cb & 0b1100_0000) >> 4);
    let dragging = cb & 0b0010_0000 != 0;
    let kind = match (button, dragging) {
        (0, false) => MouseEventKind::Down(MouseButton::Left),
        (1, false) => MouseEventKind::Down(MouseButton::Middle),
        (2, false) => MouseEventKind::Down(MouseButton::Right),
        (0, true) => MouseEventKind::Drag(MouseButton::Left),
        (1, true) => MouseEventKind::Drag(MouseButton::Middle),
        (2, true) => MouseEventKind::Drag(MouseButton::Right),
        (3, false) => MouseEventKind::Up(MouseButton::Left),
        (3..=5, true) => MouseEventKind::Moved,
        (4, false) => MouseEventKind::ScrollUp,
        (5, false) => MouseEventKind::ScrollDown,
        (6, false) => MouseEventKind::ScrollLeft,
        (7, false) => MouseEventKind::ScrollRight,
        _ => return None,
    };
    let mut modifiers = KeyModifiers::NONE;
    if cb & 0b0000_0100 != 0 {
        modifiers |= KeyModifiers::SHIFT;
    }
    if cb & 0b0000_1000 != 0 {
        modifiers |= KeyModifiers::ALT;
    }
    if cb & 0b0001_0000 != 0 {
        modifiers |= KeyModifiers::CONTROL;
    }
    Some((kind, modifiers))
}
