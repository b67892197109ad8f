//! Starting a session: which conversation it opens with, the command line's choices, the front
//! end's handle, and `spawn` (a child module of `session`, since it opens the conversation on the
//! session before its task starts).

use super::*;

/// Which conversation a session opens with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStart {
    New,
    ContinueLast,
    /// An id or unique prefix.
    Resume(String),
}

impl SessionStart {
    /// From the front ends' flags: an id (`--resume`, `--conversation`) wins over `--continue`.
    pub fn from_flags(id: Option<String>, continue_last: bool) -> Self {
        match (id, continue_last) {
            (Some(id), _) => SessionStart::Resume(id),
            (None, true) => SessionStart::ContinueLast,
            (None, false) => SessionStart::New,
        }
    }
}

/// Per-session choices from the command line.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub start: SessionStart,
    /// `-m`: pin a model (or `auto`).
    pub model: Option<String>,
    /// `-a`: the agent.
    pub agent: Option<String>,
    /// `--approve`: overrides config and agent.
    pub approval: Option<ApprovalMode>,
    /// Nobody can answer approval requests (`harness run`).
    pub headless: bool,
}

/// The front end's side of a running session.
pub struct SessionHandle {
    pub ops: mpsc::UnboundedSender<Op>,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub task: JoinHandle<()>,
}

/// Start a session task. Opening the requested conversation happens before this returns, so
/// an unknown id is an error here, not an event.
pub async fn spawn(
    deps: Arc<CoreDeps>,
    options: SessionOptions,
) -> Result<SessionHandle, CoreError> {
    let (ops_tx, ops_rx) = mpsc::unbounded_channel();
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let mut session = Session::new(deps, events_tx, &options)?;
    match &options.start {
        SessionStart::New => {}
        SessionStart::ContinueLast => {
            if let Some(id) = session.deps.store.most_recent().await? {
                session.load(id, &options).await?;
            }
        }
        SessionStart::Resume(prefix) => {
            let id = session.deps.store.resolve(prefix).await?;
            session.load(id, &options).await?;
        }
    }
    if session.deps.config.sandbox.backend == crate::sandbox::SandboxBackend::Docker {
        // Containers left by harness processes that died (never other containers).
        crate::sandbox::docker::orphans::sweep_in_background();
        if session.deps.config.sandbox.warm {
            // Start the container now so the first tool call does not wait for it.
            if let Err(e) = session.tool_context(None, CancellationToken::new()) {
                tracing::warn!("warm start: {e}");
            }
        }
    }
    session.refresh_today().await;
    session.announce();
    for message in &session.deps.permissions.warnings {
        session.emit(Event::Notice {
            message: format!("warning: {message}"),
        });
    }
    let task = tokio::spawn(session.run(ops_rx));
    Ok(SessionHandle {
        ops: ops_tx,
        events: events_rx,
        task,
    })
}
