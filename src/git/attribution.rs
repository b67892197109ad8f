//! Attribution of commits made through the harness's tools (`[git] attribution = true`): a
//! `Co-authored-by: harness (MODEL) <harness@noreply.invalid>` trailer.
//!
//! How: git runs a `commit-msg` hook for every commit, whoever makes it, and `core.hooksPath`
//! can be set for one command through the environment (`GIT_CONFIG_COUNT`/`KEY_0`/`VALUE_0`), so
//! nothing in the user's config or repository settings changes. The harness keeps its hooks in
//! `<git common dir>/harness/hooks` (inside `.git`, so the Docker sandbox sees them too); each
//! one is the same small script: `commit-msg` adds the trailer (from `HARNESS_GIT_TRAILER`,
//! through `git interpret-trailers`, once), and every hook then runs the repository's own hook of
//! the same name (found with the override removed), so the user's hooks keep working. Commits
//! the user makes outside the harness are untouched: only the tools' commands carry the
//! environment.

use super::git;
use std::path::{Path, PathBuf};

/// Every hook name git knows, so the repository's own hooks still run under `core.hooksPath`.
const HOOK_NAMES: [&str; 28] = [
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "p4-changelist",
    "p4-prepare-changelist",
    "p4-post-changelist",
    "p4-pre-submit",
    "post-index-change",
];

const HOOK: &str = r#"#!/bin/sh
# Installed by harness (see its README, "Subagents and worktrees"): adds the attribution trailer
# to commits made through harness's tools, then runs this repository's own hook of this name.
name=$(basename "$0")
if [ "$name" = commit-msg ] && [ -n "$HARNESS_GIT_TRAILER" ]; then
  git interpret-trailers --in-place --if-exists addIfDifferent --trailer "$HARNESS_GIT_TRAILER" "$1" || exit 1
fi
own=$(env -u GIT_CONFIG_COUNT -u GIT_CONFIG_KEY_0 -u GIT_CONFIG_VALUE_0 git rev-parse --git-path hooks 2>/dev/null)
case "$own" in /*) ;; *) own="$(pwd)/$own" ;; esac
if [ -x "$own/$name" ]; then exec "$own/$name" "$@"; fi
exit 0
"#;

/// The trailer naming the harness and `model`.
pub fn trailer(model: &str) -> String {
    format!("Co-authored-by: harness ({model}) <harness@noreply.invalid>")
}

/// Install (or refresh) the hooks for the repository holding `workspace`; their directory, or
/// `None` when the workspace is not in a git repository.
pub fn install_hooks(workspace: &Path) -> Option<PathBuf> {
    let common = git(
        workspace,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )
    .ok()?;
    let dir = PathBuf::from(common.trim()).join("harness").join("hooks");
    if let Err(e) = write_hooks(&dir) {
        tracing::warn!(
            "git attribution is off: cannot write {}: {e}",
            dir.display()
        );
        return None;
    }
    Some(dir)
}

fn write_hooks(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    for name in HOOK_NAMES {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).is_ok_and(|s| s == HOOK) {
            continue;
        }
        std::fs::write(&path, HOOK)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// The shell line put before a tool's command: the hooks directory as seen where the command
/// runs, and the trailer.
pub fn env_prefix(hooks_dir: &str, trailer: &str) -> String {
    format!(
        "export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0={} HARNESS_GIT_TRAILER={}\n",
        quote(hooks_dir),
        quote(trailer)
    )
}

/// Single-quoted for sh.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_quotes_what_it_exports() {
        assert_eq!(
            env_prefix("/r/.git/harness/hooks", &trailer("fake/it's")),
            "export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0='/r/.git/harness/hooks' HARNESS_GIT_TRAILER='Co-authored-by: harness (fake/it'\\''s) <harness@noreply.invalid>'\n"
        );
    }
}
