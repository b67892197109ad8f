//! One attempt of a job: a headless turn in a new conversation with the job's agent, model pin
//! and approval mode, its `running` row finished as `succeeded` or `failed` (with the error and
//! the conversation), and its retry scheduled when the policy allows one.

use super::{JobError, retry_after};
use crate::core::{Core, SessionOptions, SessionStart};
use crate::message::MessageStatus;
use crate::protocol::{ApprovalMode, Event, Op};
use crate::store::jobs::{JobRecord, RunEnd};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the error of a run cut short by the worker's stop says.
pub const WORKER_STOPPED: &str = "worker stopped";

/// How one headless turn went.
#[derive(Debug, Clone, Default)]
pub struct TurnOutcome {
    pub succeeded: bool,
    /// A model was chosen (false: the configuration cannot route the prompt).
    pub routed: bool,
    pub conversation_id: Option<String>,
    pub error: Option<String>,
    /// The turn was interrupted by `cancel`.
    pub cancelled: bool,
}

/// Run `job`'s prompt as one headless turn in a new conversation. `cancel` interrupts it.
pub async fn run_turn(core: &Core, job: &JobRecord, cancel: &CancellationToken) -> TurnOutcome {
    let approval = job
        .approve
        .parse::<ApprovalMode>()
        .unwrap_or(ApprovalMode::Deny);
    let options = SessionOptions {
        start: SessionStart::New,
        model: job.model.clone(),
        agent: job.agent.clone(),
        approval: Some(approval),
        headless: true,
    };
    let mut session = match core.open(options).await {
        Ok(session) => session,
        Err(e) => {
            return TurnOutcome {
                error: Some(e.to_string()),
                ..TurnOutcome::default()
            };
        }
    };
    let mut outcome = TurnOutcome::default();
    if session
        .ops
        .send(Op::UserTurn {
            text: job.prompt.clone(),
        })
        .is_err()
    {
        outcome.error = Some("the session stopped before the turn started".to_string());
        return outcome;
    }
    let status = loop {
        let event = tokio::select! {
            event = session.events.recv() => event,
            _ = cancel.cancelled(), if !outcome.cancelled => {
                outcome.cancelled = true;
                let _ = session.ops.send(Op::Interrupt);
                continue;
            }
        };
        match event {
            None => break MessageStatus::Error,
            Some(Event::RouteChosen { .. }) => outcome.routed = true,
            Some(Event::SessionConfigured {
                conversation_id, ..
            }) => outcome.conversation_id = Some(conversation_id.to_string()),
            Some(Event::Error { message, .. }) => outcome.error = Some(message),
            Some(Event::TurnComplete {
                conversation_id,
                status,
                ..
            }) => {
                outcome.conversation_id = Some(conversation_id.to_string());
                break status;
            }
            Some(_) => {}
        }
    };
    let _ = session.ops.send(Op::Shutdown);
    let _ = tokio::time::timeout(Duration::from_secs(15), session.task).await;
    outcome.succeeded = status == MessageStatus::Complete;
    if outcome.cancelled && !outcome.succeeded {
        outcome.error = Some(WORKER_STOPPED.to_string());
    } else if !outcome.succeeded && outcome.error.is_none() {
        outcome.error = Some(format!("the turn ended {}", status.as_str()));
    }
    outcome
}

/// Run attempt `attempt` of `job` (its row `run_id` is already `running`), record how it
/// ended, and schedule a retry when it failed and `retry` is set and the policy allows one.
pub async fn execute(
    core: &Core,
    job: &JobRecord,
    run_id: i64,
    attempt: u32,
    retry: bool,
    cancel: &CancellationToken,
) -> Result<TurnOutcome, JobError> {
    let outcome = run_turn(core, job, cancel).await;
    let now = chrono::Utc::now();
    let end = RunEnd {
        succeeded: outcome.succeeded,
        conversation_id: outcome.conversation_id.clone(),
        error: outcome.error.as_deref().map(first_line),
        retry: if outcome.succeeded || !retry {
            None
        } else {
            retry_after(job, attempt, now)
        },
    };
    let job_id = job.id.clone();
    core.deps()
        .store
        .call(move |conn| crate::store::jobs::finish_run(conn, &job_id, run_id, &end, now))
        .await?;
    Ok(outcome)
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or(text)
        .chars()
        .take(500)
        .collect()
}
