//! Starting a session: which conversation it opens with, the command line's choices, the front
//! end's handle, and `start_session` (a child module of `session`, since it opens the
//! conversation on the session before its task starts; `Core` in service.rs calls it).

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

/// A front end's side of a session: `Op`s in, `Event`s out. `task` ends after `Op::Shutdown`
/// (or dropping `ops`) once the session has saved what it must, if this was its last front end.
pub struct SessionHandle {
    pub ops: mpsc::UnboundedSender<Op>,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub task: JoinHandle<()>,
}

/// Start a session task heard by front end `subscriber`. Opening the requested conversation
/// happens before this returns, so an unknown id is an error here, not an event.
pub(in crate::core) async fn start_session(
    deps: Arc<CoreDeps>,
    open_sessions: Arc<LiveSessions>,
    options: &SessionOptions,
    subscriber: SubscriberId,
    events: mpsc::UnboundedSender<Event>,
) -> Result<SessionRef, CoreError> {
    let (inbox_tx, inbox_rx) = mpsc::unbounded_channel();
    let me = SessionRef {
        key: super::super::live::next_id(),
        inbox: inbox_tx,
    };
    let mut session = Session::new(deps, open_sessions, me.clone(), options)?;
    session.subscribers.add(subscriber, events);
    match &options.start {
        SessionStart::New => {}
        SessionStart::ContinueLast => {
            if let Some(id) = session.deps.store.most_recent().await? {
                session.load(id, options).await?;
            }
        }
        SessionStart::Resume(prefix) => {
            let id = session.deps.store.resolve(prefix).await?;
            session.load(id, options).await?;
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
    session.start_extensions();
    for message in &session.deps.permissions.warnings {
        session.emit(Event::Notice {
            message: format!("warning: {message}"),
        });
    }
    tokio::spawn(session.run(inbox_rx));
    Ok(me)
}
