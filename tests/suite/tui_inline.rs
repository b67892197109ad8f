//! Inline mode (the default `[ui] mode`) of the built binary under tmux: every reply is written
//! once into the terminal's own scrollback — none lost, none twice, no copy of the live area
//! (composer, status line) left behind — through several replies, a reply longer than the
//! screen, a narrow terminal and resizes both ways; after quitting, the whole conversation is
//! still in the scrollback, followed by the resume hint.

use super::tui_tmux::{Tmux, tmux_available};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use crate::support::home::TempHome;

/// A reply of `lines` lines, each naming the reply and the line.
fn reply(n: usize, lines: usize) -> String {
    (0..lines)
        .map(|l| format!("reply{n}-line{l} lorem ipsum dolor sit amet"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Until no turn runs (the status line shows no spinner).
async fn wait_idle(tui: &Tmux) {
    let start = std::time::Instant::now();
    while tui.screen().contains("working") {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "the turn never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_go_to_the_scrollback_once_and_stay_after_quit() {
    scrollback_once(false).await;
}

/// Resizes both ways between replies. (Issue 13: under load the cursor-position question
/// after a resize could end at once on a stale wake of crossterm's reader, and the live area
/// went to the bottom of the screen, leaving a copy of it behind; the question now goes
/// through harness's own reader, see `TerminalGuard::ask_cursor_row`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_go_to_the_scrollback_once_through_resizes_and_stay_after_quit() {
    scrollback_once(true).await;
}

async fn scrollback_once(resizes: bool) {
    if !tmux_available() {
        crate::support::prereq::missing(
            "tui inline tmux",
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
    // Replies 0..4 short, 4 longer than the screen (40 rows on a 20-row window), 5..7 after
    // the resizes.
    let sizes = [3, 3, 3, 3, 20, 3, 3];
    for (n, lines) in sizes.iter().enumerate() {
        server.push(Reply::text(reply(n, *lines)));
    }
    let tui = Tmux::start_sized(&home, "", 80, 20);
    tui.wait_for("Ask anything").await;
    for (n, lines) in sizes.iter().enumerate().take(5) {
        tui.type_line(&format!("question {n}"));
        tui.wait_for(&format!("reply{n}-line{}", lines - 1)).await;
    }
    // Resizes between turns here; `a_resize_while_a_reply_streams_writes_it_once` resizes
    // during one.
    wait_idle(&tui).await;
    if resizes {
        tui.resize(44, 14);
    }
    tui.type_line("question 5");
    tui.wait_for("reply5-line2").await;
    wait_idle(&tui).await;
    if resizes {
        tui.resize(100, 24);
    }
    tui.type_line("question 6");
    tui.wait_for("reply6-line2").await;
    // Let the last frame land.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let history = tui.history();
    for (n, lines) in sizes.iter().enumerate() {
        assert_eq!(count(&history, &format!("› question {n}")), 1, "{history}");
        for l in 0..*lines {
            let line = format!("reply{n}-line{l} ");
            assert_eq!(
                count(&history, &line),
                1,
                "`{line}` not exactly once:\n{history}"
            );
        }
    }
    assert_eq!(
        count(&history, "Ask anything"),
        1,
        "the live area is drawn once, never copied into the scrollback:\n{history}"
    );
    // Lines are text with a newline, not full-width rows: the narrow window did not split
    // them into a line and a blank.
    assert!(
        history.contains("reply0-line0 lorem ipsum dolor sit amet\n\n  reply0-line1"),
        "{history}"
    );

    tui.type_line("/quit");
    let after = tui.wait_for("EXITED 0").await;
    assert!(after.contains("harness --resume "), "{after}");
    let history = tui.history();
    for n in 0..sizes.len() {
        assert_eq!(count(&history, &format!("reply{n}-line2 ")), 1, "{history}");
    }
    assert_eq!(
        count(&history, "Ask anything"),
        0,
        "the live area is cleared on quit:\n{history}"
    );
}

/// Issue 13: the window narrows and widens while a reply streams (in the live area, then
/// written out when done): every line of it is in the scrollback once, the live area never.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resize_while_a_reply_streams_writes_it_once() {
    if !tmux_available() {
        crate::support::prereq::missing(
            "tui inline tmux",
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
    server.push(Reply::text(reply(0, 3)));
    // Reply 1 streams a paragraph at a time, slowly enough to resize in the middle.
    let chunks: Vec<String> = reply(1, 12)
        .split("\n\n")
        .map(|p| format!("{p}\n\n"))
        .collect();
    server.push(Reply::text_chunks(chunks).frame_delay(std::time::Duration::from_millis(150)));
    server.push(Reply::text(reply(2, 3)));
    let tui = Tmux::start_sized(&home, "", 80, 20);
    tui.wait_for("Ask anything").await;
    tui.type_line("question 0");
    tui.wait_for("reply0-line2").await;
    wait_idle(&tui).await;
    tui.type_line("question 1");
    tui.wait_for("reply1-line2").await;
    tui.resize(50, 16);
    tui.wait_for("reply1-line6").await;
    tui.resize(90, 22);
    wait_idle(&tui).await;
    tui.type_line("question 2");
    tui.wait_for("reply2-line2").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let history = tui.history();
    for (n, lines) in [(0, 3), (1, 12), (2, 3)] {
        assert_eq!(count(&history, &format!("› question {n}")), 1, "{history}");
        for l in 0..lines {
            let line = format!("reply{n}-line{l} ");
            assert_eq!(
                count(&history, &line),
                1,
                "`{line}` not exactly once:\n{history}"
            );
        }
    }
    assert_eq!(
        count(&history, "Ask anything"),
        1,
        "the live area is drawn once, never copied into the scrollback:\n{history}"
    );
}
