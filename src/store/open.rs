//! Opening the database file: create it private, refuse a newer schema untouched, check it after
//! an unclean shutdown, move a corrupt one aside, set WAL and the pragmas, copy it aside before
//! migrating, migrate, and recover rows a crashed process left `streaming`.

use super::{BUSY_TIMEOUT, StoreError, classify, messages, migrate};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

pub(super) fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    super::profile_scope::register(conn)?;
    Ok(())
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Open the file: refuse newer schemas untouched, move corrupt files aside, set WAL and the
/// pragmas, migrate, and recover rows left `streaming` by a crashed process.
pub(super) fn open_connection(path: &Path) -> Result<Connection, StoreError> {
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
