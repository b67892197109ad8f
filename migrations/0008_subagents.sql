-- 0008: subagents and worktrees (issue 20). A child conversation is linked to the parent's
-- tool call that started it (`task`), so `history list --children` can list children and a
-- front end can open a child's transcript. A conversation that works in its own git worktree
-- records where, on which branch and from which commit, so `harness diff` can show what it
-- changed. Separate tables: the conversations row is untouched (its parent_id is a fork's).
CREATE TABLE subagent_links (
    child_id        TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id       TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_call_id  TEXT NOT NULL,
    depth           INTEGER NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX subagent_links_parent ON subagent_links(parent_id, created_at);

CREATE TABLE conversation_workspaces (
    conversation_id TEXT PRIMARY KEY,
    workspace       TEXT NOT NULL,
    repository      TEXT NOT NULL,
    branch          TEXT NOT NULL,
    base_commit     TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
