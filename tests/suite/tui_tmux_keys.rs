//! The built binary under tmux, for what only a real terminal shows: Shift+Enter as the bytes
//! terminals send for it (CSI u `ESC[13;2u`; xterm's modifyOtherKeys `ESC[27;2;13~`, which
//! tmux before 3.5 sends with `extended-keys`, and xterm, foot and Ghostty send) inserts a
//! newline and never sends; and a custom command
//! from the workspace's `.harness/commands/` with a `model` in its front matter reaches the
//! provider with that model, the next message with the conversation's own.

use super::tui_tmux::{Tmux, tmux_available};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::TempHome;

async fn start(server: &FakeProvider, home: &TempHome) -> Option<Tmux> {
    if !tmux_available() {
        crate::support::prereq::missing(
            "tui tmux keys",
            "tmux is not installed (apt-get install tmux)",
        );
        return None;
    }
    home.write_config(&format!(
        "default_model = \"fake/first-model\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    ));
    let tui = Tmux::start(home, "");
    tui.wait_for("Ask anything").await;
    Some(tui)
}

/// Type `first`, the raw `shift_enter` bytes, `second`; the draft holds both lines and nothing
/// was sent until Enter.
async fn shift_enter_inserts_a_newline(shift_enter: &[&str]) {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = TempHome::new();
    let Some(tui) = start(&server, &home).await else {
        return;
    };
    server.push(Reply::text("Two lines received."));
    tui.keys(&["-l", "first line"]);
    let mut hex = vec!["-H"];
    hex.extend_from_slice(shift_enter);
    tui.keys(&hex);
    tui.keys(&["-l", "second line"]);
    let screen = tui.wait_for("second line").await;
    assert!(screen.contains("first line"), "{screen}");
    assert!(
        server.chat_requests().is_empty(),
        "Shift+Enter never sends:\n{screen}"
    );
    tui.keys(&["Enter"]);
    tui.wait_for("Two lines received.").await;
    let sent = &server.chat_requests()[0].body["messages"];
    let last = sent.as_array().unwrap().last().unwrap();
    assert_eq!(last["content"], "first line\nsecond line");
    tui.keys(&["C-d"]);
    tui.wait_for("EXITED 0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shift_enter_as_csi_u_inserts_a_newline() {
    // ESC [ 1 3 ; 2 u
    shift_enter_inserts_a_newline(&["1b", "5b", "31", "33", "3b", "32", "75"]).await;
}

/// crossterm's parser has no case for `CSI 27 ; mod ; code ~` and dropped the key (the draft
/// read `first linesecond line`); harness's own reader (`tui/input`) reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shift_enter_as_modify_other_keys_inserts_a_newline() {
    // ESC [ 2 7 ; 2 ; 1 3 ~
    shift_enter_inserts_a_newline(&["1b", "5b", "32", "37", "3b", "32", "3b", "31", "33", "7e"])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_commands_model_is_used_for_its_turn_only() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = TempHome::new();
    let commands = home.path().join("ws/.harness/commands");
    std::fs::create_dir_all(&commands).unwrap();
    std::fs::write(
        commands.join("second.md"),
        "---\ndescription: ask the second model\nmodel: fake/second-model\n---\nSecond opinion on $ARGUMENTS, please.\n",
    )
    .unwrap();
    let Some(tui) = start(&server, &home).await else {
        return;
    };
    server.push(Reply::text("The second model answers."));
    server.push(Reply::text("The first model again."));
    tui.keys(&["-l", "/sec"]);
    tui.wait_for("ask the second model (project)").await;
    tui.keys(&["-l", "ond the plan"]);
    tui.keys(&["Enter"]);
    tui.wait_for("The second model answers.").await;
    tui.type_line("and you?");
    tui.wait_for("The first model again.").await;
    let requests = server.chat_requests();
    assert_eq!(requests[0].body["model"], "second-model");
    let first = requests[0].body["messages"].as_array().unwrap().clone();
    assert_eq!(
        first.last().unwrap()["content"],
        "Second opinion on the plan, please."
    );
    assert_eq!(requests[1].body["model"], "first-model", "restored after");
    tui.keys(&["C-d"]);
    tui.wait_for("EXITED 0").await;
}
