//! The session actor: one task per front end, owning the current conversation. It takes `Op`s,
//! feeds the pure turn machine, performs the machine's effects (store writes, provider streams,
//! tool runs, approval requests) and emits `Event`s. The UI never waits on it: every slow thing
//! (SQLite, HTTP, Docker, files) happens here or on tasks it spawns.

use super::context::{self, request_history};
use super::live::{Inbound, LiveSessions, SessionRef, SubscriberId, Subscribers, SwitchAnswer};
use super::machine::{Candidate, Effect, FinishedReply, Input, Permissions, TurnMachine};
use super::setup::{CoreDeps, CoreError};
use crate::agents::Agent;
use crate::agents::prompt::{WorkspaceFacts, build_system_prompt};
use crate::message::{ConversationId, MessageId, MessageStatus, ModelRef, Role};
use crate::protocol::{ApprovalMode, Event, Op};
use crate::providers::{ChatMessage, ChatRequest, ProviderError, ProviderEvent, ProviderStream};
use crate::router::classify::Category;
use crate::router::rules::{Pin, PinSource, RouteInput};
use crate::sandbox::Sandbox;
use crate::store::NewMessage;
use crate::store::messages::Finish;
use crate::tools::{ApprovalPolicy, ApprovalPreview, ToolContext, ToolOutput, ToolRegistry};
use futures::StreamExt;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use sync_wrapper::SyncWrapper;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

mod checkpointing;
mod compact;
mod diff;
mod effects;
mod extensions;
mod history;
mod ledger;
mod memory;
mod queries;
mod start;
mod switch;
mod tools;
mod turn;

pub(in crate::core) use start::start_session;
pub use start::{SessionHandle, SessionOptions, SessionStart};

use effects::{compaction_done, live_chunk, next_item, tool_done};

/// How long after the first history page the whole conversation is read.
const PRELOAD_AFTER: Duration = Duration::from_millis(300);

/// How often a streaming reply's text is saved, so a crash loses at most this much.
const SAVE_EVERY: Duration = Duration::from_millis(300);

struct RunningTool {
    call_id: String,
    handle: JoinHandle<ToolOutput>,
    cancel: CancellationToken,
}

/// What the running turn holds (all empty between turns).
#[derive(Default)]
struct TurnState {
    machine: Option<TurnMachine>,
    /// `SyncWrapper`: the stream is only touched through `&mut`, which keeps `Session: Sync`.
    stream: Option<SyncWrapper<ProviderStream>>,
    stream_model: Option<ModelRef>,
    assistant: Option<MessageId>,
    saved_len: usize,
    tool: Option<RunningTool>,
    /// Calls running beside `tool` (a reply's `task` calls, see `machine/batch.rs`).
    beside: Vec<RunningTool>,
    live: Option<mpsc::Receiver<String>>,
    /// The turn's checkpoint of the workspace (session/checkpointing.rs).
    checkpoint: Option<crate::checkpoint::TurnCheckpoint>,
    /// A summary being written (in a turn, or for `/compact`).
    compaction: Option<JoinHandle<compact::CompactionDone>>,
    /// Memories recalled for this turn, as the quoted block its requests' system prompt ends
    /// with (session/memory.rs).
    recalled_context: Option<String>,
    /// The agent and model to put back when this turn ends (`Op::UserTurnAs`).
    restore: Option<(Agent, Option<Pin>)>,
}

