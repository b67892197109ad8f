//! What a budget does at a given spend: below `warn_at` of every limit nothing; from `warn_at`
//! a warning, and with `action = "downgrade"` the router's answer is `downgrade_to`; once a
//! limit is spent, `action = "stop"` refuses turns. Pure: the spend is measured by the caller.

use crate::config::{BudgetAction, BudgetsConfig};
use serde::Serialize;

/// Known spend of the current profile (unknown costs are not in it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Spend {
    /// Since local midnight.
    pub today_usd: f64,
    /// Since the first of this month, local time.
    pub month_usd: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetLevel {
    Under,
    /// At or past `warn_at` of a limit.
    Near,
    /// At or past a limit.
    Over,
}

/// A budget's verdict for the next turn: the limit closest to being spent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetState {
    pub level: BudgetLevel,
    pub action: BudgetAction,
    /// `daily` or `monthly`.
    pub period: &'static str,
    pub spent_usd: f64,
    pub limit_usd: f64,
    pub downgrade_to: Option<String>,
}

/// The state of the budgets in `config` at `spend`; `None` when no limit is set.
pub fn evaluate(config: &BudgetsConfig, spend: Spend) -> Option<BudgetState> {
    let limits = [
        ("daily", config.daily_usd, spend.today_usd),
        ("monthly", config.monthly_usd, spend.month_usd),
    ];
    let fraction = |spent: f64, limit: f64| {
        if limit > 0.0 {
            spent / limit
        } else {
            f64::INFINITY
        }
    };
    let (period, limit, spent) = limits
        .into_iter()
        .filter_map(|(p, limit, spent)| limit.map(|l| (p, l, spent)))
        .max_by(|a, b| fraction(a.2, a.1).total_cmp(&fraction(b.2, b.1)))?;
    let used = fraction(spent, limit);
    let level = if used >= 1.0 {
        BudgetLevel::Over
    } else if used >= config.warn_at {
        BudgetLevel::Near
    } else {
        BudgetLevel::Under
    };
    Some(BudgetState {
        level,
        action: config.action,
        period,
        spent_usd: spent,
        limit_usd: limit,
        downgrade_to: config.downgrade_to.clone(),
    })
}

impl BudgetState {
    fn config_key(&self) -> &'static str {
        if self.period == "daily" {
            "budgets.daily_usd"
        } else {
            "budgets.monthly_usd"
        }
    }

    fn spent_text(&self) -> String {
        let when = if self.period == "daily" {
            "today"
        } else {
            "this month"
        };
        format!(
            "${:.2} of the {} budget of ${:.2} spent {when}",
            self.spent_usd, self.period, self.limit_usd
        )
    }

    /// The model to use instead of the router's chain, when the budget says so.
    pub fn downgrade(&self) -> Option<&str> {
        (self.action == BudgetAction::Downgrade && self.level >= BudgetLevel::Near)
            .then_some(self.downgrade_to.as_deref())
            .flatten()
    }

    /// Why a turn is refused, with how to raise the budget; `None` when it may run.
    pub fn refusal(&self) -> Option<String> {
        (self.action == BudgetAction::Stop && self.level == BudgetLevel::Over).then(|| {
            format!(
                "budget reached: {}, so no request was sent. Raise {} in config.toml (or set budgets.action = \"warn\"), or wait for the next {}",
                self.spent_text(),
                self.config_key(),
                if self.period == "daily" { "day" } else { "month" }
            )
        })
    }

    /// The warning to show from `warn_at` on (`None` below it, or when the turn is refused).
    pub fn warning(&self) -> Option<String> {
        if self.level == BudgetLevel::Under || self.refusal().is_some() {
            return None;
        }
        let then = match (self.action, self.downgrade()) {
            (BudgetAction::Downgrade, Some(to)) => {
                format!("answering with {to} (budgets.downgrade_to) unless a model is pinned")
            }
            (BudgetAction::Stop, _) => "turns stop when it is spent".to_string(),
            _ => format!(
                "raise {} in config.toml to move the limit",
                self.config_key()
            ),
        };
        Some(format!("budget warning: {}; {then}", self.spent_text()))
    }

    /// The route reason of a downgraded request.
    pub fn route_reason(&self) -> String {
        format!("budget: {} (budgets.downgrade_to)", self.spent_text())
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
