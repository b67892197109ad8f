//! The six tools through the registry, on real temporary workspaces with the host sandbox:
//! each tool's happy path, its refusals (`..`, absolute paths, symlinks out of the workspace,
//! edit with zero or several matches), schema errors, previews, timeouts and interrupts.

use harness::message::ToolCall;
use harness::sandbox::host::HostSandbox;
use harness::tools::{ApprovalPreview, ToolContext, ToolOutput, ToolRegistry};
use serde_json::{Value, json};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A workspace `ws/` with a sibling `outside/` holding a secret, and links from one to the other.
struct Fixture {
    _dir: tempfile::TempDir,
    ws: PathBuf,
    outside: PathBuf,
    registry: ToolRegistry,
    ctx: ToolContext,
}

const SECRET: &str = "TOP-SECRET-CONTENT";

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let ws = base.join("ws");
    let outside = base.join("outside");
    std::fs::create_dir_all(ws.join("src")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), format!("{SECRET}\n")).unwrap();
    std::fs::write(
        ws.join("src/main.rs"),
        "fn main() {\n    println!(\"hi\");\n}\n",
    )
    .unwrap();
    symlink(outside.join("secret.txt"), ws.join("secret_link")).unwrap();
    symlink(&outside, ws.join("outside_dir")).unwrap();
    let sandbox = HostSandbox::new(&ws).unwrap();
    let ctx = ToolContext {
        sandbox: Arc::new(sandbox),
        live_output: None,
        cancel: CancellationToken::new(),
        default_timeout: Duration::from_secs(30),
    };
    Fixture {
        _dir: dir,
        ws,
        outside,
        registry: ToolRegistry::builtin(),
        ctx,
    }
}

fn call(name: &str, arguments: Value) -> ToolCall {
    ToolCall {
        id: "call_1".into(),
        name: name.into(),
        arguments,
    }
}

impl Fixture {
    async fn run(&self, name: &str, arguments: Value) -> ToolOutput {
        self.registry
            .execute(&call(name, arguments), self.ctx.clone())
            .await
    }

    async fn ok(&self, name: &str, arguments: Value) -> String {
        let out = self.run(name, arguments.clone()).await;
        assert!(!out.is_error, "{name} {arguments}: {}", out.content);
        out.content
    }

    async fn err(&self, name: &str, arguments: Value) -> String {
        let out = self.run(name, arguments.clone()).await;
        assert!(
            out.is_error,
            "{name} {arguments} should fail: {}",
            out.content
        );
        assert!(
            !out.content.contains(SECRET),
            "secret leaked: {}",
            out.content
        );
        out.content
    }

    fn read_file(&self, rel: &str) -> String {
        std::fs::read_to_string(self.ws.join(rel)).unwrap()
    }

    fn outside_untouched(&self) {
        let names: Vec<String> = std::fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["secret.txt"], "something was written outside");
        assert_eq!(
            std::fs::read_to_string(self.outside.join("secret.txt")).unwrap(),
            format!("{SECRET}\n")
        );
    }
}

// ---- read ----

#[tokio::test]
async fn read_numbers_lines_and_pages() {
    let f = fixture();
    let out = f.ok("read", json!({"path": "src/main.rs"})).await;
    assert_eq!(
        out,
        "     1\tfn main() {\n     2\t    println!(\"hi\");\n     3\t}\n"
    );

    let body: String = (1..=5000).map(|i| format!("{i}\n")).collect();
    std::fs::write(f.ws.join("big.txt"), body).unwrap();
    let out = f.ok("read", json!({"path": "big.txt"})).await;
    assert!(out.starts_with("     1\t1\n     2\t2\n"));
    assert!(out.contains("  2000\t2000\n"));
    assert!(!out.contains("\t2001\n"));
    assert!(
        out.ends_with("[showing lines 1-2000 of 5000; call read with offset=2001 to read more]")
    );

    let out = f
        .ok(
            "read",
            json!({"path": "big.txt", "offset": 4999, "limit": 10}),
        )
        .await;
    assert_eq!(
        out,
        "  4999\t4999\n  5000\t5000\n[showing lines 4999-5000 of 5000: end of file]"
    );
    let err = f
        .err("read", json!({"path": "big.txt", "offset": 6000}))
        .await;
    assert!(
        err.contains("has 5000 lines; offset 6000 is past the end"),
        "{err}"
    );
}

