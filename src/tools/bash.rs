//! `bash`: runs one shell command through the conversation's sandbox and tells the model what
//! came out (stdout and stderr interleaved, capped head + tail) and how it ended (exit code,
//! timeout, out of memory, interrupted). The timeout is the model's `timeout_secs` if given,
//! else `[sandbox] timeout_secs`, never more than [`MAX_TIMEOUT_SECS`] (or the configured
//! default, if that is larger).

use super::arguments::parse_arguments;
use super::{ApprovalPreview, Tool, ToolContext, ToolOutput};
use crate::checkpoint::BashGuard;
use crate::sandbox::paths::workspace_root;
use crate::sandbox::{ExecOutput, ExecRequest};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Upper bound for a model-chosen timeout.
pub const MAX_TIMEOUT_SECS: u64 = 600;

pub struct BashTool;

#[derive(Debug, Deserialize)]
struct BashArgs {
    command: String,
    timeout_secs: Option<u64>,
}

impl BashTool {
    /// The timeout a call gets: the model's choice bounded by the maximum, else the default.
    pub fn effective_timeout(requested_secs: Option<u64>, default: Duration) -> Duration {
        let max = Duration::from_secs(MAX_TIMEOUT_SECS).max(default);
        match requested_secs {
            Some(secs) => Duration::from_secs(secs.max(1)).min(max),
            None => default.min(max),
        }
    }
}

impl Tool for BashTool {
    fn name(&self) -> &str {
        "bash"
    }

    fn description(&self) -> &str {
        "Run a shell command (bash -c) in the workspace directory and return its combined \
         stdout and stderr and its exit code. stdin is empty, so interactive commands fail \
         instead of waiting. Long output is cut in the middle. The command and everything it \
         started are killed when it finishes or times out (timeout_secs, default from the \
         configuration); background jobs do not survive. Prefer the read, glob and grep tools \
         for looking at files."
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {
                    "type": "string",
                    "description": "The command line to run with bash -c."
                },
                "timeout_secs": {
                    "type": "integer",
                    "minimum": 1,
                    "description": format!("Seconds before the command is killed (at most {MAX_TIMEOUT_SECS}).")
                }
            },
            "required": ["command"]
        })
    }

    fn needs_approval(&self) -> bool {
        true
    }

    fn preview(&self, arguments: &Value, _ctx: &ToolContext) -> Result<ApprovalPreview, String> {
        let args: BashArgs = parse_arguments(self, arguments)?;
        if args.command.trim().is_empty() {
            return Err(empty_command());
        }
        Ok(ApprovalPreview::Command(args.command))
    }

    fn execute(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'_, ToolOutput> {
        Box::pin(async move {
            let args: BashArgs = match parse_arguments(self, &arguments) {
                Ok(args) => args,
                Err(message) => return ToolOutput::error(message),
            };
            if args.command.trim().is_empty() {
                return ToolOutput::error(empty_command());
            }
            if ctx.cancel.is_cancelled() {
                return ToolOutput::error("[interrupted by the user before the command started]");
            }
            let timeout = Self::effective_timeout(args.timeout_secs, ctx.default_timeout);
            let request = ExecRequest {
                command: args.command,
                timeout,
                live_output: ctx.live_output.clone(),
            };
            // Before the exec future, so it is dropped after it (the command is dead by then).
            let guard = before_bash(&ctx).await;
            // Dropping the exec future on interrupt kills the command's whole process group.
            let result = tokio::select! {
                result = ctx.sandbox.exec(request) => result,
                () = ctx.cancel.cancelled() => {
                    return ToolOutput::error(
                        "[interrupted by the user: the command and everything it started were killed]",
                    );
                }
            };
            if let Some(guard) = guard {
                let _ = tokio::task::spawn_blocking(move || guard.finish()).await;
            }
            match result {
                Ok(output) => render(&output, timeout),
                Err(e) => ToolOutput::error(format!(
                    "the command could not be run: {e}; check the [sandbox] configuration (harness doctor)"
                )),
            }
        })
    }
}

/// Snapshot the workspace (on the host: the Docker sandbox bind-mounts the same directory)
/// when the turn is checkpointed.
async fn before_bash(ctx: &ToolContext) -> Option<BashGuard> {
    let checkpoint = ctx.checkpoint.clone()?;
    let root = workspace_root(ctx.sandbox.workspace());
    tokio::task::spawn_blocking(move || checkpoint.before_bash(&root))
        .await
        .ok()
}

fn empty_command() -> String {
    "`command` is empty: give the shell command to run, e.g. {\"command\": \"ls -la\"}".to_string()
}

/// The model's view of a finished command: the output, then one line saying how it ended.
pub fn render(output: &ExecOutput, timeout: Duration) -> ToolOutput {
    let mut text = output.output.clone();
    if text.is_empty() {
        text.push_str("(no output)\n");
    } else if !text.ends_with('\n') {
        text.push('\n');
    }
    let (status, is_error) = if output.timed_out {
        (
            format!(
                "[timed out after {}s: the command and everything it started were killed; \
                 pass a larger timeout_secs or make the command faster]",
                timeout.as_secs()
            ),
            true,
        )
    } else if output.out_of_memory {
        (
            "[killed: out of memory; the sandbox memory limit was reached]".to_string(),
            true,
        )
    } else {
        match output.exit_code {
            Some(0) => ("[exit code 0]".to_string(), false),
            Some(code) => (format!("[exit code {code}]"), true),
            None => ("[killed by a signal]".to_string(), true),
        }
    };
    text.push_str(&status);
    ToolOutput {
        content: text,
        is_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_bounded() {
        let default = Duration::from_secs(120);
        let cases = [
            (None, default, 120),
            (Some(5), default, 5),
            (Some(0), default, 1),
            (Some(100_000), default, MAX_TIMEOUT_SECS),
            (Some(2000), Duration::from_secs(1800), 1800),
            (None, Duration::from_secs(1800), 1800),
        ];
        for (requested, default, want) in cases {
            assert_eq!(
                BashTool::effective_timeout(requested, default),
                Duration::from_secs(want),
                "{requested:?} {default:?}"
            );
        }
    }

    #[test]
    fn endings_are_described() {
        let out = |output: &str, exit_code, timed_out, out_of_memory| ExecOutput {
            output: output.to_string(),
            total_bytes: output.len() as u64,
            exit_code,
            timed_out,
            out_of_memory,
        };
        let t = Duration::from_secs(7);
        let cases = [
            (
                out("hi\n", Some(0), false, false),
                "hi\n[exit code 0]",
                false,
            ),
            (out("hi", Some(0), false, false), "hi\n[exit code 0]", false),
            (
                out("", Some(0), false, false),
                "(no output)\n[exit code 0]",
                false,
            ),
            (
                out("bad\n", Some(2), false, false),
                "bad\n[exit code 2]",
                true,
            ),
            (
                out("", None, false, false),
                "(no output)\n[killed by a signal]",
                true,
            ),
            (
                out("x\n", None, true, false),
                "x\n[timed out after 7s: the command and everything it started were killed; pass a larger timeout_secs or make the command faster]",
                true,
            ),
            (
                out("", Some(137), false, true),
                "(no output)\n[killed: out of memory; the sandbox memory limit was reached]",
                true,
            ),
        ];
        for (output, want, is_error) in cases {
            let got = render(&output, t);
            assert_eq!(got.content, want);
            assert_eq!(got.is_error, is_error, "{want}");
        }
    }
}
