//! Table tests of the turn state machine: each case is a script of inputs and the exact
//! effects it must produce, written compactly.

use super::*;
use crate::message::ModelRef;
use serde_json::json;

fn model(s: &str) -> ModelRef {
    ModelRef::parse(s).unwrap()
}

fn cands(list: &[&str]) -> Vec<Candidate> {
    list.iter()
        .map(|m| Candidate {
            model: model(m),
            reason: format!("rule r ({m})"),
        })
        .collect()
}

fn call(id: &str, name: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: json!({"command": "ls"}),
    }
}

fn call_with(id: &str, name: &str, arguments: serde_json::Value) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments,
    }
}

fn bash(id: &str, command: &str) -> Input {
    tool(call_with(id, "bash", json!({ "command": command })))
}

fn finished(id: &str) -> Input {
    Input::ToolFinished {
        call_id: id.into(),
        content: "ok".into(),
        is_error: false,
    }
}

fn answer(id: &str, decision: ApprovalDecision) -> Input {
    Input::ApprovalAnswered {
        call_id: id.into(),
        decision,
    }
}

/// Permissions with rules from a config file and a workspace at /w.
fn perms_with(mode: ApprovalMode, headless: bool, deny: &[&str]) -> Permissions {
    use crate::permissions::{Locations, Rule, RuleKind, RuleSet, Source};
    let rules = deny
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
    let policy = ApprovalPolicy::with_rules(
        mode,
        std::sync::Arc::new(RuleSet {
            rules,
            warnings: vec![],
        }),
        std::sync::Arc::new(Locations {
            workspace: "/w".into(),
            home: Some("/home/u".into()),
            harness_files: vec![],
        }),
    );
    Permissions::with_policy(
        policy,
        ["bash", "write", "edit"].map(String::from),
        headless,
    )
}

fn run_with(perms: Permissions, inputs: Vec<Input>) -> Vec<String> {
    let mut m = TurnMachine::new(perms, 10);
    inputs
        .into_iter()
        .flat_map(|i| m.handle(i))
        .map(|e| show(&e))
        .collect()
}

/// The full text of every tool result, in order.
fn results(perms: Permissions, inputs: Vec<Input>) -> Vec<String> {
    let mut m = TurnMachine::new(perms, 10);
    inputs
        .into_iter()
        .flat_map(|i| m.handle(i))
        .filter_map(|e| match e {
            Effect::PersistToolResult { content, .. } => Some(content),
            _ => None,
        })
        .collect()
}

fn text(t: &str) -> Input {
    Input::Provider(ProviderEvent::TextDelta(t.into()))
}

fn done(reason: StopReason) -> Input {
    Input::Provider(ProviderEvent::Done {
        stop_reason: reason,
    })
}

fn tool(c: ToolCall) -> Input {
    Input::Provider(ProviderEvent::ToolCall(c))
}

fn overloaded() -> ProviderError {
    ProviderError::Overloaded {
        provider: "a".into(),
        message: "busy".into(),
    }
}

