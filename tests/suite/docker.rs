//! The docker sandbox against the real engine on this machine (issue 7, "Done when"). Every test
//! builds on the small test image from `support::docker_image` and removes its containers. A test
//! is skipped, with the reason printed, only when no Docker daemon answers.

use crate::support::docker_image::{
    TestSandbox, config, engine, processes, remove_labelled, stray_processes, test_image, workspace,
};
use harness::sandbox::docker::{DockerEndpoint, DockerSandbox, OwnerState, doctor_check};
use harness::sandbox::{ExecOutput, ExecRequest, Sandbox, SandboxError};
use std::time::{Duration, Instant};

fn request(command: &str, timeout_secs: u64) -> ExecRequest {
    ExecRequest {
        command: command.to_string(),
        timeout: Duration::from_secs(timeout_secs),
        live_output: None,
    }
}

async fn run(sandbox: &DockerSandbox, command: &str) -> ExecOutput {
    sandbox.exec(request(command, 30)).await.unwrap()
}

macro_rules! engine_or_skip {
    ($name:expr) => {
        match engine($name).await {
            Some(c) => c,
            None => return,
        }
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_merged_output_and_reuse_of_one_container() {
    let client = engine_or_skip!("exit_codes");
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
    let client = engine_or_skip!("writes_outside");
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
    let client = engine_or_skip!("writes_inside");
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
    let client = engine_or_skip!("network_off");
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
async fn network_true_does_reach_the_host_so_the_off_test_can_fail() {
    let client = engine_or_skip!("network_on");
    let image = test_image(&client).await;
    let Some(gateway) = bridge_gateway(&client).await else {
        eprintln!("SKIPPED network_on: the engine has no bridge network");
        return;
    };
    let listener = tokio::net::TcpListener::bind((gateway.as_str(), 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let ws = workspace();
    let cfg = harness::config::SandboxConfig {
        network: true,
        ..config(&image)
    };
    let t = TestSandbox::new(&cfg, ws.path());
    let command = format!("echo hi | nc -w 3 {gateway} {port}");
    let (out, accepted) = tokio::join!(
        run(&t.sandbox, &command),
        tokio::time::timeout(Duration::from_secs(10), listener.accept())
    );
    assert!(
        accepted.is_ok(),
        "with network = true the host listener is reachable: {out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_unprivileged_with_no_host_environment() {
    let client = engine_or_skip!("unprivileged");
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
    let client = engine_or_skip!("fork_bomb");
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
    let client = engine_or_skip!("memory_hog");
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
    let client = engine_or_skip!("timeout");
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
    let client = engine_or_skip!("drop");
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
    let client = engine_or_skip!("output_cap");
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
async fn warm_start_and_concurrent_first_calls_share_one_container() {
    let client = engine_or_skip!("warm");
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    t.sandbox.warm();
    let (a, b) = tokio::join!(run(&t.sandbox, "hostname"), run(&t.sandbox, "hostname"));
    assert_eq!(a.output, b.output);
    let filter = std::collections::HashMap::from([(
        "label".to_string(),
        vec![format!("harness.conversation={}", t.conversation)],
    )]);
    let listed = client
        .docker
        .list_containers(Some(bollard::container::ListContainersOptions {
            all: true,
            filters: filter,
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(
        listed.len(),
        1,
        "warm start and two calls made {} containers",
        listed.len()
    );

    // Without a call, warm() alone brings the container up in the background.
    let ws2 = workspace();
    let t2 = TestSandbox::new(&config(&image), ws2.path());
    t2.sandbox.warm();
    let deadline = Instant::now() + Duration::from_secs(20);
    while t2.sandbox.current_container().await.is_none() {
        assert!(
            Instant::now() < deadline,
            "warm start never created the container"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_container_is_replaced_on_the_next_call() {
    let client = engine_or_skip!("replaced");
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    let first = t.sandbox.container_id().await.unwrap();
    remove_labelled(&format!("harness.conversation={}", t.conversation));
    let out = run(&t.sandbox, "echo back").await;
    assert_eq!(out.output, "back\n");
    assert_ne!(t.sandbox.current_container().await.unwrap(), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_dockerfile_is_built_once_and_used() {
    let client = engine_or_skip!("project_image");
    let ws = workspace();
    let dir = ws.path().join(".harness");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(crate::support::docker_image::BUSYBOX, dir.join("busybox")).unwrap();
    let marker = format!("project-{}", uuid::Uuid::now_v7());
    std::fs::write(dir.join("marker"), &marker).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker /etc/marker\n\
         RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
    )
    .unwrap();
    let expected = harness::sandbox::docker::image::project_image(ws.path())
        .unwrap()
        .unwrap();
    let cfg = config("configured-image-is-not-used:latest");

    let t = TestSandbox::new(&cfg, ws.path());
    let out = run(
        &t.sandbox,
        "cat /etc/marker; test -e /bin/bash || echo ' no-bash'",
    )
    .await;
    assert_eq!(
        out.output,
        format!("{marker} no-bash\n"),
        "runs in the project image with sh"
    );
    let built = client.docker.inspect_image(&expected.tag).await.unwrap();

    // A second conversation reuses the cached image (no rebuild: same image id).
    let t2 = TestSandbox::new(&cfg, ws.path());
    run(&t2.sandbox, "true").await;
    let again = client.docker.inspect_image(&expected.tag).await.unwrap();
    assert_eq!(built.id, again.id);
    let id = t2.sandbox.current_container().await.unwrap();
    let inspect = client.docker.inspect_container(&id, None).await.unwrap();
    assert_eq!(
        inspect.config.unwrap().image.as_deref(),
        Some(expected.tag.as_str())
    );
    drop((t, t2));
    let _ = client.docker.remove_image(&expected.tag, None, None).await;

    // A broken Dockerfile is a tool error that says what to fix.
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nRUN [\"/bin/false\"]\n",
    )
    .unwrap();
    let t3 = TestSandbox::new(&cfg, ws.path());
    let err = t3.sandbox.exec(request("true", 10)).await.unwrap_err();
    assert!(matches!(err, SandboxError::Image(_)), "{err}");
    assert!(err.to_string().contains("fix .harness/Dockerfile"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_image_says_how_to_fix_it() {
    let _client = engine_or_skip!("missing_image");
    let ws = workspace();
    let t = TestSandbox::new(&config("harness-test-missing:nope"), ws.path());
    let err = t.sandbox.exec(request("true", 10)).await.unwrap_err();
    assert!(matches!(err, SandboxError::Image(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("`harness-test-missing:nope` is not on this machine"),
        "{text}"
    );
    assert!(
        text.contains("docker build -t harness-test-missing:nope"),
        "{text}"
    );
    assert!(text.contains("[sandbox] image"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_daemon_is_a_clear_error_and_nothing_runs_on_the_host() {
    let host_dir = tempfile::tempdir().unwrap();
    let marker = host_dir.path().join("ran-on-host");
    let command = format!("touch {}", marker.display());
    let stale = host_dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cases = [
        (
            "unix:///nonexistent/docker.sock".to_string(),
            "no Docker socket at /nonexistent/docker.sock",
        ),
        (
            format!("unix://{}", stale.display()),
            "nothing is listening",
        ),
        (
            format!("tcp://127.0.0.1:{closed_port}"),
            "nothing is listening",
        ),
        ("ftp://example".to_string(), "is not a Docker address"),
    ];
    for (address, expected) in cases {
        let ws = workspace();
        let sandbox = DockerSandbox::new(
            &config("harness-sandbox:latest"),
            ws.path().to_path_buf(),
            harness::message::ConversationId::new(),
        )
        .with_endpoint(DockerEndpoint::Address(address.clone()));
        let err = sandbox.exec(request(&command, 10)).await.unwrap_err();
        assert!(
            matches!(err, SandboxError::DockerUnavailable(_)),
            "{address}: {err}"
        );
        let text = err.to_string();
        assert!(text.starts_with("docker is not available: "), "{text}");
        assert!(text.contains(expected), "{address}: {text}");
        assert!(!text.contains('\n'), "one line: {text}");
        assert!(!marker.exists(), "{address}: the command ran on the host");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_engine_and_image() {
    let client = engine_or_skip!("doctor");
    let image = test_image(&client).await;
    let ok = doctor_check(&config(&image)).await.unwrap();
    assert!(ok.starts_with("docker "), "{ok}");
    assert!(ok.contains(&format!("image {image} present")), "{ok}");
    let err = doctor_check(&config("harness-test-missing:nope"))
        .await
        .unwrap_err();
    assert!(
        err.contains("works, but image `harness-test-missing:nope`"),
        "{err}"
    );
    assert!(err.contains("docker build -t"), "{err}");
}

/// Run by `orphans_of_a_killed_harness_are_removed_and_nothing_else`: a harness-like process that
/// starts a sandbox, says which container it got, and waits to be killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "helper process for the orphan test"]
async fn orphan_owner_process() {
    let (Ok(image), Ok(ws)) = (
        std::env::var("HARNESS_TEST_ORPHAN_IMAGE"),
        std::env::var("HARNESS_TEST_ORPHAN_WORKSPACE"),
    ) else {
        return;
    };
    let sandbox = DockerSandbox::new(
        &config(&image),
        ws.into(),
        harness::message::ConversationId::new(),
    );
    let out = run(&sandbox, "echo ready").await;
    assert_eq!(out.output, "ready\n");
    println!("CONTAINER {}", sandbox.current_container().await.unwrap());
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_of_a_killed_harness_are_removed_and_nothing_else() {
    use std::io::BufRead;
    let client = engine_or_skip!("orphans");
    let image = test_image(&client).await;
    let ws = workspace();

    // 1. A separate process owns a sandbox; kill -9 it.
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "suite::docker::orphan_owner_process",
            "--ignored",
            "--nocapture",
        ])
        .env("HARNESS_TEST_ORPHAN_IMAGE", &image)
        .env("HARNESS_TEST_ORPHAN_WORKSPACE", ws.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let orphan = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("CONTAINER ").map(str::to_string))
        .expect("the owner process never reported its container");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
    assert!(
        client.docker.inspect_container(&orphan, None).await.is_ok(),
        "still there after kill -9"
    );

    // 2. Containers that must survive: one of a live harness (this process), one not ours at all.
    let live = TestSandbox::new(&config(&image), ws.path());
    let live_id = live.sandbox.container_id().await.unwrap();
    let unrelated_label = format!("harness-test-unrelated={}", uuid::Uuid::now_v7());
    let (key, value) = unrelated_label.split_once('=').unwrap();
    let unrelated = client
        .docker
        .create_container(
            None::<bollard::container::CreateContainerOptions<String>>,
            bollard::container::Config {
                image: Some(image.clone()),
                cmd: Some(vec!["sleep".to_string(), "300".to_string()]),
                labels: Some(std::collections::HashMap::from([(
                    key.to_string(),
                    value.to_string(),
                )])),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    client
        .docker
        .start_container::<String>(&unrelated, None)
        .await
        .unwrap();

    // 3. `harness sandbox list` sees the orphan as gone and the live one as alive.
    let listed = harness::sandbox::docker::orphans::list_containers(&client)
        .await
        .unwrap();
    let state = |id: &str| listed.iter().find(|c| c.id == id).map(|c| c.owner);
    assert_eq!(state(&orphan), Some(OwnerState::Gone));
    assert_eq!(state(&live_id), Some(OwnerState::Alive));
    assert_eq!(state(&unrelated), None, "a foreign container is listed");

    // 4. Start-up clean-up of a new harness.
    let removed = harness::sandbox::docker::remove_orphans().await.unwrap();
    let removed_ids: Vec<&str> = removed.iter().map(|c| c.id.as_str()).collect();
    let unrelated_alive = client.docker.inspect_container(&unrelated, None).await;
    remove_labelled(&unrelated_label);
    assert!(removed_ids.contains(&orphan.as_str()), "{removed_ids:?}");
    assert!(!removed_ids.contains(&live_id.as_str()));
    assert!(!removed_ids.contains(&unrelated.as_str()));
    assert!(
        client
            .docker
            .inspect_container(&orphan, None)
            .await
            .is_err()
    );
    assert!(
        client
            .docker
            .inspect_container(&live_id, None)
            .await
            .is_ok()
    );
    let running = unrelated_alive
        .ok()
        .and_then(|c| c.state)
        .and_then(|s| s.running);
    assert_eq!(running, Some(true), "the unrelated container was touched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_cli_lists_and_prunes_only_orphans() {
    let client = engine_or_skip!("sandbox_cli");
    let image = test_image(&client).await;
    let ws = workspace();
    let live = TestSandbox::new(&config(&image), ws.path());
    let id = live.sandbox.container_id().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let harness = |args: &[&str]| {
        let mut cmd = assert_cmd::Command::cargo_bin("harness").unwrap();
        cmd.env("HARNESS_HOME", home.path()).args(args);
        cmd
    };

    let out = harness(&["sandbox", "list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .expect("our container is listed");
    assert_eq!(ours["owner"], "alive");
    assert_eq!(ours["state"], "running");
    assert_eq!(ours["conversation"], live.conversation.to_string());
    assert_eq!(ours["owner_pid"], std::process::id());

    let out = harness(&["sandbox", "list"]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(table.starts_with("CONTAINER"), "{table}");
    assert!(
        table.contains(&id[..12]) && table.contains("(alive)"),
        "{table}"
    );

    let out = harness(&["sandbox", "prune"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        client.docker.inspect_container(&id, None).await.is_ok(),
        "prune removed a live one"
    );

    let out = harness(&["sandbox", "list"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.starts_with("harness: docker is not available: no Docker socket at /nonexistent"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_commands_and_extreme_timeouts_work() {
    let client = engine_or_skip!("long_commands");
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
    let client = engine_or_skip!("live_output");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_without_sleep_or_sh_is_a_clear_error() {
    let client = engine_or_skip!("no_shell_image");
    let ws = workspace();
    let dir = ws.path().join(".harness");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(crate::support::docker_image::BUSYBOX, dir.join("busybox")).unwrap();
    // No applet links: neither /bin/sh nor sleep exists.
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\n",
    )
    .unwrap();
    let tag = harness::sandbox::docker::image::project_image(ws.path())
        .unwrap()
        .unwrap()
        .tag;
    let t = TestSandbox::new(&config("unused:latest"), ws.path());
    let err = t.sandbox.exec(request("echo hi", 10)).await.unwrap_err();
    let text = err.to_string();
    let _ = client.docker.remove_image(&tag, None, None).await;
    assert!(matches!(err, SandboxError::Failed(_)), "{text}");
    assert!(text.contains("would not stay up (exit 127:"), "{text}");
    assert!(
        text.contains("exec sleep failed"),
        "names the cause: {text}"
    );
    assert!(text.contains("`sleep` and `/bin/sh`"), "{text}");
    assert_eq!(t.sandbox.current_container().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cancelled_while_the_container_starts_leaves_nothing_unrecorded() {
    let client = engine_or_skip!("cancel_during_create");
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    let cancelled = tokio::time::timeout(
        Duration::from_millis(30),
        t.sandbox.exec(request("true", 10)),
    )
    .await;
    assert!(cancelled.is_err(), "creation is slower than 30 ms");
    // The creation finishes in the background and is recorded, so shutdown removes it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.sandbox.current_container().await.is_none() {
        assert!(
            Instant::now() < deadline,
            "the container was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t.sandbox.shutdown().await;
    let filters = std::collections::HashMap::from([(
        "label".to_string(),
        vec![format!("harness.conversation={}", t.conversation)],
    )]);
    let left = client
        .docker
        .list_containers(Some(bollard::container::ListContainersOptions {
            all: true,
            filters,
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(left.len(), 0, "a container outlived shutdown: {left:?}");
}
