//! Running one child: check the depth, wait for a free place, make its worktree if asked, create
//! and link its conversation, open its session through the core, send the prompt, relay what
//! the parent's front ends need (start, progress, approval questions, end), stop it at its time
//! limit or when the parent is interrupted, and turn its end into the tool result.

use super::Hub;
use crate::core::live::{Inbound, LiveSessions};
use crate::core::{Core, CoreDeps, SessionOptions, SessionStart};
use crate::message::{ConversationId, MessageStatus, Usage};
use crate::protocol::{ApprovalMode, Event, Op, SubagentRef};
use crate::store::subagents::{ConversationWorkspace, NewLink};
use crate::tools::ToolOutput;
use crate::tools::task::{SubagentRunner, TaskRequest};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long a child has to wind down after it was told to stop.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// What a parent session hands each `task` call: who the parent is and what its children
/// inherit.
#[derive(Clone)]
pub(in crate::core) struct ParentContext {
    pub deps: Arc<CoreDeps>,
    pub open_sessions: Arc<LiveSessions>,
    pub conversation: ConversationId,
    /// The parent session's inbox: relayed events reach its front ends through it.
    pub inbox: mpsc::UnboundedSender<Inbound>,
    pub hub: Hub,
    pub agent: String,
    /// The parent's pinned model, used by a child whose agent pins none.
    pub pin: Option<String>,
    pub approval: ApprovalMode,
    pub headless: bool,
}

impl SubagentRunner for ParentContext {
    fn run(
        &self,
        call_id: String,
        request: TaskRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, ToolOutput> {
        let parent = self.clone();
        Box::pin(async move { parent.run_child(call_id, request, cancel).await })
    }
}

/// How a child's turn ended.
#[derive(Debug, Default)]
struct Ending {
    status: Option<MessageStatus>,
    usage: Usage,
    /// The text of its last reply.
    text: String,
    error: Option<String>,
    timed_out: bool,
    cancelled: bool,
}

/// Tells the parent's front ends a child ended even when its tool call is dropped mid-run
/// (the parent was interrupted), and forgets its open questions.
struct Announced {
    parent: ParentContext,
    call_id: String,
    child: ConversationId,
    finished: bool,
}

impl Drop for Announced {
    fn drop(&mut self) {
        self.parent.hub.forget(&relay_prefix(self.child));
        if !self.finished {
            self.parent.relay(Event::SubagentFinished {
                call_id: self.call_id.clone(),
                conversation_id: self.child,
                status: MessageStatus::Cancelled,
                usage: Usage::default(),
                error: Some("interrupted".to_string()),
            });
        }
    }
}

impl ParentContext {
    fn relay(&self, event: Event) {
        let _ = self.inbox.send(Inbound::Relay(event));
    }

    async fn run_child(
        self,
        call_id: String,
        request: TaskRequest,
        cancel: CancellationToken,
    ) -> ToolOutput {
        let limits = self.deps.config.subagents.clone();
        let depth = self.deps.lineage.depth + 1;
        if depth as usize > limits.max_depth {
            return ToolOutput::error(format!(
                "subagent depth limit reached (subagents.max_depth = {}): do this work yourself instead of starting another subagent",
                limits.max_depth
            ));
        }
        let agent_name = request.agent.clone().unwrap_or_else(|| self.agent.clone());
        let agent = match self.deps.agents.resolve(&agent_name) {
            Ok(agent) => agent.clone(),
            Err(e) => return ToolOutput::error(e.to_string()),
        };
        // Waiting for a free place ends when the parent is interrupted.
        let slots = self.hub.slots();
        let _place = tokio::select! {
            place = slots.acquire_owned() => match place {
                Ok(place) => place,
                Err(_) => return ToolOutput::error("subagents are shutting down"),
            },
            _ = cancel.cancelled() => return ToolOutput::error("Interrupted by the user before the subagent started."),
        };
        let child = ConversationId::new();
        let worktree = match request.worktree {
            true => match self.make_worktree(child).await {
                Ok(w) => Some(w),
                Err(e) => return ToolOutput::error(format!("no worktree for the subagent: {e}")),
            },
            false => None,
        };
        let deps = Arc::new(
            self.deps
                .for_child(worktree.as_ref().map(|w| w.path.as_path())),
        );
        let model = match agent.model {
            Some(_) => None,
            None => self.pin.clone(),
        };
        if let Err(e) = self
            .record(
                child,
                &call_id,
                depth,
                &request,
                &agent.name,
                worktree.as_ref(),
            )
            .await
        {
            return ToolOutput::error(format!("could not store the subagent's conversation: {e}"));
        }
        let core = Core::with_sessions(deps, self.open_sessions.clone());
        let mut session = match core
            .open(SessionOptions {
                start: SessionStart::Resume(child.to_string()),
                model,
                agent: Some(agent.name.clone()),
                approval: Some(self.approval),
                headless: self.headless,
            })
            .await
        {
            Ok(session) => session,
            Err(e) => return ToolOutput::error(format!("the subagent could not start: {e}")),
        };
        self.relay(Event::SubagentStarted {
            call_id: call_id.clone(),
            conversation_id: child,
            agent: agent.name.clone(),
            description: request.description.clone(),
            depth,
            branch: worktree.as_ref().map(|w| w.branch.clone()),
            worktree: worktree.as_ref().map(|w| w.path.display().to_string()),
        });
        let mut announced = Announced {
            parent: self.clone(),
            call_id: call_id.clone(),
            child,
            finished: false,
        };
        let subagent = SubagentRef {
            conversation_id: child,
            agent: agent.name.clone(),
            description: request.description.clone(),
        };
        let _ = session.ops.send(Op::UserTurn {
            text: request.prompt.clone(),
        });
        let timeout = Duration::from_secs(limits.timeout_secs);
        let ending = self
            .follow(&call_id, &subagent, &mut session, cancel, timeout)
            .await;
        let _ = session.ops.send(Op::Shutdown);
        self.hub.add_usage(&ending.usage);
        announced.finished = true;
        self.relay(Event::SubagentFinished {
            call_id,
            conversation_id: child,
            status: ending.status.unwrap_or(MessageStatus::Error),
            usage: ending.usage,
            error: ending.error.clone(),
        });
        result(&ending, &limits, child, worktree.as_ref())
    }

