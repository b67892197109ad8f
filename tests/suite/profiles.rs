//! Profiles isolate everything: profile B's conversations, prompt history, memories, jobs and
//! API tokens are tried from profile A through every surface (history list, show, search,
//! export, resume; prompt recall; memory list and search; jobs; tokens; the HTTP API) and
//! nothing is found, while B itself still sees all of it. Also: the migration puts existing
//! rows in `default`, and `harness profiles` lists the profiles.

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{TempHome, stderr, stdout};
use crate::support::serve::Server;
use harness::message::Role;
use harness::store::{NewMessage, Store, migrate};
use rusqlite::Connection;
use serde_json::Value;

/// Profile `b` owns a conversation (with a secret word), a prompt, a memory, a job and a token.
fn seed_b(home: &TempHome) -> String {
    let store = Store::open(&home.db()).unwrap().for_profile("b");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        let c = store
            .create_conversation("general", None, None)
            .await
            .unwrap();
        store
            .append_message(NewMessage::new(c.id, Role::User, "the zanzibar plan"))
            .await
            .unwrap();
        store.add_prompt("the zanzibar plan").await.unwrap();
        c.id.to_string()
    });
    drop(store);
    for args in [
        vec![
            "--profile",
            "b",
            "memory",
            "add",
            "zanzibar is the codename",
        ],
        vec![
            "--profile",
            "b",
            "jobs",
            "add",
            "--name",
            "nightly",
            "--schedule",
            "@daily",
            "zanzibar report",
        ],
        vec!["--profile", "b", "token", "create", "--label", "b-token"],
    ] {
        let out = home.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    id
}

