//! `[server]`: where `harness serve` listens and how long a turn waits for an approval over
//! the API before it is denied.

use serde::{Deserialize, Serialize};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port (`--listen` beats it).
    pub listen: String,
    /// Seconds a turn waits for an approval before the call is denied.
    pub approval_timeout_secs: u64,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Turns one token may have in flight at once (more are a 429).
    pub max_turns_per_token: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_string(),
            approval_timeout_secs: 300,
            max_body_bytes: 1024 * 1024,
            max_turns_per_token: 8,
        }
    }
}
