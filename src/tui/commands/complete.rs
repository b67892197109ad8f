//! Completion for the composer: command names (built-in, then custom) while the first word is
//! typed, then the known values of a command's argument (models, agents, themes, export
//! formats). Prefix matches first, then substring matches.

use super::{CommandContext, SlashCommand};

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
            let builtins = SlashCommand::specs().map(|c| {
                let replacement = if c.args.is_empty() {
                    format!("/{}", c.name)
                } else {
                    format!("/{} ", c.name)
                };
                (
                    c.name.to_string(),
                    Candidate {
                        replacement,
                        label: c.usage(),
                        description: c.description.to_string(),
                    },
                )
            });
            let custom = ctx.custom.iter().map(|c| {
                let takes_args = c.front.argument_hint.is_some() || c.body.contains("$ARGUMENTS");
                let replacement = if takes_args {
                    format!("/{} ", c.name)
                } else {
                    format!("/{}", c.name)
                };
                (
                    c.name.clone(),
                    Candidate {
                        replacement,
                        label: c.usage(),
                        description: c.listed_description(),
                    },
                )
            });
            filter(rest, builtins.chain(custom))
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
