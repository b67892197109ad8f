//! `harness run` with the docker sandbox, stopped the way a system stops it (issue 10): SIGTERM
//! and SIGHUP mid-stream cancel the turn like Ctrl+C, keep the partial reply and remove the
//! process's container before it exits; the start-up orphan sweep finishes even when the run is
//! short. The built binary against the fake provider and the real engine.

use crate::support::docker_image::{TEST_UID, engine, remove_labelled, test_image};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::TempHome;
use harness::message::{MessageStatus, Role};
use harness::store::Store;
use nix::sys::signal::Signal;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Env {
    home: TempHome,
    server: FakeProvider,
    workspace: PathBuf,
}

impl Env {
    async fn new(image: &str) -> Self {
        let server = FakeProvider::start(Flavor::OpenAi).await;
        let home = TempHome::new();
        home.write_config(&format!(
            "default_model = \"fake/model-x\"\n{}\n[sandbox]\nbackend = \"docker\"\nimage = \"{image}\"\nmemory_mb = 256\n",
            server.config_toml("fake")
        ));
        let workspace = home.path().join("ws");
        std::fs::create_dir_all(&workspace).unwrap();
        if nix::unistd::geteuid().is_root() {
            let id = Some(nix::unistd::Uid::from_raw(TEST_UID));
            let gid = Some(nix::unistd::Gid::from_raw(TEST_UID));
            nix::unistd::chown(&workspace, id, gid).unwrap();
        }
        Self {
            home,
            server,
            workspace,
        }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = self.home.cmd();
        cmd.current_dir(&self.workspace)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        cmd
    }
}

