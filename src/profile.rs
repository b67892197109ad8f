//! The process's profile: which profile `--profile NAME` or `HARNESS_PROFILE` chose (default
//! `default`). Set once by the CLI before anything opens the store; every store handle
//! opened afterwards acts for it (`harness serve` then narrows each request to its token's
//! profile with `Store::for_profile`). A leaf module, so the store and the usage ledger can
//! both read it.

use std::sync::OnceLock;

/// The profile everything belongs to unless told otherwise.
pub const DEFAULT_PROFILE: &str = "default";

/// The environment variable that chooses a profile (the `--profile` flag beats it).
pub const PROFILE_VAR: &str = "HARNESS_PROFILE";

static CURRENT: OnceLock<String> = OnceLock::new();

/// Choose the process's profile. Only the first call counts (the CLI makes it at start).
pub fn set_current(name: &str) {
    let _ = CURRENT.set(name.to_string());
}

/// The process's profile.
pub fn current() -> &'static str {
    CURRENT.get().map_or(DEFAULT_PROFILE, String::as_str)
}

/// The profile from the flag, else the environment, else `default`, checked.
pub fn choose(flag: Option<&str>, env: Option<&str>) -> Result<String, String> {
    let name = flag
        .or(env.filter(|v| !v.is_empty()))
        .unwrap_or(DEFAULT_PROFILE);
    validate_name(name)?;
    Ok(name.to_string())
}

/// Whether `name` can be a profile: 1 to 64 of `a-z A-Z 0-9 _ - .`, not starting with `.` or `-`.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a profile name: use 1 to 64 letters, digits, `_`, `-` or `.` (e.g. `work`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        let cases = [
            ("default", true),
            ("work-2", true),
            ("a.b_c", true),
            ("", false),
            ("-x", false),
            (".hidden", false),
            ("has space", false),
            ("slash/no", false),
            ("é", false),
        ];
        for (name, ok) in cases {
            assert_eq!(validate_name(name).is_ok(), ok, "{name}");
        }
        assert!(validate_name(&"x".repeat(65)).is_err());
    }

    #[test]
    fn the_flag_beats_the_environment_which_beats_the_default() {
        let cases = [
            (Some("a"), Some("b"), Ok("a")),
            (None, Some("b"), Ok("b")),
            (None, Some(""), Ok("default")),
            (None, None, Ok("default")),
            (Some("bad name"), None, Err(())),
        ];
        for (flag, env, want) in cases {
            let got = choose(flag, env);
            match want {
                Ok(name) => assert_eq!(got.as_deref(), Ok(name), "{flag:?} {env:?}"),
                Err(()) => assert!(got.is_err(), "{flag:?} {env:?}"),
            }
        }
    }
}
