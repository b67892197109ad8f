//! The commented config.toml that `harness init` writes: a block for every provider kind,
//! active for the ones found in the environment and commented out for the rest, keys always as
//! `${VAR}` (never their values), a `[router] default` from the first provider found, and the
//! other sections commented with their defaults. Pure text; `cli/init.rs` does the writing.

use super::env_providers::{ENV_SPECS, ProviderOrigin};
use super::types::{ProviderConfig, ProviderKind};

/// The config text for the providers `found` (as `env_providers::detect` returns them).
///
/// Long by design: it writes the config file's text top to bottom.
pub fn render(found: &[ProviderConfig]) -> String {
    let mut out = String::from(
        "# harness configuration, written by `harness init`. Lines starting with # are off.\n\
         # Keys are read from the environment when harness starts (${VAR}); this file never\n\
         # holds them. `harness config check` checks this file, `harness doctor` the whole setup.\n\n\
         # default_model = \"auto\"          # or provider/model-id to always use one model\n\
         # default_agent = \"general\"\n\n",
    );
    out.push_str(
        "# --- Providers ----------------------------------------------------------------\n",
    );
    if found.is_empty() {
        out.push_str(
            "# No provider was found in the environment: uncomment one block below and export\n\
             # its key (or start Ollama), then run `harness doctor`.\n",
        );
    }
    for spec in &ENV_SPECS {
        let provider = found.iter().find(|p| p.name == spec.name);
        out.push('\n');
        match provider {
            Some(p) => out.push_str(&format!("# found: {}\n", p.origin.describe())),
            None => out.push_str(&format!(
                "# not found: {}\n",
                not_found_hint(spec.kind, spec.var)
            )),
        }
        let on = provider.is_some();
        let line = |text: &str| {
            if on {
                format!("{text}\n")
            } else {
                format!("# {text}\n")
            }
        };
        out.push_str(&line(&format!("[providers.{}]", spec.name)));
        out.push_str(&line(&format!("kind = \"{}\"", spec.kind.as_str())));
        if spec.kind.needs_api_key() {
            out.push_str(&line(&format!("api_key = \"${{{}}}\"", spec.var)));
        }
        match provider {
            Some(p) if p.base_url != spec.kind.default_base_url() => {
                out.push_str(&line(&format!(
                    "base_url = \"{}\"",
                    base_url_value(p, spec.url_var)
                )));
            }
            _ => out.push_str(&format!(
                "# base_url = \"{}\"\n",
                spec.kind.default_base_url()
            )),
        }
    }

    out.push_str(
        "\n# --- Routing ------------------------------------------------------------------\n",
    );
    out.push_str("# The model used when no [[router.rules]] entry matches (examples/routing.toml has rules).\n");
    let default = found.first().and_then(|p| {
        ENV_SPECS
            .iter()
            .find(|s| s.name == p.name)
            .map(|s| format!("{}/{}", s.name, s.default_model))
    });
    match default {
        Some(model) => out.push_str(&format!("[router]\ndefault = \"{model}\"\n")),
        None => out.push_str("# [router]\n# default = \"anthropic/claude-sonnet-4-6\"\n"),
    }

    out.push_str(
        "\n# --- Tools and the sandbox ----------------------------------------------------\n\
         # [approval]\n\
         # mode = \"ask\"                    # ask | auto | deny, before bash/write/edit run\n\n\
         # [sandbox]\n\
         # backend = \"docker\"              # docker | host (host: commands run on this machine)\n\
         # image = \"...\"                   # default: the image `harness sandbox build` makes\n\
         # network = false\n\
         # timeout_secs = 120\n\n\
         # [ui]\n\
         # theme = \"dark\"\n",
    );
    out
}

fn not_found_hint(kind: ProviderKind, var: &str) -> String {
    match kind {
        ProviderKind::Ollama => {
            "OLLAMA_HOST is unset and no Ollama answers on 127.0.0.1:11434".to_string()
        }
        _ => format!("{var} is not set"),
    }
}

/// A base URL as written to the file: the URL itself, or `${VAR}` when it carries credentials.
fn base_url_value(p: &ProviderConfig, url_var: Option<&str>) -> String {
    let has_credentials = url::Url::parse(&p.base_url)
        .is_ok_and(|u| !u.username().is_empty() || u.password().is_some());
    match (has_credentials, url_var, &p.origin) {
        (true, Some(var), ProviderOrigin::Env { .. }) => format!("${{{var}}}"),
        _ => p.base_url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env_providers::detect;
    use crate::config::env_providers::tests::vars;
    use std::path::Path;

    #[test]
    fn found_providers_are_active_with_keys_as_variables_and_the_file_parses() {
        let env = vars(&[
            ("ANTHROPIC_API_KEY", "sk-ant-secret"),
            ("OPENAI_API_KEY", "sk-oai-secret"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
        ]);
        let found = detect(&env, &|| true).unwrap();
        let text = render(&found);
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("\n[providers.anthropic]\nkind = \"anthropic\"\napi_key = \"${ANTHROPIC_API_KEY}\"\n"), "{text}");
        assert!(
            text.contains("base_url = \"http://127.0.0.1:9/v1\""),
            "{text}"
        );
        assert!(text.contains("\n# [providers.zai]\n"), "{text}");
        assert!(
            text.contains("\n[providers.ollama]\nkind = \"ollama\"\n"),
            "{text}"
        );
        assert!(
            text.contains("[router]\ndefault = \"anthropic/claude-sonnet-4-6\"\n"),
            "{text}"
        );

        let config = crate::config::parse(&text, Path::new("c.toml"), &env).unwrap();
        let names: Vec<&str> = config.providers.keys().map(String::as_str).collect();
        assert_eq!(names, ["anthropic", "ollama", "openai"]);
        assert!(config.providers.values().all(|p| p.origin.is_config_file()));
        assert_eq!(
            config.providers["openai"]
                .api_key
                .as_ref()
                .unwrap()
                .expose(),
            "sk-oai-secret"
        );
        // That it also passes the whole check (agents, router) is tested in `core::check`.
    }

    #[test]
    fn with_nothing_found_everything_is_commented_and_the_file_still_parses() {
        let text = render(&[]);
        assert!(text.contains("No provider was found"));
        assert!(
            !text.lines().any(|l| l.starts_with("[providers.")),
            "{text}"
        );
        let config = crate::config::parse(&text, Path::new("c.toml"), &|_| None).unwrap();
        assert!(config.providers.is_empty());
        for want in [
            "# [providers.anthropic]",
            "# api_key = \"${OPENROUTER_API_KEY}\"",
            "# [router]",
        ] {
            assert!(text.contains(want), "{want}");
        }
    }

    #[test]
    fn a_base_url_with_credentials_stays_in_the_environment() {
        let env = vars(&[
            ("OPENAI_API_KEY", "k"),
            ("OPENAI_BASE_URL", "https://user:pw@proxy.example/v1"),
        ]);
        let text = render(&detect(&env, &|| false).unwrap());
        assert!(text.contains("base_url = \"${OPENAI_BASE_URL}\""), "{text}");
        assert!(!text.contains("pw@"), "{text}");
    }
}
