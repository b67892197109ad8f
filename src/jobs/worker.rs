//! The worker: runs due jobs until told to stop. On start it marks runs a killed process left
//! `running` as failed ("worker stopped") and applies the retry policy to them (only runs of
//! processes on this host that are gone: another live worker's runs are left alone); then, every
//! [`TICK`], it claims the due jobs of the profile in one store transaction (so a job never has
//! two runs at once, even with several workers on one store) and runs each claimed attempt as
//! its own task. Missed slots collapse: a job overdue by many occurrences runs once. On
//! shutdown running turns are interrupted, recorded as failed ("worker stopped"), and awaited.

use super::runner::{self, WORKER_STOPPED};
use super::{JobError, next_run, retry_after, worker_id, worker_stopped};
use crate::core::Core;
use crate::store::jobs::Claim;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How often the worker looks for due jobs.
pub const TICK: Duration = Duration::from_millis(250);

/// Run due jobs through `core` until `shutdown` is cancelled.
pub async fn run(core: Core, shutdown: CancellationToken) -> Result<(), JobError> {
    let recovered = recover(&core).await?;
    if recovered > 0 {
        tracing::info!("jobs: {recovered} run(s) left running by a stopped worker marked failed");
    }
    let mut running: JoinSet<()> = JoinSet::new();
    loop {
        match claim(&core).await {
            Ok(claims) => {
                for c in claims {
                    let core = core.clone();
                    let cancel = shutdown.child_token();
                    running.spawn(async move { attempt(core, c, cancel).await });
                }
            }
            // A busy or full store: try again on the next tick rather than stop the worker.
            Err(e) => tracing::warn!("jobs: cannot claim due jobs: {e}"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(TICK) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    // Running attempts see the cancellation (child tokens), record themselves and end.
    shutdown.cancel();
    while running.join_next().await.is_some() {}
    Ok(())
}

/// Mark runs left `running` as failed and schedule their retries. Returns how many.
pub async fn recover(core: &Core) -> Result<usize, JobError> {
    let profile = core.deps().store.profile().to_string();
    let runs = core
        .deps()
        .store
        .call(move |conn| {
            let now = chrono::Utc::now();
            crate::store::jobs::fail_interrupted(
                conn,
                &profile,
                WORKER_STOPPED,
                now,
                &worker_stopped,
                &|job, failed| retry_after(job, failed, now),
            )
        })
        .await?;
    Ok(runs.len())
}

async fn claim(core: &Core) -> Result<Vec<Claim>, JobError> {
    let profile = core.deps().store.profile().to_string();
    Ok(core
        .deps()
        .store
        .call(move |conn| {
            let now = chrono::Utc::now();
            crate::store::jobs::claim_due(conn, &profile, &worker_id(), now, &|job| {
                next_run(job, now)
            })
        })
        .await?)
}

async fn attempt(core: Core, claim: Claim, cancel: CancellationToken) {
    let Claim {
        job,
        run_id,
        attempt,
    } = claim;
    tracing::info!(job = %job.id, name = %job.name, attempt, "jobs: run started");
    match runner::execute(&core, &job, run_id, attempt, true, &cancel).await {
        Ok(outcome) if outcome.succeeded => {
            tracing::info!(job = %job.id, attempt, "jobs: run succeeded");
        }
        Ok(outcome) => tracing::warn!(
            job = %job.id,
            attempt,
            error = outcome.error.as_deref().unwrap_or(""),
            "jobs: run failed"
        ),
        Err(e) => tracing::error!(job = %job.id, "jobs: cannot record the run: {e}"),
    }
}
