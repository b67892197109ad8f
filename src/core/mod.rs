//! The core: a service (`Core`, service.rs) that opens sessions for any number of front ends,
//! one session task per open conversation, driven by `Op`s and answering with `Event`s, around
//! a pure turn state machine (docs/architecture.md, docs/protocol.md). `setup.rs` builds the
//! shared parts once per process, `check.rs` the whole-configuration check it (and `config
//! check`, `doctor`) runs, `live.rs` who is attached to which session, `session.rs` the actor
//! (with its child files `start.rs`, `effects.rs`, `queries.rs`, `compact.rs`), `machine/` the
//! turn logic, `context.rs` the request history, `pending.rs` the writes kept while the store
//! cannot take them (disk full), `model_list.rs` the models `/model` offers.

pub mod attribution;
pub mod check;
pub mod context;
pub mod live;
pub mod machine;
pub mod model_list;
pub mod pending;
pub mod service;
pub mod session;
pub mod setup;
pub mod subagents;
pub mod workspace_diff;

pub use service::{Core, spawn};
pub use session::{SessionHandle, SessionOptions, SessionStart};
pub use setup::{CoreDeps, CoreError};
