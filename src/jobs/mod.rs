//! Scheduled jobs (issue 16): a prompt run as a headless turn, in a new conversation, on a
//! schedule, through the shared [`Core`](crate::core::Core). `schedule.rs` reads schedules and
//! computes next runs, `backoff.rs` the retry delay, `runner.rs` runs one attempt, `worker.rs`
//! claims due jobs and runs them until told to stop (`harness jobs worker`, `serve`), and
//! `api.rs` is what front ends (the CLI, an HTTP layer) call. The rows live in
//! `store::jobs`, whose transactions keep one run of a job at a time.
//!
//! Why not a job library (apalis was suggested): its SQLite storage brings its own sqlx pool
//! and migrations beside our single store thread and migration list, and its retry/cron layers
//! do not record every attempt as the contract asks. Claiming in one SQLite transaction gives
//! the guarantees we need on one store; cron parsing is the maintained `croner` crate.

pub mod api;
pub mod backoff;
pub mod runner;
pub mod schedule;
pub mod worker;

pub use schedule::{ACCEPTED_FORMS, Schedule, ScheduleError};

use crate::store::StoreError;
use crate::store::jobs::JobRecord;
use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// When `job` should next run after `now`, by its schedule (cron in local time, or UTC).
pub fn next_run(job: &JobRecord, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let schedule = Schedule::parse(&job.schedule).ok()?;
    next_of(&schedule, job.utc, now)
}

fn next_of(schedule: &Schedule, utc: bool, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if utc {
        schedule.next_after(&now)
    } else {
        schedule.next_after(&now.with_timezone(&chrono::Local))
    }
}

/// The retry policy: after attempt `failed` of `job` failed, retry at `now + backoff` as
/// attempt `failed + 1`, while `failed < max_retries`.
pub fn retry_after(
    job: &JobRecord,
    failed: u32,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, u32)> {
    if failed >= job.max_retries {
        return None;
    }
    let delay = backoff::delay_with_jitter(Duration::from_secs(job.retry_backoff_secs), failed);
    let delay = chrono::Duration::from_std(delay).ok()?;
    Some((now + delay, failed + 1))
}

/// This process as a run's `worker`: `host:pid`.
pub fn worker_id() -> String {
    crate::store::lease::this_process()
}

/// Whether the process that ran a run (`host:pid`) has stopped. A run without a worker, or
/// whose process on this host is gone, has; one on another host cannot be checked from here
/// and is left alone. (This process has not: the store's lease rules.)
pub fn worker_stopped(worker: Option<&str>) -> bool {
    crate::store::lease::process_gone(worker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_workers_have_stopped() {
        let me = crate::store::lease::this_process();
        let here = me.rsplit_once(':').unwrap().0;
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        // The parent of this test process is alive.
        let alive = std::os::unix::process::parent_id();
        let table: &[(Option<String>, bool)] = &[
            (None, true),
            (Some("garbage".into()), true),
            (Some(format!("{here}:{dead}")), true),
            (Some(format!("{here}:{alive}")), false),
            (Some(format!("{here}:{}", std::process::id())), true),
            (Some(format!("another-host-{here}:{alive}")), false),
        ];
        for (worker, stopped) in table {
            assert_eq!(worker_stopped(worker.as_deref()), *stopped, "{worker:?}");
        }
    }
}
