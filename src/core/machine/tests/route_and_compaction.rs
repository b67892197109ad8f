//! Table tests of the turn machine's route failures and compaction: a message the router cannot
//! place is still stored and ends the turn with an error; compaction runs once, before the first
//! request, can fail without losing the turn, and stops at an interrupt.

use super::*;

/// Candidates where those named in `over` pass their compaction threshold.
fn cands_over(list: &[&str], over: &[&str]) -> Vec<Candidate> {
    cands(list)
        .into_iter()
        .map(|mut c| {
            c.needs_compaction = over.contains(&c.model.to_string().as_str());
            c
        })
        .collect()
}

fn start_over(list: &[&str], over: &[&str]) -> Input {
    Input::Start {
        text: "hi".into(),
        candidates: cands_over(list, over),
    }
}

fn auto(inputs: Vec<Input>) -> Vec<String> {
    run(ApprovalMode::Auto, false, 10, inputs)
}

#[test]
fn route_failures_store_the_message_and_end_with_an_error() {
    let cases: Vec<(Input, &str)> = vec![
        (
            Input::RouteFailed {
                text: "hi".into(),
                error: "no provider is available".into(),
            },
            "error retryable=false no provider is available",
        ),
        (
            Input::Start {
                text: "hi".into(),
                candidates: vec![],
            },
            "error retryable=false no model to send this to: configure a provider and a model (see `harness config check`)",
        ),
    ];
    for (input, error) in cases {
        assert_eq!(auto(vec![input]), vec!["user hi", error, "done error 0"]);
    }
}

#[test]
fn compaction_runs_before_the_first_request_and_only_once() {
    let cases: Vec<(&str, Vec<Input>, Vec<&str>)> = vec![
        (
            "summary stored, then the request",
            vec![
                start_over(&["a/m"], &["a/m"]),
                Input::CompactionFinished(Ok(12)),
                text("ok"),
                done(StopReason::EndTurn),
            ],
            vec![
                "user hi",
                "route a/m | compaction summary",
                "compact a/m",
                "compacted 12",
                "route a/m | rule r (a/m)",
                "stream a/m #1",
                "begin a/m",
                "delta ok",
                "usage 0/0",
                "finish complete \"ok\" calls=0",
                "done complete 0",
            ],
        ),
        (
            "a failed summary sends the conversation whole",
            vec![
                start_over(&["a/m"], &["a/m"]),
                Input::CompactionFinished(Err("the summary stream ended early".into())),
                text("ok"),
                done(StopReason::EndTurn),
            ],
            vec![
                "user hi",
                "route a/m | compaction summary",
                "compact a/m",
                "error retryable=false could not compact the conversation (the summary stream ended early); sending it whole",
                "route a/m | rule r (a/m)",
                "stream a/m #1",
                "begin a/m",
                "delta ok",
                "usage 0/0",
                "finish complete \"ok\" calls=0",
                "done complete 0",
            ],
        ),
        (
            "no compaction under the threshold",
            vec![start_over(&["a/m"], &[])],
            vec!["user hi", "route a/m | rule r (a/m)", "stream a/m #1"],
        ),
        (
            "not again at the second step of the tool loop",
            vec![
                start_over(&["a/m"], &["a/m"]),
                Input::CompactionFinished(Ok(3)),
                tool(call("c1", "bash")),
                done(StopReason::ToolUse),
                finished("c1"),
            ],
            vec![
                "user hi",
                "route a/m | compaction summary",
                "compact a/m",
                "compacted 3",
                "route a/m | rule r (a/m)",
                "stream a/m #1",
                "begin a/m",
                "usage 0/0",
                "finish complete \"\" calls=1",
                "tool_call c1",
                "run c1",
                "result c1 err=false ok",
                "tool_result c1",
                "route a/m | rule r (a/m) (step 2)",
                "stream a/m #2",
            ],
        ),
        (
            "a fallback that needs it compacts first and keeps its fallback reason",
            vec![
                start_over(&["a/m", "b/m"], &["b/m"]),
                Input::StreamFailed(overloaded()),
                Input::CompactionFinished(Ok(4)),
            ],
            vec![
                "user hi",
                "route a/m | rule r (a/m)",
                "stream a/m #1",
                "route b/m | compaction summary",
                "compact b/m",
                "compacted 4",
                "route b/m | fallback from a/m: a: overloaded: busy; rule r (b/m)",
                "stream b/m #1",
            ],
        ),
    ];
    for (name, inputs, want) in cases {
        assert_eq!(auto(inputs), want, "{name}");
    }
}

#[test]
fn an_interrupt_stops_the_compaction_and_ends_the_turn() {
    let got = auto(vec![
        start_over(&["a/m"], &["a/m"]),
        Input::Interrupt,
        // A summary finishing after the interrupt changes nothing.
        Input::CompactionFinished(Ok(5)),
    ]);
    assert_eq!(
        got,
        vec![
            "user hi",
            "route a/m | compaction summary",
            "compact a/m",
            "cancel-compaction",
            "done cancelled 0",
        ]
    );
}
