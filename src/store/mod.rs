//! The embedded SQLite store: conversations, messages, full-text search, prompt history.
//!
//! One connection lives on its own thread; [`Store`] is a cheap, cloneable async handle that
//! sends it closures, so neither the UI task nor the async runtime ever blocks on SQLite. The
//! durability rules of docs/architecture.md are enforced here: WAL, `busy_timeout`, `BEGIN IMMEDIATE`
//! for writes, migrations in one transaction, a newer schema refused untouched, a corrupt file
//! moved aside, private file modes.
//!
//! The query functions in the submodules take a plain `&Connection`, so tests and benches can
//! use them directly.

pub mod branches;
pub mod conversations;
mod durability;
pub mod export;
pub mod jobs;
pub mod lease;
pub mod memories;
pub mod messages;
pub mod migrate;
mod open;
pub mod profile_scope;
pub mod profiles;
pub mod search;
pub mod subagents;
pub mod tokens;
pub mod usage;
pub mod vector;

#[cfg(test)]
mod durability_tests;

pub use conversations::ListQuery;
pub use export::ExportedConversation;
pub use messages::{NewMessage, StoredMessage};
pub use search::SearchHit;

use crate::message::{ConversationId, ConversationSummary, MessageId};
#[cfg(test)]
use open::open_connection_with;
use open::{configure, open_connection};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a writer waits for another process's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot use the data directory {path}: {source} (make it writable, or set HARNESS_HOME to a writable directory)"
    )]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the database {path} has schema version {found}, newer than this harness understands ({supported}): upgrade harness, or set HARNESS_HOME to use another database. The file was left untouched."
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "the database {path} was corrupt and has been moved to {moved_to}; run again to start a new one (to recover old data: sqlite3 {moved_to} .recover)"
    )]
    Corrupt { path: PathBuf, moved_to: PathBuf },
    #[error(
        "the database {path} is read-only: make it writable (chmod u+w) or set HARNESS_HOME to another directory"
    )]
    ReadOnly { path: PathBuf },
    #[error("the database {path} is locked by another process for more than {} s: close the other harness or try again", BUSY_TIMEOUT.as_secs())]
    Busy { path: PathBuf },
    #[error(
        "no conversation matches `{0}`: see `harness history list` (add --deleted for deleted ones)"
    )]
    NotFound(String),
    #[error("`{prefix}` matches {count} conversations ({examples}): give more of the id")]
    Ambiguous {
        prefix: String,
        count: usize,
        examples: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store thread has stopped")]
    Closed,
    #[error(
        "could not write {path} to the disk: {source} (check the disk: free space, `dmesg`); the conversation is kept and saved again with the next message"
    )]
    Sync {
        path: PathBuf,
        source: std::io::Error,
    },
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Async handle to the store thread, acting for one profile: every query it sends sees only
/// that profile's rows (see `profile_scope`). Clone freely; [`Store::for_profile`] gives a
/// handle on the same thread for another profile; the thread ends when the last clone drops.
#[derive(Clone)]
pub struct Store {
    inner: Arc<StoreThread>,
    profile: Arc<str>,
}

/// The store thread and the way to reach it. When the last [`Store`] handle goes, the channel
/// closes, the thread drops its connection (SQLite then checkpoints and removes the WAL, so the
/// next start does not replay it) and is joined.
struct StoreThread {
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    checkpointer: Option<Checkpointer>,
    path: PathBuf,
    unsynced: durability::Unsynced,
}

impl Drop for StoreThread {
    fn drop(&mut self) {
        // The checkpointer's connection closes first, so the store's, closing last, can
        // checkpoint and remove the WAL.
        self.checkpointer = None;
        self.jobs = None;
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .field("profile", &self.profile)
            .finish()
    }
}