struct Session {
    deps: Arc<CoreDeps>,
    /// This session's inbox, as the live map holds it.
    me: SessionRef,
    open_sessions: Arc<LiveSessions>,
    /// The front ends hearing this session; it ends when the last one leaves.
    subscribers: Subscribers,
    /// The front end whose `Op` is being handled: answers to questions and refusals go to it
    /// alone, what a turn does goes to every front end.
    asker: Option<SubscriberId>,
    /// The conversation's row exists once this is set.
    conversation: Option<ConversationId>,
    /// The id a new conversation will get when its first message is stored.
    pending_id: ConversationId,
    /// `history` has not been read from the store since the conversation was opened.
    history_stale: bool,
    /// When to read it in the background.
    preload_at: Option<tokio::time::Instant>,
    /// Stored messages of the conversation (what the front end pages through).
    stored_count: usize,
    /// Store writes kept while the store could not take them (disk full), retried first.
    pending: super::pending::PendingWrites,
    /// Why the latest kept write failed (said once, until the writes go through).
    unsaved_reason: Option<String>,
    cost_total: f64,
    /// The model of the latest request, for the context window shown.
    last_model: Option<ModelRef>,
    agent: Agent,
    tools: ToolRegistry,
    pin: Option<Pin>,
    /// The approval mode from `--approve`, which beats the agent's.
    approval_flag: Option<ApprovalMode>,
    permissions: Permissions,
    history: Vec<ChatMessage>,
    /// Input tokens the provider reported for the last request, and the estimate of what was
    /// added to the history since.
    last_input_tokens: Option<u64>,
    added_since: u64,
    previous_category: Option<Category>,
    sandbox: Option<Arc<dyn Sandbox>>,
    /// What the model has read or written of each file in this conversation.
    seen: Arc<crate::tools::seen::SeenFiles>,
    turn: TurnState,
    ledger: ledger::LedgerState,
    /// This session's children (`task`): places, relayed approvals, their tokens.
    subagents: super::subagents::Hub,
    /// MCP status changes and hook reports on their way to the front ends.
    ext: extensions::Extensions,
    /// The model `[git] attribution` names in commits made by this session's tools.
    attribution_model: super::attribution::CurrentModel,
}

impl Session {
    fn new(
        deps: Arc<CoreDeps>,
        open_sessions: Arc<LiveSessions>,
        me: SessionRef,
        options: &SessionOptions,
    ) -> Result<Self, CoreError> {
        let agent_name = options
            .agent
            .clone()
            .unwrap_or_else(|| deps.config.default_agent.clone());
        let agent = deps
            .agents
            .resolve(&agent_name)
            .map_err(|e| CoreError::Start(e.to_string()))?
            .clone();
        let tools = tools::session_tools(&deps, &agent).map_err(CoreError::Start)?;
        let pin = match &options.model {
            Some(m) => Some(check_pin(&deps, m, PinSource::Flag)?),
            None => None,
        };
        let permissions =
            permissions_for(&deps, &agent, &tools, options.approval, options.headless);
        let subagents = super::subagents::Hub::new(deps.config.subagents.max_concurrent);
        Ok(Self {
            deps,
            me,
            open_sessions,
            subscribers: Subscribers::default(),
            asker: None,
            conversation: None,
            pending_id: ConversationId::new(),
            history_stale: false,
            preload_at: None,
            stored_count: 0,
            pending: Default::default(),
            unsaved_reason: None,
            cost_total: 0.0,
            last_model: None,
            agent,
            tools,
            pin,
            approval_flag: options.approval,
            permissions,
            history: Vec::new(),
            last_input_tokens: None,
            added_since: 0,
            previous_category: None,
            sandbox: None,
            seen: Arc::default(),
            turn: TurnState::default(),
            ledger: Default::default(),
            subagents,
            ext: Default::default(),
            attribution_model: Default::default(),
        })
    }

    fn emit(&self, event: Event) {
        self.subscribers.broadcast(event);
    }

    /// To the front end that asked (or to all, outside an `Op`).
    fn reply(&self, event: Event) {
        match self.asker {
            Some(id) => self.subscribers.send_to(id, event),
            None => self.emit(event),
        }
    }

    /// Mark the conversation as open here (see `LiveSessions`).
    fn claim(&self, id: ConversationId) -> Result<(), CoreError> {
        self.open_sessions.claim(id, &self.me).map_err(|_| {
            CoreError::Start(format!(
                "conversation {id} is already open in another session of this process"
            ))
        })
    }

    fn release(&self) {
        if let Some(id) = self.conversation {
            self.open_sessions.release(id, self.me.key);
        }
    }

