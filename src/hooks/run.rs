//! Running one hook: `sh -c COMMAND` in the workspace, on the host, with the allowlisted
//! environment host commands get, the event's JSON on stdin, stdout and stderr read (capped),
//! and the whole process group killed with SIGKILL when its timeout passes or the caller gives
//! up (an interrupted turn drops the future).

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// Bytes of each of stdout and stderr kept.
const OUTPUT_CAP: usize = 16 * 1024;

/// How a hook's process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by a signal (not by the harness).
    Signal,
    TimedOut,
    /// It could not be started at all (the message says why).
    NotStarted(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
}

/// Run `command` with `input` on stdin.
pub async fn run_command(
    command: &str,
    input: &[u8],
    workspace: &Path,
    env: &[(OsString, OsString)],
    timeout: Duration,
) -> Ran {
    let mut cmd = tokio::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(workspace)
        .env_clear()
        .envs(env.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Ran {
                exit: Exit::NotStarted(format!("could not run /bin/sh: {e}")),
                stdout: String::new(),
                stderr: String::new(),
            };
        }
    };
    let group = GroupKiller(child.id().and_then(|id| i32::try_from(id).ok()));
    let stdin = child.stdin.take();
    let input = input.to_vec();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A hook that does not read its input closes the pipe: that is fine.
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        }
    };
    let stdout = read_capped(child.stdout.take());
    let stderr = read_capped(child.stderr.take());
    let work = async {
        let (_, out, err, status) = tokio::join!(feed, stdout, stderr, child.wait());
        (out, err, status)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok((stdout, stderr, status)) => {
            let exit = match status {
                Ok(s) => s.code().map(Exit::Code).unwrap_or(Exit::Signal),
                Err(e) => Exit::NotStarted(format!("waiting for it failed: {e}")),
            };
            // Whatever it left running in its group goes with it.
            group.kill();
            Ran {
                exit,
                stdout,
                stderr,
            }
        }
        Err(_) => {
            group.kill();
            Ran {
                exit: Exit::TimedOut,
                stdout: String::new(),
                stderr: String::new(),
            }
        }
    }
}

/// Kills the hook's process group when dropped (and on request).
struct GroupKiller(Option<i32>);

impl GroupKiller {
    fn kill(&self) {
        if let Some(pgid) = self.0 {
            // ESRCH (nobody left in the group) is the expected, fine outcome.
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Read a pipe to its end, keeping the first [`OUTPUT_CAP`] bytes (as text, invalid UTF-8
/// replaced).
async fn read_capped(pipe: Option<impl AsyncRead + Unpin>) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    let mut dropped = false;
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
                dropped |= n > room;
            }
        }
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if dropped {
        text.push_str("\n[output cut]");
    }
    text
}
