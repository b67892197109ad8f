//! How the session performs the turn machine's effects: store writes, starting and reading
//! provider streams, running tools, saving partial replies, finishing replies. (A child module
//! of `session`, working on the session's state.)

use super::*;
use crate::core::pending::{PendingWrite, WriteOutcome};

impl Session {
    pub(super) async fn perform(&mut self, effect: Effect) -> Option<Input> {
        match effect {
            Effect::Emit(event) => self.emit(event),
            Effect::PersistUser { text } => {
                let id = self.conversation?;
                let stored = self
                    .store_append(
                        NewMessage::new(id, Role::User, text.clone()),
                        "your message",
                    )
                    .await;
                self.begin_checkpoint(id, stored.map(|m| m.id)).await;
                if let Err(e) = self.deps.store.add_prompt(&text).await {
                    tracing::warn!("prompt history: {e}");
                }
                self.push_history(ChatMessage::user(text));
            }
            Effect::StartStream { model, .. } => {
                self.sync_mcp_tools().await;
                return self.start_stream(model);
            }
            Effect::CancelStream => {
                self.turn.stream = None;
                self.ledger_on_cancel().await;
            }
            Effect::Compact { model } => self.start_compaction(model),
            Effect::CancelCompaction => self.cancel_compaction(),
            Effect::BeginAssistant { model, reason } => self.begin_assistant(model, reason).await,
            Effect::FinishAssistant(reply) => self.finish_reply(reply).await,
            Effect::AskApproval { call, prefix } => return self.ask_approval(call, prefix),
            Effect::RunTool { call } => return self.run_tool(call),
            Effect::CancelTool => {
                for t in self
                    .turn
                    .tool
                    .take()
                    .into_iter()
                    .chain(self.turn.beside.drain(..))
                {
                    t.cancel.cancel();
                    // Dropping the exec future kills the process group (and a subagent's
                    // session, which interrupts its own turn).
                    t.handle.abort();
                }
                self.turn.live = None;
            }
            Effect::PersistToolResult {
                call_id,
                content,
                is_error,
            } => {
                let id = self.conversation?;
                let mut m = NewMessage::new(id, Role::Tool, content.clone());
                m.tool_call_id = Some(call_id.clone());
                m.is_error = is_error;
                m.agent = Some(self.agent.name.clone());
                self.store_append(m, "a tool result").await;
                self.push_history(ChatMessage::tool_result(call_id, content, is_error));
            }
            Effect::TurnDone { status, usage } => self.turn_done(status, usage).await,
        }
        None
    }

    async fn begin_assistant(&mut self, model: ModelRef, reason: String) {
        let Some(id) = self.conversation else {
            return;
        };
        let mut m = NewMessage::new(id, Role::Assistant, "");
        m.status = MessageStatus::Streaming;
        m.provider = Some(model.provider.clone());
        m.model = Some(model.to_string());
        m.agent = Some(self.agent.name.clone());
        m.route_reason = Some(reason);
        // The streaming stub is not kept when the store cannot take it: the finished
        // reply is then written whole (see `finish_reply`).
        match self
            .pending
            .write(&self.deps.store, PendingWrite::Append(m), false)
            .await
        {
            WriteOutcome::Written(Some(stored)) => {
                self.stored_count += 1;
                self.turn.assistant = Some(stored.id);
                self.turn.saved_len = 0;
            }
            WriteOutcome::Written(None) => {}
            WriteOutcome::Kept(e) | WriteOutcome::Failed(e) => {
                tracing::warn!("the reply's stub was not saved: {e}");
            }
        }
    }

    fn ask_approval(
        &mut self,
        call: crate::message::ToolCall,
        prefix: Option<String>,
    ) -> Option<Input> {
        let ctx = match self.tool_context(None, CancellationToken::new()) {
            Ok(ctx) => ctx,
            Err(e) => {
                return Some(Input::ToolFinished {
                    call_id: call.id,
                    content: e,
                    is_error: true,
                });
            }
        };
        match self.tools.preview(&call, &ctx) {
            Ok(preview) => self.emit(Event::ApprovalRequest {
                call_id: call.id,
                tool: call.name,
                preview: match preview {
                    ApprovalPreview::Command(c) => c,
                    ApprovalPreview::Diff { path, diff } => format!("{path}\n{diff}"),
                },
                prefix,
                subagent: None,
            }),
            Err(e) => {
                return Some(Input::ToolFinished {
                    call_id: call.id,
                    content: e,
                    is_error: true,
                });
            }
        }
        None
    }

