//! The shared parts a child session runs with: the parent's, one level deeper, with the
//! child's step limit (`[subagents] max_steps` as its `session.max_steps`) and, for a worktree
//! child, the worktree as its workspace (sandbox, AGENTS.md, protected places, checkpoints).

use crate::core::CoreDeps;
use std::path::Path;
use std::sync::Arc;

/// Where a session stands among subagents: 0 for a session a front end opened, 1 for its
/// children, 2 for theirs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lineage {
    pub depth: u32,
}

impl CoreDeps {
    /// The parts a child of a session on `self` runs with; `worktree` becomes its workspace.
    pub(in crate::core) fn for_child(&self, worktree: Option<&Path>) -> CoreDeps {
        let mut config = (*self.config).clone();
        config.session.max_steps = config.subagents.max_steps;
        let mut deps = CoreDeps {
            config: Arc::new(config),
            lineage: Lineage {
                depth: self.lineage.depth + 1,
            },
            ..self.clone()
        };
        if let Some(workspace) = worktree {
            deps.workspace = workspace.to_path_buf();
            deps.instructions = crate::agents::prompt::load_agents_md(workspace).unwrap_or(None);
            let mut locations = (*self.locations).clone();
            locations.workspace = workspace.to_path_buf();
            deps.locations = Arc::new(locations);
            deps.sandbox =
                super::super::setup::sandbox_factory(&deps.config, workspace.to_path_buf());
        }
        deps
    }

    /// Where worktrees are made: beside the database (`<data dir>/worktrees`).
    pub(in crate::core) fn worktrees_dir(&self) -> Option<std::path::PathBuf> {
        let db = self.store.path();
        (db.as_os_str() != ":memory:")
            .then(|| db.parent().unwrap_or(Path::new(".")).join("worktrees"))
    }
}
