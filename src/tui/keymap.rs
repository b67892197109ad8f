//! The keymap as data: what each key does, per context, as a list of [`Binding`]s from a
//! [`KeyPattern`] to an [`Action`]. The App, the composer, the approval dialog and the
//! "send it?" question ask the [`Keymap`] which action a key means and then perform it; no key
//! is named anywhere else except where keys are text (typing a filter, a search, a reason).
//!
//! Defaults reproduce the keys documented in `/help` and README. Patterns and actions have
//! names ([`KeyPattern`]'s `FromStr`, [`Action::from_name`]) and [`Keymap::bind`] puts a
//! binding in front of the defaults; `[keys]` in config.toml is loaded that way (`user.rs`)
//! without touching the handlers (see docs/architecture.md, "tui").

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a key is read. Contexts are tried by the App in this order: global keys first, then
/// the topmost thing on screen (the question, the approval dialog), then the main screen's
/// keys, the completion popup, and last the composer (whatever it does not bind is text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    /// Whatever is on screen (Ctrl+C, Ctrl+Z).
    Global,
    /// The "send this huge message?" question.
    Confirm,
    /// The approval dialog's choice, once it takes keys (a reason being typed is text).
    Approval,
    /// The main screen with no dialog up: interrupt, quit, external editor, transcript scroll.
    Main,
    /// The slash-command completion popup above the composer.
    Popup,
    /// The prompt editor: send, newline, recall, search.
    Composer,
}

/// What a key does. An action that does not apply in the moment (HistoryUp on the second line
/// of a draft) lets the key through to the next context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Ctrl+C: close the question, interrupt the turn, deny the approval, close the dialog,
    /// clear the draft, or (pressed twice on an empty draft) quit.
    Cancel,
    /// Restore the terminal and stop the process until resumed.
    Suspend,
    /// Interrupt the running turn (or dismiss the completion popup).
    Interrupt,
    /// Quit (Main: only on an empty draft).
    Quit,
    /// Edit the draft in $VISUAL/$EDITOR.
    OpenEditor,
    /// Show the whole output of the latest tool call in a pager (Left/Right: other calls).
    ShowToolOutput,
    ScrollPageUp,
    ScrollPageDown,
    ScrollLineUp,
    ScrollLineDown,
    ScrollTop,
    ScrollBottom,
    /// Popup: move the selection.
    SelectPrev,
    SelectNext,
    /// Popup: put the selected entry in the draft.
    Complete,
    /// Popup: run the selected entry (or complete it when it needs an argument).
    Accept,
    /// Composer: send the draft.
    Submit,
    Newline,
    /// Composer: recall an earlier / later prompt (on the first / last line of the draft).
    HistoryUp,
    HistoryDown,
    /// Composer: search earlier prompts (Ctrl+R).
    SearchHistory,
    /// Composer: empty the line the cursor is on (Ctrl+U).
    ClearLine,
    /// Approval: run this call once.
    ApproveOnce,
    /// Approval: always allow this exact command / file.
    ApproveAlways,
    /// Approval: always allow the offered `cmd:*` prefix.
    ApprovePrefix,
    /// Approval: deny, then type an optional reason.
    Deny,
    /// Confirm: send the large message.
    ConfirmSend,
    /// Confirm: back to the draft, untouched.
    ConfirmKeep,
}

/// Every action, for listing and name lookup.
const ACTIONS: [Action; 28] = [
    Action::Cancel,
    Action::Suspend,
    Action::Interrupt,
    Action::Quit,
    Action::OpenEditor,
    Action::ShowToolOutput,
    Action::ScrollPageUp,
    Action::ScrollPageDown,
    Action::ScrollLineUp,
    Action::ScrollLineDown,
    Action::ScrollTop,
    Action::ScrollBottom,
    Action::SelectPrev,
    Action::SelectNext,
    Action::Complete,
    Action::Accept,
    Action::Submit,
    Action::Newline,
    Action::HistoryUp,
    Action::HistoryDown,
    Action::SearchHistory,
    Action::ClearLine,
    Action::ApproveOnce,
    Action::ApproveAlways,
    Action::ApprovePrefix,
    Action::Deny,
    Action::ConfirmSend,
    Action::ConfirmKeep,
];

