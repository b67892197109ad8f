//! One tool call = one exec. The command runs under `wrapper.sh`, which enforces the timeout
//! inside the container (killing the host side of an exec would leave the command running),
//! kills everything the command started when it ends, and reports exit status, timeout and the
//! container's OOM-kill count on its own stderr (the command's stderr is merged into stdout).
//! Output is kept in a [`CappedBuffer`] (constant memory however much is written) and copied to
//! the live channel with `try_send`. If the future is dropped mid-call, a guard runs a second
//! exec that kills every process carrying the call's marker, so nothing survives a cancel.
//! The agent (`super::agent`) reuses the wrapper, the status parsing and [`conclude`]; only the
//! transport differs.

use super::connect::DockerClient;
use super::container::WORKSPACE_MOUNT;
use super::orphans::request_error;
use crate::sandbox::truncate::CappedBuffer;
use crate::sandbox::{ExecOutput, ExecRequest, SandboxError};
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::StreamExt;
use std::time::Duration;

/// `wrapper.sh` without its comments and blank lines (sent with every call, shown by `ps`).
static WRAPPER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    include_str!("wrapper.sh")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
});
/// The wrapper script, as every call runs it (`sh -c WRAPPER harness-exec NONCE TIMEOUT CMD`).
pub(crate) fn wrapper_script() -> &'static str {
    &WRAPPER
}

/// Kills every process whose environment carries `HARNESS_EXEC=$1` (a call's marker) and removes
/// the call's command file, if it had one.
pub(crate) const REAP: &str = r#"n=$1 r=0
while [ $r -lt 5 ]; do
  r=$((r + 1)) k=0
  for d in /proc/[0-9]*; do
    if grep -qs "HARNESS_EXEC=$n" "$d/environ"; then kill -KILL "${d#/proc/}" 2>/dev/null && k=1; fi
  done
  [ $k = 0 ] && break
done
rm -f "/tmp/.harness-cmd-$n"
o=0
for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do
  if [ -r "$f" ]; then
    while read -r k v; do if [ "$k" = oom_kill ]; then o=$v; fi; done < "$f"
    break
  fi
done
echo "HARNESS-OOM $o""#;
/// Longer commands go over stdin: one argument may hold at most 128 KiB (MAX_ARG_STRLEN).
pub(crate) const INLINE_COMMAND_MAX: usize = 64 * 1024;
/// Timeouts are clamped to this (a larger one would overflow the clock or `sleep`).
const MAX_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long after the timeout the host stops waiting for the in-container kill to be reported.
const BACKSTOP_GRACE: Duration = Duration::from_secs(5);
/// The wrapper's own stderr is a few status lines; anything beyond this is dropped.
const STATUS_CAP: usize = 16 * 1024;
const START_TAG: &str = "HARNESS-START";
const TIMEOUT_TAG: &str = "HARNESS-TIMEOUT";
const OOM_TAG: &str = "HARNESS-OOM";
const STATUS_TAG: &str = "HARNESS-STATUS";

/// Why an exec did not produce an [`ExecOutput`].
#[derive(Debug)]
pub enum ExecFailure {
    /// The container is gone or stopped before the command started: make a new one and try
    /// again.
    ContainerGone,
    /// The container stopped while the command ran (it may have done part of its work): never
    /// retried. The output says what happened; the container must be replaced.
    DiedDuringCall(ExecOutput),
    Sandbox(SandboxError),
}

impl From<SandboxError> for ExecFailure {
    fn from(e: SandboxError) -> Self {
        ExecFailure::Sandbox(e)
    }
}

/// A new call's marker (`HARNESS_EXEC`), which every process it starts inherits.
pub(crate) fn new_nonce() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// Refuse what no shell can run before anything starts.
pub(crate) fn check_command(request: &ExecRequest) -> Result<(), ExecFailure> {
    if request.command.contains('\0') {
        return Err(SandboxError::Failed(
            "the command contains a NUL byte, which no shell can run: remove it".into(),
        )
        .into());
    }
    Ok(())
}

/// The timeout as the wrapper takes it, and the host's backstop deadline after it.
pub(crate) fn timeouts(request: &ExecRequest) -> (String, tokio::time::Instant) {
    let timeout = request.timeout.min(MAX_TIMEOUT);
    let deadline = tokio::time::Instant::now() + timeout + BACKSTOP_GRACE;
    (shell_duration(timeout), deadline)
}

