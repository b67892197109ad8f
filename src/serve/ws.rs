//! The channel WebSocket (`GET /api/conversations/{id}/ws`, docs/channel-protocol.md): the
//! client sends `Op`s as JSON text frames, the server sends every `Event` of the conversation's
//! session as JSON text frames (the `run --json` shape). Several clients on one conversation
//! join one session and see the same events; one turn at a time (a refused turn gets an `error`
//! event). A frame that is not an `Op` gets an `error` event and the socket stays open.

use super::ServeState;
use super::auth::Caller;
use super::conversations::visible;
use super::problem::Problem;
use crate::core::{SessionHandle, SessionOptions, SessionStart};
use crate::message::ConversationId;
use crate::protocol::{Event, Op};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, Path, State};
use axum::response::Response;
use futures::{SinkExt, StreamExt};

pub async fn upgrade(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ws: WebSocketUpgrade,
) -> Result<Response, Problem> {
    let id = visible(&state, &caller, &id).await?;
    let handle = open(&state, &caller, id).await?;
    Ok(ws.on_upgrade(move |socket| channel(socket, handle)))
}

async fn open(
    state: &ServeState,
    caller: &super::auth::Caller,
    id: ConversationId,
) -> Result<SessionHandle, Problem> {
    state
        .core_for(caller)
        .open(SessionOptions {
            start: SessionStart::Resume(id.to_string()),
            model: None,
            agent: None,
            approval: None,
            headless: false,
        })
        .await
        .map_err(|e| Problem::bad_request(e.to_string()))
}

/// Pass frames both ways until either side ends; then leave the session (a turn running goes
/// on for the other clients, or to its end and is stored).
async fn channel(socket: WebSocket, mut handle: SessionHandle) {
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            event = handle.events.recv() => {
                let Some(event) = event else { break };
                let Ok(text) = serde_json::to_string(&event) else { continue };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            frame = stream.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                match serde_json::from_str::<Op>(text.as_str()) {
                    Ok(Op::Shutdown) => break,
                    Ok(op) => {
                        if handle.ops.send(op).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let error = Event::Error {
                            message: format!("not an Op ({e}): see docs/channel-protocol.md"),
                            retryable: false,
                        };
                        let text = serde_json::to_string(&error).unwrap_or_default();
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }
    let _ = handle.ops.send(Op::Shutdown);
    let _ = sink.close().await;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), handle.task).await;
}
