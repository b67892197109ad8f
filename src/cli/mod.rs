//! CLI subcommands: thin layers that parse, call the core or the store, and print. `cli` sits
//! on top: it builds the core ([`CliContext::build_core`]) and hands it to the front ends
//! (`interactive.rs` runs the TUI, `run.rs` is headless). Every failure becomes a [`CliError`]
//! with an exit code (README "Commands": 1 = the turn failed, 2 = bad usage, bad config or
//! unusable store) and a message whose first line says what was wrong and what to do.

pub mod agents;
pub mod args;
pub mod checkpoints;
pub mod config;
pub mod diff;
pub mod doctor;
pub mod history;
pub mod hooks;
pub mod init;
pub mod interactive;
pub mod jobs;
pub mod mcp;
pub mod memory;
pub mod models;
pub mod route;
pub mod run;
pub mod sandbox;
pub mod serve;
pub mod token;
pub mod usage;
pub mod worktree;

use crate::config::{Config, ConfigError, HarnessPaths, Overrides};
use crate::core::CoreDeps;
use args::{Cli, Command};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// An error that ends a CLI command.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    /// Bad usage, bad config, unusable store: exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }

    /// The turn (or operation) failed: exit 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::usage(format!("config error: {e}"))
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        CliError::usage(e.to_string())
    }
}

pub type CliResult = Result<(), CliError>;

/// What every subcommand starts from: resolved paths and the `--config` override.
#[derive(Debug, Clone)]
pub struct CliContext {
    pub paths: HarnessPaths,
}

impl CliContext {
    pub fn new(config_override: Option<PathBuf>) -> Result<Self, CliError> {
        let paths = HarnessPaths::from_env()
            .map_err(|e| CliError::usage(e.to_string()))?
            .with_config_file(config_override);
        Ok(Self { paths })
    }

    /// Load the config; a file that exposes literal keys gets a warning on stderr (and in
    /// the log) every time, until it is fixed.
    pub fn load_config(&self, overrides: &Overrides) -> Result<Config, CliError> {
        let config = crate::config::load(&self.paths.config_file, overrides)?;
        if let Some(warning) = crate::config::exposure::literal_key_exposure(&config) {
            tracing::warn!("{warning}");
            eprint_line(&format!("warning: {warning}"));
        }
        Ok(config)
    }

    /// Build the core's shared parts for a session in the current directory.
    pub fn build_core(&self, config: Config) -> Result<Arc<CoreDeps>, CliError> {
        let workspace = std::env::current_dir()
            .map_err(|e| CliError::usage(format!("cannot read the current directory: {e}")))?;
        CoreDeps::build(&self.paths, config, workspace)
            .map(Arc::new)
            .map_err(|e| CliError::usage(e.to_string()))
    }

    pub fn open_store(&self) -> Result<crate::store::Store, CliError> {
        Ok(crate::store::Store::open(&self.paths.db)?)
    }
}

/// Run the parsed command line and turn the outcome into an exit code.
pub fn main(cli: Cli) -> ExitCode {
    // This binary is the sandbox's in-container agent too.
    if let Ok(exe) = std::env::current_exe() {
        crate::sandbox::docker::agent::register_binary(exe);
    }
    let env_profile = std::env::var(crate::profile::PROFILE_VAR).ok();
    let result = crate::profile::choose(cli.profile.as_deref(), env_profile.as_deref())
        .map_err(|e| {
            CliError::usage(format!(
                "{e} (from --profile or {})",
                crate::profile::PROFILE_VAR
            ))
        })
        .map(|name| crate::profile::set_current(&name))
        .and_then(|()| CliContext::new(cli.config.clone()))
        .and_then(|ctx| {
            crate::startup::mark("paths resolved");
            let _log_guard = crate::logging::init(&ctx.paths.logs_dir, cli.command.is_none());
            crate::startup::logging_ready();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| CliError::failed(format!("cannot start the async runtime: {e}")))?;
            runtime.block_on(dispatch(ctx, cli))
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint_line(&format!("harness: {}", e.message));
            ExitCode::from(e.code)
        }
    }
}

async fn dispatch(ctx: CliContext, cli: Cli) -> CliResult {
    match cli.command {
        None => interactive::run(ctx, cli.continue_last, cli.resume, cli.model, cli.agent).await,
        Some(Command::Run(args)) => run::run(&ctx, args).await,
        Some(Command::History(cmd)) => history::run(&ctx, cmd).await,
        Some(Command::Models(args)) => models::run(&ctx, args).await,
        Some(Command::Agents(args)) => agents::run(&ctx, args).await,
        Some(Command::Route(args)) => route::run(&ctx, args).await,
        Some(Command::Config(cmd)) => config::run(&ctx, cmd).await,
        Some(Command::Doctor) => doctor::run(&ctx).await,
        Some(Command::Sandbox(cmd)) => sandbox::run(&ctx, cmd).await,
        Some(Command::Init(args)) => init::run(&ctx, args).await,
        Some(Command::Usage(args)) => usage::run(&ctx, args).await,
        Some(Command::Undo(args)) => checkpoints::undo(&ctx, args).await,
        Some(Command::Checkpoints(cmd)) => checkpoints::run(&ctx, cmd).await,
        Some(Command::Rewind(args)) => checkpoints::rewind(&ctx, args).await,
        Some(Command::Fork(args)) => checkpoints::fork(&ctx, args).await,
        Some(Command::Jobs(cmd)) => jobs::run(&ctx, cmd).await,
        Some(Command::Serve(args)) => serve::run(&ctx, args).await,
        Some(Command::Token(cmd)) => token::run(&ctx, cmd).await,
        Some(Command::Diff(args)) => diff::run(&ctx, args).await,
        Some(Command::Memory(cmd)) => memory::run(&ctx, cmd).await,
        Some(Command::Profiles(args)) => memory::profiles(&ctx, args.json).await,
        Some(Command::Mcp(cmd)) => mcp::run(&ctx, cmd).await,
        Some(Command::Hooks(cmd)) => hooks::run(&ctx, cmd).await,
    }
}

/// Write one message to stderr (the CLI's only error printer).
pub fn eprint_line(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{message}");
}

/// Write text to stdout, ignoring a closed pipe (e.g. `| head`).
pub fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Write a value as pretty JSON to stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed(format!("cannot encode JSON: {e}")))?;
    print_out(&text);
    print_out("\n");
    Ok(())
}

/// SIGINT (Ctrl+C) or SIGTERM: how the long-running commands (`serve`, `jobs worker`) are
/// asked to stop.
pub(crate) async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("stop asked (SIGINT or SIGTERM)");
}
