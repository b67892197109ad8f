-- 0006: which process runs a turn in a conversation (issue 14). The one-turn-at-a-time rule
-- holds inside a process through the core's map of open conversations; this lease extends it
-- across processes (a TUI and `harness serve` on one conversation). turn_owner is `host:pid`;
-- a lease whose process is gone (same host), or older than a day (another host), is stale.
ALTER TABLE conversations ADD COLUMN turn_owner TEXT;
ALTER TABLE conversations ADD COLUMN turn_started_at INTEGER;
