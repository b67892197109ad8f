//! The terminal UI (ratatui over crossterm), a front end over the core's Op/Event protocol.

use crate::cli::{CliContext, CliError, CliResult};

pub async fn run(
    _ctx: CliContext,
    _continue_last: bool,
    _resume: Option<String>,
    _model: Option<String>,
    _agent: Option<String>,
) -> CliResult {
    Err(CliError::usage(
        "the TUI is not available in this build yet; use `harness run`",
    ))
}
