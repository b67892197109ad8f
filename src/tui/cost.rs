//! How the TUI shows spend: the `/cost` notice (this conversation, today, this month, from the
//! core's `Cost` event) and the status line's "today" figure when a budget is set. Text only;
//! an unknown cost reads "unknown", never $0.

use crate::protocol::CostTotals;

fn money(t: &CostTotals) -> String {
    let known = match t.cost_usd {
        Some(c) => format!("${c:.4}"),
        None if t.requests == 0 => "$0.0000".to_string(),
        None => "unknown".to_string(),
    };
    if t.unknown_cost_requests > 0 && t.cost_usd.is_some() {
        format!(
            "{known} + {} request(s) at unknown prices",
            t.unknown_cost_requests
        )
    } else {
        known
    }
}

fn line(label: &str, t: &CostTotals, budget: Option<f64>) -> String {
    let budget = budget.map_or_else(String::new, |b| format!(" of ${b:.2}"));
    let cached = if t.cached_input_tokens > 0 {
        format!(", {} cached", t.cached_input_tokens)
    } else {
        String::new()
    };
    format!(
        "{label:<13} {}{budget} · {} request(s) · {} in, {} out{cached}",
        money(t),
        t.requests,
        t.input_tokens,
        t.output_tokens
    )
}

/// The `/cost` notice.
pub fn cost_text(
    conversation: &CostTotals,
    today: &CostTotals,
    month: &CostTotals,
    daily_budget: Option<f64>,
    monthly_budget: Option<f64>,
) -> String {
    [
        "Cost (harness usage --by day for more):".to_string(),
        line("conversation", conversation, None),
        line("today", today, daily_budget),
        line("this month", month, monthly_budget),
    ]
    .join("\n")
}

/// A cost as the badge shows it (`$0.0011`): what the provider reported for one reply.
pub fn usd(cost: f64) -> String {
    format!("${cost:.4}")
}

/// `today $1.20/$5.00` for the status line, when a budget is set.
pub fn today_label(today: Option<f64>, daily_budget: Option<f64>) -> Option<String> {
    let today = today?;
    Some(match daily_budget {
        Some(b) => format!("today ${today:.2}/${b:.2}"),
        None => format!("today ${today:.2}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_is_never_shown_as_zero() {
        let unknown = CostTotals {
            requests: 2,
            unknown_cost_requests: 2,
            ..CostTotals::default()
        };
        let mixed = CostTotals {
            requests: 3,
            cost_usd: Some(0.5),
            unknown_cost_requests: 1,
            ..CostTotals::default()
        };
        let text = cost_text(&unknown, &mixed, &CostTotals::default(), Some(5.0), None);
        assert!(text.contains("conversation  unknown"), "{text}");
        assert!(
            text.contains("today         $0.5000 + 1 request(s) at unknown prices of $5.00"),
            "{text}"
        );
        assert!(
            text.contains("this month    $0.0000 · 0 request(s)"),
            "{text}"
        );
        assert_eq!(today_label(None, Some(5.0)), None);
        assert_eq!(
            today_label(Some(1.2), Some(5.0)).as_deref(),
            Some("today $1.20/$5.00")
        );
    }
}
