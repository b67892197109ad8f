//! The parser against the events crossterm 0.28's parser makes of the same bytes (read from
//! its source, `event/sys/unix/parse.rs`), where it makes one; the cases crossterm drops
//! (modifyOtherKeys) or gets wrong (ESC ESC, input after a malformed sequence) as the
//! terminal meant them. Every case is also fed one byte per read, and split at every point.

use super::*;
use crossterm::event::{
    KeyEvent, KeyEventKind, KeyEventState, MediaKeyCode, ModifierKeyCode, MouseButton, MouseEvent,
    MouseEventKind,
};

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const ALT: KeyModifiers = KeyModifiers::ALT;

fn key(code: KeyCode, modifiers: KeyModifiers) -> Input {
    Input::Event(Event::Key(KeyEvent::new(code, modifiers)))
}

fn key_with(code: KeyCode, m: KeyModifiers, kind: KeyEventKind, state: KeyEventState) -> Input {
    Input::Event(Event::Key(KeyEvent::new_with_kind_and_state(
        code, m, kind, state,
    )))
}

fn ch(c: char) -> Input {
    key(KeyCode::Char(c), NONE)
}

fn mouse(kind: MouseEventKind, column: u16, row: u16, modifiers: KeyModifiers) -> Input {
    Input::Event(Event::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers,
    }))
}

fn paste(text: &str) -> Input {
    Input::Event(Event::Paste(text.into()))
}

fn parse(bytes: &[u8]) -> Vec<Input> {
    let mut parser = InputParser::new();
    let mut out = Vec::new();
    parser.feed(bytes, &mut out);
    parser.flush_escape(&mut out);
    out
}

fn parse_in_pieces(bytes: &[u8], split: usize) -> Vec<Input> {
    let mut parser = InputParser::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(split.max(1)) {
        parser.feed(piece, &mut out);
    }
    parser.flush_escape(&mut out);
    out
}

/// Compared by their debug text: crossterm's `KeyEvent` equality ignores Shift on letters.
fn debug(inputs: &[Input]) -> String {
    format!("{inputs:?}")
}

