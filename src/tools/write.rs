//! `write`: create or replace a whole file in the workspace. Missing parent directories are
//! created. The file is written to a temporary file in the same directory and renamed over the
//! target, so a reader (or a crash) sees the old file or the new one, never half of it; an
//! existing file keeps its permissions. Also home to the helpers `edit` shares: the atomic
//! replace and the unified diff shown for approval.

use super::registry::parse_arguments;
use super::truncate::cap_text;
use super::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use crate::sandbox::paths::{Access, confine, display_relative, workspace_root};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Mode of files `write` creates (the temp file would otherwise be 0600).
const NEW_FILE_MODE: u32 = 0o644;
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
    fn name(&self) -> &'static str {
        "write"
    }

    fn description(&self) -> &'static str {
        "Create a file, or replace an existing file's whole content, in the workspace. Parent \
         directories are created. To change part of an existing file, prefer edit."
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
            let job = tokio::task::spawn_blocking(move || write_file(&root, &args));
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

fn write_file(root: &Path, args: &WriteArgs) -> Result<String, String> {
    let path = target(root, &args.path)?;
    let shown = display_relative(root, &path);
    let previous = std::fs::metadata(&path).ok().map(|m| m.len());
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create the directories for `{shown}`: {e}"))?;
    }
    replace_atomically(&path, args.content.as_bytes())
        .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
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

/// Write `bytes` to `path` through a temporary file in the same directory and a rename. An
/// existing file's permissions are kept; a new file gets mode 0644.
pub(crate) fn replace_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no parent directory",
        )
    })?;
    let mut temp = tempfile::Builder::new()
        .prefix(".harness-write-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    let permissions = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions(),
        Err(_) => std::fs::Permissions::from_mode(NEW_FILE_MODE),
    };
    temp.as_file().set_permissions(permissions)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
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

    #[test]
    fn atomic_replace_keeps_permissions_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("script.sh");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o750)).unwrap();
        replace_atomically(&file, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750);
        let fresh = dir.path().join("fresh.txt");
        replace_atomically(&fresh, b"x").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, NEW_FILE_MODE);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
