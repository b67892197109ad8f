//! Workspace confinement for the file tools: a path from a model is resolved against the
//! workspace the way the kernel would (`..`, symlinks, absolute paths), and only then checked to
//! lie inside it. Reading needs the whole path to exist; writing resolves the nearest existing
//! ancestor and refuses anything unusual in the part that does not exist yet (`..`, a dangling
//! symlink), so that creating the file cannot land outside either.
//!
//! This is resolve-then-check, for the messages: the file tools then open what it returned
//! through `beneath.rs` (`openat2(RESOLVE_BENEATH)` relative to the workspace), so a directory
//! swapped for a symlink between the check and the use is refused by the kernel. `~` is refused
//! rather than taken as a directory named `~`.

use super::Workspace;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a tool path was refused. Each message says what was wrong and what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    #[error("path is empty: give a path relative to the workspace, e.g. `src/main.rs`")]
    Empty,
    #[error("path `{path}` contains a NUL byte: give a plain path relative to the workspace")]
    Nul { path: String },
    #[error(
        "denied by the sandbox: path outside the workspace (`{path}` resolves to {resolved}, outside the workspace {workspace}): only paths inside the workspace can be used (relative paths start at the workspace)"
    )]
    Outside {
        path: String,
        resolved: String,
        workspace: String,
    },
    #[error(
        "`~` is not expanded: paths are relative to the workspace, so `{path}` would name a directory called `~` there; give a path inside the workspace (the home directory is outside it)"
    )]
    Tilde { path: String },
    #[error("`{path}` does not exist in the workspace: check the name (glob can list files)")]
    NotFound { path: String },
    #[error("`{path}` is a symlink whose target does not exist: write to the target path instead")]
    DanglingSymlink { path: String },
    #[error("`{path}` uses `..` after a directory that does not exist: give the path without `..`")]
    DotDotInNewPath { path: String },
    #[error("`{path}` could not be resolved: {message}")]
    Io { path: String, message: String },
}

/// What the caller is about to do with the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The path must exist (read, edit, glob/grep roots).
    Existing,
    /// The path may not exist yet; its parents may not either (write).
    Create,
}

impl Workspace {
    /// The workspace at `dir`, canonicalised once so later checks compare real paths.
    pub fn new(dir: &Path) -> io::Result<Self> {
        Ok(Self {
            root: dir.canonicalize()?,
        })
    }

    /// Resolve a path given by a model; see [`confine`].
    pub fn resolve(&self, path: &str, access: Access) -> Result<PathBuf, PathError> {
        confine(&self.root, path, access)
    }
}

/// Resolve `path` (relative to `root`, or absolute) and return its real location if that lies
/// inside `root`. `root` should be canonical; it is canonicalised here if it is not.
///
/// The returned path has every symlink resolved. For [`Access::Create`] the existing prefix is
/// resolved and the names still to be created are appended to it.
pub fn confine(root: &Path, path: &str, access: Access) -> Result<PathBuf, PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    if path.contains('\0') {
        return Err(PathError::Nul {
            path: path.to_string(),
        });
    }
    if path == "~" || path.starts_with("~/") {
        return Err(PathError::Tilde {
            path: path.to_string(),
        });
    }
    let root = root.canonicalize().map_err(|e| PathError::Io {
        path: root.display().to_string(),
        message: format!("the workspace itself is unusable: {e}"),
    })?;
    let candidate = root.join(path);

    match access {
        Access::Existing => match candidate.canonicalize() {
            Ok(real) => check_inside(&root, path, real),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Say "outside" rather than "not found" when the lexical path already leaves
                // the workspace, so the model is not tempted to retry with another name there.
                let lexical = normalise_lexically(&candidate);
                if !lexical.starts_with(&root) {
                    return Err(outside(&root, path, &lexical));
                }
                Err(PathError::NotFound {
                    path: path.to_string(),
                })
            }
            Err(e) => Err(io_error(path, &e)),
        },
        Access::Create => resolve_for_create(&root, path, &candidate),
    }
}

