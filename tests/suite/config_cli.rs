//! `harness config path|show|check` and `doctor` through the built binary.

use crate::support::home::{TempHome, stderr, stdout};

#[test]
fn path_show_and_check_with_a_valid_config() {
    let home = TempHome::new();
    home.write_config(
        "[providers.anthropic]\nkind = \"anthropic\"\napi_key = \"${TEST_SECRET_KEY}\"\n",
    );
    let out = home.run(&["config", "path"]);
    assert_eq!(
        stdout(&out).trim(),
        home.path().join("config.toml").to_str().unwrap()
    );

    let out = home
        .cmd()
        .env("TEST_SECRET_KEY", "sk-ant-very-secret")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("api_key = \"***\""), "{text}");
    assert!(!text.contains("sk-ant-very-secret"));
    // The printed config parses back as TOML.
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    toml::from_str::<toml::Value>(&body).unwrap();

    let out = home
        .cmd()
        .env("TEST_SECRET_KEY", "k")
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("config OK"));
}

#[test]
fn config_errors_exit_2_naming_file_line_and_key() {
    let home = TempHome::new();
    let cases = [
        (
            "[ui]\ntheme = \"dark\"\ncolour = 3\n",
            "config.toml:3:1: unknown field `colour`",
        ),
        (
            "[providers.x]\nkind = \"openai\"\napi_key = \"${DEFINITELY_UNSET_VAR}\"\n",
            "DEFINITELY_UNSET_VAR is not set",
        ),
        ("default_model = [[\n", "config.toml:2:1: invalid array"),
    ];
    for (text, want) in cases {
        home.write_config(text);
        for args in [&["config", "check"][..], &["config", "show"][..]] {
            let out = home.run(args);
            assert_eq!(out.status.code(), Some(2), "{text}");
            let err = stderr(&out);
            assert!(err.contains(want), "{args:?} {text:?}: {err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
        }
    }
}

#[test]
fn doctor_reports_store_and_config() {
    let home = TempHome::new();
    let out = home.run(&["doctor"]);
    let text = stdout(&out);
    assert!(
        text.contains("store") && text.contains("schema version"),
        "{text}"
    );
    assert!(text.contains("perms"));
    home.write_config("bogus = 1\n");
    let out = home.run(&["doctor"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("FAIL config"), "{}", stdout(&out));
}

#[test]
fn literal_keys_in_a_readable_config_warn_and_fail_doctor() {
    use std::os::unix::fs::PermissionsExt;
    let home = TempHome::new();
    home.write_config(
        "[providers.openai]\nkind = \"openai\"\napi_key = \"sk-literal-key\"\nbase_url = \"http://127.0.0.1:9/v1\"\n",
    );
    let file = home.path().join("config.toml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = home.run(&["config", "check"]);
    let err = stderr(&out);
    assert!(
        err.contains("warning:") && err.contains("chmod 600") && err.contains("everyone"),
        "{err}"
    );
    assert!(
        !err.contains("sk-literal-key"),
        "the warning never prints the key"
    );
    let out = home.run(&["doctor"]);
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("secrets") && l.contains("chmod 600")),
        "{text}"
    );

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = home.run(&["config", "check"]);
    assert!(!stderr(&out).contains("warning:"), "{}", stderr(&out));
}

#[test]
fn a_bare_dollar_var_in_a_key_is_an_error_not_sent() {
    let home = TempHome::new();
    home.write_config("[providers.openai]\nkind = \"openai\"\napi_key = \"$OPENAI_API_KEY\"\n");
    let out = home.run(&["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("config.toml:3:") && err.contains("${OPENAI_API_KEY}"),
        "{err}"
    );
}