    fn run_tool(&mut self, call: crate::message::ToolCall) -> Option<Input> {
        let cancel = CancellationToken::new();
        let (live_tx, live_rx) = mpsc::channel(256);
        let ctx = match self.tool_context(Some(live_tx), cancel.clone()) {
            Ok(ctx) => ctx,
            Err(e) => {
                return Some(Input::ToolFinished {
                    call_id: call.id,
                    content: e,
                    is_error: true,
                });
            }
        };
        let mut ctx = ctx;
        if let Some(service) = ctx.services.subagents.as_mut() {
            service.call_id = call.id.clone();
        }
        let tools = self.tools.clone();
        let call_id = call.id.clone();
        let hooks = self.tool_hooks();
        let handle = tokio::spawn(hooks.around(call, tools, ctx));
        let running = RunningTool {
            call_id,
            handle,
            cancel,
        };
        if self.turn.tool.is_some() {
            // A call of a batch that runs side by side (no live output: only `task` does this).
            self.turn.beside.push(running);
        } else {
            self.turn.tool = Some(running);
            self.turn.live = Some(live_rx);
        }
        None
    }

    async fn turn_done(&mut self, status: MessageStatus, mut usage: crate::message::Usage) {
        // The children's tokens count toward this turn.
        usage.add(&self.subagents.take_usage());
        self.after_turn(status).await;
        if let Some(id) = self.conversation {
            if let Err(e) = self.deps.store.release_turn(id).await {
                tracing::warn!("turn lease: {e}");
            }
        }
        // Usually the reply's finish already synced the turn's rows; an interrupted turn's
        // are synced here.
        if let Err(e) = self.deps.store.sync_deferred().await {
            tracing::error!("{e}");
            self.error(e.to_string());
        }
        if let Some(machine) = self.turn.machine.take() {
            self.permissions = machine.into_permissions();
        }
        self.restore_settings();
        self.turn.stream = None;
        self.turn.assistant = None;
        self.turn.checkpoint = None;
        self.turn.recalled_context = None;
        self.emit_stats();
        let unsaved = self.pending.len();
        if unsaved == 0 {
            self.unsaved_reason = None;
        }
        let status = if unsaved > 0 {
            self.error(format!(
                "{unsaved} message(s) of this conversation are not saved yet: {}; they are kept in memory and saved with the next write (free some space and send another message; quitting now loses them)",
                self.unsaved_reason.as_deref().unwrap_or("the database could not be written")
            ));
            MessageStatus::Error
        } else {
            status
        };
        self.emit(Event::TurnComplete {
            conversation_id: self.conversation.unwrap_or(self.pending_id),
            status,
            usage,
            unsaved,
        });
    }

    pub(super) fn push_history(&mut self, message: ChatMessage) {
        self.added_since += context::estimate_message(&message);
        self.history.push(message);
    }

    pub(super) fn tool_context(
        &mut self,
        live: Option<mpsc::Sender<String>>,
        cancel: CancellationToken,
    ) -> Result<ToolContext, String> {
        let sandbox = match &self.sandbox {
            Some(s) => s.clone(),
            None => {
                let id = self.conversation.unwrap_or_default();
                let mut s = (self.deps.sandbox)(id).map_err(|e| e.to_string())?;
                if self.deps.config.git.attribution {
                    s = crate::core::attribution::wrap(s, self.attribution_model.clone());
                }
                self.sandbox = Some(s.clone());
                s
            }
        };
        if let (Some(model), Ok(mut named)) = (&self.last_model, self.attribution_model.lock()) {
            *named = model.to_string();
        }
        Ok(ToolContext {
            sandbox,
            live_output: live,
            cancel,
            default_timeout: Duration::from_secs(self.deps.config.sandbox.timeout_secs),
            seen: self.seen.clone(),
            checkpoint: self.turn.checkpoint.clone(),
            read_denials: crate::permissions::ReadDenials::from_rules(&self.deps.permissions),
            services: self.tool_services(),
        })
    }

    pub(super) fn system_prompt(&self) -> String {
        build_system_prompt(
            &self.agent,
            self.deps.instructions.as_ref(),
            &WorkspaceFacts::now(&self.deps.workspace),
        )
    }

