//! Slash commands: the [`SlashCommand`] enum, which is the only list of commands (each variant's
//! name, aliases, argument hint and help come from [`SlashCommand::spec`]), parsing of a typed
//! line into one (validating arguments against the known models, agents and themes),
//! suggestions for typos, completion candidates for the popup and Tab, and the `/help` text.

use crate::message::ConversationId;
use crate::protocol::{ApprovalMode, ExportFormat, PermissionRule};

/// How a command is listed in the popup and `/help` and recognised by the parser. Every
/// [`SlashCommand`] variant has one ([`SlashCommand::spec`]); nothing else lists commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    pub name: &'static str,
    /// Other names the parser accepts (not listed in the popup).
    pub aliases: &'static [&'static str],
    /// The argument hint (`[ref|auto]`, `TEXT`); empty for none.
    pub args: &'static str,
    /// One line of help.
    pub description: &'static str,
}

impl CommandSpec {
    /// `/name` or `/name ARGS`, as the popup and `/help` show it.
    pub fn usage(&self) -> String {
        if self.args.is_empty() {
            format!("/{}", self.name)
        } else {
            format!("/{} {}", self.name, self.args)
        }
    }

    /// Whether `word` (after the `/`) names this command.
    pub fn matches(&self, word: &str) -> bool {
        self.name == word || self.aliases.contains(&word)
    }
}

/// What `/resume` names: a whole id, or a unique prefix of one (as `--resume` takes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeTarget {
    Id(ConversationId),
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    Auto,
    Ref(String),
}

/// A parsed slash command. The enum is the single list of commands: [`SlashCommand::all`] holds
/// one value of each variant (in popup order) and [`SlashCommand::spec`] its name, aliases,
/// argument hint and help; the parser, the completion popup and `/help` all read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlashCommand {
    Help,
    /// `None`: open the picker.
    Model(Option<ModelChoice>),
    Agent(Option<String>),
    History,
    New,
    Resume(Option<ResumeTarget>),
    Title(String),
    Compact,
    Tools,
    Permissions,
    /// `/mcp`: the MCP servers, their state and tools.
    Mcp,
    Status,
    Cost,
    Export {
        format: ExportFormat,
        path: Option<String>,
    },
    Undo {
        force: bool,
    },
    Rewind {
        to: Option<crate::message::MessageId>,
        force: bool,
    },
    Fork(Option<crate::message::MessageId>),
    /// What this conversation changed in its workspace.
    Diff,
    Jobs,
    Copy(Option<usize>),
    Theme(Option<String>),
    /// `/sandbox build`: build the default sandbox image.
    SandboxBuild,
    /// `/memory [query]`: the best matching memories, or the newest.
    Memory(Option<String>),
    /// `/remember TEXT`: save TEXT to long-term memory.
    Remember(String),
    Quit,
}

/// One value of every variant, in the order the popup and `/help` list them. A new variant
/// does not compile until [`SlashCommand::spec`] describes it; list it here too (the tests
/// parse every entry from its name and compare the variants with `spec`'s).
static ALL: [SlashCommand; 25] = [
    SlashCommand::Help,
    SlashCommand::Model(None),
    SlashCommand::Agent(None),
    SlashCommand::History,
    SlashCommand::New,
    SlashCommand::Resume(None),
    SlashCommand::Title(String::new()),
    SlashCommand::Compact,
    SlashCommand::Tools,
    SlashCommand::Permissions,
    SlashCommand::Mcp,
    SlashCommand::Status,
    SlashCommand::Cost,
    SlashCommand::Export {
        format: ExportFormat::Markdown,
        path: None,
    },
    SlashCommand::Undo { force: false },
    SlashCommand::Rewind {
        to: None,
        force: false,
    },
    SlashCommand::Fork(None),
    SlashCommand::Diff,
    SlashCommand::Jobs,
    SlashCommand::Copy(None),
    SlashCommand::Theme(None),
    SlashCommand::SandboxBuild,
    SlashCommand::Memory(None),
    SlashCommand::Remember(String::new()),
    SlashCommand::Quit,
];

