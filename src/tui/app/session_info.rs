//! What the App knows about the session it shows: the conversation, agent, pinned model and
//! last route, token usage and the core's figures (context, cost, sandbox). The status line and
//! /status read it; core events write it.

use crate::message::{ConversationId, Usage};
use crate::tui::history_cell::format_count;

/// Figures for the status line.
#[derive(Debug, Clone, Default)]
pub(in crate::tui) struct Stats {
    pub context_tokens: u64,
    pub context_window: Option<u64>,
    pub cost_usd: Option<f64>,
    pub sandbox: Option<String>,
    /// Today's spend and the daily budget, when a budget is set.
    pub today_usd: Option<f64>,
    pub daily_budget_usd: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub(in crate::tui) struct SessionInfo {
    pub conversation: Option<ConversationId>,
    /// The conversation has stored messages (a new one has none until the first is sent:
    /// there is nothing to resume).
    pub stored: bool,
    pub agent: String,
    /// Pinned model; `None` = auto.
    pub model: Option<String>,
    /// What pinned it (`pinned by /model`), as the core says.
    pub pinned_by: Option<String>,
    /// (model, reason) of the last routing decision.
    pub last_route: Option<(String, String)>,
    pub usage: Usage,
    pub stats: Stats,
}

impl SessionInfo {
    pub fn new(agent: String, model: Option<String>) -> Self {
        Self {
            agent,
            model,
            ..Self::default()
        }
    }

    /// The model for the status line: `model (pin: what pinned it)`, or `auto → routed`.
    pub fn model_label(&self) -> String {
        match (&self.model, &self.last_route) {
            (Some(m), _) => match &self.pinned_by {
                Some(by) => format!("{m} (pin: {})", by.strip_prefix("pinned by ").unwrap_or(by)),
                None => m.clone(),
            },
            (None, Some((routed, _))) => format!("auto → {routed}"),
            (None, None) => "auto".to_string(),
        }
    }

    /// What decides the model, for /status: the pin and what pinned it, or auto.
    pub fn model_in_force(&self) -> String {
        match (&self.model, &self.pinned_by) {
            (Some(m), Some(by)) => format!("{m} ({by})"),
            (Some(m), None) => format!("{m} (pinned)"),
            (None, _) => "auto (the router chooses per message)".into(),
        }
    }

    /// `ctx 42%` when the model's window is known.
    pub fn context_label(&self) -> Option<String> {
        let window = self.stats.context_window.filter(|w| *w > 0)?;
        let pct = (self.stats.context_tokens as f64 / window as f64 * 100.0).round();
        Some(format!("ctx {pct:.0}%"))
    }

    /// Where the provider of the current model came from, for the status line: the pinned or
    /// last routed model's provider, else the only provider there is.
    pub fn provider_origin_label(&self, providers: &[(String, String)]) -> Option<String> {
        let model = self
            .model
            .as_deref()
            .or(self.last_route.as_ref().map(|(m, _)| m.as_str()));
        let provider = model.and_then(|m| m.split_once('/')).map(|(p, _)| p);
        match provider {
            Some(p) => providers.iter().find(|(n, _)| n == p),
            None if providers.len() == 1 => providers.first(),
            None => None,
        }
        .map(|(_, origin)| origin.clone())
    }

    /// The /status panel's rows (label, value).
    pub fn status_rows(
        &self,
        providers: &[(String, String)],
        theme: &str,
    ) -> Vec<(String, String)> {
        let mut rows = vec![
            (
                "conversation".to_string(),
                self.conversation
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "(new, not saved yet)".into()),
            ),
            ("agent".into(), self.agent.clone()),
            ("model".into(), self.model_in_force()),
        ];
        if let Some((m, r)) = &self.last_route {
            rows.push(("last route".into(), format!("{m} ({r})")));
        }
        rows.push(("context".into(), self.context_row()));
        rows.push(("tokens".into(), self.tokens_row()));
        rows.push((
            "cost".into(),
            self.stats
                .cost_usd
                .map(|c| format!("${c:.4}"))
                .unwrap_or_else(|| "unknown".into()),
        ));
        rows.push((
            "sandbox".into(),
            self.stats
                .sandbox
                .clone()
                .unwrap_or_else(|| "unknown".into()),
        ));
        if !providers.is_empty() {
            let list: Vec<String> = providers
                .iter()
                .map(|(name, origin)| format!("{name} ({origin})"))
                .collect();
            rows.push(("providers".into(), list.join(", ")));
        }
        rows.push(("theme".into(), theme.to_string()));
        rows
    }

    fn context_row(&self) -> String {
        match self.stats.context_window {
            Some(w) => format!(
                "{} of {} tokens{}",
                format_count(self.stats.context_tokens),
                format_count(w),
                self.context_label()
                    .map(|l| format!(" ({})", &l[4..]))
                    .unwrap_or_default()
            ),
            None if self.stats.context_tokens > 0 => {
                format!("{} tokens", format_count(self.stats.context_tokens))
            }
            None => "unknown".into(),
        }
    }

    fn tokens_row(&self) -> String {
        format!(
            "{} in · {} out{}",
            format_count(self.usage.input_tokens),
            format_count(self.usage.output_tokens),
            if self.usage.cached_input_tokens > 0 {
                format!(" · {} cached", format_count(self.usage.cached_input_tokens))
            } else {
                String::new()
            }
        )
    }
}
