//! The only language spoken between a front end (TUI, `harness run`) and the core session:
//! [`Op`]s go in, [`Event`]s come out. Both are serde-serialisable; `harness run --json` prints
//! events in the shape documented in CONTRACT.md (`type` tag, snake_case).

use crate::message::{ConversationId, MessageId, MessageStatus, ToolCall, Usage};
use serde::{Deserialize, Serialize};

/// How the user answered an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum ApprovalDecision {
    /// Run this call.
    Once,
    /// Run this call and every later call of the same tool in this conversation.
    Always,
    /// Do not run it; the optional reason is passed to the model.
    Deny { reason: Option<String> },
}

/// Approval policy: `[approval] mode`, an agent override, or `--approve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalMode {
    #[default]
    Ask,
    Auto,
    Deny,
}

impl std::str::FromStr for ApprovalMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ask" => Ok(ApprovalMode::Ask),
            "auto" => Ok(ApprovalMode::Auto),
            "deny" => Ok(ApprovalMode::Deny),
            other => Err(format!(
                "unknown approval mode `{other}`: use ask, auto or deny"
            )),
        }
    }
}

/// Requests from a front end to the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Op {
    /// Send a user message and run the turn (model + tools) to its end.
    UserTurn {
        text: String,
    },
    /// Stop the running turn now: drop the stream, kill the tool, keep what was produced.
    Interrupt,
    /// Answer an `ApprovalRequest`.
    Approve {
        call_id: String,
        decision: ApprovalDecision,
    },
    /// Pin a model reference, or `None` / "auto" to let the router decide.
    SetModel {
        model: Option<String>,
    },
    SetAgent {
        agent: String,
    },
    NewConversation,
    Resume {
        conversation_id: ConversationId,
    },
    /// Summarise older messages now.
    Compact,
    SetTitle {
        title: String,
    },
    Shutdown,
}

/// Everything the core tells a front end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A conversation is loaded/started; `message_count` counts stored messages.
    SessionConfigured {
        conversation_id: ConversationId,
        agent: String,
        model: Option<String>,
        message_count: usize,
    },
    /// The model chosen for the next request, and why. Precedes every model request.
    #[serde(rename = "route")]
    RouteChosen {
        model: String,
        reason: String,
    },
    TextDelta {
        text: String,
    },
    ReasoningDelta {
        text: String,
    },
    /// A tool call the model made (emitted before approval/execution).
    #[serde(rename = "tool_call")]
    ToolCallBegin {
        id: String,
        name: String,
        arguments: serde_json::Value,
    },
    /// Live output of a running tool (display only).
    ToolOutputDelta {
        id: String,
        chunk: String,
    },
    #[serde(rename = "tool_result")]
    ToolCallEnd {
        id: String,
        output: String,
        is_error: bool,
    },
    ApprovalRequest {
        call_id: String,
        tool: String,
        /// The exact command, or a unified diff.
        preview: String,
    },
    Usage {
        usage: Usage,
    },
    /// One assistant message was stored with its final status.
    MessageStored {
        message_id: MessageId,
        status: MessageStatus,
    },
    Error {
        message: String,
        retryable: bool,
    },
    /// The model or agent changed (from `SetModel`/`SetAgent`).
    SettingsChanged {
        agent: String,
        model: Option<String>,
    },
    Compacted {
        summarized_messages: usize,
    },
    #[serde(rename = "done")]
    TurnComplete {
        conversation_id: ConversationId,
        status: MessageStatus,
        usage: Usage,
    },
}

impl Event {
    pub fn tool_call(call: &ToolCall) -> Self {
        Event::ToolCallBegin {
            id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_in_the_contract_shape() {
        let id: ConversationId = "0190a0b0-0000-7000-8000-000000000000".parse().unwrap();
        let cases = [
            (
                Event::RouteChosen {
                    model: "p/m".into(),
                    reason: "pinned by -m".into(),
                },
                r#"{"type":"route","model":"p/m","reason":"pinned by -m"}"#,
            ),
            (
                Event::TextDelta { text: "hi".into() },
                r#"{"type":"text_delta","text":"hi"}"#,
            ),
            (
                Event::ToolCallBegin {
                    id: "c1".into(),
                    name: "bash".into(),
                    arguments: serde_json::json!({"command":"ls"}),
                },
                r#"{"type":"tool_call","id":"c1","name":"bash","arguments":{"command":"ls"}}"#,
            ),
            (
                Event::ToolCallEnd {
                    id: "c1".into(),
                    output: "x".into(),
                    is_error: false,
                },
                r#"{"type":"tool_result","id":"c1","output":"x","is_error":false}"#,
            ),
            (
                Event::Error {
                    message: "m".into(),
                    retryable: true,
                },
                r#"{"type":"error","message":"m","retryable":true}"#,
            ),
            (
                Event::TurnComplete {
                    conversation_id: id,
                    status: MessageStatus::Complete,
                    usage: Usage::default(),
                },
                r#"{"type":"done","conversation_id":"0190a0b0-0000-7000-8000-000000000000","status":"complete","usage":{"input_tokens":0,"output_tokens":0}}"#,
            ),
        ];
        for (event, want) in cases {
            assert_eq!(serde_json::to_string(&event).unwrap(), want);
        }
    }
}
