//! Slash commands in the TUI: custom commands from `.harness/commands/*.md` and the user's
//! `commands/*.md` (listed in the popup and `/help`, completed by Tab, expanded and sent, read
//! again when the popup opens), and the one rule for the draft after any failure: it stays as
//! typed (or comes back, when the core's answer is the error), cursor at its end, the reason
//! on one line above it, nothing else on screen.

use super::tui_harness::{Harness, test_config};
use harness::protocol::{Event, Op};
use harness::tui::AppConfig;
use harness::tui::commands::custom::Scope;
use std::path::Path;

/// A project and a user command directory under `tmp`, with `files` written into them
/// (`project/NAME.md` or `user/NAME.md`).
fn config_with(tmp: &Path, files: &[(&str, &str)]) -> AppConfig {
    let project = tmp.join("ws/.harness/commands");
    let user = tmp.join("home/commands");
    for (name, text) in files {
        let (scope, file) = name.split_once('/').unwrap();
        let dir = if scope == "project" { &project } else { &user };
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(file), text).unwrap();
    }
    AppConfig {
        command_dirs: vec![(project, Scope::Project), (user, Scope::User)],
        ..test_config()
    }
}

const REVIEW: &str = "---\ndescription: review the named files for bugs\nargument-hint: FILES\n---\nReview $ARGUMENTS for bugs.\n";
const DEPLOY: &str = "---\ndescription: deploy checklist\nagent: coder\nmodel: opus\n---\nWalk me through deploying.\n";
const STANDUP: &str = "Summarise what changed since yesterday.";

fn three_commands(tmp: &Path) -> AppConfig {
    config_with(
        tmp,
        &[
            ("project/review.md", REVIEW),
            ("user/deploy.md", DEPLOY),
            ("user/standup.md", STANDUP),
        ],
    )
}

#[test]
fn the_popup_lists_custom_commands_with_their_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::with_config(80, 24, three_commands(tmp.path()));
    h.keys("/re");
    insta::assert_snapshot!("custom_popup_80x24", h.frame());
    h.keys("<BS><BS>");
    let screen = h.screen().join("\n");
    assert!(!screen.contains("standup"), "built-ins first: {screen}");
    h.keys("s");
    assert!(h.screen_contains("/standup"), "filtered to it");
    assert!(
        h.screen_contains("custom command (user)"),
        "no description: a plain tag"
    );
}

#[test]
fn help_has_a_custom_commands_section() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::with_config(80, 60, three_commands(tmp.path()));
    h.keys("/help<Enter>");
    let screen = h.screen().join("\n");
    let section = screen
        .split("Custom commands")
        .nth(1)
        .and_then(|s| s.split("Keys:").next())
        .unwrap_or_else(|| panic!("no custom section in:\n{screen}"));
    insta::assert_snapshot!("custom_help_section", section.trim_end());
}

#[test]
fn tab_completes_a_custom_command_and_enter_sends_its_prompt() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::with_config(80, 24, three_commands(tmp.path()));
    h.keys("/revi<Tab>");
    assert_eq!(
        h.app.draft(),
        "/review ",
        "a command taking arguments gets a space"
    );
    h.keys("src/a.rs src/b.rs<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: "Review src/a.rs src/b.rs for bugs.".into()
        }]
    );
    assert_eq!(h.app.draft(), "");
    assert!(
        h.screen_contains("Review src/a.rs src/b.rs for bugs."),
        "the user cell"
    );
    // Recall gives back what was typed, not its expansion.
    h.events([Event::TurnComplete {
        conversation_id: "0190a0b0-0000-7000-8000-000000000001".parse().unwrap(),
        status: harness::message::MessageStatus::Complete,
        usage: Default::default(),
        unsaved: 0,
    }]);
    h.keys("<Up>");
    assert_eq!(h.app.draft(), "/review src/a.rs src/b.rs");
}

#[test]
fn arguments_without_a_placeholder_follow_the_prompt() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::with_config(80, 24, three_commands(tmp.path()));
    h.keys("/standup only the API<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: format!("{STANDUP}\n\nonly the API")
        }]
    );
}