/// The workspace directory as the tools compare against it: canonical when it can be, so that
/// paths shown to the model are relative to it even when the workspace was given through a
/// symlink.
pub fn workspace_root(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// `root` shown as the start of a path relative to it (`src/main.rs`), or the path itself when
/// it is not inside `root`. For messages to the model.
pub fn display_relative(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

fn resolve_for_create(root: &Path, path: &str, candidate: &Path) -> Result<PathBuf, PathError> {
    let components: Vec<Component<'_>> = candidate.components().collect();
    // The longest prefix the kernel can resolve; everything after it does not exist yet.
    for split in (1..=components.len()).rev() {
        let prefix: PathBuf = components[..split].iter().collect();
        let real = match prefix.canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error(path, &e)),
        };
        let rest = &components[split..];
        if let Some(first_missing) = rest.first() {
            // canonicalize failed on it: it is missing, or a symlink to something missing
            // (which `create` would follow, wherever it points).
            let next = real.join(first_missing);
            if next.symlink_metadata().is_ok() {
                return Err(PathError::DanglingSymlink {
                    path: path.to_string(),
                });
            }
        }
        let mut resolved = real;
        for component in rest {
            match component {
                Component::Normal(name) => resolved.push(name),
                Component::CurDir => {}
                _ => {
                    return Err(PathError::DotDotInNewPath {
                        path: path.to_string(),
                    });
                }
            }
        }
        return check_inside(root, path, resolved);
    }
    Err(PathError::NotFound {
        path: path.to_string(),
    })
}

fn check_inside(root: &Path, path: &str, real: PathBuf) -> Result<PathBuf, PathError> {
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(outside(root, path, &real))
    }
}

fn outside(root: &Path, path: &str, resolved: &Path) -> PathError {
    PathError::Outside {
        path: path.to_string(),
        resolved: resolved.display().to_string(),
        workspace: root.display().to_string(),
    }
}

fn io_error(path: &str, e: &io::Error) -> PathError {
    PathError::Io {
        path: path.to_string(),
        message: e.to_string(),
    }
}

