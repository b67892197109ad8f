//! The terminal UI (ratatui over crossterm), a front end over the core's Op/Event protocol: it
//! sends [`Op`]s and renders [`Event`]s (docs/protocol.md). Besides `protocol` it uses only the
//! layers docs/architecture.md allows it: `config` (to build its [`AppConfig`]), `message`,
//! `sanitize`, and `core` for the token estimate the "send it?" question shares with the
//! status line. It never uses `store`, `providers`, `sandbox` or `cli`: SQLite, the network
//! and Docker are reached only through the session (`tests/suite/architecture.rs` fails if
//! that changes).
//!
//! Inside: [`app`] holds the state (grouped by concept, one file each) and its handlers,
//! `view` draws it, [`event`] is the run loop that decides when to draw, [`keymap`] says what
//! each key does, [`commands`] is the one list of slash commands, [`popups`] the overlays,
//! [`input`] reads and parses the terminal's input, [`terminal`] sets the terminal up.
//!
//! `cli` builds the core and wires a session to it: an [`AppConfig`] from [`app_config`], then
//! [`run_with_session`] with the session's `Sender<Op>` / `Receiver<Event>`; it returns the
//! conversation id to print for resuming. Work the TUI starts on the host (building the sandbox
//! image) comes in as a closure ([`ImageBuilder`]).

pub mod app;
pub mod attach;
pub mod clock;
pub mod commands;
pub mod composer;
pub mod cost;
pub mod event;
pub mod files;
pub mod fuzzy;
pub mod highlight;
pub mod history_cell;
pub mod inline;
pub mod input;
pub mod keymap;
pub mod markdown;
pub mod popups;
pub mod scrollback;
pub mod terminal;
pub mod theme;
pub mod transcript;
pub mod tty_backend;
mod view;
pub mod wrap;

pub use app::{AgentInfo, App, AppConfig, HostAction, ImageBuilder};
pub use event::run_app;

use crate::config::{Config, HarnessPaths};
use crate::message::ConversationId;
use crate::protocol::{Event, Op};
use tokio::sync::mpsc;

/// Why the TUI could not start or stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// `[ui] theme` names a theme that cannot be loaded.
    #[error("config error: [ui] theme: {0}")]
    Theme(String),
    /// `[keys]` names an unknown action or key.
    #[error("config error: {0}")]
    Keys(String),
    #[error("cannot set up the terminal: {0}")]
    Setup(std::io::Error),
    #[error("terminal error: {0}")]
    Terminal(std::io::Error),
}

/// The App configuration from the resolved config: models and aliases, agents, theme, mouse.
pub fn app_config(config: &Config, paths: &HarnessPaths) -> Result<AppConfig, TuiError> {
    let no_color = theme::no_color_requested();
    let themes_dir = Some(paths.themes_dir.clone());
    let theme = theme::Theme::load(&config.ui.theme, themes_dir.as_deref(), no_color)
        .map_err(|e| TuiError::Theme(e.to_string()))?;
    let mut models: Vec<String> = config.models.keys().cloned().collect();
    for alias in config.models.values() {
        if !models.contains(&alias.id) {
            models.push(alias.id.clone());
        }
    }
    let mut agents = vec![AgentInfo {
        name: "general".into(),
        description: "the built-in general assistant".into(),
        tools: None,
    }];
    for (name, agent) in &config.agents {
        agents.retain(|a| &a.name != name);
        agents.push(AgentInfo {
            name: name.clone(),
            description: agent.description.clone(),
            tools: agent.tools.clone(),
        });
    }
    let model = Some(config.default_model.clone()).filter(|m| m != "auto");
    for (name, provider) in &config.providers {
        if let Some(spec) = crate::config::env_providers::spec(name)
            && !provider.origin.is_config_file()
        {
            let default = format!("{name}/{}", spec.default_model);
            if !models.contains(&default) {
                models.push(default);
            }
        }
    }
    Ok(AppConfig {
        models,
        agents,
        agent: config.default_agent.clone(),
        model,
        theme,
        themes_dir,
        no_color,
        mouse: config.ui.mouse,
        providers: config
            .providers
            .iter()
            .map(|(name, p)| (name.clone(), p.origin.describe()))
            .collect(),
        setup_guidance: config
            .providers
            .is_empty()
            .then(|| crate::config::env_providers::no_provider_lines(&paths.config_file)),
        image_builder: None,
        jobs_lister: None,
        keymap: keymap::Keymap::with_user_keys(&config.keys)
            .map_err(|e| TuiError::Keys(e.to_string()))?,
        inline: config.ui.mode == crate::config::UiMode::Inline,
        notify: config.ui.notify,
        // The host knows the workspace: `cli::interactive` fills these in.
        command_dirs: Vec::new(),
        workspace: None,
    })
}

/// How the TUI ended: what to print after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TuiExit {
    /// The conversation to offer for resuming (none when nothing was stored).
    pub conversation: Option<ConversationId>,
    /// Fullscreen: the conversation's last lines, printed so they stay in the scrollback.
    pub tail: Vec<String>,
}

/// Run the TUI in this terminal over a session's channels until the user quits.
pub async fn run_with_session(
    config: AppConfig,
    ops: mpsc::Sender<Op>,
    events: mpsc::Receiver<Event>,
) -> Result<TuiExit, TuiError> {
    let mouse = config.mouse;
    let inline = config.inline;
    highlight::load_in_background();
    let mut app = App::new(ops, events, config);
    let (mut guard, mut terminal) =
        terminal::TerminalGuard::enter(mouse, inline).map_err(TuiError::Setup)?;
    crate::startup::mark("terminal ready");
    let result = run_app(&mut terminal, &mut app, &mut guard).await;
    let tail = match terminal.size() {
        Ok(size) => app.transcript_tail(size.width, size.height.saturating_sub(3)),
        Err(_) => Vec::new(),
    };
    drop(guard);
    // ratatui's `Drop` reports a cursor it cannot show with `eprintln!`, which panics when the
    // terminal is gone (SIGHUP): the process would die before the session stores the partial
    // reply and removes its container. The guard has shown the cursor already.
    std::mem::forget(terminal);
    result.map_err(TuiError::Terminal)?;
    Ok(TuiExit {
        conversation: app.conversation_id(),
        tail,
    })
}
