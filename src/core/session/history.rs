//! Reading a stored conversation into the session's request history, row by row on the store
//! thread, with the figures the session keeps from the same rows (cost so far, the last
//! model used). A long conversation is never held twice (its rows and the history built from
//! them): that was most of the TUI's peak memory with 10,000 messages open. (A child module of
//! `session`, so it works on the session's state.)

use super::{Session, context};
use crate::message::ModelRef;

impl Session {
    /// Read the whole conversation into the request history, if not done since it was opened.
    /// Long by design: one fold over the rows with everything the session keeps from them.
    pub(super) async fn ensure_history(&mut self) {
        let Some(id) = self.conversation.filter(|_| self.history_stale) else {
            return;
        };
        // Folded row by row on the store thread: the rows are never all in memory at once.
        let loaded = self
            .deps
            .store
            .fold_messages(
                id,
                |summary| Loaded {
                    history: context::HistoryBuilder::new(summary),
                    cost: 0.0,
                    last_model: None,
                },
                |acc, m| {
                    if let Some(cost) = m.cost_usd {
                        acc.cost += cost;
                    }
                    if let Some(model) = m.model.as_deref().and_then(ModelRef::parse) {
                        acc.last_model = Some(model);
                    }
                    acc.history.push(m);
                },
            )
            .await;
        match loaded {
            Ok((loaded, count)) => {
                self.history = loaded.history.finish();
                self.stored_count = count;
                self.cost_total = loaded.cost;
                self.last_model = loaded.last_model;
                self.history_stale = false;
            }
            Err(e) => self.error(format!("could not load the conversation: {e}")),
        }
    }
}

/// What [`Session::ensure_history`] keeps from a conversation's rows.
struct Loaded {
    history: context::HistoryBuilder,
    cost: f64,
    last_model: Option<ModelRef>,
}
