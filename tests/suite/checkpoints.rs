//! Checkpoints end to end: `harness run` (the built binary, host sandbox) changes files through
//! write, edit and bash against the fake provider; `harness undo`, `checkpoints list`, `rewind`
//! and `fork` put things back, and the fake provider's recorded requests show what a resumed or
//! forked conversation sends. Plus the same through the core's Ops (`/undo`, `/fork`).

use crate::support::core::{build, send, until_done};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::TempHome;
use harness::message::{ConversationId, MessageId, Role};
use harness::protocol::{ApprovalMode, Event, Op};
use harness::store::Store;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

struct Env {
    home: TempHome,
    server: FakeProvider,
    ws: PathBuf,
}

impl Env {
    async fn new(extra: &str) -> Self {
        let server = FakeProvider::start(Flavor::OpenAi).await;
        let home = TempHome::new();
        home.write_config(&format!(
            "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n{extra}",
            server.config_toml("fake")
        ));
        let ws = home.path().join("ws");
        std::fs::create_dir_all(&ws).unwrap();
        Self { home, server, ws }
    }

    async fn harness(&self, args: &[&str]) -> Output {
        let mut cmd = self.home.cmd();
        cmd.current_dir(&self.ws).args(args);
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        cmd.output().await.unwrap()
    }

