//! The only language spoken between a front end (TUI, `harness run`) and the core session:
//! [`Op`]s go in, [`Event`]s come out. Both are serde-serialisable; `harness run --json` prints
//! events in the shape documented in docs/protocol.md (`type` tag, snake_case).

use crate::message::{
    ConversationId, ConversationSummary, MessageId, MessageStatus, Role, ToolCall, Usage,
};
use serde::{Deserialize, Serialize};

/// Which subagent an event is about: its conversation, agent and the task's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubagentRef {
    pub conversation_id: ConversationId,
    pub agent: String,
    pub description: String,
}

/// How the user answered an approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum ApprovalDecision {
    /// Run this call.
    Once,
    /// Run this call and, for the rest of this conversation, the calls it covers: with no
    /// `pattern`, exactly this call again (the same command, or the same path for file tools);
    /// with a `pattern` (e.g. `cargo test:*`, the prefix offered by `ApprovalRequest`), every
    /// call of this tool the permission pattern `TOOL(pattern)` matches.
    Always {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
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
    /// `UserTurn` run with another agent and/or model for this turn only (a custom slash
    /// command's front matter): the session's own agent and model come back when the turn
    /// ends. An unknown agent or model refuses the turn (`Error`, then `TurnComplete`).
    UserTurnAs {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
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
    /// `Resume` by a unique prefix of the id (as `--resume` takes); an unknown or ambiguous
    /// prefix is answered by `Error`.
    ResumePrefix {
        prefix: String,
    },
    /// Summarise older messages now.
    Compact,
    SetTitle {
        title: String,
    },
    Shutdown,
    /// List conversations for the /history browser, newest first. `query` is a full-text search;
    /// answered by `ConversationList`.
    ListConversations {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
        offset: usize,
        limit: usize,
        #[serde(default)]
        include_deleted: bool,
    },
    /// Soft-delete a conversation; answered by `ConversationDeleted`.
    DeleteConversation {
        conversation_id: ConversationId,
    },
    /// Undo a soft delete; answered by `ConversationDeleted { deleted: false }`.
    RestoreConversation {
        conversation_id: ConversationId,
    },
    /// Page in stored messages of the current conversation: the `limit` messages before index
    /// `before` (0-based, oldest first). Answered by `HistoryPage`.
    LoadHistory {
        before: usize,
        limit: usize,
    },
    /// The user's most recent prompts across conversations (for Up/Down recall and Ctrl+R);
    /// answered by `PromptHistory`.
    LoadPromptHistory {
        limit: usize,
    },
    /// The permission rules in force and where each came from (`/permissions`); answered by
    /// `Permissions`.
    ListPermissions,
    /// Spend of this conversation, today and this month (`/cost`); answered by `Cost`.
    Cost,
    /// Every model a front end may offer (`/model` without an argument): each provider's own
    /// list (cached for a while) and the `[models]` aliases. Answered by `ModelList`.
    ListModels,
    /// Write the current conversation to a file (`/export`); answered by `Notice` or `Error`.
    Export {
        format: ExportFormat,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// Restore the workspace files the last turn of this conversation changed (`/undo`);
    /// refused when one was changed outside the harness since, unless `force`. Answered by
    /// `WorkspaceRestored` or `Error`.
    Undo {
        #[serde(default)]
        force: bool,
    },
    /// Conversation and workspace back to just before user message `to` (`/rewind`): later
    /// messages are kept as a branch, not deleted. Answered by `WorkspaceRestored`, then
    /// `SessionConfigured` for the rewound conversation, then a `Notice` saying what was done.
    Rewind {
        /// `None`: the last user message (take back the last turn).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<MessageId>,
        #[serde(default)]
        force: bool,
    },
    /// What this conversation changed in its workspace (`/diff`): answered by `Notice` with the
    /// unified diff (git against the start commit for a worktree conversation, checkpoints
    /// otherwise), or `Error`.
    Diff,
    /// A new conversation with this one's history before message `at` (all of it when absent);
    /// the session switches to it. Answered by `Forked`, then `SessionConfigured`.
    Fork {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<MessageId>,
    },
    /// Save `text` to long-term memory (`/remember`); answered by `Notice` or `Error`.
    Remember {
        text: String,
    },
    /// The memories best matching `query`, or the newest without one (`/memory`); answered by
    /// `Notice` or `Error`.
    SearchMemory {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
    },
    /// The MCP servers, their state and tools (`/mcp`); answered by a `Notice` listing them.
    ListMcpServers,
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
        /// The `cmd:*` pattern offered for "always allow commands like this" (bash only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        /// The subagent asking, when a child session needs the approval (answer with `Approve`
        /// and this `call_id`, like any other).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subagent: Option<SubagentRef>,
    },
    /// A child session started for the `task` call `call_id` (a subagent). `depth` is 1 for a
    /// child of this conversation, 2 for a grandchild; `branch` and `worktree` when it works in
    /// its own git worktree.
    SubagentStarted {
        call_id: String,
        conversation_id: ConversationId,
        agent: String,
        description: String,
        depth: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worktree: Option<String>,
    },
    /// What a running subagent is doing (display only), e.g. `running bash`.
    SubagentProgress {
        call_id: String,
        conversation_id: ConversationId,
        status: String,
    },
    /// A subagent ended; its tokens count toward this conversation's turn.
    SubagentFinished {
        call_id: String,
        conversation_id: ConversationId,
        status: MessageStatus,
        usage: Usage,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
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
        /// Messages of this conversation the store could not take yet (disk full): kept in
        /// memory and written with the next write. A turn with unsaved messages never reports
        /// `complete`.
        #[serde(default, skip_serializing_if = "is_zero")]
        unsaved: usize,
    },
    /// Answer to `ListConversations`; `total` counts every match, not just this page.
    ConversationList {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
        offset: usize,
        total: usize,
        conversations: Vec<ConversationSummary>,
    },
    /// A conversation was soft-deleted (`deleted: true`) or restored (`false`).
    ConversationDeleted {
        conversation_id: ConversationId,
        deleted: bool,
    },
    /// Answer to `LoadHistory`: stored messages `start..start + messages.len()` of `total`.
    HistoryPage {
        conversation_id: ConversationId,
        start: usize,
        total: usize,
        messages: Vec<HistoryMessage>,
    },
    /// Answer to `LoadPromptHistory`: prompts oldest first.
    PromptHistory {
        prompts: Vec<String>,
    },
    /// Figures for the status line, sent whenever they change.
    SessionStats {
        /// Tokens the next request will carry (the context in use).
        context_tokens: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context_window: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost_usd: Option<f64>,
        /// `docker` or `host`.
        sandbox: String,
        /// Known spend today (all conversations), sent when `[budgets]` sets a limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        today_usd: Option<f64>,
        /// `budgets.daily_usd`, when set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        daily_budget_usd: Option<f64>,
    },
    /// Answer to `Cost`: ledger totals of this conversation, today and this month (local time,
    /// this profile).
    Cost {
        conversation: CostTotals,
        today: CostTotals,
        month: CostTotals,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        daily_budget_usd: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        monthly_budget_usd: Option<f64>,
    },
    /// Answer to `Undo` and `Rewind`: the workspace files put back. `message_id` is the user
    /// message whose turn was undone, or the one rewound to; `rewound_messages` counts the
    /// messages a rewind took off the active branch (0 for undo).
    WorkspaceRestored {
        conversation_id: ConversationId,
        message_id: MessageId,
        #[serde(default, skip_serializing_if = "is_zero")]
        rewound_messages: usize,
        restored: Vec<String>,
        removed: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// Answer to `Fork`: the new conversation (the session now runs it).
    Forked {
        from: ConversationId,
        conversation_id: ConversationId,
    },
    /// An MCP server's state, when a session starts and whenever it changes: `state` is
    /// `starting`, `ready`, `failed` or `disabled`; `tools` the names models see
    /// (`mcp__SERVER__TOOL`); `error` why it failed and what to do.
    McpStatus {
        server: String,
        state: String,
        tools: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A hook ran: `event` is session_start, user_prompt, pre_tool, post_tool or stop;
    /// `outcome` ok, blocked (exit 2 on pre_tool/user_prompt), failed (another code, a signal,
    /// or it could not start) or timed_out (killed); `output` its stderr (capped).
    HookResult {
        event: String,
        command: String,
        outcome: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        #[serde(default)]
        output: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool: Option<String>,
    },
    /// What decides the model now, sent after `SessionConfigured` and `SettingsChanged`:
    /// `model` is the pinned reference (`None`: auto, the router decides) and `pinned_by`
    /// says what pinned it (`pinned by /model`, `pinned by -m`, `pinned by agent NAME`,
    /// `pinned by default_model in config`).
    ModelPinned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pinned_by: Option<String>,
    },
    /// Answer to `ListModels`: aliases first, then every provider's models (references
    /// `provider/model-id`); `errors` names each provider that could not list its models.
    ModelList {
        models: Vec<ModelEntry>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        errors: Vec<String>,
    },
    /// A one-line informational message for the user (e.g. "exported to PATH").
    Notice {
        message: String,
    },
    /// Answer to `ListPermissions`: the approval mode, every rule in force (config, project,
    /// this conversation's "always" answers), what always asks, and warnings about the rules.
    Permissions {
        mode: ApprovalMode,
        rules: Vec<PermissionRule>,
        always_ask: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    },
    /// Before a turn's request: these memories joined its context (quoted as remembered notes).
    /// `note` says when they were found by full text because embeddings were unavailable.
    MemoryRecalled {
        memories: Vec<RecalledMemory>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// A memory recalled into a turn's context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecalledMemory {
    pub id: String,
    pub text: String,
    pub score: f32,
}

/// Counts and cost of a set of model requests (ledger rows). `cost_usd` sums the known costs
/// and is `None` when none is known; requests without a known price are counted apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostTotals {
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Input tokens read from or written to the provider's prompt cache.
    pub cached_input_tokens: u64,
    pub cost_usd: Option<f64>,
    pub unknown_cost_requests: u64,
}

/// One model a front end may offer, as `ModelList` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// What `SetModel` takes: an alias or `provider/model-id`.
    pub reference: String,
    /// `alias of provider/model-id`, or the provider's display name; may be empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One permission rule as `/permissions` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRule {
    /// `allow`, `ask` or `deny`.
    pub kind: String,
    /// `TOOL(PATTERN)` as written.
    pub rule: String,
    /// Where it came from: a file path (with `:line`), or `this conversation (always)`.
    pub source: String,
}

/// `/export` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Markdown,
    Json,
}

/// One stored message as a front end shows it when paging in history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryMessage {
    pub role: Role,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Tool calls an assistant message made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a `tool` message: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default)]
    pub is_error: bool,
    /// For an assistant message: the model that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub status: MessageStatus,
    /// For an assistant message: why the router chose its model, and its request's tokens
    /// (the reply's badge when the conversation is shown again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
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

fn is_zero(n: &usize) -> bool {
    *n == 0
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
                    unsaved: 0,
                },
                r#"{"type":"done","conversation_id":"0190a0b0-0000-7000-8000-000000000000","status":"complete","usage":{"input_tokens":0,"output_tokens":0}}"#,
            ),
        ];
        for (event, want) in cases {
            assert_eq!(serde_json::to_string(&event).unwrap(), want);
        }
    }
}
