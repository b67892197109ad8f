//! `edit`: exact-text replacement in one file. The old text must occur exactly once (or
//! `replace_all` is set); no match and several matches are errors that say which and how to
//! fix the call, because a guessed replacement is worse than none. The file is replaced
//! atomically and keeps its permissions. Files with CRLF line ends accept old/new text written
//! with plain `\n`, since models rarely reproduce `\r`. The model must have read the file's
//! current content first (`tools::seen`): an edit to a file changed behind its back is refused.

use super::arguments::parse_arguments;
use super::seen::{SeenFiles, digest};
use super::write::{replace_checked, unified_diff};
use super::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use crate::checkpoint::TurnCheckpoint;
use crate::sandbox::beneath::Beneath;
use crate::sandbox::paths::{Access, confine, display_relative, workspace_root};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Larger files are not loaded whole for an edit.
const MAX_EDIT_BYTES: u64 = 64 * 1024 * 1024;
/// Match lines listed in an "ambiguous" error.
const MAX_LISTED_LINES: usize = 10;

pub struct EditTool;

#[derive(Debug, Deserialize)]
struct EditArgs {
    path: String,
    old_string: String,
    new_string: String,
    replace_all: Option<bool>,
}

/// A successful edit, before it is written.
#[derive(Debug, PartialEq, Eq)]
pub struct Edited {
    pub content: String,
    pub replacements: usize,
    /// 1-based line of the first replacement.
    pub first_line: usize,
}

impl Tool for EditTool {
    fn name(&self) -> &str {
        "edit"
    }

    fn description(&self) -> &str {
        "Replace exact text in a file in the workspace. old_string must match the file exactly \
         (whitespace and indentation included; do not include read's line-number prefix) and \
         occur exactly once, unless replace_all is true. Include enough surrounding lines to \
         make it unique. Read the file first: a file not read, or changed since it was read, is \
         refused. To create a file or replace all of it, use write."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File path relative to the workspace."},
                "old_string": {"type": "string", "description": "The exact text to replace."},
                "new_string": {"type": "string", "description": "The text to put in its place."},
                "replace_all": {"type": "boolean", "description": "Replace every occurrence (default false)."}
            },
            "required": ["path", "old_string", "new_string"]
        })
    }

    fn needs_approval(&self) -> bool {
        true
    }

    fn preview(&self, arguments: &Value, ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let args: EditArgs = parse_arguments(self, arguments)?;
        let root = &workspace_root(ctx.sandbox.workspace());
        let (path, shown, old) = load(root, &args.path)?;
        ctx.seen
            .check(&path, Some(digest(old.as_bytes())), &shown)?;
        let edited = apply_edit(&old, &args, &shown)?;
        Ok(ApprovalPreview::Diff {
            diff: unified_diff(&shown, Some(&old), &edited.content),
            path: shown,
        })
    }

    fn execute(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput> {
        Box::pin(async move {
            let args: EditArgs = match parse_arguments(self, &arguments) {
                Ok(args) => args,
                Err(message) => return ToolOutput::error(message),
            };
            let root = workspace_root(ctx.sandbox.workspace());
            let seen = ctx.seen.clone();
            let checkpoint = ctx.checkpoint.clone();
            let job = tokio::task::spawn_blocking(move || {
                edit_file(&root, &args, &seen, checkpoint.as_ref())
            });
            match job.await {
                Ok(Ok(text)) => ToolOutput::ok(text),
                Ok(Err(message)) => ToolOutput::error(message),
                Err(e) => ToolOutput::error(format!("edit failed unexpectedly: {e}")),
            }
        })
    }
}

fn edit_file(
    root: &Path,
    args: &EditArgs,
    seen: &SeenFiles,
    checkpoint: Option<&TurnCheckpoint>,
) -> Result<String, String> {
    let (path, shown, old) = load(root, &args.path)?;
    // Checked before matching, so a stale file is not blamed on old_string.
    seen.check(&path, Some(digest(old.as_bytes())), &shown)?;
    let edited = apply_edit(&old, args, &shown)?;
    replace_checked(
        root,
        &path,
        &shown,
        edited.content.as_bytes(),
        seen,
        checkpoint.map(|c| (c, "edit")),
    )?;
    Ok(match edited.replacements {
        1 => format!(
            "edited `{shown}`: replaced 1 occurrence (line {})",
            edited.first_line
        ),
        n => format!(
            "edited `{shown}`: replaced {n} occurrences (first at line {})",
            edited.first_line
        ),
    })
}

