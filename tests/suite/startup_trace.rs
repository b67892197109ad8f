//! The start-up trace behind `HARNESS_LOG` (issue 19): every phase from `main` to the TUI's
//! first frame lands in `logs/harness.log`, in order, with its time since the process began;
//! without the filter, nothing of it is logged.

use crate::support::home::TempHome;
use std::time::{Duration, Instant};

const PHASES: [&str; 8] = [
    "arguments parsed",
    "paths resolved",
    "logging ready",
    "config loaded",
    "core built",
    "session started",
    "terminal ready",
    "first frame drawn",
];

fn log_of(home: &TempHome) -> String {
    std::fs::read_to_string(home.path().join("logs/harness.log")).unwrap_or_default()
}

/// Times (ms) of each phase in the log, in log order.
fn traced(log: &str) -> Vec<(String, f64)> {
    log.lines()
        .filter(|l| l.contains("harness::startup"))
        .filter_map(|l| {
            let ms = l
                .split("ms=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            let phase = PHASES.iter().find(|p| l.contains(*p))?;
            Some((phase.to_string(), ms))
        })
        .collect()
}

fn run_tui(home: &TempHome, log_filter: Option<&str>) {
    let session = format!("harness-startup-{}", uuid::Uuid::now_v7().simple());
    let ws = home.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let filter = log_filter.map_or(String::new(), |f| format!("HARNESS_LOG={f}"));
    let command = format!(
        "cd {} && {} HARNESS_HOME={} NO_COLOR=1 {filter} {}; sleep 30",
        ws.display(),
        crate::support::home::scrubbed_env_prefix(),
        home.path().display(),
        env!("CARGO_BIN_EXE_harness"),
    );
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &session])
            .args(args)
            .output()
            .unwrap()
    };
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    let begun = Instant::now();
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", &session]);
        let screen = String::from_utf8_lossy(&screen.stdout).into_owned();
        if screen.contains("No model provider") || begun.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = tmux(&["send-keys", "-t", &session, "C-c"]);
    let _ = tmux(&["send-keys", "-t", &session, "C-c"]);
    std::thread::sleep(Duration::from_millis(300));
    let _ = tmux(&["kill-server"]);
}

#[test]
fn the_start_up_trace_names_every_phase_in_order() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        crate::support::prereq::missing("startup trace", "tmux is not installed");
        return;
    }
    let home = TempHome::new();
    run_tui(&home, Some("harness::startup=debug"));
    let trace = traced(&log_of(&home));
    let names: Vec<&str> = trace.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, PHASES, "{}", log_of(&home));
    assert!(
        trace.windows(2).all(|w| w[0].1 <= w[1].1),
        "times only grow: {trace:?}"
    );

    let quiet = TempHome::new();
    run_tui(&quiet, None);
    assert!(traced(&log_of(&quiet)).is_empty(), "{}", log_of(&quiet));
}