fn table() -> Vec<(&'static [u8], Vec<Input>)> {
    use KeyCode as K;
    let press = KeyEventKind::Press;
    let no_state = KeyEventState::NONE;
    vec![
        // Text and control characters.
        (b"a", vec![ch('a')]),
        (b"A", vec![key(K::Char('A'), SHIFT)]),
        ("é漢🙂".as_bytes(), vec![ch('é'), ch('漢'), ch('🙂')]),
        (b"\r", vec![key(K::Enter, NONE)]),
        (b"\n", vec![key(K::Char('j'), CTRL)]),
        (b"\t", vec![key(K::Tab, NONE)]),
        (b"\x7f", vec![key(K::Backspace, NONE)]),
        (b"\x08", vec![key(K::Char('h'), CTRL)]),
        (
            b"\x01\x1a",
            vec![key(K::Char('a'), CTRL), key(K::Char('z'), CTRL)],
        ),
        (b"\x00", vec![key(K::Char(' '), CTRL)]),
        (
            b"\x1c\x1f",
            vec![key(K::Char('4'), CTRL), key(K::Char('7'), CTRL)],
        ),
        (b"\x1b", vec![key(K::Esc, NONE)]),
        // Alt as an ESC prefix.
        (b"\x1ba", vec![key(K::Char('a'), ALT)]),
        (b"\x1bA", vec![key(K::Char('A'), SHIFT | ALT)]),
        (b"\x1b\r", vec![key(K::Enter, ALT)]),
        (b"\x1b\x7f", vec![key(K::Backspace, ALT)]),
        (b"\x1b\x01", vec![key(K::Char('a'), CTRL | ALT)]),
        ("\x1bé".as_bytes(), vec![key(K::Char('é'), ALT)]),
        (b"\x1b\x1b", vec![key(K::Esc, NONE), key(K::Esc, NONE)]),
        (b"\x1b\x1b[A", vec![key(K::Esc, NONE), key(K::Up, NONE)]),
        // Bare prefixes with nothing after them.
        (b"\x1bO", vec![key(K::Char('O'), SHIFT | ALT)]),
        (b"\x1b[", vec![key(K::Char('['), ALT)]),
        (
            b"\x1b[\r",
            vec![key(K::Char('['), ALT), key(K::Enter, NONE)],
        ),
        // Cursor keys, SS3 and CSI, with xterm modifiers.
        (
            b"\x1b[A\x1b[B\x1b[C\x1b[D",
            vec![
                key(K::Up, NONE),
                key(K::Down, NONE),
                key(K::Right, NONE),
                key(K::Left, NONE),
            ],
        ),
        (
            b"\x1bOA\x1bOD\x1bOH\x1bOF",
            vec![
                key(K::Up, NONE),
                key(K::Left, NONE),
                key(K::Home, NONE),
                key(K::End, NONE),
            ],
        ),
        (b"\x1b[H\x1b[F", vec![key(K::Home, NONE), key(K::End, NONE)]),
        (b"\x1b[1;5A", vec![key(K::Up, CTRL)]),
        (b"\x1b[1;2D", vec![key(K::Left, SHIFT)]),
        (b"\x1b[1;3H", vec![key(K::Home, ALT)]),
        (b"\x1b[1;6F", vec![key(K::End, SHIFT | CTRL)]),
        (b"\x1b[5A", vec![key(K::Up, CTRL)]),
        (
            b"\x1b[1;5:3A",
            vec![key_with(K::Up, CTRL, KeyEventKind::Release, no_state)],
        ),
        // Editing keys and function keys.
        (
            b"\x1b[2~\x1b[3~",
            vec![key(K::Insert, NONE), key(K::Delete, NONE)],
        ),
        (
            b"\x1b[1~\x1b[4~\x1b[7~\x1b[8~",
            vec![
                key(K::Home, NONE),
                key(K::End, NONE),
                key(K::Home, NONE),
                key(K::End, NONE),
            ],
        ),
        (
            b"\x1b[5~\x1b[6~",
            vec![key(K::PageUp, NONE), key(K::PageDown, NONE)],
        ),
        (b"\x1b[3;5~", vec![key(K::Delete, CTRL)]),
        (b"\x1b[5;3~", vec![key(K::PageUp, ALT)]),
        (
            b"\x1bOP\x1bOQ\x1bOR\x1bOS",
            vec![
                key(K::F(1), NONE),
                key(K::F(2), NONE),
                key(K::F(3), NONE),
                key(K::F(4), NONE),
            ],
        ),
        (
            b"\x1b[P\x1b[Q\x1b[S",
            vec![key(K::F(1), NONE), key(K::F(2), NONE), key(K::F(4), NONE)],
        ),
        (b"\x1b[1;2P", vec![key(K::F(1), SHIFT)]),
        (
            b"\x1b[15~\x1b[17~\x1b[21~\x1b[23~\x1b[24~",
            vec![
                key(K::F(5), NONE),
                key(K::F(6), NONE),
                key(K::F(10), NONE),
                key(K::F(11), NONE),
                key(K::F(12), NONE),
            ],
        ),
        (b"\x1b[24;5~", vec![key(K::F(12), CTRL)]),
        (
            b"\x1b[[A\x1b[[E",
            vec![key(K::F(1), NONE), key(K::F(5), NONE)],
        ),
        (b"\x1b[Z", vec![key(K::BackTab, SHIFT)]),
        // Kitty / fixterms CSI u.
        (b"\x1b[13;2u", vec![key(K::Enter, SHIFT)]),
        (b"\x1b[13;5u", vec![key(K::Enter, CTRL)]),
        (b"\x1b[97;5u", vec![key(K::Char('a'), CTRL)]),
        (b"\x1b[97u", vec![ch('a')]),
        (b"\x1b[27u", vec![key(K::Esc, NONE)]),
        (b"\x1b[9;2u", vec![key(K::BackTab, SHIFT)]),
        (b"\x1b[127;3u", vec![key(K::Backspace, ALT)]),
        (
            b"\x1b[97;1:2u",
            vec![key_with(K::Char('a'), NONE, KeyEventKind::Repeat, no_state)],
        ),
        (
            b"\x1b[97;1:3u",
            vec![key_with(
                K::Char('a'),
                NONE,
                KeyEventKind::Release,
                no_state,
            )],
        ),
        (b"\x1b[97:65;2u", vec![key(K::Char('A'), NONE)]),
        (
            b"\x1b[97;65u",
            vec![key_with(
                K::Char('a'),
                NONE,
                press,
                KeyEventState::CAPS_LOCK,
            )],
        ),
        (
            b"\x1b[57399u",
            vec![key_with(K::Char('0'), NONE, press, KeyEventState::KEYPAD)],
        ),
        (
            b"\x1b[57414;2u",
            vec![key_with(K::Enter, SHIFT, press, KeyEventState::KEYPAD)],
        ),
        (b"\x1b[57376u", vec![key(K::F(13), NONE)]),
        (
            b"\x1b[57428u",
            vec![key(K::Media(MediaKeyCode::Play), NONE)],
        ),
        (
            b"\x1b[57441;2u",
            vec![key(K::Modifier(ModifierKeyCode::LeftShift), SHIFT)],
        ),
        (
            b"\x1b[57443u",
            vec![key(K::Modifier(ModifierKeyCode::LeftAlt), ALT)],
        ),
        // xterm modifyOtherKeys (crossterm drops these).
        (b"\x1b[27;2;13~", vec![key(K::Enter, SHIFT)]),
        (b"\x1b[27;5;13~", vec![key(K::Enter, CTRL)]),
        (b"\x1b[27;3;97~", vec![key(K::Char('a'), ALT)]),
        (b"\x1b[27;6;65~", vec![key(K::Char('A'), SHIFT | CTRL)]),
        (b"\x1b[27;2;9~", vec![key(K::BackTab, SHIFT)]),
        (b"\x1b[27;5;27~", vec![key(K::Esc, CTRL)]),
        (b"\x1b[27;2;32~", vec![key(K::Char(' '), SHIFT)]),
        ("\x1b[27;3;28450~".as_bytes(), vec![key(K::Char('漢'), ALT)]),
        // Bracketed paste: raw text, line ends as sent, escape sequences kept as text.
        (b"\x1b[200~hello\x1b[201~", vec![paste("hello")]),
        (
            b"\x1b[200~a\r\nb\rc\nd\x1b[201~",
            vec![paste("a\r\nb\rc\nd")],
        ),
        (
            b"\x1b[200~x\x1b[Ay\x1b[201z\x1b[201~",
            vec![paste("x\x1b[Ay\x1b[201z")],
        ),
        (b"\x1b[200~\x1b\x1b[201~", vec![paste("\x1b")]),
        (b"\x1b[200~\x1b[201~", vec![paste("")]),
        (b"\x1b[200~\xff\x1b[201~", vec![paste("\u{fffd}")]),
        (
            b"\x1b[200~\x03\x1b[201~\x03",
            vec![paste("\x03"), key(K::Char('c'), CTRL)],
        ),
        // An early end marker ends the paste: what follows is typed, as the protocol says.
        (
            b"\x1b[200~a\x1b[201~\x1b[13;2u",
            vec![paste("a"), key(K::Enter, SHIFT)],
        ),
        // SGR mouse, 1-based to 0-based.
        (
            b"\x1b[<0;10;5M",
            vec![mouse(MouseEventKind::Down(MouseButton::Left), 9, 4, NONE)],
        ),
        (
            b"\x1b[<0;10;5m",
            vec![mouse(MouseEventKind::Up(MouseButton::Left), 9, 4, NONE)],
        ),
        (
            b"\x1b[<2;1;1M",
            vec![mouse(MouseEventKind::Down(MouseButton::Right), 0, 0, NONE)],
        ),
        (
            b"\x1b[<32;3;4M",
            vec![mouse(MouseEventKind::Drag(MouseButton::Left), 2, 3, NONE)],
        ),
        (
            b"\x1b[<35;3;4M",
            vec![mouse(MouseEventKind::Moved, 2, 3, NONE)],
        ),
        (
            b"\x1b[<64;1;2M",
            vec![mouse(MouseEventKind::ScrollUp, 0, 1, NONE)],
        ),
        (
            b"\x1b[<65;1;2M",
            vec![mouse(MouseEventKind::ScrollDown, 0, 1, NONE)],
        ),
        (
            b"\x1b[<80;1;2M",
            vec![mouse(MouseEventKind::ScrollUp, 0, 1, CTRL)],
        ),
        (
            b"\x1b[<12;1;2M",
            vec![mouse(
                MouseEventKind::Down(MouseButton::Left),
                0,
                1,
                SHIFT | ALT,
            )],
        ),
        (
            b"\x1b[<0;0;0M",
            vec![mouse(MouseEventKind::Down(MouseButton::Left), 0, 0, NONE)],
        ),
        (
            b"\x1b[32;10;5M",
            vec![mouse(MouseEventKind::Down(MouseButton::Left), 9, 4, NONE)],
        ),
        (
            b"\x1b[M !\"",
            vec![mouse(MouseEventKind::Down(MouseButton::Left), 0, 1, NONE)],
        ),
        // Focus.
        (
            b"\x1b[I\x1b[O",
            vec![
                Input::Event(Event::FocusGained),
                Input::Event(Event::FocusLost),
            ],
        ),
        // The terminal's answers.
        (
            b"\x1b[12;40R",
            vec![Input::Reply(Reply::CursorPosition {
                row: 11,
                column: 39,
            })],
        ),
        (b"\x1b[?1u", vec![Input::Reply(Reply::KeyboardFlags(1))]),
        (b"\x1b[?62;22c", vec![Input::Reply(Reply::DeviceAttributes)]),
        // Unknown or malformed sequences are skipped whole; what follows is kept.
        (b"\x1b[99~x", vec![ch('x')]),
        (b"\x1b[1;2;3;4;5Xx", vec![ch('x')]),
        (b"\x1b[>0;1;2cx", vec![ch('x')]),
        (b"\x1b[1 qx", vec![ch('x')]),
        (b"\x1b[99999999999~x", vec![ch('x')]),
        (b"\x1b[1;=Ax", vec![ch('x')]),
        (b"\x1b[0;0Rx", vec![ch('x')]),
        (b"\x1b[<128;1;1Mx", vec![ch('x')]),
        (b"\x1b[12\rx", vec![key(K::Enter, NONE), ch('x')]),
        (b"\x1b[12\x1b[Ax", vec![key(K::Up, NONE), ch('x')]),
        (b"\x1bOzx", vec![ch('x')]),
        (b"\x1b[[zx", vec![ch('x')]),
        (b"\x1b[201~x", vec![ch('x')]),
        // Malformed UTF-8 is skipped; the byte after it is read on its own.
        (b"\xffx", vec![ch('x')]),
        (b"\x80x", vec![ch('x')]),
        (b"\xc3x", vec![ch('x')]),
        (b"\xe6\xbcx", vec![ch('x')]),
        (b"\xed\xa0\x80x", vec![ch('x')]),
    ]
}

