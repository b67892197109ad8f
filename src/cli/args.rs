//! The command line (clap). `main.rs` parses it; `cli::dispatch` runs it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "harness", version, about = "A terminal-first AI harness", long_about = None)]
pub struct Cli {
    /// Use this config file instead of the default one.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Act for this profile (default: $HARNESS_PROFILE, else `default`).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Open the most recent conversation.
    #[arg(short = 'c', long = "continue", conflicts_with = "resume")]
    pub continue_last: bool,

    /// Open conversation ID (a unique prefix is enough).
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,

    /// Model: provider/model-id, an alias, or auto.
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Agent to use.
    #[arg(short = 'a', long, value_name = "NAME")]
    pub agent: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one user turn (including its tool loop) without the TUI.
    Run(RunArgs),
    /// Browse, search, export and import conversations.
    #[command(subcommand)]
    History(HistoryCommand),
    /// List the models the configured providers offer (asks them live).
    Models(ModelsArgs),
    /// List the available agents.
    Agents(JsonFlag),
    /// Explain which model the router would choose for a prompt, without calling any model.
    Route(RouteArgs),
    /// Show or check the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check config, store, providers and docker: what works and what to fix.
    Doctor,
    /// Build the sandbox image; show or remove this harness's sandbox containers.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Write a commented config.toml from the providers found in the environment.
    Init(InitArgs),
    Usage(UsageArgs),
    /// Restore the workspace files the last turn of a conversation changed.
    Undo(UndoArgs),
    /// List or prune the turn checkpoints (what each turn changed in the workspace).
    #[command(subcommand)]
    Checkpoints(CheckpointsCommand),
    /// Conversation and workspace back to just before a user message (later messages are
    /// kept as a branch).
    Rewind(RewindArgs),
    /// A new conversation with the history of ID up to a message; prints its id.
    Fork(ForkArgs),
    /// Scheduled jobs: prompts run as headless turns on a schedule, retried with backoff.
    #[command(subcommand)]
    Jobs(super::jobs::JobsCommand),
    /// Serve the HTTP and WebSocket API (README "Server").
    Serve(ServeArgs),
    /// Create, list and revoke the API's bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// What a conversation changed in its workspace, as a unified diff (default: the most
    /// recent conversation).
    Diff(DiffArgs),
    /// Long-term memory of this profile: add, list, search, delete, reindex.
    #[command(subcommand)]
    Memory(super::memory::MemoryCommand),
    /// The profiles that own something, with counts.
    Profiles(JsonFlag),
    /// The MCP servers offered as tools: their state and tools.
    #[command(subcommand)]
    Mcp(McpCommand),
    /// The hooks in force here, and trusting the project's .harness/hooks.toml.
    #[command(subcommand)]
    Hooks(HooksCommand),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Conversation id (a unique prefix is enough).
    pub id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Start every configured server and show its state, the reason of a failure and its tools.
    List(JsonFlag),
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// The hooks in force here (config.toml, then the project's file when trusted).
    List(JsonFlag),
    /// Approve the current content of ./.harness/hooks.toml, so its hooks run (again after
    /// every change).
    Trust,
    /// Withdraw the approval of ./.harness/hooks.toml.
    Untrust,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; default [server] listen, else 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for the profile (--profile NAME); prints it once (only its hash is stored).
    Create {
        /// A note saying what the token is for.
        #[arg(long, value_name = "L")]
        label: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token (a unique prefix of its id is enough).
    Revoke { id: String },
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The conversation (a unique prefix is enough); default: the most recent one.
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
    /// Restore even files changed outside the harness since the turn.
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CheckpointsCommand {
    /// Per turn: the user message id, the files changed with their sizes, the time.
    List {
        /// The conversation (a unique prefix is enough); default: the most recent one.
        id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove checkpoints older than [checkpoints] keep_days now.
    Prune,
}

#[derive(Debug, Args)]
pub struct RewindArgs {
    /// The conversation (a unique prefix is enough).
    pub id: String,
    /// The user message to go back to just before (a unique prefix is enough).
    #[arg(long, value_name = "MESSAGE_ID")]
    pub to: String,
    /// Restore even files changed outside the harness since.
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ForkArgs {
    /// The conversation to fork (a unique prefix is enough).
    pub id: String,
    /// Copy the history before this message (a unique prefix is enough); default: all of it.
    #[arg(long, value_name = "MESSAGE_ID")]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The window: the last N days (7d; today is 1d) or from a date (YYYY-MM-DD). Default 30d.
    #[arg(long, value_name = "7d|YYYY-MM-DD")]
    pub since: Option<String>,
    /// Group by model, provider, agent, day or conversation. Default model.
    #[arg(long, value_name = "KEY")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Write without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Replace an existing config file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApproveArg {
    Ask,
    Auto,
    Deny,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Model: provider/model-id, an alias, or auto.
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Agent to use.
    #[arg(short = 'a', long, value_name = "NAME")]
    pub agent: Option<String>,
    /// Continue the most recent conversation.
    #[arg(short = 'c', long = "continue", conflicts_with = "conversation")]
    pub continue_last: bool,
    /// Continue conversation ID (a unique prefix is enough).
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
    /// Print JSON Lines events instead of plain text.
    #[arg(long)]
    pub json: bool,
    /// Tool approval: ask (headless: deny with a message), auto, deny.
    #[arg(long, value_enum, value_name = "MODE")]
    pub approve: Option<ApproveArg>,
    /// Work in a new git worktree on branch `harness/<id-prefix>` (kept for you to merge).
    #[arg(long, conflicts_with_all = ["continue_last", "conversation"])]
    pub worktree: bool,
    /// The prompt; "-" reads it from stdin.
    #[arg(required = true, num_args = 1.., value_name = "PROMPT")]
    pub prompt: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// List conversations, most recently updated first.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// Only conversations whose title or messages contain TEXT.
        #[arg(long, value_name = "TEXT")]
        query: Option<String>,
        /// Only conversations of this agent.
        #[arg(long, value_name = "A")]
        agent: Option<String>,
        /// List deleted conversations instead.
        #[arg(long)]
        deleted: bool,
        /// List subagent conversations (children of a `task` call) with their parent instead.
        #[arg(long, conflicts_with_all = ["deleted", "query", "agent"])]
        children: bool,
    },
    /// Show one conversation.
    Show {
        id: String,
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        #[arg(long)]
        markdown: bool,
    },
    /// Full-text search over all messages.
    Search {
        text: String,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Soft-delete a conversation (recoverable with restore).
    Delete { id: String },
    /// Undo a delete.
    Restore { id: String },
    /// Export a conversation to stdout.
    Export {
        id: String,
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
    /// Import a file written by `export --format json`.
    Import { file: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Only this provider (a key of [providers]).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RouteArgs {
    #[arg(long)]
    pub json: bool,
    /// Agent to route for.
    #[arg(short = 'a', long, value_name = "NAME")]
    pub agent: Option<String>,
    #[arg(required = true, num_args = 1.., value_name = "PROMPT")]
    pub prompt: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file path.
    Path,
    /// Print the effective configuration (secrets as ***).
    Show,
    /// Validate the configuration and report problems.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// List this harness's containers.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove this harness's containers whose owner process is gone (--all: every one).
    Prune {
        #[arg(long)]
        all: bool,
    },
    /// Build the default sandbox image from the Dockerfile shipped in the binary.
    Build {
        /// Base image (a Debian-based image on this machine); default debian:bookworm-slim.
        #[arg(long, value_name = "IMAGE")]
        base: Option<String>,
        /// Tag of the new image; default the tag [sandbox] image defaults to.
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
    },
}
