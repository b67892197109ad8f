//! `harness history ...` through the built binary, with a temporary HARNESS_HOME: every
//! subcommand's round trip, the JSON shapes scripts rely on, errors and exit codes.

use crate::support::home::{TempHome, stderr, stdout};
use harness::message::{MessageStatus, Role};
use harness::store::{NewMessage, Store};
use serde_json::Value;

/// Seed a home with two conversations through the library, as the core would write them.
fn seeded() -> (TempHome, String, String) {
    let home = TempHome::new();
    let store = Store::open(&home.db()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (a, b) = rt.block_on(async {
        let a = store
            .create_conversation("coder", Some("anthropic/claude"), None)
            .await
            .unwrap();
        store
            .append_message(NewMessage::new(
                a.id,
                Role::User,
                "Refactor the parser module",
            ))
            .await
            .unwrap();
        let mut reply = NewMessage::new(a.id, Role::Assistant, "Done: the parser is split in two.");
        reply.model = Some("anthropic/claude".into());
        reply.route_reason = Some("rule coding-complex".into());
        store.append_message(reply).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let b = store
            .create_conversation("general", None, None)
            .await
            .unwrap();
        store
            .append_message(NewMessage::new(b.id, Role::User, "What is a monad?"))
            .await
            .unwrap();
        let mut partial = NewMessage::new(b.id, Role::Assistant, "A monad is");
        partial.status = MessageStatus::Incomplete;
        store.append_message(partial).await.unwrap();
        (a.id.to_string(), b.id.to_string())
    });
    (home, a, b)
}

fn json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "stderr: {}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

#[test]
fn list_json_has_the_contract_fields_newest_first() {
    let (home, a, b) = seeded();
    let v = json(&home.run(&["history", "list", "--json"]));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], b);
    assert_eq!(rows[1]["id"], a);
    for key in [
        "id",
        "title",
        "agent",
        "model",
        "created_at",
        "updated_at",
        "message_count",
        "deleted",
    ] {
        assert!(rows[0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(rows[1]["title"], "Refactor the parser module");
    assert_eq!(rows[1]["message_count"], 2);
    assert_eq!(rows[1]["deleted"], false);
    chrono::DateTime::parse_from_rfc3339(rows[0]["created_at"].as_str().unwrap()).unwrap();

    let v = json(&home.run(&["history", "list", "--json", "--limit", "1", "--offset", "1"]));
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["id"], a);
    let v = json(&home.run(&["history", "list", "--json", "--agent", "coder"]));
    assert_eq!(v.as_array().unwrap().len(), 1);
    let v = json(&home.run(&["history", "list", "--json", "--query", "monad"]));
    assert_eq!(v[0]["id"], b);
    let text = stdout(&home.run(&["history", "list"]));
    assert!(text.contains("Refactor the parser module") && text.contains(&a));
}

#[test]
fn show_json_markdown_and_text() {
    let (home, a, b) = seeded();
    let v = json(&home.run(&["history", "show", &a[..13], "--json"]));
    assert_eq!(v["id"], a);
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    for key in [
        "id",
        "role",
        "content",
        "model",
        "route_reason",
        "status",
        "tool_calls",
        "tool_call_id",
        "created_at",
    ] {
        assert!(msgs[1].get(key).is_some(), "missing {key}");
    }
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["route_reason"], "rule coding-complex");
    let md = stdout(&home.run(&["history", "show", &b, "--markdown"]));
    assert!(md.starts_with("# What is a monad?"), "{md}");
    assert!(md.contains("_status: incomplete_"));
    let text = stdout(&home.run(&["history", "show", &b]));
    assert!(text.contains("A monad is") && text.contains("incomplete"));
}

#[test]
fn search_finds_words_across_conversations() {
    let (home, a, _) = seeded();
    let v = json(&home.run(&["history", "search", "parser", "--json"]));
    let hits = v.as_array().unwrap();
    assert_eq!(hits.len(), 2);
    for key in [
        "conversation_id",
        "message_id",
        "role",
        "snippet",
        "created_at",
    ] {
        assert!(hits[0].get(key).is_some(), "missing {key}");
    }
    assert!(hits.iter().all(|h| h["conversation_id"] == a));
    assert!(hits[0]["snippet"].as_str().unwrap().contains("[parser]"));
    let out = home.run(&["history", "search", "--json", "nothing-matches-this"]);
    assert_eq!(json(&out), serde_json::json!([]));
}

