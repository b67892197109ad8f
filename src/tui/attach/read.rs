//! Reading the files a draft mentions, confined to the workspace: a mention is resolved the way
//! the kernel would (`..`, symlinks) and attached only when the real path is a regular file
//! under the real workspace. UTF-8 text only (a binary file is refused), capped at
//! [`MAX_BYTES`] / [`MAX_LINES`]. Every mention that is not attached says why in one line; the
//! mention itself always stays in the text. Runs on a background thread (the UI never does
//! file I/O), see `app/finder.rs`.

use super::{Attachment, MAX_BYTES, MAX_LINES, attach, mentions};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a mention was not attached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("@{0}: no such file in the workspace; sent as text")]
    Missing(String),
    #[error("@{0}: outside the workspace, not attached; sent as text")]
    Outside(String),
    #[error("@{0}: not a regular file, not attached; sent as text")]
    NotAFile(String),
    #[error("@{0}: a binary file, not attached (only UTF-8 text is); sent as text")]
    Binary(String),
    #[error("@{0}: cannot be read ({1}); sent as text")]
    Unreadable(String, String),
}

/// What a mention names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A regular file: its real path and its path relative to the workspace.
    File { real: PathBuf, rel: String },
    /// A directory (listed by the finder, never attached).
    Dir,
}

/// The draft as sent: its text with the attachments appended, and a line per mention that
/// was not attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub text: String,
    pub notices: Vec<String>,
}

/// `typed` with every file it mentions attached (read under `workspace`).
pub fn expand(workspace: &Path, typed: &str) -> Expanded {
    let mut attachments: Vec<Attachment> = Vec::new();
    let mut notices = Vec::new();
    let root = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_path_buf());
    for mention in mentions(typed) {
        match resolve_loose(&root, &mention) {
            Ok(Target::Dir) => {}
            Ok(Target::File { real, rel }) => {
                if attachments.iter().any(|a| a.path == rel) {
                    continue;
                }
                match read(&real, &rel) {
                    Ok(a) => attachments.push(a),
                    Err(e) => notices.push(e.to_string()),
                }
            }
            Err(e) => notices.push(e.to_string()),
        }
    }
    Expanded {
        text: attach(typed, &attachments),
        notices,
    }
}

/// [`resolve`], also without trailing sentence punctuation (`see @src/x.rs.`).
fn resolve_loose(root: &Path, mention: &str) -> Result<Target, Refusal> {
    let first = resolve(root, mention);
    let trimmed =
        mention.trim_end_matches([',', '.', ';', ':', '!', '?', ')', ']', '}', '"', '\'']);
    if first.is_ok() || trimmed == mention || trimmed.is_empty() {
        return first;
    }
    resolve(root, trimmed)
}

/// What `mention` names under `root` (the canonical workspace).
pub fn resolve(root: &Path, mention: &str) -> Result<Target, Refusal> {
    let shown = mention.to_string();
    let joined = root.join(mention.trim_end_matches('/'));
    let real = match std::fs::canonicalize(&joined) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A missing path that would be outside anyway is refused as outside.
            if escapes(mention) {
                return Err(Refusal::Outside(shown));
            }
            return Err(Refusal::Missing(shown));
        }
        Err(e) => return Err(Refusal::Unreadable(shown, e.to_string())),
    };
    let Ok(rel) = real.strip_prefix(root) else {
        return Err(Refusal::Outside(shown));
    };
    let meta =
        std::fs::metadata(&real).map_err(|e| Refusal::Unreadable(shown.clone(), e.to_string()))?;
    if meta.is_dir() {
        return Ok(Target::Dir);
    }
    if !meta.is_file() {
        return Err(Refusal::NotAFile(shown));
    }
    let rel = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Target::File { real, rel })
}

