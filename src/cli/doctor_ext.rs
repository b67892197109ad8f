//! Doctor checks contributed by later capabilities (providers reachable, Docker sandbox).

use super::doctor::Check;
use crate::config::Config;

pub async fn capability_checks(config: Option<&Config>) -> Vec<Check> {
    let _ = config;
    Vec::new()
}