    /// Read the child's events until its turn ends (or it is stopped and winds down).
    async fn follow(
        &self,
        call_id: &str,
        subagent: &SubagentRef,
        session: &mut crate::core::SessionHandle,
        cancel: CancellationToken,
        timeout: Duration,
    ) -> Ending {
        let mut ending = Ending::default();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut stop_by: Option<tokio::time::Instant> = None;
        let progress = |status: String| {
            self.relay(Event::SubagentProgress {
                call_id: call_id.to_string(),
                conversation_id: subagent.conversation_id,
                status,
            })
        };
        loop {
            tokio::select! {
                event = session.events.recv() => match event {
                    None => {
                        ending.error.get_or_insert_with(|| "the subagent's session ended unexpectedly".to_string());
                        return ending;
                    }
                    Some(Event::TurnComplete { status, usage, .. }) => {
                        ending.status = Some(status);
                        ending.usage = usage;
                        return ending;
                    }
                    Some(event) => self.on_child_event(event, subagent, session, &mut ending, &progress),
                },
                _ = cancel.cancelled(), if stop_by.is_none() => {
                    ending.cancelled = true;
                    let _ = session.ops.send(Op::Interrupt);
                    stop_by = Some(tokio::time::Instant::now() + STOP_GRACE);
                }
                _ = tokio::time::sleep_until(deadline), if stop_by.is_none() => {
                    ending.timed_out = true;
                    progress("out of time: stopping".to_string());
                    let _ = session.ops.send(Op::Interrupt);
                    stop_by = Some(tokio::time::Instant::now() + STOP_GRACE);
                }
                _ = tokio::time::sleep_until(stop_by.unwrap_or(deadline)), if stop_by.is_some() => {
                    ending.error.get_or_insert_with(|| "the subagent did not stop in time".to_string());
                    return ending;
                }
            }
        }
    }

    fn on_child_event(
        &self,
        event: Event,
        subagent: &SubagentRef,
        session: &crate::core::SessionHandle,
        ending: &mut Ending,
        progress: &dyn Fn(String),
    ) {
        match event {
            // Each request starts a new reply: the answer is the last one's text.
            Event::RouteChosen { .. } => ending.text.clear(),
            Event::TextDelta { text } => ending.text.push_str(&text),
            Event::ToolCallBegin { name, .. } => progress(format!("running {name}")),
            Event::Error { message, .. } => ending.error = Some(message),
            Event::ApprovalRequest {
                call_id,
                tool,
                preview,
                prefix,
                subagent: asked_by,
            } => {
                let relayed = format!("{}{call_id}", relay_prefix(subagent.conversation_id));
                self.hub
                    .expect_answer(relayed.clone(), session.ops.clone(), call_id);
                progress(format!("waiting for approval: {tool}"));
                self.relay(Event::ApprovalRequest {
                    call_id: relayed,
                    tool,
                    preview,
                    prefix,
                    // A grandchild's question names the grandchild.
                    subagent: asked_by.or_else(|| Some(subagent.clone())),
                });
            }
            // Grandchildren, shown by the parent's front ends under their depth.
            event @ (Event::SubagentStarted { .. }
            | Event::SubagentProgress { .. }
            | Event::SubagentFinished { .. }) => self.relay(event),
            _ => {}
        }
    }