impl Action {
    /// The action's name in a keys table (`submit`, `scroll_page_up`).
    pub fn name(self) -> String {
        let debug = format!("{self:?}");
        let mut out = String::new();
        for (i, c) in debug.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    /// The action a name stands for.
    pub fn from_name(name: &str) -> Option<Action> {
        ACTIONS.into_iter().find(|a| a.name() == name)
    }
}

/// Which modifiers a pattern accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mods {
    /// Whatever is held.
    Any,
    /// Exactly these (`Exactly(NONE)`: nothing held).
    Exactly(KeyModifiers),
    /// At least all of these.
    Holding(KeyModifiers),
    /// At least one of these.
    OneOf(KeyModifiers),
}

/// A key with the modifiers it may be pressed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPattern {
    pub code: KeyCode,
    pub mods: Mods,
}

impl KeyPattern {
    /// The key with any modifiers.
    pub const fn any(code: KeyCode) -> Self {
        Self {
            code,
            mods: Mods::Any,
        }
    }

    /// The key with Ctrl held (and maybe others).
    pub const fn ctrl(code: KeyCode) -> Self {
        Self {
            code,
            mods: Mods::Holding(KeyModifiers::CONTROL),
        }
    }

    /// The key with no modifier.
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            mods: Mods::Exactly(KeyModifiers::NONE),
        }
    }

    pub fn matches(&self, key: &KeyEvent) -> bool {
        if key.code != self.code {
            return false;
        }
        match self.mods {
            Mods::Any => true,
            Mods::Exactly(m) => key.modifiers == m,
            Mods::Holding(m) => key.modifiers.contains(m),
            Mods::OneOf(m) => key.modifiers.intersects(m),
        }
    }
}

/// A key name the keys table does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key `{0}`: use e.g. ctrl+s, alt+enter, pageup, f2 or a single character")]
pub struct KeyParseError(pub String);

impl std::str::FromStr for KeyPattern {
    type Err = KeyParseError;

    /// `ctrl+s`, `shift+enter`, `pageup`, `y`: the key with exactly those modifiers.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || KeyParseError(text.to_string());
        let mut parts: Vec<&str> = text.split('+').collect();
        // `ctrl++`: the last part is the `+` key.
        if text.ends_with("++") {
            parts.truncate(parts.len().saturating_sub(2));
            parts.push("+");
        }
        let (key, mods) = parts.split_last().ok_or_else(err)?;
        let mut modifiers = KeyModifiers::NONE;
        for m in mods {
            modifiers |= match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => KeyModifiers::CONTROL,
                "alt" | "meta" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => return Err(err()),
            };
        }
        let code = key_code(key).ok_or_else(err)?;
        Ok(Self {
            code,
            mods: Mods::Exactly(modifiers),
        })
    }
}

fn key_code(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" | "bs" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        f if f.starts_with('f') => KeyCode::F(f[1..].parse().ok().filter(|n| *n >= 1)?),
        _ => return None,
    })
}

/// When a binding applies besides its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// Only while the draft is empty (else the key edits it: Home, End, Ctrl+D).
    DraftEmpty,
}

/// What the App knows when a key arrives that a binding's [`When`] may depend on.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyState {
    pub draft_empty: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub context: KeyContext,
    pub key: KeyPattern,
    pub action: Action,
    pub when: When,
}

/// Every binding, per context; the first that matches a key wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self {
            bindings: default_bindings(),
        }
    }
}

impl Keymap {
    /// The default keymap, shared (for handlers called without the App's).
    pub fn defaults() -> &'static Keymap {
        static DEFAULTS: std::sync::OnceLock<Keymap> = std::sync::OnceLock::new();
        DEFAULTS.get_or_init(Keymap::default)
    }

    /// The action `key` means in `context`, given the App's state.
    pub fn resolve(&self, context: KeyContext, key: &KeyEvent, state: KeyState) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| {
                b.context == context
                    && b.key.matches(key)
                    && match b.when {
                        When::Always => true,
                        When::DraftEmpty => state.draft_empty,
                    }
            })
            .map(|b| b.action)
    }

    /// Add a binding in front of the existing ones (a user's key wins over a default).
    pub fn bind(&mut self, context: KeyContext, key: KeyPattern, action: Action) {
        self.bindings.insert(
            0,
            Binding {
                context,
                key,
                action,
                when: When::Always,
            },
        );
    }

    /// Every binding, in the order they are tried.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }
}

