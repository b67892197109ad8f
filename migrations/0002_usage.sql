-- 0002: the cost ledger. One row per model request (replies, billed failed requests, compaction
-- summaries; later embeddings, subagents, jobs), per profile, so `harness usage`, `/cost` and
-- budgets read spend across conversations. No foreign key to conversations: money spent stays
-- spent when a conversation is deleted. cost_usd is NULL when no price is known (never 0).

CREATE TABLE usage (
    id                       INTEGER PRIMARY KEY,
    profile                  TEXT NOT NULL,
    kind                     TEXT NOT NULL,       -- reply | retry | compaction | ...
    conversation_id          TEXT,
    agent                    TEXT,
    provider                 TEXT NOT NULL,
    model                    TEXT NOT NULL,       -- provider/model-id
    input_tokens             INTEGER NOT NULL DEFAULT 0,
    output_tokens            INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_write_input_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd                 REAL,
    cost_source              TEXT NOT NULL CHECK (cost_source IN ('provider', 'config', 'table', 'unknown')),
    created_at               INTEGER NOT NULL     -- unix milliseconds
);

-- "spend of a profile since a time" (budgets, harness usage)
CREATE INDEX usage_profile_time ON usage(profile, created_at);
-- "spend of a conversation" (/cost)
CREATE INDEX usage_conversation ON usage(conversation_id) WHERE conversation_id IS NOT NULL;
