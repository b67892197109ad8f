//! The in-process router: picks the model for a message from the active agent, the rules in
//! `[router]`, the built-in classifier and provider health (`providers::health`, passed in by
//! the caller as `available`), and says why. Pure functions; the
//! core feeds it and acts on its answer (trying `RouteDecision::candidates` in order, with
//! [`fallback_reason`] for each switch before the first token).
//!
//! - `classify.rs`: the deterministic classifier into the built-in categories.
//! - `rules.rs`: pins, rule matching by priority, fallback chains, the decision trace.
//! - `validate.rs`: config problems in `[router]` and agents' pins, with lines.
//!
//! How the core drives it, per user message:
//!
//! ```text
//! let router = Router::new(&config.router)?;          // once per session / config reload
//! let decision = router.route(&RouteInput { text, agent, pinned, previous, config,
//!                                           available: &|provider| breaker_is_closed(provider), budget: None })?;
//! // emit route { model: candidates[0].model, reason: candidates[0].reason }, then call it.
//! // On a failure before the first token of candidates[i], if candidates[i + 1] exists:
//! //   reason = fallback_reason(&candidates[i].model, &error_text, &candidates[i + 1])
//! //   emit route { model: candidates[i + 1].model, reason } and try it.
//! // After the first token: no switch. A pin yields exactly one candidate (no silent fallback).
//! // Keep decision.category as `previous` for the next message.
//! ```

mod budget;
pub mod classify;
pub mod rules;
pub mod validate;

pub use classify::{Category, Classification, ClassifyInput, Signal, classify};
pub use rules::{
    Candidate, Outcome, Pin, PinSource, RouteDecision, RouteError, RouteInput, Router, TraceStep,
    fallback_reason, route, unavailable_reason,
};
pub use validate::{ConfigProblem, render_problems, validate};