fn default_bindings() -> Vec<Binding> {
    use Action as A;
    use KeyCode as K;
    use KeyContext as C;
    let p = KeyPattern::any;
    let ctrl = KeyPattern::ctrl;
    let shift_or_alt = |code| KeyPattern {
        code,
        mods: Mods::OneOf(KeyModifiers::SHIFT.union(KeyModifiers::ALT)),
    };
    // One binding per row.
    #[rustfmt::skip]
    let table: Vec<(C, KeyPattern, A, When)> = vec![
        (C::Global, ctrl(K::Char('c')), A::Cancel, When::Always),
        (C::Global, ctrl(K::Char('z')), A::Suspend, When::Always),
        (C::Confirm, p(K::Char('y')), A::ConfirmSend, When::Always),
        (C::Confirm, p(K::Char('Y')), A::ConfirmSend, When::Always),
        (C::Confirm, p(K::Char('n')), A::ConfirmKeep, When::Always),
        (C::Confirm, p(K::Char('N')), A::ConfirmKeep, When::Always),
        (C::Confirm, p(K::Esc), A::ConfirmKeep, When::Always),
        (C::Approval, p(K::Char('y')), A::ApproveOnce, When::Always),
        (C::Approval, p(K::Char('Y')), A::ApproveOnce, When::Always),
        (C::Approval, p(K::Char('a')), A::ApproveAlways, When::Always),
        (C::Approval, p(K::Char('A')), A::ApproveAlways, When::Always),
        (C::Approval, p(K::Char('p')), A::ApprovePrefix, When::Always),
        (C::Approval, p(K::Char('P')), A::ApprovePrefix, When::Always),
        (C::Approval, p(K::Char('n')), A::Deny, When::Always),
        (C::Approval, p(K::Char('N')), A::Deny, When::Always),
        (C::Approval, p(K::Esc), A::Interrupt, When::Always),
        (C::Approval, p(K::Down), A::ScrollLineDown, When::Always),
        (C::Approval, p(K::Up), A::ScrollLineUp, When::Always),
        (C::Approval, p(K::PageDown), A::ScrollPageDown, When::Always),
        (C::Approval, p(K::PageUp), A::ScrollPageUp, When::Always),
        (C::Main, p(K::Esc), A::Interrupt, When::Always),
        (C::Main, ctrl(K::Char('d')), A::Quit, When::DraftEmpty),
        (C::Main, ctrl(K::Char('x')), A::OpenEditor, When::Always),
        (C::Main, ctrl(K::Char('o')), A::ShowToolOutput, When::Always),
        (C::Main, p(K::PageUp), A::ScrollPageUp, When::Always),
        (C::Main, p(K::PageDown), A::ScrollPageDown, When::Always),
        (C::Main, ctrl(K::Home), A::ScrollTop, When::Always),
        (C::Main, p(K::Home), A::ScrollTop, When::DraftEmpty),
        (C::Main, ctrl(K::End), A::ScrollBottom, When::Always),
        (C::Main, p(K::End), A::ScrollBottom, When::DraftEmpty),
        (C::Popup, p(K::Up), A::SelectPrev, When::Always),
        (C::Popup, p(K::Down), A::SelectNext, When::Always),
        (C::Popup, p(K::Tab), A::Complete, When::Always),
        (C::Popup, KeyPattern::plain(K::Enter), A::Accept, When::Always),
        (C::Composer, shift_or_alt(K::Enter), A::Newline, When::Always),
        (C::Composer, ctrl(K::Char('j')), A::Newline, When::Always),
        (C::Composer, p(K::Enter), A::Submit, When::Always),
        (C::Composer, p(K::Up), A::HistoryUp, When::Always),
        (C::Composer, p(K::Down), A::HistoryDown, When::Always),
        (C::Composer, ctrl(K::Char('r')), A::SearchHistory, When::Always),
        (C::Composer, ctrl(K::Char('u')), A::ClearLine, When::Always),
    ];
    table
        .into_iter()
        .map(|(context, key, action, when)| Binding {
            context,
            key,
            action,
            when,
        })
        .collect()
}

mod user;
pub use user::KeysError;

#[cfg(test)]
mod tests;