/// Unix seconds just before a call starts (for the engine's OOM events).
pub(crate) fn call_started_at() -> u64 {
    unix_now().saturating_sub(1)
}

/// Where the wrapper's exit status comes from when its status line is missing.
pub(crate) enum ExitHint {
    /// Ask the engine about this exec.
    Exec(String),
    /// The agent saw the wrapper end with this status (`None`: the channel ended first).
    Known(Option<i32>),
}

/// Everything a call's streams delivered, handed to [`conclude`].
pub(crate) struct Pumped {
    pub kept: CappedBuffer,
    pub status: StatusLines,
    pub backstop_fired: bool,
    pub exit_hint: ExitHint,
}

/// Run `request` in `container`; `cap` bounds the output kept for the model.
///
/// Long by design: start, output pump, timeout, cancel and clean-up share one set of handles whose
/// drop order matters.
pub async fn run(
    client: &DockerClient,
    container: &str,
    request: &ExecRequest,
    cap: usize,
) -> Result<ExecOutput, ExecFailure> {
    check_command(request)?;
    let nonce = new_nonce();
    let started_at = call_started_at();
    let (timeout, deadline) = timeouts(request);
    let via_stdin = request.command.len() > INLINE_COMMAND_MAX;
    let mut cmd = vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        WRAPPER.clone(),
        "harness-exec".to_string(),
        nonce.clone(),
        timeout,
    ];
    if via_stdin {
        cmd.extend([String::new(), "stdin".to_string()]);
    } else {
        cmd.push(request.command.clone());
    }
    let options = CreateExecOptions {
        attach_stdin: Some(via_stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(false),
        env: Some(vec![format!("HARNESS_EXEC={nonce}")]),
        cmd: Some(cmd),
        working_dir: Some(WORKSPACE_MOUNT.to_string()),
        ..Default::default()
    };
    let created = client
        .docker
        .create_exec(container, options)
        .await
        .map_err(|e| exec_error(client, &e))?;
    let mut guard = ReapGuard {
        client: client.clone(),
        container: container.to_string(),
        nonce: nonce.clone(),
        armed: true,
    };
    let start = StartExecOptions {
        detach: false,
        tty: false,
        output_capacity: Some(64 * 1024),
    };
    let started = client
        .docker
        .start_exec(&created.id, Some(start))
        .await
        .map_err(|e| exec_error(client, &e))?;
    let StartExecResults::Attached {
        mut output,
        mut input,
    } = started
    else {
        return Err(SandboxError::Failed("docker started the exec detached".into()).into());
    };
    if via_stdin {
        use tokio::io::AsyncWriteExt;
        let sent = async {
            input.write_all(request.command.as_bytes()).await?;
            input.shutdown().await
        };
        sent.await.map_err(|e| {
            SandboxError::Failed(format!(
                "could not hand the command to the sandbox: {e}; try again, or put the long \
                 command in a script file in the workspace and run that"
            ))
        })?;
    }
    drop(input);

    let mut kept = CappedBuffer::new(cap);
    let mut live = LiveDecoder::default();
    let mut status = StatusLines::new(&nonce);
    let mut backstop_fired = false;
    loop {
        match tokio::time::timeout_at(deadline, output.next()).await {
            Err(_) => {
                backstop_fired = true;
                break;
            }
            Ok(None) => break,
            Ok(Some(Ok(LogOutput::StdOut { message }))) => {
                kept.push(&message);
                if let Some(tx) = &request.live_output {
                    let text = live.decode(&message);
                    if !text.is_empty() {
                        let _ = tx.try_send(text);
                    }
                }
            }
            Ok(Some(Ok(LogOutput::StdErr { message }))) => status.push(&message),
            Ok(Some(Ok(_))) => {}
            // Never `ContainerGone` here: the command has run (partly), so it must not be retried.
            Ok(Some(Err(e))) => {
                return Err(request_error(client, "stream the command's output", &e).into());
            }
        }
    }
    drop(output);
    let pumped = Pumped {
        kept,
        status,
        backstop_fired,
        exit_hint: ExitHint::Exec(created.id.clone()),
    };
    let concluded = conclude(client, container, &nonce, started_at, pumped).await;
    guard.armed = false;
    concluded
}

