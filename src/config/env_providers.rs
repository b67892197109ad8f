//! Providers from the environment, so one exported key is enough to start: when config.toml
//! defines no `[providers]`, each well-known key variable (and a local Ollama) becomes a provider
//! of that name with a default model, and `[router] default` is filled from the first one found.
//! Also owns where a provider came from ([`ProviderOrigin`], shown by the TUI, `doctor`,
//! `models` and `route`) and the guidance printed when there is no provider at all.
//!
//! The local Ollama probe is one TCP connect to 127.0.0.1:11434 with a short timeout, made only
//! when config.toml has no providers and `OLLAMA_HOST` is unset (a closed loopback port refuses
//! at once, so start-up does not wait); `HARNESS_OLLAMA_PROBE=0` turns it off.

use super::types::{Config, ProviderConfig, ProviderKind};
use crate::secret::Secret;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

/// Where Ollama listens when nothing says otherwise.
pub const LOCAL_OLLAMA: &str = "127.0.0.1:11434";
/// Longest wait for the local Ollama probe's connect.
const PROBE_TIMEOUT: Duration = Duration::from_millis(150);
/// Set to `0` to skip the local Ollama probe (tests, or a machine where 11434 is something else).
pub const PROBE_VAR: &str = "HARNESS_OLLAMA_PROBE";

/// Where a provider came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProviderOrigin {
    /// A `[providers.NAME]` block in the config file.
    #[default]
    ConfigFile,
    /// An environment variable (`ANTHROPIC_API_KEY`, `OLLAMA_HOST`, ...).
    Env { var: String },
    /// Ollama answering on its default local port.
    LocalOllama { url: String },
}

impl ProviderOrigin {
    /// For people: `from config.toml`, `from ANTHROPIC_API_KEY`, `local Ollama at URL`.
    pub fn describe(&self) -> String {
        match self {
            ProviderOrigin::ConfigFile => "from config.toml".to_string(),
            ProviderOrigin::Env { var } => format!("from {var}"),
            ProviderOrigin::LocalOllama { url } => format!("local Ollama at {url}"),
        }
    }

    pub fn is_config_file(&self) -> bool {
        matches!(self, ProviderOrigin::ConfigFile)
    }
}

/// One provider the environment can supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvSpec {
    pub name: &'static str,
    pub kind: ProviderKind,
    /// The variable holding the key (Ollama: its address, `OLLAMA_HOST`).
    pub var: &'static str,
    /// The variable overriding the base URL, where the provider's own tools read one.
    pub url_var: Option<&'static str>,
    /// The model used when nothing else is configured.
    pub default_model: &'static str,
}

/// In order of preference for the default route.
pub const ENV_SPECS: [EnvSpec; 5] = [
    EnvSpec {
        name: "anthropic",
        kind: ProviderKind::Anthropic,
        var: "ANTHROPIC_API_KEY",
        url_var: Some("ANTHROPIC_BASE_URL"),
        default_model: "claude-sonnet-4-6",
    },
    EnvSpec {
        name: "openai",
        kind: ProviderKind::Openai,
        var: "OPENAI_API_KEY",
        url_var: Some("OPENAI_BASE_URL"),
        default_model: "gpt-5",
    },
    EnvSpec {
        name: "openrouter",
        kind: ProviderKind::Openrouter,
        var: "OPENROUTER_API_KEY",
        url_var: None,
        default_model: "anthropic/claude-sonnet-4.6",
    },
    EnvSpec {
        name: "zai",
        kind: ProviderKind::Zai,
        var: "ZAI_API_KEY",
        url_var: None,
        default_model: "glm-4.6",
    },
    EnvSpec {
        name: "ollama",
        kind: ProviderKind::Ollama,
        var: "OLLAMA_HOST",
        url_var: None,
        default_model: "llama3.2",
    },
];

/// Every variable that can make a provider (tests remove them all).
pub const PROVIDER_VARS: [&str; 7] = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENROUTER_API_KEY",
    "ZAI_API_KEY",
    "OLLAMA_HOST",
];

/// The spec of a provider name that the environment could supply.
pub fn spec(name: &str) -> Option<&'static EnvSpec> {
    ENV_SPECS.iter().find(|s| s.name == name)
}

