//! The core driven in process, with no binary and no terminal: build `CoreDeps` from a config
//! text in a directory, spawn a session, send `Op`s and read `Event`s.

use harness::config::HarnessPaths;
use harness::core::{CoreDeps, SessionHandle, SessionOptions, SessionStart};
use harness::protocol::{Event, Op};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A core over `home` (config written there) with `workspace` as its workspace.
pub fn build(home: &Path, workspace: &Path, config_text: &str) -> (Arc<CoreDeps>, HarnessPaths) {
    let paths = HarnessPaths::under(home);
    std::fs::write(&paths.config_file, config_text).expect("write config");
    let config =
        harness::config::parse(config_text, &paths.config_file, &|_| None).expect("config parses");
    let deps = CoreDeps::build(&paths, config, workspace.to_path_buf()).expect("core builds");
    (Arc::new(deps), paths)
}

/// A headless session on a new conversation.
pub async fn session(deps: &Arc<CoreDeps>) -> SessionHandle {
    harness::core::spawn(
        deps.clone(),
        SessionOptions {
            start: SessionStart::New,
            model: None,
            agent: None,
            approval: None,
            headless: true,
        },
    )
    .await
    .expect("session starts")
}

/// Send a user turn.
pub fn send(session: &SessionHandle, text: &str) {
    session
        .ops
        .send(Op::UserTurn { text: text.into() })
        .expect("session alive");
}

/// Events up to and including the next `done` (which is returned first).
pub async fn until_done(session: &mut SessionHandle) -> (Event, Vec<Event>) {
    let mut seen = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), session.events.recv())
            .await
            .expect("an event within 20 s")
            .expect("the session is alive");
        if matches!(ev, Event::TurnComplete { .. }) {
            return (ev, seen);
        }
        seen.push(ev);
    }
}

/// Wait for the reply's first streamed text (the events before it are dropped).
pub async fn until_first_text(session: &mut SessionHandle) {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), session.events.recv())
            .await
            .expect("an event within 20 s")
            .expect("the session is alive");
        if matches!(ev, Event::TextDelta { .. }) {
            return;
        }
    }
}

/// The messages of every `error` event.
pub fn errors(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}
