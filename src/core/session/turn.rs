//! Starting a user turn: the checks before it, the router's choice (each model marked when the
//! history passes its compaction threshold), and feeding the turn machine its inputs.
//! (A child module of `session`.)

use super::*;

impl Session {
    /// `Op::UserTurnAs`: the turn runs with `agent` and/or `model`; the session's own come
    /// back when it ends (`restore_settings`), or at once when the turn is refused.
    pub(super) async fn start_turn_as(
        &mut self,
        text: String,
        agent: Option<String>,
        model: Option<String>,
    ) {
        let agent = match agent.map(|a| self.deps.agents.resolve(&a).cloned()) {
            Some(Err(e)) => return self.refuse(e.to_string()),
            Some(Ok(a)) => Some(a),
            None => None,
        };
        let pin = match model.map(|m| check_pin(&self.deps, &m, PinSource::Command)) {
            Some(Err(e)) => return self.refuse(e.to_string()),
            Some(Ok(p)) => Some(p),
            None => None,
        };
        if self.turn.machine.is_some() || self.turn.compaction.is_some() {
            // start_turn says why it cannot start; nothing to switch.
            return self.start_turn(text).await;
        }
        if !text.trim().is_empty() && self.conversation.is_none() {
            // A new conversation records the session's own agent and model, not this turn's.
            if let Err(e) = self.ensure_conversation().await {
                return self.refuse(e);
            }
        }
        self.turn.restore = Some((self.agent.clone(), self.pin.clone()));
        if let Some(agent) = agent {
            self.set_agent(agent);
        }
        if let Some(pin) = pin {
            self.pin = Some(pin);
        }
        self.emit_settings();
        self.start_turn(text).await;
        if self.turn.machine.is_none() {
            self.restore_settings();
        }
    }

    /// After a `UserTurnAs` turn: the session's own agent and model again (not saved: they
    /// never changed in the store).
    pub(super) fn restore_settings(&mut self) {
        if let Some((agent, pin)) = self.turn.restore.take() {
            self.set_agent(agent);
            self.pin = pin;
            self.emit_settings();
        }
    }

    pub(super) async fn start_turn(&mut self, text: String) {
        if self.busy() {
            // No `done` here: the front end is waiting for the running turn's.
            return self.error(
                "a turn is already running in this conversation: wait for it to end, or interrupt it (Esc), then send again"
                    .to_string(),
            );
        }
        let max = self.deps.config.session.max_prompt_bytes;
        if text.len() > max {
            return self.refuse(format!(
                "the message is {} bytes, over the {max}-byte limit (session.max_prompt_bytes): attach less, or raise the limit",
                text.len()
            ));
        }
        if text.trim().is_empty() {
            return self.refuse("the message is empty: type something to send".to_string());
        }
        if let Err(e) = self.before_turn(&text).await {
            return self.refuse(e);
        }
        let budget = match self.budget_check().await {
            Ok(b) => b,
            Err(e) => return self.refuse(e),
        };
        self.ensure_history().await;
        let conversation = match self.ensure_conversation().await {
            Ok(id) => id,
            Err(e) => return self.refuse(e),
        };
        // Another harness process (a TUI, `serve`) may be running a turn here: one at a time.
        match self.deps.store.claim_turn(conversation).await {
            Ok(None) => {}
            Ok(Some(owner)) => {
                return self.refuse(format!(
                    "a turn is already running in this conversation in another harness process ({owner}): wait for it to end, then send again"
                ));
            }
            Err(e) => tracing::warn!("turn lease: {e}"),
        }
        self.recall_for_turn(&text).await;
        let input = self.route(text, budget.as_ref());
        self.turn.machine = Some(TurnMachine::new(
            self.permissions.clone(),
            self.deps.config.session.max_steps,
        ));
        self.feed(input).await;
    }
    /// Ask the router for this message's models, each marked when the request history passes
    /// its compaction threshold.
    fn route(&mut self, text: String, budget: Option<&crate::usage::BudgetState>) -> Input {
        let available = |p: &str| self.deps.providers.health.is_available(p);
        let decision = self.deps.router.route_request(&RouteInput {
            text: &text,
            agent: &self.agent,
            pinned: self.pin.as_ref(),
            previous: self.previous_category,
            config: &self.deps.config,
            available: &available,
            budget,
        });
        let decision = match decision {
            Ok(d) => d,
            Err(e) => {
                return Input::RouteFailed {
                    text,
                    error: e.to_string(),
                };
            }
        };
        self.previous_category = Some(decision.category);
        let estimate = self.estimate(&self.system_prompt(), &self.tools.specs())
            + context::estimate_message(&ChatMessage::user(text.clone()));
        let threshold = self.deps.config.session.compact_threshold;
        // Too few messages to summarise (the system prompt and tools alone fill a tiny window):
        // asking would only fail with "too short" on every turn.
        let summarisable = self.history.len() + 1 > context::KEEP_RECENT_MESSAGES + 1;
        let candidates = decision
            .candidates
            .iter()
            .filter_map(|c| {
                let model = ModelRef::parse(&c.model)?;
                let window = self.deps.context_window(&model);
                Some(Candidate {
                    needs_compaction: summarisable && estimate as f64 > threshold * window as f64,
                    model,
                    reason: c.reason.clone(),
                })
            })
            .collect();
        Input::Start { text, candidates }
    }
    /// Hand one input to the machine and perform its effects, feeding back any input an
    /// effect produces (a stream that cannot start, a preview that fails).
    pub(super) async fn feed(&mut self, input: Input) {
        let mut inputs = VecDeque::from([input]);
        while let Some(input) = inputs.pop_front() {
            let Some(machine) = self.turn.machine.as_mut() else {
                return;
            };
            let effects = machine.handle(input);
            for effect in effects {
                if let Some(next) = self.perform(effect).await {
                    inputs.push_back(next);
                }
            }
        }
    }
}
