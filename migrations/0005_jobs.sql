-- 0005: scheduled jobs (issue 16). A job is a prompt run as a headless turn on a schedule, per
-- profile; every attempt of a run is a row of job_runs, linked to the conversation it wrote.
-- next_run_at is when a worker should next claim the job (a retry moves it closer). Times are
-- unix milliseconds. Deleting a job deletes its runs, not their conversations.

CREATE TABLE jobs (
    id                 TEXT PRIMARY KEY,
    profile            TEXT NOT NULL,
    name               TEXT NOT NULL,
    schedule           TEXT NOT NULL,
    utc                INTEGER NOT NULL DEFAULT 0,  -- cron in UTC instead of local time
    agent              TEXT,
    model              TEXT,
    approve            TEXT NOT NULL DEFAULT 'deny' CHECK (approve IN ('ask', 'auto', 'deny')),
    max_retries        INTEGER NOT NULL DEFAULT 0,
    retry_backoff_secs INTEGER NOT NULL DEFAULT 60,
    prompt             TEXT NOT NULL,
    paused             INTEGER NOT NULL DEFAULT 0,
    next_run_at        INTEGER,
    retry_attempt      INTEGER,            -- set while a retry is pending: its attempt number
    created_at         INTEGER NOT NULL
);

-- "jobs due now" (the worker's claim)
CREATE INDEX jobs_due ON jobs(profile, paused, next_run_at);

CREATE TABLE job_runs (
    id              INTEGER PRIMARY KEY,
    job_id          TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    attempt         INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    conversation_id TEXT,
    error           TEXT,
    worker          TEXT                 -- host:pid of the process running it
);

CREATE INDEX job_runs_job ON job_runs(job_id, id);
-- "runs left running" (a worker's start)
CREATE INDEX job_runs_running ON job_runs(status) WHERE status = 'running';
