//! The decision for one tool call, as a pure function of the call, the rules in force, where
//! the protected places are and the approval mode. Order: a matching `deny` rule refuses; a
//! protected place (credentials; `.git/`, `.harness/` for writes) asks; a matching `ask` rule
//! asks; `allow` rules run the call when they cover all of it (every part of a compound
//! command); anything else follows the approval mode (tools that change nothing run). A bash
//! command the parser cannot read is never allowed by a rule and, whatever the mode, asks.

use super::paths::{Locations, Protected};
use super::rules::{Pattern, Rule, RuleKind};
use super::shell::{self, Analysis};
use crate::protocol::ApprovalMode;
use serde_json::Value;

/// What to do with the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Ask,
    Deny,
}

/// Why.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// A rule matched (its display: `deny bash(rm -rf:*) (config.toml)`).
    Rule(String),
    Protected(Protected),
    /// The bash command could not be parsed (the parser's message).
    Unparsed(String),
    /// No rule matched: the approval mode decides.
    Mode(ApprovalMode),
    /// No rule matched and the tool changes nothing.
    ReadOnly,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub verdict: Verdict,
    pub reason: Reason,
}

impl Evaluation {
    fn new(verdict: Verdict, reason: Reason) -> Self {
        Self { verdict, reason }
    }
}

/// Tools whose path argument the rules match, and whether they write.
fn file_tool(tool: &str) -> Option<bool> {
    match tool {
        "read" | "glob" | "grep" => Some(false),
        "write" | "edit" => Some(true),
        _ => None,
    }
}

/// Decide one call. `changes` says whether the tool changes anything (bash, write, edit);
/// `rules` are every rule in force, in any order.
///
/// Long by design: the documented precedence (deny, protected places, ask, allow, mode) top to
/// bottom.
pub fn evaluate(
    tool: &str,
    arguments: &Value,
    rules: &[&Rule],
    locations: &Locations,
    mode: ApprovalMode,
    changes: bool,
) -> Evaluation {
    let mine: Vec<&Rule> = rules
        .iter()
        .copied()
        .filter(|r| rule_names(&r.tool, tool))
        .collect();
    let of = |kind: RuleKind| mine.iter().copied().filter(move |r| r.kind == kind);
    let by_rule = |verdict, rule: &Rule| Evaluation::new(verdict, Reason::Rule(rule.to_string()));
    let default = || {
        if !changes {
            return Evaluation::new(Verdict::Allow, Reason::ReadOnly);
        }
        let verdict = match mode {
            ApprovalMode::Auto => Verdict::Allow,
            ApprovalMode::Ask => Verdict::Ask,
            ApprovalMode::Deny => Verdict::Deny,
        };
        Evaluation::new(verdict, Reason::Mode(mode))
    };

    if tool == "bash" {
        let Some(command) = arguments.get("command").and_then(Value::as_str) else {
            return default(); // the registry answers a call without a command
        };
        let analysis = match shell::analyse(command) {
            Ok(a) => a,
            Err(e) => return unparsed(command, &e, &mine, locations, mode),
        };
        if let Some(rule) = of(RuleKind::Deny).find(|r| command_hit(r, command, &analysis)) {
            return by_rule(Verdict::Deny, rule);
        }
        if let Some(p) = analysis
            .words
            .iter()
            .find_map(|w| locations.protected_in_word(w))
        {
            return Evaluation::new(Verdict::Ask, Reason::Protected(p));
        }
        if analysis.commands.iter().any(sets_git_config) {
            return Evaluation::new(Verdict::Ask, Reason::Protected(Protected::Dir(".git/")));
        }
        if let Some(rule) = of(RuleKind::Ask).find(|r| command_hit(r, command, &analysis)) {
            return by_rule(Verdict::Ask, rule);
        }
        if let Some(rule) = of(RuleKind::Allow).find(|r| match &r.pattern {
            Pattern::WholeCommand(c) => c == command.trim(),
            _ => false,
        }) {
            return by_rule(Verdict::Allow, rule);
        }
        if !analysis.opaque && !analysis.commands.is_empty() {
            let covering: Option<Vec<&Rule>> = analysis
                .commands
                .iter()
                .map(|c| of(RuleKind::Allow).find(|r| r.matches_command(c)))
                .collect();
            if let Some(first) = covering.as_ref().and_then(|c| c.first()) {
                return by_rule(Verdict::Allow, first);
            }
        }
        return default();
    }

    let Some(write) = file_tool(tool) else {
        // Any other tool (MCP tools, task, memory): rules name the tool as a whole.
        let whole = |kind| of(kind).find(|r| matches!(r.pattern, Pattern::Any));
        return match (
            whole(RuleKind::Deny),
            whole(RuleKind::Ask),
            whole(RuleKind::Allow),
        ) {
            (Some(rule), _, _) => by_rule(Verdict::Deny, rule),
            (None, Some(rule), _) => by_rule(Verdict::Ask, rule),
            (None, None, Some(rule)) => by_rule(Verdict::Allow, rule),
            (None, None, None) => default(),
        };
    };
    let path = arguments
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| !p.trim().is_empty());
    let primary = match (path, tool) {
        (Some(p), _) => locations.absolute(p),
        (None, "glob" | "grep") => locations.absolute("."),
        (None, _) => return default(), // the tool answers a call without a path
    };
    let relative = locations.relative(&primary);
    // A glob pattern (or grep's path glob) that names a directory reaches into it.
    let reach = match tool {
        "glob" => arguments.get("pattern"),
        "grep" => arguments.get("glob"),
        _ => None,
    }
    .and_then(Value::as_str)
    .map(|g| primary.join(super::paths::literal_prefix(g)));
    let hit = |kind| of(kind).find(|r| r.matches_path(relative.as_deref()));
    if let Some(rule) = hit(RuleKind::Deny) {
        return by_rule(Verdict::Deny, rule);
    }
    if let Some(p) = std::iter::once(&primary)
        .chain(reach.as_ref())
        .find_map(|p| locations.protected(&super::paths::normalise(p), write))
    {
        return Evaluation::new(Verdict::Ask, Reason::Protected(p));
    }
    if let Some(rule) = hit(RuleKind::Ask) {
        return by_rule(Verdict::Ask, rule);
    }
    if let Some(rule) = hit(RuleKind::Allow) {
        return by_rule(Verdict::Allow, rule);
    }
    default()
}

