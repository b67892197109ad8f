//! The session's side of the cost ledger: a row per model request as soon as its usage is
//! known (a reply's stream ends, a billed stream fails, a compaction summary is written), the
//! budget's verdict before a turn is routed (a warning, a downgrade for the router, or the
//! refusal), today's spend for the status line, and `/cost`. (A child module of `session`; the
//! pricing, totals and budget rules are `crate::usage`'s.)

use super::*;
use crate::message::Usage;
use crate::usage::aggregate::{local_midnight_ms, month_start};
use crate::usage::{BudgetState, Spend, UsageKind, UsageRecord, totals};

/// What the session keeps for the ledger between requests.
#[derive(Debug, Default)]
pub(super) struct LedgerState {
    /// Usage the running request stream reported, and its model (taken when its row is
    /// written).
    stream_usage: Option<(ModelRef, Usage)>,
    /// Known spend today, when a budget is set (the status line shows it).
    pub(super) today_usd: Option<f64>,
    /// The last budget warning shown, so each is said once a day per session.
    warned: Option<String>,
}

/// Local midnight today and on the first of this month, in Unix milliseconds.
fn period_starts() -> (i64, i64) {
    let today = chrono::Local::now().date_naive();
    (
        local_midnight_ms(today),
        local_midnight_ms(month_start(today)),
    )
}

impl Session {
    /// Called with every item of a request stream, before the machine sees it: keeps the
    /// reported usage, and writes the request's row when the stream ends (`reply`) or fails
    /// after reporting usage, so it was billed (`retry`: the turn falls back or ends). A request
    /// the client retried after it reported usage is a `retry` row too.
    pub(super) async fn ledger_on_stream(
        &mut self,
        item: &Option<Result<ProviderEvent, ProviderError>>,
    ) {
        let kind = match item {
            Some(Ok(ProviderEvent::Usage(u))) => {
                let Some(model) = self.turn.stream_model.clone() else {
                    return;
                };
                // A report still held: the client retried a request that had been billed
                // (clients report usage once per request).
                if let Some((billed_model, billed)) = self.ledger.stream_usage.replace((model, *u))
                {
                    self.record_usage(UsageKind::Retry, &billed_model, Some(billed))
                        .await;
                }
                return;
            }
            Some(Ok(ProviderEvent::Done { .. })) => UsageKind::Reply,
            Some(Err(_)) | None => UsageKind::Retry,
            Some(Ok(_)) => return,
        };
        match (self.ledger.stream_usage.take(), kind) {
            (Some((model, usage)), _) => self.record_usage(kind, &model, Some(usage)).await,
            // A reply without usage (a provider that reports none): tokens and cost unknown.
            (None, UsageKind::Reply) => {
                if let Some(model) = self.turn.stream_model.clone() {
                    self.record_usage(kind, &model, None).await;
                }
            }
            (None, _) => {}
        }
    }

    /// The running stream was interrupted: usage it already reported was billed, so its row is
    /// written now (a reply's), not taken for a retried request by the next stream.
    pub(super) async fn ledger_on_cancel(&mut self) {
        if let Some((model, usage)) = self.ledger.stream_usage.take() {
            self.record_usage(UsageKind::Reply, &model, Some(usage))
                .await;
        }
    }

    /// Write one ledger row. `usage: None` (a provider that reported none) is a request with
    /// unknown tokens and cost.
    pub(super) async fn record_usage(
        &mut self,
        kind: UsageKind,
        model: &ModelRef,
        usage: Option<Usage>,
    ) {
        let priced = usage.map(|u| crate::usage::price(&u, model, &self.deps.config));
        let u = usage.unwrap_or_default();
        let record = UsageRecord {
            profile: self.deps.store.profile().to_string(),
            kind,
            conversation_id: self.conversation,
            agent: Some(self.agent.name.clone()),
            provider: model.provider.clone(),
            model: model.to_string(),
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cached_input_tokens: u.cached_input_tokens,
            cache_write_input_tokens: u.cache_write_input_tokens,
            cost_usd: priced.and_then(|p| p.cost_usd),
            cost_source: priced.map_or(crate::usage::CostSource::Unknown, |p| p.source),
            created_at: chrono::Utc::now().timestamp_millis(),
        };
        if let (Some(today), Some(cost)) = (self.ledger.today_usd.as_mut(), record.cost_usd) {
            *today += cost;
        }
        if let Err(e) = self.deps.store.record_usage(record).await {
            tracing::warn!("usage ledger: {e}");
        }
    }

    /// Read today's spend for the status line when a budget is set (at session start; each
    /// turn's budget check refreshes it).
    pub(super) async fn refresh_today(&mut self) {
        if !self.deps.config.budgets.is_set() {
            return;
        }
        let (day, _) = period_starts();
        match self
            .deps
            .store
            .spent_since(self.deps.store.profile(), vec![day])
            .await
        {
            Ok(spent) => self.ledger.today_usd = spent.first().copied(),
            Err(e) => tracing::warn!("usage ledger: {e}"),
        }
    }

    /// Before a user turn is routed: the budget's state (for the router), after showing its
    /// warning once; `Err` with the message to refuse the turn with when it is spent.
    pub(super) async fn budget_check(&mut self) -> Result<Option<BudgetState>, String> {
        let budgets = &self.deps.config.budgets;
        if !budgets.is_set() {
            return Ok(None);
        }
        let (day, month) = period_starts();
        let spent = match self
            .deps
            .store
            .spent_since(self.deps.store.profile(), vec![day, month])
            .await
        {
            Ok(s) => s,
            Err(e) => {
                // A budget that cannot be read does not block work; say so.
                self.error(format!("could not read today's spend for [budgets]: {e}"));
                return Ok(None);
            }
        };
        let spend = Spend {
            today_usd: spent.first().copied().unwrap_or(0.0),
            month_usd: spent.get(1).copied().unwrap_or(0.0),
        };
        self.ledger.today_usd = Some(spend.today_usd);
        let Some(state) = crate::usage::budget::evaluate(budgets, spend) else {
            return Ok(None);
        };
        if let Some(refusal) = state.refusal() {
            return Err(refusal);
        }
        if let Some(warning) = state.warning() {
            let key = format!("{}:{:?}:{day}", state.period, state.level);
            if self.ledger.warned.as_deref() != Some(key.as_str()) {
                self.ledger.warned = Some(key);
                self.emit(Event::Notice { message: warning });
            }
        }
        Ok(Some(state))
    }

    /// `/cost`: this conversation, today and this month.
    pub(super) async fn cost_summary(&mut self) {
        let (day, month) = period_starts();
        let rows = match self
            .deps
            .store
            .usage_since(self.deps.store.profile(), month.min(day))
            .await
        {
            Ok(rows) => rows,
            Err(e) => return self.error(format!("could not read the usage ledger: {e}")),
        };
        let conversation = match self.conversation {
            Some(id) => match self.deps.store.conversation_usage(id).await {
                Ok(rows) => totals(&rows),
                Err(e) => return self.error(format!("could not read the usage ledger: {e}")),
            },
            None => Default::default(),
        };
        let budgets = &self.deps.config.budgets;
        self.emit(Event::Cost {
            conversation,
            today: totals(rows.iter().filter(|r| r.created_at >= day)),
            month: totals(rows.iter().filter(|r| r.created_at >= month)),
            daily_budget_usd: budgets.daily_usd,
            monthly_budget_usd: budgets.monthly_usd,
        });
    }
}
