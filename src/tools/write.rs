//! `write`: create or replace a whole file in the workspace. Missing parent directories are
//! created. The file is written to a temporary file in the same directory and renamed over the
//! target, so a reader (or a crash) sees the old file or the new one, never half of it; an
//! existing file keeps its permissions. Opening and replacing go through
//! `sandbox::beneath` (no escape by a directory swapped for a symlink). An existing file is only
//! replaced when the model has read its current content (`tools::seen`). Also home to the helpers
//! `edit` shares: the checked replace and the unified diff shown for approval.

use super::arguments::parse_arguments;
use super::seen::{SeenFiles, digest, digest_reader};
use super::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use crate::checkpoint::TurnCheckpoint;
use crate::sandbox::beneath::Beneath;
use crate::sandbox::paths::{Access, confine, display_relative, workspace_root};
use crate::sandbox::truncate::cap_text;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Largest diff shown in an approval prompt.
const MAX_DIFF_BYTES: usize = 200_000;
/// Files larger than this are not diffed line by line for a preview.
const MAX_DIFF_INPUT: u64 = 8 * 1024 * 1024;

pub struct WriteTool;

#[derive(Debug, Deserialize)]
struct WriteArgs {
    path: String,
    content: String,
}

impl Tool for WriteTool {
    fn name(&self) -> &str {
        "write"
    }

    fn description(&self) -> &str {
        "Create a file, or replace an existing file's whole content, in the workspace. Parent \
         directories are created. An existing file must have been read (with read) first, and \
         not changed since. To change part of an existing file, prefer edit."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File path relative to the workspace."},
                "content": {"type": "string", "description": "The complete new content of the file."}
            },
            "required": ["path", "content"]
        })
    }

    fn needs_approval(&self) -> bool {
        true
    }

    fn preview(&self, arguments: &Value, ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let args: WriteArgs = parse_arguments(self, arguments)?;
        let root = &workspace_root(ctx.sandbox.workspace());
        let path = target(root, &args.path)?;
        let shown = display_relative(root, &path);
        let old = if path.exists() {
            let current = current_digest(root, &path, &shown)?;
            ctx.seen.check(&path, current, &shown)?;
            Some(read_for_diff(&path, &shown)?)
        } else {
            None
        };
        Ok(ApprovalPreview::Diff {
            diff: unified_diff(&shown, old.as_deref(), &args.content),
            path: shown,
        })
    }

    fn execute(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput> {
        Box::pin(async move {
            let args: WriteArgs = match parse_arguments(self, &arguments) {
                Ok(args) => args,
                Err(message) => return ToolOutput::error(message),
            };
            let root = workspace_root(ctx.sandbox.workspace());
            let seen = ctx.seen.clone();
            let checkpoint = ctx.checkpoint.clone();
            let job = tokio::task::spawn_blocking(move || {
                write_file(&root, &args, &seen, checkpoint.as_ref())
            });
            match job.await {
                Ok(Ok(text)) => ToolOutput::ok(text),
                Ok(Err(message)) => ToolOutput::error(message),
                Err(e) => ToolOutput::error(format!("write failed unexpectedly: {e}")),
            }
        })
    }
}

/// The confined path `write` would write, refusing directories.
fn target(root: &Path, path: &str) -> Result<PathBuf, String> {
    let path = confine(root, path, Access::Create).map_err(|e| e.to_string())?;
    if path.is_dir() {
        return Err(format!(
            "`{}` is a directory: give the path of a file inside it",
            display_relative(root, &path)
        ));
    }
    Ok(path)
}