/// Whether a rule's tool covers `tool`: the same name, or `mcp__SERVER__*` for every tool of
/// that MCP server.
fn rule_names(rule_tool: &str, tool: &str) -> bool {
    rule_tool == tool
        || rule_tool.strip_suffix('*').is_some_and(|prefix| {
            prefix.starts_with(crate::message::MCP_TOOL_PREFIX) && tool.starts_with(prefix)
        })
}

/// `git config NAME VALUE` (and `--unset`, `--add`, ...) writes `.git/config` without naming
/// it, and can point `core.hooksPath` or an alias at anything: a write under `.git/`.
/// Reading (`--get`, `--list`, one name alone) is not.
fn sets_git_config(command: &shell::SimpleCommand) -> bool {
    let argv = command.argv();
    if argv
        .first()
        .is_none_or(|p| p.rsplit('/').next() != Some("git"))
    {
        return false;
    }
    let Some(at) = argv.iter().position(|w| *w == "config") else {
        return false;
    };
    let rest = &argv[at + 1..];
    let reads = rest
        .iter()
        .any(|w| w.starts_with("--get") || matches!(*w, "--list" | "-l" | "list" | "get"));
    let writes_flag = rest.iter().any(|w| {
        w.starts_with("--unset")
            || w.starts_with("--replace")
            || matches!(
                *w,
                "--add"
                    | "--rename-section"
                    | "--remove-section"
                    | "--edit"
                    | "-e"
                    | "set"
                    | "unset"
            )
    });
    let values = rest.iter().filter(|w| !w.starts_with('-')).count();
    writes_flag || (!reads && values >= 2)
}

/// Whether a deny/ask rule hits any part of a parsed command.
fn command_hit(rule: &Rule, command: &str, analysis: &Analysis) -> bool {
    match &rule.pattern {
        Pattern::WholeCommand(c) => c == command.trim(),
        _ => analysis.commands.iter().any(|c| rule.matches_command(c)),
    }
}

/// A command the parser rejected: deny and ask rules are matched loosely against its text,
/// protected paths against its whitespace-separated words, and otherwise it asks.
fn unparsed(
    command: &str,
    error: &str,
    rules: &[&Rule],
    locations: &Locations,
    mode: ApprovalMode,
) -> Evaluation {
    for kind in [RuleKind::Deny, RuleKind::Ask] {
        if let Some(rule) = rules
            .iter()
            .find(|r| r.kind == kind && r.matches_unparsed(command))
        {
            let verdict = if kind == RuleKind::Deny {
                Verdict::Deny
            } else {
                Verdict::Ask
            };
            return Evaluation::new(verdict, Reason::Rule(rule.to_string()));
        }
        if kind == RuleKind::Deny && mode == ApprovalMode::Deny {
            return Evaluation::new(Verdict::Deny, Reason::Mode(mode));
        }
    }
    if let Some(p) = command
        .split(|c: char| c.is_whitespace() || ";&|()<>`".contains(c))
        .find_map(|w| locations.protected_in_word(&brush_parser::unquote_str(w)))
    {
        return Evaluation::new(Verdict::Ask, Reason::Protected(p));
    }
    let first = error.lines().next().unwrap_or(error).to_string();
    Evaluation::new(Verdict::Ask, Reason::Unparsed(first))
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
