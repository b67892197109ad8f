//! Custom slash commands: Markdown prompt templates the user keeps in
//! `<workspace>/.harness/commands/NAME.md` (project) and `<harness home>/commands/NAME.md`
//! (user). This module owns finding them (the project's win over the user's, built-ins over
//! both, every file skipped or shadowed named in a warning), their front matter (a small strict
//! `key: value` block: no YAML parser is a dependency), expanding `$ARGUMENTS`, and knowing
//! cheaply when to read them again (the directories' and files' modification times).

use super::SlashCommand;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Where a custom command comes from (the tag the popup and `/help` show).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `<workspace>/.harness/commands/`
    Project,
    /// `<harness home>/commands/`
    User,
}

impl Scope {
    pub fn tag(self) -> &'static str {
        match self {
            Self::Project => "(project)",
            Self::User => "(user)",
        }
    }
}

/// The optional block between `---` lines at the top of a command file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub description: Option<String>,
    pub argument_hint: Option<String>,
    /// The agent the command's turn runs with (that turn only).
    pub agent: Option<String>,
    /// The model the command's turn runs with (that turn only).
    pub model: Option<String>,
}

/// One loaded custom command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCommand {
    pub name: String,
    pub scope: Scope,
    pub path: PathBuf,
    pub front: FrontMatter,
    /// The prompt template.
    pub body: String,
}

impl CustomCommand {
    /// `/name` or `/name HINT`.
    pub fn usage(&self) -> String {
        match &self.front.argument_hint {
            Some(hint) => format!("/{} {hint}", self.name),
            None => format!("/{}", self.name),
        }
    }

    /// The description with its scope tag, as the popup and `/help` show it.
    pub fn listed_description(&self) -> String {
        match &self.front.description {
            Some(d) => format!("{d} {}", self.scope.tag()),
            None => format!("custom command {}", self.scope.tag()),
        }
    }

    /// The prompt for `/name args`: `$ARGUMENTS` replaced by `args`; without `$ARGUMENTS` in
    /// the body, non-empty `args` are appended after a blank line.
    pub fn expand(&self, args: &str) -> String {
        let body = self.body.trim();
        if body.contains("$ARGUMENTS") {
            body.replace("$ARGUMENTS", args)
        } else if args.is_empty() {
            body.to_string()
        } else if body.is_empty() {
            args.to_string()
        } else {
            format!("{body}\n\n{args}")
        }
    }
}

/// Whether `name` may name a custom command: lowercase ASCII letters, digits, `-` and `_`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

const KEYS: &str = "description, agent, model, argument-hint";

/// Split a command file into its front matter and body. The front matter is optional; when
/// the first line is `---` it runs to the next `---` line, one `key: value` a line (blank
/// lines and `#` comments allowed, a value may be quoted). Errors say what is wrong, and where.
pub fn parse_file(text: &str) -> Result<(FrontMatter, String), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else {
        return Ok((FrontMatter::default(), String::new()));
    };
    if first.trim_end() != "---" {
        return Ok((FrontMatter::default(), text.to_string()));
    }
    let mut front = FrontMatter::default();
    let mut line_no = 1;
    for line in lines.by_ref() {
        line_no += 1;
        let line = line.trim_end();
        if line == "---" {
            let body: String = lines.collect();
            return Ok((front, body));
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            return Err(format!(
                "front matter line {line_no}: expected `key: value`, found `{trimmed}`"
            ));
        };
        let key = key.trim();
        let value = unquote(value.trim());
        let slot = match key {
            "description" => &mut front.description,
            "argument-hint" => &mut front.argument_hint,
            "agent" => &mut front.agent,
            "model" => &mut front.model,
            _ => {
                return Err(format!(
                    "front matter line {line_no}: unknown key `{key}` (known: {KEYS})"
                ));
            }
        };
        if slot.is_some() {
            return Err(format!(
                "front matter line {line_no}: `{key}` is given twice"
            ));
        }
        *slot = Some(value.to_string()).filter(|v| !v.is_empty());
    }
    Err("the front matter opened by `---` on line 1 is not closed by a `---` line".to_string())
}