/// A compact, comparable rendering of an effect.
fn show(e: &Effect) -> String {
    match e {
        Effect::PersistUser { text } => format!("user {text}"),
        Effect::StartStream { model, step } => format!("stream {model} #{step}"),
        Effect::CancelStream => "cancel-stream".into(),
        Effect::BeginAssistant { model, .. } => format!("begin {model}"),
        Effect::FinishAssistant(r) => format!(
            "finish {} {:?} calls={}",
            r.status.as_str(),
            r.text,
            r.tool_calls.len()
        ),
        Effect::AskApproval { call, prefix } => match prefix {
            Some(p) => format!("ask {} offering {p}", call.id),
            None => format!("ask {}", call.id),
        },
        Effect::RunTool { call } => format!("run {}", call.id),
        Effect::CancelTool => "cancel-tool".into(),
        Effect::PersistToolResult {
            call_id,
            content,
            is_error,
        } => {
            format!(
                "result {call_id} err={is_error} {}",
                content.split(':').next().unwrap_or("")
            )
        }
        Effect::Emit(Event::RouteChosen { model, reason }) => format!("route {model} | {reason}"),
        Effect::Emit(Event::TextDelta { text }) => format!("delta {text}"),
        Effect::Emit(Event::ReasoningDelta { text }) => format!("thinking {text}"),
        Effect::Emit(Event::ToolCallBegin { id, .. }) => format!("tool_call {id}"),
        Effect::Emit(Event::ToolCallEnd { id, .. }) => format!("tool_result {id}"),
        Effect::Emit(Event::Usage { usage }) => {
            format!("usage {}/{}", usage.input_tokens, usage.output_tokens)
        }
        Effect::Emit(Event::Error { message, retryable }) => {
            format!("error retryable={retryable} {message}")
        }
        Effect::Emit(other) => format!("emit {other:?}"),
        Effect::TurnDone { status, usage } => {
            format!("done {} {}", status.as_str(), usage.output_tokens)
        }
    }
}

fn run(mode: ApprovalMode, headless: bool, max_steps: u32, inputs: Vec<Input>) -> Vec<String> {
    let perms = Permissions::new(mode, ["bash", "write", "edit"].map(String::from), headless);
    let mut m = TurnMachine::new(perms, max_steps);
    inputs
        .into_iter()
        .flat_map(|i| m.handle(i))
        .map(|e| show(&e))
        .collect()
}

fn start(list: &[&str]) -> Input {
    Input::Start {
        text: "hi".into(),
        candidates: cands(list),
    }
}

#[test]
fn plain_reply() {
    let got = run(
        ApprovalMode::Ask,
        false,
        10,
        vec![
            start(&["a/m"]),
            text("Hel"),
            text("lo"),
            Input::Provider(ProviderEvent::Usage(Usage {
                input_tokens: 5,
                output_tokens: 2,
                ..Default::default()
            })),
            done(StopReason::EndTurn),
        ],
    );
    assert_eq!(
        got,
        vec![
            "user hi",
            "route a/m | rule r (a/m)",
            "stream a/m #1",
            "begin a/m",
            "delta Hel",
            "delta lo",
            "usage 5/2",
            "finish complete \"Hello\" calls=0",
            "done complete 2",
        ]
    );
}

#[test]
fn tool_loop_runs_tools_then_asks_the_model_again() {
    let got = run(
        ApprovalMode::Auto,
        false,
        10,
        vec![
            start(&["a/m"]),
            text("Let me look."),
            tool(call("c1", "bash")),
            tool(call("c2", "read")),
            done(StopReason::ToolUse),
            Input::ToolFinished {
                call_id: "c1".into(),
                content: "files".into(),
                is_error: false,
            },
            Input::ToolFinished {
                call_id: "c2".into(),
                content: "text".into(),
                is_error: false,
            },
            text("Done."),
            done(StopReason::EndTurn),
        ],
    );
    assert_eq!(
        got,
        vec![
            "user hi",
            "route a/m | rule r (a/m)",
            "stream a/m #1",
            "begin a/m",
            "delta Let me look.",
            "usage 0/0",
            "finish complete \"Let me look.\" calls=2",
            "tool_call c1",
            "run c1",
            "result c1 err=false files",
            "tool_result c1",
            "tool_call c2",
            "run c2",
            "result c2 err=false text",
            "tool_result c2",
            "route a/m | rule r (a/m) (step 2)",
            "stream a/m #2",
            "begin a/m",
            "delta Done.",
            "usage 0/0",
            "finish complete \"Done.\" calls=0",
            "done complete 0",
        ]
    );
}

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
fn fallback_before_content_then_success() {
    let got = run(
        ApprovalMode::Auto,
        false,
        10,
        vec![
            start(&["a/m", "b/n", "c/o"]),
            Input::StreamFailed(overloaded()),
            Input::StreamFailed(ProviderError::Server {
                provider: "b".into(),
                status: 503,
                message: "down".into(),
            }),
            text("ok"),
            done(StopReason::EndTurn),
        ],
    );
    assert_eq!(got[1], "route a/m | rule r (a/m)");
    assert_eq!(
        got[3],
        "route b/n | fallback from a/m: a: overloaded: busy; rule r (b/n)"
    );
    assert_eq!(got[4], "stream b/n #1");
    assert!(
        got[5].starts_with("route c/o | fallback from b/n: b: server error (HTTP 503)"),
        "{}",
        got[5]
    );
    assert_eq!(got[7], "begin c/o");
    assert_eq!(got.last().unwrap(), "done complete 0");
}

