//! `harness run`: not built yet; its issue fills this in.

use super::{CliContext, CliError, CliResult};

pub async fn run(_ctx: &CliContext, _args: impl std::fmt::Debug) -> CliResult {
    Err(CliError::usage(
        "`harness run` is not available in this build yet",
    ))
}
