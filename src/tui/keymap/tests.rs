use super::*;

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const ALT: KeyModifiers = KeyModifiers::ALT;

/// Every default binding, as (context, key, draft empty, action): the documented keys.
#[test]
fn each_default_binding_maps_to_its_action() {
    use Action as A;
    use KeyCode as K;
    use KeyContext as C;
    let cases: Vec<(C, KeyCode, KeyModifiers, bool, Option<Action>)> = vec![
        (C::Global, K::Char('c'), CTRL, false, Some(A::Cancel)),
        (
            C::Global,
            K::Char('c'),
            CTRL | SHIFT,
            false,
            Some(A::Cancel),
        ),
        (C::Global, K::Char('z'), CTRL, false, Some(A::Suspend)),
        (C::Global, K::Char('c'), NONE, false, None),
        (C::Confirm, K::Char('y'), NONE, false, Some(A::ConfirmSend)),
        (C::Confirm, K::Char('Y'), SHIFT, false, Some(A::ConfirmSend)),
        (C::Confirm, K::Char('n'), NONE, false, Some(A::ConfirmKeep)),
        (C::Confirm, K::Char('N'), SHIFT, false, Some(A::ConfirmKeep)),
        (C::Confirm, K::Esc, NONE, false, Some(A::ConfirmKeep)),
        (C::Confirm, K::Enter, NONE, false, None),
        (C::Approval, K::Char('y'), NONE, false, Some(A::ApproveOnce)),
        (
            C::Approval,
            K::Char('Y'),
            SHIFT,
            false,
            Some(A::ApproveOnce),
        ),
        (
            C::Approval,
            K::Char('a'),
            NONE,
            false,
            Some(A::ApproveAlways),
        ),
        (
            C::Approval,
            K::Char('A'),
            SHIFT,
            false,
            Some(A::ApproveAlways),
        ),
        (
            C::Approval,
            K::Char('p'),
            NONE,
            false,
            Some(A::ApprovePrefix),
        ),
        (
            C::Approval,
            K::Char('P'),
            SHIFT,
            false,
            Some(A::ApprovePrefix),
        ),
        (C::Approval, K::Char('n'), NONE, false, Some(A::Deny)),
        (C::Approval, K::Char('N'), SHIFT, false, Some(A::Deny)),
        (C::Approval, K::Esc, NONE, false, Some(A::Interrupt)),
        (C::Approval, K::Down, NONE, false, Some(A::ScrollLineDown)),
        (C::Approval, K::Up, NONE, false, Some(A::ScrollLineUp)),
        (
            C::Approval,
            K::PageDown,
            NONE,
            false,
            Some(A::ScrollPageDown),
        ),
        (C::Approval, K::PageUp, NONE, false, Some(A::ScrollPageUp)),
        (C::Approval, K::Char('x'), NONE, false, None),
        (C::Main, K::Esc, NONE, false, Some(A::Interrupt)),
        (C::Main, K::Char('d'), CTRL, true, Some(A::Quit)),
        (C::Main, K::Char('d'), CTRL, false, None),
        (C::Main, K::Char('x'), CTRL, false, Some(A::OpenEditor)),
        (C::Main, K::PageUp, NONE, false, Some(A::ScrollPageUp)),
        (C::Main, K::PageDown, NONE, false, Some(A::ScrollPageDown)),
        (C::Main, K::Home, CTRL, false, Some(A::ScrollTop)),
        (C::Main, K::Home, NONE, true, Some(A::ScrollTop)),
        (C::Main, K::Home, NONE, false, None),
        (C::Main, K::End, CTRL, false, Some(A::ScrollBottom)),
        (C::Main, K::End, NONE, true, Some(A::ScrollBottom)),
        (C::Main, K::End, NONE, false, None),
        (C::Popup, K::Up, NONE, false, Some(A::SelectPrev)),
        (C::Popup, K::Down, NONE, false, Some(A::SelectNext)),
        (C::Popup, K::Tab, NONE, false, Some(A::Complete)),
        (C::Popup, K::Enter, NONE, false, Some(A::Accept)),
        (C::Popup, K::Enter, SHIFT, false, None),
        (C::Composer, K::Enter, NONE, false, Some(A::Submit)),
        (C::Composer, K::Enter, SHIFT, false, Some(A::Newline)),
        (C::Composer, K::Enter, ALT, false, Some(A::Newline)),
        (C::Composer, K::Char('j'), CTRL, false, Some(A::Newline)),
        (C::Composer, K::Up, NONE, false, Some(A::HistoryUp)),
        (C::Composer, K::Down, NONE, false, Some(A::HistoryDown)),
        (
            C::Composer,
            K::Char('r'),
            CTRL,
            false,
            Some(A::SearchHistory),
        ),
        (C::Composer, K::Char('r'), NONE, false, None),
    ];
    let keymap = Keymap::default();
    for (context, code, mods, draft_empty, want) in cases {
        let got = keymap.resolve(context, &key(code, mods), KeyState { draft_empty });
        assert_eq!(
            got, want,
            "{context:?} {mods:?}+{code:?} (draft empty: {draft_empty})"
        );
    }
}

