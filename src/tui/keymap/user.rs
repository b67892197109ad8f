//! `[keys]` in config.toml: the user's bindings, put in front of the defaults. Each entry names
//! an action ([`Action::name`]: `submit`, `newline`, `scroll_page_up`, ...) and one key or a
//! list (`ctrl+s`, `alt+enter`, `f2`); the key is bound in every context where the action has a
//! default key (so `scroll_page_up` works in the transcript and the approval dialog alike).

use super::{Action, KeyPattern, Keymap};
use crate::config::KeysConfig;

/// A `[keys]` entry the keymap cannot take; `Display` is the one-line error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[keys] {0}")]
pub struct KeysError(pub String);

impl Keymap {
    /// The defaults with the user's bindings in front.
    pub fn with_user_keys(keys: &KeysConfig) -> Result<Keymap, KeysError> {
        let mut map = Keymap::default();
        for (name, list) in keys {
            let action = Action::from_name(name).ok_or_else(|| {
                let known: Vec<String> = super::ACTIONS.iter().map(|a| a.name()).collect();
                KeysError(format!(
                    "unknown action `{name}`: use one of {}",
                    known.join(", ")
                ))
            })?;
            let contexts: Vec<_> = {
                let mut c: Vec<_> = map
                    .bindings()
                    .iter()
                    .filter(|b| b.action == action)
                    .map(|b| b.context)
                    .collect();
                c.dedup();
                c
            };
            for key in list.keys() {
                let pattern: KeyPattern = key
                    .parse()
                    .map_err(|e: super::KeyParseError| KeysError(format!("{name}: {e}")))?;
                for context in &contexts {
                    map.bind(*context, pattern, action);
                }
            }
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KeyList;
    use crate::tui::keymap::{KeyContext, KeyState};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn keys(entries: &[(&str, KeyList)]) -> KeysConfig {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn user_keys_come_before_the_defaults() {
        let map = Keymap::with_user_keys(&keys(&[
            ("submit", KeyList::One("ctrl+s".into())),
            ("newline", KeyList::Many(vec!["enter".into()])),
            ("scroll_page_up", KeyList::One("ctrl+b".into())),
        ]))
        .unwrap();
        let state = KeyState::default();
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        let ctrl_b = KeyEvent::new(KeyCode::Char('b'), KeyModifiers::CONTROL);
        assert_eq!(
            map.resolve(KeyContext::Composer, &ctrl_s, state),
            Some(Action::Submit)
        );
        assert_eq!(
            map.resolve(KeyContext::Composer, &enter, state),
            Some(Action::Newline)
        );
        for context in [KeyContext::Main, KeyContext::Approval] {
            assert_eq!(
                map.resolve(context, &ctrl_b, state),
                Some(Action::ScrollPageUp)
            );
        }
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let bad_action = Keymap::with_user_keys(&keys(&[("sumbit", KeyList::One("f2".into()))]));
        assert!(
            bad_action
                .unwrap_err()
                .to_string()
                .starts_with("[keys] unknown action `sumbit`: use one of cancel,")
        );
        let bad_key = Keymap::with_user_keys(&keys(&[("submit", KeyList::One("hyper+q".into()))]));
        assert_eq!(
            bad_key.unwrap_err().to_string(),
            "[keys] submit: unknown key `hyper+q`: use e.g. ctrl+s, alt+enter, pageup, f2 or a single character"
        );
    }
}
