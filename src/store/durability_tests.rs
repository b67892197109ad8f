//! Durability of the database file itself: the copy made before a migration, the integrity
//! check after an unclean shutdown, and the sync level of committed writes.

use super::*;

const V1: (u32, &str) = migrate::MIGRATIONS[0];

/// Rows in the version-1 schema, written as SQL (today's query functions expect today's
/// columns).
fn v1_conversation(conn: &Connection) -> ConversationId {
    let id = ConversationId::new();
    conn.execute(
        "INSERT INTO conversations (id, title, agent, created_at, updated_at)
         VALUES (?1, '', 'general', 1, 1)",
        [id.to_string()],
    )
    .unwrap();
    id
}

fn v1_message(conn: &Connection, id: ConversationId, ordinal: i64, text: &str) {
    conn.execute(
        "INSERT INTO messages (id, conversation_id, ordinal, role, content, status, created_at)
         VALUES (?1, ?2, ?3, 'user', ?4, 'complete', 1)",
        rusqlite::params![MessageId::new().to_string(), id.to_string(), ordinal, text],
    )
    .unwrap();
}

fn v1_database(path: &Path) -> ConversationId {
    let conn = open_connection_with(path, &[V1]).unwrap();
    let id = v1_conversation(&conn);
    v1_message(&conn, id, 1, "keep me");
    id
}

fn count(path: &Path, table: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn version_of(path: &Path) -> u32 {
    migrate::user_version(&Connection::open(path).unwrap()).unwrap()
}

#[test]
fn a_migration_first_copies_the_database_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");
    v1_database(&path);
    let v2 = [
        V1,
        (
            2,
            "-- test: a later schema\nCREATE TABLE extra (x INTEGER);",
        ),
    ];
    let conn = open_connection_with(&path, &v2).unwrap();
    assert_eq!(migrate::user_version(&conn).unwrap(), 2);
    drop(conn);

    let backup = dir.path().join("harness.db.bak-1");
    assert_eq!(version_of(&backup), 1, "the copy keeps the old schema");
    assert_eq!(count(&backup, "messages"), 1, "and the old data");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy is as private as the database");
}

#[test]
fn a_failed_migration_leaves_the_database_and_its_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");
    v1_database(&path);
    let broken = [
        V1,
        (
            2,
            "-- test: fails half way\nCREATE TABLE extra (x); CREATE TABLE messages (y);",
        ),
    ];
    assert!(open_connection_with(&path, &broken).is_err());
    assert_eq!(version_of(&path), 1, "rolled back");
    assert_eq!(count(&path, "messages"), 1);
    assert_eq!(version_of(&dir.path().join("harness.db.bak-1")), 1);
    // The same schema opened normally makes no copy.
    let fresh = dir.path().join("other.db");
    v1_database(&fresh);
    drop(open_connection_with(&fresh, &[V1]).unwrap());
    assert!(!dir.path().join("other.db.bak-1").exists());
}

/// A database and WAL as a killed process leaves them: copied while a connection still has
/// uncheckpointed frames.
fn crashed_copy(dir: &Path, damage: bool) -> PathBuf {
    let live = dir.join("live.db");
    let conn = open_connection_with(&live, &[V1]).unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let id = v1_conversation(&conn);
    for i in 0..3000 {
        v1_message(
            &conn,
            id,
            i + 1,
            &format!("message number {i} with some words"),
        );
    }
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    v1_message(&conn, id, 3001, "the last one");
    let copy = dir.join("harness.db");
    std::fs::copy(&live, &copy).unwrap();
    std::fs::copy(dir.join("live.db-wal"), dir.join("harness.db-wal")).unwrap();
    drop(conn);
    if damage {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&copy).unwrap();
        let page = 4096u64;
        for p in 20..40u64 {
            f.seek(SeekFrom::Start(p * page + 8)).unwrap();
            f.write_all(&[0xA5; 512]).unwrap();
        }
    }
    copy
}

#[test]
fn a_damaged_database_after_a_crash_is_moved_aside_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = crashed_copy(dir.path(), true);
    let before = std::fs::read(&path).unwrap();
    match open_connection(&path) {
        Err(StoreError::Corrupt { moved_to, .. }) => {
            assert_eq!(std::fs::read(&moved_to).unwrap(), before, "not written to");
            assert!(PathBuf::from(format!("{}-wal", moved_to.display())).exists());
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(!path.exists());
}

#[test]
fn an_undamaged_database_after_a_crash_opens_with_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = crashed_copy(dir.path(), false);
    let conn = open_connection(&path).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3001, "the frames only in the WAL are there too");
}

#[test]
fn commits_sync_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_connection(&dir.path().join("harness.db")).unwrap();
    let level: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(level, 2, "synchronous=FULL");
}

async fn synchronous_level(store: &Store) -> i64 {
    store
        .call(|c| Ok(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_turn_s_rows_wait_for_its_synced_finish_and_never_lower_the_level_for_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");
    let store = Store::open(&path).unwrap();
    let conversation = store
        .create_conversation("general", None, None)
        .await
        .unwrap();
    assert!(!store.has_unsynced(), "creating a conversation is synced");

    let user = NewMessage::new(conversation.id, crate::message::Role::User, "hello");
    store.append_message_deferred(user).await.unwrap();
    store.add_prompt("hello").await.unwrap();
    let stub = NewMessage::new(conversation.id, crate::message::Role::Assistant, "");
    let stub = store.append_message_deferred(stub).await.unwrap();
    assert!(store.has_unsynced(), "deferred rows wait for a sync");
    assert_eq!(
        synchronous_level(&store).await,
        2,
        "back to FULL after a deferred write"
    );

    // Visible at once, to this process and to another connection (a crash loses nothing).
    let other = Connection::open(&path).unwrap();
    let seen: i64 = other
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(seen, 2);

    let finish = messages::Finish {
        content: "hi".into(),
        ..Default::default()
    };
    store.finish_message(stub.id, finish).await.unwrap();
    assert!(
        !store.has_unsynced(),
        "the finish synced the turn's rows with it"
    );
    store.sync_deferred().await.unwrap();

    // A turn that ends without a finish is synced by `sync_deferred`.
    let user = NewMessage::new(conversation.id, crate::message::Role::User, "again");
    store.append_message_deferred(user).await.unwrap();
    assert!(store.has_unsynced());
    store.sync_deferred().await.unwrap();
    assert!(!store.has_unsynced());
    drop(store);
    assert_eq!(count(&path, "messages"), 3);
}

#[tokio::test]
async fn a_failed_deferred_write_leaves_nothing_to_sync_and_an_in_memory_store_syncs_quietly() {
    let store = Store::open_in_memory().unwrap();
    let missing = NewMessage::new(ConversationId::new(), crate::message::Role::User, "x");
    assert!(store.append_message_deferred(missing).await.is_err());
    assert!(!store.has_unsynced());
    let conversation = store
        .create_conversation("general", None, None)
        .await
        .unwrap();
    let user = NewMessage::new(conversation.id, crate::message::Role::User, "hello");
    store.append_message_deferred(user).await.unwrap();
    store.sync_deferred().await.unwrap();
    assert!(!store.has_unsynced());
}
