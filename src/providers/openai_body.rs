//! The JSON body of an OpenAI-style streamed chat request, serialised straight from borrowed
//! typed structs. Building a `serde_json::Value` first copied every message's text into the
//! tree and allocated a map per message: with a 2,000-message history that was about a third of
//! the allocations of a `run --conversation` turn (issue 19). The shape is PROVIDERS.md §1.

use super::openai::OpenAiFlavor;
use super::{ChatMessage, ChatRequest};
use crate::message::{Role, ToolSpec};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: Vec<Message<'a>>,
    stream: bool,
    stream_options: StreamOptions,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<&'a str>,
    /// `null` only for an assistant turn that is all tool calls.
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<ToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
}

#[derive(Serialize)]
struct ToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionCall<'a>,
}

#[derive(Serialize)]
struct FunctionCall<'a> {
    name: &'a str,
    /// The arguments as the JSON text the model wrote.
    arguments: Cow<'a, str>,
}

#[derive(Serialize)]
struct Tool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionSpec<'a>,
}

#[derive(Serialize)]
struct FunctionSpec<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

/// The request body's bytes.
pub fn request_body(flavor: OpenAiFlavor, request: &ChatRequest) -> serde_json::Result<Vec<u8>> {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = request.system.as_deref().filter(|s| !s.is_empty()) {
        messages.push(Message::text("system", system));
    }
    messages.extend(request.messages.iter().map(|m| message(flavor, m)));
    let (max_completion_tokens, max_tokens) = match flavor {
        OpenAiFlavor::OpenAi => (request.max_tokens, None),
        OpenAiFlavor::OpenRouter | OpenAiFlavor::Zai => (None, request.max_tokens),
    };
    serde_json::to_vec(&Body {
        model: &request.model,
        messages,
        stream: true,
        stream_options: StreamOptions {
            include_usage: true,
        },
        tools: request.tools.iter().map(tool).collect(),
        max_completion_tokens,
        max_tokens,
        temperature: request.temperature,
    })
}

impl<'a> Message<'a> {
    fn text(role: &'static str, content: &'a str) -> Self {
        Self {
            role,
            tool_call_id: None,
            content: Some(content),
            tool_calls: Vec::new(),
            reasoning_content: None,
        }
    }
}

fn message(flavor: OpenAiFlavor, m: &ChatMessage) -> Message<'_> {
    match m.role {
        Role::System => Message::text("system", &m.content),
        Role::User | Role::Summary => Message::text("user", &m.content),
        Role::Tool => Message {
            tool_call_id: Some(m.tool_call_id.as_deref().unwrap_or_default()),
            ..Message::text("tool", &m.content)
        },
        Role::Assistant => Message {
            content: (!m.content.is_empty() || m.tool_calls.is_empty())
                .then_some(m.content.as_str()),
            tool_calls: m
                .tool_calls
                .iter()
                .map(|c| ToolCall {
                    id: &c.id,
                    kind: "function",
                    function: FunctionCall {
                        name: &c.name,
                        arguments: match &c.arguments {
                            Value::String(raw) => Cow::Borrowed(raw.as_str()),
                            other => Cow::Owned(other.to_string()),
                        },
                    },
                })
                .collect(),
            reasoning_content: (flavor == OpenAiFlavor::Zai)
                .then(|| m.reasoning.as_deref().filter(|r| !r.is_empty()))
                .flatten(),
            ..Message::text("assistant", &m.content)
        },
    }
}

fn tool(t: &ToolSpec) -> Tool<'_> {
    Tool {
        kind: "function",
        function: FunctionSpec {
            name: &t.name,
            description: &t.description,
            parameters: &t.parameters,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ToolCall as CallMade;
    use serde_json::json;

    fn body(flavor: OpenAiFlavor, request: &ChatRequest) -> Value {
        serde_json::from_slice(&request_body(flavor, request).unwrap()).unwrap()
    }

    fn request(messages: Vec<ChatMessage>) -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            system: Some("be brief".into()),
            messages,
            tools: Vec::new(),
            max_tokens: None,
            temperature: None,
            context_window: None,
        }
    }

    #[test]
    fn every_role_has_its_wire_shape() {
        let call = CallMade {
            id: "c1".into(),
            name: "bash".into(),
            arguments: json!({"command": "ls"}),
        };
        let mut reasoned = ChatMessage::assistant("done", Vec::new());
        reasoned.reasoning = Some("thought".into());
        let mut tool_result = ChatMessage::user("out");
        tool_result.role = Role::Tool;
        tool_result.tool_call_id = Some("c1".into());
        let mut summary = ChatMessage::user("earlier");
        summary.role = Role::Summary;
        let messages = vec![
            summary,
            ChatMessage::user("hi \"there\"\n"),
            ChatMessage::assistant("", vec![call]),
            tool_result,
            reasoned,
        ];
        let want = json!({
            "model": "m",
            "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "earlier"},
                {"role": "user", "content": "hi \"there\"\n"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c1", "type": "function",
                     "function": {"name": "bash", "arguments": "{\"command\":\"ls\"}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "out"},
                {"role": "assistant", "content": "done"},
            ],
        });
        assert_eq!(body(OpenAiFlavor::OpenAi, &request(messages.clone())), want);
        // Z.ai gets the reasoning back; the others never do.
        let zai = body(OpenAiFlavor::Zai, &request(messages));
        assert_eq!(zai["messages"][5]["reasoning_content"], "thought");
        assert!(want["messages"][5].get("reasoning_content").is_none());
    }

    #[test]
    fn limits_tools_and_raw_arguments() {
        let mut r = request(vec![ChatMessage::assistant(
            "calling",
            vec![CallMade {
                id: "c2".into(),
                name: "read".into(),
                arguments: Value::String("{\"path\":\"a\"".into()),
            }],
        )]);
        r.system = Some(String::new());
        r.max_tokens = Some(100);
        r.temperature = Some(0.5);
        r.tools = vec![ToolSpec {
            name: "read".into(),
            description: "read a file".into(),
            parameters: json!({"type": "object"}),
        }];
        let openai = body(OpenAiFlavor::OpenAi, &r);
        assert_eq!(openai["max_completion_tokens"], 100);
        assert!(openai.get("max_tokens").is_none());
        assert_eq!(openai["temperature"], 0.5);
        assert_eq!(
            openai["messages"].as_array().unwrap().len(),
            1,
            "no empty system"
        );
        assert_eq!(openai["messages"][0]["content"], "calling");
        assert_eq!(
            openai["messages"][0]["tool_calls"][0]["function"]["arguments"], "{\"path\":\"a\"",
            "unparsable arguments go back as the model wrote them"
        );
        assert_eq!(
            openai["tools"],
            json!([{"type": "function", "function": {
                "name": "read", "description": "read a file", "parameters": {"type": "object"}}}])
        );
        let router = body(OpenAiFlavor::OpenRouter, &r);
        assert_eq!(router["max_tokens"], 100);
        assert!(router.get("max_completion_tokens").is_none());
    }
}
