//! The conversation vocabulary shared by the store, the core, the providers and the front ends:
//! ids, roles, tool calls, usage and message status. Kept apart from any one of those owners so
//! that none of them has to depend on another just to name a message.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A conversation's id: a UUID v7 (time-ordered), shown as its hyphenated string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub uuid::Uuid);

impl ConversationId {
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for ConversationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for ConversationId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

/// A message's id: a UUID v7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub uuid::Uuid);

impl MessageId {
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for MessageId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for MessageId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
    /// A compaction summary standing in for the older messages it covers.
    Summary,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Summary => "summary",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "system" => Role::System,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            "summary" => Role::Summary,
            other => return Err(format!("unknown role `{other}`")),
        })
    }
}

/// Lifecycle of a stored message. Assistant messages start `Streaming`; everything else is
/// stored `Complete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Streaming,
    Complete,
    Incomplete,
    Cancelled,
    Error,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Streaming => "streaming",
            MessageStatus::Complete => "complete",
            MessageStatus::Incomplete => "incomplete",
            MessageStatus::Cancelled => "cancelled",
            MessageStatus::Error => "error",
        }
    }
}

impl FromStr for MessageStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "streaming" => MessageStatus::Streaming,
            "complete" => MessageStatus::Complete,
            "incomplete" => MessageStatus::Incomplete,
            "cancelled" => MessageStatus::Cancelled,
            "error" => MessageStatus::Error,
            other => return Err(format!("unknown status `{other}`")),
        })
    }
}

/// One tool call requested by a model, fully assembled.
///
/// `arguments` is the parsed JSON object. When a model sends arguments that are not valid JSON,
/// the raw text is kept as `Value::String` so the tool layer can answer with an error the model
/// can read, instead of the call being lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
}

/// Token counts of one model response (or a sum of several). `input_tokens` are the input
/// tokens billed at the full price: every client reports prompt tokens read from the provider's
/// cache in `cached_input_tokens` and tokens written to it in `cache_write_input_tokens`, not
/// in `input_tokens` (Anthropic's own split; OpenAI-style totals are split the same way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cached_input_tokens: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write_input_tokens: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reasoning_tokens: u64,
    /// The cost in USD the provider itself reported (OpenRouter's `usage.cost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Some counts are our estimate, not the provider's (a reply interrupted before its usage
    /// arrived: output from the text streamed so far, input from the request's estimate).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    /// Every prompt token of the request: full-price, cache reads and cache writes.
    pub fn prompt_tokens(&self) -> u64 {
        self.input_tokens + self.cached_input_tokens + self.cache_write_input_tokens
    }

    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.cache_write_input_tokens += other.cache_write_input_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
        self.cost_usd = match (self.cost_usd, other.cost_usd) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.estimated |= other.estimated;
    }
}

/// A model reference as written by users: `provider/model-id`, an alias, or `auto`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    pub provider: String,
    pub model: String,
}

impl ModelRef {
    /// Split on the FIRST slash: `openrouter/anthropic/claude` is provider `openrouter`,
    /// model `anthropic/claude`. Returns `None` without a slash or with an empty side.
    pub fn parse(reference: &str) -> Option<Self> {
        let (provider, model) = reference.split_once('/')?;
        if provider.is_empty() || model.is_empty() {
            return None;
        }
        Some(Self {
            provider: provider.to_string(),
            model: model.to_string(),
        })
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

/// Names of the built-in tools, in the order they are offered. Here, not in `tools`, so that
/// permission rules and agent definitions can name a tool without depending on the tools.
pub const BUILTIN_TOOL_NAMES: [&str; 6] = ["bash", "read", "write", "edit", "glob", "grep"];

/// Tools that are offered only when their feature is on (memory) or the agent lists them
/// (`task`); an agent file or a permission rule may name them like a built-in.
pub const OPTIONAL_TOOL_NAMES: [&str; 3] = ["memory_save", "memory_search", "task"];

/// Prefix of the tools MCP servers offer: `mcp__SERVER__TOOL`.
pub const MCP_TOOL_PREFIX: &str = "mcp__";

/// The tool names an agent file or a permission rule may use, for error messages.
pub fn known_tool_names_hint() -> String {
    format!(
        "{}, or {} (when enabled), or mcp__SERVER__TOOL",
        BUILTIN_TOOL_NAMES.join(", "),
        OPTIONAL_TOOL_NAMES.join(", ")
    )
}

/// Whether an agent file or a permission rule may name `name`: a built-in, an optional tool, or
/// an MCP tool (`mcp__SERVER__TOOL`, or `mcp__SERVER__*` for all of a server's tools).
pub fn is_known_tool_name(name: &str) -> bool {
    BUILTIN_TOOL_NAMES.contains(&name)
        || OPTIONAL_TOOL_NAMES.contains(&name)
        || name.strip_prefix(MCP_TOOL_PREFIX).is_some_and(|rest| {
            rest.split_once("__")
                .is_some_and(|(s, t)| !s.is_empty() && !t.is_empty())
        })
}

/// A tool offered to the model: name, one-line description, JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_tool_names_are_builtins_optional_tools_and_mcp_tools() {
        let cases = [
            ("bash", true),
            ("grep", true),
            ("task", true),
            ("memory_save", true),
            ("memory_search", true),
            ("mcp__github__create_issue", true),
            ("mcp__fs__*", true),
            ("mcp__", false),
            ("mcp__github", false),
            ("mcp____tool", false),
            ("mcp__github__", false),
            ("shell", false),
            ("Bash", false),
            ("", false),
        ];
        for (name, known) in cases {
            assert_eq!(is_known_tool_name(name), known, "{name}");
        }
    }

    #[test]
    fn model_ref_splits_on_first_slash() {
        let cases = [
            (
                "anthropic/claude-opus-4-6",
                Some(("anthropic", "claude-opus-4-6")),
            ),
            (
                "openrouter/anthropic/claude-sonnet-4.6",
                Some(("openrouter", "anthropic/claude-sonnet-4.6")),
            ),
            ("opus", None),
            ("/x", None),
            ("x/", None),
        ];
        for (input, want) in cases {
            let got = ModelRef::parse(input);
            assert_eq!(
                got.as_ref()
                    .map(|m| (m.provider.as_str(), m.model.as_str())),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn status_and_role_round_trip() {
        for s in ["streaming", "complete", "incomplete", "cancelled", "error"] {
            assert_eq!(s.parse::<MessageStatus>().unwrap().as_str(), s);
        }
        for r in ["system", "user", "assistant", "tool", "summary"] {
            assert_eq!(r.parse::<Role>().unwrap().as_str(), r);
        }
        assert!("bogus".parse::<Role>().is_err());
    }
}

/// One row of a conversation listing (`history list`, the /history browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub title: String,
    pub agent: String,
    pub model: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub message_count: u64,
    pub deleted: bool,
}
