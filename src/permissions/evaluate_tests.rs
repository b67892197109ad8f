//! Table tests of the decision for one call.

use super::*;
use crate::permissions::rules::Source;
use serde_json::json;
use std::path::PathBuf;

fn locations(workspace: &str) -> Locations {
    Locations {
        workspace: PathBuf::from(workspace),
        home: Some(PathBuf::from("/home/u")),
        harness_files: vec![],
    }
}

fn rules() -> Vec<Rule> {
    let config = Source::Config(PathBuf::from("/h/config.toml"));
    let project = Source::Project(PathBuf::from("/home/u/proj/.harness/permissions.toml"));
    let mut out = Vec::new();
    for (kind, texts, source) in [
        (
            RuleKind::Allow,
            &[
                "bash(git status)",
                "bash(cargo test:*)",
                "bash(ls:*)",
                "read(**)",
                "write(src/**)",
            ][..],
            &config,
        ),
        (RuleKind::Ask, &["bash(git push:*)"][..], &config),
        (
            RuleKind::Deny,
            &["bash(rm -rf:*)", "read(**/.env)"][..],
            &config,
        ),
        (RuleKind::Deny, &["bash(curl:*)"][..], &project),
    ] {
        for t in texts {
            out.push(Rule::parse(t, kind, source.clone(), None).unwrap());
        }
    }
    out
}

fn decide(mode: ApprovalMode, tool: &str, args: Value, ws: &str) -> (Verdict, String) {
    let rules = rules();
    let refs: Vec<&Rule> = rules.iter().collect();
    let changes = matches!(tool, "bash" | "write" | "edit");
    let e = evaluate(tool, &args, &refs, &locations(ws), mode, changes);
    let why = match e.reason {
        Reason::Rule(r) => r,
        Reason::Protected(p) => p.describe(),
        Reason::Unparsed(_) => "unparsed".to_string(),
        Reason::Mode(m) => format!("mode {m:?}"),
        Reason::ReadOnly => "read-only".to_string(),
    };
    (e.verdict, why)
}

#[test]
fn bash_calls_table() {
    use ApprovalMode::{Ask, Auto, Deny};
    use Verdict as V;
    let ws = "/home/u/proj";
    // (mode, command, verdict, reason contains)
    let cases = [
        (
            Ask,
            "git status",
            V::Allow,
            "allow bash(git status) (config.toml)",
        ),
        (Ask, "git status -s", V::Ask, "mode Ask"),
        (Ask, "cargo test --release", V::Allow, "cargo test:*"),
        (Ask, "cargo test; rm x", V::Ask, "mode Ask"),
        (Auto, "cargo test; rm x", V::Allow, "mode Auto"),
        (Ask, "cargo testx", V::Ask, "mode Ask"),
        (
            Ask,
            "git status; rm -rf /",
            V::Deny,
            "deny bash(rm -rf:*) (config.toml)",
        ),
        (
            Auto,
            "git status && $(curl x)",
            V::Deny,
            "deny bash(curl:*) (.harness/permissions.toml)",
        ),
        (Ask, "ls && echo $(id)", V::Ask, "mode Ask"),
        (Ask, "ls -la && cargo test", V::Allow, "ls:*"),
        (Ask, "ls\nrm -rf /tmp/x", V::Deny, "rm -rf"),
        (Ask, "echo 'rm -rf /'", V::Ask, "mode Ask"),
        (Auto, "bash -c 'rm -rf /'", V::Deny, "rm -rf"),
        (Ask, "bash -c 'ls'", V::Ask, "mode Ask"),
        (Auto, "sudo rm -rf /", V::Deny, "rm -rf"),
        (Auto, "git push origin main", V::Ask, "ask bash(git push:*)"),
        (Deny, "git status", V::Allow, "git status"),
        (Deny, "make", V::Deny, "mode Deny"),
        (
            Ask,
            "ls > .git/hooks/pre-commit",
            V::Ask,
            "writes under .git/",
        ),
        (
            Auto,
            "cp x .harness/permissions.toml",
            V::Ask,
            "writes under .harness/",
        ),
        (Auto, "cat ~/.ssh/id_rsa", V::Ask, "~/.ssh"),
        (Auto, "tar cf x.tar $HOME/.aws", V::Ask, "~/.aws"),
        (Ask, "ls ; echo 'unclosed", V::Ask, "unparsed"),
        (Auto, "ls ; echo 'unclosed", V::Ask, "unparsed"),
        (Auto, "rm -rf / ; echo 'unclosed", V::Deny, "rm -rf"),
        (Auto, "make", V::Allow, "mode Auto"),
        (Ask, "ls $(", V::Ask, "unparsed"),
        (
            Auto,
            "git config core.hooksPath /tmp/evil",
            V::Ask,
            "writes under .git/",
        ),
        (
            Auto,
            "git -C . config --unset user.name",
            V::Ask,
            "writes under .git/",
        ),
        (Auto, "git config --get user.name", V::Allow, "mode Auto"),
        (Auto, "git config user.name", V::Allow, "mode Auto"),
    ];
    for (mode, cmd, verdict, why) in cases {
        let (v, w) = decide(mode, "bash", json!({ "command": cmd }), ws);
        assert_eq!(v, verdict, "{mode:?} {cmd:?}: {w}");
        assert!(w.contains(why), "{mode:?} {cmd:?}: `{w}` lacks `{why}`");
    }
}

