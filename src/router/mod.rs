//! The in-process router: picks the model for a message from the active agent, the rules in
//! `[router]`, the built-in classifier and provider health, and says why. Pure functions; the
//! core feeds it and acts on its answer.

pub mod classify;
pub mod health;
pub mod rules;
