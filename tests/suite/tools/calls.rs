//! bash through the registry, bad calls from the model, approval previews, and a workspace
//! reported through a symlink.

use super::*;
use harness::tools::ApprovalPreview;
use serde_json::{Value, json};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---- bash ----

#[tokio::test]
async fn bash_reports_output_and_exit_code() {
    let f = fixture();
    let out = f
        .ok("bash", json!({"command": "ls src; echo warn >&2"}))
        .await;
    assert_eq!(out, "main.rs\nwarn\n[exit code 0]");
    let err = f
        .err("bash", json!({"command": "echo failing; exit 4"}))
        .await;
    assert_eq!(err, "failing\n[exit code 4]");
}

#[tokio::test]
async fn bash_timeout_kills_the_command() {
    let f = fixture();
    let started = Instant::now();
    let err = f
        .err(
            "bash",
            json!({"command": "echo before; sleep 60", "timeout_secs": 1}),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.starts_with("before\n[timed out after 1s"), "{err}");
}

#[tokio::test]
async fn bash_interrupt_kills_the_command() {
    let f = fixture();
    let cancel = f.ctx.cancel.clone();
    let ws = f.ws.clone();
    tokio::spawn(async move {
        // Cancel once the command has started its background child.
        for _ in 0..200 {
            if ws.join("bg.pid").exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        cancel.cancel();
    });
    let started = Instant::now();
    let err = f
        .err(
            "bash",
            json!({"command": "sleep 120 & echo $! > bg.pid; wait"}),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.contains("interrupted by the user"), "{err}");
    let pid: i32 = f.read_file("bg.pid").trim().parse().unwrap();
    let mut gone = false;
    for _ in 0..60 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
        if stat.map_or(true, |s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        }) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "background child {pid} survived the interrupt");
}

// ---- registry: bad calls from the model ----

#[tokio::test]
async fn bad_calls_become_readable_errors() {
    let f = fixture();
    let cases = [
        (
            "rm_rf",
            json!({"path": "/"}),
            "unknown tool `rm_rf`: the tools available are bash, read, write, edit, glob, grep",
        ),
        (
            "read",
            json!("{\"path\": \"src/main.rs\""),
            "the arguments for `read` are not a JSON object (could not parse",
        ),
        (
            "read",
            json!({}),
            "`read` needs the argument `path` (string)",
        ),
        (
            "read",
            json!({"path": 7}),
            "`read` argument `path` must be a string, got the number 7",
        ),
        (
            "read",
            json!({"path": "src/main.rs", "offset": "ten"}),
            "`offset` must be an integer >= 1",
        ),
        (
            "edit",
            json!({"path": "src/main.rs", "old_string": "a"}),
            "`edit` needs the argument `new_string`",
        ),
        ("bash", json!({"cmd": "ls"}), "`bash` has no argument `cmd`"),
        ("bash", json!({"command": "  "}), "`command` is empty"),
        ("glob", json!([1, 2]), "not a JSON object (got an array)"),
    ];
    for (name, arguments, fragment) in cases {
        let err = f.err(name, arguments).await;
        assert!(err.contains(fragment), "{name}: {err}");
    }
    // Double-encoded arguments (a JSON string holding the object) are accepted.
    let out = f.ok("read", json!("{\"path\": \"src/main.rs\"}")).await;
    assert!(out.contains("fn main"));
}

// ---- previews ----

#[tokio::test]
async fn previews_show_the_command_or_diff_without_changing_anything() {
    let f = fixture();
    let preview = |name: &str, args: Value| f.registry.preview(&call(name, args), &f.ctx);

    assert_eq!(
        preview("bash", json!({"command": "cargo test -- --nocapture"})).unwrap(),
        ApprovalPreview::Command("cargo test -- --nocapture".into())
    );
    assert_eq!(
        preview(
            "write",
            json!({"path": "docs/new.md", "content": "# Title\n"})
        )
        .unwrap(),
        ApprovalPreview::Diff {
            path: "docs/new.md".into(),
            diff: "--- /dev/null\n+++ b/docs/new.md\n@@ -0,0 +1 @@\n+# Title\n".into(),
        }
    );
    assert!(!f.ws.join("docs").exists(), "preview created files");
    f.ok("read", json!({"path": "src/main.rs"})).await;
    assert_eq!(
        preview(
            "edit",
            json!({"path": "src/main.rs", "old_string": "\"hi\"", "new_string": "\"hello\""})
        )
        .unwrap(),
        ApprovalPreview::Diff {
            path: "src/main.rs".into(),
            diff: "--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1,3 +1,3 @@\n fn main() {\n-    println!(\"hi\");\n+    println!(\"hello\");\n }\n".into(),
        }
    );
    assert_eq!(
        f.read_file("src/main.rs"),
        "fn main() {\n    println!(\"hi\");\n}\n"
    );

    let err = preview(
        "edit",
        json!({"path": "src/main.rs", "old_string": "nope", "new_string": "x"}),
    )
    .unwrap_err();
    assert!(err.contains("old_string was not found"), "{err}");
    let err = preview("write", json!({"path": "../outside/x", "content": "x"})).unwrap_err();
    assert!(err.contains("outside the workspace"), "{err}");
    let err = preview("bash", json!({})).unwrap_err();
    assert!(err.contains("needs the argument `command`"), "{err}");
}

/// A sandbox whose workspace path goes through a symlink, as a backend may report it.
struct LinkedWorkspace(PathBuf);

impl harness::sandbox::Sandbox for LinkedWorkspace {
    fn backend(&self) -> harness::sandbox::SandboxBackend {
        harness::sandbox::SandboxBackend::Docker
    }
    fn workspace(&self) -> &Path {
        &self.0
    }
    fn exec(
        &self,
        _request: harness::sandbox::ExecRequest,
    ) -> futures::future::BoxFuture<
        '_,
        Result<harness::sandbox::ExecOutput, harness::sandbox::SandboxError>,
    > {
        Box::pin(async {
            Err(harness::sandbox::SandboxError::Failed(
                "no exec here".into(),
            ))
        })
    }
    fn shutdown(&self) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

#[tokio::test]
async fn file_tools_work_through_a_symlinked_workspace_path() {
    let mut f = fixture();
    let link = f.ws.parent().unwrap().join("ws_link");
    symlink(&f.ws, &link).unwrap();
    f.ctx.sandbox = Arc::new(LinkedWorkspace(link));
    let out = f.ok("glob", json!({"pattern": "**/*.rs"})).await;
    assert_eq!(out, "src/main.rs\n");
    let out = f
        .ok("write", json!({"path": "n.txt", "content": "x"}))
        .await;
    assert_eq!(out, "created `n.txt` (1 byte, 1 line)");
    let err = f.err("read", json!({"path": "secret_link"})).await;
    assert!(err.contains("outside the workspace"), "{err}");
    let err = f.err("bash", json!({"command": "true"})).await;
    assert!(
        err.contains("the command could not be run: sandbox failed: no exec here"),
        "{err}"
    );
}