#[test]
fn every_default_binding_is_reachable() {
    // A binding hidden behind an earlier one with the same key and context does nothing.
    let keymap = Keymap::default();
    for (i, b) in keymap.bindings().iter().enumerate() {
        let shadowed = keymap.bindings()[..i]
            .iter()
            .any(|e| e.context == b.context && e.key == b.key && e.when == b.when);
        assert!(!shadowed, "{b:?} is shadowed");
    }
}

#[test]
fn key_names_parse_for_a_keys_table() {
    let cases = [
        ("ctrl+s", KeyCode::Char('s'), CTRL),
        ("Ctrl+Shift+K", KeyCode::Char('K'), CTRL | SHIFT),
        ("alt+enter", KeyCode::Enter, ALT),
        ("pageup", KeyCode::PageUp, NONE),
        ("f2", KeyCode::F(2), NONE),
        ("y", KeyCode::Char('y'), NONE),
        ("ctrl++", KeyCode::Char('+'), CTRL),
        ("space", KeyCode::Char(' '), NONE),
    ];
    for (text, code, mods) in cases {
        let pattern: KeyPattern = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(pattern.code, code, "{text}");
        assert!(pattern.matches(&key(code, mods)), "{text}");
        assert!(
            !pattern.matches(&key(code, mods | ALT | SHIFT | CTRL)) || mods == CTRL | SHIFT | ALT
        );
    }
    for bad in ["", "hyper+x", "ctrl+", "pagedownn", "f0"] {
        let err = bad.parse::<KeyPattern>().unwrap_err();
        assert!(err.to_string().contains("unknown key"), "{bad}: {err}");
    }
}

#[test]
fn a_user_binding_wins_over_the_default() {
    let mut keymap = Keymap::default();
    let submit = Action::from_name("submit").unwrap();
    assert_eq!(submit, Action::Submit);
    assert_eq!(
        Action::from_name("scroll_page_up"),
        Some(Action::ScrollPageUp)
    );
    assert_eq!(Action::from_name("nope"), None);
    keymap.bind(KeyContext::Composer, "ctrl+s".parse().unwrap(), submit);
    keymap.bind(
        KeyContext::Composer,
        "enter".parse().unwrap(),
        Action::Newline,
    );
    let state = KeyState::default();
    let resolve = |code, mods| keymap.resolve(KeyContext::Composer, &key(code, mods), state);
    assert_eq!(resolve(KeyCode::Char('s'), CTRL), Some(Action::Submit));
    assert_eq!(resolve(KeyCode::Enter, NONE), Some(Action::Newline));
    assert_eq!(
        resolve(KeyCode::Enter, SHIFT),
        Some(Action::Newline),
        "defaults stay"
    );
}

#[test]
fn every_action_has_a_name_that_finds_it() {
    for action in ACTIONS {
        assert_eq!(Action::from_name(&action.name()), Some(action));
    }
}
