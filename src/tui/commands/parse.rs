//! Parsing a typed line into a [`SlashCommand`]: arguments validated against the known models,
//! agents and themes, and a "did you mean" for a mistyped name.

use super::{ModelChoice, ResumeTarget, SlashCommand};
use crate::message::ConversationId;
use crate::protocol::ExportFormat;

/// What arguments are valid: the names the user can pick from.
#[derive(Debug, Clone, Default)]
pub struct CommandContext {
    /// Model references and aliases.
    pub models: Vec<String>,
    pub agents: Vec<String>,
    pub themes: Vec<String>,
    /// The custom commands (`.harness/commands/*.md`, `commands/*.md` under the harness home).
    pub custom: std::sync::Arc<Vec<super::custom::CustomCommand>>,
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
            let names: Vec<String> = SlashCommand::specs()
                .map(|c| c.name.to_string())
                .chain(ctx.custom.iter().map(|c| c.name.clone()))
                .collect();
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
