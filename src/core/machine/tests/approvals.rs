//! Table tests of the turn machine's approvals: ask/always/deny, headless and deny modes, what
//! "always" covers, protected paths, deny rules and their messages. (A child of the machine's
//! test module, sharing its helpers.)

use super::*;

#[test]
fn approvals_ask_always_and_deny() {
    let got = run(
        ApprovalMode::Ask,
        false,
        10,
        vec![
            start(&["a/m"]),
            tool(call("c1", "bash")),
            tool(call("c2", "grep")),
            tool(call("c3", "bash")),
            tool(call("c4", "write")),
            done(StopReason::ToolUse),
            // a stray answer for a call that is not waiting changes nothing
            Input::ApprovalAnswered {
                call_id: "c3".into(),
                decision: ApprovalDecision::Once,
            },
            Input::ApprovalAnswered {
                call_id: "c1".into(),
                decision: ApprovalDecision::Always { pattern: None },
            },
            Input::ToolFinished {
                call_id: "c1".into(),
                content: "ok".into(),
                is_error: false,
            },
            Input::ToolFinished {
                call_id: "c2".into(),
                content: "ok".into(),
                is_error: false,
            },
            // c3 is bash again: allowed "always", no question
            Input::ToolFinished {
                call_id: "c3".into(),
                content: "ok".into(),
                is_error: false,
            },
            Input::ApprovalAnswered {
                call_id: "c4".into(),
                decision: ApprovalDecision::Deny {
                    reason: Some("not now".into()),
                },
            },
        ],
    );
    let tail: Vec<&str> = got.iter().map(String::as_str).skip(6).collect();
    assert_eq!(
        tail,
        vec![
            "tool_call c1",
            "ask c1 offering ls:*",
            "run c1",
            "result c1 err=false ok",
            "tool_result c1",
            "tool_call c2",
            "run c2",
            "result c2 err=false ok",
            "tool_result c2",
            "tool_call c3",
            "run c3",
            "result c3 err=false ok",
            "tool_result c3",
            "tool_call c4",
            "ask c4",
            "result c4 err=true the user denied this `write` call",
            "tool_result c4",
            "route a/m | rule r (a/m) (step 2)",
            "stream a/m #2",
        ]
    );
}

#[test]
fn headless_ask_and_deny_mode_answer_the_model_without_running() {
    for (mode, headless, want) in [
        (ApprovalMode::Ask, true, "--approve auto"),
        (ApprovalMode::Deny, false, "approval mode `deny`"),
    ] {
        let perms = Permissions::new(mode, ["bash", "write", "edit"].map(String::from), headless);
        let mut m = TurnMachine::new(perms, 5);
        m.handle(start(&["a/m"]));
        m.handle(tool(call("c1", "bash")));
        let fx = m.handle(done(StopReason::ToolUse));
        let result = fx.iter().find_map(|e| match e {
            Effect::PersistToolResult {
                content, is_error, ..
            } => Some((content.clone(), *is_error)),
            _ => None,
        });
        let (content, is_error) = result.expect("a result for the denied call");
        assert!(is_error && content.contains(want), "{content}");
        assert!(
            !fx.iter()
                .any(|e| matches!(e, Effect::RunTool { .. } | Effect::AskApproval { .. }))
        );
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::StartStream { step: 2, .. }))
        );
    }
}

