-- 0001: the initial schema. Conversations (uuid v7 ids, soft delete, fork parent), messages in
-- order with their status, tool calls and routing facts, and an FTS5 index over message text
-- kept in sync by triggers so full-text search never needs a rebuild.

CREATE TABLE conversations (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL DEFAULT '',
    agent         TEXT NOT NULL,
    model         TEXT,
    parent_id     TEXT REFERENCES conversations(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,            -- unix milliseconds
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER,
    message_count INTEGER NOT NULL DEFAULT 0
);

-- "recent conversations" (live and deleted listings)
CREATE INDEX conversations_recent ON conversations(updated_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX conversations_deleted ON conversations(deleted_at DESC) WHERE deleted_at IS NOT NULL;

CREATE TABLE messages (
    -- An explicit INTEGER PRIMARY KEY keeps rowids stable across VACUUM, which the
    -- external-content FTS index below relies on.
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    ordinal         INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool', 'summary')),
    content         TEXT NOT NULL DEFAULT '',
    reasoning       TEXT,
    tool_calls      TEXT,                      -- JSON array of {id, name, arguments}, or NULL
    tool_call_id    TEXT,
    is_error        INTEGER NOT NULL DEFAULT 0,
    model           TEXT,
    provider        TEXT,
    agent           TEXT,
    route_reason    TEXT,
    status          TEXT NOT NULL CHECK (status IN ('streaming', 'complete', 'incomplete', 'cancelled', 'error')),
    input_tokens    INTEGER,
    output_tokens   INTEGER,
    cost_usd        REAL,
    summary_through INTEGER,                   -- summary messages: last ordinal they stand in for
    writer_pid      INTEGER,                   -- process streaming this row (crash recovery)
    created_at      INTEGER NOT NULL,
    -- "messages of a conversation in order"
    UNIQUE (conversation_id, ordinal)
);

CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    content = 'messages',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
    INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
END;

-- message_count and updated_at follow inserts, so listings never count rows.
CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    UPDATE conversations
       SET message_count = message_count + 1,
           updated_at = max(updated_at, new.created_at)
     WHERE id = new.conversation_id;
END;

CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
    UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
END;

-- Prompts the user typed, for Up/Down recall and Ctrl+R in the composer.
CREATE TABLE prompt_history (
    seq        INTEGER PRIMARY KEY,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
