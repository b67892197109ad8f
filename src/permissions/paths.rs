//! Paths as permission rules see them, worked out on data alone (no file system access, so
//! the turn machine can call it): a tool's path argument made absolute and normalised
//! lexically against the workspace (`..`, `.`, `~`, `$HOME`), the workspace-relative form that
//! rule globs match, and the places that always need the user's approval: writes under `.git/`
//! or `.harness/`, and any access to the user's credentials (see [`CREDENTIAL_PATHS`]) or the
//! harness's own configuration, even when the workspace is the home directory.
//!
//! Being lexical, a symlink inside the workspace that points at a credential directory is not
//! seen here; the file tools refuse anything that resolves outside the workspace, so this only
//! matters when the workspace contains the credentials (a home-directory workspace).

use std::path::{Component, Path, PathBuf};

/// Credential files and directories, relative to the home directory.
pub const CREDENTIAL_PATHS: &[&str] = &[
    ".ssh",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".config/harness",
    ".config/gh",
    ".config/hub",
    ".config/op",
    ".gnupg",
    ".netrc",
    ".git-credentials",
    ".docker/config.json",
    ".kube",
    ".npmrc",
    ".pypirc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".password-store",
    ".local/share/keyrings",
    ".vault-token",
    ".pgpass",
    ".terraform.d/credentials.tfrc.json",
];

/// File names that hold credentials wherever they are.
const CREDENTIAL_NAMES: &[&str] = &[".netrc", ".git-credentials"];

/// Where the protected places are: the workspace, the user's home, and the harness's own
/// configuration (config file, agents directory, database).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Locations {
    pub workspace: PathBuf,
    pub home: Option<PathBuf>,
    /// Files and directories of the harness itself that a tool must not touch unasked.
    pub harness_files: Vec<PathBuf>,
}

/// Why a path always needs the user's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protected {
    /// A write under `.git/` or `.harness/` (the string is `.git/` or `.harness/`).
    Dir(&'static str),
    /// A credential path, as the user would write it (`~/.ssh`).
    Credential(String),
}

impl Protected {
    /// The refusal the model sees when nobody can approve.
    pub fn headless_message(&self) -> String {
        match self {
            Protected::Dir(dir) => format!(
                "blocked: writes under {dir} always need the user's approval and no one is here to answer (headless)"
            ),
            Protected::Credential(p) => format!(
                "blocked: {p} holds the user's credentials; any access to it always needs the user's approval and no one is here to answer (headless)"
            ),
        }
    }

    /// Why the user is asked (for `/permissions` and logs).
    pub fn describe(&self) -> String {
        match self {
            Protected::Dir(dir) => format!("writes under {dir} always ask"),
            Protected::Credential(p) => format!("{p} holds credentials: access always asks"),
        }
    }
}

impl Locations {
    /// `raw` (as a tool got it) made absolute and lexically normalised. `~` and `$HOME` at
    /// the start expand to the home directory.
    pub fn absolute(&self, raw: &str) -> PathBuf {
        let raw = raw.trim();
        let expanded = match (&self.home, home_relative(raw)) {
            (Some(home), Some(rest)) => home.join(rest),
            _ => PathBuf::from(raw),
        };
        let joined = if expanded.is_absolute() {
            expanded
        } else {
            self.workspace.join(expanded)
        };
        normalise(&joined)
    }

    /// The workspace-relative path rule globs match (`.` for the workspace itself); `None`
    /// when the path lies outside the workspace.
    pub fn relative(&self, absolute: &Path) -> Option<String> {
        let rel = absolute.strip_prefix(normalise(&self.workspace)).ok()?;
        let s = rel.to_string_lossy().to_string();
        Some(if s.is_empty() { ".".to_string() } else { s })
    }

    /// Whether using `absolute` needs the user's approval whatever the rules say: credentials
    /// for any access, `.git/` and `.harness/` for writes.
    pub fn protected(&self, absolute: &Path, write: bool) -> Option<Protected> {
        if let Some(c) = self.credential(absolute) {
            return Some(Protected::Credential(c));
        }
        if write {
            if let Some(rel) = self.relative(absolute) {
                for c in Path::new(&rel).components() {
                    if let Component::Normal(name) = c {
                        let name = name.to_string_lossy();
                        if name.eq_ignore_ascii_case(".git") {
                            return Some(Protected::Dir(".git/"));
                        }
                        if name.eq_ignore_ascii_case(".harness") {
                            return Some(Protected::Dir(".harness/"));
                        }
                    }
                }
            }
        }
        None
    }

    /// The credential path `absolute` is, or lies in, as the user would write it.
    pub fn credential(&self, absolute: &Path) -> Option<String> {
        if let Some(home) = &self.home {
            let home = normalise(home);
            for c in CREDENTIAL_PATHS {
                let p = home.join(c);
                if absolute.starts_with(&p) {
                    return Some(format!("~/{c}"));
                }
            }
        }
        for f in &self.harness_files {
            if absolute.starts_with(normalise(f)) {
                return Some(f.display().to_string());
            }
        }
        let name = absolute.file_name()?.to_string_lossy();
        CREDENTIAL_NAMES
            .iter()
            .find(|n| name.eq_ignore_ascii_case(n))
            .map(|n| n.to_string())
    }

