//! Workspace snapshots around a `bash` call. Before the command: walk the workspace (respecting
//! .gitignore and .ignore, skipping `.git`, not following symlinks), stat every file and make
//! sure the blob store holds its content; a file whose size, mtime, inode and mode match the
//! workspace's stat cache (`index/<workspace>.json`, the last snapshot) is not read again.
//! After: walk again and compare stats; only files whose stat changed are hashed, to learn
//! which files the command created, deleted or modified. Caps (`[checkpoints] max_files`,
//! `max_bytes`, `max_file_bytes`) stop the walk early with a reason instead of copying a huge
//! tree.

use super::blobs::{Blobs, hash_file};
use super::{CheckpointError, Checkpoints, FileState, write_atomic};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// One file as walked: its stat and, once known, its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub size: u64,
    pub mtime_ns: i64,
    pub ino: u64,
    pub mode: u32,
    /// `None` for files over the size cap (stat only: a change is noticed, not captured).
    pub hash: Option<String>,
}

impl Entry {
    fn same_stat(&self, other: &Entry) -> bool {
        self.size == other.size
            && self.mtime_ns == other.mtime_ns
            && self.ino == other.ino
            && self.mode == other.mode
    }

    pub fn state(&self) -> Option<FileState> {
        self.hash.as_ref().map(|hash| FileState {
            hash: hash.clone(),
            size: self.size,
            mode: self.mode,
        })
    }
}

/// The files and directories of a workspace at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub files: HashMap<String, Entry>,
    pub dirs: BTreeSet<String>,
}

/// Why a workspace was not snapshotted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge(pub String);

/// Walk `root` under the caps of `cps.config`, stat only.
pub fn walk(cps: &Checkpoints, root: &Path) -> Result<Result<Snapshot, TooLarge>, CheckpointError> {
    let limits = &cps.config;
    let own = cps.root().to_path_buf();
    let mut snapshot = Snapshot::default();
    let mut total: u64 = 0;
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .follow_links(false)
        .filter_entry(move |e| e.file_name() != ".git" && e.path() != own)
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                tracing::debug!("checkpoint walk: {e}");
                continue;
            }
        };
        let Ok(rel) = super::relative(root, entry.path()) else {
            continue;
        };
        if rel.is_empty() {
            continue;
        }
        let Some(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            snapshot.dirs.insert(rel);
            continue;
        }
        if !kind.is_file() {
            continue; // symlinks, sockets: not captured
        }
        let meta = entry
            .metadata()
            .map_err(|e| CheckpointError::Io(format!("cannot stat `{rel}`: {e}")))?;
        let counted = snapshot.files.len() + 1;
        if counted > limits.max_files {
            return Ok(Err(TooLarge(format!(
                "workspace over {} files",
                limits.max_files
            ))));
        }
        // Some(""): to be hashed; None: over the size cap, stat only.
        let hash = (meta.len() <= limits.max_file_bytes).then(String::new);
        if hash.is_some() {
            total += meta.len();
            if total > limits.max_bytes {
                return Ok(Err(TooLarge(format!(
                    "workspace over {} bytes",
                    limits.max_bytes
                ))));
            }
        }
        snapshot.files.insert(
            rel,
            Entry {
                size: meta.len(),
                mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
                ino: meta.ino(),
                mode: meta.mode() & 0o7777,
                hash,
            },
        );
    }
    Ok(Ok(snapshot))
}

type Index = HashMap<String, Entry>;

