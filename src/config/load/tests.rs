use super::*;

fn env(k: &str) -> Option<String> {
    match k {
        "GOOD_KEY" => Some("sk-good".to_string()),
        "EMPTY" => Some(String::new()),
        "HOST" => Some("127.0.0.1:9".to_string()),
        _ => None,
    }
}

fn parse_str(text: &str) -> Result<Config, ConfigError> {
    parse(text, Path::new("/cfg/config.toml"), &env)
}

#[test]
fn a_full_config_parses_with_defaults_filled_in() {
    let c = parse_str(
        r#"
default_model = "opus"
[providers.anthropic]
kind = "anthropic"
api_key = "${GOOD_KEY}"
[providers.local]
kind = "ollama"
base_url = "http://${HOST}/"
[models.opus]
id = "anthropic/claude-opus-4-6"
context_window = 200000
[[router.rules]]
name = "r1"
category = "coding-complex"
models = ["opus"]
"#,
    )
    .unwrap();
    assert_eq!(c.default_model, "opus");
    let a = &c.providers["anthropic"];
    assert_eq!(a.api_key.as_ref().unwrap().expose(), "sk-good");
    assert_eq!(a.base_url, "https://api.anthropic.com");
    assert_eq!(c.providers["local"].base_url, "http://127.0.0.1:9");
    assert_eq!(c.router.rules[0].line, Some(12));
    assert_eq!(c.sandbox.timeout_secs, 120);
}

#[test]
fn errors_name_the_key_and_the_line() {
    let cases: &[(&str, &str)] = &[
        ("x = 1\n", "1:1: unknown field `x`"),
        ("[ui]\nthemes = \"d\"\n", "2:1: unknown field `themes`"),
        ("[sandbox]\npids = \"many\"\n", "2:8: invalid type"),
        ("default_model = [\n", "config.toml:2:1: invalid array"),
        (
            "[providers.a]\nkind = \"openai\"\napi_key = \"${MISSING_VAR}\"\n",
            "3: providers.a.api_key: environment variable MISSING_VAR is not set",
        ),
        (
            "[providers.a]\nkind = \"openai\"\napi_key = \"${EMPTY}\"\n",
            "3: providers.a.api_key is empty",
        ),
        (
            "[providers.a]\nkind = \"openai\"\n",
            "1: providers.a has no api_key",
        ),
        (
            "[providers.a]\nkind = \"gemini\"\n",
            "2: unknown provider kind `gemini`",
        ),
        (
            "[providers.a]\nkind = \"ollama\"\nbase_url = \"not a url\"\n",
            "3: providers.a.base_url: `not a url` is not a URL",
        ),
        (
            "default_model = \"nobody/m\"\n",
            "default_model: `nobody/m` names provider `nobody`, which is not configured",
        ),
        (
            "default_model = \"justaname\"\n",
            "`justaname` is not a model reference",
        ),
        (
            "[providers.a]\nkind = \"ollama\"\n[models.x]\nid = \"b/m\"\n",
            "models.x.id",
        ),
        ("[session]\ncompact_threshold = 2.0\n", "compact_threshold"),
        (
            "[permissions]\nallow = [\n  \"bash(ls)\",\n  \"bash(git *)\",\n]\n",
            "config.toml:4: permissions.allow: rule `bash(git *)`: write `git:*`",
        ),
        (
            "[permissions]\ndeny = [\"rm(-rf)\"]\n",
            "config.toml:2: permissions.deny: rule `rm(-rf)` names unknown tool `rm`",
        ),
        (
            "[permissions]\nallowed = []\n",
            "2:1: unknown field `allowed`",
        ),
        (
            "[providers.a]\nkind = \"ollama\"\nbase_url = \"${UNCLOSED\"\n",
            "unclosed",
        ),
    ];
    for (text, want) in cases {
        let err = parse_str(text).expect_err(text).to_string();
        assert!(err.contains(want), "{text:?}: got `{err}`, want `{want}`");
    }
}

#[test]
fn bare_dollar_vars_are_errors_not_literal_keys() {
    for (value, ok) in [
        ("$OPENAI_API_KEY", false),
        ("sk-$ABC", false),
        ("$_X", false),
        ("${GOOD_KEY}", true),
        ("sk-abc$", true),
        ("sk-ab$1", true),
    ] {
        let text = format!("[providers.a]\nkind = \"openai\"\napi_key = \"{value}\"\n");
        let result = parse_str(&text);
        assert_eq!(result.is_ok(), ok, "{value}: {result:?}");
        if let Err(e) = result {
            let m = e.to_string();
            assert!(m.contains(":3:") && m.contains("${"), "{m}");
        }
    }
    let c = parse_str(
        "[providers.a]\nkind = \"openai\"\nbase_url = \"http://$HOST/v1\"\napi_key = \"${GOOD_KEY}\"\n",
    );
    assert!(c.is_err());
}

#[test]
fn literal_keys_are_noted() {
    let c = parse_str(
            "[providers.a]\nkind = \"openai\"\napi_key = \"sk-literal\"\n[providers.b]\nkind = \"openai\"\napi_key = \"${GOOD_KEY}\"\n",
        )
        .unwrap();
    assert_eq!(c.literal_keys, vec!["a".to_string()]);
}

#[test]
fn var_expansion_table() {
    let cases = [
        ("plain", Ok("plain")),
        ("${GOOD_KEY}", Ok("sk-good")),
        ("a${GOOD_KEY}b${GOOD_KEY}", Ok("ask-goodbsk-good")),
        ("${NOPE}", Err("NOPE is not set")),
        ("${}", Err("not a valid variable name")),
        ("${A-B}", Err("not a valid variable name")),
    ];
    for (input, want) in cases {
        match (expand_vars(input, &env), want) {
            (Ok(got), Ok(w)) => assert_eq!(got, w),
            (Err(got), Err(w)) => assert!(got.contains(w), "{got}"),
            (got, w) => panic!("{input}: {got:?} vs {w:?}"),
        }
    }
}

#[test]
fn env_then_flags_override_the_file() {
    let mut c = parse_str("default_agent = \"coder\"\n").unwrap();
    let vars = |k: &str| match k {
        "HARNESS_AGENT" => Some("reviewer".to_string()),
        "HARNESS_APPROVAL" => Some("deny".to_string()),
        "HARNESS_SANDBOX" => Some("host".to_string()),
        _ => None,
    };
    apply_env(&mut c, &vars).unwrap();
    assert_eq!(c.default_agent, "reviewer");
    assert_eq!(c.approval.mode, ApprovalMode::Deny);
    assert_eq!(c.sandbox.backend, SandboxBackend::Host);
    apply_overrides(
        &mut c,
        &Overrides {
            agent: Some("writer".into()),
            model: None,
            approval: Some(ApprovalMode::Auto),
        },
    );
    assert_eq!(c.default_agent, "writer");
    assert_eq!(c.approval.mode, ApprovalMode::Auto);
    let bad = |k: &str| (k == "HARNESS_SANDBOX").then(|| "vm".to_string());
    assert!(
        apply_env(&mut c, &bad)
            .unwrap_err()
            .to_string()
            .contains("HARNESS_SANDBOX")
    );
}

#[test]
fn keys_never_appear_in_show_output() {
    let c = parse_str("[providers.a]\nkind = \"openai\"\napi_key = \"${GOOD_KEY}\"\n").unwrap();
    let shown = toml::to_string_pretty(&c).unwrap();
    assert!(!shown.contains("sk-good"), "{shown}");
    assert!(shown.contains("api_key = \"***\""));
    assert!(!format!("{c:?}").contains("sk-good"));
}
