//! The budget's say in routing: with `[budgets] action = "downgrade"` near or over a limit,
//! `downgrade_to` replaces the chain the rules chose, with a reason that says `budget`; a pin
//! is kept (the trace says why). The verdict itself is `crate::usage::budget`'s.

use super::rules::{
    Candidate, Outcome, RouteDecision, RouteError, RouteInput, TraceStep, alias_of,
};
use crate::config::resolve_model_ref;

/// A budget near or over its limit with `action = "downgrade"`: `downgrade_to` instead of the
/// chain, with a reason that says `budget`. A pinned model is kept (the trace says so).
pub(super) fn apply_budget(
    input: &RouteInput<'_>,
    mut decision: RouteDecision,
) -> Result<RouteDecision, RouteError> {
    let Some((budget, to)) = input.budget.and_then(|b| b.downgrade().map(|to| (b, to))) else {
        return Ok(decision);
    };
    if let Some(pin) = &decision.pinned {
        decision.trace.push(TraceStep {
            step: "budget".to_string(),
            priority: None,
            outcome: Outcome::Skipped,
            why: format!("{}; not applied: {pin}", budget.route_reason()),
        });
        return Ok(decision);
    }
    let resolved =
        resolve_model_ref(input.config, to).map_err(|message| RouteError::BadReference {
            what: "budgets.downgrade_to".to_string(),
            message,
        })?;
    let model = resolved.to_string();
    let reason = budget.route_reason();
    decision.trace.push(TraceStep {
        step: "budget".to_string(),
        priority: None,
        outcome: Outcome::Matched,
        why: format!("{model}: {reason}"),
    });
    decision.candidates = vec![Candidate {
        alias: alias_of(to, &model),
        model,
        provider: resolved.provider,
        reason,
    }];
    Ok(decision)
}