    pub(super) fn start_stream(&mut self, model: ModelRef) -> Option<Input> {
        let Some(provider) = self.deps.providers.get(&model.provider).cloned() else {
            return Some(Input::StreamFailed(ProviderError::ModelNotFound {
                provider: model.provider.clone(),
                message: format!("provider `{}` is not configured", model.provider),
            }));
        };
        let mut system = self.system_prompt();
        if let Some(recalled) = &self.turn.recalled_context {
            system.push_str(recalled);
        }
        let tools = self.tools.specs();
        let window = self.deps.context_window(&model);
        let request = ChatRequest {
            model: model.model.clone(),
            system: Some(system),
            messages: self.history.clone(),
            tools,
            max_tokens: None,
            temperature: None,
            context_window: u32::try_from(window).ok(),
        };
        // An interrupted reply whose usage never arrives reports this as its input.
        let estimate = self.estimate(request.system.as_deref().unwrap_or(""), &request.tools);
        if let Some(machine) = self.turn.machine.as_mut() {
            machine.set_request_estimate(estimate);
        }
        self.turn.stream = Some(SyncWrapper::new(provider.stream(request)));
        self.last_model = Some(model.clone());
        self.turn.stream_model = Some(model);
        None
    }

    pub(super) fn estimate(&self, system: &str, tools: &[crate::providers::ToolSpec]) -> u64 {
        let estimate = context::estimate_request(Some(system), &self.history, tools);
        match self.last_input_tokens {
            Some(reported) => estimate.max(reported + self.added_since),
            None => estimate,
        }
    }

    pub(super) async fn on_stream_item(
        &mut self,
        item: Option<Result<ProviderEvent, ProviderError>>,
    ) {
        self.ledger_on_stream(&item).await;
        let input = match item {
            Some(Ok(event)) => {
                match &event {
                    ProviderEvent::Done { .. } => self.turn.stream = None,
                    ProviderEvent::Usage(u) => {
                        self.last_input_tokens = Some(u.prompt_tokens());
                        self.added_since = 0;
                    }
                    _ => {}
                }
                Input::Provider(event)
            }
            Some(Err(e)) => {
                self.turn.stream = None;
                Input::StreamFailed(e)
            }
            None => {
                self.turn.stream = None;
                Input::StreamFailed(ProviderError::StreamIncomplete {
                    provider: self
                        .turn
                        .stream_model
                        .as_ref()
                        .map(|m| m.provider.clone())
                        .unwrap_or_default(),
                })
            }
        };
        self.feed(input).await;
    }

    pub(super) async fn save_partial(&mut self) {
        let (Some(id), Some(machine)) = (self.turn.assistant, self.turn.machine.as_ref()) else {
            return;
        };
        let (text, reasoning) = machine.partial();
        let len = text.len() + reasoning.len();
        if len == self.turn.saved_len {
            return;
        }
        self.turn.saved_len = len;
        let reasoning = (!reasoning.is_empty()).then(|| reasoning.to_string());
        if let Err(e) = self
            .deps
            .store
            .update_streaming(id, text.to_string(), reasoning)
            .await
        {
            tracing::warn!("saving partial reply: {e}");
        }
    }

