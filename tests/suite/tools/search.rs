//! glob and grep: gitignore, ordering, caps, and never reading through symlinks.

use super::*;
use serde_json::json;
use std::path::Path;

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

#[tokio::test]
async fn files_denied_to_read_are_left_out_of_glob_and_grep() {
    use harness::permissions::{ReadDenials, Rule, RuleKind, RuleSet, Source};
    let mut f = fixture();
    make_tree(&f.ws);
    std::fs::create_dir_all(f.ws.join("secrets")).unwrap();
    std::fs::write(f.ws.join("secrets/prod.env"), "needle API_KEY=hunter2\n").unwrap();
    std::fs::write(f.ws.join("deploy.pem"), "needle -----BEGIN KEY-----\n").unwrap();
    let rules: Vec<Rule> = ["read(secrets/**)", "read(*.pem)"]
        .iter()
        .map(|t| {
            Rule::parse(
                t,
                RuleKind::Deny,
                Source::Config("/h/config.toml".into()),
                Some(1),
            )
            .unwrap()
        })
        .collect();
    f.ctx.read_denials = ReadDenials::from_rules(&RuleSet {
        rules,
        warnings: vec![],
    });
    let grep = f.run("grep", json!({"pattern": "needle"})).await;
    assert!(!grep.is_error, "{}", grep.content);
    assert!(grep.content.contains("src/lib.rs"), "{}", grep.content);
    for hidden in ["hunter2", "secrets/prod.env", "deploy.pem", "BEGIN KEY"] {
        assert!(
            !grep.content.contains(hidden),
            "grep showed {hidden}: {}",
            grep.content
        );
    }
    let glob = f.run("glob", json!({"pattern": "**/*"})).await;
    assert!(glob.content.contains("README.md"), "{}", glob.content);
    assert!(!glob.content.contains("prod.env"), "{}", glob.content);
    assert!(!glob.content.contains("deploy.pem"), "{}", glob.content);
    // A grep aimed at the denied directory finds nothing in it.
    let aimed = f
        .run("grep", json!({"pattern": "API_KEY", "path": "secrets"}))
        .await;
    assert!(!aimed.content.contains("hunter2"), "{}", aimed.content);
}