/// `..` and `.` removed by text alone, for messages about paths that do not exist.
fn normalise_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A workspace `ws/` next to an `outside/` dir, with links both ways.
    struct Fixture {
        _dir: tempfile::TempDir,
        ws: PathBuf,
        outside: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let ws = base.join("ws");
        let outside = base.join("outside");
        std::fs::create_dir_all(ws.join("src/nested")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(ws.join("src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(outside.join("secret.txt"), "secret").unwrap();
        symlink(&outside, ws.join("out_dir")).unwrap();
        symlink(outside.join("secret.txt"), ws.join("out_file")).unwrap();
        symlink(ws.join("src"), ws.join("src_link")).unwrap();
        symlink("src/main.rs", ws.join("main_link")).unwrap();
        symlink(outside.join("missing.txt"), ws.join("dangling_out")).unwrap();
        symlink("src/missing.txt", ws.join("dangling_in")).unwrap();
        Fixture {
            _dir: dir,
            ws,
            outside,
        }
    }

    #[derive(Debug)]
    enum Want {
        Inside(&'static str),
        Outside,
        NotFound,
        Dangling,
        DotDot,
        Empty,
        Tilde,
    }

    fn check(f: &Fixture, access: Access, path: &str, want: &Want) {
        let got = confine(&f.ws, path, access);
        let ok = match (want, &got) {
            (Want::Inside(rel), Ok(p)) => *p == f.ws.join(rel).components().collect::<PathBuf>(),
            (Want::Outside, Err(PathError::Outside { .. })) => true,
            (Want::NotFound, Err(PathError::NotFound { .. })) => true,
            (Want::Dangling, Err(PathError::DanglingSymlink { .. })) => true,
            (Want::DotDot, Err(PathError::DotDotInNewPath { .. })) => true,
            (Want::Empty, Err(PathError::Empty)) => true,
            (Want::Tilde, Err(PathError::Tilde { .. })) => true,
            _ => false,
        };
        assert!(ok, "{access:?} `{path}`: want {want:?}, got {got:?}");
    }

    #[test]
    fn existing_paths_are_resolved_then_checked() {
        let f = fixture();
        let abs_inside = f.ws.join("src/main.rs").display().to_string();
        let abs_outside = f.outside.join("secret.txt").display().to_string();
        let cases: Vec<(String, Want)> = vec![
            ("src/main.rs".into(), Want::Inside("src/main.rs")),
            ("./src/../src/main.rs".into(), Want::Inside("src/main.rs")),
            (".".into(), Want::Inside("")),
            (abs_inside, Want::Inside("src/main.rs")),
            ("src_link/main.rs".into(), Want::Inside("src/main.rs")),
            ("main_link".into(), Want::Inside("src/main.rs")),
            ("../outside/secret.txt".into(), Want::Outside),
            ("src/../../outside/secret.txt".into(), Want::Outside),
            ("..".into(), Want::Outside),
            (abs_outside, Want::Outside),
            ("/etc/passwd".into(), Want::Outside),
            ("out_dir/secret.txt".into(), Want::Outside),
            ("out_file".into(), Want::Outside),
            ("out_dir".into(), Want::Outside),
            ("src/nope.rs".into(), Want::NotFound),
            ("../outside/nope.txt".into(), Want::Outside),
            ("dangling_in".into(), Want::NotFound),
            ("".into(), Want::Empty),
            ("~".into(), Want::Tilde),
            ("~/.ssh/id_rsa".into(), Want::Tilde),
        ];
        for (path, want) in &cases {
            check(&f, Access::Existing, path, want);
        }
    }

    #[test]
    fn paths_to_create_check_the_nearest_existing_ancestor() {
        let f = fixture();
        let abs_new = f.ws.join("new/deep/file.txt").display().to_string();
        let cases: Vec<(String, Want)> = vec![
            ("new.txt".into(), Want::Inside("new.txt")),
            (
                "new/deep/file.txt".into(),
                Want::Inside("new/deep/file.txt"),
            ),
            (abs_new, Want::Inside("new/deep/file.txt")),
            ("src/main.rs".into(), Want::Inside("src/main.rs")),
            ("src_link/new.rs".into(), Want::Inside("src/new.rs")),
            ("main_link".into(), Want::Inside("src/main.rs")),
            ("src/nested/../x.rs".into(), Want::Inside("src/x.rs")),
            ("../outside/new.txt".into(), Want::Outside),
            ("/tmp/harness-never-here.txt".into(), Want::Outside),
            ("out_dir/new.txt".into(), Want::Outside),
            ("out_dir/sub/new.txt".into(), Want::Outside),
            ("out_file".into(), Want::Outside),
            ("dangling_out".into(), Want::Dangling),
            ("dangling_in".into(), Want::Dangling),
            ("new/../../outside/x".into(), Want::DotDot),
            ("".into(), Want::Empty),
            ("~".into(), Want::Tilde),
            ("~/notes.txt".into(), Want::Tilde),
            ("~user.txt".into(), Want::Inside("~user.txt")),
        ];
        for (path, want) in &cases {
            check(&f, Access::Create, path, want);
        }
    }

    #[test]
    fn workspace_given_through_a_symlink_still_confines() {
        let f = fixture();
        let link = f.ws.parent().unwrap().join("ws_link");
        symlink(&f.ws, &link).unwrap();
        let ws = Workspace::new(&link).unwrap();
        assert_eq!(ws.root, f.ws);
        assert_eq!(
            ws.resolve("src/main.rs", Access::Existing).unwrap(),
            f.ws.join("src/main.rs")
        );
        assert!(matches!(
            ws.resolve("out_file", Access::Existing),
            Err(PathError::Outside { .. })
        ));
    }

    #[test]
    fn messages_say_what_to_do() {
        let f = fixture();
        let err = confine(&f.ws, "../outside/secret.txt", Access::Existing).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("denied by the sandbox: path outside the workspace"),
            "{text}"
        );
        assert!(text.contains("only paths inside the workspace"), "{text}");
        assert_eq!(
            display_relative(&f.ws, &f.ws.join("src/main.rs")),
            "src/main.rs"
        );
        assert_eq!(display_relative(&f.ws, &f.ws), ".");
    }
}