    async fn make_worktree(
        &self,
        child: ConversationId,
    ) -> Result<crate::git::worktree::Worktree, String> {
        let root = self.deps.worktrees_dir().ok_or_else(|| {
            "worktrees are kept beside the database, and this one is in memory".to_string()
        })?;
        let workspace = self.deps.workspace.clone();
        tokio::task::spawn_blocking(move || {
            crate::git::worktree::create(&workspace, &root, child).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("the worktree task failed: {e}"))?
    }

    /// The child's conversation row (titled with the description), its link to this call and
    /// its worktree, before it runs: a crash mid-run still leaves it findable.
    async fn record(
        &self,
        child: ConversationId,
        call_id: &str,
        depth: u32,
        request: &TaskRequest,
        agent: &str,
        worktree: Option<&crate::git::worktree::Worktree>,
    ) -> Result<(), crate::store::StoreError> {
        let store = &self.deps.store;
        store
            .create_conversation_with_id(child, agent, None)
            .await?;
        store.set_title(child, &request.description).await?;
        store
            .link_subagent(NewLink {
                child,
                parent: self.conversation,
                call_id: call_id.to_string(),
                depth,
                description: request.description.clone(),
            })
            .await?;
        if let Some(w) = worktree {
            store
                .set_conversation_workspace(ConversationWorkspace {
                    conversation_id: child,
                    workspace: w.path.clone(),
                    repository: w.repository.clone(),
                    branch: w.branch.clone(),
                    base_commit: w.base_commit.clone(),
                })
                .await?;
        }
        Ok(())
    }
}

/// What relayed approval ids of `child` start with (unique among a parent's children).
fn relay_prefix(child: ConversationId) -> String {
    format!("{}:", child.0.simple())
}

/// The tool result the parent's model reads.
fn result(
    ending: &Ending,
    limits: &crate::config::SubagentsConfig,
    child: ConversationId,
    worktree: Option<&crate::git::worktree::Worktree>,
) -> ToolOutput {
    let text = ending.text.trim();
    let last = if text.is_empty() {
        String::new()
    } else {
        format!(" Its last reply:\n{text}")
    };
    let mut output = if ending.timed_out {
        ToolOutput::error(format!(
            "the subagent ran out of time (subagents.timeout_secs = {}) and was stopped.{last}",
            limits.timeout_secs
        ))
    } else if ending.cancelled {
        ToolOutput::error("Interrupted by the user while the subagent ran.")
    } else {
        match ending.status {
            Some(MessageStatus::Complete) if text.is_empty() => {
                ToolOutput::ok("(the subagent finished without a final answer)")
            }
            Some(MessageStatus::Complete) => ToolOutput::ok(text),
            Some(MessageStatus::Incomplete)
                if ending
                    .error
                    .as_deref()
                    .is_some_and(|e| e.contains("max_steps")) =>
            {
                ToolOutput::error(format!(
                    "the subagent reached its step limit (subagents.max_steps = {}) before finishing.{last}",
                    limits.max_steps
                ))
            }
            _ => ToolOutput::error(format!(
                "the subagent failed: {}.{last}",
                ending
                    .error
                    .as_deref()
                    .unwrap_or("its turn did not complete")
            )),
        }
    };
    if let Some(w) = worktree {
        output.content.push_str(&format!(
            "\n\n[subagent {child} worked in the git worktree {} on branch {} (kept for review; merge it with `git merge {}`)]",
            w.path.display(),
            w.branch,
            w.branch
        ));
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ending(status: MessageStatus, text: &str, error: Option<&str>) -> Ending {
        Ending {
            status: Some(status),
            text: text.into(),
            error: error.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn a_childs_end_becomes_a_clear_result() {
        let limits = crate::config::SubagentsConfig::default();
        let id = ConversationId::new();
        let step = "stopped after 30 model calls in one turn (session.max_steps); send another message to continue";
        let cases = [
            (ending(MessageStatus::Complete, " 42 \n", None), false, "42"),
            (
                ending(MessageStatus::Complete, "", None),
                false,
                "(the subagent finished without a final answer)",
            ),
            (
                ending(MessageStatus::Incomplete, "half", Some(step)),
                true,
                "the subagent reached its step limit (subagents.max_steps = 30) before finishing. Its last reply:\nhalf",
            ),
            (
                ending(MessageStatus::Error, "", Some("HTTP 500 from fake")),
                true,
                "the subagent failed: HTTP 500 from fake.",
            ),
            (
                Ending {
                    timed_out: true,
                    text: "so far".into(),
                    ..Default::default()
                },
                true,
                "the subagent ran out of time (subagents.timeout_secs = 900) and was stopped. Its last reply:\nso far",
            ),
        ];
        for (ending, is_error, content) in cases {
            let out = result(&ending, &limits, id, None);
            assert_eq!((out.is_error, out.content.as_str()), (is_error, content));
        }
    }
}