#[test]
fn agent_and_model_front_matter_go_with_that_turn_only() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = Harness::with_config(80, 24, three_commands(tmp.path()));
    h.keys("/deploy<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurnAs {
            text: "Walk me through deploying.".into(),
            agent: Some("coder".into()),
            model: Some("opus".into()),
        }]
    );
    // Behind a running turn it waits its turn, with its agent and model.
    h.keys("/deploy<Enter>");
    assert!(h.take_ops().is_empty(), "queued");
    h.event(Event::TurnComplete {
        conversation_id: "0190a0b0-0000-7000-8000-000000000001".parse().unwrap(),
        status: harness::message::MessageStatus::Complete,
        usage: Default::default(),
        unsaved: 0,
    });
    assert!(matches!(
        h.take_ops().as_slice(),
        [Op::UserTurnAs { agent: Some(a), .. }] if a == "coder"
    ));
}

#[test]
fn a_command_file_added_mid_session_appears_when_the_popup_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config_with(tmp.path(), &[]);
    let dir = tmp.path().join("ws/.harness/commands");
    let mut h = Harness::with_config(80, 24, config);
    h.keys("/lint");
    assert!(!h.screen_contains("run the linters"), "no such command yet");
    h.keys("<C-u>");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("lint.md"),
        "---\ndescription: run the linters\n---\nLint.",
    )
    .unwrap();
    h.keys("/li");
    assert!(h.screen_contains("run the linters (project)"));
    h.keys("nt<Enter>");
    assert_eq!(
        h.take_ops(),
        [Op::UserTurn {
            text: "Lint.".into()
        }]
    );
}

#[test]
fn skipped_and_shadowed_files_are_named_at_start_up_and_in_help() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config_with(
        tmp.path(),
        &[
            ("project/review.md", REVIEW),
            ("user/review.md", "the user's, shadowed"),
            ("user/help.md", "shadowed by the built-in"),
            ("user/Bad.md", "bad name"),
            ("user/broken.md", "---\ndescription = x\n---\n"),
        ],
    );
    let mut h = Harness::with_config(100, 60, config);
    let screen = h.screen().join("\n");
    for want in [
        "Bad.md: a command name is lowercase",
        "is not used: the built-in /help",
        "home/commands/review.md is not used",
        "broken.md: front matter line 2: expected",
    ] {
        assert!(screen.contains(want), "{want:?} at start-up:\n{screen}");
    }
    h.keys("/help<Enter>");
    let help = h.screen().join("\n");
    let section = help.rsplit("Custom commands").next().unwrap_or_default();
    assert!(section.contains("warning:"), "{help}");
    assert!(section.contains("Bad.md"), "{help}");
}

// ---- the draft after a failure ---------------------------------------------------------------

/// After `typed` + Enter failed: the draft is exactly as typed, the cursor at its end, the
/// error on one line above it, nothing sent and no error cell.
fn assert_kept(h: &mut Harness, typed: &str, error: &str) {
    assert_eq!(h.app.draft(), typed, "the draft is kept as typed");
    let screen = h.screen();
    let line = screen
        .iter()
        .find(|l| l.contains(error))
        .unwrap_or_else(|| panic!("{error:?} not on screen:\n{}", screen.join("\n")));
    assert!(
        line.trim_start().starts_with('✗'),
        "the inline error line: {line}"
    );
    assert_eq!(
        screen.iter().filter(|l| l.contains(error)).count(),
        1,
        "shown once: {screen:#?}"
    );
    h.keys("!");
    assert_eq!(
        h.app.draft(),
        format!("{typed}!"),
        "the cursor was at the end"
    );
    assert!(!h.screen_contains(error), "the next edit clears the error");
    h.keys("<C-u>");
}

