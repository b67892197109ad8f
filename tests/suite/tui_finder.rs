//! The `@` file finder and attachments: `@` at a word start lists the workspace's files (not
//! the .gitignored ones), typing filters them, Tab/Enter insert the path, Esc closes, a query
//! nothing matches never swallows typing; on send the mentioned files' text goes with the
//! message in `<attached_file>` blocks, the user cell shows a `📎` line per file, a missing or
//! outside file is sent as text with a one-line notice. The last test drives the built binary
//! under tmux against the fake provider and checks the file's text reaches the request.

use super::tui_harness::{Harness, history_message, test_config};
use super::tui_tmux::{Tmux, tmux_available};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::TempHome;
use harness::message::{ConversationId, MessageStatus, Role};
use harness::protocol::{Event, Op};
use harness::tui::AppConfig;
use std::path::Path;

/// A workspace `ws/` (with a .gitignore) next to a file outside it.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("ws/README.md", "# Demo\n"),
        ("ws/src/main.rs", "fn main() {\n    println!(\"hi\");\n}\n"),
        ("ws/src/app/finder.rs", "//! finder\n"),
        ("ws/src/app/view.rs", "//! view\n"),
        ("ws/docs/guide.md", "guide\n"),
        ("ws/target/debug/app", "binary\n"),
        ("ws/build.log", "log\n"),
        ("ws/.env", "KEY=1\n"),
        ("secret.txt", "the outside secret\n"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(dir.path().join("ws/.gitignore"), "target/\n*.log\n").unwrap();
    dir
}

fn harness_in(ws: &Path, width: u16, height: u16) -> Harness {
    let config = AppConfig {
        workspace: Some(ws.to_path_buf()),
        ..test_config()
    };
    Harness::with_config(width, height, config)
}

/// Type `script` and let the background work it started (the file list) finish.
fn typed(h: &mut Harness, script: &str) {
    h.keys(script);
    h.app.wait_background();
}

fn turn_complete() -> Event {
    Event::TurnComplete {
        conversation_id: "0190a0b0-0000-7000-8000-000000000001".parse().unwrap(),
        status: MessageStatus::Complete,
        usage: Default::default(),
        unsaved: 0,
    }
}

fn user_turns(h: &mut Harness) -> Vec<String> {
    h.take_ops()
        .into_iter()
        .filter_map(|op| match op {
            Op::UserTurn { text } => Some(text),
            _ => None,
        })
        .collect()
}

#[test]
fn at_lists_the_workspace_without_ignored_files_and_filters_fuzzily() {
    let dir = workspace();
    let mut h = harness_in(&dir.path().join("ws"), 80, 24);
    typed(&mut h, "look at @");
    let screen = h.screen().join("\n");
    for want in [
        "README.md",
        "src/main.rs",
        "docs/guide.md",
        "src/app/view.rs",
    ] {
        assert!(screen.contains(want), "`{want}` not listed:\n{screen}");
    }
    for ignored in ["target", "build.log", ".env", ".gitignore", ".git"] {
        assert!(!screen.contains(ignored), "`{ignored}` listed:\n{screen}");
    }
    h.keys("src");
    insta::assert_snapshot!("finder_matches_80x24", h.frame());
    // The matched characters are drawn in the theme's match style, the rest not.
    let hit = test_config().theme.styles.search_match;
    let screen = h.screen();
    let row = screen
        .iter()
        .position(|l| l.contains("│ src/main.rs"))
        .expect("src/main.rs listed");
    let buf = h.terminal.backend().buffer();
    let fg = |x: u16| buf[(x, row as u16)].style().fg;
    assert_eq!([fg(2), fg(3), fg(4)], [hit.fg; 3], "s r c highlighted");
    assert_ne!(fg(6), hit.fg, "`m` of main is not");
    h.keys("fi<Tab>");
    assert_eq!(h.app.draft(), "look at @src/app/finder.rs ");
    assert!(!h.screen_contains("files · Tab/Enter inserts"), "closed");
}

