//! `harness jobs add|list|show|runs|run|pause|resume|delete|worker`: thin printers over
//! `jobs::api`, and the foreground worker. JSON shapes are in CONTRACT.md ("Jobs"): fields may
//! be added, none renamed or removed. `jobs run` exits like `harness run` (0 succeeded, 1 the
//! turn failed, 2 bad usage or config).

use super::args::ApproveArg;
use super::{CliContext, CliError, CliResult, print_json, print_out};
use crate::config::Overrides;
use crate::core::Core;
use crate::jobs::api::{self, AddJob, JobView};
use crate::jobs::{JobError, worker};
use crate::store::jobs::JobRunRecord;
use chrono::{DateTime, Local, Utc};
use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Add a job; prints its id.
    Add(AddArgs),
    /// The jobs of this profile, with their next run and last status.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One job.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Every recorded attempt of a job, oldest first.
    Runs {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Run a job now, in the foreground (exit code like `harness run`).
    Run { id: String },
    /// Stop scheduling a job until `resume`.
    Pause { id: String },
    /// Schedule a paused job again from now.
    Resume { id: String },
    /// Delete a job and its run records (its conversations stay).
    Delete { id: String },
    /// Run due jobs in the foreground until Ctrl+C or SIGTERM.
    Worker,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Five-field cron ("*/5 * * * *", local time), @hourly, @daily, @weekly, or @every 30s.
    #[arg(long, value_name = "SPEC")]
    pub schedule: String,
    /// Read the cron expression in UTC instead of local time.
    #[arg(long)]
    pub utc: bool,
    #[arg(short = 'a', long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Model: provider/model-id, an alias, or auto.
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Approval for tools; default deny (nobody is there to answer).
    #[arg(long, value_enum, default_value = "deny")]
    pub approve: ApproveArg,
    /// Retries after a failed run (each after retry-backoff × 2^attempt, with jitter).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_retries: u32,
    /// Base retry delay in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub retry_backoff: u64,
    /// The prompt.
    #[arg(required = true, num_args = 1.., value_name = "PROMPT")]
    pub prompt: Vec<String>,
}

impl From<JobError> for CliError {
    fn from(e: JobError) -> Self {
        CliError::usage(e.to_string())
    }
}

pub async fn run(ctx: &CliContext, cmd: JobsCommand) -> CliResult {
    match cmd {
        JobsCommand::Add(args) => add(ctx, args).await,
        JobsCommand::List { json } => {
            let jobs = api::list(&ctx.open_store()?).await?;
            if json {
                return print_json(&jobs);
            }
            if jobs.is_empty() {
                print_out(
                    "no jobs: add one with `harness jobs add --name NAME --schedule SPEC PROMPT`\n",
                );
            }
            for view in &jobs {
                print_out(&format!("{}\n", list_line(view)));
            }
            Ok(())
        }
        JobsCommand::Show { id, json } => {
            let view = api::show(&ctx.open_store()?, &id).await?;
            if json {
                return print_json(&view);
            }
            print_out(&details(&view));
            Ok(())
        }
        JobsCommand::Runs { id, json } => {
            let runs = api::runs(&ctx.open_store()?, &id).await?;
            if json {
                return print_json(&runs);
            }
            if runs.is_empty() {
                print_out("no runs yet\n");
            }
            for r in &runs {
                print_out(&format!("{}\n", run_line(r)));
            }
            Ok(())
        }
        JobsCommand::Run { id } => run_now(ctx, &id).await,
        JobsCommand::Pause { id } => {
            let job = api::pause(&ctx.open_store()?, &id).await?;
            print_out(&format!("paused {} ({})\n", job.id, job.name));
            Ok(())
        }
        JobsCommand::Resume { id } => {
            let job = api::resume(&ctx.open_store()?, &id).await?;
            print_out(&format!(
                "resumed {} ({}), next run {}\n",
                job.id,
                job.name,
                when(job.next_run_at)
            ));
            Ok(())
        }
        JobsCommand::Delete { id } => {
            let job = api::delete(&ctx.open_store()?, &id).await?;
            print_out(&format!("deleted {} ({})\n", job.id, job.name));
            Ok(())
        }
        JobsCommand::Worker => worker_foreground(ctx).await,
    }
}

async fn add(ctx: &CliContext, args: AddArgs) -> CliResult {
    let approve = match args.approve {
        ApproveArg::Ask => "ask",
        ApproveArg::Auto => "auto",
        ApproveArg::Deny => "deny",
    };
    let job = api::add(
        &ctx.open_store()?,
        AddJob {
            name: args.name,
            schedule: args.schedule,
            utc: args.utc,
            agent: args.agent,
            model: args.model,
            approve: approve.to_string(),
            max_retries: args.max_retries,
            retry_backoff_secs: args.retry_backoff,
            prompt: args.prompt.join(" "),
        },
    )
    .await?;
    print_out(&format!("{}\n", job.id));
    Ok(())
}

/// The shared core for jobs, in the current directory (the jobs' workspace).
fn core(ctx: &CliContext) -> Result<Core, CliError> {
    let config = ctx.load_config(&Overrides::default())?;
    if config.providers.is_empty() {
        return Err(CliError::usage(
            crate::config::env_providers::no_provider_message(&ctx.paths.config_file),
        ));
    }
    Ok(Core::new(ctx.build_core(config)?))
}

