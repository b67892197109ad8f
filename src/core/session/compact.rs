//! Compaction: summarise the older part of a conversation with a model call, store the summary
//! (the originals stay for display and search) and rebuild the request history from it. The
//! summary runs as a task the session's loop polls, so an interrupt ends it at once; in a turn
//! the machine asks for it (`Effect::Compact`) and hears back (`Input::CompactionFinished`).
//! (A child module of `session`.)

use super::*;

impl Session {
    pub(super) fn compaction_model(&self) -> Result<ModelRef, String> {
        let available = |p: &str| self.deps.providers.health.is_available(p);
        let decision = self
            .deps
            .router
            .route_request(&RouteInput {
                text: "Summarise this conversation.",
                agent: &self.agent,
                pinned: self.pin.as_ref(),
                previous: None,
                config: &self.deps.config,
                available: &available,
                budget: None,
            })
            .map_err(|e| e.to_string())?;
        decision
            .chosen()
            .and_then(|c| ModelRef::parse(&c.model))
            .ok_or_else(|| "no model is available to write the summary".to_string())
    }

    /// Start summarising with `model` as a task the run loop polls (so an interrupt stops it
    /// at once); `finish_compaction` takes its outcome.
    pub(super) fn start_compaction(&mut self, model: ModelRef) {
        let deps = self.deps.clone();
        let conversation = self.conversation;
        self.turn.compaction = Some(tokio::spawn(async move {
            let Some(id) = conversation else {
                let outcome = Err("nothing to compact yet".to_string());
                return CompactionDone {
                    billed: None,
                    outcome,
                };
            };
            let mut billed = None;
            let outcome = summarise(&deps, id, &model, &mut billed).await;
            CompactionDone {
                billed: billed.map(|usage| (model, usage)),
                outcome,
            }
        }));
    }

    /// Stop a running compaction. A summary already stored stays; the request history is read
    /// again from the store before the next request.
    pub(super) fn cancel_compaction(&mut self) {
        if let Some(task) = self.turn.compaction.take() {
            task.abort();
            self.history_stale = self.conversation.is_some();
        }
    }

    /// Take a finished compaction: rebuild the request history from the store's rows, then
    /// tell the running turn (or, for `/compact`, the front end).
    pub(super) async fn finish_compaction(&mut self, done: CompactionDone) {
        self.turn.compaction = None;
        if let Some((model, usage)) = done.billed {
            self.record_usage(crate::usage::UsageKind::Compaction, &model, usage)
                .await;
        }
        let outcome = done.outcome;
        let outcome = outcome.map(|done| {
            self.history = request_history(&done.rows);
            self.history_stale = false;
            self.last_input_tokens = None;
            self.added_since = 0;
            done.covered
        });
        if self.turn.machine.is_some() {
            self.feed(Input::CompactionFinished(outcome)).await;
            return;
        }
        match outcome {
            Ok(summarized_messages) => self.emit(Event::Compacted {
                summarized_messages,
            }),
            Err(e) => self.error(e),
        }
    }
}

/// What the summary task ends with: the request's model and usage when it was billed (the
/// stream ended, or reported usage; `None` usage: ended without a report), and the outcome.
pub(super) struct CompactionDone {
    pub billed: Option<(ModelRef, Option<crate::message::Usage>)>,
    pub outcome: Result<Compaction, String>,
}

/// A summary stored: the conversation's rows after it, and how many messages it covers.
pub(super) struct Compaction {
    rows: Vec<crate::store::StoredMessage>,
    covered: usize,
}

/// Summarise the older part of conversation `id` with `model` and store the summary (the
/// originals stay for display and search).
async fn summarise(
    deps: &CoreDeps,
    id: ConversationId,
    model: &ModelRef,
    billed: &mut Option<Option<crate::message::Usage>>,
) -> Result<Compaction, String> {
    let rows = deps.store.messages(id).await.map_err(|e| e.to_string())?;
    let Some(through) = context::compaction_cut(&rows) else {
        return Err("the conversation is too short to compact".to_string());
    };
    let provider = deps
        .providers
        .get(&model.provider)
        .cloned()
        .ok_or_else(|| format!("provider `{}` is not configured", model.provider))?;
    let mut messages = context::to_summarise(&rows, through);
    messages.push(ChatMessage::user(context::SUMMARY_INSTRUCTIONS));
    let covered = messages.len() - 1;
    let mut stream = provider.stream(ChatRequest {
        model: model.model.clone(),
        system: Some("You write faithful, compact summaries of conversations between a user and an AI coding assistant.".to_string()),
        messages,
        tools: Vec::new(),
        max_tokens: Some(4096),
        temperature: None,
        context_window: u32::try_from(deps.context_window(model)).ok(),
    });
    let mut summary = String::new();
    let mut finished = false;
    let mut usage = None;
    while let Some(item) = stream.next().await {
        let item = item.map_err(|e| {
            *billed = usage.map(Some);
            e.to_string()
        })?;
        match item {
            ProviderEvent::TextDelta(t) => summary.push_str(&t),
            ProviderEvent::Usage(u) => usage = Some(u),
            ProviderEvent::Done { .. } => {
                finished = true;
                break;
            }
            _ => {}
        }
    }
    if finished || usage.is_some() {
        *billed = Some(usage);
    }
    if !finished || summary.trim().is_empty() {
        return Err("the summary stream ended early".to_string());
    }
    let mut m = NewMessage::new(id, Role::Summary, summary);
    m.summary_through = Some(through);
    m.model = Some(model.to_string());
    m.provider = Some(model.provider.clone());
    deps.store
        .append_message(m)
        .await
        .map_err(|e| e.to_string())?;
    let rows = deps.store.messages(id).await.map_err(|e| e.to_string())?;
    Ok(Compaction { rows, covered })
}
