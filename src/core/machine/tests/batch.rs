//! Table tests of calls that run side by side: a reply's consecutive `task` calls start
//! together, their results are reported in call order whatever order they finish in, a call
//! that is not a `task` (or that must ask) waits for the batch, and an interrupt reports what
//! finished and marks the rest. (A child of the machine's test module, sharing its helpers.)

use super::*;

fn finished_with(id: &str, content: &str) -> Input {
    Input::ToolFinished {
        call_id: id.into(),
        content: content.into(),
        is_error: false,
    }
}

/// Everything after the first request's start, user message and finished reply.
fn after_reply(inputs: Vec<Input>, mode: ApprovalMode) -> Vec<String> {
    let got = run(mode, false, 10, inputs);
    let from = got.iter().position(|e| e.starts_with("finish")).unwrap() + 1;
    got[from..].to_vec()
}

#[test]
fn task_calls_start_together_and_report_in_call_order() {
    let got = after_reply(
        vec![
            start(&["a/m"]),
            tool(call("t1", "task")),
            tool(call("t2", "task")),
            tool(call("b1", "bash")),
            done(StopReason::ToolUse),
            finished_with("t2", "second"),
            finished_with("t1", "first"),
            finished_with("b1", "ls"),
        ],
        ApprovalMode::Auto,
    );
    assert_eq!(
        got,
        vec![
            "tool_call t1",
            "tool_call t2",
            "run t1",
            "run t2",
            // t2 finished first: nothing is reported until t1 has.
            "result t1 err=false first",
            "tool_result t1",
            "result t2 err=false second",
            "tool_result t2",
            // The bash call ran alone, after the batch.
            "tool_call b1",
            "run b1",
            "result b1 err=false ls",
            "tool_result b1",
            "route a/m | rule r (a/m) (step 2)",
            "stream a/m #2",
        ]
    );
}

#[test]
fn a_single_task_call_runs_like_any_tool() {
    let got = after_reply(
        vec![
            start(&["a/m"]),
            tool(call("t1", "task")),
            done(StopReason::ToolUse),
            finished_with("t1", "only"),
        ],
        ApprovalMode::Ask,
    );
    assert_eq!(
        &got[..4],
        &[
            "tool_call t1",
            "run t1",
            "result t1 err=false only",
            "tool_result t1"
        ]
    );
}

#[test]
fn an_interrupt_reports_finished_calls_and_marks_the_rest() {
    let got = after_reply(
        vec![
            start(&["a/m"]),
            tool(call("t1", "task")),
            tool(call("t2", "task")),
            tool(call("t3", "task")),
            done(StopReason::ToolUse),
            finished_with("t2", "second"),
            Input::Interrupt,
            finished_with("t1", "late"),
        ],
        ApprovalMode::Auto,
    );
    assert_eq!(
        &got[6..],
        &[
            "cancel-tool",
            "result t1 err=true Interrupted by the user while running; output discarded.",
            "tool_result t1",
            "result t2 err=false second",
            "tool_result t2",
            "result t3 err=true Interrupted by the user while running; output discarded.",
            "tool_result t3",
            "done cancelled 0",
        ]
    );
}