#[test]
fn every_sequence_reads_as_the_terminal_meant_it() {
    for (bytes, expected) in table() {
        assert_eq!(debug(&parse(bytes)), debug(&expected), "bytes {bytes:?}");
    }
}

#[test]
fn every_sequence_reads_the_same_split_across_reads() {
    for (bytes, expected) in table() {
        for split in 1..bytes.len() {
            assert_eq!(
                debug(&parse_in_pieces(bytes, split)),
                debug(&expected),
                "bytes {bytes:?} in pieces of {split}"
            );
        }
    }
}

#[test]
fn a_lone_escape_waits_for_the_timeout_and_a_sequence_does_not() {
    let mut parser = InputParser::new();
    let mut out = Vec::new();
    parser.feed(b"\x1b", &mut out);
    assert!(out.is_empty());
    assert!(parser.waiting_on_escape());
    parser.feed(b"[", &mut out);
    assert!(parser.waiting_on_escape(), "ESC [ alone is still Alt+[");
    parser.feed(b"1", &mut out);
    assert!(
        !parser.waiting_on_escape(),
        "a sequence with numbers waits for its end"
    );
    parser.flush_escape(&mut out);
    assert!(out.is_empty());
    parser.feed(b";2u", &mut out);
    assert_eq!(out, vec![key(KeyCode::Char('\u{1}'), SHIFT)]);
}