    fn announce(&self) {
        self.emit(Event::SessionConfigured {
            conversation_id: self.conversation.unwrap_or(self.pending_id),
            agent: self.agent.name.clone(),
            model: self.pin.as_ref().map(|p| p.model.clone()),
            message_count: self.stored_count,
        });
        self.emit(super::model_list::pin_event(self.pin.as_ref()));
        self.emit_stats();
    }

    /// Open a stored conversation: its agent and pinned model (unless flags say otherwise) and
    /// the exact request history.
    async fn load(
        &mut self,
        id: ConversationId,
        options: &SessionOptions,
    ) -> Result<(), CoreError> {
        let summary = self.deps.store.conversation(id).await?;
        if options.agent.is_none() && summary.agent != self.agent.name {
            if let Ok(agent) = self.deps.agents.resolve(&summary.agent) {
                self.set_agent(agent.clone());
            }
        }
        if options.model.is_none() {
            self.pin = summary
                .model
                .as_deref()
                .and_then(|m| check_pin(&self.deps, m, PinSource::Command).ok());
        }
        // The request history is read when first needed (the next message, the first history
        // page a front end asks for, compaction), so opening a long conversation shows its
        // last page at once instead of waiting for every row.
        self.history.clear();
        self.history_stale = true;
        self.stored_count = usize::try_from(summary.message_count).unwrap_or(usize::MAX);
        self.last_input_tokens = None;
        self.added_since = 0;
        if self.conversation != Some(id) {
            self.claim(id)?;
            self.release();
        }
        self.conversation = Some(id);
        Ok(())
    }

