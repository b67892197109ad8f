//! Permission rules as written (`TOOL(PATTERN)` in `[permissions] allow/ask/deny`), parsed and
//! checked once, with where each came from. A bash pattern is a command: exact (`git status`)
//! or a prefix (`cargo test:*`: the command and anything after it, compared word by word); a
//! file tool's pattern is a glob on the workspace-relative path (`*` stays within one
//! directory, `**` crosses them). A bare `TOOL` covers every call of the tool.

use super::shell::{SimpleCommand, pattern_words};
use crate::message::is_known_tool_name;
use std::fmt;
use std::path::PathBuf;

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Allow,
    Ask,
    Deny,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Allow => "allow",
            RuleKind::Ask => "ask",
            RuleKind::Deny => "deny",
        }
    }
}

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `[permissions]` in the user's config file.
    Config(PathBuf),
    /// The project's `.harness/permissions.toml`.
    Project(PathBuf),
    /// An "always" answer in this conversation.
    Session,
}

impl Source {
    /// The short form used in refusals: `config.toml`, `.harness/permissions.toml`.
    pub fn short(&self) -> String {
        match self {
            Source::Config(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| p.display().to_string()),
            Source::Project(_) => ".harness/permissions.toml".to_string(),
            Source::Session => "this conversation (always)".to_string(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Config(p) | Source::Project(p) => write!(f, "{}", p.display()),
            Source::Session => f.write_str("this conversation (always)"),
        }
    }
}

/// What a rule matches.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Every call of the tool.
    Any,
    /// A bash command, as words: equal to them, or (`prefix`) starting with them.
    Command { words: Vec<String>, prefix: bool },
    /// Exactly this whole command line ("always" for one bash call).
    WholeCommand(String),
    /// A glob on the workspace-relative path.
    Path(globset::GlobMatcher),
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub kind: RuleKind,
    pub tool: String,
    pub pattern: Pattern,
    /// `TOOL(PATTERN)` as written.
    pub text: String,
    pub source: Source,
    /// Line in its file, when it came from one.
    pub line: Option<usize>,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.text == other.text && self.source == other.source
    }
}

impl fmt::Display for Rule {
    /// `deny bash(rm -rf:*) (config.toml)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.kind.as_str(),
            self.text,
            self.source.short()
        )
    }
}

impl Rule {
    /// Parse `TOOL(PATTERN)` or `TOOL`. The error says what is wrong and how to write it.
    pub fn parse(
        text: &str,
        kind: RuleKind,
        source: Source,
        line: Option<usize>,
    ) -> Result<Rule, String> {
        let text = text.trim();
        let (tool, inner) = match text.find('(') {
            None => (text, None),
            Some(open) => {
                let Some(inner) = text[open + 1..].strip_suffix(')') else {
                    return Err(format!(
                        "rule `{text}` has no closing `)`: write TOOL(PATTERN), e.g. bash(git status)"
                    ));
                };
                (text[..open].trim(), Some(inner))
            }
        };
        if !is_known_tool_name(tool) {
            return Err(format!(
                "rule `{text}` names unknown tool `{tool}`: use one of {}, as TOOL(PATTERN)",
                crate::message::known_tool_names_hint()
            ));
        }
        let pattern = match inner.map(str::trim) {
            None => Pattern::Any,
            Some("") => {
                return Err(format!(
                    "rule `{text}` has an empty pattern: write `{tool}` alone for every call, or {tool}(PATTERN)"
                ));
            }
            Some(_) if tool.starts_with(crate::message::MCP_TOOL_PREFIX) => {
                return Err(format!(
                    "rule `{text}`: MCP tool rules take no pattern: write `{tool}` for every call (or mcp__SERVER__* for all of a server's tools)"
                ));
            }
            Some(p) if tool == "bash" => {
                command_pattern(p).map_err(|e| format!("rule `{text}`: {e}"))?
            }
            Some(p) => path_pattern(p).map_err(|e| format!("rule `{text}`: {e}"))?,
        };
        Ok(Rule {
            kind,
            tool: tool.to_string(),
            pattern,
            text: text.to_string(),
            source,
            line,
        })
    }

    /// The rule "always" adds for exactly one bash command line.
    pub fn whole_command(command: &str) -> Rule {
        let command = command.trim();
        Rule {
            kind: RuleKind::Allow,
            tool: "bash".to_string(),
            pattern: Pattern::WholeCommand(command.to_string()),
            text: format!("bash({command})"),
            source: Source::Session,
            line: None,
        }
    }

