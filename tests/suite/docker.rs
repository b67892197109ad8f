//! Isolation and exec of the docker sandbox against the real engine on this machine (issue 7,
//! "Done when"): filesystem, network, privileges, pids and memory limits, timeouts, cancellation
//! and output. Every test builds on the small test image from `support::docker_image` and removes
//! its containers; a test is skipped, with the reason printed, only when no daemon answers.

use crate::support::docker_image::{
    TestSandbox, config, engine, processes, request, run, stray_processes, test_image, workspace,
};
use harness::sandbox::docker::DockerSandbox;
use harness::sandbox::{ExecRequest, Sandbox};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_merged_output_and_reuse_of_one_container() {
    let Some(client) = engine("exit_codes").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());

    let out = run(&t.sandbox, "echo out; echo err >&2; echo out2; exit 3").await;
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.output, "out\nerr\nout2\n");
    assert_eq!(out.total_bytes, 13);
    assert!(!out.timed_out && !out.out_of_memory);

    let first = t.sandbox.current_container().await.unwrap();
    let out = run(&t.sandbox, "echo kept > /tmp/state; pwd; echo $HOME").await;
    assert_eq!(out.output, "/workspace\n/home/harness\n");
    let out = run(&t.sandbox, "cat /tmp/state").await;
    assert_eq!(out.output, "kept\n", "the same container serves every call");
    assert_eq!(t.sandbox.current_container().await.unwrap(), first);

    // The whole hardening list, as the engine reports it.
    let inspect = client.docker.inspect_container(&first, None).await.unwrap();
    let host = inspect.host_config.unwrap();
    assert_eq!(host.network_mode.as_deref(), Some("none"));
    assert_eq!(host.readonly_rootfs, Some(true));
    assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
    assert_eq!(
        host.security_opt,
        Some(vec!["no-new-privileges".to_string()])
    );
    assert_eq!(host.pids_limit, Some(128));
    assert_eq!(host.memory, Some(256 * 1024 * 1024));
    assert_eq!(host.memory_swap, host.memory);
    assert_eq!(host.nano_cpus, Some(1_000_000_000));
    assert_eq!(host.init, Some(true));
    let labels = inspect.config.unwrap().labels.unwrap();
    assert_eq!(labels["harness"], "1");
    assert_eq!(labels["harness.conversation"], t.conversation.to_string());
    assert_eq!(labels["harness.owner.pid"], std::process::id().to_string());

    t.sandbox.shutdown().await;
    let gone = client.docker.inspect_container(&first, None).await;
    assert!(gone.is_err(), "shutdown removes the container");
    assert_eq!(t.sandbox.current_container().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_outside_the_workspace_fail_and_leave_host_files_alone() {
    let Some(client) = engine("writes_outside").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let elsewhere = tempfile::tempdir().unwrap();
    let host_file = elsewhere.path().join("precious.txt");
    std::fs::write(&host_file, "original").unwrap();
    let t = TestSandbox::new(&config(&image), ws.path());

    let attempts = [
        format!("echo pwned > {}", host_file.display()),
        "echo pwned > /etc/passwd".to_string(),
        "echo pwned > /bin/sh".to_string(),
        "touch /new-file".to_string(),
        "echo pwned > /workspace/../escape".to_string(),
        "mount -t tmpfs none /mnt".to_string(),
    ];
    for cmd in &attempts {
        let out = run(&t.sandbox, cmd).await;
        assert_ne!(out.exit_code, Some(0), "{cmd} succeeded: {}", out.output);
    }
    assert_eq!(std::fs::read_to_string(&host_file).unwrap(), "original");
    let parent = ws.path().parent().unwrap();
    assert!(!parent.join("escape").exists());
    // /tmp is the container's own tmpfs: the host's temp dir is not there, and recreating its
    // path writes into the tmpfs, not the host file.
    let out = run(&t.sandbox, &format!("ls {}", elsewhere.path().display())).await;
    assert_ne!(
        out.exit_code,
        Some(0),
        "host temp dir visible: {}",
        out.output
    );
    let cmd = format!(
        "mkdir -p {} && echo pwned > {}",
        elsewhere.path().display(),
        host_file.display()
    );
    assert_eq!(run(&t.sandbox, &cmd).await.exit_code, Some(0));
    assert_eq!(std::fs::read_to_string(&host_file).unwrap(), "original");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_inside_the_workspace_are_visible_on_the_host() {
    let Some(client) = engine("writes_inside").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    std::fs::write(ws.path().join("from-host.txt"), "hello from host\n").unwrap();
    let t = TestSandbox::new(&config(&image), ws.path());

    let out = run(
        &t.sandbox,
        "cat from-host.txt && mkdir -p sub/dir && echo 'written inside' > sub/dir/out.txt",
    )
    .await;
    assert_eq!(out.exit_code, Some(0), "{}", out.output);
    assert_eq!(out.output, "hello from host\n");
    let written = ws.path().join("sub/dir/out.txt");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        "written inside\n"
    );
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata(&written).unwrap().uid();
    assert_ne!(uid, 0, "files written in the sandbox are not root's");
    assert_eq!(uid, std::fs::metadata(ws.path()).unwrap().uid());
}

/// The docker bridge gateway: an address of this machine that containers with a network reach.
async fn bridge_gateway(client: &harness::sandbox::docker::DockerClient) -> Option<String> {
    let net = client
        .docker
        .inspect_network::<String>("bridge", None)
        .await
        .ok()?;
    net.ipam?.config?.into_iter().find_map(|c| c.gateway)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_is_off_for_every_client_and_dns() {
    let Some(client) = engine("network_off").await else {
        return;
    };
    let image = test_image(&client).await;
    let gateway = bridge_gateway(&client)
        .await
        .unwrap_or_else(|| "172.17.0.1".into());
    // A listener on this machine's bridge address: reachable from a container only with a network.
    let listener = tokio::net::TcpListener::bind((gateway.as_str(), 0))
        .await
        .ok();
    let port = listener
        .as_ref()
        .map(|l| l.local_addr().unwrap().port())
        .unwrap_or(9);
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());

    // Keep this check first: if networking were ever on, it fails here, before the DNS attempts
    // below could send anything off this machine.
    let out = run(&t.sandbox, "cat /proc/net/dev").await;
    let interfaces: Vec<&str> = out
        .output
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next().map(str::trim))
        .collect();
    assert_eq!(interfaces, vec!["lo"], "{}", out.output);

    let attempts = [
        format!("curl -sS -m 3 http://{gateway}:{port}/"),
        format!("wget -q -T 3 -O- http://{gateway}:{port}/"),
        format!("echo hi | nc -w 3 {gateway} {port}"),
        format!("bash -c 'echo hi > /dev/tcp/{gateway}/{port}'"),
        "nslookup harness-test.invalid".to_string(),
        "wget -q -T 3 -O- http://harness-test.invalid/".to_string(),
    ];
    for cmd in &attempts {
        let out = run(&t.sandbox, cmd).await;
        assert_ne!(
            out.exit_code,
            Some(0),
            "{cmd} reached the network: {}",
            out.output
        );
    }
    if let Some(listener) = listener {
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "a connection got through to the host");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_unprivileged_with_no_host_environment() {
    let Some(client) = engine("unprivileged").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());

    let out = run(&t.sandbox, "id -u; id -g").await;
    let ids: Vec<u32> = out.output.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{}", out.output);
    assert_ne!(ids[0], 0, "runs as root");
    assert_ne!(ids[1], 0, "runs in group root");

    let out = run(
        &t.sandbox,
        "grep -E '^(NoNewPrivs|CapEff|CapPrm|CapBnd):' /proc/self/status",
    )
    .await;
    let status: Vec<(String, String)> = out
        .output
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.to_string(), v.trim().to_string())
        })
        .collect();
    let get = |k: &str| {
        status
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("NoNewPrivs"), Some("1"), "{}", out.output);
    assert_eq!(get("CapEff"), Some("0000000000000000"), "{}", out.output);
    assert_eq!(get("CapPrm"), Some("0000000000000000"), "{}", out.output);
    assert_eq!(get("CapBnd"), Some("0000000000000000"), "{}", out.output);

    // Nothing from the host environment (cargo sets CARGO_* for this test process).
    assert!(std::env::vars().any(|(k, _)| k.starts_with("CARGO")));
    let out = run(&t.sandbox, "env").await;
    let names: Vec<&str> = out
        .output
        .lines()
        .filter_map(|l| l.split('=').next())
        .collect();
    for name in &names {
        assert!(
            [
                "PATH",
                "HOME",
                "LANG",
                "TERM",
                "HOSTNAME",
                "PWD",
                "SHLVL",
                "_",
                "HARNESS_EXEC"
            ]
            .contains(name),
            "unexpected variable {name} in {names:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_bomb_is_contained_by_the_pids_limit() {
    let Some(client) = engine("fork_bomb").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let cfg = harness::config::SandboxConfig {
        pids: 64,
        ..config(&image)
    };
    let t = TestSandbox::new(&cfg, ws.path());
    let started = Instant::now();
    let out = t
        .sandbox
        .exec(request(
            "bomb() { bomb | bomb & }; bomb; sleep 3; echo bomb-done",
            20,
        ))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the bomb ran to the timeout"
    );
    assert!(
        out.output.contains("fork") && out.output.contains("Resource temporarily unavailable"),
        "the pids limit never bit: {}",
        &out.output[..out.output.len().min(500)]
    );
    let id = t.sandbox.current_container().await.unwrap();
    let max = run(
        &t.sandbox,
        "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
    )
    .await;
    assert_eq!(max.output.trim(), "64");
    let after = run(&t.sandbox, "echo still-works").await;
    assert_eq!(after.output, "still-works\n");
    assert_eq!(stray_processes(&client, &id).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_hog_is_killed_and_reported_out_of_memory() {
    let Some(client) = engine("memory_hog").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let cfg = harness::config::SandboxConfig {
        memory_mb: 64,
        ..config(&image)
    };
    let t = TestSandbox::new(&cfg, ws.path());
    let out = t
        .sandbox
        .exec(request(
            "echo start; x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo ${#x}",
            60,
        ))
        .await
        .unwrap();
    assert!(out.out_of_memory, "not reported as out of memory: {out:?}");
    assert!(!out.timed_out);
    assert!(
        !out.output.contains("400000000"),
        "the hog finished: {out:?}"
    );

    let fine = run(&t.sandbox, "echo fine").await;
    assert_eq!(fine.output, "fine\n");
    assert!(
        !fine.out_of_memory,
        "a later call is not blamed for an old OOM"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_returns_on_time_and_leaves_no_process() {
    let Some(client) = engine("timeout").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    let id = t.sandbox.container_id().await.unwrap();

    let started = Instant::now();
    let out = t.sandbox.exec(request("sleep 600", 2)).await.unwrap();
    let took = started.elapsed();
    assert!(out.timed_out, "{out:?}");
    assert_eq!(out.exit_code, None);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "took {took:?}"
    );
    assert_eq!(stray_processes(&client, &id).await, Vec::<String>::new());

    // Background jobs, a new session and a double fork do not escape either.
    let escape = "sleep 601 & setsid sh -c 'sleep 602' & (sleep 603 &) ; nohup sleep 604 >/dev/null 2>&1 & echo started; sleep 600";
    let (live_tx, mut live_rx) = tokio::sync::mpsc::channel(16);
    let started = Instant::now();
    let out = t
        .sandbox
        .exec(ExecRequest {
            command: escape.to_string(),
            timeout: Duration::from_millis(1500),
            live_output: Some(live_tx),
        })
        .await
        .unwrap();
    assert!(out.timed_out);
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(out.output, "started\n");
    assert_eq!(live_rx.recv().await.as_deref(), Some("started\n"));
    assert_eq!(stray_processes(&client, &id).await, Vec::<String>::new());

    // A command that finishes leaves no background job behind either.
    let out = run(&t.sandbox, "sleep 605 & echo left").await;
    assert_eq!((out.exit_code, out.output.as_str()), (Some(0), "left\n"));
    assert_eq!(stray_processes(&client, &id).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_exec_future_kills_the_command() {
    let Some(client) = engine("drop").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    let id = t.sandbox.container_id().await.unwrap();

    // Poll the call until the command is seen running, then drop it (as a cancelled turn does).
    let mut exec = t.sandbox.exec(request("sleep 607", 120));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        tokio::select! {
            r = &mut exec => panic!("the command finished by itself: {r:?}"),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        if processes(&client, &id)
            .await
            .iter()
            .any(|p| p.contains("sleep 607"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "the command never started");
    }
    drop(exec);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stray = stray_processes(&client, &id).await;
        if stray.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running after cancel: {stray:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_is_capped_in_constant_memory_and_streamed_live() {
    let Some(client) = engine("output_cap").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    let sandbox = DockerSandbox::new(&config(&image), ws.path().to_path_buf(), t.conversation)
        .with_output_cap(1000);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let out = sandbox
        .exec(ExecRequest {
            command:
                "echo first-line; head -c 200000000 /dev/zero | tr '\\0' x; echo; echo last-line"
                    .into(),
            timeout: Duration::from_secs(60),
            live_output: Some(tx),
        })
        .await
        .unwrap();
    sandbox.shutdown().await;
    assert_eq!(out.exit_code, Some(0));
    assert_eq!(
        out.total_bytes,
        200_000_000 + "first-line\n\nlast-line\n".len() as u64
    );
    assert!(out.output.len() < 1100, "{}", out.output.len());
    assert!(out.output.starts_with("first-line\nxxx"), "{}", out.output);
    assert!(out.output.ends_with("xxx\nlast-line\n"), "{}", out.output);
    assert!(out.output.contains("bytes omitted"));
    let mut chunks = 0;
    while rx.try_recv().is_ok() {
        chunks += 1;
    }
    assert!(chunks >= 1, "no live output arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_commands_and_extreme_timeouts_work() {
    let Some(client) = engine("long_commands").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());

    // Over the 128 KiB single-argument limit of execve: a model writing a big file by heredoc.
    let body = "0123456789abcdef\n".repeat(20_000);
    let command = format!("cat > big.txt <<'HARNESS_EOF'\n{body}HARNESS_EOF\nwc -c < big.txt");
    assert!(command.len() > 300_000);
    let out = run(&t.sandbox, &command).await;
    assert_eq!(out.exit_code, Some(0), "{}", out.output);
    assert_eq!(out.output.trim(), body.len().to_string());
    assert_eq!(
        std::fs::read_to_string(ws.path().join("big.txt")).unwrap(),
        body
    );
    let out = run(&t.sandbox, "ls -A /tmp").await;
    assert_eq!(out.output, "", "the long command's file is cleaned up");

    let out = t
        .sandbox
        .exec(ExecRequest {
            command: "echo forever-is-fine".into(),
            timeout: Duration::MAX,
            live_output: None,
        })
        .await
        .unwrap();
    assert_eq!(out.output, "forever-is-fine\n");

    let err = t.sandbox.exec(request("echo a\0b", 5)).await.unwrap_err();
    assert!(err.to_string().contains("NUL byte"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_output_arrives_while_the_command_runs() {
    let Some(client) = engine("live_output").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    t.sandbox.container_id().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let started = Instant::now();
    let exec = t.sandbox.exec(ExecRequest {
        command: "echo one; echo err-one >&2; sleep 2; echo two".into(),
        timeout: Duration::from_secs(30),
        live_output: Some(tx),
    });
    let watch = async {
        let mut seen = String::new();
        while !seen.contains("err-one") {
            seen.push_str(&rx.recv().await.unwrap());
        }
        (seen, started.elapsed())
    };
    let (out, (early, early_at)) = tokio::join!(exec, watch);
    let out = out.unwrap();
    let finished = started.elapsed();
    assert_eq!(early, "one\nerr-one\n");
    assert!(
        early_at + Duration::from_millis(1500) < finished,
        "first output at {early_at:?}, call ended at {finished:?}"
    );
    assert_eq!(out.output, "one\nerr-one\ntwo\n");
    assert_eq!(rx.recv().await.as_deref(), Some("two\n"));
}