/// Ids of the containers owned by harness process `pid`, running or not.
fn containers_of(pid: u32) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            "label=harness=1",
            "--filter",
            &format!("label=harness.owner.pid={pid}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

async fn stopped_mid_stream(signal: Signal) {
    let Some(client) = engine("signals").await else {
        return;
    };
    let image = test_image(&client).await;
    let env = Env::new(&image).await;
    env.server.push(Reply::tool_call(
        "c1",
        "bash",
        json!({"command": "echo from-the-sandbox"}),
    ));
    env.server
        .push(Reply::text_chunks(["partial answer ", "never sent"]).stall_after(2));
    let child = env
        .command(&["run", "--json", "--approve", "auto", "go"])
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    // Wait until the second request streams (the tool ran, so a container exists).
    second_request_streaming(&env).await;
    assert_eq!(containers_of(pid).len(), 1, "the tool's container runs");

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal).unwrap();
    let stopped = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("harness did not exit after the signal")
        .unwrap();
    let leftover = containers_of(pid);
    remove_labelled(&format!("harness.owner.pid={pid}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stopped.elapsed() < Duration::from_secs(15),
        "{signal:?}: took {:?}",
        stopped.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{signal:?}: {stderr}");
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let tool = events.iter().find(|e| e["type"] == "tool_result").unwrap();
    assert!(
        tool["output"]
            .as_str()
            .unwrap()
            .contains("from-the-sandbox"),
        "{tool}"
    );
    assert_eq!(events.last().unwrap()["status"], "cancelled", "{signal:?}");

    let store = Store::open(&env.home.db()).unwrap();
    let rows = store
        .messages(store.most_recent().await.unwrap().unwrap())
        .await
        .unwrap();
    let last = rows.last().unwrap();
    assert_eq!(last.role, Role::Assistant);
    assert_eq!(last.status, MessageStatus::Cancelled, "{signal:?}");
    assert_eq!(last.content, "partial answer ");
    assert_eq!(
        leftover,
        Vec::<String>::new(),
        "{signal:?}: container left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_stream_cancels_keeps_the_partial_and_removes_the_container() {
    stopped_mid_stream(Signal::SIGTERM).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_mid_stream_cancels_keeps_the_partial_and_removes_the_container() {
    stopped_mid_stream(Signal::SIGHUP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orphan_sweep_finishes_before_a_short_run_exits() {
    let Some(client) = engine("sweep").await else {
        return;
    };
    let image = test_image(&client).await;
    let env = Env::new(&image).await;
    // A container left by a harness that is gone: same host and boot, a pid that runs no
    // process (pid_max is at most 2^22).
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
    let marker = format!("sweep-{}", fastrand::u64(..));
    let created = std::process::Command::new("docker")
        .args(["create", "--label", "harness=1"])
        .args(["--label", "harness.owner.pid=4194400"])
        .args(["--label", "harness.owner.start=1"])
        .args(["--label", &format!("harness.owner.boot={}", boot.trim())])
        .args(["--label", &format!("harness.owner.host={host}")])
        .args(["--label", &format!("harness.test={marker}")])
        .args([&image, "sleep", "1"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let id = String::from_utf8_lossy(&created.stdout).trim().to_string();

    env.server.push(Reply::text("short"));
    let out = env.command(&["run", "hi"]).output().await.unwrap();
    let still_there = client.docker.inspect_container(&id, None).await.is_ok();
    remove_labelled(&format!("harness.test={marker}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !still_there,
        "the orphan outlived the run: the sweep was abandoned"
    );
}

/// Containers whose workspace label is `workspace`.
fn containers_in(workspace: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            "label=harness=1",
            "--filter",
            &format!("label=harness.workspace={}", workspace.display()),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_terminal_of_the_tui_mid_stream_keeps_the_partial_and_removes_the_container() {
    let tmux_ok = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !tmux_ok {
        eprintln!("SKIPPED tui hangup: tmux is not installed (apt-get install tmux)");
        return;
    }
    let Some(client) = engine("tui_hangup").await else {
        return;
    };
    let image = test_image(&client).await;
    let env = Env::new(&image).await;
    let workspace = env.workspace.canonicalize().unwrap();
    env.home.write_config(&format!(
        "default_model = \"fake/model-x\"\n{}\n[approval]\nmode = \"auto\"\n[sandbox]\nbackend = \"docker\"\nimage = \"{image}\"\nmemory_mb = 256\n",
        env.server.config_toml("fake")
    ));
    env.server.push(Reply::tool_call(
        "c1",
        "bash",
        json!({"command": "echo from-the-tui"}),
    ));
    env.server
        .push(Reply::text_chunks(["partial from tui ", "never sent"]).stall_after(2));

    let session = format!("harness-hup-{}", fastrand::u64(..));
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &session])
            .args(args)
            .output()
            .unwrap()
    };
    let command = format!(
        "cd {} && HARNESS_HOME={} NO_COLOR=1 {}",
        workspace.display(),
        env.home.path().display(),
        env!("CARGO_BIN_EXE_harness"),
    );
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    let waiting = Instant::now();
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", &session]);
        if String::from_utf8_lossy(&screen.stdout).contains("Ask anything") {
            break;
        }
        assert!(waiting.elapsed() < Duration::from_secs(20), "no TUI");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tmux(&["send-keys", "-t", &session, "-l", "go"]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    tmux(&["send-keys", "-t", &session, "Enter"]);
    second_request_streaming(&env).await;
    assert_eq!(
        containers_in(&workspace).len(),
        1,
        "the tool's container runs"
    );

    // The terminal goes away: the pty hangs up and harness gets SIGHUP.
    tmux(&["kill-server"]);
    let closed = Instant::now();
    let mut leftover = containers_in(&workspace);
    while !leftover.is_empty() && closed.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        leftover = containers_in(&workspace);
    }
    for id in &leftover {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", id])
            .output();
    }
    assert_eq!(leftover, Vec::<String>::new(), "container left behind");
    // The db settles once the process has gone.
    let store = Store::open(&env.home.db()).unwrap();
    let mut last = None;
    while closed.elapsed() < Duration::from_secs(15) {
        let rows = store
            .messages(store.most_recent().await.unwrap().unwrap())
            .await
            .unwrap();
        let row = rows.last().unwrap().clone();
        if row.status == MessageStatus::Cancelled {
            last = Some(row);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let last = last.expect("the partial reply was not stored as cancelled");
    assert_eq!(last.role, Role::Assistant);
    assert_eq!(last.content, "partial from tui ");
}

/// Wait until the fake provider got its second request (the tool ran, so a container exists)
/// and the reply has started streaming.
async fn second_request_streaming(env: &Env) {
    let waiting = Instant::now();
    while env.server.chat_requests().len() < 2 {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "no second request"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
}
