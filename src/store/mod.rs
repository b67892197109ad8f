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

pub mod conversations;
pub mod export;
pub mod messages;
pub mod migrate;
pub mod search;

#[cfg(test)]
mod durability_tests;

pub use conversations::ListQuery;
pub use export::ExportedConversation;
pub use messages::{NewMessage, StoredMessage};
pub use search::SearchHit;

use crate::message::{ConversationId, ConversationSummary, MessageId};
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
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Async handle to the store thread. Clone freely; the thread ends when the last clone drops.
#[derive(Clone)]
pub struct Store {
    inner: Arc<StoreThread>,
}

/// The store thread and the way to reach it. When the last [`Store`] handle goes, the channel
/// closes, the thread drops its connection (SQLite then checkpoints and removes the WAL, so the
/// next start does not replay it) and is joined.
struct StoreThread {
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    checkpointer: Option<Checkpointer>,
    path: PathBuf,
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
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
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
        self.inner
            .jobs
            .as_ref()
            .ok_or(StoreError::Closed)?
            .send(Box::new(move |conn| {
                let result = f(conn).map_err(|e| classify(e, &path));
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
        self.call(move |c| messages::append(c, &message)).await
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

    pub async fn finish_message(
        &self,
        id: MessageId,
        finish: messages::Finish,
    ) -> Result<(), StoreError> {
        self.call(move |c| messages::finish(c, id, &finish)).await
    }

    /// Every message of a conversation, in order (one indexed query).
    pub async fn messages(&self, id: ConversationId) -> Result<Vec<StoredMessage>, StoreError> {
        self.call(move |c| messages::all(c, id)).await
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

    pub async fn add_prompt(&self, text: &str) -> Result<(), StoreError> {
        let text = text.to_string();
        self.call(move |c| messages::add_prompt(c, &text)).await
    }

    pub async fn recent_prompts(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        self.call(move |c| messages::recent_prompts(c, limit)).await
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

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Open the file: refuse newer schemas untouched, move corrupt files aside, set WAL and the
/// pragmas, migrate, and recover rows left `streaming` by a crashed process.
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    open_connection_with(path, migrate::MIGRATIONS)
}

/// [`open_connection`] with a given migration list (tests migrate to versions this build lacks).
pub(crate) fn open_connection_with(
    path: &Path,
    migrations: &[(u32, &str)],
) -> Result<Connection, StoreError> {
    let latest = migrations.last().map_or(0, |(v, _)| *v);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::config::paths::create_private_dir(dir).map_err(|source| StoreError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;

    let exists = path.exists();
    // A WAL left with frames in it means the last process did not close the database (a crash,
    // kill -9, power loss) or is still running: check the file before writing to it.
    let unclean = exists && wal_has_frames(path);
    if exists {
        inspect_existing(path, latest)?;
    } else {
        create_private_file(path).map_err(|source| StoreError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
    }

    if unclean {
        check_integrity(path)?;
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(e, path))?;
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    configure(&conn)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(|e| open_error(e, path))
        .map_err(|e| classify(e, path))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("journal_mode is {mode}, not wal");
    }
    // FULL: every commit syncs the WAL, so a committed message survives power loss (NORMAL
    // keeps it only until the next checkpoint). Partial saves of a streaming reply opt out.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Checkpoints run on their own thread (see `Checkpointer`), off the write path; this is
    // only the safety net should that thread ever stop.
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    let found = migrate::user_version(&conn)?;
    if found > latest {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: latest,
        });
    }
    if found > 0 && found < latest {
        let backup =
            migrate::backup_before_migration(&conn, path, found).map_err(|e| {
                StoreError::Invalid(format!(
                    "cannot copy the database {} aside before upgrading it from schema {found} to {latest}: {e} (free some disk space, or make the directory writable); nothing was changed",
                    path.display()
                ))
            })?;
        tracing::info!(
            "schema {found} -> {latest}: the old database was copied to {}",
            backup.display()
        );
    }
    migrate::migrate_with(&mut conn, migrations, latest)
        .map_err(|e| classify(StoreError::Sqlite(e), path))?;
    messages::recover_interrupted(&conn).map_err(|e| classify(e, path))?;
    Ok(conn)
}

/// Whether `<path>-wal` exists and holds anything (a clean close checkpoints and removes it).
fn wal_has_frames(path: &Path) -> bool {
    std::fs::metadata(format!("{}-wal", path.display())).is_ok_and(|m| m.len() > 0)
}

/// `PRAGMA quick_check` after an unclean shutdown, on a read-only connection that is closed
/// before anything else happens: a damaged file is handled like a corrupt one (moved aside,
/// never written to).
fn check_integrity(path: &Path) -> Result<(), StoreError> {
    let verdict: Result<Vec<String>, rusqlite::Error> = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|conn| {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mut st = conn.prepare("PRAGMA quick_check(5)")?;
        let mut rows = Vec::new();
        for row in st.query_map([], |r| r.get::<_, String>(0))? {
            rows.push(row?);
        }
        Ok(rows)
    });
    match verdict {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(()),
        Ok(rows) => {
            tracing::error!(
                "quick_check of {} after an unclean shutdown: {}",
                path.display(),
                rows.join("; ")
            );
            Err(move_aside(path))
        }
        Err(e) => match open_error(e, path) {
            StoreError::Sqlite(e) => Err(classify(StoreError::Sqlite(e), path)),
            moved => Err(moved),
        },
    }
}

/// Checks on an existing file made without writing to it.
fn inspect_existing(path: &Path, supported: u32) -> Result<(), StoreError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut header))
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                StoreError::ReadOnly {
                    path: path.to_path_buf(),
                }
            } else {
                StoreError::Dir {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
    if read == 0 {
        return Ok(()); // an empty file is a new database
    }
    if read < 16 || &header != SQLITE_HEADER {
        return Err(move_aside(path));
    }
    // The schema version is in the header (offset 60), so a newer database is refused without
    // opening it; a version only in an uncheckpointed WAL is caught again after opening.
    let mut full = [0u8; 64];
    let found = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut full))
        .map(|()| u32::from_be_bytes([full[60], full[61], full[62], full[63]]))
        .unwrap_or(0);
    if found > supported {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    Ok(())
}

fn open_error(e: rusqlite::Error, path: &Path) -> StoreError {
    use rusqlite::ErrorCode;
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) =>
        {
            move_aside(path)
        }
        _ => StoreError::Sqlite(e),
    }
}

/// Rename a corrupt database (and its -wal/-shm) to `NAME.corrupt-<timestamp>`.
fn move_aside(path: &Path) -> StoreError {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let moved_to = PathBuf::from(format!("{}.corrupt-{stamp}", path.display()));
    if let Err(e) = std::fs::rename(path, &moved_to) {
        return StoreError::Invalid(format!(
            "the database {} is corrupt and could not be moved aside ({e}): move it away by hand",
            path.display()
        ));
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let _ = std::fs::rename(&side, format!("{}{suffix}", moved_to.display()));
        }
    }
    StoreError::Corrupt {
        path: path.to_path_buf(),
        moved_to,
    }
}

fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
