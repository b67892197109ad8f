//! Schema migrations: the SQL files in `migrations/`, embedded in the binary, applied forward
//! only, all pending ones in ONE transaction, with `PRAGMA user_version` recording the schema
//! version. A database newer than this build is refused before anything is written to it.

use rusqlite::Connection;

/// `(version, sql)`; version N is `migrations/000N_*.sql`.
pub const MIGRATIONS: &[(u32, &str)] = &[(1, include_str!("../../migrations/0001_init.sql"))];

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
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Read inside the write transaction so two processes starting together do not both migrate.
    let current = user_version(&tx)?;
    let mut applied = 0;
    for (version, sql) in MIGRATIONS {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_contiguous_from_one() {
        for (i, (v, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*v as usize, i + 1);
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
