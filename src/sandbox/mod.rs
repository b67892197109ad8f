//! Where the model's shell commands run. [`Sandbox`] is the one seam between the tools and the
//! machine: `host` runs commands directly in the workspace (only when configured), `docker` runs
//! them in a hardened per-conversation container. File tools (read/write/edit/glob/grep) do not
//! go through `exec`; they act on the workspace directory itself, confined by `paths.rs` (checks
//! and messages) and `beneath.rs` (race-free opening), which is the same directory the docker
//! backend bind-mounts at /workspace. `refusals.rs` names the sandbox when it is what said no.

pub mod beneath;
pub mod docker;
pub mod host;
pub mod paths;
pub mod refusals;
pub mod truncate;

use futures::future::BoxFuture;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

pub use crate::config::SandboxBackend;

/// One shell command to run for a tool call.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// Passed to `bash -c` (or `sh -c` where bash is missing).
    pub command: String,
    /// The command and everything it started are killed when this elapses.
    pub timeout: Duration,
    /// Live output for display (stdout and stderr chunks as they arrive, lossily decoded).
    /// Sent with `try_send`: a slow reader loses display chunks, never blocks the command.
    pub live_output: Option<mpsc::Sender<String>>,
}

/// What a finished command left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// Combined stdout+stderr, capped for the model by `truncate.rs` (head + tail).
    pub output: String,
    /// Total bytes the command wrote, before capping.
    pub total_bytes: u64,
    /// `None` when killed by a signal or the timeout.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// The command was killed for exceeding the memory limit.
    pub out_of_memory: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("docker is not available: {0}")]
    DockerUnavailable(String),
    #[error("sandbox image problem: {0}")]
    Image(String),
    #[error("sandbox failed: {0}")]
    Failed(String),
    #[error("i/o error in sandbox: {0}")]
    Io(#[from] std::io::Error),
}

pub trait Sandbox: Send + Sync {
    fn backend(&self) -> SandboxBackend;

    /// The host directory tools act on (and the docker backend mounts at /workspace).
    fn workspace(&self) -> &std::path::Path;

    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, SandboxError>>;

    /// Release whatever the sandbox holds (the docker backend removes its container).
    fn shutdown(&self) -> BoxFuture<'_, ()>;
}

/// The workspace: the directory harness was started in, canonicalised once.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
}

/// The docker sandbox of one conversation (its container is created at the first command, or
/// now in the background with `[sandbox] warm = true`).
pub fn docker_for(
    config: &crate::config::SandboxConfig,
    workspace: &std::path::Path,
    conversation: crate::message::ConversationId,
) -> Result<std::sync::Arc<dyn Sandbox>, SandboxError> {
    let sandbox = docker::DockerSandbox::new(config, workspace.to_path_buf(), conversation);
    if config.warm {
        sandbox.warm();
    }
    Ok(std::sync::Arc::new(sandbox))
}
