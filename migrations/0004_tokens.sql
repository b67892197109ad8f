-- 0004: API tokens for `harness serve`. A token acts for one profile; only the SHA-256 of its
-- secret is stored (the secret is shown once, by `harness token create`). Revoked tokens stay
-- listed (revoked_at set) so `token list` shows what was cut off and when.

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,          -- public id (uuid v7), what `token revoke` takes
    profile       TEXT NOT NULL,
    label         TEXT,
    secret_sha256 TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the secret
    created_at    INTEGER NOT NULL,          -- unix milliseconds
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
