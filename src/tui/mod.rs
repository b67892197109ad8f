//! The terminal UI (ratatui over crossterm), a front end over the core's Op/Event protocol: it
//! sends [`Op`]s and renders [`Event`]s, and never touches the store, providers or Docker.
//!
//! Wiring a session is one call: build an [`AppConfig`] with [`app_config`], then
//! [`run_with_session`] with the session's `Sender<Op>` / `Receiver<Event>`; it returns the
//! conversation id to print for resuming.

pub mod app;
pub mod clock;
pub mod commands;
pub mod composer;
pub mod event;
pub mod highlight;
pub mod history_cell;
pub mod markdown;
pub mod popups;
pub mod terminal;
pub mod theme;
pub mod transcript;
mod view;
pub mod wrap;

pub use app::{AgentInfo, App, AppConfig, HostAction, ImageBuilder};
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
            .then(|| crate::config::env_providers::no_provider_lines(&ctx.paths.config_file)),
        image_builder: None,
    })
}

/// Starts `/sandbox build` when the configured image is the default one: builds it in a
/// background task and reports each build step and the outcome as notices on `events`.
/// It holds the channel weakly, so the App still sees the channel close when the session ends.
fn image_builder(config: &Config, events: mpsc::WeakSender<Event>) -> Option<ImageBuilder> {
    use crate::sandbox::docker::default_image::{self, BuildOptions};
    use crate::sandbox::docker::{DockerEndpoint, connect::connect};
    let docker = config.sandbox.backend == crate::sandbox::SandboxBackend::Docker;
    if !docker || config.sandbox.image != default_image::tag() {
        return None;
    }
    Some(ImageBuilder::new(move || {
        let Some(events) = events.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            let notice = |message: String| {
                let _ = events.try_send(Event::Notice { message });
            };
            notice(format!(
                "building the sandbox image {} (`{}`): this takes a few minutes",
                default_image::tag(),
                default_image::BUILD_COMMAND
            ));
            let client = match connect(&DockerEndpoint::FromEnv).await {
                Ok(c) => c,
                Err(e) => return notice(format!("cannot build the sandbox image: {e}")),
            };
            let mut progress = |line: &str| {
                if line.starts_with("Step ") {
                    notice(format!("sandbox build: {line}"));
                }
            };
            match default_image::build(&client, &BuildOptions::default(), &mut progress).await {
                Ok(tag) => notice(format!(
                    "the sandbox image {tag} is built: tool calls use it from now on"
                )),
                Err(e) => notice(format!(
                    "building the sandbox image failed: {e} (`{}` in a shell shows every line)",
                    default_image::BUILD_COMMAND
                )),
            }
        });
    }))
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
    // ratatui's `Drop` reports a cursor it cannot show with `eprintln!`, which panics when the
    // terminal is gone (SIGHUP): the process would die before the session stores the partial
    // reply and removes its container. The guard has shown the cursor already.
    std::mem::forget(terminal);
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

/// `harness` with no subcommand: start the core session (new, `--continue` or `--resume`),
/// run the TUI over it, and print how to resume when the user quits.
pub async fn run(
    ctx: CliContext,
    continue_last: bool,
    resume: Option<String>,
    model: Option<String>,
    agent: Option<String>,
) -> CliResult {
    use crate::core::{SessionOptions, SessionStart};
    // The router's patterns compile while the user types the first message, once the first
    // screen is drawn (on two cores, compiling at once would slow the start-up it should hide).
    let _ = std::thread::Builder::new()
        .name("harness-warm-up".to_string())
        .spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(400));
            crate::router::classify::warm_up();
        });
    let config = ctx.load_config(&crate::config::Overrides::default())?;
    let mut app_config = app_config(&config, &ctx)?;
    // The App speaks bounded channels; the core's are unbounded (it never waits on the UI).
    let (ops_tx, mut ops_rx) = mpsc::channel::<Op>(256);
    let (events_tx, events_rx) = mpsc::channel::<Event>(4096);
    app_config.image_builder = image_builder(&config, events_tx.downgrade());
    let deps = crate::cli::run::build_core(&ctx, config)?;
    app_config.agents = deps
        .agents
        .iter()
        .map(|a| AgentInfo {
            name: a.name.clone(),
            description: a.description.clone(),
            tools: Some(a.tools.clone()),
        })
        .collect();
    let start = match (resume, continue_last) {
        (Some(id), _) => SessionStart::Resume(id),
        (None, true) => SessionStart::ContinueLast,
        (None, false) => SessionStart::New,
    };
    let mut session = crate::core::spawn(
        deps,
        SessionOptions {
            start,
            model,
            agent,
            approval: None,
            headless: false,
        },
    )
    .await
    .map_err(|e| CliError::usage(e.to_string()))?;

    let core_ops = session.ops.clone();
    let ops_forward = tokio::spawn(async move {
        while let Some(op) = ops_rx.recv().await {
            if core_ops.send(op).is_err() {
                break;
            }
        }
    });
    let events_forward = tokio::spawn(async move {
        while let Some(event) = session.events.recv().await {
            if events_tx.send(event).await.is_err() {
                break;
            }
        }
    });
    let result = run_with_session(app_config, ops_tx, events_rx).await;
    let _ = session.ops.send(Op::Shutdown);
    // Give the session a moment to stop its sandbox; never hang the exit on it.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), session.task).await;
    crate::sandbox::docker::orphans::finish_sweep(std::time::Duration::from_secs(5)).await;
    ops_forward.abort();
    events_forward.abort();
    print_resume_hint(result?);
    Ok(())
}
