//! Which project hook files the user has approved: a project's `.harness/hooks.toml` runs code
//! on the user's machine, so it runs only once the user has trusted that exact content
//! (`harness hooks trust`), and again after every change. The approvals are a small JSON file
//! under the data directory (`trusted-hooks.json`: file path -> SHA-256 of the content), 0600.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a project's hooks live, relative to the workspace.
pub const PROJECT_HOOKS_FILE: &str = ".harness/hooks.toml";

/// The approvals file next to the database.
pub fn trust_file(db: &Path) -> PathBuf {
    db.parent()
        .unwrap_or_else(|| Path::new("."))
        .join("trusted-hooks.json")
}

pub fn content_hash(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

fn read(trust_file: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(trust_file)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Whether `content` of the hooks file at `path` is the content the user approved.
pub fn is_trusted(trust_file: &Path, path: &Path, content: &str) -> bool {
    read(trust_file).get(&path.display().to_string()) == Some(&content_hash(content))
}

/// Approve `content` of the hooks file at `path` (replacing an earlier approval of it).
pub fn trust(trust_file: &Path, path: &Path, content: &str) -> std::io::Result<()> {
    let mut approvals = read(trust_file);
    approvals.insert(path.display().to_string(), content_hash(content));
    write(trust_file, &approvals)
}

/// Withdraw the approval of the hooks file at `path`; whether there was one.
pub fn untrust(trust_file: &Path, path: &Path) -> std::io::Result<bool> {
    let mut approvals = read(trust_file);
    let had = approvals.remove(&path.display().to_string()).is_some();
    if had {
        write(trust_file, &approvals)?;
    }
    Ok(had)
}

fn write(trust_file: &Path, approvals: &BTreeMap<String, String>) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = trust_file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(approvals).map_err(std::io::Error::other)?;
    let tmp = trust_file.with_extension("json.tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, trust_file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_follows_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("trusted-hooks.json");
        let file = dir.path().join("proj/.harness/hooks.toml");
        assert!(!is_trusted(&store, &file, "a"));
        trust(&store, &file, "a").unwrap();
        assert!(is_trusted(&store, &file, "a"));
        assert!(!is_trusted(&store, &file, "a changed"));
        assert!(!is_trusted(&store, &dir.path().join("other"), "a"));
        assert!(untrust(&store, &file).unwrap());
        assert!(!is_trusted(&store, &file, "a"));
        assert!(!untrust(&store, &file).unwrap());
        std::fs::write(&store, "not json").unwrap();
        assert!(
            !is_trusted(&store, &file, "a"),
            "a broken file trusts nothing"
        );
    }
}
