//! Host backend: runs the model's commands directly on this machine, in the workspace, with
//! `bash -c` (or `sh -c` where bash is missing). There is no isolation beyond what this module
//! adds, so it is used only when `[sandbox] backend = "host"` is configured:
//! - stdin is `/dev/null`, so a command waiting for input ends instead of hanging;
//! - the command gets its own process group, and the whole group is killed with SIGKILL when
//!   the timeout elapses, when the command finishes (background jobs do not outlive it), and
//!   when the exec future is dropped (the user interrupted the turn);
//! - the environment is an allowlist: of the harness's own variables only [`ENV_ALLOW`] (locale,
//!   terminal, paths, who the user is) and the names in `[sandbox] env_allow` are passed on, so
//!   a credential under any name (`AWS_SESSION`, `DATABASE_URL`, ...) stays out; names from the
//!   built-in list that look like credentials ([`is_secret_name`]) are dropped all the same;
//! - stdout and stderr share one pipe, so their lines interleave exactly as written, and what is
//!   kept for the model is a [`CappedBuffer`]: gigabytes of output cost constant memory.

use super::truncate::{CappedBuffer, DEFAULT_MODEL_CAP};
use super::{ExecOutput, ExecRequest, Sandbox, SandboxBackend, SandboxError};
use futures::future::BoxFuture;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

/// Substrings (matched case-insensitively) of variable names never passed to commands unless
/// the user lists them in `[sandbox] env_allow`.
pub const SECRET_NAME_PARTS: [&str; 5] = ["KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIAL"];

/// Variables passed to commands by default (plus every `LC_*`).
pub const ENV_ALLOW: [&str; 20] = [
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "USER",
    "LOGNAME",
    "SHELL",
    "TMPDIR",
    "TZ",
    "PWD",
    "HOSTNAME",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "GOPATH",
    "GOROOT",
    "JAVA_HOME",
    "VIRTUAL_ENV",
];

/// After the shell exits, how long to keep reading output that is still in flight from
/// processes that left the process group (setsid) but still hold the pipe.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

const READ_CHUNK: usize = 64 * 1024;

/// Runs commands on the host, confined only by the rules in the module doc.
#[derive(Debug, Clone)]
pub struct HostSandbox {
    workspace: PathBuf,
    shell: PathBuf,
    /// The environment commands start from, before filtering.
    base_env: Vec<(OsString, OsString)>,
    /// `[sandbox] env_allow`.
    env_allow: Vec<String>,
    env: Vec<(OsString, OsString)>,
    output_cap: usize,
}

impl HostSandbox {
    /// A host sandbox running commands in `workspace` (which must be an existing directory),
    /// with the allowlisted part of the harness's own environment.
    pub fn new(workspace: impl AsRef<Path>) -> Result<Self, SandboxError> {
        let workspace = workspace.as_ref();
        let root = workspace.canonicalize().map_err(|e| {
            SandboxError::Failed(format!(
                "workspace {} is not usable ({e}): start harness in an existing directory",
                workspace.display()
            ))
        })?;
        if !root.is_dir() {
            return Err(SandboxError::Failed(format!(
                "workspace {} is not a directory: start harness in a directory",
                root.display()
            )));
        }
        let mut sandbox = Self {
            workspace: root,
            shell: PathBuf::from("/bin/sh"),
            base_env: Vec::new(),
            env_allow: Vec::new(),
            env: Vec::new(),
            output_cap: DEFAULT_MODEL_CAP,
        };
        sandbox = sandbox.with_base_env(std::env::vars_os());
        Ok(sandbox)
    }

    /// Replace the environment commands start from (it is filtered all the same). The shell is
    /// looked up again on this environment's PATH.
    pub fn with_base_env(mut self, vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        self.base_env = vars.into_iter().collect();
        self.refilter()
    }

    /// Also pass these variables (`[sandbox] env_allow`), whatever their names.
    pub fn with_env_allow(mut self, names: &[String]) -> Self {
        self.env_allow = names.to_vec();
        self.refilter()
    }