/// `"x"` or `'x'` -> `x`; anything else as it is.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(q)
            .and_then(|v| v.strip_suffix(q))
            .filter(|_| value.len() >= 2)
        {
            return inner;
        }
    }
    value
}

/// What was found in the command directories, and how to tell when it changed.
#[derive(Debug, Clone, Default)]
pub struct CustomCommands {
    /// The directories, the project's first (it wins a name clash).
    dirs: Vec<(PathBuf, Scope)>,
    /// The commands in use, by name; shared with the completion context without copying.
    commands: Arc<Vec<CustomCommand>>,
    /// One line per file skipped or command shadowed.
    warnings: Vec<String>,
    /// Every `*.md` file found (used or not: a broken one fixed in place is read again).
    files: Vec<PathBuf>,
    /// Modification times of the directories and of `files`, as last loaded.
    stamp: Vec<Option<SystemTime>>,
}

impl CustomCommands {
    /// Read the commands in `dirs` (the project's first).
    pub fn load(dirs: Vec<(PathBuf, Scope)>) -> Self {
        let mut found = Self {
            dirs,
            ..Self::default()
        };
        found.read();
        found
    }

    pub fn commands(&self) -> &Arc<Vec<CustomCommand>> {
        &self.commands
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Read the directories again if a directory or a command file changed since the last
    /// read (a `stat` each, no file read otherwise). True when it read them.
    pub fn refresh(&mut self) -> bool {
        if self.current_stamp() == self.stamp {
            return false;
        }
        self.read();
        true
    }

    fn current_stamp(&self) -> Vec<Option<SystemTime>> {
        let dirs = self.dirs.iter().map(|(d, _)| d.as_path());
        let files = self.files.iter().map(PathBuf::as_path);
        dirs.chain(files).map(modified).collect()
    }

    fn read(&mut self) {
        let mut commands: Vec<CustomCommand> = Vec::new();
        let mut warnings = Vec::new();
        let mut files = Vec::new();
        for (dir, scope) in &self.dirs {
            for path in markdown_files(dir) {
                files.push(path.clone());
                let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                let shown = path.display();
                if !valid_name(name) {
                    warnings.push(format!(
                        "skipped {shown}: a command name is lowercase letters, digits, `-` and `_`: rename the file"
                    ));
                    continue;
                }
                if SlashCommand::named(name).is_some() {
                    warnings.push(format!(
                        "/{name} from {shown} is not used: the built-in /{name} wins; rename the file"
                    ));
                    continue;
                }
                if let Some(first) = commands.iter().find(|c| c.name == name) {
                    warnings.push(format!(
                        "/{name} from {shown} is not used: {} has the same name and wins",
                        first.path.display()
                    ));
                    continue;
                }
                let parsed = std::fs::read_to_string(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|text| parse_file(&text));
                match parsed {
                    Ok((front, body)) => commands.push(CustomCommand {
                        name: name.to_string(),
                        scope: *scope,
                        path,
                        front,
                        body,
                    }),
                    Err(e) => warnings.push(format!("skipped {shown}: {e}")),
                }
            }
        }
        commands.sort_by(|a, b| a.name.cmp(&b.name));
        self.commands = Arc::new(commands);
        self.warnings = warnings;
        self.files = files;
        self.stamp = self.current_stamp();
    }
}

/// The `*.md` files of `dir`, sorted (none when it does not exist or cannot be read).
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
        .collect();
    files.sort();
    files
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The custom command `text` runs and what follows its name, when `text` is `/name ...` for a
/// custom command (a built-in of that name wins, so none is returned for it).
pub fn invocation<'a>(
    text: &'a str,
    commands: &'a [CustomCommand],
) -> Option<(&'a CustomCommand, &'a str)> {
    let rest = text.trim().strip_prefix('/')?;
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (rest, ""),
    };
    if SlashCommand::named(name).is_some() {
        return None;
    }
    commands.iter().find(|c| c.name == name).map(|c| (c, args))
}

#[cfg(test)]
#[path = "custom_tests.rs"]
mod tests;