#[tokio::test]
async fn read_summarises_binary_files_and_refuses_directories() {
    let f = fixture();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(std::iter::repeat_n(0u8, 3000));
    std::fs::write(f.ws.join("logo.png"), &png).unwrap();
    let out = f.ok("read", json!({"path": "logo.png"})).await;
    assert!(
        out.contains("`logo.png` is a binary file (PNG image, 2.9 KiB"),
        "{out}"
    );
    assert!(!out.contains('\0'));

    let err = f.err("read", json!({"path": "src"})).await;
    assert!(err.contains("`src` is a directory: use glob"), "{err}");
    let err = f.err("read", json!({"path": "src/nope.rs"})).await;
    assert!(err.contains("does not exist"), "{err}");
}

#[tokio::test]
async fn read_refuses_every_way_out() {
    let f = fixture();
    let absolute = f.outside.join("secret.txt").display().to_string();
    for path in [
        "../outside/secret.txt",
        "src/../../outside/secret.txt",
        absolute.as_str(),
        "secret_link",
        "outside_dir/secret.txt",
        "/etc/passwd",
    ] {
        let err = f.err("read", json!({"path": path})).await;
        assert!(err.contains("outside the workspace"), "{path}: {err}");
    }
    // An absolute path inside the workspace is fine.
    let inside = f.ws.join("src/main.rs").display().to_string();
    assert!(
        f.ok("read", json!({"path": inside}))
            .await
            .contains("fn main")
    );
}

// ---- write ----

