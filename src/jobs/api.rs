//! What front ends call (the CLI, and an HTTP layer's `/api/admin/jobs` routes): add, list,
//! show, runs, run now, pause, resume, delete. All scoped to the current profile; ids may be
//! given as a unique prefix or the job's name.

use super::runner::{self, TurnOutcome};
use super::{JobError, Schedule};
use crate::core::Core;
use crate::store::Store;
use crate::store::jobs::{JobRecord, JobRunRecord, NewJob};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// A job with its latest run (`jobs list --json`, `jobs show --json`).
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    #[serde(flatten)]
    pub job: JobRecord,
    pub last_run: Option<JobRunRecord>,
}

/// What `jobs add` asks for.
#[derive(Debug, Clone)]
pub struct AddJob {
    pub name: String,
    pub schedule: String,
    /// Cron in UTC instead of local time.
    pub utc: bool,
    pub agent: Option<String>,
    pub model: Option<String>,
    /// `ask` | `auto` | `deny`.
    pub approve: String,
    pub max_retries: u32,
    pub retry_backoff_secs: u64,
    pub prompt: String,
}

/// Add a job; its first run is the schedule's next time from now.
pub async fn add(store: &Store, add: AddJob) -> Result<JobRecord, JobError> {
    let schedule = Schedule::parse(&add.schedule)?;
    if add.name.trim().is_empty() {
        return Err(JobError::Invalid(
            "the job name is empty: pass --name NAME".into(),
        ));
    }
    if add.prompt.trim().is_empty() {
        return Err(JobError::Invalid(
            "the prompt is empty: pass it as arguments".into(),
        ));
    }
    let now = chrono::Utc::now();
    let job = NewJob {
        profile: store.profile().to_string(),
        name: add.name.trim().to_string(),
        schedule: add.schedule.trim().to_string(),
        utc: add.utc,
        agent: add.agent,
        model: add.model,
        approve: add.approve,
        max_retries: add.max_retries,
        retry_backoff_secs: add.retry_backoff_secs,
        prompt: add.prompt,
        next_run_at: super::next_of(&schedule, add.utc, now),
    };
    Ok(store
        .call(move |conn| crate::store::jobs::insert(conn, &job, now))
        .await?)
}

pub async fn list(store: &Store) -> Result<Vec<JobView>, JobError> {
    let profile = store.profile().to_string();
    Ok(store
        .call(move |conn| {
            crate::store::jobs::list(conn, &profile)?
                .into_iter()
                .map(|job| {
                    let last_run = crate::store::jobs::last_run(conn, &job.id)?;
                    Ok(JobView { job, last_run })
                })
                .collect()
        })
        .await?)
}

pub async fn resolve(store: &Store, id: &str) -> Result<JobRecord, JobError> {
    let (id, profile) = (id.to_string(), store.profile().to_string());
    Ok(store
        .call(move |conn| crate::store::jobs::resolve(conn, &profile, &id))
        .await?)
}

pub async fn show(store: &Store, id: &str) -> Result<JobView, JobError> {
    let job = resolve(store, id).await?;
    let job_id = job.id.clone();
    let last_run = store
        .call(move |conn| crate::store::jobs::last_run(conn, &job_id))
        .await?;
    Ok(JobView { job, last_run })
}

pub async fn runs(store: &Store, id: &str) -> Result<Vec<JobRunRecord>, JobError> {
    let job = resolve(store, id).await?;
    Ok(store
        .call(move |conn| crate::store::jobs::runs(conn, &job.id))
        .await?)
}

/// Pause a job: no more runs (a running one finishes) until resumed.
pub async fn pause(store: &Store, id: &str) -> Result<JobRecord, JobError> {
    set_paused(store, id, true).await
}

/// Resume a job: its next run is the schedule's next time from now.
pub async fn resume(store: &Store, id: &str) -> Result<JobRecord, JobError> {
    set_paused(store, id, false).await
}

async fn set_paused(store: &Store, id: &str, paused: bool) -> Result<JobRecord, JobError> {
    let job = resolve(store, id).await?;
    let next = if paused {
        None
    } else {
        super::next_run(&job, chrono::Utc::now())
    };
    let job_id = job.id.clone();
    store
        .call(move |conn| crate::store::jobs::set_paused(conn, &job_id, paused, next))
        .await?;
    resolve(store, &job.id).await
}

/// Delete a job and its run records (the conversations stay).
pub async fn delete(store: &Store, id: &str) -> Result<JobRecord, JobError> {
    let job = resolve(store, id).await?;
    let job_id = job.id.clone();
    store
        .call(move |conn| crate::store::jobs::delete(conn, &job_id))
        .await?;
    Ok(job)
}

/// Run a job now, once (attempt 0, no retry), unless it is running already. `cancel`
/// interrupts the turn. Returns the recorded run and how the turn went.
pub async fn run_now(
    core: &Core,
    id: &str,
    cancel: &CancellationToken,
) -> Result<(JobRunRecord, TurnOutcome), JobError> {
    let store = &core.deps().store;
    let job = resolve(store, id).await?;
    let job_id = job.id.clone();
    let run_id = store
        .call(move |conn| {
            crate::store::jobs::start_run(conn, &job_id, &super::worker_id(), chrono::Utc::now())
        })
        .await?;
    let outcome = runner::execute(core, &job, run_id, 0, false, cancel).await?;
    let job_id = job.id.clone();
    let run = store
        .call(move |conn| crate::store::jobs::runs(conn, &job_id))
        .await?
        .into_iter()
        .find(|r| r.id == run_id)
        .ok_or_else(|| JobError::Invalid("the run record disappeared".into()))?;
    Ok((run, outcome))
}
