//! The jobs library as `serve` and an HTTP layer use it, in process: `jobs::api` over a core
//! built from a config text, `jobs::worker::run(core, shutdown)` as a task, and the store's
//! claim transaction directly (missed slots collapse, a claimed job is not claimed again).

use crate::support::core::build;
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use harness::core::Core;
use harness::jobs::api::{self, AddJob};
use harness::store::jobs::{self as rows, JobRunRecord};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

struct Env {
    _dir: tempfile::TempDir,
    server: FakeProvider,
    core: Core,
}

async fn env() -> Env {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let config = format!(
        "default_model = \"fake/model-x\"\n{}max_retries = 0\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    );
    let (deps, _) = build(dir.path(), &workspace, &config);
    Env {
        _dir: dir,
        server,
        core: Core::new(deps),
    }
}

fn job(schedule: &str, max_retries: u32) -> AddJob {
    AddJob {
        name: "job".into(),
        schedule: schedule.into(),
        utc: false,
        agent: None,
        model: None,
        approve: "deny".into(),
        max_retries,
        retry_backoff_secs: 30,
        prompt: "hello".into(),
    }
}

async fn wait_runs(
    env: &Env,
    id: &str,
    done: impl Fn(&[JobRunRecord]) -> bool,
) -> Vec<JobRunRecord> {
    let start = Instant::now();
    loop {
        let runs = api::runs(&env.core.deps().store, id).await.unwrap();
        if done(&runs) {
            return runs;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn run_now_records_a_succeeded_run_with_its_conversation() {
    let env = env().await;
    let store = env.core.deps().store.clone();
    let added = api::add(&store, job("@daily", 0)).await.unwrap();
    env.server.push(Reply::text("hi there"));
    let (run, outcome) = api::run_now(&env.core, &added.id, &CancellationToken::new())
        .await
        .unwrap();
    assert!(outcome.succeeded && outcome.routed);
    assert_eq!(run.status, "succeeded");
    let conversation = run.conversation_id.clone().unwrap();
    let messages = store.messages(conversation.parse().unwrap()).await.unwrap();
    assert!(
        messages
            .iter()
            .any(|m| format!("{m:?}").contains("hi there"))
    );
    let view = api::show(&store, "job").await.unwrap();
    assert_eq!(view.last_run, Some(run));
}

#[tokio::test]
async fn stopping_the_worker_mid_run_fails_the_run_and_schedules_its_retry() {
    let env = env().await;
    let store = env.core.deps().store.clone();
    let added = api::add(&store, job("@every 1s", 2)).await.unwrap();
    env.server.set_default_reply(Some(
        Reply::text("slow").delay_first_byte(Duration::from_secs(30)),
    ));
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(harness::jobs::worker::run(
        env.core.clone(),
        shutdown.clone(),
    ));
    wait_runs(&env, &added.id, |runs| !runs.is_empty()).await;
    // Give the run time to reach the provider, then stop the worker.
    let start = Instant::now();
    while env.server.chat_requests().is_empty() && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(20), worker)
        .await
        .expect("the worker stops promptly")
        .unwrap()
        .unwrap();

    let runs = api::runs(&store, &added.id).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0].status, "failed");
    assert_eq!(runs[0].error.as_deref(), Some("worker stopped"));
    let job = api::show(&store, &added.id).await.unwrap().job;
    assert_eq!(job.retry_attempt, Some(1), "the retry is pending");
    let wait = job.next_run_at.unwrap() - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::seconds(25) && wait <= chrono::Duration::seconds(38),
        "retry after 30 s + jitter, in {wait}"
    );
}

#[tokio::test]
async fn missed_slots_collapse_into_one_claim_and_a_claimed_job_is_not_claimed_again() {
    let env = env().await;
    let store = env.core.deps().store.clone();
    let added = api::add(&store, job("@every 1s", 0)).await.unwrap();
    let id = added.id.clone();
    let claims = store
        .call(move |conn| {
            // Overdue by an hour: 3600 missed slots.
            let now = chrono::Utc::now();
            conn.execute(
                "UPDATE jobs SET next_run_at = ?2 WHERE id = ?1",
                rusqlite::params![id, (now - chrono::Duration::hours(1)).timestamp_millis()],
            )?;
            let next = |j: &rows::JobRecord| harness::jobs::next_run(j, now);
            let first = rows::claim_due(conn, "default", "test:1", now, &next)?;
            let later = now + chrono::Duration::seconds(5);
            let second = rows::claim_due(conn, "default", "test:2", later, &next)?;
            Ok((first, second))
        })
        .await
        .unwrap();
    assert_eq!(claims.0.len(), 1, "one run for all the missed slots");
    assert_eq!(claims.0[0].attempt, 0);
    assert!(claims.1.is_empty(), "still running: not claimed again");
    let job = api::show(&store, &added.id).await.unwrap().job;
    let next = job.next_run_at.unwrap() - chrono::Utc::now();
    assert!(
        next <= chrono::Duration::seconds(1),
        "next slot from now, not from an hour ago"
    );
}

#[tokio::test]
async fn a_utc_job_reads_its_cron_in_utc() {
    use chrono::Timelike;
    let env = env().await;
    let store = env.core.deps().store.clone();
    let added = api::add(
        &store,
        AddJob {
            utc: true,
            ..job("30 12 * * *", 0)
        },
    )
    .await
    .unwrap();
    assert!(added.utc);
    let next = added.next_run_at.unwrap();
    assert_eq!((next.hour(), next.minute(), next.second()), (12, 30, 0));
    let wait = next - chrono::Utc::now();
    assert!(wait > chrono::Duration::zero() && wait <= chrono::Duration::days(1));
}
