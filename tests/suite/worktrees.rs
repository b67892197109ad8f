//! Worktrees in a real git repository (a temporary directory): a subagent asked for
//! `worktree = true` works on its own branch and leaves the user's checkout alone, `harness run
//! --worktree` does the same for a whole conversation, `harness diff` shows what each changed,
//! and `history list --children` lists the child with its parent.

use crate::support::core::{build, send, until_done};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{stderr, stdout};
use harness::core::{SessionOptions, SessionStart};
use harness::message::MessageStatus;
use harness::protocol::Event;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with one commit (`README.md`).
fn repo(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README.md"), "# demo\n").unwrap();
    git(dir, &["add", "README.md"]);
    git(dir, &["commit", "-q", "-m", "first"]);
}

fn harness(home: &Path, cwd: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_harness"));
    crate::support::home::scrub_provider_env(&mut cmd);
    cmd.env("HARNESS_HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run harness")
}

fn config(server: &FakeProvider) -> String {
    format!(
        r#"default_model = "fake/model-x"
default_agent = "lead"
{}
[sandbox]
backend = "host"

[approval]
mode = "auto"

[agents.lead]
description = "Splits work"
system_prompt = "You are the lead."
tools = ["task"]

[agents.worker]
description = "Writes"
system_prompt = "You are a worker."
tools = ["write", "bash"]
"#,
        server.config_toml("fake")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worktree_subagent_works_on_its_own_branch_and_diff_shows_it() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = tempfile::tempdir().unwrap();
    let checkout = home.path().join("project");
    repo(&checkout);
    let (deps, _) = build(home.path(), &checkout, &config(&server));
    let mut s = harness::core::spawn(
        deps.clone(),
        SessionOptions {
            start: SessionStart::New,
            model: None,
            agent: None,
            approval: None,
            headless: true,
        },
    )
    .await
    .unwrap();
    server.push(Reply::tool_call(
        "t1",
        "task",
        json!({"description": "add hello", "prompt": "CHILD: write hello.txt", "agent": "worker", "worktree": true}),
    ));
    server.push(Reply::tool_call(
        "w1",
        "write",
        json!({"path": "hello.txt", "content": "hello from the child\n"}),
    ));
    server.push(Reply::text("hello.txt written"));
    server.push(Reply::text("done"));
    send(&s, "delegate");
    let (done, seen) = until_done(&mut s).await;
    assert!(
        matches!(
            done,
            Event::TurnComplete {
                status: MessageStatus::Complete,
                ..
            }
        ),
        "{seen:?}"
    );
    let (branch, worktree) = seen
        .iter()
        .find_map(|e| match e {
            Event::SubagentStarted {
                branch: Some(b),
                worktree: Some(w),
                ..
            } => Some((b.clone(), w.clone())),
            _ => None,
        })
        .expect("the child reports its worktree");
    assert!(branch.starts_with("harness/"), "{branch}");
    // The child wrote in its worktree, not in the user's checkout.
    assert_eq!(
        std::fs::read_to_string(Path::new(&worktree).join("hello.txt")).unwrap(),
        "hello from the child\n"
    );
    assert!(!checkout.join("hello.txt").exists());
    assert!(!Path::new(&worktree).starts_with(&checkout));
    // The branch is the repository's, kept for the user.
    let branches = git(&checkout, &["branch", "--list", "harness/*"]);
    assert!(branches.contains(&branch), "{branches}");
    // The tool result tells the parent where the work is.
    let result = seen
        .iter()
        .find_map(|e| match e {
            Event::ToolCallEnd { output, .. } => Some(output.clone()),
            _ => None,
        })
        .unwrap();
    assert!(result.starts_with("hello.txt written"), "{result}");
    assert!(result.contains(&branch), "{result}");

    // `history list --children` and `harness diff CHILD` through the binary.
    drop(s);
    let listed = harness(
        home.path(),
        &checkout,
        &["history", "list", "--children", "--json"],
    );
    assert!(listed.status.success(), "{}", stderr(&listed));
    let rows: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let child = rows[0]["id"].as_str().unwrap().to_string();
    assert_eq!(rows[0]["parent_call_id"], "t1");
    assert_eq!(rows[0]["agent"], "worker");
    assert_eq!(rows[0]["description"], "add hello");
    let diff = harness(home.path(), &checkout, &["diff", &child[..13]]);
    assert!(diff.status.success(), "{}", stderr(&diff));
    let text = stdout(&diff);
    assert!(text.contains("+++ b/hello.txt"), "{text}");
    assert!(text.contains("+hello from the child"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_worktree_keeps_the_checkout_clean_and_diff_shows_the_change() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = tempfile::tempdir().unwrap();
    let checkout = home.path().join("project");
    repo(&checkout);
    std::fs::write(
        home.path().join("config.toml"),
        config(&server).replace("default_agent = \"lead\"", "default_agent = \"worker\""),
    )
    .unwrap();
    server.push(Reply::tool_call(
        "w1",
        "write",
        json!({"path": "NOTES.md", "content": "changed in the worktree\n"}),
    ));
    server.push(Reply::text("edited"));
    let (h, c) = (home.path().to_path_buf(), checkout.clone());
    let out = tokio::task::spawn_blocking(move || {
        harness(&h, &c, &["run", "--worktree", "edit the readme"])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("working in the worktree"), "{err}");
    assert!(err.contains("on branch harness/"), "{err}");
    assert!(err.contains("✓ "), "the write ran: {err}");
    assert!(
        !checkout.join("NOTES.md").exists(),
        "the checkout is untouched"
    );
    assert_eq!(git(&checkout, &["status", "--porcelain"]), "");
    let (h, c) = (home.path().to_path_buf(), checkout.clone());
    let diff = tokio::task::spawn_blocking(move || harness(&h, &c, &["diff"]))
        .await
        .unwrap();
    assert!(diff.status.success(), "{}", stderr(&diff));
    let text = stdout(&diff);
    assert!(
        text.contains("+changed in the worktree"),
        "{text} / {}",
        stderr(&diff)
    );
    assert!(text.contains("+++ b/NOTES.md"), "{text}");

    // Going on with the conversation works in its worktree again, one process at a time.
    let worktree = err
        .split("working in the worktree ")
        .nth(1)
        .and_then(|rest| rest.split(" on branch").next())
        .unwrap()
        .to_string();
    let held = harness::git::lock::lock(Path::new(&worktree)).unwrap();
    let (h, c) = (home.path().to_path_buf(), checkout.clone());
    let refused = tokio::task::spawn_blocking(move || harness(&h, &c, &["run", "-c", "more"]))
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("in use by another harness session"),
        "{}",
        stderr(&refused)
    );
    drop(held);
    server.push(Reply::tool_call(
        "w2",
        "write",
        json!({"path": "MORE.md", "content": "second turn\n"}),
    ));
    server.push(Reply::text("more"));
    let (h, c) = (home.path().to_path_buf(), checkout.clone());
    let again = tokio::task::spawn_blocking(move || harness(&h, &c, &["run", "-c", "more"]))
        .await
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(Path::new(&worktree).join("MORE.md").exists());
    assert!(!checkout.join("MORE.md").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worktree_outside_git_is_a_clear_error_result() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = tempfile::tempdir().unwrap();
    let plain = home.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let (deps, _) = build(home.path(), &plain, &config(&server));
    let mut s = harness::core::spawn(
        deps,
        SessionOptions {
            start: SessionStart::New,
            model: None,
            agent: None,
            approval: None,
            headless: true,
        },
    )
    .await
    .unwrap();
    server.push(Reply::tool_call(
        "t1",
        "task",
        json!({"description": "x", "prompt": "CHILD", "worktree": true}),
    ));
    server.push(Reply::text("ok"));
    send(&s, "go");
    let (_, seen) = until_done(&mut s).await;
    let (output, is_error) = seen
        .iter()
        .find_map(|e| match e {
            Event::ToolCallEnd {
                output, is_error, ..
            } => Some((output.clone(), *is_error)),
            _ => None,
        })
        .unwrap();
    assert!(is_error);
    assert!(
        output.starts_with("no worktree for the subagent: ")
            && output.contains("not in a git repository"),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_made_through_the_tools_name_the_harness_and_the_model() {
    use std::os::unix::fs::PermissionsExt;
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = tempfile::tempdir().unwrap();
    let checkout = home.path().join("project");
    repo(&checkout);
    // The repository's own commit-msg hook must still run.
    let hook = checkout.join(".git/hooks/commit-msg");
    std::fs::write(
        &hook,
        "#!/bin/sh\ntouch \"$(git rev-parse --git-dir)/own-hook-ran\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = config(&server).replace("default_agent = \"lead\"", "default_agent = \"worker\"");
    let (deps, _) = build(home.path(), &checkout, &text);
    let mut s = harness::core::spawn(
        deps,
        SessionOptions {
            start: SessionStart::New,
            model: None,
            agent: None,
            approval: None,
            headless: true,
        },
    )
    .await
    .unwrap();
    server.push(Reply::tool_call(
        "b1",
        "bash",
        json!({"command": "git -c user.name=Tool -c user.email=tool@example.invalid commit --allow-empty -q -m 'made by the tool'"}),
    ));
    server.push(Reply::text("committed"));
    send(&s, "commit");
    let (done, seen) = until_done(&mut s).await;
    assert!(
        matches!(
            done,
            Event::TurnComplete {
                status: MessageStatus::Complete,
                ..
            }
        ),
        "{seen:?}"
    );
    let message = git(&checkout, &["log", "-1", "--format=%B"]);
    assert!(message.starts_with("made by the tool"), "{message}");
    assert!(
        message.contains("Co-authored-by: harness (fake/model-x) <harness@noreply.invalid>"),
        "{message}"
    );
    assert!(
        checkout.join(".git/own-hook-ran").exists(),
        "the repository's hook ran"
    );
    // A commit made outside the harness carries no trailer.
    git(
        &checkout,
        &["commit", "--allow-empty", "-q", "-m", "by hand"],
    );
    let by_hand = git(&checkout, &["log", "-1", "--format=%B"]);
    assert!(!by_hand.contains("Co-authored-by"), "{by_hand}");
}
