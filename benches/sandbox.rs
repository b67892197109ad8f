//! Docker sandbox latency against the real engine, each figure next to the docker CLI doing the
//! same thing in the same run (issue 7, Performance):
//! - cold start: new container to the first exec result (`DockerSandbox` vs `docker run --rm`);
//! - warm exec round trip of `true`, p50/p99: through the agent (the persistent exec channel,
//!   issue 19), through the harness's own `docker exec` path, `docker exec`, the bare exec API;
//! - warm-started first tool call: `warm()` at start-up, then the first call (vs `docker exec`
//!   as the first command in a freshly started container);
//! - pooled first tool call (`[sandbox] pool`): a new conversation's first call, taking a
//!   container the pool started beforehand.
//!
//! Run with `scripts/bench-sandbox.sh` (or `cargo bench --bench sandbox`). Env: BENCH_ITERS
//! (warm exec samples, default 200), BENCH_COLD (cold/first-call samples, default 10).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../tests/support/docker_image.rs"]
mod docker_image;
#[path = "../tests/support/prereq.rs"]
#[allow(dead_code)]
mod prereq;

use harness::config::SandboxConfig;
use harness::message::ConversationId;
use harness::sandbox::docker::DockerSandbox;
use harness::sandbox::{ExecRequest, Sandbox};
use std::process::Command;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn request(command: &str) -> ExecRequest {
    ExecRequest {
        command: command.to_string(),
        timeout: Duration::from_secs(30),
        live_output: None,
    }
}

struct Stats {
    samples: Vec<Duration>,
}

impl Stats {
    fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Self { samples }
    }

    fn pct(&self, p: f64) -> f64 {
        let idx = ((self.samples.len() as f64 - 1.0) * p).round() as usize;
        self.samples[idx].as_secs_f64() * 1000.0
    }

    fn line(&self, label: &str) -> String {
        format!(
            "{label:<46} n={:<4} p50 {:>7.1} ms   p99 {:>7.1} ms   min {:>7.1} ms",
            self.samples.len(),
            self.pct(0.5),
            self.pct(0.99),
            self.pct(0.0)
        )
    }
}

/// The hardening flags the sandbox uses, for a fair CLI comparison.
fn cli_flags(cfg: &SandboxConfig, workspace: &str) -> Vec<String> {
    let mem = format!("{}m", cfg.memory_mb);
    vec![
        "--network=none".into(),
        "--read-only".into(),
        "--tmpfs=/tmp".into(),
        "--cap-drop=ALL".into(),
        "--security-opt=no-new-privileges".into(),
        format!("--user={}", docker_image::TEST_UID),
        format!("--pids-limit={}", cfg.pids),
        format!("--memory={mem}"),
        format!("--memory-swap={mem}"),
        format!("--cpus={}", cfg.cpus),
        "--init".into(),
        format!("--volume={workspace}:/workspace"),
        "--workdir=/workspace".into(),
    ]
}