    fn set_agent(&mut self, agent: Agent) {
        self.tools =
            tools::session_tools(&self.deps, &agent).unwrap_or_else(|_| self.deps.tools.clone());
        let always = std::mem::take(&mut self.permissions.policy.session_rules);
        self.permissions = permissions_for(
            &self.deps,
            &agent,
            &self.tools,
            self.approval_flag,
            self.permissions.headless,
        );
        self.permissions.policy.session_rules = always;
        self.agent = agent;
    }

    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<Inbound>) {
        let mut save_tick = tokio::time::interval(SAVE_EVERY);
        save_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !self.subscribers.is_empty() {
            tokio::select! {
                inbound = inbox.recv() => match inbound {
                    None => break,
                    Some(inbound) => self.on_inbound(inbound).await,
                },
                item = next_item(&mut self.turn.stream) => self.on_stream_item(item).await,
                done = tool_done(&mut self.turn.tool) => {
                    self.turn.tool = None;
                    self.turn.live = None;
                    self.feed(done).await;
                }
                done = effects::beside_done(&mut self.turn.beside) => self.feed(done).await,
                Some(chunk) = live_chunk(&mut self.turn.live) => {
                    if let Some(t) = &self.turn.tool {
                        self.emit(Event::ToolOutputDelta { id: t.call_id.clone(), chunk });
                    }
                }
                done = compaction_done(&mut self.turn.compaction) => self.finish_compaction(done).await,
                event = extensions::next_extension_event(&mut self.ext) => self.emit(event),
                _ = save_tick.tick(), if self.turn.assistant.is_some() => self.save_partial().await,
                _ = tokio::time::sleep_until(self.preload_at.unwrap_or_else(tokio::time::Instant::now)), if self.preload_at.is_some() => {
                    self.preload_at = None;
                    if self.history_stale {
                        self.ensure_history().await;
                        self.emit_stats();
                    }
                }
            }
        }
        if self.turn.machine.is_some() {
            self.feed(Input::Interrupt).await;
        }
        self.cancel_compaction();
        if !self.pending.is_empty() {
            // The last chance to keep what the disk could not take.
            if let Err(e) = self.pending.flush(&self.deps.store).await {
                tracing::error!(
                    "{} message(s) could not be saved before the session ended: {e}",
                    self.pending.len()
                );
            }
        }
        if let Err(e) = self.deps.store.sync_deferred().await {
            tracing::error!("{e}");
        }
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.shutdown().await;
        }
        self.release();
    }

    async fn on_op(&mut self, op: Op) {
        match op {
            Op::UserTurn { text } => self.start_turn(text).await,
            Op::UserTurnAs { text, agent, model } => self.start_turn_as(text, agent, model).await,
            Op::Interrupt => {
                if self.turn.machine.is_some() {
                    self.feed(Input::Interrupt).await;
                } else if self.turn.compaction.is_some() {
                    self.cancel_compaction();
                    self.emit(Event::Notice {
                        message: "compaction interrupted: the conversation is sent whole"
                            .to_string(),
                    });
                }
            }
            Op::Approve { call_id, decision } => {
                // A subagent's question goes back to the child that asked.
                if !self.subagents.relay_answer(&call_id, &decision) {
                    self.feed(Input::ApprovalAnswered { call_id, decision })
                        .await;
                }
            }
            Op::SetModel { model } => self.set_model(model).await,
            Op::SetAgent { agent } => match self.deps.agents.resolve(&agent) {
                Ok(a) => {
                    self.set_agent(a.clone());
                    self.save_settings().await;
                    self.emit_settings();
                }
                Err(e) => self.error(e.to_string()),
            },
            Op::NewConversation => self.new_conversation().await,
            Op::Resume { conversation_id } => self.resume(conversation_id).await,
            Op::ResumePrefix { prefix } => match self.deps.store.resolve(&prefix).await {
                Ok(id) => self.resume(id).await,
                Err(e) => self.error(format!("/resume {prefix}: {e}")),
            },
            Op::Compact => self.compact_now(),
            Op::SetTitle { title } => match self.conversation {
                Some(id) => match self.deps.store.set_title(id, &title).await {
                    Ok(()) => self.reply(Event::Notice {
                        message: format!("title set: {title}"),
                    }),
                    Err(e) => self.error(e.to_string()),
                },
                None => self.error("nothing to title yet: send a message first".to_string()),
            },
            Op::ListConversations {
                query,
                offset,
                limit,
                include_deleted,
            } => {
                self.list_conversations(query, offset, limit, include_deleted)
                    .await
            }
            Op::DeleteConversation { conversation_id } => {
                self.set_deleted(conversation_id, true).await
            }
            Op::RestoreConversation { conversation_id } => {
                self.set_deleted(conversation_id, false).await
            }
            Op::LoadHistory { before, limit } => {
                self.history_page(before, limit).await;
                // Read the rest for the next request a little later, so the front end draws
                // the page first (the next message reads it at once if it comes sooner).
                if self.history_stale && self.preload_at.is_none() {
                    self.preload_at = Some(tokio::time::Instant::now() + PRELOAD_AFTER);
                }
            }
            Op::LoadPromptHistory { limit } => self.prompt_history(limit).await,
            Op::Export { format, path } => self.export(format, path).await,
            Op::ListPermissions => self.list_permissions(),
            Op::Cost => self.cost_summary().await,
            Op::ListModels => super::model_list::answer(
                Arc::clone(&self.deps),
                self.subscribers.senders(self.asker),
            ),
            Op::Diff => self.workspace_diff().await,
            Op::Undo { .. } | Op::Rewind { .. } | Op::Fork { .. } => self.checkpoint_op(op).await,
            Op::Remember { text } => self.remember(text).await,
            Op::SearchMemory { query } => self.show_memory(query).await,
            Op::ListMcpServers => self.list_mcp_servers(),
            Op::Shutdown => {}
        }
    }

    /// `/compact`: summarise now, as a task (Esc stops it).
    fn compact_now(&mut self) {
        if self.busy() {
            return;
        }
        let model = match self.compaction_model() {
            Ok(m) => m,
            Err(e) => return self.error(e),
        };
        self.emit(Event::RouteChosen {
            model: model.to_string(),
            reason: "compaction summary".to_string(),
        });
        self.start_compaction(model);
    }

    fn busy(&self) -> bool {
        if self.turn.machine.is_some() {
            self.error("a turn is running: interrupt it first (Esc)".to_string());
            true
        } else if self.turn.compaction.is_some() {
            self.error(
                "the conversation is being compacted: wait, or interrupt it (Esc)".to_string(),
            );
            true
        } else {
            false
        }
    }

    /// A user turn that cannot start: say why and end it, so a front end waiting for the
    /// turn's end is not left hanging.
    fn refuse(&self, message: String) {
        self.error(message);
        self.reply(Event::TurnComplete {
            conversation_id: self.conversation.unwrap_or(self.pending_id),
            status: MessageStatus::Error,
            usage: Default::default(),
            unsaved: 0,
        });
    }

    fn error(&self, message: String) {
        self.reply(Event::Error {
            message,
            retryable: false,
        });
    }

    fn emit_settings(&self) {
        self.emit(Event::SettingsChanged {
            agent: self.agent.name.clone(),
            model: self.pin.as_ref().map(|p| p.model.clone()),
        });
        self.emit(super::model_list::pin_event(self.pin.as_ref()));
    }

    async fn save_settings(&self) {
        if let Some(id) = self.conversation {
            let model = self
                .pin
                .as_ref()
                .filter(|p| !p.is_auto())
                .map(|p| p.model.clone());
            if let Err(e) = self
                .deps
                .store
                .set_settings(id, &self.agent.name, model.as_deref())
                .await
            {
                self.error(e.to_string());
            }
        }
    }

    async fn set_model(&mut self, model: Option<String>) {
        let model = model.filter(|m| !m.trim().is_empty() && m.trim() != "auto");
        match (model, super::model_list::auto_fallback(&self.deps.config)) {
            (None, None) => self.pin = Some(Pin::new("auto", PinSource::Command)),
            (None, Some(fallback)) => {
                self.emit(Event::Notice {
                    message: format!(
                        "no routing is configured ([router] has no rules and no default): auto uses default_model {fallback}"
                    ),
                });
                self.pin = Some(Pin::new(fallback, PinSource::ConfigDefault));
            }
            (Some(m), _) => match check_pin(&self.deps, &m, PinSource::Command) {
                Ok(pin) => self.pin = Some(pin),
                Err(e) => return self.error(e.to_string()),
            },
        }
        self.save_settings().await;
        self.emit_settings();
    }

    async fn ensure_conversation(&mut self) -> Result<ConversationId, String> {
        if let Some(id) = self.conversation {
            return Ok(id);
        }
        let model = self
            .pin
            .as_ref()
            .filter(|p| !p.is_auto())
            .map(|p| p.model.clone());
        let created = self
            .deps
            .store
            .create_conversation_with_id(self.pending_id, &self.agent.name, model.as_deref())
            .await
            .map_err(|e| e.to_string())?;
        self.conversation = Some(created.id);
        // A fresh id: no other session can hold it.
        let _ = self.claim(created.id);
        Ok(created.id)
    }
}

fn check_pin(deps: &CoreDeps, model: &str, source: PinSource) -> Result<Pin, CoreError> {
    let pin = Pin::new(model.trim(), source);
    if !pin.is_auto() {
        crate::config::resolve_model_ref(&deps.config, &pin.model).map_err(CoreError::Start)?;
    }
    Ok(pin)
}

fn permissions_for(
    deps: &CoreDeps,
    agent: &Agent,
    tools: &ToolRegistry,
    flag: Option<ApprovalMode>,
    headless: bool,
) -> Permissions {
    let mode = flag.or(agent.approval).unwrap_or(deps.config.approval.mode);
    let needs: Vec<String> = tools
        .names()
        .into_iter()
        .filter(|n| tools.get(n).is_some_and(|t| t.needs_approval()))
        .map(str::to_string)
        .collect();
    let policy = ApprovalPolicy::with_rules(mode, deps.permissions.clone(), deps.locations.clone());
    Permissions::with_policy(policy, needs, headless)
}