fn load_index(cps: &Checkpoints, root: &Path) -> Index {
    std::fs::read(cps.index_path(root))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_index(cps: &Checkpoints, root: &Path, snapshot: &Snapshot) {
    let index: Index = snapshot
        .files
        .iter()
        .filter(|(_, e)| e.hash.as_ref().is_some_and(|h| !h.is_empty()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let result = serde_json::to_vec(&index)
        .map_err(std::io::Error::other)
        .and_then(|b| write_atomic(&cps.index_path(root), &b));
    if let Err(e) = result {
        tracing::warn!("checkpoint index not saved: {e}");
    }
}

/// Walk `root` and store every file's content (what the stat cache already holds is not read
/// again): the state to go back to if the command changes it.
pub fn capture(
    cps: &Checkpoints,
    root: &Path,
) -> Result<Result<Snapshot, TooLarge>, CheckpointError> {
    let mut snapshot = match walk(cps, root)? {
        Ok(s) => s,
        Err(too_large) => return Ok(Err(too_large)),
    };
    let index = load_index(cps, root);
    let blobs = cps.blobs();
    let mut stale = index.len() != snapshot.files.len();
    for (rel, entry) in snapshot.files.iter_mut() {
        if entry.hash.is_none() {
            continue;
        }
        if let Some(known) = index.get(rel).filter(|k| k.same_stat(entry)) {
            if let Some(hash) = known.hash.as_ref().filter(|h| blobs.exists(h)) {
                entry.hash = Some(hash.clone());
                continue;
            }
        }
        entry.hash = Some(store(&blobs, root, rel)?);
        stale = true;
    }
    // The cache is rewritten only when it learned something.
    if stale {
        save_index(cps, root, &snapshot);
    }
    Ok(Ok(snapshot))
}

fn store(blobs: &Blobs, root: &Path, rel: &str) -> Result<String, CheckpointError> {
    blobs
        .put_file(&root.join(rel))
        .map(|(hash, _)| hash)
        .map_err(|e| CheckpointError::Io(format!("cannot copy `{rel}` into the checkpoint: {e}")))
}

/// One file the command changed: its state before (`None`: it did not exist) and after
/// (`None`: it is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub path: String,
    pub before: Option<Entry>,
    pub after: Option<Entry>,
}

/// The files a command changed, and the directories it created.
pub type Diff = (Vec<Changed>, Vec<String>);

/// What changed between `before` and the workspace now, in path order; the new snapshot (with
/// hashes of what changed) becomes the stat cache.
pub fn diff(
    cps: &Checkpoints,
    root: &Path,
    before: &Snapshot,
) -> Result<Result<Diff, TooLarge>, CheckpointError> {
    let mut now = match walk(cps, root)? {
        Ok(s) => s,
        Err(too_large) => return Ok(Err(too_large)),
    };
    let mut changed = Vec::new();
    for (rel, entry) in now.files.iter_mut() {
        let old = before.files.get(rel);
        match old {
            Some(old) if old.same_stat(entry) => entry.hash = old.hash.clone(),
            _ => {
                if entry.hash.is_some() {
                    let hashed = hash_file(&root.join(rel)).map_err(|e| {
                        CheckpointError::Io(format!("cannot read `{rel}` after the command: {e}"))
                    })?;
                    entry.hash = Some(hashed.0);
                }
                let same = old.is_some_and(|o| {
                    o.hash.is_some() && o.hash == entry.hash && o.mode == entry.mode
                });
                if !same {
                    changed.push(Changed {
                        path: rel.clone(),
                        before: old.cloned(),
                        after: Some(entry.clone()),
                    });
                }
            }
        }
    }
    for (rel, old) in &before.files {
        if !now.files.contains_key(rel) {
            changed.push(Changed {
                path: rel.clone(),
                before: Some(old.clone()),
                after: None,
            });
        }
    }
    changed.sort_by(|a, b| a.path.cmp(&b.path));
    let new_dirs = now.dirs.difference(&before.dirs).cloned().collect();
    if !changed.is_empty() {
        save_index(cps, root, &now);
    }
    Ok(Ok((changed, new_dirs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CheckpointsConfig;

    fn setup() -> (tempfile::TempDir, Checkpoints, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let cps = Checkpoints::new(dir.path().join("cp"), CheckpointsConfig::default());
        let ws = dir.path().join("ws");
        std::fs::create_dir_all(ws.join("src")).unwrap();
        std::fs::create_dir_all(ws.join(".git")).unwrap();
        std::fs::write(ws.join(".git/HEAD"), "ref").unwrap();
        std::fs::write(ws.join(".gitignore"), "target/\n").unwrap();
        std::fs::create_dir_all(ws.join("target")).unwrap();
        std::fs::write(ws.join("target/out"), "built").unwrap();
        std::fs::write(ws.join("src/a.rs"), "a").unwrap();
        std::fs::write(ws.join("keep.txt"), "keep").unwrap();
        std::fs::write(ws.join("gone.txt"), "gone").unwrap();
        (dir, cps, ws)
    }

    #[test]
    fn a_snapshot_respects_gitignore_and_skips_git() {
        let (_d, cps, ws) = setup();
        let snap = capture(&cps, &ws).unwrap().unwrap();
        let mut files: Vec<&String> = snap.files.keys().collect();
        files.sort();
        assert_eq!(files, [".gitignore", "gone.txt", "keep.txt", "src/a.rs"]);
        assert!(
            snap.files
                .values()
                .all(|e| e.hash.as_deref().is_some_and(|h| h.len() == 64))
        );
    }

    #[test]
    fn the_diff_finds_created_deleted_and_modified_files() {
        let (_d, cps, ws) = setup();
        let before = capture(&cps, &ws).unwrap().unwrap();
        std::fs::write(ws.join("src/a.rs"), "changed").unwrap();
        std::fs::remove_file(ws.join("gone.txt")).unwrap();
        std::fs::create_dir_all(ws.join("new/dir")).unwrap();
        std::fs::write(ws.join("new/dir/b.txt"), "b").unwrap();
        std::fs::write(ws.join("target/out"), "ignored change").unwrap();
        let (changed, dirs) = diff(&cps, &ws, &before).unwrap().unwrap();
        let got: Vec<(&str, bool, bool)> = changed
            .iter()
            .map(|c| (c.path.as_str(), c.before.is_some(), c.after.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                ("gone.txt", true, false),
                ("new/dir/b.txt", false, true),
                ("src/a.rs", true, true)
            ]
        );
        assert_eq!(dirs, ["new", "new/dir"]);
    }

    #[test]
    fn a_workspace_over_the_caps_is_not_snapshotted() {
        let (_d, mut cps, ws) = setup();
        cps.config.max_files = 2;
        assert_eq!(
            capture(&cps, &ws).unwrap().unwrap_err(),
            TooLarge("workspace over 2 files".into())
        );
    }
}