    /// The rule "always" adds for exactly one path of a file tool.
    pub fn exact_path(tool: &str, relative: &str) -> Option<Rule> {
        let glob = globset::Glob::new(&globset::escape(relative)).ok()?;
        Some(Rule {
            kind: RuleKind::Allow,
            tool: tool.to_string(),
            pattern: Pattern::Path(glob.compile_matcher()),
            text: format!("{tool}({relative})"),
            source: Source::Session,
            line: None,
        })
    }

    /// Whether this (bash) rule matches one simple command. Allow rules see the command only
    /// as written; deny and ask rules also see through wrappers (`sudo rm` as `rm`).
    pub fn matches_command(&self, command: &SimpleCommand) -> bool {
        match &self.pattern {
            Pattern::Any => true,
            Pattern::Command { words, prefix } => {
                let fits = |w: &[String]| {
                    if *prefix {
                        w.starts_with(words)
                    } else {
                        w == words.as_slice()
                    }
                };
                match self.kind {
                    RuleKind::Allow => fits(&command.words),
                    RuleKind::Ask | RuleKind::Deny => command.variants().iter().any(|v| fits(v)),
                }
            }
            Pattern::WholeCommand(_) | Pattern::Path(_) => false,
        }
    }

    /// For a command the parser could not read: whether this deny/ask rule's words appear
    /// anywhere in it (loosely split on spaces and shell operators).
    pub fn matches_unparsed(&self, command: &str) -> bool {
        match &self.pattern {
            Pattern::Any => true,
            Pattern::WholeCommand(c) => c == command.trim(),
            Pattern::Command { words, .. } => {
                let tokens: Vec<String> = command
                    .split(|c: char| c.is_whitespace() || ";&|()<>`$".contains(c))
                    .filter(|t| !t.is_empty())
                    .map(brush_parser::unquote_str)
                    .collect();
                !words.is_empty() && tokens.windows(words.len()).any(|w| w == words.as_slice())
            }
            Pattern::Path(_) => false,
        }
    }

    /// Whether this file-tool rule matches a workspace-relative path (`None`: outside).
    pub fn matches_path(&self, relative: Option<&str>) -> bool {
        match &self.pattern {
            Pattern::Any => true,
            Pattern::Path(glob) => relative.is_some_and(|r| glob.is_match(r)),
            Pattern::Command { .. } | Pattern::WholeCommand(_) => false,
        }
    }
}

fn command_pattern(p: &str) -> Result<Pattern, String> {
    if p == "*" {
        return Ok(Pattern::Any);
    }
    let (head, prefix) = match p.strip_suffix(":*") {
        Some(head) => (head.trim(), true),
        None => (p, false),
    };
    if head.is_empty() {
        return Err("`:*` needs a command before it, e.g. bash(cargo test:*)".to_string());
    }
    if !prefix && head.ends_with('*') {
        return Err(format!(
            "write `{}:*` for the command and anything after it",
            head.trim_end_matches('*').trim_end_matches(':').trim()
        ));
    }
    let words = pattern_words(head)?;
    Ok(Pattern::Command { words, prefix })
}

fn path_pattern(p: &str) -> Result<Pattern, String> {
    let p = p.trim_start_matches("./");
    if p.starts_with('/') || p.starts_with('~') {
        return Err(
            "file patterns are relative to the workspace: write e.g. read(src/**) or read(**/.env)"
                .to_string(),
        );
    }
    globset::GlobBuilder::new(p)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| Pattern::Path(g.compile_matcher()))
        .map_err(|e| format!("invalid glob `{p}`: {e}"))
}

