//! What a conversation changed in its workspace, as one unified diff: for every file a turn of
//! the conversation touched, its content before the conversation's first change to it (from the
//! checkpoint blobs) against what is on disk now. Files back as they were are left out. Used by
//! `harness diff` and `/diff` for conversations that work in the user's own checkout (a
//! worktree conversation is diffed with git instead).

use super::{CheckpointError, Checkpoints, FileState};
use crate::message::ConversationId;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The diff of `conversation`'s changes (empty when nothing is left changed).
pub fn conversation_diff(
    cps: &Checkpoints,
    conversation: ConversationId,
) -> Result<String, CheckpointError> {
    // path -> (workspace, state before the first change)
    let mut first: BTreeMap<String, (PathBuf, Option<FileState>)> = BTreeMap::new();
    for turn in cps.turns(conversation)? {
        for change in &turn.files {
            first
                .entry(change.path.clone())
                .or_insert_with(|| (turn.workspace.clone(), change.before.clone()));
        }
    }
    let blobs = cps.blobs();
    let mut out = String::new();
    for (path, (workspace, before)) in first {
        let old = match &before {
            Some(state) => Some(blobs.read(&state.hash).map_err(|e| {
                CheckpointError::io(format!("cannot read the checkpoint of {path}"), e)
            })?),
            None => None,
        };
        let new = match std::fs::read(workspace.join(&path)) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(CheckpointError::io(format!("cannot read {path}"), e)),
        };
        out.push_str(&file_diff(&path, old.as_deref(), new.as_deref()));
    }
    Ok(out)
}

/// One file's unified diff (`git diff` style headers); empty when unchanged.
pub fn file_diff(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    if old == new {
        return String::new();
    }
    let (a, b) = (
        old.map_or("/dev/null".to_string(), |_| format!("a/{path}")),
        new.map_or("/dev/null".to_string(), |_| format!("b/{path}")),
    );
    let mut out = String::new();
    match (old.map(std::str::from_utf8), new.map(std::str::from_utf8)) {
        (Some(Err(_)), _) | (_, Some(Err(_))) => {
            out.push_str(&format!("Binary files {a} and {b} differ\n"));
        }
        (old, new) => {
            let old = old.and_then(Result::ok).unwrap_or("");
            let new = new.and_then(Result::ok).unwrap_or("");
            let diff = similar::TextDiff::from_lines(old, new);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&a, &b)
                    .to_string(),
            );
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_diff_like_git() {
        type Case<'a> = (Option<&'a [u8]>, Option<&'a [u8]>, &'a str);
        let cases: [Case; 4] = [
            (Some(b"same\n"), Some(b"same\n"), ""),
            (
                None,
                Some(b"new\n"),
                "--- /dev/null\n+++ b/f.txt\n@@ -0,0 +1 @@\n+new\n",
            ),
            (
                Some(b"a\nb\n"),
                Some(b"a\nc\n"),
                "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
            ),
            (
                Some(&[0xff, 0xfe]),
                None,
                "Binary files a/f.txt and /dev/null differ\n",
            ),
        ];
        for (old, new, want) in cases {
            assert_eq!(file_diff("f.txt", old, new), want);
        }
    }
}
