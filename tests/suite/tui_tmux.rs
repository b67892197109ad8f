//! The built binary's TUI under tmux, against the fake provider: chat, `/model` switch, `/quit`
//! (which prints the id to resume), restart with `--continue`, the earlier messages on screen
//! and sent to the model; with no provider, the first screen's guidance. Skipped, with a
//! printed reason, only where tmux is not installed (and then failed under `CI=true`).

use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::TempHome;
use std::time::{Duration, Instant};

pub(super) struct Tmux {
    session: String,
}

impl Tmux {
    pub(super) fn start(home: &TempHome, args: &str) -> Self {
        Self::start_sized(home, args, 110, 32)
    }

    pub(super) fn start_sized(home: &TempHome, args: &str, width: u16, height: u16) -> Self {
        let session = format!("harness-e2e-{}", uuid::Uuid::now_v7().simple());
        let bin = env!("CARGO_BIN_EXE_harness");
        let ws = home.path().join("ws");
        std::fs::create_dir_all(&ws).unwrap();
        let command = format!(
            "cd {} && {} HARNESS_HOME={} NO_COLOR=1 {bin} {args}; echo EXITED $?; sleep 30",
            ws.display(),
            crate::support::home::scrubbed_env_prefix(),
            home.path().display()
        );
        // Each session runs on its own tmux server (socket named after it), so one test's
        // server shutting down never races the next start.
        let mut last = String::new();
        for _ in 0..5 {
            let out = tmux(&session)
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    &session,
                    "-x",
                    &width.to_string(),
                    "-y",
                    &height.to_string(),
                    &command,
                ])
                .output()
                .unwrap();
            if out.status.success() {
                return Self { session };
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("tmux new-session failed: {last}");
    }