impl SlashCommand {
    /// Every command, one value per variant, in listing order.
    pub fn all() -> &'static [SlashCommand] {
        &ALL
    }

    /// The specs of every command, in listing order.
    pub fn specs() -> impl Iterator<Item = CommandSpec> {
        ALL.iter().map(SlashCommand::spec)
    }

    /// The command a typed name (or alias) stands for, with no arguments yet.
    pub fn named(word: &str) -> Option<&'static SlashCommand> {
        ALL.iter().find(|c| c.spec().matches(word))
    }

    /// Whether the core refuses this command while a turn runs (it changes the conversation
    /// the turn is writing to): the TUI says so at once instead of sending it.
    pub fn waits_for_the_turn(&self) -> bool {
        matches!(
            self,
            Self::New
                | Self::Resume(Some(_))
                | Self::Compact
                | Self::Undo { .. }
                | Self::Rewind { .. }
                | Self::Fork(_)
        )
    }

    /// Name, aliases, argument hint and help of this command (whatever its arguments).
    pub const fn spec(&self) -> CommandSpec {
        const fn spec(
            name: &'static str,
            aliases: &'static [&'static str],
            args: &'static str,
            description: &'static str,
        ) -> CommandSpec {
            CommandSpec {
                name,
                aliases,
                args,
                description,
            }
        }
        match self {
            Self::Help => spec("help", &["?"], "", "show commands and keys"),
            Self::Model(_) => spec(
                "model",
                &[],
                "[ref|auto]",
                "pin a model, or auto to let the router choose",
            ),
            Self::Agent(_) => spec("agent", &[], "[name]", "switch agent"),
            Self::History => spec(
                "history",
                &[],
                "",
                "browse, search, open and delete conversations",
            ),
            Self::New => spec("new", &[], "", "start a new conversation"),
            Self::Resume(_) => spec(
                "resume",
                &[],
                "[id]",
                "continue an earlier conversation (a unique id prefix is enough)",
            ),
            Self::Title(_) => spec("title", &[], "TEXT", "rename this conversation"),
            Self::Compact => spec(
                "compact",
                &[],
                "",
                "summarise older messages to free context",
            ),
            Self::Tools => spec("tools", &[], "", "list the tools this agent may use"),
            Self::Permissions => spec(
                "permissions",
                &[],
                "",
                "show the permission rules in force and where each came from",
            ),
            Self::Mcp => spec(
                "mcp",
                &[],
                "",
                "show the MCP servers, their state and tools",
            ),
            Self::Status => spec(
                "status",
                &[],
                "",
                "show model, agent, context, tokens and cost",
            ),
            Self::Cost => spec(
                "cost",
                &[],
                "",
                "spend of this conversation, today and this month",
            ),
            Self::Export { .. } => spec(
                "export",
                &[],
                "[markdown|json] [PATH]",
                "write this conversation to a file",
            ),
            Self::Undo { .. } => spec(
                "undo",
                &[],
                "[--force]",
                "restore the files the last turn changed",
            ),
            Self::Rewind { .. } => spec(
                "rewind",
                &[],
                "[MESSAGE_ID] [--force]",
                "conversation and files back to before a message (default: your last)",
            ),
            Self::Fork(_) => spec(
                "fork",
                &[],
                "[MESSAGE_ID]",
                "continue in a copy of this conversation (up to a message)",
            ),
            Self::Diff => spec(
                "diff",
                &[],
                "",
                "what this conversation changed in its workspace (unified diff)",
            ),
            Self::Jobs => spec(
                "jobs",
                &[],
                "",
                "scheduled jobs: next run, last status and its conversation",
            ),
            Self::Copy(_) => spec(
                "copy",
                &[],
                "[N]",
                "copy the last reply (or its code block N) to the clipboard",
            ),
            Self::Theme(_) => spec("theme", &[], "[name]", "switch colour theme"),
            Self::SandboxBuild => spec(
                "sandbox",
                &[],
                "build",
                "build the default sandbox image (when it is missing)",
            ),
            Self::Memory(_) => spec(
                "memory",
                &[],
                "[query]",
                "search long-term memory (newest without a query)",
            ),
            Self::Remember(_) => spec("remember", &[], "TEXT", "save TEXT to long-term memory"),
            Self::Quit => spec(
                "quit",
                &["exit", "q"],
                "",
                "leave (prints the id to resume)",
            ),
        }
    }
}

