//! Who a session serves: front ends attaching, leaving and switching conversation (`/new`,
//! `/resume`), in place when the session has one front end and the target is not open
//! elsewhere. (A child module of `session`.)

use super::*;

impl Session {
    pub(super) async fn on_inbound(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Op { from, op } => {
                self.asker = Some(from);
                self.on_op(op).await;
                self.asker = None;
            }
            Inbound::Attach { id, events } => {
                self.subscribers.add(id, events);
                self.asker = Some(id);
                self.announce();
                let running = if self.turn.machine.is_some() {
                    "; a turn is running, its events follow"
                } else {
                    ""
                };
                self.reply(Event::Notice {
                    message: format!(
                        "joined the session that already has this conversation open (one turn at a time){running}"
                    ),
                });
                self.asker = None;
            }
            Inbound::Switch { from, op, answer } => {
                self.asker = Some(from);
                let _ = answer.send(self.switch(from, op).await);
                self.asker = None;
            }
            Inbound::Relay(event) => self.emit(event),
            Inbound::Detach { id, answer } => {
                self.subscribers.remove(id);
                let _ = answer.send(self.subscribers.is_empty());
            }
        }
    }
    /// `/new` or `/resume` from front end `from`: in place when it is this session's only
    /// front end and the target is not open in another session; otherwise the front end
    /// leaves (the session goes on for the others) and opens the target itself.
    async fn switch(&mut self, from: SubscriberId, op: Op) -> SwitchAnswer {
        let target = match &op {
            Op::Resume { conversation_id } => Some(*conversation_id),
            _ => None,
        };
        let shared = self.subscribers.len() > 1;
        if !shared && self.busy() {
            return SwitchAnswer::Stayed;
        }
        let elsewhere = target
            .and_then(|id| self.open_sessions.get(id))
            .is_some_and(|s| s.key != self.me.key);
        if !shared && !elsewhere {
            self.on_op(op).await;
            return SwitchAnswer::Stayed;
        }
        if let Some(id) = target {
            if let Err(e) = self.deps.store.conversation(id).await {
                self.error(e.to_string());
                return SwitchAnswer::Stayed;
            }
        }
        self.subscribers.remove(from);
        SwitchAnswer::Left(match target {
            Some(id) => SessionOptions {
                start: SessionStart::Resume(id.to_string()),
                model: None,
                agent: None,
                approval: self.approval_flag,
                headless: self.permissions.headless,
            },
            None => SessionOptions {
                start: SessionStart::New,
                model: self.pin.as_ref().map(|p| p.model.clone()),
                agent: Some(self.agent.name.clone()),
                approval: self.approval_flag,
                headless: self.permissions.headless,
            },
        })
    }
    pub(super) async fn new_conversation(&mut self) {
        if self.busy() {
            return;
        }
        self.release();
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.shutdown().await;
        }
        self.seen = Arc::default();
        self.conversation = None;
        self.history_stale = false;
        self.pending_id = ConversationId::new();
        self.stored_count = 0;
        self.cost_total = 0.0;
        self.history.clear();
        self.last_input_tokens = None;
        self.added_since = 0;
        self.permissions.policy.clear_session();
        self.announce();
    }
    pub(super) async fn resume(&mut self, conversation_id: ConversationId) {
        if self.busy() {
            return;
        }
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.shutdown().await;
        }
        self.seen = Arc::default();
        let options = SessionOptions {
            start: SessionStart::New,
            model: None,
            agent: None,
            approval: self.approval_flag,
            headless: self.permissions.headless,
        };
        match self.load(conversation_id, &options).await {
            Ok(()) => {
                // "Always" answers belong to the conversation they were given in.
                self.permissions.policy.clear_session();
                self.announce();
            }
            Err(e) => self.error(e.to_string()),
        }
    }
}