#[test]
fn every_failing_command_keeps_the_draft_the_same_way() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config_with(
        tmp.path(),
        &[
            ("project/bad-agent.md", "---\nagent: nobody\n---\nx"),
            ("project/bad-model.md", "---\nmodel: nope\n---\nx"),
            ("project/empty.md", "---\ndescription: nothing\n---\n"),
        ],
    );
    let mut h = Harness::with_config(120, 30, config);
    let cases = [
        ("/modle opus", "unknown command /modle"),
        ("/model nope", "unknown model `nope`"),
        ("/agent nobody", "unknown agent `nobody`"),
        ("/theme neon", "unknown theme `neon`"),
        // (A complete name needing arguments gets its space from the popup's Enter.)
        ("/title ", "/title needs the new title"),
        ("/copy x", "`x` is not a code block number"),
        ("/copy ", "nothing to copy yet"),
        ("/status now", "/status takes no arguments"),
        ("/resume zz", "`zz` is not a conversation id"),
        ("/jobs", "jobs are not available here"),
        (
            "/sandbox build",
            "the sandbox here is not the default Docker image",
        ),
        ("/bad-agent", "/bad-agent: unknown agent `nobody`"),
        ("/bad-model", "/bad-model: unknown model `nope`"),
        ("/empty", "/empty has an empty prompt"),
        (
            "/bad-agnet",
            "unknown command /bad-agnet (did you mean `bad-agent`?)",
        ),
    ];
    for (typed, error) in cases {
        // The cursor anywhere: Enter sends the whole draft, and a failure puts it at the end.
        h.keys(typed);
        h.keys("<Home>");
        h.keys("<Enter>");
        assert!(h.take_ops().is_empty(), "{typed}: nothing sent");
        assert_kept(&mut h, typed, error);
    }
}

#[test]
fn commands_the_core_refuses_during_a_turn_are_kept_the_same_way() {
    let mut h = Harness::new(120, 30);
    h.keys("a long task<Enter>");
    assert_eq!(h.take_ops().len(), 1);
    for typed in ["/new", "/compact", "/undo", "/rewind --force", "/fork"] {
        h.keys(typed);
        h.keys("<Enter>");
        assert!(h.take_ops().is_empty(), "{typed}: nothing sent");
        assert_kept(
            &mut h,
            typed,
            "a turn is running: wait for it to end or interrupt it",
        );
    }
    assert!(
        h.screen_contains("a long task"),
        "the conversation was not reset"
    );
    // A message is not refused: it waits its turn.
    h.keys("next<Enter>");
    assert_eq!(h.app.draft(), "");
    assert!(h.screen_contains("queued (1): next"));
}

#[test]
fn a_core_error_answering_a_command_or_message_brings_it_back_the_same_way() {
    let mut h = Harness::new(120, 30);
    let cases = [
        ("/model nowhere/model-z", "unknown provider `nowhere`"),
        ("/agent coder", "agent `coder` could not be loaded"),
        ("/resume 0190ffff", "no conversation starts with 0190ffff"),
        (
            "/title Renamed",
            "nothing to title yet: send a message first",
        ),
        (
            "hello there",
            "a turn is already running in this conversation in another harness process",
        ),
    ];
    for (typed, error) in cases {
        h.keys(typed);
        h.keys("<Enter>");
        assert_eq!(h.take_ops().len(), 1, "{typed}: sent to the core");
        assert_eq!(h.app.draft(), "", "{typed}: sent, so the composer empties");
        h.event(Event::Error {
            message: error.into(),
            retryable: false,
        });
        if !typed.starts_with('/') {
            // The refused turn ends.
            h.event(Event::TurnComplete {
                conversation_id: "0190a0b0-0000-7000-8000-000000000001".parse().unwrap(),
                status: harness::message::MessageStatus::Error,
                usage: Default::default(),
                unsaved: 0,
            });
        }
        assert_kept(&mut h, typed, error);
    }
    // An error that answers nothing the user sent stays a transcript line.
    h.keys("/agent coder<Enter>");
    h.event(Event::SettingsChanged {
        agent: "coder".into(),
        model: None,
    });
    h.event(Event::Error {
        message: "later trouble".into(),
        retryable: false,
    });
    assert_eq!(h.app.draft(), "");
    assert!(h.screen_contains("later trouble"));
}

#[test]
fn a_message_with_no_provider_is_kept_the_same_way() {
    let config = AppConfig {
        setup_guidance: Some(vec!["set ANTHROPIC_API_KEY".into()]),
        ..test_config()
    };
    let mut h = Harness::with_config(120, 30, config);
    h.keys("hello<Enter>");
    assert!(h.take_ops().is_empty());
    assert!(
        h.screen_contains("set ANTHROPIC_API_KEY"),
        "the guidance above"
    );
    assert_kept(&mut h, "hello", "not sent: no provider is set up");
}
