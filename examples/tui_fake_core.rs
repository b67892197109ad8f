//! Runs the TUI in this terminal over a scripted fake core (no providers, no store), to try
//! the UI by hand or under tmux: every prompt is answered with a streamed markdown reply; a
//! prompt containing "tool" also asks to approve a bash call. `cargo run --example tui_fake_core`
//!
//! For scripts/tui_stream.sh: `FAKE_STREAM_DELTAS=N` answers with N deltas `w0 w1 ...` then
//! `THE-END`, one per `FAKE_DELTA_MS` ms (0 = as fast as the channel takes them), and writes the
//! Unix time in ms at which the last delta was sent to `FAKE_FINISH_FILE`. With
//! `FAKE_PARAGRAPH_WORDS=K` every K-th word ends a paragraph (else one huge paragraph).
//! `FAKE_UI_MODE=inline` runs the TUI in inline mode (else fullscreen).
#![allow(clippy::unwrap_used)]

use harness::message::{ConversationId, MessageStatus, Usage};
use harness::protocol::{Event, Op};
use harness::tui::{AgentInfo, AppConfig};
use std::time::Duration;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() {
    let (ops_tx, mut ops_rx) = mpsc::channel::<Op>(256);
    let (ev_tx, ev_rx) = mpsc::channel::<Event>(4096);
    let id = ConversationId::new();
    let delay: u64 = std::env::var("FAKE_DELTA_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let stream_deltas: Option<usize> = std::env::var("FAKE_STREAM_DELTAS")
        .ok()
        .and_then(|v| v.parse().ok());
    let finish_file = std::env::var("FAKE_FINISH_FILE").ok();
    let paragraph_words: usize = std::env::var("FAKE_PARAGRAPH_WORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    tokio::spawn(async move {
        let mut prompts: Vec<String> = Vec::new();
        while let Some(op) = ops_rx.recv().await {
            match op {
                Op::UserTurn { text } => {
                    prompts.push(text.clone());
                    let _ = ev_tx
                        .send(Event::RouteChosen {
                            model: "fake/echo-1".into(),
                            reason: "fake core".into(),
                        })
                        .await;
                    if let Some(n) = stream_deltas {
                        let mut tick = tokio::time::interval(Duration::from_millis(delay.max(1)));
                        for i in 0..=n {
                            let text = if i == n {
                                "THE-END".to_string()
                            } else if paragraph_words > 0
                                && i % paragraph_words == paragraph_words - 1
                            {
                                format!("w{i}\n\n")
                            } else {
                                format!("w{i} ")
                            };
                            if delay > 0 {
                                tick.tick().await;
                            }
                            let _ = ev_tx.send(Event::TextDelta { text }).await;
                        }
                        if let Some(path) = &finish_file {
                            let ms = std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .unwrap()
                                .as_millis();
                            std::fs::write(path, ms.to_string()).unwrap();
                        }
                        let _ = ev_tx
                            .send(Event::TurnComplete {
                                conversation_id: id,
                                status: MessageStatus::Complete,
                                usage: Usage::default(),
                                unsaved: 0,
                            })
                            .await;
                        continue;
                    }
                    if text.contains("tool") {
                        let args = serde_json::json!({"command": "ls -la"});
                        let _ = ev_tx
                            .send(Event::ToolCallBegin {
                                id: "c1".into(),
                                name: "bash".into(),
                                arguments: args,
                            })
                            .await;
                        let _ = ev_tx
                            .send(Event::ApprovalRequest {
                                call_id: "c1".into(),
                                tool: "bash".into(),
                                preview: "ls -la".into(),
                                prefix: Some("ls:*".into()),
                                subagent: None,
                            })
                            .await;
                        continue;
                    }
                    let reply = format!(
                        "You said **{}**.\n\n```rust\nfn main() {{\n    println!(\"hello\");\n}}\n```\n\nDone.",
                        text.replace('\n', " ")
                    );
                    for word in reply.split_inclusive(' ') {
                        let _ = ev_tx.send(Event::TextDelta { text: word.into() }).await;
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                    }
                    let _ = ev_tx
                        .send(Event::TurnComplete {
                            conversation_id: id,
                            status: MessageStatus::Complete,
                            usage: Usage {
                                input_tokens: 10,
                                output_tokens: 20,
                                ..Usage::default()
                            },
                            unsaved: 0,
                        })
                        .await;
                }
                Op::Approve { call_id, decision } => {
                    let _ = ev_tx
                        .send(Event::ToolCallEnd {
                            id: call_id,
                            output: format!("decision: {decision:?}\nfile1\nfile2"),
                            is_error: false,
                        })
                        .await;
                    let _ = ev_tx
                        .send(Event::TurnComplete {
                            conversation_id: id,
                            status: MessageStatus::Complete,
                            usage: Usage::default(),
                            unsaved: 0,
                        })
                        .await;
                }
                Op::SetModel { model } => {
                    let _ = ev_tx
                        .send(Event::SettingsChanged {
                            agent: "general".into(),
                            model,
                        })
                        .await;
                }
                Op::LoadPromptHistory { .. } => {
                    let _ = ev_tx
                        .send(Event::PromptHistory {
                            prompts: prompts.clone(),
                        })
                        .await;
                }
                Op::Interrupt => {
                    let _ = ev_tx
                        .send(Event::TurnComplete {
                            conversation_id: id,
                            status: MessageStatus::Cancelled,
                            usage: Usage::default(),
                            unsaved: 0,
                        })
                        .await;
                }
                Op::Shutdown => break,
                _ => {}
            }
        }
    });
    let config = AppConfig {
        models: vec!["fake/echo-1".into(), "fake/echo-2".into()],
        agents: vec![AgentInfo {
            name: "general".into(),
            description: "fake".into(),
            tools: None,
        }],
        inline: std::env::var("FAKE_UI_MODE").is_ok_and(|m| m == "inline"),
        ..AppConfig::default()
    };
    let exit = harness::tui::run_with_session(config, ops_tx, ev_rx)
        .await
        .unwrap();
    harness::cli::interactive::print_resume_hint(exit.conversation);
}
