//! Scheduled jobs and their runs (`jobs`, `job_runs`, migration 0005), per profile. The rows and
//! the transactions that keep "one run of a job at a time" true across workers and processes
//! live here: a claim reads the due jobs and inserts their `running` rows in one `BEGIN
//! IMMEDIATE` transaction, so two workers on one store never claim the same occurrence. What a
//! schedule means is the `jobs` module's business: it passes the next-run computation in.

use super::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

/// A job as `jobs add` creates it.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub profile: String,
    pub name: String,
    pub schedule: String,
    /// Cron in UTC (default: local time).
    pub utc: bool,
    pub agent: Option<String>,
    pub model: Option<String>,
    /// `ask` | `auto` | `deny`.
    pub approve: String,
    pub max_retries: u32,
    pub retry_backoff_secs: u64,
    pub prompt: String,
    pub next_run_at: Option<DateTime<Utc>>,
}

/// A stored job (`jobs show --json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobRecord {
    pub id: String,
    pub profile: String,
    pub name: String,
    pub schedule: String,
    pub utc: bool,
    pub agent: Option<String>,
    pub model: Option<String>,
    pub approve: String,
    pub max_retries: u32,
    pub retry_backoff_secs: u64,
    pub prompt: String,
    pub paused: bool,
    pub next_run_at: Option<DateTime<Utc>>,
    /// The attempt number of a pending retry, if one is scheduled.
    pub retry_attempt: Option<u32>,
    pub created_at: DateTime<Utc>,
}

/// One attempt of a job (`jobs runs --json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JobRunRecord {
    pub id: i64,
    pub job_id: String,
    pub attempt: u32,
    /// `running` | `succeeded` | `failed`.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub conversation_id: Option<String>,
    pub error: Option<String>,
}

/// A run a worker has claimed: its row is `running`.
#[derive(Debug, Clone)]
pub struct Claim {
    pub job: JobRecord,
    pub run_id: i64,
    pub attempt: u32,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

const JOB_COLUMNS: &str = "id, profile, name, schedule, agent, model, approve, max_retries,
    retry_backoff_secs, prompt, paused, next_run_at, retry_attempt, created_at, utc";

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<JobRecord> {
    Ok(JobRecord {
        id: row.get(0)?,
        profile: row.get(1)?,
        name: row.get(2)?,
        schedule: row.get(3)?,
        agent: row.get(4)?,
        model: row.get(5)?,
        approve: row.get(6)?,
        max_retries: row.get(7)?,
        retry_backoff_secs: u64::try_from(row.get::<_, i64>(8)?).unwrap_or(0),
        prompt: row.get(9)?,
        paused: row.get(10)?,
        next_run_at: row.get::<_, Option<i64>>(11)?.map(time),
        retry_attempt: row.get(12)?,
        created_at: time(row.get(13)?),
        utc: row.get(14)?,
    })
}

const RUN_COLUMNS: &str =
    "id, job_id, attempt, status, started_at, finished_at, conversation_id, error";

fn run_from_row(row: &Row<'_>) -> rusqlite::Result<JobRunRecord> {
    Ok(JobRunRecord {
        id: row.get(0)?,
        job_id: row.get(1)?,
        attempt: row.get(2)?,
        status: row.get(3)?,
        started_at: time(row.get(4)?),
        finished_at: row.get::<_, Option<i64>>(5)?.map(time),
        conversation_id: row.get(6)?,
        error: row.get(7)?,
    })
}

/// Add a job; returns it with its new id.
pub fn insert(
    conn: &Connection,
    job: &NewJob,
    now: DateTime<Utc>,
) -> Result<JobRecord, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO jobs (id, profile, name, schedule, agent, model, approve, max_retries,
             retry_backoff_secs, prompt, paused, next_run_at, created_at, utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, ?12, ?13)",
        params![
            id,
            job.profile,
            job.name,
            job.schedule,
            job.agent,
            job.model,
            job.approve,
            job.max_retries,
            i64::try_from(job.retry_backoff_secs).unwrap_or(i64::MAX),
            job.prompt,
            job.next_run_at.map(ms),
            ms(now),
            job.utc,
        ],
    )?;
    get(conn, &id)
}