#[test]
fn delete_and_restore_are_reversible() {
    let (home, a, _) = seeded();
    let out = home.run(&["history", "delete", &a]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("harness history restore"));
    let v = json(&home.run(&["history", "list", "--json"]));
    assert_eq!(v.as_array().unwrap().len(), 1);
    let v = json(&home.run(&["history", "list", "--json", "--deleted"]));
    assert_eq!(v[0]["id"], a);
    assert_eq!(v[0]["deleted"], true);
    // Still viewable while deleted.
    assert!(home.run(&["history", "show", &a]).status.success());
    assert!(home.run(&["history", "restore", &a]).status.success());
    let v = json(&home.run(&["history", "list", "--json"]));
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn export_json_imports_into_another_home_and_again_with_a_new_id() {
    let (home, a, _) = seeded();
    let out = home.run(&["history", "export", &a, "--format", "json"]);
    assert!(out.status.success());
    let file = home.path().join("export.json");
    std::fs::write(&file, &out.stdout).unwrap();

    let other = TempHome::new();
    let out = other.run(&["history", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = json(&other.run(&["history", "show", &a, "--json"]));
    let original = json(&home.run(&["history", "show", &a, "--json"]));
    assert_eq!(shown, original);

    let out = home.run(&["history", "import", file.to_str().unwrap()]);
    assert!(stdout(&out).contains("as "), "{}", stdout(&out));
    let v = json(&home.run(&["history", "list", "--json"]));
    assert_eq!(v.as_array().unwrap().len(), 3);

    let md = home.run(&["history", "export", &a, "--format", "markdown"]);
    assert!(stdout(&md).contains("## Assistant (anthropic/claude)"));
}

#[test]
fn bad_ids_and_files_exit_2_with_one_line_advice() {
    let (home, _, _) = seeded();
    let out = home.run(&["history", "show", "ffffffff"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("harness: no conversation matches `ffffffff`"),
        "{err}"
    );
    assert!(err.contains("harness history list"));

    let bad = home.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let out = home.run(&["history", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not a harness JSON export"));
    let out = home.run(&["history", "import", "/nonexistent/file.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read /nonexistent/file.json"));
}

#[test]
fn a_newer_database_is_refused_with_exit_2_and_untouched() {
    let home = TempHome::new();
    {
        let conn = rusqlite::Connection::open(home.db()).unwrap();
        conn.execute_batch("PRAGMA user_version = 77;").unwrap();
    }
    let before = std::fs::read(home.db()).unwrap();
    let out = home.run(&["history", "list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("schema version 77") && err.contains("upgrade harness"),
        "{err}"
    );
    assert_eq!(std::fs::read(home.db()).unwrap(), before);
}

#[test]
fn a_corrupt_database_is_moved_aside_and_the_next_run_works() {
    let home = TempHome::new();
    std::fs::write(home.db(), vec![0x42u8; 8192]).unwrap();
    let out = home.run(&["history", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("was corrupt and has been moved to"),
        "{}",
        stderr(&out)
    );
    let moved: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("harness.db.corrupt-")
        })
        .collect();
    assert_eq!(moved.len(), 1);
    assert!(home.run(&["history", "list"]).status.success());
}

#[test]
fn an_unusable_home_exits_2() {
    let home = TempHome::new();
    let blocker = home.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let out = home
        .cmd()
        .env("HARNESS_HOME", blocker.join("sub"))
        .args(["history", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot use the data directory"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn show_text_removes_escape_sequences_whole_and_shows_the_users_controls() {
    let home = TempHome::new();
    let store = Store::open(&home.db()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        let c = store
            .create_conversation("general", None, None)
            .await
            .unwrap();
        store
            .set_title(c.id, "title \u{1b}]0;pwned\u{7}here")
            .await
            .unwrap();
        store
            .append_message(NewMessage::new(c.id, Role::User, "my \u{1b}[1mbold\u{1b}[0m ask"))
            .await
            .unwrap();
        let reply = "colour \u{1b}[31mred\u{1b}[0m, link \u{1b}]8;;http://x\u{1b}\\text\u{1b}]8;;\u{1b}\\, \u{9b}2Jc1";
        store
            .append_message(NewMessage::new(c.id, Role::Assistant, reply))
            .await
            .unwrap();
        c.id.to_string()
    });
    let out = home.run(&["history", "show", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("colour red, link text, c1"), "{text}");
    assert!(text.contains("my ␛[1mbold␛[0m ask"), "{text}");
    assert!(text.contains("title here"), "{text}");
    assert!(
        !text.contains("[31m") && !text.contains("8;;") && !text.contains("2J"),
        "{text}"
    );
    assert!(!text.chars().any(harness::sanitize::is_unsafe), "{text:?}");
}
