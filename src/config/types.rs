//! The typed, resolved configuration every other module reads. Built by `load.rs` from
//! defaults, the config file, the environment and command-line flags, in that order.

use super::sandbox::SandboxBackend;
use crate::protocol::ApprovalMode;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Anthropic,
    Openai,
    Openrouter,
    Zai,
    Ollama,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Openai => "openai",
            ProviderKind::Openrouter => "openrouter",
            ProviderKind::Zai => "zai",
            ProviderKind::Ollama => "ollama",
        }
    }

    /// The documented default base URL (the client appends its own paths).
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "https://api.anthropic.com",
            ProviderKind::Openai => "https://api.openai.com/v1",
            ProviderKind::Openrouter => "https://openrouter.ai/api/v1",
            ProviderKind::Zai => "https://api.z.ai/api/paas/v4",
            ProviderKind::Ollama => "http://127.0.0.1:11434",
        }
    }

    pub fn needs_api_key(self) -> bool {
        !matches!(self, ProviderKind::Ollama)
    }
}

/// `[providers.NAME]`, resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderConfig {
    #[serde(skip)]
    pub name: String,
    pub kind: ProviderKind,
    pub api_key: Option<Secret>,
    /// Always set after loading: the configured URL or the kind's default, without a trailing `/`.
    pub base_url: String,
    /// Extra request headers (e.g. OpenRouter's `HTTP-Referer`, `X-Title`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    pub connect_timeout_secs: u64,
    /// How long to wait for the response headers / first byte.
    pub first_byte_timeout_secs: u64,
    /// How long a stream may stay silent between chunks.
    pub idle_timeout_secs: u64,
    /// Retries before the first token (0 = no retry).
    pub max_retries: u32,
    /// Default context window for this provider's models (Ollama `num_ctx` when /api/show
    /// does not say).
    pub context_window: Option<u64>,
    /// Where this provider came from (config file or environment).
    #[serde(skip)]
    pub origin: super::env_providers::ProviderOrigin,
}

/// `[models.ALIAS]`: an alias plus metadata the harness cannot always ask a provider for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelAlias {
    pub id: String,
    pub context_window: Option<u64>,
    pub input_price_per_mtok: Option<f64>,
    pub output_price_per_mtok: Option<f64>,
    /// Price of input tokens read from the provider's prompt cache (default: the input price).
    #[serde(default)]
    pub cached_input_price_per_mtok: Option<f64>,
}

/// `[[router.rules]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub name: String,
    #[serde(default)]
    pub priority: i64,
    pub category: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub regex: Option<String>,
    pub min_chars: Option<usize>,
    pub max_chars: Option<usize>,
    pub agent: Option<String>,
    #[serde(default)]
    pub models: Vec<String>,
    /// Line of the rule in the config file, for error messages.
    #[serde(skip)]
    pub line: Option<usize>,
}

/// `[router]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RouterConfig {
    pub default: Option<String>,
    #[serde(default)]
    pub rules: Vec<RouteRule>,
}

/// `[agents.NAME]` (or `agents/NAME.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub system_prompt: String,
    /// `None` = every tool; `Some([])` = no tools.
    pub tools: Option<Vec<String>>,
    pub model: Option<String>,
    pub approval: Option<ApprovalMode>,
}

/// `[sandbox]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxConfig {
    pub backend: SandboxBackend,
    pub image: String,
    pub network: bool,
    pub memory_mb: u64,
    pub cpus: f64,
    pub pids: i64,
    pub timeout_secs: u64,
    /// Start the container in the background at launch so the first tool call does not wait.
    pub warm: bool,
    /// Docker backend: mount the workspace's `.git` writable. Off by default, so a command cannot
    /// plant hooks or rewrite history behind the user's back.
    pub git_writable: bool,
    /// Docker backend, long-lived processes (TUI, `serve`): containers kept started and ready
    /// so a conversation's first tool call does not wait for one (0 = off, at most 8).
    pub pool: usize,
    /// Host backend: environment variables passed to commands besides the built-in allowlist
    /// (PATH, HOME, LANG, LC_*, TERM, ...). Everything else in the harness's environment is
    /// withheld.
    pub env_allow: Vec<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            backend: SandboxBackend::Docker,
            image: super::sandbox::default_image_tag().to_string(),
            network: false,
            memory_mb: 2048,
            cpus: 2.0,
            pids: 256,
            timeout_secs: 120,
            warm: false,
            git_writable: false,
            pool: 0,
            env_allow: Vec::new(),
        }
    }
}

/// `[approval]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalConfig {
    pub mode: ApprovalMode,
}

