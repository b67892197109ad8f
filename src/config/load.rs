//! Builds a [`Config`] from layers: built-in defaults, then the TOML file, then `HARNESS_*`
//! environment variables, then command-line flags. Unknown keys and bad values are reported
//! with the file and line; `${VAR}` is expanded only in values that hold secrets or URLs
//! (`api_key`, `base_url`, `headers`), and an unset VAR is an error naming it.

use super::env_providers::ProviderOrigin;
use super::sandbox::SandboxBackend;
use super::types::*;
use crate::protocol::ApprovalMode;
use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source} (check the path and its permissions)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Value(String),
}

/// Values from flags, applied last.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub model: Option<String>,
    pub agent: Option<String>,
    pub approval: Option<ApprovalMode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    kind: Spanned<String>,
    api_key: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    connect_timeout_secs: Option<u64>,
    first_byte_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    max_retries: Option<u32>,
    context_window: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRouter {
    default: Option<String>,
    #[serde(default)]
    rules: Vec<Spanned<RouteRule>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    default_model: Option<String>,
    default_agent: Option<String>,
    #[serde(default)]
    providers: BTreeMap<String, Spanned<RawProvider>>,
    #[serde(default)]
    models: BTreeMap<String, ModelAlias>,
    #[serde(default)]
    router: RawRouter,
    #[serde(default)]
    agents: BTreeMap<String, AgentConfig>,
    #[serde(default)]
    sandbox: SandboxConfig,
    #[serde(default)]
    approval: ApprovalConfig,
    #[serde(default)]
    ui: UiConfig,
    #[serde(default)]
    keys: super::types::KeysConfig,
    #[serde(default)]
    session: SessionConfig,
    #[serde(default)]
    checkpoints: super::types::CheckpointsConfig,
    #[serde(default)]
    permissions: super::permissions::RawPermissions,
    #[serde(default)]
    budgets: super::budgets::BudgetsConfig,
    #[serde(default)]
    server: super::server::ServerConfig,
    #[serde(default)]
    subagents: super::subagents::SubagentsConfig,
    #[serde(default)]
    git: super::subagents::GitConfig,
    #[serde(default)]
    memory: super::memory::MemoryConfig,
    #[serde(default)]
    mcp: super::mcp::McpConfig,
    #[serde(default)]
    hooks: super::hooks::HooksConfig,
}

/// Load the config file at `path` (a missing file means defaults), then apply the environment
/// and `overrides`.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Config, ConfigError> {
    let env = |k: &str| std::env::var(k).ok();
    let ollama_live = || super::env_providers::local_ollama_live(&env);
    let mut config = match std::fs::read_to_string(path) {
        Ok(text) => parse_with(&text, path, &env, &ollama_live)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut config = Config::default();
            super::env_providers::apply(&mut config, &env, &ollama_live)
                .map_err(ConfigError::Value)?;
            config
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    apply_env(&mut config, &env)?;
    apply_overrides(&mut config, overrides);
    Ok(config)
}

/// Parse config text. `lookup` resolves `${VAR}` (the process environment in production) and,
/// when the text names no providers, supplies them (see `env_providers`; no Ollama probe here).
pub fn parse(
    text: &str,
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    parse_with(text, path, lookup, &|| false)
}

