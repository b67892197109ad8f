//! Table tests of the turn machine's interrupts and its step limit: whatever the turn is doing
//! (streaming, running a tool, waiting for an answer), it ends at once and every tool call has a
//! result. (A child of the machine's test module, sharing its helpers.)

use super::*;

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