    pub(super) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(tmux(&self.session).args(&args).status().unwrap().success());
    }

    pub(super) fn type_line(&self, text: &str) {
        self.keys(&["-l", text]);
        std::thread::sleep(Duration::from_millis(100));
        self.keys(&["Enter"]);
    }

    /// The whole pane: its scrollback (history) and the screen.
    pub(super) fn history(&self) -> String {
        let out = tmux(&self.session)
            .args(["capture-pane", "-p", "-S", "-", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(super) fn resize(&self, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        let args = ["resize-window", "-t", &self.session, "-x", &w, "-y", &h];
        assert!(tmux(&self.session).args(args).status().unwrap().success());
    }

    pub(super) fn screen(&self) -> String {
        let out = tmux(&self.session)
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(super) async fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "`{needle}` never appeared:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(&self.session).arg("kill-server").status();
    }
}

/// `tmux` on the server of one session (`-L` socket name).
fn tmux(session: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new("tmux");
    cmd.args(["-L", session]);
    cmd
}

pub(super) fn tmux_available() -> bool {
    std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_switch_model_quit_and_continue() {
    if !tmux_available() {
        crate::support::prereq::missing(
            "tui tmux e2e",
            "tmux is not installed (apt-get install tmux)",
        );
        return;
    }
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = TempHome::new();
    home.write_config(&format!(
        "default_model = \"fake/first-model\"\n{}\n[sandbox]\nbackend = \"host\"\n",
        server.config_toml("fake")
    ));

    server.push(Reply::text("Hello from the first model."));
    server.push(Reply::text("Now the second model speaks."));
    let tui = Tmux::start(&home, "");
    tui.wait_for("Ask anything").await;
    tui.type_line("hi there");
    tui.wait_for("Hello from the first model.").await;
    tui.type_line("/model fake/second-model");
    tui.wait_for("second-model").await;
    tui.type_line("and now?");
    tui.wait_for("Now the second model speaks.").await;
    let requests = server.chat_requests();
    assert_eq!(requests[0].body["model"], "first-model");
    assert_eq!(requests[1].body["model"], "second-model");
    tui.type_line("/quit");
    let screen = tui.wait_for("EXITED 0").await;
    assert!(screen.contains("harness --resume "), "{screen}");
    drop(tui);

    server.push(Reply::text("I remember everything."));
    let tui = Tmux::start(&home, "--continue");
    let screen = tui.wait_for("Now the second model speaks.").await;
    assert!(
        screen.contains("hi there") && screen.contains("Hello from the first model."),
        "{screen}"
    );
    tui.type_line("what did I say first?");
    tui.wait_for("I remember everything.").await;
    let last = server.chat_requests().pop().unwrap();
    let contents: Vec<String> = last.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        contents[1..],
        [
            "hi there",
            "Hello from the first model.",
            "and now?",
            "Now the second model speaks.",
            "what did I say first?"
        ]
    );
    assert_eq!(
        last.body["model"], "second-model",
        "the /model pin is remembered with the conversation"
    );
    tui.keys(&["C-d"]);
    tui.wait_for("EXITED 0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_provider_the_first_screen_explains_the_ways_in() {
    if !tmux_available() {
        crate::support::prereq::missing(
            "tui tmux first run",
            "tmux is not installed (apt-get install tmux)",
        );
        return;
    }
    let home = TempHome::new();
    let tui = Tmux::start(&home, "");
    let screen = tui.wait_for("No model provider is set up yet").await;
    let config = home.path().join("config.toml").display().to_string();
    for want in [
        "export a key",
        "ANTHROPIC_API_KEY",
        "harness init",
        config.as_str(),
    ] {
        assert!(screen.contains(want), "`{want}` missing:\n{screen}");
    }
    assert!(!screen.contains("no router rule matched"), "{screen}");
    tui.type_line("hello?");
    let screen = tui.wait_for("not sent").await;
    assert!(!screen.contains("no router rule matched"), "{screen}");
    // The message stays in the draft (not sent): the first Ctrl+C clears it.
    tui.keys(&["C-c"]);
    tui.keys(&["C-c"]);
    tui.keys(&["C-c"]);
    tui.wait_for("EXITED 0").await;
    assert!(
        !home.path().join("config.toml").exists(),
        "nothing was written"
    );
}

/// Keys typed while a tool call arrives go to the draft: the approval dialog comes up in the
/// middle of a sentence full of `y`, `a` and `p`, and none of them answers it. After a pause,
/// `y` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_ahead_never_answers_an_approval() {
    if !tmux_available() {
        crate::support::prereq::missing(
            "tui tmux type-ahead",
            "tmux is not installed (apt-get install tmux)",
        );
        return;
    }
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = TempHome::new();
    home.write_config(&format!(
        "default_model = \"fake/m\"\n{}\n[sandbox]\nbackend = \"host\"\n[approval]\nmode = \"ask\"\n",
        server.config_toml("fake")
    ));
    server.push(
        Reply::tool_call(
            "call_1",
            "bash",
            serde_json::json!({"command": "touch ran.txt"}),
        )
        .delay_first_byte(Duration::from_millis(1_200)),
    );
    server.push(Reply::text("The file is there now."));
    let tui = Tmux::start(&home, "");
    tui.wait_for("Ask anything").await;
    tui.type_line("please touch the file");

    // One key every ~60 ms (well inside the guard), checking the screen as we go.
    let text = "also a note: yes, always, a p y a p y, approve all of it, yes yes yes ok ";
    let mut dialog_seen_at = None;
    for (i, c) in text.chars().enumerate() {
        tui.keys(&["-l", &c.to_string()]);
        tokio::time::sleep(Duration::from_millis(60)).await;
        if dialog_seen_at.is_none() && tui.screen().contains("allow bash?") {
            dialog_seen_at = Some(i);
        }
    }
    let seen = dialog_seen_at.expect("the approval dialog never came up while typing");
    assert!(
        seen + 10 < text.chars().count(),
        "the dialog came up too late to be typed over (after key {seen})"
    );
    let ran = home.path().join("ws").join("ran.txt");
    let screen = tui.screen();
    assert!(screen.contains("allow bash?"), "{screen}");
    assert!(
        screen.contains(text.trim_end()),
        "the typed text is in the draft:\n{screen}"
    );
    assert!(!ran.exists(), "typed-ahead keys approved the tool call");
    assert_eq!(server.chat_requests().len(), 1, "no tool result was sent");

    // A pause, then `y`: now it is an answer, and the draft is untouched.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(!ran.exists());
    tui.keys(&["y"]);
    let screen = tui.wait_for("The file is there now.").await;
    assert!(ran.exists(), "y after the pause runs the tool");
    assert!(screen.contains(text.trim_end()), "{screen}");
}

/// A subagent's approval comes up in the parent's TUI, naming the subagent; `y` there runs the
/// child's tool, and the child's answer comes back to the parent. The running child has its
/// own line while it works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subagents_approval_is_answered_in_the_tui() {
    if !tmux_available() {
        crate::support::prereq::missing(
            "tui tmux subagent approval",
            "tmux is not installed (apt-get install tmux)",
        );
        return;
    }
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = TempHome::new();
    home.write_config(&format!(
        r#"default_model = "fake/m"
default_agent = "lead"
{}
[sandbox]
backend = "host"
[approval]
mode = "ask"
[agents.lead]
system_prompt = "You are the lead."
tools = ["task"]
[agents.worker]
system_prompt = "You are a worker."
tools = ["bash"]
"#,
        server.config_toml("fake")
    ));
    server.push(Reply::tool_call(
        "t1",
        "task",
        serde_json::json!({"description": "make the marker", "prompt": "touch child.txt", "agent": "worker"}),
    ));
    server.push(Reply::tool_call(
        "c1",
        "bash",
        serde_json::json!({"command": "touch child.txt"}),
    ));
    server.push(Reply::text("child.txt is there"));
    server.push(Reply::text("The subagent made the marker."));
    let tui = Tmux::start(&home, "");
    tui.wait_for("Ask anything").await;
    tui.type_line("delegate the marker");
    let screen = tui
        .wait_for("subagent worker (make the marker) asks:")
        .await;
    assert!(screen.contains("allow bash?"), "{screen}");
    assert!(
        screen.contains("↳ worker make the marker · waiting for approval: bash"),
        "{screen}"
    );
    let marker = home.path().join("ws").join("child.txt");
    assert!(!marker.exists());
    // Past the dialog's type-ahead guard, then `y`.
    tokio::time::sleep(Duration::from_millis(900)).await;
    tui.keys(&["y"]);
    let screen = tui.wait_for("The subagent made the marker.").await;
    assert!(marker.exists(), "the child's bash ran after y:\n{screen}");
    assert!(
        screen.contains("subagent make the marker (worker) finished"),
        "{screen}"
    );
}
