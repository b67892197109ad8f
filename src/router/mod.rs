//! The in-process router: picks the model for a message from the active agent, the rules in
//! `[router]`, the built-in classifier and provider health, and says why. Pure functions; the
//! core feeds it and acts on its answer (trying `RouteDecision::candidates` in order, with
//! [`fallback_reason`] for each switch before the first token).
//!
//! - `classify.rs`: the deterministic classifier into the built-in categories.
//! - `rules.rs`: pins, rule matching by priority, fallback chains, the decision trace.
//! - `validate.rs`: config problems in `[router]` and agents' pins, with lines.
//! - `health.rs`: the per-provider circuit breaker whose state the caller passes in.

pub mod classify;
pub mod health;
pub mod rules;
pub mod validate;

pub use classify::{Category, Classification, ClassifyInput, Signal, classify};
pub use rules::{
    Candidate, Outcome, Pin, PinSource, RouteDecision, RouteError, RouteInput, Router, TraceStep,
    fallback_reason, route, unavailable_reason,
};
pub use validate::{ConfigProblem, validate};
