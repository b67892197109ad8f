//! End to end: the built `harness` binary in a real terminal (tmux), against a fake
//! OpenAI-compatible server on 127.0.0.1 that records requests. Chat, switch model with
//! `/model`, `/quit` (the resume hint is printed), restart with `--continue`: the earlier
//! messages are on screen and sent to the model with the next prompt.
//!
//! Skipped, with the reason printed, when tmux is missing or this build's TUI cannot chat yet.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A fake OpenAI-style server: every chat request is answered with `FAKE-REPLY-<n>` streamed in
/// the real SSE shape; request bodies are recorded.
fn fake_openai() -> (u16, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            if !request_line.contains("/chat/completions") {
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"data\":[]}",
                );
                continue;
            }
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let n = {
                let mut all = seen.lock().unwrap();
                all.push(json.clone());
                all.len()
            };
            let model = json["model"].as_str().unwrap_or("m").to_string();
            let chunk = |delta: &str, finish: &str| {
                format!(
                    "data: {{\"id\":\"c{n}\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"{model}\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}]}}\n\n"
                )
            };
            let mut sse = String::new();
            sse += &chunk("{\"role\":\"assistant\",\"content\":\"\"}", "null");
            sse += &chunk(&format!("{{\"content\":\"FAKE-REPLY-{n}\"}}"), "null");
            sse += &chunk("{}", "\"stop\"");
            sse += &format!(
                "data: {{\"id\":\"c{n}\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"{model}\",\"choices\":[],\"usage\":{{\"prompt_tokens\":10,\"completion_tokens\":3,\"total_tokens\":13}}}}\n\ndata: [DONE]\n\n"
            );
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(sse.as_bytes());
        }
    });
    (port, requests)
}

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Self {
        let session = format!("harness-e2e-{name}-{}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "120",
                "-y",
                "40",
                command,
            ])
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        Self { session }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    /// Wait until the screen contains `needle`; the screen on timeout.
    fn wait_for(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.wait_for_any(&[needle], timeout)
    }

    fn wait_for_any(&self, needles: &[&str], timeout: Duration) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if needles.iter().any(|n| screen.contains(n)) {
                return Ok(screen);
            }
            if start.elapsed() > timeout {
                return Err(screen);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

fn write_config(home: &Path, port: u16) {
    let config = format!(
        r#"default_model = "fake/model-a"

[providers.fake]
kind = "openai"
api_key = "test-key-not-real"
base_url = "http://127.0.0.1:{port}/v1"

[models.other]
id = "fake/model-b"

[sandbox]
backend = "host"

[approval]
mode = "deny"
"#
    );
    std::fs::write(home.join("config.toml"), config).unwrap();
}

fn command(home: &Path, args: &str) -> String {
    format!(
        "cd {home} && env -u OPENAI_API_KEY HARNESS_HOME={home} NO_COLOR=1 {bin} {args}; echo HARNESS-EXIT:$?; sleep 60",
        home = home.display(),
        bin = env!("CARGO_BIN_EXE_harness"),
    )
}

#[test]
fn chat_switch_model_quit_and_continue() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let (port, requests) = fake_openai();
    write_config(home.path(), port);

    let tui = Tmux::start("first", &command(home.path(), ""));
    let ready = tui.wait_for_any(&["Ask anything", "HARNESS-EXIT"], Duration::from_secs(10));
    let screen = match ready {
        Ok(s) if !s.contains("HARNESS-EXIT") => s,
        Ok(screen) | Err(screen) => {
            if screen.contains("HARNESS-EXIT") {
                eprintln!(
                    "skipped: this build's TUI cannot chat yet; it said:\n{}",
                    screen.trim()
                );
                return;
            }
            panic!("the TUI did not show its composer within 10 s:\n{screen}");
        }
    };
    assert!(
        screen.contains("fake/model-a"),
        "status line names the model:\n{screen}"
    );

    tui.keys(&["hello e2e", "Enter"]);
    tui.wait_for("FAKE-REPLY-1", Duration::from_secs(15))
        .unwrap_or_else(|s| panic!("no reply on screen:\n{s}"));

    tui.keys(&["/model other", "Enter"]);
    tui.wait_for("model other", Duration::from_secs(5))
        .unwrap_or_else(|s| panic!("/model did not switch:\n{s}"));
    tui.keys(&["second question", "Enter"]);
    tui.wait_for("FAKE-REPLY-2", Duration::from_secs(15))
        .unwrap_or_else(|s| panic!("no second reply:\n{s}"));
    {
        let reqs = requests.lock().unwrap();
        assert_eq!(reqs[0]["model"], "model-a", "first request: {}", reqs[0]);
        assert_eq!(reqs[1]["model"], "model-b", "after /model: {}", reqs[1]);
    }

    tui.keys(&["/quit", "Enter"]);
    let after = tui
        .wait_for("HARNESS-EXIT:0", Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("/quit did not exit cleanly:\n{s}"));
    assert!(
        after.contains("harness --resume "),
        "prints the id to resume:\n{after}"
    );
    drop(tui);

    let tui = Tmux::start("continue", &command(home.path(), "--continue"));
    let screen = tui
        .wait_for("hello e2e", Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("--continue does not show the earlier messages:\n{s}"));
    assert!(screen.contains("FAKE-REPLY-2"), "{screen}");
    tui.keys(&["third", "Enter"]);
    tui.wait_for("FAKE-REPLY-3", Duration::from_secs(15))
        .unwrap_or_else(|s| panic!("no reply after --continue:\n{s}"));
    let reqs = requests.lock().unwrap();
    let sent = reqs[2]["messages"].to_string();
    assert!(
        sent.contains("hello e2e") && sent.contains("FAKE-REPLY-1") && sent.contains("third"),
        "the earlier messages are sent to the model: {sent}"
    );
    tui.keys(&["C-c", "C-c"]);
}