    /// Whether a directory walk (glob, grep) may enter `dir`: never into a credential
    /// directory, unless the search itself started inside it (then the call was asked for).
    pub fn walk_may_enter(&self, dir: &Path, search_root: &Path) -> bool {
        match self.credential(&normalise(dir)) {
            Some(_) => self.credential(&normalise(search_root)).is_some(),
            None => true,
        }
    }

    /// Protected paths a bash word names (an argument, a redirection target, the value of
    /// `--opt=VALUE` or `NAME=VALUE`). The command may write anything it names, so `.git/`
    /// and `.harness/` count as writes. Best effort: a path built at run time (`$DIR/x`,
    /// `cd .git && ...`) is not seen.
    pub fn protected_in_word(&self, word: &str) -> Option<Protected> {
        let mut candidates = vec![word];
        if let Some((_, value)) = word.split_once('=') {
            candidates.push(value);
        }
        for c in candidates {
            let c = c.trim_matches(|ch| ch == '"' || ch == '\'');
            if c.is_empty() || (c.starts_with('-') && !c.contains('/')) {
                continue;
            }
            let abs = self.absolute(c);
            if let Some(p) = self.protected(&abs, true) {
                return Some(p);
            }
        }
        None
    }
}

/// `~/x`, `~`, `$HOME/x`, `${HOME}/x` -> the part after the home directory.
fn home_relative(raw: &str) -> Option<&str> {
    for prefix in ["~", "$HOME", "${HOME}"] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            if rest.is_empty() {
                return Some("");
            }
            if let Some(rest) = rest.strip_prefix('/') {
                return Some(rest);
            }
        }
    }
    None
}

/// Remove `.` and resolve `..` without touching the file system.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The leading directories of a glob that hold no glob syntax: `.ssh/*` -> `.ssh`.
pub(crate) fn literal_prefix(glob: &str) -> PathBuf {
    glob.trim_start_matches("./")
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[', '{']))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locations(workspace: &str) -> Locations {
        Locations {
            workspace: PathBuf::from(workspace),
            home: Some(PathBuf::from("/home/u")),
            harness_files: vec![PathBuf::from("/hh/config.toml")],
        }
    }

    #[test]
    fn paths_are_made_relative_lexically() {
        let l = locations("/home/u/proj");
        let cases = [
            ("src/main.rs", Some("src/main.rs")),
            ("./src/../.env", Some(".env")),
            ("/home/u/proj/a/b", Some("a/b")),
            (".", Some(".")),
            ("../other/x", None),
            ("/etc/passwd", None),
            ("~/proj/x", Some("x")),
        ];
        for (raw, want) in cases {
            assert_eq!(l.relative(&l.absolute(raw)).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn protected_places_table() {
        let home_ws = locations("/home/u");
        let proj = locations("/home/u/proj");
        let cred = |s: &str| Some(Protected::Credential(s.to_string()));
        // (locations, raw path, write, want)
        let cases = [
            (
                &proj,
                ".git/hooks/pre-commit",
                true,
                Some(Protected::Dir(".git/")),
            ),
            (&proj, ".git/hooks/pre-commit", false, None),
            (
                &proj,
                "sub/.GIT/config",
                true,
                Some(Protected::Dir(".git/")),
            ),
            (
                &proj,
                ".harness/permissions.toml",
                true,
                Some(Protected::Dir(".harness/")),
            ),
            (&proj, ".gitignore", true, None),
            (&proj, "src/.github/x", true, None),
            (&proj, "~/.ssh/id_rsa", false, cred("~/.ssh")),
            (&proj, "$HOME/.aws/credentials", false, cred("~/.aws")),
            (&proj, "../.ssh", false, cred("~/.ssh")),
            (
                &proj,
                "/home/u/.config/harness/config.toml",
                false,
                cred("~/.config/harness"),
            ),
            (
                &proj,
                "/home/u/.docker/config.json",
                false,
                cred("~/.docker/config.json"),
            ),
            (&proj, "/home/u/.docker/other.json", false, None),
            (&proj, "sub/.netrc", false, cred(".netrc")),
            (&proj, "/hh/config.toml", true, cred("/hh/config.toml")),
            (&home_ws, ".ssh/id_rsa", false, cred("~/.ssh")),
            (&home_ws, ".sshx", false, None),
            (&home_ws, ".kube", false, cred("~/.kube")),
            (&home_ws, "proj/a.rs", true, None),
        ];
        for (l, raw, write, want) in cases {
            assert_eq!(
                l.protected(&l.absolute(raw), write),
                want,
                "{raw} write={write}"
            );
        }
    }

    #[test]
    fn bash_words_name_protected_paths() {
        let l = locations("/home/u/proj");
        let cases = [
            (".git/hooks/pre-commit", true),
            ("--git-dir=.git", true),
            ("GIT_DIR=.git", true),
            ("~/.ssh/id_rsa", true),
            ("${HOME}/.gnupg", true),
            ("-rf", false),
            ("status", false),
            ("src/main.rs", false),
        ];
        for (word, want) in cases {
            assert_eq!(l.protected_in_word(word).is_some(), want, "{word}");
        }
    }

    #[test]
    fn walks_skip_credentials_unless_started_there() {
        let l = locations("/home/u");
        let root = Path::new("/home/u");
        assert!(!l.walk_may_enter(Path::new("/home/u/.ssh"), root));
        assert!(l.walk_may_enter(Path::new("/home/u/src"), root));
        assert!(l.walk_may_enter(Path::new("/home/u/.ssh/keys"), Path::new("/home/u/.ssh")));
    }
}
