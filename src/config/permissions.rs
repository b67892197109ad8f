//! The `[permissions]` section of config.toml and the project's `.harness/permissions.toml`:
//! rule lists as written (kept for `config show`), checked when loaded so a bad rule is a config
//! error naming the file, the line and the rule, and turned into the rule set the core
//! evaluates. A project file can only narrow: its `ask` and `deny` apply, its `allow` entries are
//! ignored with a warning naming the file and line.

use super::load::ConfigError;
use crate::permissions::{Rule, RuleKind, RuleSet, Source};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One rule as written, with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct RuleEntry {
    pub rule: String,
    #[serde(skip)]
    pub line: Option<usize>,
}

/// `[permissions]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PermissionsConfig {
    pub allow: Vec<RuleEntry>,
    pub ask: Vec<RuleEntry>,
    pub deny: Vec<RuleEntry>,
}

/// `[permissions]` as read from TOML, with the position of every rule.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPermissions {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    ask: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

impl RawPermissions {
    /// Check every rule; the first bad one is an error at its line.
    pub(super) fn resolve(
        self,
        text: &str,
        path: &Path,
        source: &Source,
    ) -> Result<PermissionsConfig, ConfigError> {
        let mut out = PermissionsConfig::default();
        for (kind, list) in [
            (RuleKind::Allow, self.allow),
            (RuleKind::Ask, self.ask),
            (RuleKind::Deny, self.deny),
        ] {
            for spanned in list {
                let line = super::load::line_col(text, spanned.span().start).0;
                let rule = spanned.into_inner();
                Rule::parse(&rule, kind, source.clone(), Some(line)).map_err(|message| {
                    ConfigError::Invalid {
                        path: path.to_path_buf(),
                        line,
                        message: format!("permissions.{}: {message}", kind.as_str()),
                    }
                })?;
                let entry = RuleEntry {
                    rule,
                    line: Some(line),
                };
                match kind {
                    RuleKind::Allow => out.allow.push(entry),
                    RuleKind::Ask => out.ask.push(entry),
                    RuleKind::Deny => out.deny.push(entry),
                }
            }
        }
        Ok(out)
    }
}

impl PermissionsConfig {
    /// The rules, already checked when loaded (a rule that no longer parses is skipped).
    pub fn rules(&self, source: &Source) -> Vec<Rule> {
        [
            (RuleKind::Allow, &self.allow),
            (RuleKind::Ask, &self.ask),
            (RuleKind::Deny, &self.deny),
        ]
        .into_iter()
        .flat_map(|(kind, list)| {
            list.iter()
                .filter_map(move |e| Rule::parse(&e.rule, kind, source.clone(), e.line).ok())
        })
        .collect()
    }
}

/// The project's permissions file, `.harness/permissions.toml`: top-level `allow`/`ask`/`deny`
/// lists, or the same under `[permissions]` as in config.toml.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    #[serde(default)]
    permissions: Option<RawPermissions>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    ask: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

/// Where a project keeps its permission rules.
pub fn project_file(workspace: &Path) -> PathBuf {
    workspace.join(".harness").join("permissions.toml")
}

/// The rules in force: `config` (the user's) and the project file in `workspace`, if any.
/// A bad project file is an error naming it and the line.
pub fn rule_set(
    config: &PermissionsConfig,
    config_path: &Path,
    workspace: &Path,
) -> Result<RuleSet, ConfigError> {
    let mut set = RuleSet {
        rules: config.rules(&Source::Config(config_path.to_path_buf())),
        warnings: Vec::new(),
    };
    let path = project_file(workspace);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(set),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let file: ProjectFile = toml::from_str(&text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| super::load::line_col(&text, s.start))
            .unwrap_or((1, 1));
        ConfigError::Parse {
            path: path.clone(),
            line,
            column,
            message: e.message().lines().next().unwrap_or("").to_string(),
        }
    })?;
    let source = Source::Project(path.clone());
    let top = RawPermissions {
        allow: file.allow,
        ask: file.ask,
        deny: file.deny,
    };
    for raw in file.permissions.into_iter().chain([top]) {
        let project = raw.resolve(&text, &path, &source)?;
        for entry in &project.allow {
            set.warnings.push(format!(
                "{}:{}: allow rule `{}` ignored: a project's permissions file can only narrow (ask, deny); add it to your config.toml [permissions] to allow it",
                path.display(),
                entry.line.unwrap_or(1),
                entry.rule
            ));
        }
        let narrowing = PermissionsConfig {
            allow: Vec::new(),
            ..project
        };
        set.rules.extend(narrowing.rules(&source));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_files_only_narrow() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        std::fs::create_dir_all(ws.join(".harness")).unwrap();
        std::fs::write(
            project_file(ws),
            "allow = [\"bash\"]\ndeny = [\"bash(curl:*)\"]\n[permissions]\nask = [\"write(**)\"]\n",
        )
        .unwrap();
        let config = PermissionsConfig {
            allow: vec![RuleEntry {
                rule: "read(**)".into(),
                line: Some(4),
            }],
            ..Default::default()
        };
        let set = rule_set(&config, Path::new("/h/config.toml"), ws).unwrap();
        let shown: Vec<String> = set.rules.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            shown,
            [
                "allow read(**) (config.toml)",
                "ask write(**) (.harness/permissions.toml)",
                "deny bash(curl:*) (.harness/permissions.toml)",
            ]
        );
        assert_eq!(set.warnings.len(), 1);
        assert!(
            set.warnings[0].contains("permissions.toml:1: allow rule `bash` ignored"),
            "{}",
            set.warnings[0]
        );

        std::fs::write(project_file(ws), "\n\ndeny = [\"bash(rm -rf\"]\n").unwrap();
        let err = rule_set(&config, Path::new("/h/config.toml"), ws)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "permissions.toml:3: permissions.deny: rule `bash(rm -rf` has no closing `)`"
            ),
            "{err}"
        );
        std::fs::write(project_file(ws), "allwo = []\n").unwrap();
        let err = rule_set(&config, Path::new("/h/config.toml"), ws)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("permissions.toml:1:1: unknown field `allwo`"),
            "{err}"
        );
    }
}