    fn refilter(mut self) -> Self {
        self.env = filter_env(self.base_env.iter().cloned(), &self.env_allow);
        let path = self
            .env
            .iter()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| value.clone());
        self.shell = find_shell(path.as_deref());
        self
    }

    /// How many bytes of output the model sees (head + tail); the default is
    /// [`DEFAULT_MODEL_CAP`].
    pub fn with_output_cap(mut self, bytes: usize) -> Self {
        self.output_cap = bytes;
        self
    }

    /// The shell commands are given to (`bash`, else `/bin/sh`).
    pub fn shell(&self) -> &Path {
        &self.shell
    }

    /// Long by design: spawn, output pump, timeout, cancel and kill of one process group share
    /// handles whose drop order matters.
    async fn run(&self, request: ExecRequest) -> Result<ExecOutput, SandboxError> {
        // Close-on-exec, so commands running in parallel do not inherit each other's pipe.
        let (reader, writer) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(std::io::Error::from)?;
        let writer_for_stderr = writer.try_clone()?;
        let mut command = tokio::process::Command::new(&self.shell);
        command
            .arg("-c")
            .arg(&request.command)
            .current_dir(&self.workspace)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::from(writer_for_stderr))
            .process_group(0)
            .kill_on_drop(true);
        let spawned = command.spawn();
        // The command holds our copies of the pipe's write end: close them, or the pipe would
        // never report end-of-file.
        drop(command);
        let mut child = spawned.map_err(|e| {
            SandboxError::Failed(format!(
                "could not start {} in {}: {e}",
                self.shell.display(),
                self.workspace.display()
            ))
        })?;
        let mut group = ProcessGroup::new(child.id());
        let mut pipe = tokio::net::unix::pipe::Receiver::from_owned_fd(reader)?;

        let mut captured = CappedBuffer::new(self.output_cap);
        let mut live = request.live_output.map(LiveOutput::new);
        let mut chunk = vec![0u8; READ_CHUNK];
        let deadline = tokio::time::Instant::now() + request.timeout;
        let mut drain_until = deadline;
        let mut status = None;
        let mut eof = false;
        let mut timed_out = false;

        while !(eof && status.is_some()) {
            tokio::select! {
                read = pipe.read(&mut chunk), if !eof => match read {
                    Ok(0) => eof = true,
                    Ok(n) => {
                        captured.push(&chunk[..n]);
                        if let Some(live) = live.as_mut() {
                            live.send(&chunk[..n]);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                },
                waited = child.wait(), if status.is_none() => {
                    status = Some(waited?);
                    // Background jobs still holding the pipe are killed; what they already
                    // wrote stays readable.
                    group.kill();
                    drain_until = deadline.min(tokio::time::Instant::now() + DRAIN_GRACE);
                }
                () = tokio::time::sleep_until(drain_until) => {
                    if status.is_none() {
                        timed_out = true;
                    }
                    break;
                }
            }
        }

        group.kill();
        if timed_out {
            // Reap the shell, then keep what the group wrote before it died.
            status = Some(child.wait().await?);
            let grace = tokio::time::Instant::now() + DRAIN_GRACE;
            loop {
                tokio::select! {
                    read = pipe.read(&mut chunk) => match read {
                        Ok(n) if n > 0 => captured.push(&chunk[..n]),
                        _ => break,
                    },
                    () = tokio::time::sleep_until(grace) => break,
                }
            }
        }
        if let Some(live) = live.as_mut() {
            live.flush();
        }
        group.disarm();

        let exit_code = match status {
            Some(s) if !timed_out => s.code(),
            _ => None,
        };
        Ok(ExecOutput {
            output: captured.render(),
            total_bytes: captured.total_bytes(),
            exit_code,
            timed_out,
            out_of_memory: false,
        })
    }
}

impl Sandbox for HostSandbox {
    fn backend(&self) -> SandboxBackend {
        SandboxBackend::Host
    }

