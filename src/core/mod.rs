//! The core: one session task per conversation, driven by `Op`s and answering with `Event`s,
//! around a pure turn state machine (`machine.rs`).

pub mod context;
pub mod machine;