async fn run_now(ctx: &CliContext, id: &str) -> CliResult {
    let core = core(ctx)?;
    let cancel = CancellationToken::new();
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            super::stop_signal().await;
            cancel.cancel();
        })
    };
    let result = api::run_now(&core, id, &cancel).await;
    watcher.abort();
    let (run, outcome) = result?;
    print_out(&format!("{}\n", run_line(&run)));
    if outcome.succeeded {
        Ok(())
    } else if !outcome.routed {
        Err(CliError::usage(
            outcome
                .error
                .unwrap_or_else(|| "no model could be chosen".into()),
        ))
    } else {
        Err(CliError::failed(format!(
            "the job's run failed: {}",
            outcome.error.unwrap_or_default()
        )))
    }
}

async fn worker_foreground(ctx: &CliContext) -> CliResult {
    let core = core(ctx)?;
    let shutdown = CancellationToken::new();
    let watcher = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            super::stop_signal().await;
            shutdown.cancel();
        })
    };
    super::eprint_line("harness: jobs worker running (Ctrl+C to stop)");
    let result = worker::run(core, shutdown).await;
    watcher.abort();
    result?;
    Ok(())
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_string(),
        |t| {
            t.with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    )
}

fn last_status(view: &JobView) -> String {
    match &view.last_run {
        None => "never run".to_string(),
        Some(r) if r.status == "failed" && r.attempt >= view.job.max_retries => {
            format!(
                "failed (attempt {}/{}, gave up)",
                r.attempt, view.job.max_retries
            )
        }
        Some(r) => format!("{} (attempt {})", r.status, r.attempt),
    }
}

/// The `/jobs` notice: each job's line and its last run's conversation.
pub(crate) fn jobs_text(jobs: &[JobView]) -> String {
    if jobs.is_empty() {
        return "no jobs: add one with `harness jobs add --name NAME --schedule SPEC PROMPT`"
            .to_string();
    }
    let mut out = vec!["Jobs (/resume ID opens a run's conversation):".to_string()];
    for view in jobs {
        out.push(format!("  {}", list_line(view)));
        if let Some(id) = view
            .last_run
            .as_ref()
            .and_then(|r| r.conversation_id.as_ref())
        {
            out.push(format!("    last run: conversation {id}"));
        }
    }
    out.join("\n")
}

pub(crate) fn list_line(view: &JobView) -> String {
    let j = &view.job;
    let next = if j.paused {
        "paused".to_string()
    } else {
        when(j.next_run_at)
    };
    format!(
        "{}  {}  [{}]  next {}  last {}",
        &j.id,
        j.name,
        j.schedule,
        next,
        last_status(view)
    )
}

fn details(view: &JobView) -> String {
    let j = &view.job;
    let mut out = format!(
        "id:          {}\nname:        {}\nschedule:    {}{}\nagent:       {}\nmodel:       {}\napprove:     {}\nretries:     {} (backoff {} s)\npaused:      {}\nnext run:    {}\nlast run:    {}\nprompt:      {}\n",
        j.id,
        j.name,
        j.schedule,
        if j.utc { " (UTC)" } else { "" },
        j.agent.as_deref().unwrap_or("(default)"),
        j.model.as_deref().unwrap_or("(default)"),
        j.approve,
        j.max_retries,
        j.retry_backoff_secs,
        if j.paused { "yes" } else { "no" },
        when(j.next_run_at),
        last_status(view),
        crate::sanitize::strip(&j.prompt),
    );
    if let Some(c) = view
        .last_run
        .as_ref()
        .and_then(|r| r.conversation_id.as_ref())
    {
        out.push_str(&format!("conversation: {c} (harness --resume {c})\n"));
    }
    out
}

fn run_line(r: &JobRunRecord) -> String {
    format!(
        "#{}  attempt {}  {}  started {}  finished {}  conversation {}{}",
        r.id,
        r.attempt,
        r.status,
        when(Some(r.started_at)),
        when(r.finished_at),
        r.conversation_id.as_deref().unwrap_or("-"),
        r.error
            .as_deref()
            .map(|e| format!("  error: {}", crate::sanitize::strip(e)))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::jobs::{JobRecord, JobRunRecord};

    #[test]
    fn the_jobs_notice_names_each_job_and_its_last_conversation() {
        let now = chrono::Utc::now();
        let job = JobRecord {
            id: "01j".into(),
            profile: "default".into(),
            name: "nightly".into(),
            schedule: "@daily".into(),
            utc: false,
            agent: None,
            model: None,
            approve: "deny".into(),
            max_retries: 2,
            retry_backoff_secs: 60,
            prompt: "p".into(),
            paused: false,
            next_run_at: Some(now),
            retry_attempt: None,
            created_at: now,
        };
        let run = JobRunRecord {
            id: 1,
            job_id: "01j".into(),
            attempt: 2,
            status: "failed".into(),
            started_at: now,
            finished_at: Some(now),
            conversation_id: Some("0c0nv".into()),
            error: Some("boom".into()),
        };
        let text = jobs_text(&[JobView {
            job,
            last_run: Some(run),
        }]);
        assert!(text.contains("nightly  [@daily]"), "{text}");
        assert!(text.contains("failed (attempt 2/2, gave up)"), "{text}");
        assert!(text.contains("last run: conversation 0c0nv"), "{text}");
        assert!(jobs_text(&[]).starts_with("no jobs"));
    }
}
