//! Whether the config file exposes secrets: literal API keys in a file that group or others
//! can read. The file is the user's, so the harness warns (at start, FAIL in `doctor`) rather
//! than changing its mode.

use super::Config;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A one-line warning when `config` was read from a file that holds literal keys and whose
/// mode lets group or others read it; `None` when it is safe (or holds only `${VAR}`s).
pub fn literal_key_exposure(config: &Config) -> Option<String> {
    let path = config.source.as_deref()?;
    if config.literal_keys.is_empty() {
        return None;
    }
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    exposure_message(path, mode, &config.literal_keys)
}

fn exposure_message(path: &Path, mode: u32, providers: &[String]) -> Option<String> {
    if mode & 0o044 == 0 {
        return None;
    }
    let first = providers.first()?;
    Some(format!(
        "{} holds API keys ({}) and is readable by {} (mode {mode:o}): run `chmod 600 {}`, or write api_key = \"${{{}_API_KEY}}\" and export the key",
        path.display(),
        providers.join(", "),
        if mode & 0o004 != 0 {
            "everyone"
        } else {
            "its group"
        },
        path.display(),
        first.to_uppercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_table() {
        let p = Path::new("/h/config.toml");
        let keys = vec!["anthropic".to_string()];
        for (mode, warned, who) in [
            (0o600, false, ""),
            (0o640, true, "its group"),
            (0o644, true, "everyone"),
            (0o604, true, "everyone"),
            (0o700, false, ""),
            (0o620, false, ""),
        ] {
            let m = exposure_message(p, mode, &keys);
            assert_eq!(m.is_some(), warned, "{mode:o}");
            if let Some(m) = m {
                assert!(
                    m.contains(who) && m.contains("chmod 600 /h/config.toml"),
                    "{m}"
                );
                assert!(m.contains("${ANTHROPIC_API_KEY}"), "{m}");
            }
        }
        assert!(exposure_message(p, 0o644, &[]).is_none());
    }

    #[test]
    fn reads_the_real_mode_and_only_for_literal_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut config = Config {
            source: Some(path.clone()),
            ..Config::default()
        };
        assert!(literal_key_exposure(&config).is_none(), "no literal keys");
        config.literal_keys = vec!["openai".into()];
        assert!(literal_key_exposure(&config).is_some());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(literal_key_exposure(&config).is_none());
    }
}
