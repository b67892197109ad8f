//! The core: one session task per front end, driven by `Op`s and answering with `Event`s,
//! around a pure turn state machine (docs/architecture.md, docs/protocol.md). `setup.rs` builds
//! the shared parts once per process, `check.rs` the whole-configuration check it (and `config
//! check`, `doctor`) runs, `session.rs` is the actor (with its child files `effects.rs`,
//! `queries.rs`, `compact.rs`), `machine.rs` the turn logic, `context.rs` the request history,
//! `pending.rs` the writes kept while the store cannot take them (disk full).

pub mod check;
pub mod context;
pub mod machine;
pub mod pending;
pub mod session;
pub mod setup;

pub use session::{SessionHandle, SessionOptions, SessionStart, spawn};
pub use setup::{CoreDeps, CoreError};
