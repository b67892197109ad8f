//! The core: one session task per front end, driven by `Op`s and answering with `Event`s,
//! around a pure turn state machine. `setup.rs` builds the shared parts once per process,
//! `session.rs` is the actor, `machine.rs` the turn logic, `context.rs` the request history,
//! `pending.rs` the writes kept while the store cannot take them (disk full).

pub mod check;
pub mod context;
pub mod machine;
pub mod pending;
pub mod session;
pub mod setup;

pub use session::{SessionHandle, SessionOptions, SessionStart, spawn};
pub use setup::{CoreDeps, CoreError};
