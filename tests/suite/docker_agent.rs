//! The persistent exec channel (issue 19): calls go to the agent that runs as the container's
//! main process, concurrently and with the exec path's results; the agent's files are read-only;
//! an agent that cannot start falls back to `docker exec` and says so once. Every other docker
//! suite runs through the agent too (`TestSandbox` enables it), so the isolation, timeout, OOM and
//! cancel tests prove the agent keeps those properties.

use crate::support::docker_image::{
    TestSandbox, agent_binary, config, engine, processes, request, run, test_image, workspace,
};
use harness::sandbox::Sandbox;
use harness::sandbox::docker::DockerSandbox;
use harness::sandbox::docker::agent::AGENT_ARG;
use harness::sandbox::docker::launch::Recipe;
use harness::sandbox::docker::pool;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_go_through_the_agent_concurrently_and_its_files_are_read_only() {
    let Some(client) = engine("agent_calls").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());

    let out = run(&t.sandbox, "echo hi; echo err >&2; exit 4").await;
    assert_eq!(out.output, "hi\nerr\n");
    assert_eq!(out.exit_code, Some(4));
    assert!(t.sandbox.uses_agent().await, "the agent answered");
    let id = t.sandbox.current_container().await.unwrap();
    let procs = processes(&client, &id).await;
    assert!(
        procs.iter().any(|p| p.ends_with(AGENT_ARG)),
        "the agent is the container's main process: {procs:?}"
    );
    assert!(
        !procs.iter().any(|p| p.contains("sleep 2147483647")),
        "no sleep keeper: {procs:?}"
    );

    // The agent's binary and libraries cannot be changed from inside.
    let out = run(
        &t.sandbox,
        "echo x > /.harness-agent/harness; echo x > /.harness-agent/new; ls /.harness-agent",
    )
    .await;
    assert!(
        out.output.contains("Read-only file system"),
        "{}",
        out.output
    );
    assert!(out.output.contains("harness\nlib"), "{}", out.output);

    // Several calls at once: each gets its own output and exit code.
    let calls = (0..6).map(|i| {
        let sandbox = &t.sandbox;
        async move {
            let cmd = format!("sleep 0.{i}; seq 1 {}; exit {i}", 1000 * (i + 1));
            (i, sandbox.exec(request(&cmd, 30)).await.unwrap())
        }
    });
    for (i, out) in futures::future::join_all(calls).await {
        let expected: String = (1..=1000 * (i + 1)).map(|n| format!("{n}\n")).collect();
        assert_eq!(out.exit_code, Some(i));
        assert_eq!(out.total_bytes, expected.len() as u64, "call {i}");
    }
    assert_eq!(t.sandbox.current_container().await.unwrap(), id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_and_docker_exec_agree() {
    let Some(client) = engine("agent_agrees").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    let plain = DockerSandbox::new(&config(&image), ws.path().to_path_buf(), t.conversation)
        .with_agent_binary(None);
    let long = format!("echo {} | wc -c", "x".repeat(100 * 1024));
    let commands = [
        "pwd; id -u; echo $HOME; echo $HARNESS_EXEC | wc -c",
        "printf 'a\\0b' | wc -c; exit 7",
        "kill -9 $$",
        "env | grep -c -i -e key -e token -e secret",
        long.as_str(),
    ];
    for cmd in commands {
        let a = run(&t.sandbox, cmd).await;
        let b = run(&plain, cmd).await;
        assert_eq!(a, b, "{cmd}");
    }
    assert!(t.sandbox.uses_agent().await);
    assert!(!plain.uses_agent().await);
    plain.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_cannot_start_falls_back_to_docker_exec_and_says_so_once() {
    let Some(client) = engine("agent_fallback").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    // A binary that exits at once instead of serving: the agent never says it is ready.
    let broken = DockerSandbox::new(&config(&image), ws.path().to_path_buf(), t.conversation)
        .with_agent_binary(Some("/bin/true".into()));
    let out = run(&broken, "echo works").await;
    assert!(out.output.starts_with("works\n"), "{}", out.output);
    assert!(
        out.output.contains("could not start") && out.output.contains("docker exec"),
        "{}",
        out.output
    );
    assert_eq!(out.exit_code, Some(0));
    assert!(!broken.uses_agent().await);
    let out = run(&broken, "echo again").await;
    assert_eq!(out.output, "again\n", "the notice is said once");
    broken.shutdown().await;
}

/// Containers of this workspace, by their label.
fn containers_of(workspace: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args(["ps", "-aq", "--filter"])
        .arg(format!("label=harness.workspace={}", workspace.display()))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

async fn until_ready(count: usize) {
    for _ in 0..600 {
        if pool::ready_count() == count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the pool never held {count} ready containers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_hands_out_started_containers_refills_and_is_emptied_on_shutdown() {
    let Some(client) = engine("agent_pool").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let canonical = ws.path().canonicalize().unwrap();
    let recipe = Recipe {
        config: config(&image),
        workspace: canonical.clone(),
        agent_binary: Some(agent_binary()),
    };
    // The one pool of this test process (no other test starts one).
    pool::start(recipe, 2);
    until_ready(2).await;
    let pooled = containers_of(&canonical);
    assert_eq!(pooled.len(), 2, "{pooled:?}");

    let t = TestSandbox::new(&config(&image), ws.path());
    let out = run(&t.sandbox, "echo from the pool").await;
    assert_eq!(out.output, "from the pool\n");
    let id = t.sandbox.current_container().await.unwrap();
    assert!(
        pooled.iter().any(|p| id.starts_with(p.as_str())),
        "{id} came from the pool {pooled:?}"
    );
    assert!(t.sandbox.uses_agent().await);
    until_ready(2).await;
    assert_eq!(
        containers_of(&canonical).len(),
        3,
        "refilled to two waiting"
    );

    // A sandbox of another workspace does not take from this pool.
    let other = workspace();
    let o = TestSandbox::new(&config(&image), other.path());
    run(&o.sandbox, "true").await;
    assert_eq!(pool::ready_count(), 2);
    o.sandbox.shutdown().await;

    pool::shutdown().await;
    t.sandbox.shutdown().await;
    assert_eq!(containers_of(&canonical), Vec::<String>::new());
    assert_eq!(pool::ready_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_cannot_reach_the_agents_channel() {
    let Some(client) = engine("agent_channel_private").await else {
        return;
    };
    let image = test_image(&client).await;
    let ws = workspace();
    let t = TestSandbox::new(&config(&image), ws.path());
    // The agent runs as the commands' uid; it is not dumpable, so its fds are root's.
    // The command's parent is the wrapper, whose parent is the agent.
    let cmd = "a=$(awk '{print $4}' /proc/$PPID/stat); tr '\\0' ' ' < /proc/$a/cmdline; echo; \
               ls -l /proc/$a/fd/ 2>&1 | head -3; echo forged > /proc/$a/fd/1 && echo WROTE; \
               echo done";
    let out = run(&t.sandbox, cmd).await;
    assert!(out.output.contains(AGENT_ARG), "{}", out.output);
    assert!(out.output.contains("done"), "{}", out.output);
    assert!(!out.output.contains("WROTE"), "{}", out.output);
    assert!(out.output.contains("Permission denied"), "{}", out.output);
    // The channel still works.
    assert_eq!(run(&t.sandbox, "echo ok").await.output, "ok\n");
}