#[tokio::test]
async fn write_creates_parents_and_replaces_atomically() {
    let f = fixture();
    let out = f
        .ok(
            "write",
            json!({"path": "a/b/c.txt", "content": "one\ntwo\n"}),
        )
        .await;
    assert_eq!(out, "created `a/b/c.txt` (8 bytes, 2 lines)");
    assert_eq!(f.read_file("a/b/c.txt"), "one\ntwo\n");

    std::fs::set_permissions(
        f.ws.join("a/b/c.txt"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let out = f
        .ok("write", json!({"path": "a/b/c.txt", "content": "new"}))
        .await;
    assert_eq!(out, "replaced `a/b/c.txt` (3 bytes, 1 line; was 8 bytes)");
    assert_eq!(f.read_file("a/b/c.txt"), "new");
    let mode = std::fs::metadata(f.ws.join("a/b/c.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let entries: Vec<_> = std::fs::read_dir(f.ws.join("a/b")).unwrap().collect();
    assert_eq!(entries.len(), 1, "a temporary file was left behind");

    let err = f.err("write", json!({"path": "src", "content": "x"})).await;
    assert!(err.contains("is a directory"), "{err}");
}

#[tokio::test]
async fn write_refuses_every_way_out() {
    let f = fixture();
    let absolute = f.outside.join("new.txt").display().to_string();
    for path in [
        "../outside/new.txt",
        absolute.as_str(),
        "secret_link",
        "outside_dir/new.txt",
        "outside_dir/deeper/new.txt",
    ] {
        let err = f
            .err("write", json!({"path": path, "content": "pwned"}))
            .await;
        assert!(err.contains("outside the workspace"), "{path}: {err}");
    }
    symlink(f.outside.join("not-yet.txt"), f.ws.join("dangling")).unwrap();
    let err = f
        .err("write", json!({"path": "dangling", "content": "pwned"}))
        .await;
    assert!(err.contains("symlink whose target does not exist"), "{err}");
    let err = f
        .err(
            "write",
            json!({"path": "new/../../outside/x", "content": "pwned"}),
        )
        .await;
    assert!(err.contains("`..`"), "{err}");
    f.outside_untouched();
}

// ---- edit ----

#[tokio::test]
async fn edit_replaces_exactly_one_match_and_keeps_permissions() {
    let f = fixture();
    let script = f.ws.join("run.sh");
    std::fs::write(&script, "#!/bin/sh\necho old\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = f
        .ok(
            "edit",
            json!({"path": "run.sh", "old_string": "echo old", "new_string": "echo new"}),
        )
        .await;
    assert_eq!(out, "edited `run.sh`: replaced 1 occurrence (line 2)");
    assert_eq!(f.read_file("run.sh"), "#!/bin/sh\necho new\n");
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
}

#[tokio::test]
async fn edit_refuses_zero_and_ambiguous_matches_without_touching_the_file() {
    let f = fixture();
    let text = "let a = 1;\nlet b = 2;\nlet a = 1;\n";
    std::fs::write(f.ws.join("x.rs"), text).unwrap();

    let err = f
        .err(
            "edit",
            json!({"path": "x.rs", "old_string": "let c = 3;", "new_string": "z"}),
        )
        .await;
    assert!(err.contains("old_string was not found in `x.rs`"), "{err}");
    assert!(err.contains("read the file"), "{err}");
    assert_eq!(f.read_file("x.rs"), text);

    let err = f
        .err(
            "edit",
            json!({"path": "x.rs", "old_string": "let a = 1;", "new_string": "z"}),
        )
        .await;
    assert!(
        err.contains("matches 2 times in `x.rs` (lines 1, 3)"),
        "{err}"
    );
    assert!(err.contains("replace_all"), "{err}");
    assert_eq!(f.read_file("x.rs"), text);

    let out = f
        .ok(
            "edit",
            json!({"path": "x.rs", "old_string": "let a = 1;", "new_string": "let a = 9;", "replace_all": true}),
        )
        .await;
    assert_eq!(
        out,
        "edited `x.rs`: replaced 2 occurrences (first at line 1)"
    );
    assert_eq!(f.read_file("x.rs"), "let a = 9;\nlet b = 2;\nlet a = 9;\n");
}

#[tokio::test]
async fn edit_refuses_every_way_out() {
    let f = fixture();
    for path in [
        "../outside/secret.txt",
        "secret_link",
        "outside_dir/secret.txt",
    ] {
        let err = f
            .err(
                "edit",
                json!({"path": path, "old_string": SECRET, "new_string": "pwned"}),
            )
            .await;
        assert!(err.contains("outside the workspace"), "{path}: {err}");
    }
    let err = f
        .err(
            "edit",
            json!({"path": "new.rs", "old_string": "a", "new_string": "b"}),
        )
        .await;
    assert!(err.contains("to create one, use write"), "{err}");
    f.outside_untouched();
}

// ---- glob ----

fn make_tree(ws: &Path) {
    for file in [
        "src/lib.rs",
        "src/a/b.rs",
        "src/a/notes.md",
        "README.md",
        "target/debug/out.rs",
        ".github/ci.yml",
        ".git/config",
        "ignored.log",
    ] {
        let path = ws.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("content of {file}\nneedle in {file}\n")).unwrap();
    }
    std::fs::write(ws.join(".gitignore"), "target/\n*.log\n").unwrap();
}

#[tokio::test]
async fn glob_respects_gitignore_and_sorts_by_path() {
    let f = fixture();
    make_tree(&f.ws);
    let out = f.ok("glob", json!({"pattern": "**/*.rs"})).await;
    assert_eq!(out, "src/a/b.rs\nsrc/lib.rs\nsrc/main.rs\n");
    let out = f.ok("glob", json!({"pattern": "*.md"})).await;
    assert_eq!(out, "README.md\n");
    let out = f
        .ok("glob", json!({"pattern": "*.rs", "path": "src/a"}))
        .await;
    assert_eq!(out, "src/a/b.rs\n");
    let out = f.ok("glob", json!({"pattern": "**/*"})).await;
    assert!(out.contains(".github/ci.yml"), "{out}");
    assert!(out.contains(".gitignore"), "{out}");
    for hidden in [".git/config", "target/", "ignored.log"] {
        assert!(!out.contains(hidden), "{hidden} listed: {out}");
    }
    let out = f.ok("glob", json!({"pattern": "*.zig"})).await;
    assert!(out.starts_with("no files match `*.zig`"), "{out}");
    let err = f
        .err("glob", json!({"pattern": "**/*", "path": "../outside"}))
        .await;
    assert!(err.contains("outside the workspace"), "{err}");
    let err = f.err("glob", json!({"pattern": "a[b"})).await;
    assert!(err.contains("invalid glob pattern"), "{err}");
}

#[tokio::test]
async fn glob_caps_the_listing() {
    let f = fixture();
    std::fs::create_dir(f.ws.join("many")).unwrap();
    for i in 0..1100 {
        std::fs::write(f.ws.join(format!("many/f{i:04}.txt")), "").unwrap();
    }
    let out = f.ok("glob", json!({"pattern": "many/*.txt"})).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1001);
    assert_eq!(lines[0], "many/f0000.txt");
    assert_eq!(lines[999], "many/f0999.txt");
    assert!(
        lines[1000].contains("showing the first 1000 of 1100 matches"),
        "{}",
        lines[1000]
    );
}

// ---- grep ----

#[tokio::test]
async fn grep_reports_file_line_text() {
    let f = fixture();
    make_tree(&f.ws);
    std::fs::write(f.ws.join("blob.bin"), b"needle\0binary").unwrap();
    let out = f.ok("grep", json!({"pattern": "needle"})).await;
    // Path order; hidden files are searched, .git, gitignored and binary files are not.
    assert_eq!(
        out,
        ".github/ci.yml:2:needle in .github/ci.yml\n\
         README.md:2:needle in README.md\n\
         src/a/b.rs:2:needle in src/a/b.rs\n\
         src/a/notes.md:2:needle in src/a/notes.md\n\
         src/lib.rs:2:needle in src/lib.rs\n"
    );
    let out = f
        .ok("grep", json!({"pattern": "needle", "glob": "*.rs"}))
        .await;
    assert_eq!(
        out,
        "src/a/b.rs:2:needle in src/a/b.rs\nsrc/lib.rs:2:needle in src/lib.rs\n"
    );
    let out = f
        .ok(
            "grep",
            json!({"pattern": "(?i)PRINTLN", "path": "src/main.rs"}),
        )
        .await;
    assert_eq!(out, "src/main.rs:2:    println!(\"hi\");\n");
    let out = f.ok("grep", json!({"pattern": "absent_word"})).await;
    assert!(out.starts_with("no matches for `absent_word`"), "{out}");
    let err = f.err("grep", json!({"pattern": "fn ("})).await;
    assert!(err.contains("invalid regular expression `fn (`"), "{err}");
}

#[tokio::test]
async fn grep_never_reads_outside() {
    let f = fixture();
    // secret_link and outside_dir point outside: they must not be searched.
    let out = f.ok("grep", json!({"pattern": SECRET})).await;
    assert!(out.starts_with("no matches"), "{out}");
    for path in ["../outside", "secret_link", "outside_dir"] {
        let err = f
            .err("grep", json!({"pattern": SECRET, "path": path}))
            .await;
        assert!(err.contains("outside the workspace"), "{path}: {err}");
    }
}

#[tokio::test]
async fn grep_caps_matches() {
    let f = fixture();
    let body: String = (0..2000).map(|i| format!("match {i}\n")).collect();
    std::fs::write(f.ws.join("many.txt"), body).unwrap();
    let out = f.ok("grep", json!({"pattern": "match"})).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 501);
    assert_eq!(lines[0], "many.txt:1:match 0");
    assert!(
        lines[500].starts_with("[stopped after 500 matches"),
        "{}",
        lines[500]
    );
}

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
