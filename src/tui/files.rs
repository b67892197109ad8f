//! The workspace's file list for the `@` finder: walked with `ignore` (the walker ripgrep
//! uses), so `.gitignore`, `.ignore` and global git excludes are respected, hidden files and
//! `.git` are skipped, and symlinks are not followed. Capped at [`MAX_ENTRIES`] (the finder
//! says so). Directories are listed too (inserted with a trailing `/`). Shallow paths come
//! first, so an empty query shows the top of the tree. The walk runs on a background thread
//! (see `app/finder.rs`); this module is the pure walk and ranking.

use std::path::Path;

/// Most paths listed.
pub const MAX_ENTRIES: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative to the workspace, `/`-separated (a directory without its trailing `/`).
    pub path: String,
    pub dir: bool,
}

impl FileEntry {
    /// The path as listed and inserted: a directory ends with `/`.
    pub fn shown(&self) -> String {
        if self.dir {
            format!("{}/", self.path)
        } else {
            self.path.clone()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileIndex {
    pub entries: Vec<FileEntry>,
    /// The walk stopped at [`MAX_ENTRIES`].
    pub capped: bool,
}

impl FileIndex {
    /// Walk `root`, listing at most `cap` paths.
    pub fn walk(root: &Path, cap: usize) -> Self {
        let walker = ignore::WalkBuilder::new(root)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(true)
            // A .gitignore counts even outside a git repository (a fresh project, a tarball).
            .require_git(false)
            .follow_links(false)
            .build();
        let mut entries = Vec::new();
        let mut capped = false;
        for entry in walker.flatten() {
            if entry.depth() == 0 {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            if entries.len() >= cap {
                capped = true;
                break;
            }
            let path = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let dir = entry.file_type().is_some_and(|t| t.is_dir());
            entries.push(FileEntry { path, dir });
        }
        entries.sort_by(|a, b| {
            let depth = |e: &FileEntry| e.path.matches('/').count();
            depth(a).cmp(&depth(b)).then_with(|| a.path.cmp(&b.path))
        });
        Self { entries, capped }
    }

    /// The entries matching `query`, best first (fuzzy, on the path as shown); a path typed
    /// in full comes first.
    pub fn rank(&self, query: &str) -> Vec<usize> {
        let mut ranked = super::fuzzy::rank(query, &self.entries, FileEntry::shown);
        let exact = |i: &usize| {
            let e = &self.entries[*i];
            e.path == query || e.shown() == query
        };
        if let Some(pos) = ranked.iter().position(exact) {
            let i = ranked.remove(pos);
            ranked.insert(0, i);
        }
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x\n").unwrap();
        }
        dir
    }

    #[test]
    fn the_walk_respects_gitignore_and_skips_hidden_files() {
        let dir = tree(&[
            "README.md",
            "src/main.rs",
            "src/app/view.rs",
            "target/debug/big.bin",
            "notes/secret.log",
            ".env",
            ".git/config",
        ]);
        std::fs::write(dir.path().join(".gitignore"), "target/\n*.log\n").unwrap();
        let index = FileIndex::walk(dir.path(), MAX_ENTRIES);
        let shown: Vec<String> = index.entries.iter().map(FileEntry::shown).collect();
        assert_eq!(
            shown,
            [
                "README.md",
                "notes/",
                "src/",
                "src/app/",
                "src/main.rs",
                "src/app/view.rs"
            ]
        );
        assert!(!index.capped);
        let capped = FileIndex::walk(dir.path(), 2);
        assert!(capped.capped);
        assert_eq!(capped.entries.len(), 2);
    }

    #[test]
    fn ranking_prefers_the_closest_path() {
        let dir = tree(&["src/app/view.rs", "src/view.rs", "docs/overview.md"]);
        let index = FileIndex::walk(dir.path(), MAX_ENTRIES);
        let best: Vec<String> = index
            .rank("view")
            .into_iter()
            .map(|i| index.entries[i].shown())
            .collect();
        assert_eq!(best[0], "src/view.rs", "{best:?}");
        assert!(best.contains(&"docs/overview.md".to_string()));
        assert!(index.rank("zzzz").is_empty());
        let exact = index.rank("src/app/view.rs");
        assert_eq!(index.entries[exact[0]].path, "src/app/view.rs");
    }
}
