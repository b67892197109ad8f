//! Slash commands: the table of commands with their one-line descriptions, parsing of a typed
//! line into a [`SlashCommand`] (validating arguments against the known models, agents and
//! themes), suggestions for typos, and completion candidates for the popup and Tab.

use crate::message::ConversationId;
use crate::protocol::{ApprovalMode, ExportFormat, PermissionRule};

/// One command as listed in the popup and `/help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    pub name: &'static str,
    pub args: &'static str,
    pub description: &'static str,
}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "help",
        args: "",
        description: "show commands and keys",
    },
    CommandSpec {
        name: "model",
        args: "[ref|auto]",
        description: "pin a model, or auto to let the router choose",
    },
    CommandSpec {
        name: "agent",
        args: "[name]",
        description: "switch agent",
    },
    CommandSpec {
        name: "history",
        args: "",
        description: "browse, search, open and delete conversations",
    },
    CommandSpec {
        name: "new",
        args: "",
        description: "start a new conversation",
    },
    CommandSpec {
        name: "resume",
        args: "[id]",
        description: "continue an earlier conversation",
    },
    CommandSpec {
        name: "title",
        args: "TEXT",
        description: "rename this conversation",
    },
    CommandSpec {
        name: "compact",
        args: "",
        description: "summarise older messages to free context",
    },
    CommandSpec {
        name: "tools",
        args: "",
        description: "list the tools this agent may use",
    },
    CommandSpec {
        name: "permissions",
        args: "",
        description: "show the permission rules in force and where each came from",
    },
    CommandSpec {
        name: "status",
        args: "",
        description: "show model, agent, context, tokens and cost",
    },
    CommandSpec {
        name: "cost",
        args: "",
        description: "spend of this conversation, today and this month",
    },
    CommandSpec {
        name: "export",
        args: "[markdown|json] [PATH]",
        description: "write this conversation to a file",
    },
    CommandSpec {
        name: "undo",
        args: "[--force]",
        description: "restore the files the last turn changed",
    },
    CommandSpec {
        name: "rewind",
        args: "[MESSAGE_ID] [--force]",
        description: "conversation and files back to before a message (default: your last)",
    },
    CommandSpec {
        name: "fork",
        args: "[MESSAGE_ID]",
        description: "continue in a copy of this conversation (up to a message)",
    },
    CommandSpec {
        name: "copy",
        args: "[N]",
        description: "copy the last reply (or its code block N) to the clipboard",
    },
    CommandSpec {
        name: "theme",
        args: "[name]",
        description: "switch colour theme",
    },
    CommandSpec {
        name: "sandbox",
        args: "build",
        description: "build the default sandbox image (when it is missing)",
    },
    CommandSpec {
        name: "quit",
        args: "",
        description: "leave (prints the id to resume)",
    },
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    Auto,
    Ref(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlashCommand {
    Help,
    /// `None`: open the picker.
    Model(Option<ModelChoice>),
    Agent(Option<String>),
    History,
    New,
    Resume(Option<ConversationId>),
    Title(String),
    Compact,
    Tools,
    Permissions,
    Status,
    Cost,
    Export {
        format: ExportFormat,
        path: Option<String>,
    },
    Copy(Option<usize>),
    Undo {
        force: bool,
    },
    Rewind {
        to: Option<crate::message::MessageId>,
        force: bool,
    },
    Fork(Option<crate::message::MessageId>),
    Theme(Option<String>),
    /// `/sandbox build`: build the default sandbox image.
    SandboxBuild,
    Quit,
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

/// Parse a line starting with `/`.
pub fn parse(text: &str, ctx: &CommandContext) -> Result<SlashCommand, CommandError> {
    let text = text.trim();
    let rest = text.strip_prefix('/').unwrap_or(text);
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (rest, ""),
    };
    let no_args = |cmd: SlashCommand| {
        if args.is_empty() {
            Ok(cmd)
        } else {
            Err(CommandError(format!("/{name} takes no arguments")))
        }
    };
    match name {
        "help" | "?" => no_args(SlashCommand::Help),
        "model" => {
            if args.is_empty() {
                return Ok(SlashCommand::Model(None));
            }
            if args == "auto" {
                return Ok(SlashCommand::Model(Some(ModelChoice::Auto)));
            }
            if ctx.models.iter().any(|m| m == args)
                || crate::message::ModelRef::parse(args).is_some()
            {
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
        "agent" => {
            if args.is_empty() {
                return Ok(SlashCommand::Agent(None));
            }
            if ctx.agents.is_empty() || ctx.agents.iter().any(|a| a == args) {
                return Ok(SlashCommand::Agent(Some(args.to_string())));
            }
            Err(CommandError(format!(
                "unknown agent `{args}`{}: /agent lists the agents",
                did_you_mean(args, &ctx.agents)
            )))
        }
        "history" => no_args(SlashCommand::History),
        "new" => no_args(SlashCommand::New),
        "resume" => {
            if args.is_empty() {
                return Ok(SlashCommand::Resume(None));
            }
            args.parse::<ConversationId>()
                .map(|id| SlashCommand::Resume(Some(id)))
                .map_err(|_| {
                    CommandError(format!(
                        "`{args}` is not a conversation id: use /resume without an argument to pick one"
                    ))
                })
        }
        "title" => {
            if args.is_empty() {
                Err(CommandError(
                    "/title needs the new title: /title TEXT".into(),
                ))
            } else {
                Ok(SlashCommand::Title(args.to_string()))
            }
        }
        "compact" => no_args(SlashCommand::Compact),
        "tools" => no_args(SlashCommand::Tools),
        "permissions" => no_args(SlashCommand::Permissions),
        "status" => no_args(SlashCommand::Status),
        "cost" => no_args(SlashCommand::Cost),
        "export" => {
            let mut words = args.splitn(2, char::is_whitespace);
            let first = words.next().unwrap_or("");
            let (format, path) = match first {
                "" => (ExportFormat::Markdown, None),
                "markdown" | "md" => (ExportFormat::Markdown, words.next()),
                "json" => (ExportFormat::Json, words.next()),
                _ => (ExportFormat::Markdown, Some(args)),
            };
            Ok(SlashCommand::Export {
                format,
                path: path.map(|p| p.trim().to_string()).filter(|p| !p.is_empty()),
            })
        }
        "undo" | "rewind" | "fork" => checkpoint_command(name, args),
        "copy" => {
            if args.is_empty() {
                return Ok(SlashCommand::Copy(None));
            }
            match args.parse::<usize>() {
                Ok(n) if n > 0 => Ok(SlashCommand::Copy(Some(n))),
                _ => Err(CommandError(format!(
                    "`{args}` is not a code block number: use /copy for the whole reply or /copy N (1 = first block)"
                ))),
            }
        }
        "theme" => {
            if args.is_empty() {
                return Ok(SlashCommand::Theme(None));
            }
            if ctx.themes.iter().any(|t| t == args) {
                return Ok(SlashCommand::Theme(Some(args.to_string())));
            }
            Err(CommandError(format!(
                "unknown theme `{args}`{}: available: {}",
                did_you_mean(args, &ctx.themes),
                ctx.themes.join(", ")
            )))
        }
        "sandbox" => match args {
            "build" => Ok(SlashCommand::SandboxBuild),
            _ => Err(CommandError(
                "use /sandbox build to build the default sandbox image".to_string(),
            )),
        },
        "quit" | "exit" | "q" => no_args(SlashCommand::Quit),
        other => {
            let names: Vec<String> = COMMANDS.iter().map(|c| c.name.to_string()).collect();
            let hint = did_you_mean(other, &names);
            let hint = if hint.is_empty() {
                ": /help lists the commands".to_string()
            } else {
                hint
            };
            Err(CommandError(format!("unknown command /{other}{hint}")))
        }
    }
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

/// One entry of the completion popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The whole composer text after choosing this entry.
    pub replacement: String,
    pub label: String,
    pub description: String,
}

/// Completion candidates for the composer text (empty when the text is not a command being
/// typed). Prefix matches come first, then substring matches.
pub fn complete(text: &str, ctx: &CommandContext) -> Vec<Candidate> {
    if text.contains('\n') || !text.starts_with('/') {
        return Vec::new();
    }
    let rest = &text[1..];
    match rest.split_once(' ') {
        None => {
            let items = COMMANDS.iter().map(|c| {
                let label = if c.args.is_empty() {
                    format!("/{}", c.name)
                } else {
                    format!("/{} {}", c.name, c.args)
                };
                let replacement = if c.args.is_empty() {
                    format!("/{}", c.name)
                } else {
                    format!("/{} ", c.name)
                };
                (
                    c.name.to_string(),
                    Candidate {
                        replacement,
                        label,
                        description: c.description.to_string(),
                    },
                )
            });
            filter(rest, items)
        }
        Some((name, partial)) if !partial.contains(' ') => {
            let options: Vec<(String, &str)> = match name {
                "model" => std::iter::once(("auto".to_string(), "let the router choose"))
                    .chain(ctx.models.iter().map(|m| (m.clone(), "")))
                    .collect(),
                "agent" => ctx.agents.iter().map(|a| (a.clone(), "")).collect(),
                "theme" => ctx.themes.iter().map(|t| (t.clone(), "")).collect(),
                "export" => vec![("markdown".into(), ""), ("json".into(), "")],
                _ => return Vec::new(),
            };
            let items = options.into_iter().map(|(value, desc)| {
                (
                    value.clone(),
                    Candidate {
                        replacement: format!("/{name} {value}"),
                        label: value,
                        description: desc.to_string(),
                    },
                )
            });
            filter(partial, items)
        }
        Some(_) => Vec::new(),
    }
}

fn filter(typed: &str, items: impl Iterator<Item = (String, Candidate)>) -> Vec<Candidate> {
    let typed = typed.to_lowercase();
    let mut prefix = Vec::new();
    let mut inner = Vec::new();
    for (key, cand) in items {
        let key = key.to_lowercase();
        if key.starts_with(&typed) {
            prefix.push(cand);
        } else if key.contains(&typed) {
            inner.push(cand);
        }
    }
    prefix.extend(inner);
    prefix
}

/// The `/help` text.
pub fn help_text() -> String {
    let mut out = String::from("Commands:\n");
    for c in COMMANDS {
        let usage = if c.args.is_empty() {
            format!("/{}", c.name)
        } else {
            format!("/{} {}", c.name, c.args)
        };
        out.push_str(&format!("  {usage:<32} {}\n", c.description));
    }
    out.push_str(
        "Keys:\n  Enter send · Shift+Enter/Alt+Enter/Ctrl+J newline · Up/Down earlier prompts · Ctrl+R search prompts\n  Ctrl+X edit in $EDITOR · Esc interrupt · Ctrl+C interrupt/clear/quit · Ctrl+D quit on empty draft\n  PgUp/PgDn/Ctrl+Home/Ctrl+End scroll · Ctrl+Z suspend\nApproval (takes keys once shown for a moment with no typing; earlier keys go to the draft):\n  y once · a always this exact command/file · p always the offered prefix (cmd:*) · n deny, with a reason · Esc interrupt the turn",
    );
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

#[cfg(test)]
mod tests;