#[test]
fn no_fallback_after_content_the_partial_is_incomplete() {
    let got = run(
        ApprovalMode::Auto,
        false,
        10,
        vec![
            start(&["a/m", "b/n"]),
            text("Half an ans"),
            tool(call("c1", "bash")),
            Input::StreamFailed(ProviderError::StreamIncomplete {
                provider: "a".into(),
            }),
        ],
    );
    assert_eq!(
        &got[4..],
        &[
            "delta Half an ans",
            "finish incomplete \"Half an ans\" calls=0",
            "error retryable=true a: the stream ended before the reply was complete; the partial reply was kept as incomplete",
            "done incomplete 0",
        ]
    );
}

#[test]
fn errors_that_forbid_fallback_end_the_turn() {
    let got = run(
        ApprovalMode::Auto,
        false,
        10,
        vec![
            start(&["a/m", "b/n"]),
            Input::StreamFailed(ProviderError::BadRequest {
                provider: "a".into(),
                message: "bad".into(),
            }),
        ],
    );
    assert_eq!(
        &got[3..],
        &[
            "finish error \"\" calls=0",
            "error retryable=false a: bad request: bad",
            "done error 0",
        ]
    );
    // The last candidate failing also ends the turn.
    let got = run(
        ApprovalMode::Auto,
        false,
        10,
        vec![start(&["a/m"]), Input::StreamFailed(overloaded())],
    );
    assert_eq!(got.last().unwrap(), "done error 0");
}

#[test]
fn interrupt_mid_stream_keeps_the_partial_as_cancelled() {
    let got = run(
        ApprovalMode::Auto,
        false,
        10,
        vec![
            start(&["a/m"]),
            text("partial"),
            Input::Interrupt,
            text("late"),
            done(StopReason::EndTurn),
        ],
    );
    assert_eq!(
        &got[4..],
        &[
            "delta partial",
            "cancel-stream",
            "finish cancelled \"partial\" calls=0",
            "done cancelled 0",
        ]
    );
}

#[test]
fn interrupt_mid_tool_gives_every_call_a_result() {
    let got = run(
        ApprovalMode::Auto,
        false,
        10,
        vec![
            start(&["a/m"]),
            tool(call("c1", "bash")),
            tool(call("c2", "bash")),
            done(StopReason::ToolUse),
            Input::Interrupt,
            Input::ToolFinished {
                call_id: "c1".into(),
                content: "late".into(),
                is_error: false,
            },
        ],
    );
    let tail: Vec<&str> = got.iter().map(String::as_str).skip(6).collect();
    assert_eq!(
        tail,
        vec![
            "tool_call c1",
            "run c1",
            "cancel-tool",
            "result c1 err=true Interrupted by the user while running; output discarded.",
            "tool_result c1",
            "tool_call c2",
            "result c2 err=true Cancelled by the user before it ran.",
            "tool_result c2",
            "done cancelled 0",
        ]
    );
}

#[test]
fn interrupt_while_waiting_for_approval() {
    let got = run(
        ApprovalMode::Ask,
        false,
        10,
        vec![
            start(&["a/m"]),
            tool(call("c1", "write")),
            done(StopReason::ToolUse),
            Input::Interrupt,
        ],
    );
    assert_eq!(
        &got[got.len() - 4..],
        &[
            "ask c1",
            "result c1 err=true Cancelled by the user before it ran.",
            "tool_result c1",
            "done cancelled 0",
        ]
    );
}

