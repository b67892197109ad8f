//! `[budgets]`: spending limits per profile and what happens near them. Only the values and
//! their checks live here; the spend is measured by `usage` and acted on by the router and
//! the core.

use serde::{Deserialize, Serialize};

/// What a budget does once spending passes `warn_at` of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetAction {
    /// Only say so.
    #[default]
    Warn,
    /// Say so, and answer with `downgrade_to` instead of the router's chain (a pinned model
    /// is kept).
    Downgrade,
    /// Say so; once the budget is spent, refuse turns before any request.
    Stop,
}

impl BudgetAction {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetAction::Warn => "warn",
            BudgetAction::Downgrade => "downgrade",
            BudgetAction::Stop => "stop",
        }
    }
}

/// `[budgets]`. No limit set = no budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetsConfig {
    /// USD per calendar day (local time).
    pub daily_usd: Option<f64>,
    /// USD per calendar month (local time).
    pub monthly_usd: Option<f64>,
    pub action: BudgetAction,
    /// A model or alias used instead when the budget is near or over (`action = "downgrade"`).
    pub downgrade_to: Option<String>,
    /// Fraction of a budget at which it starts to act (warn, downgrade).
    pub warn_at: f64,
}

impl Default for BudgetsConfig {
    fn default() -> Self {
        Self {
            daily_usd: None,
            monthly_usd: None,
            action: BudgetAction::Warn,
            downgrade_to: None,
            warn_at: 0.8,
        }
    }
}

impl BudgetsConfig {
    /// Whether any limit is set.
    pub fn is_set(&self) -> bool {
        self.daily_usd.is_some() || self.monthly_usd.is_some()
    }

    /// The checks that need no other section (`downgrade_to` is resolved by the loader).
    pub fn validate(&self) -> Result<(), String> {
        for (key, value) in [
            ("budgets.daily_usd", self.daily_usd),
            ("budgets.monthly_usd", self.monthly_usd),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(format!("{key} must be a number of USD >= 0 (got {v})"));
            }
        }
        if !(self.warn_at > 0.0 && self.warn_at <= 1.0) {
            return Err(format!(
                "budgets.warn_at must be a fraction of the budget between 0 and 1, e.g. 0.8 (got {})",
                self.warn_at
            ));
        }
        if self.action == BudgetAction::Downgrade && self.downgrade_to.is_none() {
            return Err(
                "budgets.action = \"downgrade\" needs budgets.downgrade_to = \"provider/model\" (or an alias from [models])"
                    .to_string(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_each_value() {
        let ok = BudgetsConfig {
            daily_usd: Some(5.0),
            ..BudgetsConfig::default()
        };
        assert!(ok.validate().is_ok());
        assert!(ok.is_set());
        assert!(!BudgetsConfig::default().is_set());
        let cases = [
            (
                BudgetsConfig {
                    daily_usd: Some(-1.0),
                    ..ok.clone()
                },
                "budgets.daily_usd",
            ),
            (
                BudgetsConfig {
                    monthly_usd: Some(f64::NAN),
                    ..ok.clone()
                },
                "budgets.monthly_usd",
            ),
            (
                BudgetsConfig {
                    warn_at: 1.5,
                    ..ok.clone()
                },
                "budgets.warn_at",
            ),
            (
                BudgetsConfig {
                    warn_at: 0.0,
                    ..ok.clone()
                },
                "budgets.warn_at",
            ),
            (
                BudgetsConfig {
                    action: BudgetAction::Downgrade,
                    ..ok.clone()
                },
                "downgrade_to",
            ),
        ];
        for (cfg, needle) in cases {
            let err = cfg.validate().unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn loads_from_config_toml_and_checks_downgrade_to() {
        let parse = |text: &str| {
            let env = |k: &str| (k == "KEY").then(|| "sk".to_string());
            crate::config::parse(text, std::path::Path::new("/c/config.toml"), &env)
        };
        let providers = "[providers.a]\nkind = \"anthropic\"\napi_key = \"${KEY}\"\n";
        let c = parse(&format!(
            "{providers}[budgets]\nmonthly_usd = 30\naction = \"downgrade\"\ndowngrade_to = \"a/claude-haiku-4-5\"\nwarn_at = 0.9\n"
        ))
        .unwrap();
        assert_eq!(c.budgets.monthly_usd, Some(30.0));
        assert_eq!(c.budgets.action, BudgetAction::Downgrade);
        assert_eq!(c.budgets.warn_at, 0.9);
        let err = parse(&format!(
            "{providers}[budgets]\ndaily_usd = 1\naction = \"downgrade\"\ndowngrade_to = \"nowhere/x\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("budgets.downgrade_to"), "{err}");
        let err = parse("[budgets]\naction = \"pause\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("pause"), "{err}");
    }
}
