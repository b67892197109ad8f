//! The host's end of the agent: one attach to the container's stdin/stdout, made before the
//! container starts (so the agent's first words are not missed) and kept for the container's
//! life. A reader task splits the agent's frames by call id and hands them to the waiting call;
//! writes are whole frames under a lock. When the attach ends (the container stopped) every
//! open call sees its events end, exactly as a `docker exec` stream would.

use super::frame::{self, Frame, RunRequest};
use crate::sandbox::SandboxError;
use crate::sandbox::docker::connect::DockerClient;
use crate::sandbox::docker::orphans::request_error;
use bollard::container::{AttachContainerOptions, LogOutput};
use futures::StreamExt;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// Events per call buffered between the reader and the call (the call drains them at once).
const CALL_BUFFER: usize = 256;
/// The agent's own stderr kept to explain why it stopped.
const STDERR_CAP: usize = 2048;

/// What the agent said about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentEvent {
    Out(Vec<u8>),
    Status(Vec<u8>),
    Exit(i32),
    Failed(String),
}

#[derive(Default)]
struct Calls {
    open: bool,
    senders: HashMap<u64, mpsc::Sender<AgentEvent>>,
}

type Shared = Arc<StdMutex<Calls>>;

pub struct AgentChannel {
    input: tokio::sync::Mutex<Pin<Box<dyn AsyncWrite + Send>>>,
    calls: Shared,
    stderr: Arc<StdMutex<String>>,
    next_id: AtomicU64,
    id_mask: u64,
    reader: tokio::task::JoinHandle<()>,
}

/// Resolves when the agent reports it is up; fails when the attach ends first.
pub struct Ready(oneshot::Receiver<String>);

impl AgentChannel {
    /// Attach to `container` (created, not yet started).
    pub async fn attach(
        client: &DockerClient,
        container: &str,
    ) -> Result<(Self, Ready), SandboxError> {
        let options = AttachContainerOptions::<String> {
            stdin: Some(true),
            stdout: Some(true),
            stderr: Some(true),
            stream: Some(true),
            logs: Some(false),
            detach_keys: None,
        };
        let attached = client
            .docker
            .attach_container(container, Some(options))
            .await
            .map_err(|e| request_error(client, "attach to the sandbox agent", &e))?;
        let calls: Shared = Arc::new(StdMutex::new(Calls {
            open: true,
            ..Calls::default()
        }));
        let stderr = Arc::new(StdMutex::new(String::new()));
        let (ready_tx, ready_rx) = oneshot::channel();
        let reader = tokio::spawn(read_frames(
            attached.output,
            Arc::clone(&calls),
            Arc::clone(&stderr),
            ready_tx,
        ));
        let channel = Self {
            input: tokio::sync::Mutex::new(attached.input),
            calls,
            stderr,
            next_id: AtomicU64::new(1),
            id_mask: fastrand::u64(1..),
            reader,
        };
        Ok((channel, Ready(ready_rx)))
    }

    /// Whether the attach is still up (the container has not stopped).
    pub fn is_open(&self) -> bool {
        lock(&self.calls).open
    }

    /// What the agent wrote on its stderr (why it could not start), on one line.
    pub fn agent_stderr(&self) -> String {
        let text = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Send a command; its events arrive on the receiver. `None` when the channel is closed
    /// (nothing was sent, so nothing ran).
    pub async fn call(&self, request: &RunRequest) -> Option<mpsc::Receiver<AgentEvent>> {
        // Unpredictable, so nothing can address another call's frames by guessing its id.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) ^ self.id_mask;
        let (tx, rx) = mpsc::channel(CALL_BUFFER);
        {
            let mut calls = lock(&self.calls);
            if !calls.open {
                return None;
            }
            calls.senders.insert(id, tx);
        }
        let payload = serde_json::to_vec(request).ok()?;
        if self.write(frame::RUN, id, &payload).await.is_err() {
            lock(&self.calls).senders.remove(&id);
            return None;
        }
        Some(rx)
    }

    /// Ask the agent to kill every process of the call marked `nonce`. Best effort.
    pub async fn reap(&self, nonce: &str) -> bool {
        self.is_open() && self.write(frame::REAP, 0, nonce.as_bytes()).await.is_ok()
    }

    async fn write(&self, kind: u8, id: u64, payload: &[u8]) -> std::io::Result<()> {
        let bytes = frame::encode(kind, id, payload);
        let mut input = self.input.lock().await;
        input.write_all(&bytes).await?;
        input.flush().await
    }
}

impl Drop for AgentChannel {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Ready {
    /// Wait up to `limit` for the agent; `Err` says why it is not there.
    pub async fn wait(self, limit: Duration) -> Result<(), String> {
        match tokio::time::timeout(limit, self.0).await {
            Ok(Ok(version)) if version == frame::VERSION => Ok(()),
            Ok(Ok(version)) => Err(format!(
                "agent protocol {version}, expected {}",
                frame::VERSION
            )),
            Ok(Err(_)) => Err("the agent stopped before it was ready".into()),
            Err(_) => Err(format!(
                "the agent did not answer within {}s",
                limit.as_secs()
            )),
        }
    }
}

fn lock(calls: &Shared) -> std::sync::MutexGuard<'_, Calls> {
    calls
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

type Output =
    Pin<Box<dyn futures::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

async fn read_frames(
    mut output: Output,
    calls: Shared,
    stderr: Arc<StdMutex<String>>,
    ready: oneshot::Sender<String>,
) {
    let mut ready = Some(ready);
    let mut decoder = frame::Decoder::default();
    'stream: while let Some(item) = output.next().await {
        match item {
            Ok(LogOutput::StdOut { message }) => {
                decoder.push(&message);
                loop {
                    match decoder.next_frame() {
                        Ok(Some(f)) => deliver(&calls, f, &mut ready).await,
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!("sandbox agent: {e}; closing the channel");
                            break 'stream;
                        }
                    }
                }
            }
            Ok(LogOutput::StdErr { message }) => {
                let text = String::from_utf8_lossy(&message);
                tracing::warn!("sandbox agent: {}", text.trim());
                if let Ok(mut kept) = stderr.lock() {
                    if kept.len() < STDERR_CAP {
                        kept.push_str(&text);
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!("sandbox agent attach ended: {e}");
                break;
            }
        }
    }
    let mut calls = lock(&calls);
    calls.open = false;
    // Dropping the senders ends every open call's events.
    calls.senders.clear();
}

async fn deliver(calls: &Shared, f: Frame, ready: &mut Option<oneshot::Sender<String>>) {
    let event = match f.kind {
        frame::READY => {
            if let Some(tx) = ready.take() {
                let _ = tx.send(String::from_utf8_lossy(&f.payload).into_owned());
            }
            return;
        }
        frame::OUT => AgentEvent::Out(f.payload),
        frame::STATUS => AgentEvent::Status(f.payload),
        frame::EXIT => {
            let mut code = [0u8; 4];
            if f.payload.len() == 4 {
                code.copy_from_slice(&f.payload);
            }
            AgentEvent::Exit(i32::from_le_bytes(code))
        }
        frame::FAILED => AgentEvent::Failed(String::from_utf8_lossy(&f.payload).into_owned()),
        _ => return,
    };
    let last = matches!(event, AgentEvent::Exit(_) | AgentEvent::Failed(_));
    let sender = {
        let mut calls = lock(calls);
        if last {
            calls.senders.remove(&f.id)
        } else {
            calls.senders.get(&f.id).cloned()
        }
    };
    if let Some(sender) = sender {
        // A call that gave up (cancelled) has dropped its receiver: nothing to do.
        let _ = sender.send(event).await;
    }
}