fn get(conn: &Connection, id: &str) -> Result<JobRecord, StoreError> {
    conn.query_row(
        &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
        [id],
        job_from_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::Invalid(format!("no job `{id}`: see `harness jobs list`")))
}

/// The profile's jobs, oldest first.
pub fn list(conn: &Connection, profile: &str) -> Result<Vec<JobRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE profile = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map([profile], job_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The job whose id starts with `prefix` (or whose name is `prefix`), in `profile`.
pub fn resolve(conn: &Connection, profile: &str, prefix: &str) -> Result<JobRecord, StoreError> {
    let prefix = prefix.trim();
    if prefix.is_empty() {
        return Err(StoreError::Invalid(
            "give a job id (see `harness jobs list`)".to_string(),
        ));
    }
    let all = list(conn, profile)?;
    let by_id: Vec<&JobRecord> = all.iter().filter(|j| j.id.starts_with(prefix)).collect();
    let matches = if by_id.is_empty() {
        all.iter().filter(|j| j.name == prefix).collect()
    } else {
        by_id
    };
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(StoreError::Invalid(format!(
            "no job matches `{prefix}`: see `harness jobs list`"
        ))),
        many => Err(StoreError::Invalid(format!(
            "`{prefix}` matches {} jobs: give more of the id",
            many.len()
        ))),
    }
}

/// Pause (no next run) or resume (next run at `next_run_at`).
pub fn set_paused(
    conn: &Connection,
    id: &str,
    paused: bool,
    next_run_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE jobs SET paused = ?2, next_run_at = ?3, retry_attempt = NULL WHERE id = ?1",
        params![id, paused, next_run_at.map(ms)],
    )?;
    Ok(())
}

/// Delete a job and its runs (their conversations stay).
pub fn delete(conn: &Connection, id: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM jobs WHERE id = ?1", [id])?;
    Ok(())
}

/// A job's runs, oldest first.
pub fn runs(conn: &Connection, job_id: &str) -> Result<Vec<JobRunRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RUN_COLUMNS} FROM job_runs WHERE job_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([job_id], run_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A job's latest run.
pub fn last_run(conn: &Connection, job_id: &str) -> Result<Option<JobRunRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {RUN_COLUMNS} FROM job_runs WHERE job_id = ?1 ORDER BY id DESC LIMIT 1"
            ),
            [job_id],
            run_from_row,
        )
        .optional()?)
}

fn has_running(conn: &Connection, job_id: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM job_runs WHERE job_id = ?1 AND status = 'running')",
        [job_id],
        |r| r.get(0),
    )
}

fn insert_run(
    conn: &Connection,
    job_id: &str,
    attempt: u32,
    now: i64,
    worker: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO job_runs (job_id, attempt, status, started_at, worker)
         VALUES (?1, ?2, 'running', ?3, ?4)",
        params![job_id, attempt, now, worker],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Claim every due job of `profile` that has no run in progress: each gets a `running` row
/// (attempt = its pending retry's, else 0) and its next regular time from `next` (missed
/// slots collapse into this one run). One transaction, so concurrent workers claim disjointly.
pub fn claim_due(
    conn: &mut Connection,
    profile: &str,
    worker: &str,
    now: DateTime<Utc>,
    next: &dyn Fn(&JobRecord) -> Option<DateTime<Utc>>,
) -> Result<Vec<Claim>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let due: Vec<JobRecord> = {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE profile = ?1 AND paused = 0
                 AND next_run_at IS NOT NULL AND next_run_at <= ?2 ORDER BY next_run_at, id"
        ))?;
        stmt.query_map(params![profile, ms(now)], job_from_row)?
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut claims = Vec::new();
    for job in due {
        if has_running(&tx, &job.id)? {
            continue;
        }
        let attempt = job.retry_attempt.unwrap_or(0);
        let run_id = insert_run(&tx, &job.id, attempt, ms(now), worker)?;
        tx.execute(
            "UPDATE jobs SET next_run_at = ?2, retry_attempt = NULL WHERE id = ?1",
            params![job.id, next(&job).map(ms)],
        )?;
        claims.push(Claim {
            job,
            run_id,
            attempt,
        });
    }
    tx.commit()?;
    Ok(claims)
}