/// The providers the environment supplies, in [`ENV_SPECS`] order. `ollama_live` is asked only
/// when `OLLAMA_HOST` is unset. Bad URLs are errors naming the variable.
pub fn detect(
    lookup: &dyn Fn(&str) -> Option<String>,
    ollama_live: &dyn Fn() -> bool,
) -> Result<Vec<ProviderConfig>, String> {
    let get = |var: &str| {
        lookup(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut out = Vec::new();
    for spec in &ENV_SPECS {
        let (base_url, api_key, origin) = if spec.kind == ProviderKind::Ollama {
            match get(spec.var) {
                Some(host) => (
                    ollama_url(&host).map_err(|e| format!("{}: {e}", spec.var))?,
                    None,
                    ProviderOrigin::Env {
                        var: spec.var.to_string(),
                    },
                ),
                None if ollama_live() => {
                    let url = format!("http://{LOCAL_OLLAMA}");
                    (url.clone(), None, ProviderOrigin::LocalOllama { url })
                }
                None => continue,
            }
        } else {
            let Some(key) = get(spec.var) else { continue };
            let base_url = match spec.url_var.and_then(|v| get(v).map(|u| (v, u))) {
                Some((var, url)) => {
                    super::load::validate_url(&url).map_err(|e| format!("{var}: {e}"))?;
                    url.trim_end_matches('/').to_string()
                }
                None => spec.kind.default_base_url().to_string(),
            };
            (
                base_url,
                Some(Secret::new(key)),
                ProviderOrigin::Env {
                    var: spec.var.to_string(),
                },
            )
        };
        out.push(ProviderConfig {
            name: spec.name.to_string(),
            kind: spec.kind,
            api_key,
            base_url,
            headers: Default::default(),
            connect_timeout_secs: 10,
            first_byte_timeout_secs: 120,
            idle_timeout_secs: 90,
            max_retries: 3,
            context_window: None,
            origin,
        });
    }
    Ok(out)
}

/// `OLLAMA_HOST` as Ollama reads it (`host`, `host:port`, `:port`, with or without a scheme) to
/// a base URL; the bind-all address means this machine.
pub fn ollama_url(host: &str) -> Result<String, String> {
    let host = host.trim().trim_end_matches('/');
    let (scheme, rest) = match host.split_once("://") {
        Some((s, r)) => (s, r),
        None => ("http", host),
    };
    let (name, port) = match rest.rsplit_once(':') {
        Some((n, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => (n, p),
        _ => (rest, "11434"),
    };
    let name = match name {
        "" | "0.0.0.0" => "127.0.0.1",
        "[::]" => "[::1]",
        n => n,
    };
    let url = format!("{scheme}://{name}:{port}");
    super::load::validate_url(&url)?;
    Ok(url)
}

/// Whether something accepts connections on the local Ollama port (one short TCP connect).
pub fn local_ollama_live(lookup: &dyn Fn(&str) -> Option<String>) -> bool {
    if lookup(PROBE_VAR).is_some_and(|v| v.trim() == "0") {
        return false;
    }
    let Ok(addr) = LOCAL_OLLAMA.parse::<SocketAddr>() else {
        return false;
    };
    TcpStream::connect_timeout(&addr, PROBE_TIMEOUT).is_ok()
}

/// When the config file names no providers, add the environment's and fill `[router] default`
/// (if unset) from the first one.
pub fn apply(
    config: &mut Config,
    lookup: &dyn Fn(&str) -> Option<String>,
    ollama_live: &dyn Fn() -> bool,
) -> Result<(), String> {
    if !config.providers.is_empty() {
        default_route_from_file(config);
        return Ok(());
    }
    let found = detect(lookup, ollama_live)?;
    if config.router.default.is_none()
        && let Some(first) = found.first()
        && let Some(spec) = spec(&first.name)
    {
        config.router.default = Some(format!("{}/{}", spec.name, spec.default_model));
    }
    for provider in found {
        config.providers.insert(provider.name.clone(), provider);
    }
    Ok(())
}

/// A config file with providers but neither a `[router] default` nor rules nor a pinned
/// `default_model` would answer its first message with "no router rule matched": route to the
/// default model of its first provider instead (in the order of [`ENV_SPECS`]: anthropic,
/// openai, openrouter, zai, ollama), as the environment path does.
fn default_route_from_file(config: &mut Config) {
    if config.router.default.is_some()
        || !config.router.rules.is_empty()
        || config.default_model != "auto"
    {
        return;
    }
    let chosen = ENV_SPECS.iter().find_map(|spec| {
        config
            .providers
            .values()
            .find(|p| p.kind == spec.kind)
            .map(|p| format!("{}/{}", p.name, spec.default_model))
    });
    config.router.default = chosen;
}

/// True when the config file defines no providers, so every provider (if any) came from the
/// environment. Then a model naming a provider that is not there is skipped, not an error.
pub fn providers_from_env(config: &Config) -> bool {
    config
        .providers
        .values()
        .all(|p| !p.origin.is_config_file())
}

/// What to do about a model reference whose provider `name` is not available.
pub fn missing_provider_hint(config: &Config, name: &str) -> String {
    let available: Vec<String> = config
        .providers
        .values()
        .map(|p| format!("{} {}", p.name, p.origin.describe()))
        .collect();
    let available = if available.is_empty() {
        "none".to_string()
    } else {
        available.join(", ")
    };
    match spec(name) {
        Some(s) if providers_from_env(config) => format!(
            "set {} or add [providers.{name}] to config.toml (available: {available})",
            s.var
        ),
        _ => format!("add [providers.{name}] to config.toml (configured: {available})"),
    }
}

/// The guidance when no provider exists at all: one line, naming the variables, `harness init`
/// and the config file.
pub fn no_provider_message(config_file: &Path) -> String {
    format!(
        "no model provider is set up: export ANTHROPIC_API_KEY (or OPENAI_API_KEY, \
         OPENROUTER_API_KEY, ZAI_API_KEY, OLLAMA_HOST), run `harness init`, or add \
         [providers.NAME] to {}",
        config_file.display()
    )
}

/// The same guidance as separate lines, for the TUI's first screen.
pub fn no_provider_lines(config_file: &Path) -> Vec<String> {
    vec![
        "No model provider is set up yet. Three ways in:".to_string(),
        "  1. export a key and start again: ANTHROPIC_API_KEY, OPENAI_API_KEY,".to_string(),
        "     OPENROUTER_API_KEY, ZAI_API_KEY or OLLAMA_HOST; a running Ollama is found"
            .to_string(),
        "  2. run `harness init` to write a commented config from what it finds".to_string(),
        format!(
            "  3. edit {} and add a [providers.NAME] block",
            config_file.display()
        ),
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_file_with_providers_but_no_route_gets_a_default() {
        let parse = |text: &str| {
            crate::config::parse(text, Path::new("/h/config.toml"), &|k: &str| {
                (k == "K").then(|| "sk".to_string())
            })
            .unwrap()
        };
        let c = parse(
            "[providers.work]\nkind = \"openai\"\napi_key = \"${K}\"\n[providers.home]\nkind = \"anthropic\"\napi_key = \"${K}\"\n",
        );
        assert_eq!(
            c.router.default.as_deref(),
            Some("home/claude-sonnet-4-6"),
            "anthropic first, under the file's own name"
        );
        // An explicit choice is left alone.
        for extra in [
            "[router]\ndefault = \"work/gpt-x\"\n",
            "default_model = \"work/gpt-x\"\n",
        ] {
            let text =
                format!("{extra}[providers.work]\nkind = \"openai\"\napi_key = \"${{K}}\"\n");
            let text = if extra.starts_with('[') {
                format!("[providers.work]\nkind = \"openai\"\napi_key = \"${{K}}\"\n{extra}")
            } else {
                text
            };
            let c = parse(&text);
            assert_ne!(c.router.default.as_deref(), Some("work/gpt-5"), "{extra}");
        }
    }

    /// A lookup over fixed pairs, standing in for the environment (also used by template's
    /// tests).
    pub(crate) fn vars(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn detection_table() {
        type Case = (
            &'static [(&'static str, &'static str)],
            bool,
            &'static [(&'static str, &'static str, &'static str)],
        );
        // (environment, ollama live, [(name, base_url, origin)])
        let cases: &[Case] = &[
            (&[], false, &[]),
            (&[("ANTHROPIC_API_KEY", "  ")], false, &[]),
            (
                &[("ANTHROPIC_API_KEY", "k")],
                false,
                &[(
                    "anthropic",
                    "https://api.anthropic.com",
                    "from ANTHROPIC_API_KEY",
                )],
            ),
            (
                &[
                    ("ANTHROPIC_API_KEY", "k"),
                    ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/"),
                ],
                false,
                &[("anthropic", "http://127.0.0.1:9", "from ANTHROPIC_API_KEY")],
            ),
            (
                &[
                    ("OPENAI_API_KEY", "k"),
                    ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
                ],
                true,
                &[
                    ("openai", "http://127.0.0.1:9/v1", "from OPENAI_API_KEY"),
                    (
                        "ollama",
                        "http://127.0.0.1:11434",
                        "local Ollama at http://127.0.0.1:11434",
                    ),
                ],
            ),
            (
                &[
                    ("ZAI_API_KEY", "k"),
                    ("OPENROUTER_API_KEY", "k"),
                    ("OLLAMA_HOST", "0.0.0.0"),
                ],
                true,
                &[
                    (
                        "openrouter",
                        "https://openrouter.ai/api/v1",
                        "from OPENROUTER_API_KEY",
                    ),
                    ("zai", "https://api.z.ai/api/paas/v4", "from ZAI_API_KEY"),
                    ("ollama", "http://127.0.0.1:11434", "from OLLAMA_HOST"),
                ],
            ),
            // A base URL without its key makes nothing.
            (&[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")], false, &[]),
        ];
        for (env, live, want) in cases {
            let lookup = vars(env);
            let got = detect(&lookup, &|| *live).unwrap();
            let got: Vec<(String, String, String)> = got
                .iter()
                .map(|p| (p.name.clone(), p.base_url.clone(), p.origin.describe()))
                .collect();
            let want: Vec<(String, String, String)> = want
                .iter()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                .collect();
            assert_eq!(got, want, "{env:?}");
        }
    }

    #[test]
    fn the_key_is_kept_secret_and_the_probe_runs_only_without_ollama_host() {
        let lookup = vars(&[("ANTHROPIC_API_KEY", "sk-test"), ("OLLAMA_HOST", "h:1")]);
        let probed = std::cell::Cell::new(false);
        let found = detect(&lookup, &|| {
            probed.set(true);
            true
        })
        .unwrap();
        assert!(!probed.get());
        assert_eq!(found[0].api_key.as_ref().unwrap().expose(), "sk-test");
        assert!(!format!("{found:?}").contains("sk-test"));
        assert_eq!(found[1].api_key, None);
    }

    #[test]
    fn bad_urls_name_the_variable() {
        let lookup = vars(&[
            ("ANTHROPIC_API_KEY", "k"),
            ("ANTHROPIC_BASE_URL", "not a url"),
        ]);
        let err = detect(&lookup, &|| false).unwrap_err();
        assert!(
            err.starts_with("ANTHROPIC_BASE_URL: `not a url` is not a URL"),
            "{err}"
        );
        let lookup = vars(&[("OLLAMA_HOST", "ftp://x")]);
        let err = detect(&lookup, &|| false).unwrap_err();
        assert!(err.starts_with("OLLAMA_HOST:"), "{err}");
    }

    #[test]
    fn ollama_host_forms() {
        let cases = [
            ("127.0.0.1", "http://127.0.0.1:11434"),
            ("0.0.0.0:8080", "http://127.0.0.1:8080"),
            (":9999", "http://127.0.0.1:9999"),
            ("https://ollama.example:443/", "https://ollama.example:443"),
            ("http://box", "http://box:11434"),
            ("[::]:11434", "http://[::1]:11434"),
        ];
        for (host, want) in cases {
            assert_eq!(ollama_url(host).unwrap(), want, "{host}");
        }
    }

    #[test]
    fn apply_fills_the_default_route_from_the_first_provider_only_without_file_providers() {
        let lookup = vars(&[("OPENAI_API_KEY", "k"), ("ZAI_API_KEY", "k")]);
        let mut config = Config::default();
        apply(&mut config, &lookup, &|| false).unwrap();
        assert_eq!(config.router.default.as_deref(), Some("openai/gpt-5"));
        assert_eq!(config.providers.len(), 2);
        assert!(providers_from_env(&config));

        let mut config = Config::default();
        config.router.default = Some("zai/glm-4.5".into());
        apply(&mut config, &lookup, &|| false).unwrap();
        assert_eq!(
            config.router.default.as_deref(),
            Some("zai/glm-4.5"),
            "kept"
        );

        let text = "[providers.mine]\nkind = \"ollama\"\n";
        let mut config = super::super::parse(text, Path::new("c.toml"), &|_| None).unwrap();
        apply(&mut config, &lookup, &|| true).unwrap();
        assert_eq!(config.providers.keys().collect::<Vec<_>>(), ["mine"]);
        // The file's own provider gives the default route (not the environment's).
        assert_eq!(config.router.default.as_deref(), Some("mine/llama3.2"));
        assert!(!providers_from_env(&config));
    }

    #[test]
    fn guidance_names_every_way_in() {
        let line = no_provider_message(Path::new("/h/config.toml"));
        assert!(!line.contains('\n'));
        for want in [
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
            "OLLAMA_HOST",
            "harness init",
            "/h/config.toml",
        ] {
            assert!(line.contains(want), "{want}: {line}");
        }
        let lines = no_provider_lines(Path::new("/h/config.toml")).join("\n");
        assert!(lines.contains("harness init") && lines.contains("/h/config.toml"));
    }

    #[test]
    fn the_probe_sees_a_listener_and_can_be_turned_off() {
        // Either this test listens on the port, or something already does: both are "live".
        let _listener = std::net::TcpListener::bind(LOCAL_OLLAMA);
        assert!(local_ollama_live(&|_| None));
        let off = vars(&[(PROBE_VAR, "0")]);
        assert!(!local_ollama_live(&off));
    }
}
