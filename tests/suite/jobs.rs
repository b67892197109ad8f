//! Scheduled jobs end to end through the built binary: `harness jobs ...` in a temporary
//! HARNESS_HOME against the fake provider (host sandbox, provider retries off so an HTTP 500
//! fails the turn). Covers the CLI's bookkeeping, `jobs run` exit codes, a worker running an
//! `@every 1s` job and retrying a failed attempt after its backoff, and a worker killed with
//! SIGKILL mid-run whose run is marked failed (and retried) by the next worker.

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::{TempHome, stderr, stdout};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

struct Env {
    home: TempHome,
    server: FakeProvider,
    workspace: PathBuf,
}

impl Env {
    async fn new() -> Self {
        let server = FakeProvider::start(Flavor::OpenAi).await;
        let home = TempHome::new();
        home.write_config(&format!(
            "default_model = \"fake/model-x\"\n{}max_retries = 0\n[sandbox]\nbackend = \"host\"\n",
            server.config_toml("fake")
        ));
        let workspace = home.path().join("ws");
        std::fs::create_dir_all(&workspace).unwrap();
        Self {
            home,
            server,
            workspace,
        }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = self.home.cmd();
        cmd.current_dir(&self.workspace).args(args);
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        cmd
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
    }

    /// `jobs add ...`; returns the printed id.
    async fn add(&self, args: &[&str]) -> String {
        let mut all = vec!["jobs", "add"];
        all.extend_from_slice(args);
        let out = self.run(&all).await;
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_string()
    }