#[test]
fn the_step_limit_stops_a_runaway_tool_loop_with_results_in_place() {
    let mut inputs = vec![start(&["a/m"])];
    for i in 0..3 {
        inputs.push(tool(call(&format!("c{i}"), "bash")));
        inputs.push(done(StopReason::ToolUse));
        inputs.push(Input::ToolFinished {
            call_id: format!("c{i}"),
            content: "ok".into(),
            is_error: false,
        });
    }
    let got = run(ApprovalMode::Auto, false, 2, inputs);
    assert_eq!(got.iter().filter(|e| e.starts_with("stream")).count(), 2);
    assert!(
        got.iter()
            .any(|e| e.contains("stopped after 2 model calls"))
    );
    assert_eq!(got.last().unwrap(), "done incomplete 0");
    // The last step's call still got its result before stopping.
    assert!(got.contains(&"result c1 err=false ok".to_string()));
}

#[test]
fn no_candidates_is_a_clear_error() {
    let got = run(ApprovalMode::Auto, false, 10, vec![start(&[])]);
    assert_eq!(got[0], "user hi");
    assert!(got[1].contains("no model to send this to"));
    assert_eq!(got[2], "done error 0");
}

#[test]
fn usage_adds_up_over_steps_and_max_tokens_is_reported() {
    let u = |i, o| {
        Input::Provider(ProviderEvent::Usage(Usage {
            input_tokens: i,
            output_tokens: o,
            ..Default::default()
        }))
    };
    let got = run(
        ApprovalMode::Auto,
        false,
        10,
        vec![
            start(&["a/m"]),
            u(10, 1),
            u(10, 4), // cumulative: the latest wins
            tool(call("c1", "read")),
            done(StopReason::ToolUse),
            Input::ToolFinished {
                call_id: "c1".into(),
                content: "x".into(),
                is_error: false,
            },
            text("cut"),
            u(20, 6),
            done(StopReason::MaxTokens),
        ],
    );
    assert!(got.iter().any(|e| e.contains("output token limit")));
    assert_eq!(got.last().unwrap(), "done complete 10");
}

#[test]
fn a_failed_preview_answers_the_model_without_asking() {
    let got = run(
        ApprovalMode::Ask,
        false,
        10,
        vec![
            start(&["a/m"]),
            tool(call("c1", "edit")),
            done(StopReason::ToolUse),
            Input::ToolFinished {
                call_id: "c1".into(),
                content: "old_string not found".into(),
                is_error: true,
            },
        ],
    );
    let tail: Vec<&str> = got.iter().map(String::as_str).skip(6).collect();
    assert_eq!(
        tail,
        vec![
            "tool_call c1",
            "ask c1",
            "result c1 err=true old_string not found",
            "tool_result c1",
            "route a/m | rule r (a/m) (step 2)",
            "stream a/m #2",
        ]
    );
}

#[test]
fn an_in_band_error_after_content_is_not_retryable() {
    // (error after content, error before content) -> retryable flags shown to the user.
    let server_in_band = ProviderError::Server {
        provider: "a".into(),
        status: 200,
        message: "error inside the stream: boom".into(),
    };
    for (error, after, before) in [
        (overloaded(), false, true),
        (server_in_band, false, true),
        (
            ProviderError::StreamIncomplete {
                provider: "a".into(),
            },
            true,
            true,
        ),
    ] {
        for (with_content, want) in [(true, after), (false, before)] {
            let mut inputs = vec![start(&["a/m"])];
            if with_content {
                inputs.push(text("Half"));
            }
            inputs.push(Input::StreamFailed(error.clone()));
            let got = run(ApprovalMode::Auto, false, 10, inputs);
            let line = got
                .iter()
                .find(|l| l.starts_with("error "))
                .expect("an error event");
            assert!(
                line.starts_with(&format!("error retryable={want} ")),
                "{error:?} content={with_content}: {line}"
            );
        }
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