/// [`parse`] with the local Ollama probe to ask when the environment names no Ollama.
///
/// Long by design: the loading steps in their documented order (parse, expand, providers from the
/// environment, defaults, checks).
fn parse_with(
    text: &str,
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    ollama_live: &dyn Fn() -> bool,
) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: first_line(e.message()),
        }
    })?;
    let invalid = |offset: usize, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: line_col(text, offset).0,
        message,
    };

    let mut providers = BTreeMap::new();
    let mut literal_keys = Vec::new();
    for (name, spanned) in raw.providers {
        let at = spanned.span().start;
        let rp = spanned.into_inner();
        let kind = parse_kind(rp.kind.get_ref()).map_err(|m| invalid(rp.kind.span().start, m))?;
        let api_key = match &rp.api_key {
            Some(k) => {
                reject_bare_vars(k.get_ref()).map_err(|m| {
                    invalid(k.span().start, format!("providers.{name}.api_key: {m}"))
                })?;
                if !k.get_ref().contains("${") {
                    literal_keys.push(name.clone());
                }
                let value = expand_vars(k.get_ref(), lookup).map_err(|m| {
                    invalid(k.span().start, format!("providers.{name}.api_key: {m}"))
                })?;
                if value.trim().is_empty() {
                    return Err(invalid(
                        k.span().start,
                        format!(
                            "providers.{name}.api_key is empty: set it to your key, e.g. api_key = \"${{{}_API_KEY}}\"",
                            name.to_uppercase()
                        ),
                    ));
                }
                Some(Secret::new(value))
            }
            None if kind.needs_api_key() => {
                return Err(invalid(
                    at,
                    format!(
                        "providers.{name} has no api_key: add api_key = \"${{{}_API_KEY}}\"",
                        name.to_uppercase()
                    ),
                ));
            }
            None => None,
        };
        let base_url = match &rp.base_url {
            Some(u) => {
                reject_bare_vars(u.get_ref()).map_err(|m| {
                    invalid(u.span().start, format!("providers.{name}.base_url: {m}"))
                })?;
                let value = expand_vars(u.get_ref(), lookup).map_err(|m| {
                    invalid(u.span().start, format!("providers.{name}.base_url: {m}"))
                })?;
                validate_url(&value).map_err(|m| {
                    invalid(u.span().start, format!("providers.{name}.base_url: {m}"))
                })?;
                value.trim_end_matches('/').to_string()
            }
            None => kind.default_base_url().to_string(),
        };
        let mut headers = BTreeMap::new();
        for (h, v) in &rp.headers {
            let value = expand_vars(v.get_ref(), lookup).map_err(|m| {
                invalid(v.span().start, format!("providers.{name}.headers.{h}: {m}"))
            })?;
            headers.insert(h.clone(), value);
        }
        providers.insert(
            name.clone(),
            ProviderConfig {
                name,
                kind,
                api_key,
                base_url,
                headers,
                connect_timeout_secs: rp.connect_timeout_secs.unwrap_or(10),
                first_byte_timeout_secs: rp.first_byte_timeout_secs.unwrap_or(120),
                idle_timeout_secs: rp.idle_timeout_secs.unwrap_or(90),
                max_retries: rp.max_retries.unwrap_or(3),
                context_window: rp.context_window,
                origin: ProviderOrigin::ConfigFile,
            },
        );
    }

    let rules = raw
        .router
        .rules
        .into_iter()
        .map(|s| {
            let line = line_col(text, s.span().start).0;
            let mut rule = s.into_inner();
            rule.line = Some(line);
            rule
        })
        .collect();

    let permissions = raw.permissions.resolve(
        text,
        path,
        &crate::permissions::Source::Config(path.to_path_buf()),
    )?;

    let mut config = Config {
        default_model: raw.default_model.unwrap_or_else(|| "auto".to_string()),
        default_agent: raw.default_agent.unwrap_or_else(|| "general".to_string()),
        providers,
        models: raw.models,
        router: RouterConfig {
            default: raw.router.default,
            rules,
        },
        agents: raw.agents,
        sandbox: raw.sandbox,
        approval: raw.approval,
        ui: raw.ui,
        keys: raw.keys,
        session: raw.session,
        checkpoints: raw.checkpoints,
        permissions,
        budgets: raw.budgets,
        server: raw.server,
        subagents: raw.subagents,
        git: raw.git,
        memory: raw.memory,
        mcp: raw.mcp,
        hooks: raw.hooks,
        source: Some(path.to_path_buf()),
        literal_keys,
    };
    super::env_providers::apply(&mut config, lookup, ollama_live).map_err(ConfigError::Value)?;
    validate(&config).map_err(ConfigError::Value)?;
    Ok(config)
}

fn apply_env(config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    if let Some(m) = env("HARNESS_MODEL").filter(|v| !v.is_empty()) {
        config.default_model = m;
    }
    if let Some(a) = env("HARNESS_AGENT").filter(|v| !v.is_empty()) {
        config.default_agent = a;
    }
    if let Some(a) = env("HARNESS_APPROVAL").filter(|v| !v.is_empty()) {
        config.approval.mode = a
            .parse()
            .map_err(|e: String| ConfigError::Value(format!("HARNESS_APPROVAL: {e}")))?;
    }
    if let Some(b) = env("HARNESS_SANDBOX").filter(|v| !v.is_empty()) {
        config.sandbox.backend = match b.as_str() {
            "docker" => SandboxBackend::Docker,
            "host" => SandboxBackend::Host,
            other => {
                return Err(ConfigError::Value(format!(
                    "HARNESS_SANDBOX: unknown backend `{other}`: use docker or host"
                )));
            }
        };
    }
    if let Some(t) = env("HARNESS_THEME").filter(|v| !v.is_empty()) {
        config.ui.theme = t;
    }
    Ok(())
}

fn apply_overrides(config: &mut Config, o: &Overrides) {
    if let Some(m) = &o.model {
        config.default_model = m.clone();
    }
    if let Some(a) = &o.agent {
        config.default_agent = a.clone();
    }
    if let Some(a) = o.approval {
        config.approval.mode = a;
    }
}

