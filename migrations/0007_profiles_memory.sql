-- 0007: profiles and long-term memory (issue 15). Conversations and prompt history now belong
-- to a profile (existing rows go to `default`; api_tokens, jobs and usage already had one), and
-- every query of the store is limited to the profile of its Store handle. Memories are rows of
-- text with an FTS5 index (kept in sync by triggers, like messages_fts) and an optional vector:
-- unit-length f32s as a little-endian BLOB, with the provider/model that made it and its
-- dimension, so a change of embedding model is seen and `harness memory reindex` redoes them.

ALTER TABLE conversations ADD COLUMN profile TEXT NOT NULL DEFAULT 'default';
-- "recent conversations of a profile"
CREATE INDEX conversations_profile_recent ON conversations(profile, updated_at DESC)
    WHERE deleted_at IS NULL;

ALTER TABLE prompt_history ADD COLUMN profile TEXT NOT NULL DEFAULT 'default';
CREATE INDEX prompt_history_profile ON prompt_history(profile, seq);

CREATE TABLE memories (
    -- An explicit INTEGER PRIMARY KEY keeps rowids stable for the external-content FTS index.
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,      -- uuid v4 (prefixes tell memories apart)
    profile         TEXT NOT NULL,
    text            TEXT NOT NULL,
    source          TEXT NOT NULL,             -- cli | tool | tui | api
    created_at      INTEGER NOT NULL,          -- unix milliseconds
    embedding       BLOB,                      -- unit f32s, little-endian; NULL = not embedded
    embedding_model TEXT,                      -- provider/model that made `embedding`
    embedding_dim   INTEGER
);

-- "memories of a profile, newest first" and the vector scan of a profile
CREATE INDEX memories_profile ON memories(profile, seq);

CREATE VIRTUAL TABLE memories_fts USING fts5(
    text,
    content = 'memories',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, text) VALUES (new.seq, new.text);
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;

CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    INSERT INTO memories_fts(rowid, text) VALUES (new.seq, new.text);
END;