fn write_file(
    root: &Path,
    args: &WriteArgs,
    seen: &SeenFiles,
    checkpoint: Option<&TurnCheckpoint>,
) -> Result<String, String> {
    let path = target(root, &args.path)?;
    let shown = display_relative(root, &path);
    let previous = std::fs::metadata(&path).ok().map(|m| m.len());
    replace_checked(
        root,
        &path,
        &shown,
        args.content.as_bytes(),
        seen,
        checkpoint.map(|c| (c, "write")),
    )?;
    let lines = args.content.lines().count();
    let bytes = args.content.len();
    let size = format!("{}, {}", count(bytes, "byte"), count(lines, "line"));
    Ok(match previous {
        Some(old) => format!(
            "replaced `{shown}` ({size}; was {})",
            count(old as usize, "byte")
        ),
        None => format!("created `{shown}` ({size})"),
    })
}

/// `1 line`, `2 lines`.
fn count(n: usize, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// The digest of the file at `path` (resolved, inside `root`) as it is now; `None` when it does
/// not exist.
pub(crate) fn current_digest(
    root: &Path,
    path: &Path,
    shown: &str,
) -> Result<Option<super::seen::Digest>, String> {
    let opened = Beneath::new(root).and_then(|b| b.open_read(&Beneath::relative(root, path)?));
    match opened {
        Ok(file) => digest_reader(file)
            .map(Some)
            .map_err(|e| format!("cannot read `{shown}`: {e}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot open `{shown}`: {e}")),
    }
}

/// Replace the file at `path` (resolved, inside `root`) with `bytes`, atomically, if the model
/// has seen its current content (or it does not exist); then remember the new content. With a
/// turn checkpoint, the old content is kept first (no copy, no write) and the new state
/// recorded after.
pub(crate) fn replace_checked(
    root: &Path,
    path: &Path,
    shown: &str,
    bytes: &[u8],
    seen: &SeenFiles,
    checkpoint: Option<(&TurnCheckpoint, &str)>,
) -> Result<(), String> {
    let current = current_digest(root, path, shown)?;
    seen.check(path, current, shown)?;
    if let Some((cp, tool)) = checkpoint {
        cp.before_change(root, path, tool).map_err(|e| {
            format!("`{shown}` was not changed: {e} (checkpoints can be turned off with [checkpoints] enabled = false)")
        })?;
    }
    let written = Beneath::new(root)
        .and_then(|b| b.replace(&Beneath::relative(root, path)?, bytes))
        .map_err(|e| format!("cannot write `{shown}`: {e}"));
    // Recorded whether or not the write went through: the checkpoint says what is there.
    if let Some((cp, _)) = checkpoint {
        if let Err(e) = cp.after_change(root, path) {
            tracing::warn!("checkpoint of `{shown}` after writing: {e}");
        }
    }
    written?;
    seen.record(path, digest(bytes));
    Ok(())
}

/// The text of an existing file for a diff; refuses what cannot be shown as lines.
pub(crate) fn read_for_diff(path: &Path, shown: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "`{shown}` is not a regular file: only files can be written"
        ));
    }
    if meta.len() > MAX_DIFF_INPUT {
        return Ok(format!(
            "(existing content: {} bytes, too large to compare line by line)\n",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A unified diff (3 lines of context) from `old` (`None`: the file is new) to `new`, capped
/// for display.
pub fn unified_diff(shown: &str, old: Option<&str>, new: &str) -> String {
    let old_header = match old {
        Some(_) => format!("a/{shown}"),
        None => "/dev/null".to_string(),
    };
    let diff = similar::TextDiff::from_lines(old.unwrap_or(""), new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&old_header, &format!("b/{shown}"))
        .to_string();
    if text.is_empty() {
        return "(no changes)\n".to_string();
    }
    cap_text(&text, MAX_DIFF_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_show_new_files_changes_and_no_changes() {
        assert_eq!(
            unified_diff("a.txt", None, "one\ntwo\n"),
            "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n"
        );
        assert_eq!(
            unified_diff("a.txt", Some("one\ntwo\n"), "one\n2\n"),
            "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n"
        );
        assert_eq!(
            unified_diff("a.txt", Some("same\n"), "same\n"),
            "(no changes)\n"
        );
    }
}