/// Turn what a call's streams delivered into its outcome: the wrapper's report, or, when it
/// never came, the clean-up and the reasons (timeout backstop, OOM, a dead container).
pub(crate) async fn conclude(
    client: &DockerClient,
    container: &str,
    nonce: &str,
    started_at: u64,
    pumped: Pumped,
) -> Result<ExecOutput, ExecFailure> {
    let Pumped {
        kept,
        status,
        backstop_fired,
        exit_hint,
    } = pumped;
    let report = status.finish();
    let mut oom_now = None;
    if backstop_fired || report.exit.is_none() {
        // The wrapper did not finish its own clean-up (killed, or the engine stalled): do it here.
        oom_now = reap(client, container, nonce).await;
    }

    if backstop_fired {
        return Ok(ExecOutput {
            output: kept.render(),
            total_bytes: kept.total_bytes(),
            exit_code: None,
            timed_out: true,
            out_of_memory: false,
        });
    }
    let Some(exit) = report.exit else {
        let counted = match (report.oom_before, oom_now) {
            (Some(before), Some(now)) => now > before,
            _ => false,
        };
        let evidence = counted || oom_event_since(client, container, started_at).await;
        return wrapper_died(
            client,
            container,
            exit_hint,
            kept,
            &report.other,
            report.oom_before.is_some(),
            evidence,
        )
        .await;
    };
    let out_of_memory = report.oom_after > report.oom_before.unwrap_or(0)
        || (exit == 137 && oom_event_since(client, container, started_at).await);
    let exit_code = if report.timed_out || (out_of_memory && exit == 137) {
        None
    } else {
        Some(exit)
    };
    Ok(ExecOutput {
        output: kept.render(),
        total_bytes: kept.total_bytes(),
        exit_code,
        timed_out: report.timed_out,
        out_of_memory,
    })
}

/// The wrapper ended without its status line: the exec never ran (no shell in the image), the
/// command killed the wrapper, or the container died under it (its init OOM-killed, stopped).
/// `oom_evidence`: the container's OOM-kill count rose during the call.
async fn wrapper_died(
    client: &DockerClient,
    container: &str,
    exit_hint: ExitHint,
    mut kept: CappedBuffer,
    stderr: &str,
    started: bool,
    oom_evidence: bool,
) -> Result<ExecOutput, ExecFailure> {
    let state = client
        .docker
        .inspect_container(container, None)
        .await
        .ok()
        .and_then(|c| c.state);
    let running = state.as_ref().and_then(|s| s.running);
    if running == Some(false) {
        if !started {
            // The keeper could not start (no `sleep`), or the container stopped before the
            // command began (the wrapper announces the start first): nothing ran, a new
            // container may try again.
            return Err(ExecFailure::ContainerGone);
        }
        let oom_killed = state.as_ref().and_then(|s| s.oom_killed) == Some(true);
        let why = if oom_killed {
            "out of memory: the container reached the sandbox memory limit (files in /tmp count \
             against it) and was killed"
                .to_string()
        } else {
            super::container::why_stopped(client, container).await
        };
        let gap = if kept.total_bytes() > 0 { "\n" } else { "" };
        kept.push(
            format!(
                "{gap}[the sandbox container stopped while the command ran ({why}); the command was \
                 not run again: check what it did before running it again in a fresh container \
                 (/tmp and $HOME start empty)]\n"
            )
            .as_bytes(),
        );
        return Err(ExecFailure::DiedDuringCall(ExecOutput {
            output: kept.render(),
            total_bytes: kept.total_bytes(),
            exit_code: None,
            timed_out: false,
            out_of_memory: oom_killed,
        }));
    }
    let rendered = kept.render();
    if !started && stopping(&format!("{rendered}{stderr}")) {
        // The engine refused to run the exec in a container that is stopping: nothing ran.
        return Err(ExecFailure::ContainerGone);
    }
    let exit = match exit_hint {
        ExitHint::Known(exit) => exit,
        ExitHint::Exec(id) => {
            let inspected = client.docker.inspect_exec(&id).await.ok();
            inspected
                .and_then(|i| i.exit_code)
                .and_then(|c| i32::try_from(c).ok())
        }
    };
    let text = format!("{rendered}{stderr}");
    if text.contains("OCI runtime exec failed") || (rendered.is_empty() && exit == Some(127)) {
        return Err(SandboxError::Failed(format!(
            "the sandbox image cannot run commands ({}): it needs /bin/sh; use an image with a \
             shell ([sandbox] image or .harness/Dockerfile)",
            text.trim()
        ))
        .into());
    }
    if !stderr.is_empty() {
        kept.push(stderr.as_bytes());
    }
    let out_of_memory = exit == Some(137) && oom_evidence;
    Ok(ExecOutput {
        output: kept.render(),
        total_bytes: kept.total_bytes(),
        exit_code: if out_of_memory { None } else { exit },
        timed_out: false,
        out_of_memory,
    })
}