/// The rules in force: the user's config, then the project's (which can only narrow), then
/// this conversation's "always" answers (kept by the session, see `ApprovalPolicy`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// Things said about the rules that the user should see (ignored project allows).
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Rule, String> {
        Rule::parse(
            text,
            RuleKind::Deny,
            Source::Config(PathBuf::from("/c/config.toml")),
            Some(3),
        )
    }

    #[test]
    fn rules_parse_or_say_what_is_wrong() {
        let ok = [
            "bash(git status)",
            "bash(cargo test:*)",
            "bash",
            "bash(*)",
            "read(**)",
            "read(**/.env)",
            "write(./src/*.rs)",
            " grep( src/** ) ",
            "bash(echo 'a b')",
        ];
        for text in ok {
            assert!(parse(text).is_ok(), "{text}: {:?}", parse(text).err());
        }
        let bad = [
            ("bash(git status", "no closing `)`"),
            ("rm(-rf)", "unknown tool `rm`"),
            ("bash()", "empty pattern"),
            ("bash(:*)", "needs a command before it"),
            ("bash(git *)", "write `git:*`"),
            ("bash(git status*)", "write `git status:*`"),
            ("bash(git status; rm -rf /)", "one rule per command"),
            ("bash(echo $(id))", "one rule per command"),
            ("bash(echo 'unclosed)", "not a shell command"),
            ("read(/etc/*)", "relative to the workspace"),
            ("read(a[)", "invalid glob"),
        ];
        for (text, want) in bad {
            let err = parse(text).expect_err(text);
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn command_patterns_compare_words() {
        let cmd = |words: &[&str]| SimpleCommand {
            words: words.iter().map(|s| s.to_string()).collect(),
        };
        let rule = |text: &str, kind| Rule::parse(text, kind, Source::Session, None).expect(text);
        use RuleKind::{Allow, Deny};
        // (rule, kind, command words, matches)
        let cases: &[(&str, RuleKind, &[&str], bool)] = &[
            ("bash(git status)", Allow, &["git", "status"], true),
            ("bash(git status)", Allow, &["git", "status", "-s"], false),
            ("bash(git status:*)", Allow, &["git", "status", "-s"], true),
            ("bash(git status:*)", Allow, &["git", "status"], true),
            ("bash(git status:*)", Allow, &["git", "statusx"], false),
            (
                "bash(git status:*)",
                Allow,
                &["FOO=1", "git", "status"],
                false,
            ),
            (
                "bash(git status:*)",
                Allow,
                &["sudo", "git", "status"],
                false,
            ),
            ("bash('git' \"status\":*)", Allow, &["git", "status"], true),
            ("bash(rm -rf:*)", Deny, &["rm", "-rf", "/"], true),
            (
                "bash(rm -rf:*)",
                Deny,
                &["sudo", "-u", "root", "rm", "-rf", "/"],
                true,
            ),
            ("bash(rm -rf:*)", Deny, &["/bin/rm", "-rf", "x"], true),
            (
                "bash(rm -rf:*)",
                Deny,
                &["env", "A=1", "timeout", "5", "rm", "-rf", "x"],
                true,
            ),
            ("bash(rm -rf:*)", Deny, &["X=1", "rm", "-rf", "x"], true),
            ("bash(rm -rf:*)", Deny, &["rm", "-r", "-f", "x"], false),
            ("bash", Deny, &["anything"], true),
        ];
        for (text, kind, words, want) in cases {
            assert_eq!(
                rule(text, *kind).matches_command(&cmd(words)),
                *want,
                "{text} vs {words:?}"
            );
        }
    }

    #[test]
    fn path_patterns_are_globs_on_relative_paths() {
        let rule = |t: &str| Rule::parse(t, RuleKind::Deny, Source::Session, None).unwrap();
        let cases = [
            ("read(**/.env)", Some(".env"), true),
            ("read(**/.env)", Some("a/b/.env"), true),
            ("read(**/.env)", Some(".env.example"), false),
            ("read(src/*)", Some("src/a.rs"), true),
            ("read(src/*)", Some("src/a/b.rs"), false),
            ("read(**)", Some("."), true),
            ("read(**)", None, false),
            ("read", None, true),
        ];
        for (text, path, want) in cases {
            assert_eq!(rule(text).matches_path(path), want, "{text} vs {path:?}");
        }
        let exact = Rule::exact_path("write", "src/[a].rs").unwrap();
        assert!(exact.matches_path(Some("src/[a].rs")));
        assert!(!exact.matches_path(Some("src/a.rs")));
    }

    #[test]
    fn rules_display_with_their_source() {
        let r = parse("bash(rm -rf:*)").unwrap();
        assert_eq!(r.to_string(), "deny bash(rm -rf:*) (config.toml)");
        let s = Rule::whole_command("  ls -la ");
        assert_eq!(
            s.to_string(),
            "allow bash(ls -la) (this conversation (always))"
        );
    }
}

/// The `deny` rules for `read`: the files they match are also left out of what `glob` lists
/// and `grep` searches, so a search cannot show what reading is denied.
#[derive(Debug, Clone, Default)]
pub struct ReadDenials(std::sync::Arc<Vec<Rule>>);

impl ReadDenials {
    pub fn from_rules(rules: &RuleSet) -> Self {
        Self(std::sync::Arc::new(
            rules
                .rules
                .iter()
                .filter(|r| r.kind == RuleKind::Deny && r.tool == "read")
                .cloned()
                .collect(),
        ))
    }

    /// Whether reading `relative` (workspace-relative, `/`-separated) is denied.
    pub fn hides(&self, relative: &str) -> bool {
        self.0.iter().any(|r| r.matches_path(Some(relative)))
    }
}
