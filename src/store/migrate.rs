//! Schema migrations: the SQL files in `migrations/`, embedded in the binary, applied forward
//! only, all pending ones in ONE transaction, with `PRAGMA user_version` recording the schema
//! version. A database newer than this build is refused before anything is written to it, and
//! one that is about to be migrated is first copied aside (`harness.db.bak-<old version>`), so a
//! migration that goes wrong, or a downgrade, never costs the user their history.

use rusqlite::Connection;

/// `(version, sql)`; version N is `migrations/000N_*.sql`.
pub const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_usage.sql")),
    (3, include_str!("../../migrations/0003_branches.sql")),
    (4, include_str!("../../migrations/0004_tokens.sql")),
    (5, include_str!("../../migrations/0005_jobs.sql")),
    (6, include_str!("../../migrations/0006_turn_lease.sql")),
    (7, include_str!("../../migrations/0007_profiles_memory.sql")),
    (8, include_str!("../../migrations/0008_subagents.sql")),
];

/// The schema version this build creates and understands.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

pub fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))
}

/// Apply every migration above the current version, up to `target`, in one transaction.
/// Returns the number applied. The caller has already refused newer schemas.
pub fn migrate_to(conn: &mut Connection, target: u32) -> rusqlite::Result<usize> {
    migrate_with(conn, MIGRATIONS, target)
}

/// [`migrate_to`] over a given list of migrations (tests use lists longer than this build's).
pub(crate) fn migrate_with(
    conn: &mut Connection,
    migrations: &[(u32, &str)],
    target: u32,
) -> rusqlite::Result<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Read inside the write transaction so two processes starting together do not both migrate.
    let current = user_version(&tx)?;
    let mut applied = 0;
    for (version, sql) in migrations {
        if *version <= current || *version > target {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        applied += 1;
    }
    tx.commit()?;
    Ok(applied)
}

/// Copy the database at `path` (open as `conn`, schema `version`) to `<path>.bak-<version>`
/// before it is migrated. `VACUUM INTO` writes a consistent copy that includes what is still
/// only in the WAL. An existing backup of the same version is kept (an earlier attempt made
/// it). Returns the backup's path.
pub fn backup_before_migration(
    conn: &Connection,
    path: &std::path::Path,
    version: u32,
) -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    let backup = std::path::PathBuf::from(format!("{}.bak-{version}", path.display()));
    if backup.metadata().is_ok_and(|m| m.len() > 0) {
        return Ok(backup);
    }
    // Made empty and private first: VACUUM INTO accepts an empty file, and the copy holds the
    // same private data as the database.
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&backup)?;
    let target = backup.to_string_lossy().into_owned();
    conn.execute("VACUUM INTO ?1", [&target])
        .map_err(std::io::Error::other)?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_contiguous_from_one() {
        let expected: Vec<u32> = (1..=latest_version()).collect();
        assert_eq!(MIGRATIONS.len(), expected.len(), "no gaps");
        for ((v, sql), want) in MIGRATIONS.iter().zip(expected) {
            assert_eq!(*v, want);
            assert!(
                sql.trim_start().starts_with("--"),
                "migration {v} must open with a comment saying why"
            );
        }
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(
            migrate_to(&mut conn, latest_version()).unwrap(),
            MIGRATIONS.len()
        );
        assert_eq!(migrate_to(&mut conn, latest_version()).unwrap(), 0);
        assert_eq!(user_version(&conn).unwrap(), latest_version());
    }
}