    pub(super) async fn finish_reply(&mut self, reply: FinishedReply) {
        let Some(conversation) = self.conversation else {
            return;
        };
        // An estimate (an interrupted reply) is not priced: the ledger has no row for it.
        let cost = if reply.usage.estimated {
            None
        } else {
            self.deps.cost(&reply.model, &reply.usage)
        };
        self.cost_total += cost.unwrap_or(0.0);
        let stored_id = match self.turn.assistant.take() {
            Some(id) => {
                let finish = Finish {
                    content: reply.text.clone(),
                    reasoning: reply.reasoning.clone(),
                    tool_calls: reply.tool_calls.clone(),
                    status: Some(reply.status),
                    usage: Some(reply.usage),
                    cost_usd: cost,
                    model: Some(reply.model.to_string()),
                    provider: Some(reply.model.provider.clone()),
                    route_reason: Some(reply.reason.clone()),
                };
                match self
                    .pending
                    .write(&self.deps.store, PendingWrite::Finish(id, finish), true)
                    .await
                {
                    WriteOutcome::Written(_) => Some(id),
                    WriteOutcome::Kept(e) => {
                        self.note_unsaved("the reply", &e);
                        None
                    }
                    WriteOutcome::Failed(e) => {
                        self.error(format!("could not save the reply: {e}"));
                        None
                    }
                }
            }
            None => {
                if reply.text.is_empty()
                    && reply.tool_calls.is_empty()
                    && reply.status == MessageStatus::Cancelled
                {
                    None
                } else {
                    let mut m = NewMessage::new(conversation, Role::Assistant, reply.text.clone());
                    m.reasoning = reply.reasoning.clone();
                    m.tool_calls = reply.tool_calls.clone();
                    m.status = reply.status;
                    m.model = Some(reply.model.to_string());
                    m.provider = Some(reply.model.provider.clone());
                    m.agent = Some(self.agent.name.clone());
                    m.route_reason = Some(reply.reason.clone());
                    m.usage = Some(reply.usage);
                    m.cost_usd = cost;
                    self.store_append(m, "the reply")
                        .await
                        .map(|stored| stored.id)
                }
            }
        };
        if let Some(message_id) = stored_id {
            self.emit(Event::MessageStored {
                message_id,
                status: reply.status,
            });
        }
        if !reply.text.is_empty() || !reply.tool_calls.is_empty() {
            let mut msg = ChatMessage::assistant(reply.text, reply.tool_calls);
            msg.reasoning = reply.reasoning;
            self.push_history(msg);
        }
    }
}

impl Session {
    /// Append a message after any kept ones; when the store cannot take it, keep it and say so
    /// (once per turn). Returns the stored row when it was written now.
    pub(super) async fn store_append(
        &mut self,
        m: NewMessage,
        what: &str,
    ) -> Option<crate::store::StoredMessage> {
        match self
            .pending
            .write(&self.deps.store, PendingWrite::Append(m), true)
            .await
        {
            WriteOutcome::Written(stored) => {
                self.stored_count += 1;
                stored.map(|m| *m)
            }
            WriteOutcome::Kept(e) => {
                self.note_unsaved(what, &e);
                None
            }
            WriteOutcome::Failed(e) => {
                self.error(format!("could not save {what}: {e}"));
                None
            }
        }
    }

    fn note_unsaved(&mut self, what: &str, e: &crate::store::StoreError) {
        tracing::error!("could not save {what}: {e}; kept in memory");
        if self.unsaved_reason.is_none() {
            self.error(format!(
                "could not save {what}: {e}; it is kept in memory and saved with the next write"
            ));
        }
        self.unsaved_reason = Some(e.to_string());
    }
}

pub(super) async fn next_item(
    stream: &mut Option<SyncWrapper<ProviderStream>>,
) -> Option<Result<ProviderEvent, ProviderError>> {
    match stream {
        Some(s) => s.get_mut().next().await,
        None => std::future::pending().await,
    }
}

pub(super) async fn tool_done(tool: &mut Option<RunningTool>) -> Input {
    match tool {
        Some(t) => {
            let call_id = t.call_id.clone();
            let output = match (&mut t.handle).await {
                Ok(out) => out,
                Err(e) => ToolOutput::error(format!("the tool failed: {e}")),
            };
            Input::ToolFinished {
                call_id,
                content: output.content,
                is_error: output.is_error,
            }
        }
        None => std::future::pending().await,
    }
}

/// The first of the calls running beside the main one to finish.
pub(super) async fn beside_done(beside: &mut Vec<RunningTool>) -> Input {
    if beside.is_empty() {
        return std::future::pending().await;
    }
    let (joined, index) = {
        let (joined, index, _) =
            futures::future::select_all(beside.iter_mut().map(|t| &mut t.handle)).await;
        (joined, index)
    };
    let done = beside.remove(index);
    let output = joined.unwrap_or_else(|e| ToolOutput::error(format!("the tool failed: {e}")));
    Input::ToolFinished {
        call_id: done.call_id,
        content: output.content,
        is_error: output.is_error,
    }
}

pub(super) async fn compaction_done(
    task: &mut Option<JoinHandle<super::compact::CompactionDone>>,
) -> super::compact::CompactionDone {
    match task {
        Some(t) => match t.await {
            Ok(done) => done,
            Err(e) => super::compact::CompactionDone {
                billed: None,
                outcome: Err(format!("the summary task failed: {e}")),
            },
        },
        None => std::future::pending().await,
    }
}

pub(super) async fn live_chunk(live: &mut Option<mpsc::Receiver<String>>) -> Option<String> {
    match live {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
