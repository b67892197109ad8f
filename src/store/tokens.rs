//! API tokens for `harness serve` (table `api_tokens`, migration 0004): created with a random
//! secret that is returned once and stored only as its SHA-256, listed, revoked, and looked up
//! by secret on every request. A token acts for one profile.

use super::{Store, StoreError};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What every token secret starts with, so a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "hns_";

/// A stored token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: String,
    pub profile: String,
    pub label: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random secret: the prefix and 32 bytes from the OS's random source, in hex.
pub fn new_secret() -> Result<String, StoreError> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| StoreError::Invalid(format!("cannot read random bytes for a token: {e}")))?;
    Ok(format!("{SECRET_PREFIX}{}", hex::encode(bytes)))
}

fn time(ms: Option<i64>) -> Option<chrono::DateTime<chrono::Utc>> {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
}

fn row(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        profile: r.get(1)?,
        label: r.get(2)?,
        created_at: time(r.get(3)?).unwrap_or_default(),
        last_used_at: time(r.get(4)?),
        revoked_at: time(r.get(5)?),
    })
}

const COLUMNS: &str = "id, profile, label, created_at, last_used_at, revoked_at";

/// Store a token for `profile` with the secret's hash. Returns the record.
pub fn insert(
    conn: &Connection,
    profile: &str,
    label: Option<&str>,
    secret: &str,
) -> Result<TokenRecord, StoreError> {
    if profile.trim().is_empty() {
        return Err(StoreError::Invalid(
            "the profile name is empty: pass --profile NAME (e.g. default)".to_string(),
        ));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let now = chrono::Utc::now().timestamp_millis();
    conn.execute(
        "INSERT INTO api_tokens (id, profile, label, secret_sha256, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, profile, label, hash_secret(secret), now],
    )?;
    get(conn, &id)?.ok_or_else(|| StoreError::NotFound(id))
}

fn get(conn: &Connection, id: &str) -> Result<Option<TokenRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?1"),
            [id],
            row,
        )
        .optional()?)
}

/// Every token of the store handle's profile, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<TokenRecord>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE profile = harness_profile() ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Revoke the token of the store handle's profile whose id is or starts with `id`. Returns it; an unknown or ambiguous id
/// is an error saying so.
pub fn revoke(conn: &Connection, id: &str) -> Result<TokenRecord, StoreError> {
    let pattern = format!("{}%", id.replace(['%', '_'], ""));
    let ids: Vec<String> = conn
        .prepare(
            "SELECT id FROM api_tokens WHERE id LIKE ?1 AND profile = harness_profile() LIMIT 2",
        )?
        .query_map([&pattern], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let full = match ids.as_slice() {
        [one] if !id.is_empty() => one.clone(),
        [] | [_] => {
            return Err(StoreError::Invalid(format!(
                "no token has the id `{id}`: see `harness token list`"
            )));
        }
        _ => {
            return Err(StoreError::Invalid(format!(
                "`{id}` matches several tokens: give more of the id (see `harness token list`)"
            )));
        }
    };
    conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![full, chrono::Utc::now().timestamp_millis()],
    )?;
    get(conn, &full)?.ok_or(StoreError::NotFound(full))
}

/// The live (not revoked) token with this secret, marking it used.
pub fn authenticate(conn: &Connection, secret: &str) -> Result<Option<TokenRecord>, StoreError> {
    let found = conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM api_tokens WHERE secret_sha256 = ?1 AND revoked_at IS NULL"
            ),
            [hash_secret(secret)],
            row,
        )
        .optional()?;
    if let Some(t) = &found {
        conn.execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
            params![t.id, chrono::Utc::now().timestamp_millis()],
        )?;
    }
    Ok(found)
}

impl Store {
    /// Create a token; returns the record and the secret (shown once, never stored).
    pub async fn create_token(
        &self,
        profile: &str,
        label: Option<&str>,
    ) -> Result<(TokenRecord, String), StoreError> {
        let secret = new_secret()?;
        let (profile, label) = (profile.to_string(), label.map(str::to_string));
        let stored = secret.clone();
        let record = self
            .call(move |c| insert(c, &profile, label.as_deref(), &stored))
            .await?;
        Ok((record, secret))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.call(|c| list(c)).await
    }

    pub async fn revoke_token(&self, id: &str) -> Result<TokenRecord, StoreError> {
        let id = id.to_string();
        self.call(move |c| revoke(c, &id)).await
    }

    pub async fn authenticate_token(
        &self,
        secret: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let secret = secret.to_string();
        self.call(move |c| authenticate(c, &secret)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::profile_scope::register(&conn).unwrap();
        super::super::migrate::migrate_to(&mut conn, super::super::migrate::latest_version())
            .unwrap();
        conn
    }

    #[test]
    fn a_token_authenticates_by_secret_until_revoked_and_only_its_hash_is_stored() {
        let conn = conn();
        let secret = new_secret().unwrap();
        let t = insert(&conn, "default", Some("ci"), &secret).unwrap();
        let stored: String = conn
            .query_row("SELECT secret_sha256 FROM api_tokens", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, secret);
        assert_eq!(stored, hash_secret(&secret));
        let found = authenticate(&conn, &secret).unwrap().unwrap();
        assert_eq!(found.id, t.id);
        assert!(authenticate(&conn, "hns_wrong").unwrap().is_none());
        let revoked = revoke(&conn, &t.id[..12]).unwrap();
        assert!(revoked.revoked_at.is_some());
        assert!(authenticate(&conn, &secret).unwrap().is_none());
        assert!(revoke(&conn, "nope").is_err());
        assert_eq!(list(&conn).unwrap().len(), 1);
    }
}
