//! One tool call over the agent channel: send the command, collect its output and the wrapper's
//! status frames until the exit frame, then conclude exactly as the `docker exec` path does.
//! A cancelled call (the future dropped) asks the agent to reap its processes; when the channel
//! is gone, a `docker exec` reap does it instead.

use super::channel::{AgentChannel, AgentEvent};
use super::frame::RunRequest;
use crate::sandbox::docker::connect::DockerClient;
use crate::sandbox::docker::exec::{self, ExecFailure, ExitHint, LiveDecoder, Pumped, StatusLines};
use crate::sandbox::truncate::CappedBuffer;
use crate::sandbox::{ExecOutput, ExecRequest, SandboxError};
use std::sync::Arc;

/// Run `request` through the agent of `container`; `cap` bounds the output kept for the model.
pub async fn run(
    client: &DockerClient,
    container: &str,
    channel: &Arc<AgentChannel>,
    request: &ExecRequest,
    cap: usize,
) -> Result<ExecOutput, ExecFailure> {
    exec::check_command(request)?;
    let nonce = exec::new_nonce();
    let started_at = exec::call_started_at();
    let (timeout, deadline) = exec::timeouts(request);
    let run = RunRequest {
        nonce: nonce.clone(),
        timeout,
        command: request.command.clone(),
    };
    // Nothing was sent when this fails, so the call may go to a fresh container.
    let Some(mut events) = channel.call(&run).await else {
        return Err(ExecFailure::ContainerGone);
    };
    let mut guard = ReapGuard {
        client: client.clone(),
        container: container.to_string(),
        channel: Arc::clone(channel),
        nonce: nonce.clone(),
        armed: true,
    };
    let mut kept = CappedBuffer::new(cap);
    let mut live = LiveDecoder::default();
    let mut status = StatusLines::new(&nonce);
    let mut backstop_fired = false;
    let mut exit = None;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => {
                backstop_fired = true;
                break;
            }
            Ok(None) => break,
            Ok(Some(AgentEvent::Out(bytes))) => {
                kept.push(&bytes);
                if let Some(tx) = &request.live_output {
                    let text = live.decode(&bytes);
                    if !text.is_empty() {
                        let _ = tx.try_send(text);
                    }
                }
            }
            Ok(Some(AgentEvent::Status(bytes))) => status.push(&bytes),
            Ok(Some(AgentEvent::Exit(code))) => {
                exit = Some(code);
                break;
            }
            Ok(Some(AgentEvent::Failed(why))) => {
                guard.armed = false;
                // Nothing started: the agent says why and what to do.
                return Err(SandboxError::Failed(why).into());
            }
        }
    }
    drop(events);
    let pumped = Pumped {
        kept,
        status,
        backstop_fired,
        exit_hint: ExitHint::Known(exit),
    };
    let concluded = exec::conclude(client, container, &nonce, started_at, pumped).await;
    guard.armed = false;
    concluded
}

/// Kills the call's processes when the call future is dropped before it finished.
struct ReapGuard {
    client: DockerClient,
    container: String,
    channel: Arc<AgentChannel>,
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
        let channel = Arc::clone(&self.channel);
        let container = std::mem::take(&mut self.container);
        let nonce = std::mem::take(&mut self.nonce);
        runtime.spawn(async move {
            if !channel.reap(&nonce).await {
                exec::reap(&client, &container, &nonce).await;
            }
        });
    }
}
