//! The agent's side inside the container: `harness __sandbox-agent`, the container's main
//! process (under Docker's init). It reads [`frame`](super::frame)s from stdin and runs each
//! command under the same `wrapper.sh` a `docker exec` call uses, so the timeout, the process
//! group kill, the marker reap and the OOM counts are exactly those of the exec path; the agent
//! only replaces the Docker API round trip. Plain threads and blocking I/O: a call costs a fork
//! and two short-lived threads, nothing else. Calls run concurrently; frames are written whole
//! under one lock.

use super::frame::{self, Frame, RunRequest};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Output chunk size: one frame per read of the command's pipe.
const CHUNK: usize = 64 * 1024;
/// How long after the wrapper exits its output pipes may stay open (held by a process that
/// escaped the reap) before the exit is reported without them.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

type Sink = Arc<Mutex<std::io::Stdout>>;

/// Run the agent until stdin closes. Returns the process exit code.
pub fn serve() -> std::process::ExitCode {
    // Not dumpable: its /proc entries (and so its stdin and stdout, the channel to the host)
    // belong to root, out of reach of the commands it runs as the same uid.
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        say(&format!("cannot protect its channel (prctl: {e})"));
        return std::process::ExitCode::FAILURE;
    }
    let sink: Sink = Arc::new(Mutex::new(std::io::stdout()));
    send(&sink, frame::READY, 0, frame::VERSION.as_bytes());
    let mut stdin = std::io::stdin().lock();
    let mut decoder = frame::Decoder::default();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => return std::process::ExitCode::SUCCESS,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                say(&format!("cannot read its input: {e}"));
                return std::process::ExitCode::FAILURE;
            }
        };
        decoder.push(&buf[..n]);
        loop {
            match decoder.next_frame() {
                Ok(Some(f)) => dispatch(&sink, f),
                Ok(None) => break,
                Err(e) => {
                    say(&format!("{e}"));
                    return std::process::ExitCode::FAILURE;
                }
            }
        }
    }
}

fn dispatch(sink: &Sink, f: Frame) {
    match f.kind {
        frame::RUN => match serde_json::from_slice::<RunRequest>(&f.payload) {
            Ok(request) => start_call(sink, f.id, request),
            Err(e) => send_failed(sink, f.id, &format!("unreadable request: {e}")),
        },
        frame::REAP => {
            let nonce = String::from_utf8_lossy(&f.payload).into_owned();
            reap(&nonce);
        }
        other => send_failed(sink, f.id, &format!("unknown frame kind {other}")),
    }
}

fn send(sink: &Sink, kind: u8, id: u64, payload: &[u8]) {
    let bytes = frame::encode(kind, id, payload);
    let mut out = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // A host that went away cannot be told anything; the agent keeps serving other input.
    let _ = out.write_all(&bytes).and_then(|()| out.flush());
}

/// One line on the agent's stderr (the host logs it; it explains an agent that stopped).
fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "harness sandbox agent: {line}");
}

fn send_failed(sink: &Sink, id: u64, why: &str) {
    send(sink, frame::FAILED, id, why.as_bytes());
}

/// Start one call: the wrapper with its arguments, its pipes pumped into frames by threads.
fn start_call(sink: &Sink, id: u64, request: RunRequest) {
    let via_stdin = request.command.len() > super::INLINE_COMMAND_MAX;
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(super::wrapper_script())
        .args(["harness-exec", &request.nonce, &request.timeout])
        .env("HARNESS_EXEC", &request.nonce)
        .current_dir(super::super::container::WORKSPACE_MOUNT)
        .stdin(if via_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if via_stdin {
        command.args(["", "stdin"]);
    } else {
        command.arg(&request.command);
    }
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return send_failed(
                sink,
                id,
                "the sandbox image has no /bin/sh, which commands run under: use an image with \
                 a shell ([sandbox] image or .harness/Dockerfile)",
            );
        }
        Err(e) => {
            return send_failed(
                sink,
                id,
                &format!(
                    "the sandbox could not start the command's shell ({e}): it may be at its \
                     process limit ([sandbox] pids); try again"
                ),
            );
        }
    };
    let sink = Arc::clone(sink);
    let spawned = std::thread::Builder::new()
        .name("call".into())
        .spawn(move || supervise(&sink, id, child, via_stdin.then_some(request.command)));
    if let Err(e) = spawned {
        // The child runs on unsupervised; its own watchdog still ends it.
        say(&format!("cannot start a thread for call {id}: {e}"));
    }
}

/// Pump the call's pipes, wait for the wrapper, report its exit after its output.
fn supervise(sink: &Sink, id: u64, mut child: Child, stdin_command: Option<String>) {
    let (done_tx, done_rx) = mpsc::channel::<()>();
    if let (Some(mut input), Some(text)) = (child.stdin.take(), stdin_command) {
        std::thread::spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
    }
    let mut pumps = 0;
    for (pipe, kind) in [
        (
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            frame::OUT,
        ),
        (
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            frame::STATUS,
        ),
    ] {
        let Some(pipe) = pipe else { continue };
        let sink = Arc::clone(sink);
        let done = done_tx.clone();
        if std::thread::Builder::new()
            .spawn(move || {
                pump(&sink, id, kind, pipe);
                let _ = done.send(());
            })
            .is_ok()
        {
            pumps += 1;
        }
    }
    drop(done_tx);
    let status = match child.wait() {
        Ok(status) => frame::exit_status(status),
        Err(_) => 255,
    };
    for _ in 0..pumps {
        if done_rx.recv_timeout(DRAIN_GRACE).is_err() {
            break;
        }
    }
    send(sink, frame::EXIT, id, &status.to_le_bytes());
}

fn pump(sink: &Sink, id: u64, kind: u8, mut pipe: Box<dyn Read + Send>) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => send(sink, kind, id, &buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Kill every process of a cancelled call (the host no longer waits for it).
fn reap(nonce: &str) {
    let spawned = Command::new("/bin/sh")
        .arg("-c")
        .arg(super::super::exec::REAP)
        .args(["harness-reap", nonce])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Ok(mut child) = spawned {
        std::thread::spawn(move || {
            let _ = child.wait();
        });
    }
}