impl Store {
    /// Open (creating, migrating, recovering) the database at `path` and start its thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = open_connection(path)?;
        Ok(Self::spawn(conn, path.to_path_buf()))
    }

    /// A private in-memory store (tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrate::migrate_to(&mut conn, migrate::latest_version())?;
        Ok(Self::spawn(conn, PathBuf::from(":memory:")))
    }

    fn spawn(conn: Connection, path: PathBuf) -> Self {
        let checkpointer = if path.as_os_str() == ":memory:" {
            None
        } else {
            Checkpointer::start(&path)
        };
        Self::spawn_with(conn, path, checkpointer)
    }

    fn spawn_with(mut conn: Connection, path: PathBuf, checkpointer: Option<Checkpointer>) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("harness-store".to_string())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            });
        let thread = match spawned {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!("cannot start the store thread: {e}");
                None
            }
        };
        Self {
            inner: Arc::new(StoreThread {
                jobs: Some(jobs),
                thread,
                checkpointer,
                path,
                unsynced: Default::default(),
            }),
            profile: Arc::from(crate::profile::current()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The profile this handle acts for.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// A handle on the same database acting for `profile` (validated by the caller: see
    /// [`profile_scope::validate_name`]).
    pub fn for_profile(&self, profile: &str) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            profile: Arc::from(profile),
        }
    }

    /// Run `f` on the store thread and await its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let rx = self.submit(f)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Run `f` on the store thread and block the calling (non-async) thread for the result.
    pub fn call_blocking<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let rx = self.submit(f)?;
        rx.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    fn submit<R, F>(
        &self,
        f: F,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<R, StoreError>>, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let path = self.inner.path.clone();
        let profile = Arc::clone(&self.profile);
        self.inner
            .jobs
            .as_ref()
            .ok_or(StoreError::Closed)?
            .send(Box::new(move |conn| {
                let result =
                    profile_scope::scoped(&profile, || f(conn)).map_err(|e| classify(e, &path));
                let _ = tx.send(result);
            }))
            .map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    // --- conversations -------------------------------------------------------------------

    pub async fn create_conversation(
        &self,
        agent: &str,
        model: Option<&str>,
        parent: Option<ConversationId>,
    ) -> Result<ConversationSummary, StoreError> {
        let (agent, model) = (agent.to_string(), model.map(str::to_string));
        self.call(move |c| conversations::create(c, &agent, model.as_deref(), parent))
            .await
    }

    /// Create a conversation under a given id.
    pub async fn create_conversation_with_id(
        &self,
        id: ConversationId,
        agent: &str,
        model: Option<&str>,
    ) -> Result<ConversationSummary, StoreError> {
        let (agent, model) = (agent.to_string(), model.map(str::to_string));
        self.call(move |c| conversations::create_with_id(c, id, &agent, model.as_deref(), None))
            .await
    }

    /// A page of conversations and the number of all that match.
    pub async fn list_with_total(
        &self,
        query: ListQuery,
    ) -> Result<(Vec<ConversationSummary>, u64), StoreError> {
        self.call(move |c| {
            Ok((
                conversations::list(c, &query)?,
                conversations::count(c, &query)?,
            ))
        })
        .await
    }

    pub async fn list_conversations(
        &self,
        query: ListQuery,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        self.call(move |c| conversations::list(c, &query)).await
    }

    pub async fn conversation(
        &self,
        id: ConversationId,
    ) -> Result<ConversationSummary, StoreError> {
        self.call(move |c| conversations::get(c, id)).await
    }

    /// Resolve a full id or a unique prefix (deleted conversations included).
    pub async fn resolve(&self, prefix: &str) -> Result<ConversationId, StoreError> {
        let prefix = prefix.to_string();
        self.call(move |c| conversations::resolve(c, &prefix)).await
    }

    pub async fn most_recent(&self) -> Result<Option<ConversationId>, StoreError> {
        self.call(conversations::most_recent_mut).await
    }

    pub async fn set_title(&self, id: ConversationId, title: &str) -> Result<(), StoreError> {
        let title = title.to_string();
        self.call(move |c| conversations::set_title(c, id, &title))
            .await
    }

    pub async fn set_settings(
        &self,
        id: ConversationId,
        agent: &str,
        model: Option<&str>,
    ) -> Result<(), StoreError> {
        let (agent, model) = (agent.to_string(), model.map(str::to_string));
        self.call(move |c| conversations::set_settings(c, id, &agent, model.as_deref()))
            .await
    }

    pub async fn delete(&self, id: ConversationId) -> Result<(), StoreError> {
        self.call(move |c| conversations::soft_delete(c, id)).await
    }

    pub async fn restore(&self, id: ConversationId) -> Result<(), StoreError> {
        self.call(move |c| conversations::restore(c, id)).await
    }

    // --- messages ------------------------------------------------------------------------

    pub async fn append_message(&self, message: NewMessage) -> Result<StoredMessage, StoreError> {
        self.call_synced(move |c| messages::append(c, &message))
            .await
    }

    /// [`Store::append_message`] as a deferred commit: durable with the next synced one (see
    /// `durability`). For a turn's rows before its reply is finished.
    pub async fn append_message_deferred(
        &self,
        message: NewMessage,
    ) -> Result<StoredMessage, StoreError> {
        self.call_deferred(move |c| messages::append(c, &message))
            .await
    }

    /// Take conversation `id`'s turn lease for this process: `Ok(Some(owner))` when another
    /// live process runs a turn in it (see `lease`). Not fsynced: a lease lost to a power cut
    /// is only a lease.
    pub async fn claim_turn(&self, id: ConversationId) -> Result<Option<String>, StoreError> {
        self.call(move |c| {
            c.pragma_update(None, "synchronous", "NORMAL")?;
            let now = chrono::Utc::now().timestamp_millis();
            let result = lease::claim(c, id, now);
            c.pragma_update(None, "synchronous", "FULL")?;
            result
        })
        .await
    }

    /// Give conversation `id`'s turn lease back.
    pub async fn release_turn(&self, id: ConversationId) -> Result<(), StoreError> {
        self.call(move |c| {
            c.pragma_update(None, "synchronous", "NORMAL")?;
            let result = lease::release(c, id);
            c.pragma_update(None, "synchronous", "FULL")?;
            result
        })
        .await
    }

    /// Replace the text of a streaming message (periodic saves while it streams).
    pub async fn update_streaming(
        &self,
        id: MessageId,
        content: String,
        reasoning: Option<String>,
    ) -> Result<(), StoreError> {
        // A partial save is replaced by the final one moments later: it skips the WAL fsync
        // that every other commit pays (see `open_connection`).
        self.call(move |c| {
            c.pragma_update(None, "synchronous", "NORMAL")?;
            let result = messages::update_streaming(c, id, &content, reasoning.as_deref());
            c.pragma_update(None, "synchronous", "FULL")?;
            result
        })
        .await
    }

    /// Finish a message: a synced commit, so the turn's deferred rows before it are durable
    /// with it.
    pub async fn finish_message(
        &self,
        id: MessageId,
        finish: messages::Finish,
    ) -> Result<(), StoreError> {
        self.call_synced(move |c| messages::finish(c, id, &finish))
            .await
    }

    /// Every message of a conversation, in order (one indexed query).
    pub async fn messages(&self, id: ConversationId) -> Result<Vec<StoredMessage>, StoreError> {
        self.call(move |c| messages::all(c, id)).await
    }

    /// Fold the conversation's messages in order without holding them all: `start` builds the
    /// accumulator from the newest summary row (if any), then `f` takes each row by value.
    /// Returns the accumulator and the number of rows.
    pub async fn fold_messages<T, S, F>(
        &self,
        id: ConversationId,
        start: S,
        mut f: F,
    ) -> Result<(T, usize), StoreError>
    where
        T: Send + 'static,
        S: FnOnce(Option<StoredMessage>) -> T + Send + 'static,
        F: FnMut(&mut T, StoredMessage) + Send + 'static,
    {
        self.call(move |c| {
            let mut acc = start(messages::newest_summary(c, id)?);
            let count = messages::for_each(c, id, |m| f(&mut acc, m))?;
            Ok((acc, count))
        })
        .await
    }

    /// The last `limit` messages before ordinal `before` (or the very last ones), in order.
    pub async fn messages_page(
        &self,
        id: ConversationId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.call(move |c| messages::page(c, id, before, limit))
            .await
    }

    // --- search, prompt history, export --------------------------------------------------

    pub async fn search(&self, text: &str, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
        let text = text.to_string();
        self.call(move |c| search::search(c, &text, limit)).await
    }

    /// Remember a prompt for recall (a deferred commit: it is written with the turn's message).
    pub async fn add_prompt(&self, text: &str) -> Result<(), StoreError> {
        let text = text.to_string();
        self.call_deferred(move |c| messages::add_prompt(c, &text))
            .await
    }

    pub async fn recent_prompts(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        self.call(move |c| messages::recent_prompts(c, limit)).await
    }

    /// Every profile that owns something (`harness profiles`).
    pub async fn profiles(&self) -> Result<Vec<profiles::ProfileSummary>, StoreError> {
        self.call(|c| profiles::list(c)).await
    }

    pub async fn export(&self, id: ConversationId) -> Result<ExportedConversation, StoreError> {
        self.call(move |c| export::export(c, id)).await
    }

    pub async fn import(&self, doc: ExportedConversation) -> Result<ConversationId, StoreError> {
        self.call(move |c| export::import(c, &doc)).await
    }
}

/// Copies the WAL back into the database every second on its own connection and thread
/// (`PRAGMA wal_checkpoint(PASSIVE)`: never blocks writers), so a write never pays for a
/// checkpoint and its fsync.
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    const EVERY: Duration = Duration::from_secs(1);

    fn start(path: &Path) -> Option<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        conn.busy_timeout(Duration::from_millis(100)).ok()?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("harness-checkpoint".to_string())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(Self::EVERY)
                {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::debug!("checkpoint: {e}");
                    }
                }
            })
            .ok()?;
        Some(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Turn lock and read-only failures into errors that say what to do.
fn classify(e: StoreError, path: &Path) -> StoreError {
    use rusqlite::ErrorCode;
    match &e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy {
                path: path.to_path_buf(),
            },
            ErrorCode::ReadOnly => StoreError::ReadOnly {
                path: path.to_path_buf(),
            },
            _ => e,
        },
        _ => e,
    }
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