/// Widest `/help` line: it fits an 80-column terminal with the transcript's margins.
pub const HELP_WIDTH: usize = 76;

/// The `/help` text, no line wider than [`HELP_WIDTH`]: the built-in commands, then the
/// custom ones (with the warnings about files not used), then the keys.
pub fn help_text(custom: &custom::CustomCommands) -> String {
    let mut out = String::from("Commands:\n");
    for c in SlashCommand::specs() {
        out.push_str(&help_row(&c.usage(), c.description));
    }
    if !custom.commands().is_empty() || !custom.warnings().is_empty() {
        out.push_str("Custom commands (.harness/commands/*.md, then your commands/*.md):\n");
    }
    for c in custom.commands().iter() {
        out.push_str(&help_row(&c.usage(), &c.listed_description()));
    }
    for w in custom.warnings() {
        out.push_str(&help_row("warning:", w));
    }
    out.push_str("Keys:\n");
    let keys = [
        ("Enter", "send"),
        ("Shift+Enter, Alt+Enter, Ctrl+J", "new line"),
        ("Up / Down", "earlier prompts"),
        ("Ctrl+R", "search prompts (Esc: back to the draft)"),
        ("Ctrl+U", "clear the line"),
        (
            "@ (at a word start)",
            "attach a file: finder, Tab/Enter inserts",
        ),
        ("Ctrl+X", "edit in $EDITOR"),
        (
            "Ctrl+O",
            "a tool call's whole output (Left/Right: other calls)",
        ),
        ("Esc", "interrupt"),
        ("Ctrl+C", "interrupt / clear / quit"),
        ("Ctrl+D", "quit on an empty draft"),
        ("PgUp/PgDn, Ctrl+Home/End", "scroll (fullscreen)"),
        ("Ctrl+Z", "suspend"),
    ];
    for (key, what) in keys {
        out.push_str(&help_row(key, what));
    }
    out.push_str("Approval (takes keys once shown for a moment with no typing):\n");
    let approval = [
        ("y", "once"),
        ("a", "always this exact command or file"),
        ("p", "always the offered prefix (cmd:*)"),
        ("n", "deny, with a reason"),
        ("Esc", "interrupt the turn"),
    ];
    for (key, what) in approval {
        out.push_str(&help_row(key, what));
    }
    out.trim_end().to_string()
}

/// `  NAME  description`, the description wrapped under itself.
fn help_row(name: &str, description: &str) -> String {
    const NAME: usize = 30;
    let indent = " ".repeat(NAME + 3);
    let mut out = format!("  {name:<NAME$} ");
    if name.chars().count() > NAME {
        out.push('\n');
        out.push_str(&indent);
    }
    let mut col = NAME + 3;
    for (i, word) in description.split(' ').enumerate() {
        let w = word.chars().count();
        if i > 0 && col + 1 + w > HELP_WIDTH {
            out.push('\n');
            out.push_str(&indent);
            col = NAME + 3;
        } else if i > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
    }
    out.push('\n');
    out
}

/// The answer to `/permissions`, as the text of an info cell.
pub fn permissions_text(
    mode: ApprovalMode,
    rules: &[PermissionRule],
    always_ask: &[String],
    warnings: &[String],
) -> String {
    let mode = match mode {
        ApprovalMode::Ask => "ask",
        ApprovalMode::Auto => "auto",
        ApprovalMode::Deny => "deny",
    };
    let mut out = format!("Permissions (approval mode {mode} for calls no rule matches):\n");
    if rules.is_empty() {
        out.push_str("  no rules: add [permissions] allow/ask/deny to config.toml\n");
    }
    for r in rules {
        out.push_str(&format!("  {:<5} {}  — {}\n", r.kind, r.rule, r.source));
    }
    out.push_str("Always ask, whatever the rules and mode:\n");
    for a in always_ask {
        out.push_str(&format!("  {a}\n"));
    }
    for w in warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.trim_end().to_string()
}

mod complete;
pub mod custom;
mod parse;
pub use complete::{Candidate, complete};
pub use parse::{CommandContext, CommandError, is_command, parse};

#[cfg(test)]
mod tests;
