//! What the docker sandbox may be trusted with (issue 10) against the real engine: a command
//! never runs twice when its container dies under it, refusals by the sandbox say so, `.git` is
//! read-only unless allowed, workspaces owned by someone else (root, another uid) work and keep
//! their owner. Skipped, with the reason printed, only when no daemon answers.

use crate::support::docker_image::{
    TestSandbox, config, engine, request, run, test_image, workspace,
};
use harness::sandbox::Sandbox;
use harness::tools::{ToolContext, ToolRegistry};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    let status = std::process::Command::new("chown")
        .args(["-R", &format!("{uid}:{gid}")])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_killed_by_out_of_memory_mid_command_does_not_run_it_again() {
    let Some(client) = engine("oom_no_rerun").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let cfg = harness::config::SandboxConfig {
        memory_mb: 48,
        ..config(&image)
    };
    let t = TestSandbox::new(&cfg, ws.path());
    let first = t.sandbox.container_id().await.unwrap();
    // Files in tmpfs cannot be swapped or reclaimed: filling both mounts past the memory limit
    // leaves the kernel nothing to kill but the container's processes, init included.
    let out = t
        .sandbox
        .exec(request(
            "echo ran >> counter; head -c 40m /dev/zero > /tmp/a; \
             head -c 40m /dev/zero > /home/harness/b; sleep 2; echo survived",
            20,
        ))
        .await
        .unwrap();
    let counter = std::fs::read_to_string(ws.path().join("counter")).unwrap();
    assert_eq!(counter, "ran\n", "the command ran more than once: {out:?}");
    assert!(out.out_of_memory, "not reported as out of memory: {out:?}");
    assert!(!out.output.contains("survived"), "{out:?}");
    assert_eq!(out.exit_code, None);
    let rendered = harness::tools::bash::render(&out, Duration::from_secs(60));
    assert!(rendered.is_error);
    assert!(
        rendered.content.contains("out of memory"),
        "{}",
        rendered.content
    );

    // The next call gets a working container (a new one if the old one died).
    let after = run(&t.sandbox, "cat counter; ls /tmp").await;
    assert_eq!(after.output, "ran\n", "{after:?}");
    let now = t.sandbox.current_container().await.unwrap();
    if now != first {
        assert!(client.docker.inspect_container(&first, None).await.is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_is_read_only_unless_allowed_and_the_refusal_says_so() {
    let Some(client) = engine("git_read_only").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    std::fs::create_dir_all(ws.path().join(".git/hooks")).unwrap();
    std::fs::write(ws.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let owner = std::fs::metadata(ws.path()).unwrap();
    chown_tree(ws.path(), owner.uid(), owner.gid());

    let t = TestSandbox::new(&config(&image), ws.path());
    let out = t
        .sandbox
        .exec(request("touch .git/hooks/x; echo rest > other.txt", 30))
        .await
        .unwrap();
    assert!(
        out.output.contains(
            "[denied by the sandbox: read-only file system (.git is read-only; set [sandbox] \
             git_writable = true)]"
        ),
        "{out:?}"
    );
    assert!(!ws.path().join(".git/hooks/x").exists());
    assert_eq!(
        std::fs::read_to_string(ws.path().join("other.txt")).unwrap(),
        "rest\n",
        "the rest of the workspace stays writable"
    );
    let head = run(&t.sandbox, "cat .git/HEAD").await;
    assert_eq!(head.output, "ref: refs/heads/main\n", "still readable");

    let writable = harness::config::SandboxConfig {
        git_writable: true,
        ..config(&image)
    };
    let t2 = TestSandbox::new(&writable, ws.path());
    let out = run(&t2.sandbox, "touch .git/hooks/x && echo made").await;
    assert_eq!(out.output, "made\n", "{out:?}");
    assert!(ws.path().join(".git/hooks/x").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_refusals_are_named_in_the_output() {
    let Some(client) = engine("network_refusal").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    let out = t
        .sandbox
        .exec(request("curl -sS http://example.com/", 30))
        .await
        .unwrap();
    assert!(
        out.output.contains("Could not resolve host"),
        "curl's own words stay: {out:?}"
    );
    assert!(
        out.output
            .contains("[denied by the sandbox: no network access (the sandbox has no network"),
        "{out:?}"
    );
    let out = run(&t.sandbox, "wget -q -O- http://example.com/ 2>&1; true").await;
    assert!(
        out.output
            .contains("denied by the sandbox: no network access"),
        "{out:?}"
    );
    let out = run(&t.sandbox, "touch /etc/x 2>&1; true").await;
    assert!(
        out.output.contains(
            "[denied by the sandbox: read-only file system (only /workspace, /tmp and $HOME \
             are writable)]"
        ),
        "{out:?}"
    );
    let fine = run(&t.sandbox, "echo 'no refusal here'").await;
    assert_eq!(fine.output, "no refusal here\n");
}

/// Files created by bash and by the write tool in `ws`, and their owners.
async fn owners_after_tools(t: &TestSandbox) -> (u32, u32, u32) {
    let out = run(
        &t.sandbox,
        "touch by-bash.txt && mkdir -p made/deeper && echo x > made/deeper/f && echo ok",
    )
    .await;
    assert_eq!(out.output, "ok\n", "{out:?}");
    let sandbox: Arc<dyn Sandbox> = Arc::new(harness::sandbox::docker::DockerSandbox::new(
        &harness::config::SandboxConfig::default(),
        t.workspace.clone(),
        t.conversation,
    ));
    let ctx = ToolContext {
        sandbox,
        live_output: None,
        cancel: tokio_util::sync::CancellationToken::new(),
        default_timeout: Duration::from_secs(30),
        seen: Arc::default(),
        checkpoint: None,
        read_denials: Default::default(),
        services: Default::default(),
    };
    let call = harness::message::ToolCall {
        id: "w1".into(),
        name: "write".into(),
        arguments: serde_json::json!({"path": "new/dir/by-write.txt", "content": "hi\n"}),
    };
    let out = ToolRegistry::builtin().execute(&call, ctx).await;
    assert!(!out.is_error, "{}", out.content);
    let uid = |p: &str| std::fs::metadata(t.workspace.join(p)).unwrap().uid();
    (
        uid("by-bash.txt"),
        uid("made/deeper/f"),
        uid("new/dir/by-write.txt").max(uid("new/dir")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_of_another_user_keeps_its_owner() {
    let Some(client) = engine("foreign_owner").await else {
        return;
    };
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED foreign_owner: needs root to chown the workspace");
        return;
    }
    let image = test_image(&client).await;
    let ws = tempfile::tempdir().unwrap();
    chown_tree(ws.path(), 1234, 1234);
    let t = TestSandbox::new(&config(&image), ws.path());
    let (bash_file, bash_nested, write_file) = owners_after_tools(&t).await;
    assert_eq!(bash_file, 1234);
    assert_eq!(bash_nested, 1234);
    assert_eq!(write_file, 1234, "the write tool's file and dirs too");
    let gid = std::fs::metadata(ws.path().join("new/dir/by-write.txt"))
        .unwrap()
        .gid();
    assert_eq!(gid, 1234);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_owned_workspace_works_when_harness_runs_as_root() {
    let Some(client) = engine("root_workspace").await else {
        return;
    };
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED root_workspace: needs root");
        return;
    }
    let image = test_image(&client).await;
    let ws = tempfile::tempdir().unwrap();
    chown_tree(ws.path(), 0, 0);
    let t = TestSandbox::new(&config(&image), ws.path());
    let (bash_file, bash_nested, write_file) = owners_after_tools(&t).await;
    assert_eq!((bash_file, bash_nested, write_file), (0, 0, 0));
    // Root in the container holds no capabilities: it cannot touch what it does not own.
    let caps = run(&t.sandbox, "grep CapEff /proc/self/status").await;
    assert!(caps.output.contains("0000000000000000"), "{caps:?}");
}
