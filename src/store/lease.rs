//! The turn lease: at most one process runs a turn in a conversation at a time. Inside one
//! process the core's map of open conversations already guarantees it; the lease (columns of
//! `conversations`, migration 0006) covers two processes on one store, such as the TUI and
//! `harness serve`. An owner is `host:pid`; a lease whose process on this host is gone, or
//! that is older than [`STALE_AFTER_MS`] (a process on another host cannot be checked), is
//! taken over.

use super::StoreError;
use crate::message::ConversationId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// A lease older than this is stale whoever holds it.
pub const STALE_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// This process as a lease or run owner: `host:pid`.
pub fn this_process() -> String {
    format!("{}:{}", host_name(), std::process::id())
}

fn host_name() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether the process `owner` (`host:pid`) has stopped. One on another host cannot be checked
/// from here: it has not (as far as we know). An owner that does not parse has.
pub fn process_gone(owner: Option<&str>) -> bool {
    let Some((host, pid)) = owner.and_then(|w| w.rsplit_once(':')) else {
        return true;
    };
    if host != host_name() {
        return false;
    }
    match pid.parse::<i32>() {
        Ok(pid) if pid > 0 && pid as u32 != std::process::id() => matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Err(nix::errno::Errno::ESRCH)
        ),
        // This very process cannot own a lease or a run from before it started (a pid reused
        // after a reboot); `claim` keeps the leases it took itself.
        _ => true,
    }
}

/// Take the lease of conversation `id` for this process. `Ok(None)`: taken (or already ours);
/// `Ok(Some(owner))`: another live process holds it.
pub fn claim(
    conn: &mut Connection,
    id: ConversationId,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    let me = this_process();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let held: Option<(Option<String>, Option<i64>)> = tx
        .query_row(
            "SELECT turn_owner, turn_started_at FROM conversations WHERE id = ?1",
            params![id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((Some(owner), started)) = held {
        let stale = process_gone(Some(&owner))
            || started.is_none_or(|s| now_ms.saturating_sub(s) > STALE_AFTER_MS);
        if owner != me && !stale {
            return Ok(Some(owner));
        }
    }
    tx.execute(
        "UPDATE conversations SET turn_owner = ?2, turn_started_at = ?3 WHERE id = ?1",
        params![id.to_string(), me, now_ms],
    )?;
    tx.commit()?;
    Ok(None)
}

/// Give the lease back (only if this process holds it).
pub fn release(conn: &Connection, id: ConversationId) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE conversations SET turn_owner = NULL, turn_started_at = NULL WHERE id = ?1 AND turn_owner = ?2",
        params![id.to_string(), this_process()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_owner_keeps_the_lease_a_gone_or_old_one_loses_it() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate_to(&mut conn, crate::store::migrate::latest_version())
            .unwrap();
        let id = ConversationId::new();
        conn.execute(
            "INSERT INTO conversations (id, agent, created_at, updated_at) VALUES (?1, 'general', 0, 0)",
            params![id.to_string()],
        )
        .unwrap();
        let set = |conn: &Connection, owner: &str, at: i64| {
            conn.execute(
                "UPDATE conversations SET turn_owner = ?2, turn_started_at = ?3 WHERE id = ?1",
                params![id.to_string(), owner, at],
            )
            .unwrap();
        };
        let now = 10 * STALE_AFTER_MS;
        // A live process on this host (pid 1 always exists).
        set(&conn, &format!("{}:1", host_name()), now);
        assert_eq!(
            claim(&mut conn, id, now).unwrap(),
            Some(format!("{}:1", host_name()))
        );
        // A process that has exited.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        set(&conn, &format!("{}:{dead}", host_name()), now);
        assert_eq!(claim(&mut conn, id, now).unwrap(), None);
        // Another host: kept, unless older than a day.
        set(&conn, "elsewhere:42", now);
        assert_eq!(
            claim(&mut conn, id, now).unwrap(),
            Some("elsewhere:42".into())
        );
        set(&conn, "elsewhere:42", now - STALE_AFTER_MS - 1);
        assert_eq!(claim(&mut conn, id, now).unwrap(), None);
        // Ours: taken again, and released.
        assert_eq!(claim(&mut conn, id, now).unwrap(), None);
        release(&conn, id).unwrap();
        let owner: Option<String> = conn
            .query_row(
                "SELECT turn_owner FROM conversations WHERE id = ?1",
                params![id.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(owner, None);
    }
}