    fn workspace(&self) -> &Path {
        &self.workspace
    }

    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, SandboxError>> {
        Box::pin(self.run(request))
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// Whether an environment variable's name marks it as a credential (see
/// [`SECRET_NAME_PARTS`]).
pub fn is_secret_name(name: &OsStr) -> bool {
    let upper = name.to_string_lossy().to_ascii_uppercase();
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}

/// The part of `vars` commands get: names in [`ENV_ALLOW`] or `LC_*` that do not look like
/// credentials, and every name in `extra` (the user's explicit choice).
pub fn filter_env(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
    extra: &[String],
) -> Vec<(OsString, OsString)> {
    vars.into_iter()
        .filter(|(name, _)| {
            let text = name.to_string_lossy();
            if extra.iter().any(|e| e.as_str() == text) {
                return true;
            }
            let builtin = ENV_ALLOW.contains(&text.as_ref()) || text.starts_with("LC_");
            builtin && !is_secret_name(name)
        })
        .collect()
}

fn find_shell(path: Option<&OsStr>) -> PathBuf {
    let from_path = path.and_then(|p| {
        std::env::split_paths(p)
            .map(|dir| dir.join("bash"))
            .find(|candidate| candidate.is_file())
    });
    from_path
        .or_else(|| {
            ["/bin/bash", "/usr/bin/bash"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

/// The command's process group; killed with SIGKILL on request and when dropped, so that an
/// interrupted exec leaves nothing running.
struct ProcessGroup {
    pgid: Option<Pid>,
}

impl ProcessGroup {
    fn new(leader: Option<u32>) -> Self {
        Self {
            pgid: leader
                .and_then(|id| i32::try_from(id).ok())
                .map(Pid::from_raw),
        }
    }

    fn kill(&mut self) {
        if let Some(pgid) = self.pgid {
            // ESRCH (nobody left in the group) is the expected, fine outcome.
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }

    /// Done with the group: dropping must not signal a process-group id that may be reused.
    fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Live display chunks: decoded lossily, but a character split across two reads is carried
/// over instead of being shown as two replacement characters. A full channel drops the chunk.
struct LiveOutput {
    sender: mpsc::Sender<String>,
    carry: Vec<u8>,
}

impl LiveOutput {
    fn new(sender: mpsc::Sender<String>) -> Self {
        Self {
            sender,
            carry: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        if self.sender.capacity() == 0 || self.sender.is_closed() {
            // Nobody can take it now; only keep the carry consistent.
            self.carry.clear();
            return;
        }
        self.carry.extend_from_slice(bytes);
        let complete = complete_utf8_prefix(&self.carry);
        if complete == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&self.carry[..complete]).into_owned();
        self.carry.drain(..complete);
        let _ = self.sender.try_send(text);
    }

    fn flush(&mut self) {
        if !self.carry.is_empty() {
            let text = String::from_utf8_lossy(&self.carry).into_owned();
            self.carry.clear();
            let _ = self.sender.try_send(text);
        }
    }
}

/// Length of `bytes` without a trailing, possibly incomplete, UTF-8 sequence (at most 3 bytes).
fn complete_utf8_prefix(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=3.min(len) {
        let byte = bytes[len - back];
        if byte & 0b1100_0000 == 0b1000_0000 {
            continue; // continuation byte: look further back for the lead byte
        }
        let needed = match byte {
            b if b & 0b1000_0000 == 0 => 1,
            b if b & 0b1110_0000 == 0b1100_0000 => 2,
            b if b & 0b1111_0000 == 0b1110_0000 => 3,
            b if b & 0b1111_1000 == 0b1111_0000 => 4,
            _ => 1, // invalid lead byte: let lossy decoding replace it now
        };
        return if back < needed { len - back } else { len };
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_recognised_case_insensitively() {
        let cases = [
            ("OPENAI_API_KEY", true),
            ("anthropic_api_key", true),
            ("GITHUB_TOKEN", true),
            ("MySecretThing", true),
            ("AWS_SECRET_ACCESS_KEY", true),
            ("DB_PASSWORD", true),
            ("GOOGLE_APPLICATION_CREDENTIALS", true),
            ("SSH_AUTH_SOCK", false),
            ("PATH", false),
            ("HOME", false),
            ("LANG", false),
            ("TERM", false),
        ];
        for (name, secret) in cases {
            assert_eq!(is_secret_name(OsStr::new(name)), secret, "{name}");
        }
    }

    #[test]
    fn only_allowlisted_variables_pass() {
        let vars = |names: &[&str]| -> Vec<(OsString, OsString)> {
            names
                .iter()
                .map(|n| (OsString::from(n), OsString::from("v")))
                .collect()
        };
        let names = |kept: Vec<(OsString, OsString)>| -> Vec<String> {
            kept.into_iter()
                .map(|(n, _)| n.to_string_lossy().into_owned())
                .collect()
        };
        let all = vars(&[
            "PATH",
            "HOME",
            "LC_ALL",
            "LC_CTYPE",
            "TERM",
            "MY_SECRET_THING",
            "AWS_SESSION",
            "DATABASE_URL",
            "X_TOKEN",
            "PROJECT_MODE",
            "SSH_AUTH_SOCK",
        ]);
        let cases: [(&[&str], &[&str]); 3] = [
            (&[], &["PATH", "HOME", "LC_ALL", "LC_CTYPE", "TERM"]),
            (
                &["PROJECT_MODE", "X_TOKEN"],
                &[
                    "PATH",
                    "HOME",
                    "LC_ALL",
                    "LC_CTYPE",
                    "TERM",
                    "X_TOKEN",
                    "PROJECT_MODE",
                ],
            ),
            (
                &["NOT_SET"],
                &["PATH", "HOME", "LC_ALL", "LC_CTYPE", "TERM"],
            ),
        ];
        for (extra, want) in cases {
            let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
            assert_eq!(names(filter_env(all.clone(), &extra)), want, "{extra:?}");
        }
    }

    #[test]
    fn incomplete_utf8_tails_are_held_back() {
        let e_acute = "é".as_bytes(); // c3 a9
        let euro = "€".as_bytes(); // e2 82 ac
        let cases: Vec<(Vec<u8>, usize)> = vec![
            (b"abc".to_vec(), 3),
            (vec![], 0),
            ([b"ab".as_slice(), &e_acute[..1]].concat(), 2),
            ([b"ab".as_slice(), e_acute].concat(), 4),
            ([b"a".as_slice(), &euro[..2]].concat(), 1),
            ([b"a".as_slice(), euro].concat(), 4),
            (vec![0xff], 1),
        ];
        for (bytes, want) in cases {
            assert_eq!(complete_utf8_prefix(&bytes), want, "{bytes:?}");
        }
    }

    #[tokio::test]
    async fn live_output_reassembles_split_characters() {
        let (tx, mut rx) = mpsc::channel(8);
        let mut live = LiveOutput::new(tx);
        let euro = "€".as_bytes();
        live.send(&[b"a".as_slice(), &euro[..1]].concat());
        live.send(&euro[1..]);
        live.flush();
        let mut got = String::new();
        while let Ok(chunk) = rx.try_recv() {
            got.push_str(&chunk);
        }
        assert_eq!(got, "a€");
    }
}
