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
            // "partial" is 7 bytes: ~2 tokens streamed.
            "done cancelled 2",
        ]
    );
}

/// The usage an interrupted reply is stored and reported with.
fn interrupted(inputs: Vec<Input>) -> (Usage, Usage) {
    let perms = Permissions::new(ApprovalMode::Auto, ["bash"].map(String::from), false);
    let mut m = TurnMachine::new(perms, 10);
    m.handle(start(&["a/m"]));
    m.set_request_estimate(1_000);
    let mut reply = None;
    let mut turn = None;
    for input in inputs.into_iter().chain([Input::Interrupt]) {
        for e in m.handle(input) {
            match e {
                Effect::FinishAssistant(r) => reply = Some(r.usage),
                Effect::TurnDone { usage, .. } => turn = Some(usage),
                _ => {}
            }
        }
    }
    (
        reply.expect("a stored reply"),
        turn.expect("the turn's end"),
    )
}

#[test]
fn an_interrupted_reply_counts_its_tokens() {
    // No usage from the provider yet: input is the request's estimate, output what streamed
    // (40 bytes of text and 8 of reasoning: 10 + 2 tokens), marked as an estimate.
    let (reply, turn) = interrupted(vec![
        Input::Provider(ProviderEvent::ReasoningDelta("thinking".into())),
        text(&"x".repeat(40)),
    ]);
    let want = Usage {
        input_tokens: 1_000,
        output_tokens: 12,
        estimated: true,
        ..Usage::default()
    };
    assert_eq!((reply, turn), (want, want));
    // The provider's usage arrived before the interrupt: that is the count, not an estimate.
    let real = Usage {
        input_tokens: 900,
        output_tokens: 30,
        ..Usage::default()
    };
    let (reply, turn) = interrupted(vec![
        text("partial"),
        Input::Provider(ProviderEvent::Usage(real)),
    ]);
    assert_eq!((reply, turn), (real, real));
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
