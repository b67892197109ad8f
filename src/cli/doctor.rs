//! `harness doctor`.

use super::{CliContext, CliError, CliResult};

pub async fn run(_ctx: &CliContext) -> CliResult {
    Err(CliError::usage(
        "`harness doctor` is not available in this build yet",
    ))
}