/// `[ui]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    pub theme: String,
    /// Capture the mouse for wheel scrolling; `false` leaves it to the terminal for selection.
    /// Inline mode never captures it (the terminal scrolls its own scrollback).
    pub mouse: bool,
    /// `inline` (the conversation in the terminal's scrollback) or `fullscreen`.
    pub mode: UiMode,
    /// How to say a turn ended while the terminal is not focused.
    pub notify: NotifyMode,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: "dark".to_string(),
            mouse: true,
            mode: UiMode::default(),
            notify: NotifyMode::default(),
        }
    }
}

/// `[ui] notify`: how a turn that ends while the terminal is not focused is announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyMode {
    Off,
    /// The terminal bell (most terminals flag the tab or window).
    #[default]
    Bell,
    /// A desktop notification by OSC 9 (iTerm2, WezTerm, Windows Terminal, kitty).
    Osc9,
    /// A desktop notification by OSC 777 (foot, rxvt-unicode, VTE terminals).
    Osc777,
}

/// `[keys]`: action name -> key or keys (`submit = "ctrl+s"`, `newline = ["enter"]`); each is
/// bound in front of the defaults (the TUI checks the names).
pub type KeysConfig = BTreeMap<String, KeyList>;

/// One key or a list of keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn keys(&self) -> Vec<&str> {
        match self {
            KeyList::One(k) => vec![k.as_str()],
            KeyList::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

/// `[ui] mode`: where the conversation is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UiMode {
    /// Finished messages go into the terminal's own scrollback (search, selection and copy
    /// are the terminal's; the conversation stays after quitting); a small live area redraws.
    #[default]
    Inline,
    /// The alternate screen, scrolled by the harness (PgUp/PgDn, mouse wheel).
    Fullscreen,
}

/// `[session]`: limits of the turn loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Model calls in one user turn before the loop stops (tool loops end here).
    pub max_steps: u32,
    /// Fraction of the context window that triggers compaction.
    pub compact_threshold: f64,
    /// Largest prompt accepted, in bytes.
    pub max_prompt_bytes: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_steps: 50,
            compact_threshold: 0.8,
            max_prompt_bytes: 4 * 1024 * 1024,
        }
    }
}

/// `[checkpoints]`: what the harness keeps so a turn's changes to the workspace can be undone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckpointsConfig {
    /// Record the workspace files each turn changes (write, edit, bash).
    pub enabled: bool,
    /// Checkpoints older than this many days are pruned (with a notice); 0 keeps them forever.
    pub keep_days: u32,
    /// A workspace with more files than this is not snapshotted before `bash`.
    pub max_files: usize,
    /// ... nor one whose files total more than this many bytes.
    pub max_bytes: u64,
    /// Single files larger than this are left out of `bash` snapshots.
    pub max_file_bytes: u64,
}

impl Default for CheckpointsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            keep_days: 30,
            max_files: 50_000,
            max_bytes: 1024 * 1024 * 1024,
            max_file_bytes: 10 * 1024 * 1024,
        }
    }
}

/// The whole resolved configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    pub default_model: String,
    pub default_agent: String,
    pub providers: BTreeMap<String, ProviderConfig>,
    pub models: BTreeMap<String, ModelAlias>,
    pub router: RouterConfig,
    pub agents: BTreeMap<String, AgentConfig>,
    pub sandbox: SandboxConfig,
    pub approval: ApprovalConfig,
    pub ui: UiConfig,
    /// `[keys]`: the user's key bindings.
    pub keys: KeysConfig,
    pub session: SessionConfig,
    pub checkpoints: CheckpointsConfig,
    pub permissions: super::permissions::PermissionsConfig,
    pub budgets: super::budgets::BudgetsConfig,
    pub server: super::server::ServerConfig,
    pub subagents: super::subagents::SubagentsConfig,
    pub git: super::subagents::GitConfig,
    pub memory: super::memory::MemoryConfig,
    pub mcp: super::mcp::McpConfig,
    pub hooks: super::hooks::HooksConfig,
    /// The file this came from, if one existed.
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// Providers whose `api_key` is written in the file itself (not `${VAR}`).
    #[serde(skip)]
    pub literal_keys: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            default_model: "auto".to_string(),
            default_agent: "general".to_string(),
            providers: BTreeMap::new(),
            models: BTreeMap::new(),
            router: RouterConfig::default(),
            agents: BTreeMap::new(),
            sandbox: SandboxConfig::default(),
            approval: ApprovalConfig::default(),
            ui: UiConfig::default(),
            keys: KeysConfig::default(),
            session: SessionConfig::default(),
            checkpoints: CheckpointsConfig::default(),
            permissions: Default::default(),
            budgets: Default::default(),
            server: Default::default(),
            subagents: Default::default(),
            git: Default::default(),
            memory: Default::default(),
            mcp: Default::default(),
            hooks: Default::default(),
            source: None,
            literal_keys: Vec::new(),
        }
    }
}