    /// One turn with `--approve auto`; returns the conversation id.
    async fn turn(&self, extra: &[&str], prompt: &str) -> ConversationId {
        let mut args = vec!["run", "--json", "--approve", "auto"];
        args.extend_from_slice(extra);
        args.push(prompt);
        let out = self.harness(&args).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let done = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|e| e["type"] == "done")
            .expect("a done event");
        done["conversation_id"].as_str().unwrap().parse().unwrap()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.ws.join(rel)
    }

    async fn user_messages(&self, id: ConversationId) -> Vec<(MessageId, String)> {
        Store::open(&self.home.db())
            .unwrap()
            .messages(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.role == Role::User)
            .map(|m| (m.id, m.content))
            .collect()
    }

    /// The user texts of the last request the fake provider got.
    fn last_request_user_texts(&self) -> Vec<String> {
        let requests = self.server.chat_requests();
        let last = requests.last().expect("a request");
        last.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "user")
            .map(|m| m["content"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_restores_what_write_and_edit_changed() {
    let env = Env::new("").await;
    std::fs::write(env.path("a.txt"), "alpha\nbeta\n").unwrap();
    std::fs::set_permissions(env.path("a.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    env.server
        .push(Reply::tool_call("c1", "read", json!({"path": "a.txt"})));
    env.server.push(
        Reply::tool_call(
            "c2",
            "edit",
            json!({"path": "a.txt", "old_string": "beta", "new_string": "BETA"}),
        )
        .then_tool_call(
            "c3",
            "write",
            json!({"path": "deep/er/new.txt", "content": "brand new\n"}),
        ),
    );
    env.server.push(Reply::text("done"));
    let id = env.turn(&[], "change things").await;
    assert_eq!(read(&env.path("a.txt")), "alpha\nBETA\n");
    assert_eq!(read(&env.path("deep/er/new.txt")), "brand new\n");

    let out = env.harness(&["checkpoints", "list", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = &listed[0]["files"];
    let summary: Vec<(String, String, String)> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["change"].as_str().unwrap().into(),
                f["tool"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("a.txt".into(), "modified".into(), "edit".into()),
            ("deep/er/new.txt".into(), "created".into(), "write".into())
        ]
    );
    assert_eq!(files[0]["size_before"], 11);
    assert_eq!(files[1]["size_after"], 10);
    assert_eq!(
        listed[0]["message_id"].as_str().unwrap(),
        env.user_messages(id).await[0].0.to_string()
    );

    let out = env.harness(&["undo"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("removed  deep/er/new.txt"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(read(&env.path("a.txt")), "alpha\nbeta\n");
    assert_eq!(mode(&env.path("a.txt")), 0o640, "the mode is kept");
    assert!(
        !env.path("deep").exists(),
        "created files and their new directories are gone"
    );

    // Nothing left to undo in this conversation.
    let out = env.harness(&["undo"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nothing to undo"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_restores_what_bash_created_deleted_and_modified_binary_files_included() {
    let env = Env::new("").await;
    std::fs::write(env.path(".gitignore"), "build/\n").unwrap();
    std::fs::write(env.path("gone.txt"), "keep me\n").unwrap();
    std::fs::write(env.path("log.txt"), "line 1\n").unwrap();
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    std::fs::write(env.path("blob.bin"), &binary).unwrap();
    std::fs::set_permissions(env.path("blob.bin"), std::fs::Permissions::from_mode(0o755)).unwrap();
    env.server.push(Reply::tool_call(
        "c1",
        "bash",
        json!({"command": "rm gone.txt && echo 'line 2' >> log.txt && head -c 1000 /dev/urandom > blob.bin && chmod 600 blob.bin && mkdir -p made/here && echo new > made/here/n.txt && mkdir build && echo x > build/ignored.o"}),
    ));
    env.server.push(Reply::text("done"));
    let id = env.turn(&[], "shuffle files").await;
    assert!(!env.path("gone.txt").exists());
    assert_ne!(std::fs::read(env.path("blob.bin")).unwrap(), binary);

    let out = env.harness(&["checkpoints", "list", &id.to_string()]).await;
    let listing = text(&out.stdout);
    for line in [
        "deleted  gone.txt",
        "modified log.txt",
        "modified blob.bin",
        "created  made/here/n.txt",
    ] {
        assert!(listing.contains(line), "{line:?} in {listing}");
    }
    assert!(!listing.contains("ignored.o"), "gitignored: {listing}");

    let out = env
        .harness(&["undo", "--conversation", &id.to_string()[..13]])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(read(&env.path("gone.txt")), "keep me\n");
    assert_eq!(read(&env.path("log.txt")), "line 1\n");
    assert_eq!(std::fs::read(env.path("blob.bin")).unwrap(), binary);
    assert_eq!(mode(&env.path("blob.bin")), 0o755);
    assert!(!env.path("made").exists());
    assert!(
        env.path("build/ignored.o").exists(),
        "ignored files are not touched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_outside_is_refused_until_forced() {
    let env = Env::new("").await;
    env.server.push(Reply::tool_call(
        "c1",
        "write",
        json!({"path": "notes.md", "content": "by the model\n"}),
    ));
    env.server.push(Reply::text("done"));
    env.turn(&[], "write notes").await;
    std::fs::write(env.path("notes.md"), "edited by hand\n").unwrap();

    let out = env.harness(&["undo"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("`notes.md` was changed outside the harness"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        read(&env.path("notes.md")),
        "edited by hand\n",
        "nothing restored"
    );

    let out = env.harness(&["undo", "--force"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !env.path("notes.md").exists(),
        "the created file is removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewind_restores_files_and_the_resumed_context_leaves_later_messages_out() {
    let env = Env::new("").await;
    env.server.push(Reply::tool_call(
        "c1",
        "write",
        json!({"path": "a.txt", "content": "one\n"}),
    ));
    env.server.push(Reply::text("wrote a"));
    let id = env.turn(&[], "first: write a").await;
    env.server.push(Reply::tool_call(
        "c2",
        "bash",
        json!({"command": "echo two > b.txt && echo more >> a.txt"}),
    ));
    env.server.push(Reply::text("wrote b"));
    env.turn(&["--conversation", &id.to_string()], "second: write b")
        .await;
    assert_eq!(read(&env.path("a.txt")), "one\nmore\n");
    let users = env.user_messages(id).await;
    assert_eq!(users.len(), 2);

    let to = users[1].0.to_string();
    let out = env
        .harness(&["rewind", &id.to_string(), "--to", &to[..32]])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("4 message(s) kept aside"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(read(&env.path("a.txt")), "one\n");
    assert!(!env.path("b.txt").exists());

    env.server.push(Reply::text("again"));
    env.turn(&["--conversation", &id.to_string()], "second, differently")
        .await;
    assert_eq!(
        env.last_request_user_texts(),
        ["first: write a", "second, differently"]
    );
    // The rewound messages are kept in the store, off the active branch.
    let kept: i64 = rusqlite::Connection::open(env.home.db())
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE superseded_by IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(kept >= 3, "{kept}");

    // A rewind to a message that is not a user message is refused.
    let out = env
        .harness(&["rewind", &id.to_string(), "--to", "zzz"])
        .await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fork_copies_the_history_up_to_a_message() {
    let env = Env::new("").await;
    env.server.push(Reply::text("answer one"));
    let id = env.turn(&[], "question one").await;
    env.server.push(Reply::text("answer two"));
    env.turn(&["--conversation", &id.to_string()], "question two")
        .await;
    let users = env.user_messages(id).await;

    let out = env
        .harness(&["fork", &id.to_string(), "--at", &users[1].0.to_string()])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let fork = text(&out.stdout).trim().to_string();
    assert_ne!(fork, id.to_string());
    env.server.push(Reply::text("forked answer"));
    env.turn(&["--conversation", &fork], "question two, forked")
        .await;
    assert_eq!(
        env.last_request_user_texts(),
        ["question one", "question two, forked"]
    );
    // The original is untouched.
    assert_eq!(env.user_messages(id).await.len(), 2);

    // Without --at, the whole history.
    let out = env.harness(&["fork", &id.to_string()]).await;
    let whole: ConversationId = text(&out.stdout).trim().parse().unwrap();
    assert_eq!(env.user_messages(whole).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_over_the_cap_runs_bash_and_says_it_was_not_captured() {
    let env = Env::new("[checkpoints]\nmax_files = 3\n").await;
    for i in 0..5 {
        std::fs::write(env.path(&format!("f{i}.txt")), "x").unwrap();
    }
    env.server.push(Reply::tool_call(
        "c1",
        "bash",
        json!({"command": "echo y > f0.txt"}),
    ));
    env.server.push(Reply::text("done"));
    env.turn(&[], "touch").await;
    assert_eq!(read(&env.path("f0.txt")), "y\n", "the command still ran");
    let out = env.harness(&["checkpoints", "list"]).await;
    assert!(
        text(&out.stdout).contains("bash changes not captured: workspace over 3 files"),
        "{}",
        text(&out.stdout)
    );
}

/// The Ops behind `/undo` and `/fork`, in process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_and_fork_ops_answer_with_their_events() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let config = format!(
        "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    );
    let (deps, _) = build(home.path(), &ws, &config);
    let mut s = harness::core::spawn(
        deps.clone(),
        harness::core::SessionOptions {
            start: harness::core::SessionStart::New,
            model: None,
            agent: None,
            approval: Some(ApprovalMode::Auto),
            headless: true,
        },
    )
    .await
    .unwrap();
    server.push(Reply::tool_call(
        "c1",
        "write",
        json!({"path": "x.txt", "content": "x\n"}),
    ));
    server.push(Reply::text("done"));
    send(&s, "make x");
    let (done, _) = until_done(&mut s).await;
    let Event::TurnComplete {
        conversation_id, ..
    } = done
    else {
        unreachable!()
    };
    assert!(ws.join("x.txt").exists());

    s.ops.send(Op::Undo { force: false }).unwrap();
    let restored = next_matching(&mut s, |e| matches!(e, Event::WorkspaceRestored { .. })).await;
    let Event::WorkspaceRestored { removed, .. } = restored else {
        unreachable!()
    };
    assert_eq!(removed, ["x.txt"]);
    assert!(!ws.join("x.txt").exists());

    s.ops.send(Op::Fork { at: None }).unwrap();
    let forked = next_matching(&mut s, |e| matches!(e, Event::Forked { .. })).await;
    let Event::Forked {
        from,
        conversation_id: fork,
    } = forked
    else {
        unreachable!()
    };
    assert_eq!(from, conversation_id);
    let configured = next_matching(&mut s, |e| matches!(e, Event::SessionConfigured { .. })).await;
    assert!(
        matches!(configured, Event::SessionConfigured { conversation_id, message_count, .. } if conversation_id == fork && message_count == 4),
        "{configured:?}"
    );
}

async fn next_matching(
    s: &mut harness::core::SessionHandle,
    want: impl Fn(&Event) -> bool,
) -> Event {
    loop {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(10), s.events.recv())
            .await
            .expect("an event within 10 s")
            .expect("the session is alive");
        if let Event::Error { message, .. } = &ev {
            panic!("error: {message}");
        }
        if want(&ev) {
            return ev;
        }
    }
}

/// The Docker backend: the workspace is bind-mounted, so the host-side snapshot sees what the
/// command in the container changed. Skipped (with the reason) when no daemon answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_in_docker_is_checkpointed_and_undone_on_the_host() {
    use crate::support::docker_image::{TestSandbox, config, engine, test_image, workspace};
    use harness::checkpoint::{Checkpoints, TurnCheckpoint, actions};
    let Some(client) = engine("checkpoints_docker").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    std::fs::write(ws.path().join("old.txt"), "old\n").unwrap();
    let t = TestSandbox::new(&config(&image), ws.path());
    let root = harness::sandbox::paths::workspace_root(ws.path());
    let home = tempfile::tempdir().unwrap();
    let cps = Checkpoints::new(home.path().join("checkpoints"), Default::default());
    let conversation = ConversationId::new();
    let turn = TurnCheckpoint::begin(cps.clone(), conversation, MessageId::new(), &root);
    let ctx = harness::tools::ToolContext {
        sandbox: std::sync::Arc::new(harness::sandbox::docker::DockerSandbox::new(
            &config(&image),
            ws.path().to_path_buf(),
            t.conversation,
        )),
        live_output: None,
        cancel: tokio_util::sync::CancellationToken::new(),
        default_timeout: std::time::Duration::from_secs(30),
        seen: std::sync::Arc::default(),
        checkpoint: Some(turn),
        read_denials: Default::default(),
        services: Default::default(),
    };
    let call = harness::message::ToolCall {
        id: "b1".into(),
        name: "bash".into(),
        arguments: json!({"command": "rm old.txt && echo new > new.txt && echo ok"}),
    };
    let out = harness::tools::ToolRegistry::builtin()
        .execute(&call, ctx)
        .await;
    assert!(out.content.starts_with("ok"), "{}", out.content);
    assert!(!ws.path().join("old.txt").exists());

    let done = actions::undo(&cps, conversation, false).unwrap();
    assert_eq!(done.report.restored, ["old.txt"]);
    assert_eq!(done.report.removed, ["new.txt"]);
    assert_eq!(read(&ws.path().join("old.txt")), "old\n");
    assert!(!ws.path().join("new.txt").exists());
}