/// Whether the engine recorded an OOM kill in `container` since `since` (unix seconds): the
/// evidence that works when the container's own counters cannot be read (cgroup layout) or an
/// exec cannot run to read them (the memory is still full).
async fn oom_event_since(client: &DockerClient, container: &str, since: u64) -> bool {
    let filters = std::collections::HashMap::from([
        ("container".to_string(), vec![container.to_string()]),
        ("event".to_string(), vec!["oom".to_string()]),
    ]);
    let options = bollard::system::EventsOptions::<String> {
        since: Some(since.to_string()),
        until: Some((unix_now() + 1).to_string()),
        filters,
    };
    let mut events = client.docker.events(Some(options));
    let found = tokio::time::timeout(Duration::from_secs(5), events.next()).await;
    matches!(found, Ok(Some(Ok(_))))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An error creating or starting the exec (the command has not run, so a retry is safe).
fn exec_error(client: &DockerClient, error: &bollard::errors::Error) -> ExecFailure {
    match error {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } if container_gone(*status_code, message) => ExecFailure::ContainerGone,
        e => ExecFailure::Sandbox(request_error(client, "run the command", e)),
    }
}

/// Whether the runtime's words say the exec could not start because the container is stopping.
fn stopping(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("cannot exec in a stopped state")
        || text.contains("container is not running")
        || text.contains("is not running")
}

/// Whether the engine says the container is missing or not running (wording varies by status).
fn container_gone(status: u16, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    matches!(status, 404 | 409)
        || message.contains("is not running")
        || message.contains("no such container")
        || message.contains("is restarting")
        || message.contains("is paused")
}

/// Kill every process of the call marked `nonce`, waiting until the kill exec has finished.
/// Returns the container's OOM-kill count afterwards, when it could be read.
pub async fn reap(client: &DockerClient, container: &str, nonce: &str) -> Option<u64> {
    let options = CreateExecOptions {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        cmd: Some(vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            REAP.to_string(),
            "harness-reap".to_string(),
            nonce.to_string(),
        ]),
        ..Default::default()
    };
    let result = async {
        let created = client.docker.create_exec(container, options).await?;
        let mut said = Vec::new();
        if let StartExecResults::Attached { mut output, .. } =
            client.docker.start_exec(&created.id, None).await?
        {
            while let Some(chunk) = output.next().await {
                if let Ok(LogOutput::StdOut { message }) = chunk {
                    if said.len() < STATUS_CAP {
                        said.extend_from_slice(&message);
                    }
                }
            }
        }
        Ok::<Vec<u8>, bollard::errors::Error>(said)
    };
    match tokio::time::timeout(Duration::from_secs(30), result).await {
        Ok(Ok(said)) => String::from_utf8_lossy(&said).lines().find_map(|l| {
            l.strip_prefix(OOM_TAG)
                .and_then(|rest| rest.trim().parse().ok())
        }),
        Ok(Err(e)) => {
            tracing::warn!(container, "could not clean up a cancelled command: {e}");
            None
        }
        Err(_) => {
            tracing::warn!(container, "cleaning up a cancelled command timed out");
            None
        }
    }
}

/// Kills the call's processes when the exec future is dropped before it finished.
struct ReapGuard {
    client: DockerClient,
    container: String,
    nonce: String,
    armed: bool,
}

impl Drop for ReapGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(container = %self.container, "no runtime to clean up a cancelled command");
            return;
        };
        let client = self.client.clone();
        let container = std::mem::take(&mut self.container);
        let nonce = std::mem::take(&mut self.nonce);
        runtime.spawn(async move {
            reap(&client, &container, &nonce).await;
        });
    }
}

/// A duration as `sleep` accepts it: whole seconds, or seconds with milliseconds.
fn shell_duration(d: Duration) -> String {
    let millis = d.subsec_millis();
    if millis == 0 {
        d.as_secs().to_string()
    } else {
        format!("{}.{millis:03}", d.as_secs())
    }
}

mod status;
#[cfg(test)]
use status::StatusReport;
pub(crate) use status::{LiveDecoder, StatusLines};

#[cfg(test)]
mod tests;
