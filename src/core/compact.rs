//! Compaction: summarise the older part of a conversation with a model call, store the summary
//! (the originals stay for display and search) and rebuild the request history from it.
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

    /// Summarise the older part of the conversation with `model`, store the summary, and
    /// rebuild the request history from the store.
    pub(super) async fn compact(&mut self, model: &ModelRef) -> Result<(), String> {
        let Some(id) = self.conversation else {
            return Err("nothing to compact yet".to_string());
        };
        let rows = self
            .deps
            .store
            .messages(id)
            .await
            .map_err(|e| e.to_string())?;
        let Some(through) = context::compaction_cut(&rows) else {
            return Err("the conversation is too short to compact".to_string());
        };
        let provider = self
            .deps
            .providers
            .get(&model.provider)
            .cloned()
            .ok_or_else(|| format!("provider `{}` is not configured", model.provider))?;
        let mut messages = context::to_summarise(&rows, through);
        messages.push(ChatMessage::user(context::SUMMARY_INSTRUCTIONS));
        let covered = messages.len() - 1;
        self.emit(Event::RouteChosen {
            model: model.to_string(),
            reason: "compaction summary".to_string(),
        });
        let mut stream = provider.stream(ChatRequest {
            model: model.model.clone(),
            system: Some("You write faithful, compact summaries of conversations between a user and an AI coding assistant.".to_string()),
            messages,
            tools: Vec::new(),
            max_tokens: Some(4096),
            temperature: None,
            context_window: u32::try_from(self.deps.context_window(model)).ok(),
        });
        let mut summary = String::new();
        let mut finished = false;
        let mut usage = None;
        while let Some(item) = stream.next().await {
            match item.map_err(|e| e.to_string())? {
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
            let kind = crate::usage::UsageKind::Compaction;
            self.record_usage(kind, model, usage).await;
        }
        if !finished || summary.trim().is_empty() {
            return Err("the summary stream ended early".to_string());
        }
        let mut m = NewMessage::new(id, Role::Summary, summary);
        m.summary_through = Some(through);
        m.model = Some(model.to_string());
        m.provider = Some(model.provider.clone());
        self.deps
            .store
            .append_message(m)
            .await
            .map_err(|e| e.to_string())?;
        let rows = self
            .deps
            .store
            .messages(id)
            .await
            .map_err(|e| e.to_string())?;
        self.history = request_history(&rows);
        self.history_stale = false;
        self.last_input_tokens = None;
        self.added_since = 0;
        self.emit(Event::Compacted {
            summarized_messages: covered,
        });
        Ok(())
    }
}
