//! Lifecycle of the docker sandbox against the real engine (issue 7, "Done when"): warm start,
//! reuse and replacement of the container, images (configured, `.harness/Dockerfile`, missing,
//! broken), an unreachable daemon, orphans after kill -9, `harness sandbox list|prune` and the
//! doctor check. Skipped, with the reason printed, only when no daemon answers.

use crate::support::docker_image::{
    TestSandbox, config, engine, remove_labelled, request, run, test_image, workspace,
};
use harness::sandbox::docker::{DockerEndpoint, DockerSandbox, OwnerState, doctor_check};
use harness::sandbox::{Sandbox, SandboxError};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_start_and_concurrent_first_calls_share_one_container() {
    let Some(client) = engine("warm").await else {
        return;
    };
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
    let Some(client) = engine("replaced").await else {
        return;
    };
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
    let Some(client) = engine("project_image").await else {
        return;
    };
    let ws = workspace();
    let dir = ws.path().join(".harness");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(crate::support::docker_image::BUSYBOX, dir.join("busybox")).unwrap();
    let marker = format!("project-{}", uuid::Uuid::now_v7());
    std::fs::write(dir.join("marker"), &marker).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        // The unique marker goes first: a layer cached from another test's build (the same
        // busybox copied onto scratch) could be removed with that test's image mid-build.
        "FROM scratch\nCOPY marker /etc/marker\nCOPY busybox /bin/busybox\n\
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
    let Some(_client) = engine("missing_image").await else {
        return;
    };
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
    let Some(client) = engine("doctor").await else {
        return;
    };
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
    let Some(client) = engine("orphans").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();

    // 1. A separate process owns a sandbox; kill -9 it.
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "suite::docker_lifecycle::orphan_owner_process",
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
    let Some(client) = engine("sandbox_cli").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let live = TestSandbox::new(&config(&image), ws.path());
    let id = live.sandbox.container_id().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let harness = |args: &[&str]| {
        let mut cmd = assert_cmd::Command::cargo_bin("harness").unwrap();
        cmd.env("HARNESS_HOME", home.path())
            .env(harness::config::env_providers::PROBE_VAR, "0")
            .args(args);
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
async fn an_image_without_sleep_or_sh_is_a_clear_error() {
    let Some(client) = engine("no_shell_image").await else {
        return;
    };
    let ws = workspace();
    let dir = ws.path().join(".harness");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(crate::support::docker_image::BUSYBOX, dir.join("busybox")).unwrap();
    // No applet links: neither /bin/sh nor sleep exists. A unique first layer, so removing
    // this image at the end cannot take away a layer another test's build has just reused.
    std::fs::write(
        dir.join("marker"),
        format!("no-shell-{}", uuid::Uuid::now_v7()),
    )
    .unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY marker /etc/marker\nCOPY busybox /bin/busybox\n",
    )
    .unwrap();
    let tag = harness::sandbox::docker::image::project_image(ws.path())
        .unwrap()
        .unwrap()
        .tag;
    // Through the agent (which needs no `sleep`): the missing shell is named.
    let t = TestSandbox::new(&config("unused:latest"), ws.path());
    let err = t.sandbox.exec(request("echo hi", 10)).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SandboxError::Failed(_)), "{text}");
    assert!(text.contains("has no /bin/sh"), "{text}");
    assert!(text.contains("use an image with a shell"), "{text}");
    t.sandbox.shutdown().await;
    // Through `docker exec` (the fallback), the keeper's failure is named.
    let plain = harness::sandbox::docker::DockerSandbox::new(
        &config("unused:latest"),
        ws.path().to_path_buf(),
        t.conversation,
    );
    let err = plain.exec(request("echo hi", 10)).await.unwrap_err();
    let text = err.to_string();
    let _ = client.docker.remove_image(&tag, None, None).await;
    assert!(matches!(err, SandboxError::Failed(_)), "{text}");
    assert!(text.contains("would not stay up (exit 127:"), "{text}");
    assert!(
        text.contains("exec sleep failed"),
        "names the cause: {text}"
    );
    assert!(text.contains("`sleep` and `/bin/sh`"), "{text}");
    assert_eq!(plain.current_container().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cancelled_while_the_container_starts_leaves_nothing_unrecorded() {
    let Some(client) = engine("cancel_during_create").await else {
        return;
    };
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