#[test]
fn inline_mode_makes_room_for_the_finder() {
    let dir = workspace();
    let config = AppConfig {
        workspace: Some(dir.path().join("ws")),
        inline: true,
        ..test_config()
    };
    let mut h = Harness::with_config(80, 24, config);
    // Welcome (4 rows), composer (2) and status line (1).
    assert_eq!(h.app.live_height(80, 24), 7);
    typed(&mut h, "@");
    assert_eq!(
        h.app.live_height(80, 24),
        8 + 2 + 3,
        "eight paths in a frame"
    );
    h.keys("zzqx");
    assert_eq!(h.app.live_height(80, 24), 7, "the one-row empty state fits");
}

#[test]
fn the_list_is_read_again_when_the_finder_opens_after_a_while() {
    let dir = workspace();
    let ws = dir.path().join("ws");
    let mut h = harness_in(&ws, 80, 24);
    typed(&mut h, "@");
    h.keys("<Esc>");
    std::fs::write(ws.join("fresh.txt"), "new\n").unwrap();
    h.app.set_draft("");
    typed(&mut h, "@");
    h.keys("fresh");
    assert!(
        h.screen_contains("no matching file"),
        "within the refresh time the list is the cached one"
    );
    h.keys("<Esc>");
    h.wait(31_000);
    h.app.set_draft("");
    typed(&mut h, "@");
    h.keys("fresh");
    assert!(
        h.screen_contains("│ fresh.txt"),
        "listed again on reopening"
    );
}

#[test]
fn the_list_scrolls_with_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12 {
        std::fs::write(dir.path().join(format!("f{i:02}.txt")), "x\n").unwrap();
    }
    let mut h = harness_in(dir.path(), 80, 24);
    typed(&mut h, "@");
    assert!(h.screen_contains("│ f07.txt") && !h.screen_contains("f08.txt"));
    h.keys("<Up>");
    let screen = h.screen().join("\n");
    assert!(
        screen.contains("│ f11.txt") && screen.contains("│ f04.txt"),
        "{screen}"
    );
    assert!(!screen.contains("f03.txt"), "{screen}");
    h.keys("<Tab>");
    assert_eq!(h.app.draft(), "@f11.txt ");
}

#[test]
fn no_match_says_so_and_typing_goes_on_into_the_draft() {
    let dir = workspace();
    let mut h = harness_in(&dir.path().join("ws"), 80, 24);
    typed(&mut h, "see @");
    h.keys("zzqx");
    insta::assert_snapshot!("finder_no_match_80x24", h.frame());
    h.keys(" and more<Enter>");
    h.app.wait_background();
    assert_eq!(
        user_turns(&mut h),
        ["see @zzqx and more"],
        "Enter sent: nothing was swallowed"
    );
    h.app.wait_background();
    assert!(h.screen_contains("@zzqx: no such file in the workspace; sent as text"));
}

#[test]
fn keys_in_the_finder() {
    let dir = workspace();
    let mut h = harness_in(&dir.path().join("ws"), 80, 24);
    // Esc closes it and keeps the text; typing goes on without it.
    typed(&mut h, "@");
    h.keys("src/ma<Esc>");
    assert_eq!(h.app.draft(), "@src/ma");
    assert!(!h.screen_contains("files · Tab/Enter inserts"));
    h.keys("in");
    assert!(!h.screen_contains("files · Tab/Enter inserts"));
    // Ctrl+C clears the draft, and the finder with it.
    h.app.set_draft("");
    typed(&mut h, "@");
    assert!(h.screen_contains("files · Tab/Enter inserts"));
    h.keys("<C-c>");
    assert_eq!(h.app.draft(), "");
    assert!(!h.screen_contains("files · Tab/Enter inserts"));
    // An @ inside a word (an email) does not open it.
    h.app.set_draft("");
    typed(&mut h, "me@src");
    assert!(!h.screen_contains("files · Tab/Enter inserts"));
    // Down moves; Enter inserts; a directory keeps the finder open inside it.
    h.app.set_draft("");
    typed(&mut h, "@");
    h.keys("src/app/<Enter>");
    assert_eq!(h.app.draft(), "@src/app/");
    assert!(h.screen_contains("files · Tab/Enter inserts"));
    h.keys("v<Enter>");
    assert_eq!(h.app.draft(), "@src/app/view.rs ");
    // A path typed in full is the first choice.
    h.app.set_draft("");
    typed(&mut h, "@");
    h.keys("src/main.rs<Enter>");
    assert_eq!(h.app.draft(), "@src/main.rs ");
    h.keys("<Enter>");
    h.app.wait_background();
    assert_eq!(user_turns(&mut h).len(), 1);
}

