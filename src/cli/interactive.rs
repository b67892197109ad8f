//! `harness` with no subcommand: builds the core, starts a session (new, `--continue` or
//! `--resume`), runs the TUI over its Op/Event channels, and prints how to resume when the user
//! quits. The TUI itself never builds the core or touches the store, providers or Docker; what
//! it may start on the host (building the sandbox image) is handed to it here as a closure.

use super::{CliContext, CliError, CliResult, print_out};
use crate::config::Config;
use crate::message::ConversationId;
use crate::protocol::{Event, Op};
use crate::tui::{self, AgentInfo, ImageBuilder, TuiError};
use tokio::sync::mpsc;

/// Starts `/sandbox build` when the configured image is the default one: builds it in a
/// background task and reports each build step and the outcome as notices on `events`.
/// It holds the channel weakly, so the App still sees the channel close when the session ends.
/// `/jobs`: read the jobs in the background and answer with a notice (the TUI never reads the
/// store itself).
fn jobs_lister(
    store: crate::store::Store,
    events: mpsc::WeakSender<Event>,
) -> crate::tui::app::JobsLister {
    crate::tui::app::JobsLister::new(move || {
        let Some(events) = events.upgrade() else {
            return;
        };
        let store = store.clone();
        tokio::spawn(async move {
            let message = match crate::jobs::api::list(&store).await {
                Ok(jobs) => super::jobs::jobs_text(&jobs),
                Err(e) => format!("cannot list the jobs: {e}"),
            };
            let _ = events.try_send(Event::Notice { message });
        });
    })
}

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

/// Print how to come back to a conversation after the TUI has closed.
pub fn print_resume_hint(id: Option<ConversationId>) {
    if let Some(id) = id {
        print_out(&format!(
            "Resume this conversation with: harness --resume {id}\n"
        ));
    }
}

/// A TUI failure as a CLI error: a bad theme is bad config (exit 2), the rest failed (exit 1).
fn tui_error(e: TuiError) -> CliError {
    match e {
        TuiError::Theme(_) | TuiError::Keys(_) => CliError::usage(e.to_string()),
        TuiError::Setup(_) | TuiError::Terminal(_) => CliError::failed(e.to_string()),
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
    crate::startup::mark("config loaded");
    let mut app_config = tui::app_config(&config, &ctx.paths).map_err(tui_error)?;
    // The App speaks bounded channels; the core's are unbounded (it never waits on the UI).
    let (ops_tx, mut ops_rx) = mpsc::channel::<Op>(256);
    let (events_tx, events_rx) = mpsc::channel::<Event>(4096);
    app_config.image_builder = image_builder(&config, events_tx.downgrade());
    let deps = ctx.build_core(config)?;
    crate::startup::mark("core built (store, providers, agents)");
    // Sandbox containers started ahead of the first tool call (`[sandbox] pool`).
    crate::sandbox::docker::pool::start_for(&deps.config.sandbox, &deps.workspace);
    app_config.workspace = Some(deps.workspace.clone());
    app_config.jobs_lister = Some(jobs_lister(deps.store.clone(), events_tx.downgrade()));
    app_config.command_dirs = vec![
        (
            deps.workspace.join(".harness").join("commands"),
            tui::commands::custom::Scope::Project,
        ),
        (ctx.paths.commands_dir(), tui::commands::custom::Scope::User),
    ];
    app_config.agents = deps
        .agents
        .iter()
        .map(|a| AgentInfo {
            name: a.name.clone(),
            description: a.description.clone(),
            tools: Some(a.tools.clone()),
        })
        .collect();
    let start = SessionStart::from_flags(resume, continue_last);
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
    crate::startup::mark("session started (conversation loaded)");

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
    let result = tui::run_with_session(app_config, ops_tx, events_rx).await;
    let _ = session.ops.send(Op::Shutdown);
    // Give the session a moment to stop its sandbox; never hang the exit on it.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), session.task).await;
    crate::sandbox::docker::pool::shutdown().await;
    crate::sandbox::docker::orphans::finish_sweep(std::time::Duration::from_secs(5)).await;
    ops_forward.abort();
    events_forward.abort();
    let exit = result.map_err(tui_error)?;
    if !exit.tail.is_empty() {
        print_out(&format!("{}\n", exit.tail.join("\n")));
    }
    print_resume_hint(exit.conversation);
    Ok(())
}
