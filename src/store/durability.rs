//! When a write reaches the disk. A commit is synced (`synchronous=FULL`: one fsync of the WAL)
//! unless it is *deferred*: a turn's intermediate rows (the user's message, the reply's
//! streaming stub, tool results, the prompt history, the usage row) commit without the fsync,
//! and the next synced commit, the reply's finish, makes them durable with it, because the WAL
//! is one file synced up to its end. A turn then costs one fsync instead of six or seven (issue
//! 19). A process crash loses nothing (committed WAL frames are in the kernel's hands); a power
//! cut in the middle of a turn loses at most that turn's rows. [`Store::sync_deferred`] closes a
//! turn that ended without a synced commit (interrupted, or the finish could not be written).

use super::{Store, StoreError};
use rusqlite::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a deferred commit has not been synced yet. Read and written on the store thread only
/// (every job runs there, in order), so a sync sees every deferred write queued before it.
#[derive(Debug, Default, Clone)]
pub(super) struct Unsynced(Arc<AtomicBool>);

impl Unsynced {
    fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

impl Store {
    /// Run the write `f` as a deferred commit (see the module comment).
    pub(super) async fn call_deferred<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let unsynced = self.inner.unsynced.clone();
        self.call(move |c| {
            c.pragma_update(None, "synchronous", "NORMAL")?;
            let result = f(c);
            c.pragma_update(None, "synchronous", "FULL")?;
            if result.is_ok() {
                unsynced.set();
            }
            result
        })
        .await
    }

    /// Run the write `f` as a synced commit, which also makes every deferred commit before it
    /// durable.
    pub(super) async fn call_synced<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let unsynced = self.inner.unsynced.clone();
        self.call(move |c| {
            let result = f(c);
            if result.is_ok() {
                unsynced.take();
            }
            result
        })
        .await
    }

    /// Make the deferred commits so far durable, if any is not yet (one fsync of the WAL, the
    /// same one a synced commit makes); nothing to do costs nothing.
    pub async fn sync_deferred(&self) -> Result<(), StoreError> {
        let unsynced = self.inner.unsynced.clone();
        let wal = wal_path(self.path());
        self.call(move |_| {
            if !unsynced.take() {
                return Ok(());
            }
            let Some(wal) = wal else {
                return Ok(());
            };
            let synced = std::fs::File::open(&wal).and_then(|f| f.sync_data());
            match synced {
                Ok(()) => Ok(()),
                // A checkpoint that reset the WAL took its frames into the database, synced.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => {
                    unsynced.set();
                    Err(StoreError::Sync { path: wal, source })
                }
            }
        })
        .await
    }

    /// Whether a deferred commit waits for a sync (tests).
    pub fn has_unsynced(&self) -> bool {
        self.inner.unsynced.0.load(Ordering::SeqCst)
    }
}

/// The WAL beside a database file; `None` for an in-memory store.
fn wal_path(db: &std::path::Path) -> Option<std::path::PathBuf> {
    if db.as_os_str() == ":memory:" {
        return None;
    }
    let mut name = db.as_os_str().to_os_string();
    name.push("-wal");
    Some(name.into())
}
