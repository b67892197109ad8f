//! The core as a service: it owns what every session shares (store, providers, router, sandbox
//! factory, agents, through `CoreDeps`) and the map of open conversations, and opens sessions for
//! any number of front ends at once (TUI, `run`, and later `serve` and the job worker). Each
//! front end gets a `SessionHandle`; a small task per front end passes its `Op`s to the session
//! it is attached to and moves it to another session on `/new` or `/resume` when the current one
//! is shared. A conversation is open in at most one session of the process: a second front end
//! on it joins that session (and its one running turn) instead of starting turns beside it.
//! Sessions in different processes do not see each other (`serve` is the shared process).

use super::live::{Inbound, LiveSessions, SessionRef, SubscriberId, SwitchAnswer, next_id};
use super::session::start_session;
use super::{CoreDeps, CoreError, SessionHandle, SessionOptions, SessionStart};
use crate::protocol::{Event, Op};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// The shared core: clone it freely (it is a pair of `Arc`s).
#[derive(Clone)]
pub struct Core {
    deps: Arc<CoreDeps>,
    open_sessions: Arc<LiveSessions>,
    /// Held while finding or starting the session of a conversation, so two front ends opening
    /// the same conversation at once end up in one session.
    opening: Arc<Mutex<()>>,
}

impl Core {
    pub fn new(deps: Arc<CoreDeps>) -> Self {
        deps.mcp.start();
        Self {
            deps,
            open_sessions: Arc::default(),
            opening: Arc::default(),
        }
    }

    /// A core sharing `open_sessions` with another (a subagent's, beside its parent's).
    pub(in crate::core) fn with_sessions(
        deps: Arc<CoreDeps>,
        open_sessions: Arc<LiveSessions>,
    ) -> Self {
        Self {
            deps,
            open_sessions,
            opening: Arc::default(),
        }
    }

    pub fn deps(&self) -> &Arc<CoreDeps> {
        &self.deps
    }

    /// The core acting for `profile` (`serve`, for a token's requests): its own store handle
    /// and memory, the same open sessions (conversation ids are unique across profiles, and a
    /// profile only ever resolves its own).
    pub fn for_profile(&self, profile: &str) -> Self {
        if profile == self.deps.store.profile() {
            return self.clone();
        }
        Self {
            deps: Arc::new(self.deps.for_profile(profile)),
            open_sessions: Arc::clone(&self.open_sessions),
            opening: Arc::clone(&self.opening),
        }
    }

    /// Conversations open in a session right now.
    pub fn open_conversations(&self) -> usize {
        self.open_sessions.len()
    }

    /// Open a session for a front end: the conversation `options.start` names joins the session
    /// that already has it open, if any; otherwise a new session starts.
    pub async fn open(&self, options: SessionOptions) -> Result<SessionHandle, CoreError> {
        let (ops_tx, ops_rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let subscriber = next_id();
        let session = self
            .attach_or_start(&options, subscriber, events_tx.clone())
            .await?;
        let task = tokio::spawn(forward_ops(
            self.clone(),
            session,
            subscriber,
            events_tx,
            ops_rx,
        ));
        Ok(SessionHandle {
            ops: ops_tx,
            events: events_rx,
            task,
        })
    }

    async fn attach_or_start(
        &self,
        options: &SessionOptions,
        subscriber: SubscriberId,
        events: mpsc::UnboundedSender<Event>,
    ) -> Result<SessionRef, CoreError> {
        let _opening = self.opening.lock().await;
        let target = match &options.start {
            SessionStart::New => None,
            SessionStart::ContinueLast => self.deps.store.most_recent().await?,
            SessionStart::Resume(prefix) => Some(self.deps.store.resolve(prefix).await?),
        };
        if let Some(session) = target.and_then(|id| self.open_sessions.get(id)) {
            let joined = session.inbox.send(Inbound::Attach {
                id: subscriber,
                events: events.clone(),
            });
            if joined.is_ok() {
                return Ok(session);
            }
        }
        let mut options = options.clone();
        if let Some(id) = target {
            options.start = SessionStart::Resume(id.to_string());
        }
        start_session(
            self.deps.clone(),
            self.open_sessions.clone(),
            &options,
            subscriber,
            events,
        )
        .await
    }
}

/// One front end's ops, to the session it is attached to, until it shuts down.
async fn forward_ops(
    core: Core,
    mut session: SessionRef,
    subscriber: SubscriberId,
    events: mpsc::UnboundedSender<Event>,
    mut ops: mpsc::UnboundedReceiver<Op>,
) {
    while let Some(op) = ops.recv().await {
        let sent = match op {
            Op::Shutdown => break,
            Op::NewConversation | Op::Resume { .. } => {
                let (answer, answered) = oneshot::channel();
                let asked = session.inbox.send(Inbound::Switch {
                    from: subscriber,
                    op,
                    answer,
                });
                match (asked, answered.await) {
                    (Ok(()), Ok(SwitchAnswer::Stayed)) => Ok(()),
                    (Ok(()), Ok(SwitchAnswer::Left(options))) => {
                        match reopen(&core, options, subscriber, &events).await {
                            Some(next) => {
                                session = next;
                                Ok(())
                            }
                            None => break,
                        }
                    }
                    _ => Err(()),
                }
            }
            op => session
                .inbox
                .send(Inbound::Op {
                    from: subscriber,
                    op,
                })
                .map_err(|_| ()),
        };
        if sent.is_err() {
            let _ = events.send(Event::Error {
                message: "the session has ended: restart harness to go on".to_string(),
                retryable: false,
            });
            return;
        }
    }
    let (answer, ended) = oneshot::channel();
    if session
        .inbox
        .send(Inbound::Detach {
            id: subscriber,
            answer,
        })
        .is_ok()
        && ended.await == Ok(true)
    {
        // Its last front end: wait until it has saved what it must.
        session.inbox.closed().await;
    }
}

/// After leaving a shared session: open the target, or a new conversation if that fails, so
/// the front end is never left without a session.
async fn reopen(
    core: &Core,
    options: SessionOptions,
    subscriber: SubscriberId,
    events: &mpsc::UnboundedSender<Event>,
) -> Option<SessionRef> {
    match core
        .attach_or_start(&options, subscriber, events.clone())
        .await
    {
        Ok(session) => Some(session),
        Err(e) => {
            let _ = events.send(Event::Error {
                message: format!("{e}; starting a new conversation instead"),
                retryable: false,
            });
            let fresh = SessionOptions {
                start: SessionStart::New,
                ..options
            };
            core.attach_or_start(&fresh, subscriber, events.clone())
                .await
                .ok()
        }
    }
}

/// A session on its own core (one front end per process: the TUI, `run`).
pub async fn spawn(
    deps: Arc<CoreDeps>,
    options: SessionOptions,
) -> Result<SessionHandle, CoreError> {
    Core::new(deps).open(options).await
}
