//! `glob`: list the files under a workspace directory whose path matches a glob, respecting
//! `.gitignore` (in git repositories or not), `.ignore` and the global git excludes, skipping
//! `.git` itself but not other hidden files. Results are sorted by path (stable across runs,
//! unlike mtime) and capped. Also home to the walker `grep` shares, so both tools see the same
//! files: symlinks are listed, never followed, so a walk cannot leave the workspace.

use super::arguments::parse_arguments;
use super::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use crate::permissions::ReadDenials;
use crate::permissions::paths::literal_prefix;
use crate::sandbox::beneath::Beneath;
use crate::sandbox::paths::{Access, confine, display_relative, workspace_root};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// Paths shown in one result.
pub const MAX_RESULTS: usize = 1000;
/// Matches remembered for sorting; beyond this they are only counted.
const MAX_COLLECTED: usize = 50_000;

pub struct GlobTool;

#[derive(Debug, Deserialize)]
struct GlobArgs {
    pattern: String,
    path: Option<String>,
}

impl Tool for GlobTool {
    fn name(&self) -> &str {
        "glob"
    }

    fn description(&self) -> &str {
        "List files whose path matches a glob pattern, relative to `path` (a directory in the \
         workspace, default the workspace itself). `*` does not cross `/`; use `**` for any \
         depth, e.g. `**/*.rs` or `src/**/test_*.py`; `{a,b}` alternates. Files ignored by \
         .gitignore are skipped. Results are workspace-relative paths sorted by path, at most \
         1000."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Glob pattern, e.g. **/*.rs"},
                "path": {"type": "string", "description": "Directory to search, relative to the workspace (default: the workspace)."}
            },
            "required": ["pattern"]
        })
    }

    fn needs_approval(&self) -> bool {
        false
    }

    fn preview(&self, arguments: &Value, _ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let args: GlobArgs = parse_arguments(self, arguments)?;
        Ok(ApprovalPreview::Command(format!("glob {}", args.pattern)))
    }

    fn execute(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput> {
        Box::pin(async move {
            let args: GlobArgs = match parse_arguments(self, &arguments) {
                Ok(args) => args,
                Err(message) => return ToolOutput::error(message),
            };
            let root = workspace_root(ctx.sandbox.workspace());
            let cancel = ctx.cancel.clone();
            let denials = ctx.read_denials.clone();
            let job =
                tokio::task::spawn_blocking(move || glob_files(&root, &args, &cancel, denials));
            match job.await {
                Ok(Ok(text)) => ToolOutput::ok(text),
                Ok(Err(message)) => ToolOutput::error(message),
                Err(e) => ToolOutput::error(format!("glob failed unexpectedly: {e}")),
            }
        })
    }
}

fn glob_files(
    root: &Path,
    args: &GlobArgs,
    cancel: &CancellationToken,
    denials: ReadDenials,
) -> Result<String, String> {
    let dir = search_root(root, args.path.as_deref())?;
    if !dir.is_dir() {
        return Err(format!(
            "`{}` is a file, not a directory: give the directory to search in `path`",
            display_relative(root, &dir)
        ));
    }
    let pattern = args.pattern.trim().trim_start_matches("./");
    if pattern.is_empty() {
        return Err("pattern is empty: give a glob such as `**/*.rs`".to_string());
    }
    if pattern.starts_with('/') {
        return Err(format!(
            "pattern `{pattern}` is absolute: patterns are relative to `path` (the workspace by default), e.g. `**/*.rs`"
        ));
    }
    let matcher = compile_glob(pattern)?;
    let mut collected: Vec<String> = Vec::new();
    let mut total = 0usize;
    let explicit = dir.join(literal_prefix(pattern));
    for entry in walker(root, &dir, &explicit, denials).build() {
        if cancel.is_cancelled() {
            return Err("glob was interrupted by the user".to_string());
        }
        let Ok(entry) = entry else { continue };
        if entry.file_type().is_none_or(|t| t.is_dir()) {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(&dir) else {
            continue;
        };
        if matcher.is_match(relative) {
            total += 1;
            if collected.len() < MAX_COLLECTED {
                collected.push(display_relative(root, entry.path()));
            }
        }
    }
    if total == 0 {
        return Ok(format!(
            "no files match `{pattern}` in `{}` (files ignored by .gitignore are skipped)",
            display_relative(root, &dir)
        ));
    }
    collected.sort();
    collected.truncate(MAX_RESULTS);
    let mut text = collected.join("\n");
    text.push('\n');
    if total > collected.len() {
        text.push_str(&format!(
            "[showing the first {} of {total} matches, sorted by path: narrow the pattern or path to see the rest]",
            collected.len()
        ));
    }
    Ok(text)
}

/// The directory (or file, for grep) a search starts from, confined to the workspace.
pub(crate) fn search_root(root: &Path, path: Option<&str>) -> Result<PathBuf, String> {
    let path = match path.map(str::trim) {
        None | Some("") => ".",
        Some(p) => p,
    };
    let resolved = confine(root, path, Access::Existing).map_err(|e| e.to_string())?;
    // Checked again by the kernel: a directory swapped for a symlink since is refused.
    Beneath::new(root)
        .and_then(|b| b.open_read(&Beneath::relative(root, &resolved)?))
        .map_err(|e| format!("cannot open `{}`: {e}", display_relative(root, &resolved)))?;
    Ok(resolved)
}

/// A glob where `*` stays within one path component.
pub(crate) fn compile_glob(pattern: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid glob pattern `{pattern}`: {e}; e.g. `**/*.rs`"))
}

/// The walk glob and grep share: .gitignore honoured even outside a git repository, hidden
/// files included but `.git` skipped, symlinks not followed, entries sorted by name. The
/// user's credential directories and files (`~/.ssh`, ...; a workspace may be the home
/// directory) are skipped unless `explicit`, the place the call named, lies inside one (such
/// a call was approved by the user: see `permissions::paths`). Files a `deny` rule keeps from
/// `read` are skipped too.
pub(crate) fn walker(
    root: &Path,
    dir: &Path,
    explicit: &Path,
    denials: ReadDenials,
) -> ignore::WalkBuilder {
    let base = root.to_path_buf();
    let locations = crate::permissions::Locations {
        workspace: root.to_path_buf(),
        home: directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()),
        harness_files: Vec::new(),
    };
    let explicit = explicit.to_path_buf();
    let mut builder = ignore::WalkBuilder::new(dir);
    builder
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |entry| {
            let denied = || {
                entry.file_type().is_some_and(|t| t.is_file())
                    && entry
                        .path()
                        .strip_prefix(&base)
                        .is_ok_and(|rel| denials.hides(&rel.to_string_lossy().replace('\\', "/")))
            };
            entry.file_name() != ".git"
                && locations.walk_may_enter(entry.path(), &explicit)
                && !denied()
        })
        .sort_by_file_name(|a, b| a.cmp(b));
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stays_in_one_component() {
        let cases = [
            ("*.rs", "main.rs", true),
            ("*.rs", "src/main.rs", false),
            ("**/*.rs", "src/main.rs", true),
            ("**/*.rs", "main.rs", true),
            ("src/**/*.rs", "src/a/b/c.rs", true),
            ("*.{md,txt}", "README.md", true),
            ("*.{md,txt}", "notes.txt", true),
            ("src/*", "src/a/b.rs", false),
        ];
        for (pattern, path, want) in cases {
            let m = compile_glob(pattern).unwrap();
            assert_eq!(m.is_match(path), want, "{pattern} vs {path}");
        }
        assert!(
            compile_glob("a[")
                .unwrap_err()
                .contains("invalid glob pattern `a[`")
        );
    }
}
