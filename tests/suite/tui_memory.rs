//! Memory in the TUI: `/remember TEXT` and `/memory [query]` send their ops, the core's answer
//! shows as a notice, and the memories recalled into a turn show as one transcript line naming
//! them (snapshot).

use super::tui_harness::Harness;
use harness::protocol::{Event, Op, RecalledMemory};

#[test]
fn remember_and_memory_send_their_ops_and_show_the_answer() {
    let mut h = Harness::new(100, 24);
    h.keys("/remember the staging db is on port 5433<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::Remember {
            text: "the staging db is on port 5433".into()
        }]
    );
    h.event(Event::Notice {
        message: "remembered 3f2a9c01: “the staging db is on port 5433”".into(),
    });
    assert!(h.screen_contains("remembered 3f2a9c01"), "{:?}", h.screen());
    h.keys("/memory staging<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::SearchMemory {
            query: Some("staging".into())
        }]
    );
    h.keys("/memory<Enter>");
    assert_eq!(h.take_ops(), [Op::SearchMemory { query: None }]);
}

#[test]
fn recalled_memories_are_named_in_the_transcript() {
    let mut h = Harness::new(100, 24);
    h.event(Event::MemoryRecalled {
        memories: vec![
            RecalledMemory {
                id: "3f2a9c01-0000-4000-8000-000000000000".into(),
                text: "the staging db is on port 5433".into(),
                score: 0.82,
            },
            RecalledMemory {
                id: "77aa0000-0000-4000-8000-000000000000".into(),
                text: "deploys go out on Tuesdays, never on Fridays, and always after the review meeting".into(),
                score: 0.61,
            },
        ],
        note: None,
    });
    assert!(
        h.screen_contains("recalled 2 notes from memory: “the staging db is on port 5433”"),
        "{:?}",
        h.screen()
    );
    insta::assert_snapshot!("memory_recalled_100x24", h.frame());
}