/// The confined path, its display name and its text.
fn load(root: &Path, path: &str) -> Result<(PathBuf, String, String), String> {
    let path = confine(root, path, Access::Existing)
        .map_err(|e| format!("{e} (edit changes existing files; to create one, use write)"))?;
    let shown = display_relative(root, &path);
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "`{shown}` is not a regular file: edit changes files"
        ));
    }
    if meta.len() > MAX_EDIT_BYTES {
        return Err(format!(
            "`{shown}` is {} bytes, too large for edit (limit {MAX_EDIT_BYTES}): use bash (e.g. sed) for large files",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    Beneath::new(root)
        .and_then(|b| b.open_read(&Beneath::relative(root, &path)?))
        .and_then(|f| std::io::Read::take(f, MAX_EDIT_BYTES).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!("`{shown}` is not valid UTF-8 text: edit only changes text files; use write to replace it whole")
    })?;
    Ok((path, shown, text))
}

/// Replace `old_string` in `content` per the rules in the module doc.
fn apply_edit(content: &str, args: &EditArgs, shown: &str) -> Result<Edited, String> {
    let old = args.old_string.as_str();
    let new = args.new_string.as_str();
    if old.is_empty() {
        return Err(
            "old_string is empty: give the exact text to replace (to create or overwrite a whole file, use write)"
                .to_string(),
        );
    }
    if old == new {
        return Err(
            "old_string and new_string are the same, so nothing would change: give the new text in new_string"
                .to_string(),
        );
    }
    let mut old = old.to_string();
    let mut new = new.to_string();
    let mut count = content.matches(old.as_str()).count();
    if count == 0 && content.contains("\r\n") && old.contains('\n') && !old.contains('\r') {
        old = old.replace('\n', "\r\n");
        new = new.replace('\n', "\r\n");
        count = content.matches(old.as_str()).count();
    }
    if count == 0 {
        let trimmed = args.old_string.trim();
        let hint = if !trimmed.is_empty() && trimmed != args.old_string && content.contains(trimmed)
        {
            " (the text does occur without its leading/trailing whitespace: check indentation and line ends)"
        } else {
            ""
        };
        return Err(format!(
            "old_string was not found in `{shown}`{hint}: it must match the file exactly, including \
             whitespace and indentation; read the file and copy the text to replace"
        ));
    }
    let replace_all = args.replace_all.unwrap_or(false);
    let lines = match_lines(content, &old);
    if count > 1 && !replace_all {
        let mut listed: Vec<String> = lines
            .iter()
            .take(MAX_LISTED_LINES)
            .map(ToString::to_string)
            .collect();
        if lines.len() > MAX_LISTED_LINES {
            listed.push("...".to_string());
        }
        return Err(format!(
            "old_string matches {count} times in `{shown}` (lines {}): include more surrounding \
             lines in old_string so it matches once, or set replace_all to true to replace every \
             occurrence",
            listed.join(", ")
        ));
    }
    let content = if replace_all {
        content.replace(old.as_str(), &new)
    } else {
        content.replacen(old.as_str(), &new, 1)
    };
    Ok(Edited {
        content,
        replacements: count,
        first_line: lines.first().copied().unwrap_or(1),
    })
}

/// 1-based line numbers where each non-overlapping match of `needle` starts.
fn match_lines(content: &str, needle: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut line = 1;
    let mut scanned = 0;
    for (index, _) in content.match_indices(needle) {
        line += content.as_bytes()[scanned..index]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        scanned = index;
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(old: &str, new: &str, replace_all: bool) -> EditArgs {
        EditArgs {
            path: "f.rs".into(),
            old_string: old.into(),
            new_string: new.into(),
            replace_all: Some(replace_all),
        }
    }

    #[test]
    fn edits_follow_the_match_rules() {
        let text = "fn a() {}\nfn b() {}\n    let x = 1;\nfn a() {}\n";
        /// (new content, replacements, first line) or a fragment of the error.
        type Want = Result<(&'static str, usize, usize), &'static str>;
        let cases: Vec<(EditArgs, Want)> = vec![
            (
                args("fn b() {}", "fn c() {}", false),
                Ok(("fn a() {}\nfn c() {}\n    let x = 1;\nfn a() {}\n", 1, 2)),
            ),
            (
                args("fn a() {}", "fn z() {}", true),
                Ok(("fn z() {}\nfn b() {}\n    let x = 1;\nfn z() {}\n", 2, 1)),
            ),
            (
                args("fn a() {}", "fn z() {}", false),
                Err(
                    "old_string matches 2 times in `f.rs` (lines 1, 4): include more surrounding lines",
                ),
            ),
            (
                args("fn q() {}", "x", false),
                Err("old_string was not found in `f.rs`: it must match"),
            ),
            (
                args("let x = 1;\n  ", "y", false),
                Err("does occur without its leading/trailing whitespace"),
            ),
            (args("", "x", false), Err("old_string is empty")),
            (args("fn b() {}", "fn b() {}", false), Err("are the same")),
        ];
        for (a, want) in cases {
            let got = apply_edit(text, &a, "f.rs");
            match (want, got) {
                (Ok((content, n, line)), Ok(edited)) => {
                    assert_eq!(edited.content, content);
                    assert_eq!(edited.replacements, n);
                    assert_eq!(edited.first_line, line);
                }
                (Err(fragment), Err(message)) => {
                    assert!(
                        message.contains(fragment),
                        "{fragment:?} not in {message:?}"
                    )
                }
                (want, got) => panic!("{:?}: want {want:?}, got {got:?}", a.old_string),
            }
        }
    }

    #[test]
    fn crlf_files_accept_plain_newlines() {
        let text = "one\r\ntwo\r\nthree\r\n";
        let edited = apply_edit(text, &args("one\ntwo", "1\n2", false), "f").unwrap();
        assert_eq!(edited.content, "1\r\n2\r\nthree\r\n");
    }

    #[test]
    fn match_lines_are_counted() {
        assert_eq!(match_lines("a\nb a\n\na", "a"), vec![1, 2, 4]);
        assert_eq!(match_lines("xx", "y"), Vec::<usize>::new());
    }
}