fn docker_cli(args: &[String]) -> Duration {
    let start = Instant::now();
    let out = Command::new("docker").args(args).output().unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// The engine's floor: create + start + drain an exec of `true`, no wrapper, no clean-up.
async fn bare_exec(client: &harness::sandbox::docker::DockerClient, id: &str) -> Duration {
    use bollard::exec::{CreateExecOptions, StartExecResults};
    use futures::StreamExt;
    let start = Instant::now();
    let options = CreateExecOptions {
        cmd: Some(vec!["true"]),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let created = client.docker.create_exec(id, options).await.unwrap();
    if let StartExecResults::Attached { mut output, .. } =
        client.docker.start_exec(&created.id, None).await.unwrap()
    {
        while output.next().await.is_some() {}
    }
    start.elapsed()
}

/// A sandbox that runs calls through the agent (`agent`) or through `docker exec`.
fn sandbox(cfg: &SandboxConfig, ws: &std::path::Path, agent: bool) -> DockerSandbox {
    DockerSandbox::new(cfg, ws.to_path_buf(), ConversationId::new())
        .with_agent_binary(agent.then(docker_image::agent_binary))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let Some(client) = docker_image::engine("bench-sandbox").await else {
        return;
    };
    // `cargo test --benches` runs this without `--bench`: a smoke run, not a measurement.
    let measuring = std::env::args().any(|a| a == "--bench");
    let iters = if measuring {
        env_usize("BENCH_ITERS", 200)
    } else {
        3
    };
    let cold = if measuring {
        env_usize("BENCH_COLD", 10)
    } else {
        1
    };
    let image = docker_image::test_image(&client).await;
    let cfg = docker_image::config(&image);
    let ws = docker_image::workspace();
    let ws_path = ws.path().display().to_string();
    let version = client.docker.version().await.unwrap();
    println!(
        "docker engine {} (API {}), image {image}, {} warm samples, {cold} cold samples",
        version.version.unwrap_or_default(),
        version.api_version.unwrap_or_default(),
        iters
    );

    // Cold start to first exec result.
    let mut ours = Vec::new();
    let mut cli = Vec::new();
    for _ in 0..cold {
        let sandbox = sandbox(&cfg, ws.path(), true);
        let start = Instant::now();
        let out = sandbox.exec(request("true")).await.unwrap();
        ours.push(start.elapsed());
        assert_eq!(out.exit_code, Some(0));
        sandbox.shutdown().await;

        let mut args = vec!["run".to_string(), "--rm".to_string()];
        args.extend(cli_flags(&cfg, &ws_path));
        args.extend([image.clone(), "true".to_string()]);
        cli.push(docker_cli(&args));
    }
    println!(
        "{}",
        Stats::new(ours).line("cold start -> first result (harness)")
    );
    println!(
        "{}",
        Stats::new(cli).line("cold start -> first result (docker run --rm)")
    );

    // Warm exec round trip of `true`.
    let agent = sandbox(&cfg, ws.path(), true);
    let plain = sandbox(&cfg, ws.path(), false);
    let id = plain.container_id().await.unwrap();
    agent.container_id().await.unwrap();
    for _ in 0..5 {
        agent.exec(request("true")).await.unwrap();
        plain.exec(request("true")).await.unwrap();
    }
    assert!(agent.uses_agent().await, "the agent did not start");
    // Interleaved, so load from elsewhere on the machine hits all four alike.
    let exec_args = vec!["exec".to_string(), id.clone(), "true".to_string()];
    let (mut ours, mut ours_exec, mut cli, mut raw) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..iters {
        let start = Instant::now();
        let out = agent.exec(request("true")).await.unwrap();
        ours.push(start.elapsed());
        assert_eq!(out.exit_code, Some(0));
        let start = Instant::now();
        let out = plain.exec(request("true")).await.unwrap();
        ours_exec.push(start.elapsed());
        assert_eq!(out.exit_code, Some(0));
        cli.push(docker_cli(&exec_args));
        raw.push(bare_exec(&client, &id).await);
    }
    agent.shutdown().await;
    plain.shutdown().await;
    let (ours, ours_exec) = (Stats::new(ours), Stats::new(ours_exec));
    println!("{}", ours.line("warm exec `true` (harness, agent)"));
    println!(
        "{}",
        ours_exec.line("warm exec `true` (harness, docker exec path)")
    );
    println!(
        "{:<46} p50 {:.1}x faster than the docker exec path",
        "agent speed-up",
        ours_exec.pct(0.5) / ours.pct(0.5)
    );
    println!("{}", Stats::new(cli).line("warm exec `true` (docker exec)"));
    println!(
        "{}",
        Stats::new(raw).line("warm exec `true` (bare API, no wrapper)")
    );

    // Warm-started first tool call.
    let mut ours = Vec::new();
    let mut ready = Vec::new();
    let mut cli = Vec::new();
    for _ in 0..cold {
        let sandbox = sandbox(&cfg, ws.path(), true);
        let started = Instant::now();
        sandbox.warm();
        while sandbox.current_container().await.is_none() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        ready.push(started.elapsed());
        // The user is still typing their first message.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let start = Instant::now();
        let out = sandbox.exec(request("true")).await.unwrap();
        ours.push(start.elapsed());
        assert_eq!(out.exit_code, Some(0));
        sandbox.shutdown().await;

        let mut args = vec!["run".to_string(), "-d".to_string(), "--rm".to_string()];
        args.extend(cli_flags(&cfg, &ws_path));
        args.extend([image.clone(), "sleep".to_string(), "600".to_string()]);
        let out = Command::new("docker").args(&args).output().unwrap();
        let cid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        tokio::time::sleep(Duration::from_millis(300)).await;
        cli.push(docker_cli(&[
            "exec".to_string(),
            cid.clone(),
            "true".to_string(),
        ]));
        let _ = Command::new("docker").args(["rm", "-f", &cid]).output();
    }
    println!(
        "{}",
        Stats::new(ready).line("warm() -> container ready (background)")
    );
    println!(
        "{}",
        Stats::new(ours).line("warm-started first tool call (harness)")
    );
    println!(
        "{}",
        Stats::new(cli).line("first exec in fresh container (docker exec)")
    );

    // Pooled first tool call: a new conversation takes a container the pool started.
    harness::sandbox::docker::pool::start(
        harness::sandbox::docker::launch::Recipe {
            config: cfg.clone(),
            workspace: ws.path().canonicalize().unwrap(),
            agent_binary: Some(docker_image::agent_binary()),
        },
        2,
    );
    let mut pooled = Vec::new();
    for _ in 0..cold {
        while harness::sandbox::docker::pool::ready_count() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sandbox = sandbox(&cfg, ws.path(), true);
        let start = Instant::now();
        let out = sandbox.exec(request("true")).await.unwrap();
        pooled.push(start.elapsed());
        assert_eq!(out.exit_code, Some(0));
        sandbox.shutdown().await;
    }
    harness::sandbox::docker::pool::shutdown().await;
    println!(
        "{}",
        Stats::new(pooled).line("pooled first tool call (harness, pool = 2)")
    );
}
