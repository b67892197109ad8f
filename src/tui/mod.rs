//! The terminal UI (ratatui over crossterm), a front end over the core's Op/Event protocol: it
//! sends [`Op`]s and renders [`Event`]s, and never touches the store, providers or Docker.
//!
//! Wiring a session is one call: build an [`AppConfig`] with [`app_config`], then
//! [`run_with_session`] with the session's `Sender<Op>` / `Receiver<Event>`; it returns the
//! conversation id to print for resuming.

pub mod app;
pub mod commands;
pub mod composer;
pub mod event;
pub mod highlight;
pub mod history_cell;
pub mod markdown;
pub mod popups;
pub mod sanitize;
pub mod terminal;
pub mod theme;
pub mod transcript;
mod view;
pub mod wrap;

pub use app::{AgentInfo, App, AppConfig, HostAction};
pub use event::run_app;

use crate::cli::{CliContext, CliError, CliResult};
use crate::config::Config;
use crate::message::ConversationId;
use crate::protocol::{Event, Op};
use tokio::sync::mpsc;

/// The App configuration from the resolved config: models and aliases, agents, theme, mouse.
pub fn app_config(config: &Config, ctx: &CliContext) -> Result<AppConfig, CliError> {
    let no_color = theme::no_color_requested();
    let themes_dir = Some(ctx.paths.themes_dir.clone());
    let theme = theme::Theme::load(&config.ui.theme, themes_dir.as_deref(), no_color)
        .map_err(|e| CliError::usage(format!("config error: [ui] theme: {e}")))?;
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
    Ok(AppConfig {
        models,
        agents,
        agent: config.default_agent.clone(),
        model,
        theme,
        themes_dir,
        no_color,
        mouse: config.ui.mouse,
    })
}

/// Run the TUI in this terminal over a session's channels until the user quits. Returns the
/// conversation to resume, if one was started.
pub async fn run_with_session(
    config: AppConfig,
    ops: mpsc::Sender<Op>,
    events: mpsc::Receiver<Event>,
) -> Result<Option<ConversationId>, CliError> {
    let mouse = config.mouse;
    highlight::load_in_background();
    let mut app = App::new(ops, events, config);
    let (mut guard, mut terminal) = terminal::TerminalGuard::enter(mouse)
        .map_err(|e| CliError::failed(format!("cannot set up the terminal: {e}")))?;
    let result = run_app(&mut terminal, &mut app, &mut guard).await;
    drop(guard);
    result.map_err(|e| CliError::failed(format!("terminal error: {e}")))?;
    Ok(app.conversation_id())
}

/// Print how to come back to a conversation after the TUI has closed.
pub fn print_resume_hint(id: Option<ConversationId>) {
    if let Some(id) = id {
        crate::cli::print_out(&format!(
            "Resume this conversation with: harness --resume {id}\n"
        ));
    }
}

pub async fn run(
    ctx: CliContext,
    _continue_last: bool,
    _resume: Option<String>,
    model: Option<String>,
    agent: Option<String>,
) -> CliResult {
    // Validates config and theme now so errors surface before the session exists. The core
    // wires its session here: spawn it, then `run_with_session(config, ops, events)` and
    // `print_resume_hint`.
    let overrides = crate::config::Overrides {
        model,
        agent,
        ..Default::default()
    };
    let config = ctx.load_config(&overrides)?;
    let _app_config = app_config(&config, &ctx)?;
    Err(CliError::usage(
        "the TUI is not available in this build yet; use `harness run`",
    ))
}