/// Start a run of `job_id` now (`jobs run`), unless one is already running.
pub fn start_run(
    conn: &mut Connection,
    job_id: &str,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if has_running(&tx, job_id)? {
        return Err(StoreError::Invalid(
            "this job is running now (a worker started it): wait for it, see `harness jobs runs ID`"
                .to_string(),
        ));
    }
    let id = insert_run(&tx, job_id, 0, ms(now), worker)?;
    tx.commit()?;
    Ok(id)
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunEnd {
    pub succeeded: bool,
    pub conversation_id: Option<String>,
    pub error: Option<String>,
    /// Retry the job at this time as attempt `.1`.
    pub retry: Option<(DateTime<Utc>, u32)>,
}

/// Record the end of run `run_id` (of `job_id`), and schedule its retry if there is one.
pub fn finish_run(
    conn: &mut Connection,
    job_id: &str,
    run_id: i64,
    end: &RunEnd,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE job_runs SET status = ?2, finished_at = ?3, conversation_id = ?4, error = ?5
         WHERE id = ?1",
        params![
            run_id,
            if end.succeeded { "succeeded" } else { "failed" },
            ms(now),
            end.conversation_id,
            end.error,
        ],
    )?;
    if let Some((at, attempt)) = end.retry {
        tx.execute(
            "UPDATE jobs SET next_run_at = ?2, retry_attempt = ?3 WHERE id = ?1 AND paused = 0",
            params![job_id, ms(at), attempt],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// When to retry a job after a failed run, and as which attempt (`None`: no retry).
pub type RetryPolicy<'a> = &'a dyn Fn(&JobRecord, u32) -> Option<(DateTime<Utc>, u32)>;

/// Mark the profile's runs left `running` by a stopped process (`stopped(worker)` says which,
/// from the run's `host:pid`) as failed with `reason`, scheduling each job's retry as `retry`
/// says. Returns the runs as they were.
pub fn fail_interrupted(
    conn: &mut Connection,
    profile: &str,
    reason: &str,
    now: DateTime<Utc>,
    stopped: &dyn Fn(Option<&str>) -> bool,
    retry: RetryPolicy<'_>,
) -> Result<Vec<JobRunRecord>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let left: Vec<(JobRunRecord, Option<String>)> = {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {}, r.worker FROM job_runs r JOIN jobs j ON j.id = r.job_id
             WHERE r.status = 'running' AND j.profile = ?1 ORDER BY r.id",
            RUN_COLUMNS
                .split(", ")
                .map(|c| format!("r.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        stmt.query_map([profile], |row| Ok((run_from_row(row)?, row.get(8)?)))?
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut out = Vec::new();
    for (run, worker) in left {
        if !stopped(worker.as_deref()) {
            continue;
        }
        tx.execute(
            "UPDATE job_runs SET status = 'failed', finished_at = ?2, error = ?3 WHERE id = ?1",
            params![run.id, ms(now), reason],
        )?;
        let job = get(&tx, &run.job_id)?;
        if let Some((at, attempt)) = retry(&job, run.attempt).filter(|_| !job.paused) {
            tx.execute(
                "UPDATE jobs SET next_run_at = ?2, retry_attempt = ?3 WHERE id = ?1",
                params![job.id, ms(at), attempt],
            )?;
        }
        out.push(run);
    }
    tx.commit()?;
    Ok(out)
}