fn run_as(home: &TempHome, profile: &str, args: &[&str]) -> std::process::Output {
    home.cmd()
        .env("HARNESS_PROFILE", profile)
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "stderr: {}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

#[test]
fn nothing_of_profile_b_is_reachable_from_profile_a_on_the_command_line() {
    let home = TempHome::new();
    // A provider nobody listens on: `run` must fail on the conversation, not on a missing provider.
    home.write_config(
        "default_model = \"dead/m\"\n[providers.dead]\nkind = \"ollama\"\nbase_url = \"http://127.0.0.1:9\"\n",
    );
    let id = seed_b(&home);
    let job = json(&run_as(&home, "b", &["jobs", "list", "--json"]))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Empty listings and searches.
    for args in [
        vec!["history", "list", "--json"],
        vec!["history", "list", "--json", "--deleted"],
        vec!["history", "search", "zanzibar", "--json"],
        vec!["memory", "list", "--json"],
        vec!["memory", "search", "zanzibar", "--json"],
        vec!["jobs", "list", "--json"],
        vec!["token", "list", "--json"],
    ] {
        let v = json(&run_as(&home, "a", &args));
        assert_eq!(v, serde_json::json!([]), "{args:?}");
    }
    // B's ids are unknown in A, exactly like ids that do not exist.
    for args in [
        vec!["history", "show", id.as_str()],
        vec!["history", "export", id.as_str()],
        vec!["history", "delete", id.as_str()],
        vec!["jobs", "show", job.as_str()],
        vec!["jobs", "runs", job.as_str()],
        vec!["jobs", "delete", job.as_str()],
    ] {
        let out = run_as(&home, "a", &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no conversation matches") || stderr(&out).contains("no job"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = run_as(&home, "a", &["run", "--conversation", &id, "hello"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no conversation matches"),
        "{}",
        stderr(&out)
    );
    // Prompt recall.
    let store = Store::open(&home.db()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let prompts = rt
        .block_on(store.for_profile("a").recent_prompts(10))
        .unwrap();
    assert!(prompts.is_empty(), "{prompts:?}");

    // B still sees all of it (so the emptiness above is isolation, not loss).
    let b = |args: &[&str]| json(&run_as(&home, "b", args));
    assert_eq!(b(&["history", "list", "--json"])[0]["id"], id.as_str());
    assert_eq!(
        b(&["history", "search", "zanzibar", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        b(&["memory", "search", "zanzibar", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(b(&["token", "list", "--json"])[0]["profile"], "b");
    let out = run_as(&home, "b", &["history", "show", &id]);
    assert!(stdout(&out).contains("zanzibar"), "{}", stderr(&out));
    let prompts = rt
        .block_on(store.for_profile("b").recent_prompts(10))
        .unwrap();
    assert_eq!(prompts, vec!["the zanzibar plan".to_string()]);
    // The flag beats the environment.
    let v = json(
        &home
            .cmd()
            .env("HARNESS_PROFILE", "a")
            .args(["--profile", "b", "memory", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_in_profile_a_never_resumes_profile_b() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = TempHome::new();
    home.write_config(&format!(
        "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    ));
    let id = {
        let h = &home;
        tokio::task::block_in_place(|| seed_b(h))
    };
    server.push(Reply::text("hello from a"));
    let out = tokio::process::Command::from(run_cmd(&home, "a", &["run", "-c", "hi"]))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The request held only A's new message, nothing of B's conversation.
    let body = &server.chat_requests()[0].body;
    assert!(!body.to_string().contains("zanzibar"), "{body}");
    let store = Store::open(&home.db()).unwrap();
    let b = store.for_profile("b");
    let b_id = b.resolve(&id).await.unwrap();
    assert_eq!(b.messages(b_id).await.unwrap().len(), 1);
    let a = store
        .for_profile("a")
        .list_conversations(Default::default())
        .await
        .unwrap();
    assert_eq!(a.len(), 1);
    assert_ne!(a[0].id.to_string(), id);
}

fn run_cmd(home: &TempHome, profile: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = home.cmd();
    cmd.env("HARNESS_PROFILE", profile).args(args);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_sees_only_its_own_profile_over_http() {
    let s = Server::start().await;
    let store = &s.core.deps().store;
    let b_store = store.for_profile("b");
    let b_conv = b_store
        .create_conversation("general", None, None)
        .await
        .unwrap();
    b_store
        .append_message(NewMessage::new(b_conv.id, Role::User, "zanzibar"))
        .await
        .unwrap();
    let (_, a_token) = store.create_token("a", None).await.unwrap();
    let (_, b_token) = store.create_token("b", None).await.unwrap();
    let get = |path: &str, token: &str| {
        s.http
            .get(s.url(path))
            .bearer_auth(token.to_string())
            .send()
    };

    let list: Value = get("/api/conversations", &a_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "{list}");
    for path in [
        format!("/api/conversations/{}", b_conv.id),
        format!("/api/conversations/{}/messages", b_conv.id),
    ] {
        let r = get(&path, &a_token).await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = s
        .http
        .post(s.url(&format!("/api/conversations/{}/messages", b_conv.id)))
        .bearer_auth(&a_token)
        .json(&serde_json::json!({"content": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let jobs: Value = get("/api/admin/jobs", &a_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jobs, serde_json::json!([]));

    // A conversation A creates is A's: B does not see it, A does.
    let created: Value = s
        .http
        .post(s.url("/api/conversations"))
        .bearer_auth(&a_token)
        .json(&serde_json::json!({"title": "mine"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let a_id = created["id"].as_str().unwrap().to_string();
    let r = get(&format!("/api/conversations/{a_id}"), &b_token)
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let list: Value = get("/api/conversations", &a_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    // B's token sees B's conversation.
    let r = get(&format!("/api/conversations/{}", b_conv.id), &b_token)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The default token of the test server sees neither.
    let list: Value = s
        .get("/api/conversations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "{list}");
}

#[test]
fn the_migration_puts_existing_rows_in_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("harness.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        migrate::migrate_to(&mut conn, 6).unwrap();
        conn.execute_batch(
            "INSERT INTO conversations (id, title, agent, created_at, updated_at)
             VALUES ('0190a0b0-0000-7000-8000-000000000001', 'old', 'general', 1, 1);
             INSERT INTO prompt_history (text, created_at) VALUES ('old prompt', 1);",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        assert_eq!(store.profile(), "default");
        assert_eq!(
            store
                .list_conversations(Default::default())
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store.recent_prompts(5).await.unwrap(),
            vec!["old prompt".to_string()]
        );
        let other = store.for_profile("work");
        assert!(
            other
                .list_conversations(Default::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(other.recent_prompts(5).await.unwrap().is_empty());
    });
}

#[test]
fn profiles_lists_each_profile_with_its_counts() {
    let home = TempHome::new();
    seed_b(&home);
    let v = json(&run_as(&home, "a", &["profiles", "--json"]));
    let rows = v.as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(rows[0]["current"], true);
    assert_eq!(rows[1]["conversations"], 1);
    assert_eq!(rows[1]["memories"], 1);
    assert_eq!(rows[1]["jobs"], 1);
    assert_eq!(rows[1]["tokens"], 1);
    let out = run_as(&home, "bad name", &["profiles"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a profile name"),
        "{}",
        stderr(&out)
    );
}
