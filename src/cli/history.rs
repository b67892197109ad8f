//! `harness history`.

use super::{CliContext, CliError, CliResult};

pub async fn run(_ctx: &CliContext, _args: impl std::fmt::Debug) -> CliResult {
    Err(CliError::usage(
        "`harness history` is not available in this build yet",
    ))
}
