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

/// What arguments are valid: the names the user can pick from.
#[derive(Debug, Clone, Default)]
pub struct CommandContext {
    /// Model references and aliases.
    pub models: Vec<String>,
    pub agents: Vec<String>,
    pub themes: Vec<String>,
}

/// A line that is not a valid command. `Display` is the inline error shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CommandError(pub String);

/// Whether `text` is meant as a slash command (a leading `/` not followed by another `/` or a
/// space: `/usr/bin is...` and `// comment` are ordinary prompts).
pub fn is_command(text: &str) -> bool {
    let t = text.trim_start();
    let Some(rest) = t.strip_prefix('/') else {
        return false;
    };
    let word: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
    !word.is_empty() && !word.contains('/')
}

/// Parse a line starting with `/`: the command named by the first word (or an alias), then its
/// arguments.
pub fn parse(text: &str, ctx: &CommandContext) -> Result<SlashCommand, CommandError> {
    let text = text.trim();
    let rest = text.strip_prefix('/').unwrap_or(text);
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (rest, ""),
    };
    match SlashCommand::named(name) {
        Some(command) => command.with_args(name, args, ctx),
        None => {
            let names: Vec<String> = SlashCommand::specs().map(|c| c.name.to_string()).collect();
            let hint = did_you_mean(name, &names);
            let hint = if hint.is_empty() {
                ": /help lists the commands".to_string()
            } else {
                hint
            };
            Err(CommandError(format!("unknown command /{name}{hint}")))
        }
    }
}

impl SlashCommand {
    /// This command with `args` (typed after `/name`) parsed and checked.
    fn with_args(
        &self,
        name: &str,
        args: &str,
        ctx: &CommandContext,
    ) -> Result<SlashCommand, CommandError> {
        let optional = |parse: &dyn Fn(&str) -> Result<SlashCommand, CommandError>| {
            if args.is_empty() {
                Ok(self.clone())
            } else {
                parse(args)
            }
        };
        match self {
            Self::Model(_) => optional(&|a| parse_model(a, ctx)),
            Self::Agent(_) => optional(&|a| parse_agent(a, ctx)),
            Self::Resume(_) => optional(&parse_resume),
            Self::Title(_) => parse_title(args),
            Self::Export { .. } => Ok(parse_export(args)),
            Self::Memory(_) => Ok(Self::Memory(
                Some(args.to_string()).filter(|a| !a.is_empty()),
            )),
            Self::Remember(_) if args.is_empty() => Err(CommandError(
                "/remember needs the text to save: /remember TEXT".into(),
            )),
            Self::Remember(_) => Ok(Self::Remember(args.to_string())),
            Self::Copy(_) => optional(&parse_copy),
            Self::Undo { .. } | Self::Rewind { .. } | Self::Fork(_) => {
                checkpoint_command(self.spec().name, args)
            }
            Self::Theme(_) => optional(&|a| parse_theme(a, ctx)),
            Self::SandboxBuild => match args {
                "build" => Ok(Self::SandboxBuild),
                _ => Err(CommandError(
                    "use /sandbox build to build the default sandbox image".to_string(),
                )),
            },
            Self::Help
            | Self::History
            | Self::New
            | Self::Compact
            | Self::Tools
            | Self::Permissions
            | Self::Mcp
            | Self::Status
            | Self::Diff
            | Self::Cost
            | Self::Jobs
            | Self::Quit => {
                if args.is_empty() {
                    Ok(self.clone())
                } else {
                    Err(CommandError(format!("/{name} takes no arguments")))
                }
            }
        }
    }
}

/// `/undo [--force]`, `/rewind [MESSAGE_ID] [--force]`, `/fork [MESSAGE_ID]`.
fn checkpoint_command(name: &str, args: &str) -> Result<SlashCommand, CommandError> {
    let mut force = false;
    let mut id = None;
    for word in args.split_whitespace() {
        match word {
            "--force" | "-f" if name != "fork" => force = true,
            _ if id.is_none() && name != "undo" => {
                id = Some(word.parse().map_err(|_| {
                    CommandError(format!(
                        "`{word}` is not a message id: give a full id (harness checkpoints list shows them)"
                    ))
                })?);
            }
            _ => return Err(CommandError(format!("/{name}: unexpected `{word}`"))),
        }
    }
    Ok(match name {
        "undo" => SlashCommand::Undo { force },
        "rewind" => SlashCommand::Rewind { to: id, force },
        _ => SlashCommand::Fork(id),
    })
}

