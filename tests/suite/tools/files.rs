//! read, write and edit: happy paths and every way out of the workspace.

use super::*;
use serde_json::json;
use std::os::unix::fs::{PermissionsExt, symlink};

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
    f.ok("read", json!({"path": "run.sh"})).await;
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
    f.ok("read", json!({"path": "x.rs"})).await;

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

#[tokio::test]
async fn edit_and_write_refuse_a_file_changed_since_it_was_read() {
    let f = fixture();
    std::fs::write(f.ws.join("notes.txt"), "alpha\nbeta\n").unwrap();
    f.ok("read", json!({"path": "notes.txt"})).await;
    // Someone else changes it, keeping the size (an mtime+size check could miss this).
    std::fs::write(f.ws.join("notes.txt"), "alpha\nBETA\n").unwrap();
    let edit = json!({"path": "notes.txt", "old_string": "alpha", "new_string": "gamma"});
    let err = f.err("edit", edit.clone()).await;
    assert!(
        err.contains("`notes.txt` changed since you last read it; read it again"),
        "{err}"
    );
    let err = f
        .err("write", json!({"path": "notes.txt", "content": "over"}))
        .await;
    assert!(err.contains("changed since you last read it"), "{err}");
    assert_eq!(
        f.read_file("notes.txt"),
        "alpha\nBETA\n",
        "nothing was lost"
    );

    f.ok("read", json!({"path": "notes.txt"})).await;
    f.ok("edit", edit).await;
    assert_eq!(f.read_file("notes.txt"), "gamma\nBETA\n");
    // Its own change counts as seen: a second edit needs no new read.
    f.ok(
        "edit",
        json!({"path": "notes.txt", "old_string": "BETA", "new_string": "delta"}),
    )
    .await;
    f.ok("write", json!({"path": "notes.txt", "content": "whole\n"}))
        .await;
    assert_eq!(f.read_file("notes.txt"), "whole\n");
}

#[tokio::test]
async fn overwriting_a_file_never_read_needs_a_read_but_creating_does_not() {
    let f = fixture();
    let err = f
        .err("write", json!({"path": "src/main.rs", "content": "lost\n"}))
        .await;
    assert!(
        err.contains("`src/main.rs` already exists and you have not read it"),
        "{err}"
    );
    assert!(f.read_file("src/main.rs").contains("println!"));
    let err = f
        .err(
            "edit",
            json!({"path": "src/main.rs", "old_string": "hi", "new_string": "yo"}),
        )
        .await;
    assert!(err.contains("you have not read it"), "{err}");
    f.ok("write", json!({"path": "src/new.rs", "content": "new\n"}))
        .await;
    assert_eq!(f.read_file("src/new.rs"), "new\n");
}

#[tokio::test]
async fn tilde_paths_are_refused_and_create_nothing() {
    let f = fixture();
    for (tool, args) in [
        ("write", json!({"path": "~/notes.txt", "content": "x"})),
        ("read", json!({"path": "~/.bashrc"})),
        ("write", json!({"path": "~", "content": "x"})),
        ("glob", json!({"pattern": "*", "path": "~"})),
    ] {
        let err = f.err(tool, args).await;
        assert!(
            err.starts_with("`~` is not expanded: paths are relative to the workspace"),
            "{tool}: {err}"
        );
    }
    assert!(!f.ws.join("~").exists(), "a directory named ~ was created");
}

#[tokio::test]
async fn read_never_passes_control_bytes_or_late_nuls_to_the_model() {
    let f = fixture();
    std::fs::write(
        f.ws.join("log.txt"),
        "plain\n\x1b[2J\x1b]0;owned\x07cleared\n",
    )
    .unwrap();
    let out = f.ok("read", json!({"path": "log.txt"})).await;
    assert!(
        !out.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{out:?}"
    );
    assert!(out.contains("\\x1B[2J\\x1B]0;owned\\x07cleared"), "{out}");

    let mut late = "text line\n".repeat(1000).into_bytes(); // 10 KB of text first
    late.extend_from_slice(b"bin\0ary\n");
    std::fs::write(f.ws.join("late.bin"), &late).unwrap();
    let out = f.ok("read", json!({"path": "late.bin"})).await;
    assert!(out.contains("is a binary file"), "{out}");
    assert!(out.contains("NUL byte on line 1001"), "{out}");
    assert!(!out.contains('\0'));
}