/// Checks that need the whole config (references between sections).
fn validate(config: &Config) -> Result<(), String> {
    for (alias, m) in &config.models {
        // Without file providers an alias may name one the environment does not supply now.
        if !missing_provider_tolerated(config, &m.id) {
            check_model_ref(config, &m.id, &format!("models.{alias}.id"))?;
        }
    }
    if config.default_model != "auto" {
        check_model_ref(config, &config.default_model, "default_model")?;
    }
    config.budgets.validate()?;
    if let Some(problem) = config.subagents.problem() {
        return Err(problem);
    }
    config.memory.validate()?;
    super::mcp::validate(&config.mcp)?;
    super::hooks::validate(&config.hooks, "hooks")?;
    if let Some(to) = &config.budgets.downgrade_to
        && !missing_provider_tolerated(config, to)
    {
        check_model_ref(config, to, "budgets.downgrade_to")?;
    }
    if !(0.1..=1.0).contains(&config.session.compact_threshold) {
        return Err("session.compact_threshold must be between 0.1 and 1.0".to_string());
    }
    if config.sandbox.memory_mb < 16 || config.sandbox.pids < 8 || config.sandbox.cpus <= 0.0 {
        return Err(
            "sandbox limits too small: memory_mb >= 16, pids >= 8, cpus > 0 are required"
                .to_string(),
        );
    }
    Ok(())
}

/// Resolve an alias or `provider/model` to a `provider/model` reference, checking the provider.
pub fn resolve_model_ref(
    config: &Config,
    reference: &str,
) -> Result<crate::message::ModelRef, String> {
    let target = config
        .models
        .get(reference)
        .map(|a| a.id.as_str())
        .unwrap_or(reference);
    let parsed = crate::message::ModelRef::parse(target).ok_or_else(|| {
        format!(
            "`{reference}` is not a model reference: use provider/model-id (e.g. anthropic/claude-sonnet-4-6), an alias from [models], or auto"
        )
    })?;
    if !config.providers.contains_key(&parsed.provider) {
        return Err(format!(
            "`{reference}` names provider `{}`, which is not {}: {}",
            parsed.provider,
            if super::env_providers::providers_from_env(config)
                && super::env_providers::spec(&parsed.provider).is_some()
            {
                "available"
            } else {
                "configured"
            },
            super::env_providers::missing_provider_hint(config, &parsed.provider)
        ));
    }
    Ok(parsed)
}

/// Whether a reference to a provider that is not there is to be skipped rather than reported:
/// true when the config file defines no providers (they come from the environment, which may
/// supply different ones on another day) and the reference is well formed.
pub fn missing_provider_tolerated(config: &Config, reference: &str) -> bool {
    if !super::env_providers::providers_from_env(config) {
        return false;
    }
    let target = config
        .models
        .get(reference)
        .map(|a| a.id.as_str())
        .unwrap_or(reference);
    crate::message::ModelRef::parse(target)
        .is_some_and(|r| !config.providers.contains_key(&r.provider))
}

fn check_model_ref(config: &Config, reference: &str, key: &str) -> Result<(), String> {
    resolve_model_ref(config, reference)
        .map(|_| ())
        .map_err(|e| format!("{key}: {e}"))
}

fn parse_kind(kind: &str) -> Result<ProviderKind, String> {
    Ok(match kind {
        "anthropic" => ProviderKind::Anthropic,
        "openai" => ProviderKind::Openai,
        "openrouter" => ProviderKind::Openrouter,
        "zai" => ProviderKind::Zai,
        "ollama" => ProviderKind::Ollama,
        other => {
            return Err(format!(
                "unknown provider kind `{other}`: use anthropic, openai, openrouter, zai or ollama"
            ));
        }
    })
}

pub(super) fn validate_url(value: &str) -> Result<(), String> {
    let url = url::Url::parse(value).map_err(|e| format!("`{value}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{value}` must start with http:// or https://"));
    }
    Ok(())
}

/// A `$NAME` without braces is a mistake (the shell habit), never a key or URL to send as
/// written: say how to write it.
fn reject_bare_vars(value: &str) -> Result<(), String> {
    let bytes = value.as_bytes();
    for (i, _) in value.match_indices('$') {
        let next = bytes.get(i + 1).copied();
        if next.is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
            let name: String = value[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            return Err(format!(
                "`${name}` is not expanded (only `${{VAR}}` is): write \"${{{name}}}\""
            ));
        }
    }
    Ok(())
}

/// Expand `${VAR}` references. An unset variable or an unclosed `${` is an error.
pub fn expand_vars(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{value}`: write ${{VAR}}"))?;
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`${{{name}}}` is not a valid variable name"));
        }
        let v = lookup(name).ok_or_else(|| {
            format!(
                "environment variable {name} is not set: export {name}=... or change the config"
            )
        })?;
        out.push_str(&v);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, column)
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

#[cfg(test)]
mod tests;