/// Whether a path leaves the directory it is relative to (absolute, or `..` above it).
fn escapes(path: &str) -> bool {
    let mut depth: i64 = 0;
    if Path::new(path).is_absolute() {
        return true;
    }
    for part in path.split('/') {
        match part {
            ".." => depth -= 1,
            "" | "." => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// The text of the file at `real` (shown as `rel`), capped.
pub fn read(real: &Path, rel: &str) -> Result<Attachment, Refusal> {
    let unreadable = |e: std::io::Error| Refusal::Unreadable(rel.to_string(), e.to_string());
    let file = std::fs::File::open(real).map_err(unreadable)?;
    let bytes = file.metadata().map_err(unreadable)?.len();
    let mut data = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut data)
        .map_err(unreadable)?;
    let mut truncated = data.len() > MAX_BYTES;
    data.truncate(MAX_BYTES);
    if data.contains(&0) {
        return Err(Refusal::Binary(rel.to_string()));
    }
    let text = match String::from_utf8(data) {
        Ok(text) => text,
        // Cut inside a character at the cap: keep the whole characters before it.
        Err(e) if truncated && e.utf8_error().error_len().is_none() => {
            let valid = e.utf8_error().valid_up_to();
            let mut data = e.into_bytes();
            data.truncate(valid);
            String::from_utf8(data).map_err(|_| Refusal::Binary(rel.to_string()))?
        }
        Err(_) => return Err(Refusal::Binary(rel.to_string())),
    };
    let mut content = text;
    if let Some((cut, _)) = content.match_indices('\n').nth(MAX_LINES - 1) {
        if cut + 1 < content.len() {
            content.truncate(cut + 1);
            truncated = true;
        }
    }
    if truncated && !content.ends_with('\n') {
        // Never a partial last line.
        if let Some(end) = content.rfind('\n') {
            content.truncate(end + 1);
        }
    }
    Ok(Attachment {
        path: rel.to_string(),
        content,
        bytes,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        std::fs::create_dir_all(ws.join("src")).unwrap();
        std::fs::write(ws.join("src/x.rs"), "fn main() {}\n").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "outside\n").unwrap();
        let root = std::fs::canonicalize(&ws).unwrap();
        (dir, root)
    }

    #[test]
    fn only_files_under_the_workspace_resolve() {
        let (dir, root) = workspace();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("src/x.rs"), root.join("inside.rs")).unwrap();
        let outside = dir.path().join("secret.txt").display().to_string();
        let cases = [
            ("src/x.rs", Ok("src/x.rs")),
            ("./src/../src/x.rs", Ok("src/x.rs")),
            ("inside.rs", Ok("src/x.rs")),
            (
                "../secret.txt",
                Err(Refusal::Outside("../secret.txt".into())),
            ),
            ("../outside", Err(Refusal::Outside("../outside".into()))),
            ("link.txt", Err(Refusal::Outside("link.txt".into()))),
            (outside.as_str(), Err(Refusal::Outside(outside.clone()))),
            ("nope.rs", Err(Refusal::Missing("nope.rs".into()))),
        ];
        for (mention, want) in cases {
            let got = resolve(&root, mention).map(|t| match t {
                Target::File { rel, .. } => rel,
                Target::Dir => "<dir>".into(),
            });
            assert_eq!(got, want.map(str::to_string), "{mention}");
        }
        assert_eq!(resolve(&root, "src/"), Ok(Target::Dir));
    }

    #[test]
    fn expand_attaches_files_and_explains_the_rest() {
        let (_dir, root) = workspace();
        std::fs::write(root.join("bin.dat"), [0u8, 1, 2, 0xff]).unwrap();
        let out = expand(
            &root,
            "see @src/x.rs, @src/ @nope.md @bin.dat @../secret.txt and @src/x.rs again",
        );
        assert_eq!(
            out.text,
            "see @src/x.rs, @src/ @nope.md @bin.dat @../secret.txt and @src/x.rs again\n\n\
             <attached_file path=\"src/x.rs\" lines=\"1\" bytes=\"13\">\nfn main() {}\n</attached_file>"
        );
        assert_eq!(
            out.notices,
            [
                "@nope.md: no such file in the workspace; sent as text",
                "@bin.dat: a binary file, not attached (only UTF-8 text is); sent as text",
                "@../secret.txt: outside the workspace, not attached; sent as text",
            ]
        );
        assert!(!out.text.contains("outside\n"));
    }

    #[test]
    fn large_files_are_cut_at_the_caps() {
        let (_dir, root) = workspace();
        let many: String = (0..5_000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(root.join("many.txt"), &many).unwrap();
        let a = read(&root.join("many.txt"), "many.txt").unwrap();
        assert!(a.truncated);
        assert_eq!(a.content.lines().count(), MAX_LINES);
        assert_eq!(a.bytes, many.len() as u64);
        // One long line of multi-byte characters, cut at the byte cap inside a character.
        let wide = "é".repeat(MAX_BYTES);
        std::fs::write(root.join("wide.txt"), format!("a{wide}\nsecond\n")).unwrap();
        let a = read(&root.join("wide.txt"), "wide.txt").unwrap();
        assert!(a.truncated);
        assert!(a.content.len() <= MAX_BYTES);
        let short = read(&root.join("src/x.rs"), "src/x.rs").unwrap();
        assert!(!short.truncated);
        assert_eq!(short.content, "fn main() {}\n");
    }
}