#[test]
fn an_escape_flushed_by_the_timeout_is_the_esc_key() {
    let mut parser = InputParser::new();
    let mut out = Vec::new();
    parser.feed(b"ab\x1b", &mut out);
    assert_eq!(out, vec![ch('a'), ch('b')]);
    parser.flush_escape(&mut out);
    assert_eq!(out.last(), Some(&key(KeyCode::Esc, NONE)));
    assert!(!parser.waiting_on_escape());
    out.clear();
    parser.feed(b"[A", &mut out);
    assert_eq!(out, vec![ch('['), key(KeyCode::Char('A'), SHIFT)]);
}

#[test]
fn a_paste_spans_reads_and_its_end_marker_may_be_split() {
    let mut parser = InputParser::new();
    let mut out = Vec::new();
    for piece in [
        &b"\x1b[20"[..],
        b"0~line one\r",
        b"\nline two\x1b",
        b"[20",
        b"1~x",
    ] {
        parser.feed(piece, &mut out);
        assert!(!parser.waiting_on_escape());
    }
    assert_eq!(out, vec![paste("line one\r\nline two"), ch('x')]);
}

#[test]
fn a_paste_larger_than_the_cap_is_cut_and_the_input_after_it_is_kept() {
    let mut parser = InputParser::new();
    let mut out = Vec::new();
    parser.feed(b"\x1b[200~", &mut out);
    let chunk = vec![b'p'; 1024 * 1024];
    for _ in 0..(MAX_PASTE / chunk.len() + 2) {
        parser.feed(&chunk, &mut out);
    }
    parser.feed(b"\x1b[201~z", &mut out);
    assert_eq!(out.len(), 2);
    match &out[0] {
        Input::Event(Event::Paste(text)) => assert_eq!(text.len(), MAX_PASTE),
        other => panic!("expected a paste, got {other:?}"),
    }
    assert_eq!(out[1], ch('z'));
}

#[test]
fn an_endless_sequence_is_not_kept_and_the_input_after_it_is() {
    let mut parser = InputParser::new();
    let mut out = Vec::new();
    parser.feed(b"\x1b[", &mut out);
    let digits = vec![b'1'; 1024 * 1024];
    for _ in 0..10 {
        parser.feed(&digits, &mut out);
    }
    match &parser.state {
        State::CsiTooLong => {}
        other => panic!(
            "an overlong sequence is not kept: {:?}",
            std::mem::discriminant(other)
        ),
    }
    parser.feed(b"~ok", &mut out);
    assert_eq!(out, vec![ch('o'), ch('k')]);
}

#[test]
fn a_sequence_at_the_cap_is_still_read() {
    let mut bytes = b"\x1b[".to_vec();
    bytes.extend(std::iter::repeat_n(b'0', MAX_SEQUENCE - 4));
    bytes.extend_from_slice(b"13;2u");
    assert_eq!(parse(&bytes), vec![key(KeyCode::Enter, SHIFT)]);
}
