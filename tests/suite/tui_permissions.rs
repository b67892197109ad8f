//! `/permissions` in the TUI: it asks the core (`Op::ListPermissions`) and shows the answer
//! (`Event::Permissions`) as an info cell in the transcript.

use super::tui_harness::Harness;
use harness::protocol::{ApprovalMode, Event, Op, PermissionRule};

#[test]
fn slash_permissions_asks_the_core_and_shows_the_rules_with_their_sources() {
    let mut h = Harness::new(100, 24);
    h.keys("/permissions<Enter>");
    assert_eq!(h.take_ops(), [Op::ListPermissions]);
    h.event(Event::Permissions {
        mode: ApprovalMode::Ask,
        rules: vec![
            PermissionRule {
                kind: "allow".into(),
                rule: "bash(cargo test:*)".into(),
                source: "/home/u/.config/harness/config.toml:12".into(),
            },
            PermissionRule {
                kind: "deny".into(),
                rule: "bash(curl:*)".into(),
                source: "/w/.harness/permissions.toml:2".into(),
            },
            PermissionRule {
                kind: "allow".into(),
                rule: "bash(ls -la)".into(),
                source: "this conversation (always)".into(),
            },
        ],
        always_ask: vec!["writes under .git/ and .harness/".into()],
        warnings: vec!["/w/.harness/permissions.toml:1: allow rule `bash` ignored".into()],
    });
    insta::assert_snapshot!("permissions_cell_100x24", h.frame());
    assert!(h.screen_contains("deny  bash(curl:*)  — /w/.harness/permissions.toml:2"));
    assert!(h.screen_contains("allow bash(ls -la)  — this conversation (always)"));
    assert!(h.screen_contains("warning: /w/.harness/permissions.toml:1"));
}