fn parse_model(args: &str, ctx: &CommandContext) -> Result<SlashCommand, CommandError> {
    if args == "auto" {
        return Ok(SlashCommand::Model(Some(ModelChoice::Auto)));
    }
    if ctx.models.iter().any(|m| m == args) || crate::message::ModelRef::parse(args).is_some() {
        return Ok(SlashCommand::Model(Some(ModelChoice::Ref(
            args.to_string(),
        ))));
    }
    let mut known = ctx.models.clone();
    known.push("auto".into());
    Err(CommandError(format!(
        "unknown model `{args}`{}: use provider/model-id, an alias, or auto (/model opens a picker)",
        did_you_mean(args, &known)
    )))
}

fn parse_agent(args: &str, ctx: &CommandContext) -> Result<SlashCommand, CommandError> {
    if ctx.agents.is_empty() || ctx.agents.iter().any(|a| a == args) {
        return Ok(SlashCommand::Agent(Some(args.to_string())));
    }
    Err(CommandError(format!(
        "unknown agent `{args}`{}: /agent lists the agents",
        did_you_mean(args, &ctx.agents)
    )))
}

fn parse_resume(args: &str) -> Result<SlashCommand, CommandError> {
    if let Ok(id) = args.parse::<ConversationId>() {
        return Ok(SlashCommand::Resume(Some(ResumeTarget::Id(id))));
    }
    let prefix = args.to_ascii_lowercase();
    if prefix.len() >= 4 && prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Ok(SlashCommand::Resume(Some(ResumeTarget::Prefix(prefix))));
    }
    Err(CommandError(format!(
        "`{args}` is not a conversation id: give an id or a unique prefix of one (at least 4 characters), or /resume alone to pick one"
    )))
}

fn parse_title(args: &str) -> Result<SlashCommand, CommandError> {
    if args.is_empty() {
        Err(CommandError(
            "/title needs the new title: /title TEXT".into(),
        ))
    } else {
        Ok(SlashCommand::Title(args.to_string()))
    }
}

fn parse_export(args: &str) -> SlashCommand {
    let mut words = args.splitn(2, char::is_whitespace);
    let first = words.next().unwrap_or("");
    let (format, path) = match first {
        "" => (ExportFormat::Markdown, None),
        "markdown" | "md" => (ExportFormat::Markdown, words.next()),
        "json" => (ExportFormat::Json, words.next()),
        _ => (ExportFormat::Markdown, Some(args)),
    };
    SlashCommand::Export {
        format,
        path: path.map(|p| p.trim().to_string()).filter(|p| !p.is_empty()),
    }
}

fn parse_copy(args: &str) -> Result<SlashCommand, CommandError> {
    match args.parse::<usize>() {
        Ok(n) if n > 0 => Ok(SlashCommand::Copy(Some(n))),
        _ => Err(CommandError(format!(
            "`{args}` is not a code block number: use /copy for the whole reply or /copy N (1 = first block)"
        ))),
    }
}

fn parse_theme(args: &str, ctx: &CommandContext) -> Result<SlashCommand, CommandError> {
    if ctx.themes.iter().any(|t| t == args) {
        return Ok(SlashCommand::Theme(Some(args.to_string())));
    }
    Err(CommandError(format!(
        "unknown theme `{args}`{}: available: {}",
        did_you_mean(args, &ctx.themes),
        ctx.themes.join(", ")
    )))
}

/// `" (did you mean `x`?)"` for the closest known name, or empty.
fn did_you_mean(word: &str, known: &[String]) -> String {
    let best = known
        .iter()
        .map(|k| {
            let d = if k.starts_with(word) || word.starts_with(k.as_str()) {
                0
            } else {
                edit_distance(word, k)
            };
            (d, k)
        })
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= 2.max(word.chars().count() / 3) => {
            format!(" (did you mean `{k}`?)")
        }
        _ => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Widest `/help` line: it fits an 80-column terminal with the transcript's margins.
pub const HELP_WIDTH: usize = 76;

/// The `/help` text, no line wider than [`HELP_WIDTH`].
pub fn help_text() -> String {
    let mut out = String::from("Commands:\n");
    for c in SlashCommand::specs() {
        out.push_str(&help_row(&c.usage(), c.description));
    }
    out.push_str("Keys:\n");
    let keys = [
        ("Enter", "send"),
        ("Shift+Enter, Alt+Enter, Ctrl+J", "new line"),
        ("Up / Down", "earlier prompts"),
        ("Ctrl+R", "search prompts (Esc: back to the draft)"),
        ("Ctrl+U", "clear the line"),
        ("Ctrl+X", "edit in $EDITOR"),
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
pub use complete::{Candidate, complete};

#[cfg(test)]
mod tests;