    async fn runs(&self, id: &str) -> Vec<Value> {
        self.json(&["jobs", "runs", id, "--json"])
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    /// Poll `jobs runs` until `done` holds (or fail after `limit`).
    async fn wait_runs(
        &self,
        id: &str,
        limit: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let runs = self.runs(id).await;
            if done(&runs) {
                return runs;
            }
            assert!(start.elapsed() < limit, "timed out; runs: {runs:#?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}

fn time_ms(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

fn terminate(child: &tokio::process::Child) {
    let pid = child.id().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
}

#[tokio::test]
async fn add_list_show_pause_resume_delete() {
    let env = Env::new().await;
    let id = env
        .add(&[
            "--name",
            "morning",
            "--schedule",
            "@daily",
            "--max-retries",
            "2",
            "summarise",
            "notes",
        ])
        .await;
    assert_eq!(id.len(), 36, "a uuid: {id}");

    let list = env.json(&["jobs", "list", "--json"]).await;
    let jobs = list.as_array().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["id"], id.as_str());
    assert_eq!(jobs[0]["name"], "morning");
    assert_eq!(jobs[0]["schedule"], "@daily");
    assert_eq!(jobs[0]["approve"], "deny", "tools are denied by default");
    assert_eq!(jobs[0]["max_retries"], 2);
    assert_eq!(jobs[0]["prompt"], "summarise notes");
    assert_eq!(jobs[0]["paused"], false);
    assert_eq!(jobs[0]["utc"], false, "cron in local time by default");
    assert!(jobs[0]["last_run"].is_null());
    let next = time_ms(&jobs[0]["next_run_at"]);
    let now = chrono::Utc::now().timestamp_millis();
    assert!(
        next > now && next <= now + 86_400_000,
        "next run within a day"
    );

    // A prefix is enough; plain output names the job.
    let out = env.run(&["jobs", "show", &id[..13]]).await;
    assert!(stdout(&out).contains("morning"), "{}", stdout(&out));

    env.run(&["jobs", "pause", &id]).await;
    let shown = env.json(&["jobs", "show", &id, "--json"]).await;
    assert_eq!(shown["paused"], true);
    assert!(shown["next_run_at"].is_null());

    env.run(&["jobs", "resume", &id]).await;
    let shown = env.json(&["jobs", "show", &id, "--json"]).await;
    assert_eq!(shown["paused"], false);
    assert!(shown["next_run_at"].is_string());

    let out = env.run(&["jobs", "delete", &id]).await;
    assert!(out.status.success());
    assert_eq!(
        env.json(&["jobs", "list", "--json"]).await,
        serde_json::json!([])
    );
    let out = env.run(&["jobs", "show", &id]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no job matches"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_bad_schedule_is_refused_with_the_accepted_forms() {
    let env = Env::new().await;
    for spec in ["every day", "@every 0s", "* * * *", "61 * * * *"] {
        let out = env
            .run(&["jobs", "add", "--name", "x", "--schedule", spec, "hi"])
            .await;
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains("@every DURATION") && err.contains("five-field"),
            "{err}"
        );
    }
    assert_eq!(
        env.json(&["jobs", "list", "--json"]).await,
        serde_json::json!([])
    );
}

#[tokio::test]
async fn jobs_run_succeeds_and_fails_with_run_exit_codes() {
    let env = Env::new().await;
    let id = env
        .add(&[
            "--name",
            "n",
            "--schedule",
            "@hourly",
            "-m",
            "fake/model-y",
            "say",
            "hi",
        ])
        .await;

    env.server.push(Reply::text("hello from the job"));
    let out = env.run(&["jobs", "run", &id]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = env.runs(&id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["status"], "succeeded");
    assert_eq!(runs[0]["attempt"], 0);
    assert!(runs[0]["finished_at"].is_string());
    assert!(runs[0]["error"].is_null());
    // The model pin and the prompt reached the provider.
    let sent = env.server.chat_requests();
    assert_eq!(sent[0].body["model"], "model-y");
    assert!(sent[0].body.to_string().contains("say hi"));
    // The run's conversation holds the turn.
    let conversation = runs[0]["conversation_id"].as_str().unwrap();
    let out = env.run(&["history", "show", conversation]).await;
    assert!(
        stdout(&out).contains("hello from the job"),
        "{}",
        stdout(&out)
    );

    env.server.push(Reply::status(500));
    let out = env.run(&["jobs", "run", &id]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let runs = env.runs(&id).await;
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["status"], "failed");
    assert!(runs[1]["error"].as_str().unwrap().len() > 3);
    // Keys of the contract's shape.
    for key in [
        "id",
        "job_id",
        "attempt",
        "status",
        "started_at",
        "finished_at",
        "conversation_id",
        "error",
    ] {
        assert!(runs[1].get(key).is_some(), "{key}");
    }

    let out = env.run(&["jobs", "run", "nope"]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn the_worker_runs_an_every_second_job_and_retries_a_failure_after_the_backoff() {
    let env = Env::new().await;
    let id = env
        .add(&[
            "--name",
            "tick",
            "--schedule",
            "@every 1s",
            "--max-retries",
            "2",
            "--retry-backoff",
            "1",
            "ping",
        ])
        .await;
    env.server.push(Reply::status(500));
    env.server.set_default_reply(Some(Reply::text("pong")));

    let mut worker = env.command(&["jobs", "worker"]).spawn().unwrap();
    let runs = env
        .wait_runs(&id, Duration::from_secs(20), |runs| {
            runs.iter().filter(|r| r["status"] == "succeeded").count() >= 2
        })
        .await;
    terminate(&worker);
    let status = tokio::time::timeout(Duration::from_secs(20), worker.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "worker exit: {status:?}");

    // The first attempt failed, the retry (attempt 1) came after the backoff and succeeded,
    // then the schedule went on with attempt 0.
    assert_eq!(runs[0]["status"], "failed");
    assert_eq!(runs[0]["attempt"], 0);
    assert_eq!(runs[1]["status"], "succeeded");
    assert_eq!(runs[1]["attempt"], 1);
    let gap = time_ms(&runs[1]["started_at"]) - time_ms(&runs[0]["finished_at"]);
    assert!(
        (900..4000).contains(&gap),
        "retry after ~1 s backoff, was {gap} ms"
    );
    assert_eq!(runs[2]["attempt"], 0);
    assert!(runs.iter().all(|r| r["status"] != "running"), "{runs:#?}");
    // Never two runs at once: each started after the previous finished.
    for pair in runs.windows(2) {
        assert!(time_ms(&pair[1]["started_at"]) >= time_ms(&pair[0]["finished_at"]));
    }
    // Each run had its own new conversation.
    let conversations: std::collections::HashSet<_> =
        runs.iter().map(|r| r["conversation_id"].clone()).collect();
    assert_eq!(conversations.len(), runs.len());
}

#[tokio::test]
async fn a_run_left_running_by_a_killed_worker_is_failed_and_retried_on_restart() {
    let env = Env::new().await;
    let id = env
        .add(&[
            "--name",
            "slow",
            "--schedule",
            "@every 1s",
            "--max-retries",
            "1",
            "--retry-backoff",
            "1",
            "work",
        ])
        .await;
    env.server
        .push(Reply::text("late").delay_first_byte(Duration::from_secs(60)));
    env.server.set_default_reply(Some(Reply::text("done")));

    let mut first = env.command(&["jobs", "worker"]).spawn().unwrap();
    env.wait_runs(&id, Duration::from_secs(45), |runs| {
        runs.first().is_some_and(|r| r["status"] == "running")
    })
    .await;
    // The slow reply is taken by the first worker's request (else the retry would get it).
    let asked = Instant::now();
    while env.server.chat_requests().is_empty() {
        assert!(
            asked.elapsed() < Duration::from_secs(45),
            "no request from the first worker"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.start_kill().unwrap(); // SIGKILL: no chance to record anything
    first.wait().await.unwrap();
    assert_eq!(env.runs(&id).await[0]["status"], "running");

    let mut second = env.command(&["jobs", "worker"]).spawn().unwrap();
    let runs = env
        .wait_runs(&id, Duration::from_secs(45), |runs| {
            runs.len() >= 2 && runs[1]["status"] == "succeeded"
        })
        .await;
    terminate(&second);
    let _ = tokio::time::timeout(Duration::from_secs(20), second.wait()).await;

    assert_eq!(runs[0]["status"], "failed");
    assert_eq!(runs[0]["error"], "worker stopped");
    assert!(runs[0]["finished_at"].is_string());
    assert_eq!(runs[1]["attempt"], 1, "the retry policy applied: {runs:#?}");
}

#[tokio::test]
async fn two_workers_on_one_store_never_run_a_job_twice_at_once() {
    let env = Env::new().await;
    let id = env
        .add(&["--name", "shared", "--schedule", "@every 1s", "work"])
        .await;
    // Every turn takes longer than the interval, so a second run would overlap if allowed.
    env.server.set_default_reply(Some(
        Reply::text("done").delay_first_byte(Duration::from_millis(1500)),
    ));
    let a = env.command(&["jobs", "worker"]).spawn().unwrap();
    let b = env.command(&["jobs", "worker"]).spawn().unwrap();
    let runs = env
        .wait_runs(&id, Duration::from_secs(30), |runs| {
            assert!(
                runs.iter().filter(|r| r["status"] == "running").count() <= 1,
                "two runs at once: {runs:#?}"
            );
            runs.iter().filter(|r| r["status"] == "succeeded").count() >= 3
        })
        .await;
    for worker in [&a, &b] {
        terminate(worker);
    }
    for mut worker in [a, b] {
        let _ = tokio::time::timeout(Duration::from_secs(20), worker.wait()).await;
    }
    let done: Vec<&Value> = runs.iter().filter(|r| r["status"] == "succeeded").collect();
    for pair in done.windows(2) {
        assert!(
            time_ms(&pair[1]["started_at"]) >= time_ms(&pair[0]["finished_at"]),
            "overlapping runs: {runs:#?}"
        );
    }
    // No run was hidden: at most one model request per recorded run.
    let after = env.runs(&id).await;
    assert!(
        env.server.chat_requests().len() <= after.len(),
        "{after:#?}"
    );
}