#[test]
fn always_covers_the_exact_command_or_the_chosen_prefix() {
    let got = run_with(
        perms_with(ApprovalMode::Ask, false, &[]),
        vec![
            start(&["a/m"]),
            bash("c1", "cargo test"),
            bash("c2", "cargo test"),
            bash("c3", "cargo test --release"),
            bash("c4", "cargo test --lib"),
            bash("c5", "ls -la"),
            bash("c6", "cargo test && rm -rf x"),
            done(StopReason::ToolUse),
            answer("c1", ApprovalDecision::Always { pattern: None }),
            finished("c1"),
            // c2: exactly the approved command, no question
            finished("c2"),
            // c3: a different command still asks; now allow the prefix
            answer(
                "c3",
                ApprovalDecision::Always {
                    pattern: Some("cargo test:*".into()),
                },
            ),
            finished("c3"),
            // c4: covered by the prefix
            finished("c4"),
            // c5: another program asks
            answer("c5", ApprovalDecision::Once),
            finished("c5"),
            // c6: a compound command with an uncovered part asks, and offers no prefix
            answer("c6", ApprovalDecision::Deny { reason: None }),
        ],
    );
    let decisions: Vec<&str> = got
        .iter()
        .map(String::as_str)
        .filter(|e| e.starts_with("ask") || e.starts_with("run"))
        .collect();
    assert_eq!(
        decisions,
        [
            "ask c1 offering cargo test:*",
            "run c1",
            "run c2",
            "ask c3 offering cargo test:*",
            "run c3",
            "run c4",
            "ask c5 offering ls:*",
            "run c5",
            "ask c6",
        ]
    );
}

#[test]
fn writes_under_git_ask_even_in_auto_and_are_refused_headless() {
    let hook = || {
        tool(call_with(
            "c1",
            "write",
            json!({"path": ".git/hooks/pre-commit", "content": "x"}),
        ))
    };
    let got = run_with(
        perms_with(ApprovalMode::Auto, false, &[]),
        vec![start(&["a/m"]), hook(), done(StopReason::ToolUse)],
    );
    assert_eq!(got.last().unwrap(), "ask c1");
    let out = results(
        perms_with(ApprovalMode::Auto, true, &[]),
        vec![
            start(&["a/m"]),
            hook(),
            bash("c2", "echo x > .git/hooks/pre-commit"),
            bash("c3", "cat ~/.ssh/id_rsa"),
            done(StopReason::ToolUse),
        ],
    );
    assert_eq!(out.len(), 3, "{out:?}");
    for o in &out[..2] {
        assert!(
            o.starts_with("blocked: writes under .git/ always need the user's approval and no one is here to answer (headless). It was not run."),
            "{o}"
        );
    }
    assert!(
        out[2].starts_with("blocked: ~/.ssh holds the user's credentials"),
        "{}",
        out[2]
    );
}

#[test]
fn deny_rules_refuse_with_the_rule_and_where_it_came_from() {
    for (mode, headless) in [
        (ApprovalMode::Auto, true),
        (ApprovalMode::Ask, false),
        (ApprovalMode::Auto, false),
    ] {
        let out = results(
            perms_with(mode, headless, &["bash(rm -rf:*)"]),
            vec![
                start(&["a/m"]),
                bash("c1", "git status; rm -rf /"),
                done(StopReason::ToolUse),
            ],
        );
        assert_eq!(
            out,
            [
                "blocked by rule deny bash(rm -rf:*) (config.toml). It was not run. This is the user's permission policy, not a broken tool: do not retry it or work around it; continue without it, or explain what you need and why."
            ],
            "{mode:?} headless={headless}"
        );
    }
}

#[test]
fn a_bad_always_pattern_allows_only_the_call_and_says_so() {
    let got = run_with(
        perms_with(ApprovalMode::Ask, false, &[]),
        vec![
            start(&["a/m"]),
            bash("c1", "make"),
            bash("c2", "make"),
            bash("c3", "make all"),
            done(StopReason::ToolUse),
            answer(
                "c1",
                ApprovalDecision::Always {
                    pattern: Some("make; rm:*".into()),
                },
            ),
            finished("c1"),
            finished("c2"),
        ],
    );
    assert!(
        got.iter()
            .any(|e| e.contains("Notice") && e.contains("only this exact call")),
        "{got:?}"
    );
    assert!(got.contains(&"run c2".to_string()));
    assert_eq!(got.last().unwrap(), "ask c3 offering make all:*");
}