#[test]
fn home_directory_workspace_still_protects_credentials() {
    let cases = [
        ("bash", json!({"command": "cat .ssh/id_rsa"}), Verdict::Ask),
        ("read", json!({"path": ".ssh/id_rsa"}), Verdict::Ask),
        ("read", json!({"path": ".aws/credentials"}), Verdict::Ask),
        ("glob", json!({"pattern": ".ssh/*"}), Verdict::Ask),
        ("glob", json!({"pattern": "**/*.rs"}), Verdict::Allow),
        (
            "grep",
            json!({"pattern": "x", "path": ".gnupg"}),
            Verdict::Ask,
        ),
        ("read", json!({"path": "notes.txt"}), Verdict::Allow),
    ];
    for (tool, args, want) in cases {
        let (v, w) = decide(ApprovalMode::Auto, tool, args.clone(), "/home/u");
        assert_eq!(v, want, "{tool} {args}: {w}");
    }
}

#[test]
fn file_calls_table() {
    use ApprovalMode::{Ask, Auto};
    use Verdict as V;
    let ws = "/home/u/proj";
    let cases = [
        (
            Ask,
            "read",
            json!({"path": "src/main.rs"}),
            V::Allow,
            "read(**)",
        ),
        (
            Ask,
            "read",
            json!({"path": "./config/../.env"}),
            V::Deny,
            "deny read(**/.env)",
        ),
        (
            Ask,
            "read",
            json!({"path": "/home/u/proj/a/.env"}),
            V::Deny,
            "read(**/.env)",
        ),
        (Ask, "grep", json!({"pattern": "x"}), V::Allow, "read-only"),
        (
            Ask,
            "write",
            json!({"path": "src/lib.rs"}),
            V::Allow,
            "write(src/**)",
        ),
        (
            Ask,
            "write",
            json!({"path": "README.md"}),
            V::Ask,
            "mode Ask",
        ),
        (
            Auto,
            "write",
            json!({"path": ".git/hooks/pre-commit"}),
            V::Ask,
            "writes under .git/",
        ),
        (
            Auto,
            "edit",
            json!({"path": ".harness/permissions.toml"}),
            V::Ask,
            ".harness/",
        ),
        (
            Auto,
            "read",
            json!({"path": ".git/config"}),
            V::Allow,
            "read(**)",
        ),
        (
            Auto,
            "read",
            json!({"path": "~/.ssh/id_rsa"}),
            V::Ask,
            "~/.ssh",
        ),
        (
            Auto,
            "write",
            json!({"path": "src/../../.ssh/x"}),
            V::Ask,
            "~/.ssh",
        ),
        (Auto, "write", json!({}), V::Allow, "mode Auto"),
    ];
    for (mode, tool, args, verdict, why) in cases {
        let (v, w) = decide(mode, tool, args.clone(), ws);
        assert_eq!(v, verdict, "{tool} {args}: {w}");
        assert!(w.contains(why), "{tool} {args}: `{w}` lacks `{why}`");
    }
}

#[test]
fn rules_name_mcp_tools_whole_or_by_server() {
    let config = Source::Config(PathBuf::from("/h/config.toml"));
    let rules: Vec<Rule> = [
        ("mcp__fs__*", RuleKind::Allow),
        ("mcp__fs__delete", RuleKind::Deny),
        ("mcp__gh__push", RuleKind::Ask),
    ]
    .into_iter()
    .map(|(t, kind)| Rule::parse(t, kind, config.clone(), None).unwrap())
    .collect();
    let refs: Vec<&Rule> = rules.iter().collect();
    let cases = [
        ("mcp__fs__read", ApprovalMode::Ask, Verdict::Allow),
        ("mcp__fs__delete", ApprovalMode::Auto, Verdict::Deny),
        ("mcp__gh__push", ApprovalMode::Auto, Verdict::Ask),
        ("mcp__gh__list", ApprovalMode::Ask, Verdict::Ask),
        ("mcp__gh__list", ApprovalMode::Auto, Verdict::Allow),
        ("mcp__gh__list", ApprovalMode::Deny, Verdict::Deny),
        ("mcp__fsx__read", ApprovalMode::Deny, Verdict::Deny),
    ];
    for (tool, mode, want) in cases {
        let e = evaluate(
            tool,
            &json!({"path": "x"}),
            &refs,
            &locations("/w"),
            mode,
            true,
        );
        assert_eq!(e.verdict, want, "{tool} in {mode:?}");
    }
    assert!(
        Rule::parse("mcp__fs__read(x)", RuleKind::Allow, config, None)
            .unwrap_err()
            .contains("take no pattern")
    );
}