#[test]
fn a_sent_message_carries_the_file_and_shows_it_as_an_attachment() {
    let dir = workspace();
    let ws = dir.path().join("ws");
    let mut h = harness_in(&ws, 80, 24);
    typed(&mut h, "explain @");
    h.keys("src/main.rs<Enter><Enter>");
    h.app.wait_background();
    let sent = user_turns(&mut h);
    assert_eq!(
        sent,
        [
            "explain @src/main.rs \n\n<attached_file path=\"src/main.rs\" lines=\"3\" bytes=\"34\">\nfn main() {\n    println!(\"hi\");\n}\n</attached_file>"
        ]
    );
    h.event(Event::TextDelta {
        text: "It prints hi.".into(),
    });
    h.event(turn_complete());
    insta::assert_snapshot!("finder_sent_attachment_80x24", h.frame());
    // Recall gives the typed text back, not the file.
    h.event(Event::PromptHistory {
        prompts: sent.clone(),
    });
    h.keys("<Up>");
    assert_eq!(h.app.draft(), "explain @src/main.rs ");

    // After a resume the stored message shows the same way.
    let id: ConversationId = "0190a0b0-0000-7000-8000-000000000001".parse().unwrap();
    let mut resumed = harness_in(&ws, 80, 24);
    resumed.event(Event::SessionConfigured {
        conversation_id: id,
        agent: "general".into(),
        model: None,
        message_count: 1,
    });
    resumed.event(Event::HistoryPage {
        conversation_id: id,
        start: 0,
        total: 1,
        messages: vec![history_message(Role::User, sent[0].clone())],
    });
    let screen = resumed.screen().join("\n");
    // (The clip is two cells wide: the screen's text has a space cell after it.)
    assert!(
        screen.contains("📎  src/main.rs (3 lines, 34 B)"),
        "{screen}"
    );
    assert!(!screen.contains("println"), "{screen}");
}

#[test]
fn a_path_outside_the_workspace_is_refused() {
    let dir = workspace();
    let mut h = harness_in(&dir.path().join("ws"), 100, 24);
    h.app.set_draft("what is in @../secret.txt");
    h.keys("<Enter>");
    h.app.wait_background();
    assert_eq!(user_turns(&mut h), ["what is in @../secret.txt"]);
    assert!(h.screen_contains("@../secret.txt: outside the workspace, not attached; sent as text"));
}

#[test]
fn messages_keep_their_order_behind_one_whose_files_are_read() {
    let dir = workspace();
    let mut h = harness_in(&dir.path().join("ws"), 80, 24);
    h.app.set_draft("first @README.md");
    h.keys("<Enter>");
    h.app.set_draft("second");
    h.keys("<Enter>");
    h.app.wait_background();
    h.event(turn_complete());
    let sent = user_turns(&mut h);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[0].starts_with("first @README.md\n\n<attached_file"),
        "{sent:?}"
    );
    assert_eq!(sent[1], "second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_receives_the_attached_file() {
    if !tmux_available() {
        crate::support::prereq::missing(
            "tui tmux finder",
            "tmux is not installed (apt-get install tmux)",
        );
        return;
    }
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = TempHome::new();
    home.write_config(&format!(
        "default_model = \"fake/m\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    ));
    let ws = home.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("notes.txt"), "the secret word is pineapple\n").unwrap();
    server.push(Reply::text("The word is pineapple."));
    let tui = Tmux::start(&home, "");
    tui.wait_for("Ask anything").await;
    tui.keys(&["-l", "what does @note"]);
    tui.wait_for("files · Tab/Enter inserts").await;
    tui.keys(&["Tab"]);
    tui.type_line("say?");
    tui.wait_for("The word is pineapple.").await;
    let screen = tui.wait_for("📎 notes.txt (1 line, 29 B)").await;
    assert!(screen.contains("what does @notes.txt say?"), "{screen}");
    let request = server.chat_requests().pop().unwrap();
    let user = request.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        user,
        "what does @notes.txt say?\n\n<attached_file path=\"notes.txt\" lines=\"1\" bytes=\"29\">\nthe secret word is pineapple\n</attached_file>"
    );
    tui.keys(&["C-d"]);
    tui.wait_for("EXITED 0").await;
}
