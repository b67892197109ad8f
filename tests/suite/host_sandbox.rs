//! The host sandbox against real processes: working directory, interleaved output, stdin,
//! environment scrubbing, process-group kills (timeout, finish, drop) and capped output.

use harness::sandbox::host::HostSandbox;
use harness::sandbox::{ExecRequest, Sandbox, SandboxBackend};
use std::ffi::OsString;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn request(command: &str, timeout_secs: u64) -> ExecRequest {
    ExecRequest {
        command: command.to_string(),
        timeout: Duration::from_secs(timeout_secs),
        live_output: None,
    }
}

fn workspace() -> (tempfile::TempDir, HostSandbox) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = HostSandbox::new(dir.path()).unwrap();
    (dir, sandbox)
}

/// True once `pid` no longer runs (gone, or a zombie nobody has reaped yet).
fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn wait_gone(pid: i32) -> bool {
    for _ in 0..60 {
        if process_gone(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn read_pid(path: &std::path::Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn runs_in_the_workspace_with_exit_code() {
    let (dir, sandbox) = workspace();
    assert_eq!(sandbox.backend(), SandboxBackend::Host);
    let out = sandbox
        .exec(request("pwd; echo oops >&2; exit 3", 10))
        .await
        .unwrap();
    let root = dir.path().canonicalize().unwrap();
    assert_eq!(out.output, format!("{}\noops\n", root.display()));
    assert_eq!(out.exit_code, Some(3));
    assert!(!out.timed_out && !out.out_of_memory);
    assert_eq!(sandbox.workspace(), root);
}

#[tokio::test]
async fn stdout_and_stderr_interleave_in_order() {
    let (_dir, sandbox) = workspace();
    let out = sandbox
        .exec(request(
            "for i in 1 2 3; do echo out$i; echo err$i >&2; done",
            10,
        ))
        .await
        .unwrap();
    assert_eq!(out.output, "out1\nerr1\nout2\nerr2\nout3\nerr3\n");
    assert_eq!(out.exit_code, Some(0));
}

#[tokio::test]
async fn stdin_is_null_so_readers_do_not_hang() {
    let (_dir, sandbox) = workspace();
    let started = Instant::now();
    let out = sandbox
        .exec(request("cat; read x; echo done", 20))
        .await
        .unwrap();
    assert_eq!(out.output, "done\n");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn environment_is_an_allowlist_plus_env_allow() {
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("LC_ALL", "C.UTF-8"),
        ("HARMLESS", "not-listed-1"),
        ("MY_SECRET_THING", "x-should-not-leak-2"),
        ("AWS_SESSION", "x-should-not-leak-3"),
        ("DATABASE_URL", "postgres://u:should-not-leak-4@db"),
        ("MY_API_KEY", "sk-should-not-leak-5"),
        ("PROJECT_MODE", "listed-value"),
        ("GH_TOKEN", "listed-token"),
    ];
    let allow = vec!["PROJECT_MODE".to_string(), "GH_TOKEN".to_string()];
    let sandbox = HostSandbox::new(dir.path())
        .unwrap()
        .with_base_env(
            vars.iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        )
        .with_env_allow(&allow);
    let out = sandbox.exec(request("env", 10)).await.unwrap();
    for present in [
        "PATH=/usr/local/bin",
        "LC_ALL=C.UTF-8",
        "PROJECT_MODE=listed-value",
        "GH_TOKEN=listed-token",
    ] {
        assert!(out.output.contains(present), "{present}: {}", out.output);
    }
    for absent in [
        "HARMLESS",
        "not-listed",
        "should-not-leak",
        "MY_SECRET_THING",
        "AWS_SESSION",
        "DATABASE_URL",
        "MY_API_KEY",
    ] {
        assert!(
            !out.output.contains(absent),
            "{absent} leaked: {}",
            out.output
        );
    }
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let (dir, sandbox) = workspace();
    let started = Instant::now();
    let out = sandbox
        .exec(request(
            "echo started; sleep 300 & echo $! > bg.pid; sleep 300",
            1,
        ))
        .await
        .unwrap();
    assert!(out.timed_out);
    assert_eq!(out.exit_code, None);
    assert_eq!(out.output, "started\n");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let bg = read_pid(&dir.path().join("bg.pid"));
    assert!(
        wait_gone(bg).await,
        "background sleep {bg} survived the timeout"
    );
}

#[tokio::test]
async fn background_jobs_do_not_outlive_the_command() {
    let (dir, sandbox) = workspace();
    let started = Instant::now();
    // One job keeps the output pipe open, the other does not: neither may delay or survive.
    let out = sandbox
        .exec(request(
            "sleep 300 & echo $! > holds_pipe.pid; sleep 300 >/dev/null 2>&1 & echo $! > detached.pid; echo finished",
            60,
        ))
        .await
        .unwrap();
    assert_eq!(out.output, "finished\n");
    assert_eq!(out.exit_code, Some(0));
    assert!(!out.timed_out);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    for file in ["holds_pipe.pid", "detached.pid"] {
        let pid = read_pid(&dir.path().join(file));
        assert!(wait_gone(pid).await, "{file}: {pid} still running");
    }
}

#[tokio::test]
async fn dropping_the_exec_future_kills_the_group() {
    let (_dir, sandbox) = workspace();
    let (tx, mut rx) = mpsc::channel(16);
    let req = ExecRequest {
        command: "sleep 300 & echo $!; wait".to_string(),
        timeout: Duration::from_secs(120),
        live_output: Some(tx),
    };
    let mut exec = sandbox.exec(req);
    let pid: i32 = tokio::select! {
        chunk = rx.recv() => chunk.unwrap().trim().parse().unwrap(),
        _ = &mut exec => panic!("command finished on its own"),
    };
    assert!(!process_gone(pid));
    drop(exec);
    assert!(
        wait_gone(pid).await,
        "sleep {pid} survived dropping the exec future"
    );
}

#[tokio::test]
async fn live_output_carries_the_chunks() {
    let (_dir, sandbox) = workspace();
    let (tx, mut rx) = mpsc::channel(1024);
    let req = ExecRequest {
        command: "for i in 1 2 3; do echo line$i; sleep 0.05; done".to_string(),
        timeout: Duration::from_secs(10),
        live_output: Some(tx),
    };
    let out = sandbox.exec(req).await.unwrap();
    let mut live = String::new();
    while let Ok(chunk) = rx.try_recv() {
        live.push_str(&chunk);
    }
    assert_eq!(live, out.output);
    assert_eq!(live, "line1\nline2\nline3\n");
}

#[tokio::test]
async fn long_output_keeps_head_and_tail() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = HostSandbox::new(dir.path()).unwrap().with_output_cap(1000);
    let out = sandbox.exec(request("seq 1 100000", 30)).await.unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert!(out.output.starts_with("1\n2\n3\n"), "{}", &out.output[..50]);
    assert!(out.output.ends_with("99999\n100000\n"));
    assert!(out.output.contains("bytes omitted"));
    assert!(out.output.len() < 1100, "{}", out.output.len());
    let expected_total: u64 = (1..=100_000u64)
        .map(|n| n.to_string().len() as u64 + 1)
        .sum();
    assert_eq!(out.total_bytes, expected_total);
}

/// Peak resident memory of this test process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_gigabyte_of_output_stays_capped_in_bounded_memory() {
    let (_dir, sandbox) = workspace();
    let before = peak_rss_kib();
    let started = Instant::now();
    let out = sandbox
        .exec(request("yes 'a line of output' | head -c 1G", 120))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    eprintln!("1 GiB of output in {elapsed:?}; peak RSS grew by {grown_mib} MiB");
    assert_eq!(out.exit_code, Some(0));
    assert!(!out.timed_out);
    assert_eq!(out.total_bytes, 1 << 30);
    assert!(out.output.len() <= 31_000, "{}", out.output.len());
    assert!(out.output.starts_with("a line of output\n"));
    // Keeping the output would need 1024 MiB; other tests in this binary run alongside.
    assert!(grown_mib < 256, "peak RSS grew by {grown_mib} MiB");
}

#[tokio::test]
async fn a_process_that_leaves_the_group_does_not_hold_the_command_open() {
    let (dir, sandbox) = workspace();
    let started = Instant::now();
    // `setsid` moves the child out of the command's process group, so the group kill misses
    // it; it still holds the output pipe. The exec must return shortly after the shell exits.
    let out = sandbox
        .exec(request(
            "setsid sleep 30 & echo $! > escaped.pid; echo done",
            60,
        ))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let pid = read_pid(&dir.path().join("escaped.pid"));
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
    assert_eq!(out.output, "done\n");
    assert_eq!(out.exit_code, Some(0));
    assert!(!out.timed_out);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}
