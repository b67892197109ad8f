//! Table tests of the turn state machine: each case is a script of inputs and the exact
//! effects it must produce, written compactly.

use super::*;
use crate::message::ModelRef;
use crate::protocol::ApprovalMode;
use crate::tools::approval::ApprovalPolicy;
use serde_json::json;

fn model(s: &str) -> ModelRef {
    ModelRef::parse(s).unwrap()
}

fn cands(list: &[&str]) -> Vec<Candidate> {
    list.iter()
        .map(|m| Candidate {
            model: model(m),
            reason: format!("rule r ({m})"),
            needs_compaction: false,
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
        Effect::Compact { model } => format!("compact {model}"),
        Effect::CancelCompaction => "cancel-compaction".into(),
        Effect::Emit(Event::Compacted {
            summarized_messages,
        }) => format!("compacted {summarized_messages}"),
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

mod approvals;
mod batch;
mod interrupts;
mod route_and_compaction;
