//! Turns over HTTP: `POST .../messages` opens (or joins) the conversation's session on the
//! shared core and sends one `UserTurn`; a task per turn drives it to its `done` whether or not
//! the client stays (a client that goes away does not cancel the turn; the reply is stored
//! either way). With `Accept: text/event-stream` the client gets the `run --json` events as SSE,
//! otherwise the turn's messages when it ends. Approval requests wait for
//! `POST .../approvals/{call_id}` up to `[server] approval_timeout_secs`, then are denied.

use super::ServeState;
use super::auth::Caller;
use super::conversations::visible;
use super::inflight::Claim;
use super::problem::{Problem, body_bytes, parse_json};
use crate::core::{SessionHandle, SessionOptions, SessionStart};
use crate::message::ConversationId;
use crate::protocol::{ApprovalDecision, ApprovalMode, Event, Op};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The start of the error the core sends (to the sender only) for a turn refused because
/// another one is running in the conversation.
const BUSY: &str = "a turn is already running";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    pub content: String,
    pub model: Option<String>,
    pub agent: Option<String>,
    pub approve: Option<ApprovalMode>,
}

pub async fn send(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body: SendBody = parse_json(&body_bytes(body)?)?;
    if body.content.trim().is_empty() {
        return Err(Problem::bad_request(
            "`content` is empty: send the user's message text",
        ));
    }
    let id = visible(&state, &caller, &id).await?;
    let streaming = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    let before = state
        .store_for(&caller)
        .messages_page(id, None, 1)
        .await?
        .last()
        .map_or(0, |m| m.ordinal);
    let (first, events) = start(&state, &caller, id, body).await?;
    if streaming {
        return Ok(sse(first, events).into_response());
    }
    let done = collect(first, events).await;
    let messages: Vec<_> = state
        .store_for(&caller)
        .messages(id)
        .await?
        .into_iter()
        .filter(|m| m.ordinal > before)
        .collect();
    let (status, usage) = match done.last() {
        Some(Event::TurnComplete { status, usage, .. }) => (status.as_str(), Some(*usage)),
        _ => ("error", None),
    };
    let errors: Vec<&str> = done
        .iter()
        .filter_map(|e| match e {
            Event::Error { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    Ok(Json(serde_json::json!({
        "conversation_id": id,
        "status": status,
        "usage": usage,
        "errors": errors,
        "messages": messages,
    }))
    .into_response())
}

/// Open the conversation's session, send the turn, and wait until it has started (or was
/// refused): the events so far and the receiver of the rest.
async fn start(
    state: &ServeState,
    caller: &Caller,
    id: ConversationId,
    body: SendBody,
) -> Result<(Vec<Event>, mpsc::UnboundedReceiver<Event>), Problem> {
    let handle = state
        .core_for(caller)
        .open(SessionOptions {
            start: SessionStart::Resume(id.to_string()),
            model: body.model.clone(),
            agent: body.agent.clone(),
            approval: body.approve,
            headless: false,
        })
        .await
        .map_err(|e| Problem::bad_request(e.to_string()))?;
    let max = state.core.deps().config.server.max_turns_per_token.max(1);
    let claim = state
        .turns
        .claim(id, &caller.token_id, max, handle.ops.clone());
    if claim != Claim::Taken {
        let _ = handle.ops.send(Op::Shutdown);
        return Err(match claim {
            Claim::TooMany => Problem::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "this token already has {max} turns in flight ([server] max_turns_per_token): wait for one to end"
                ),
            ),
            _ => busy(),
        });
    }
    // A joined session keeps its settings unless the request names others.
    if let Some(model) = body.model {
        let _ = handle.ops.send(Op::SetModel { model: Some(model) });
    }
    if let Some(agent) = body.agent {
        let _ = handle.ops.send(Op::SetAgent { agent });
    }
    let _ = handle.ops.send(Op::UserTurn { text: body.content });
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(drive(state.clone(), id, handle, tx));
    let mut first = Vec::new();
    while let Some(event) = rx.recv().await {
        if is_busy(&event) {
            return Err(busy());
        }
        let started = matches!(
            event,
            Event::RouteChosen { .. } | Event::TurnComplete { .. } | Event::Error { .. }
        );
        first.push(event);
        if started {
            return Ok((first, rx));
        }
    }
    Err(Problem::internal(
        "the session ended before the turn started: see the server log",
    ))
}

fn busy() -> Problem {
    Problem::conflict(
        "a turn is already running in this conversation: wait for its `done`, or interrupt it, then send again",
    )
}

fn is_busy(event: &Event) -> bool {
    matches!(event, Event::Error { message, .. } if message.starts_with(BUSY))
}

/// Pass the session's events on until the turn's `done` (or its refusal), answering approval
/// requests nobody answered in time with a denial; then leave the session.
async fn drive(
    state: ServeState,
    id: ConversationId,
    mut handle: SessionHandle,
    tx: mpsc::UnboundedSender<Event>,
) {
    let mut deadlines: HashMap<String, Instant> = HashMap::new();
    loop {
        let next = deadlines.values().min().copied();
        let event = tokio::select! {
            event = handle.events.recv() => event,
            _ = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {
                let now = Instant::now();
                let expired: Vec<String> = deadlines
                    .iter()
                    .filter(|(_, at)| **at <= now)
                    .map(|(call, _)| call.clone())
                    .collect();
                for call_id in expired {
                    deadlines.remove(&call_id);
                    if state.turns.take_waiting(id, &call_id).is_some() {
                        let _ = handle.ops.send(Op::Approve {
                            call_id,
                            decision: ApprovalDecision::Deny {
                                reason: Some("nobody answered the approval request in time".to_string()),
                            },
                        });
                    }
                }
                continue;
            }
        };
        let Some(event) = event else { break };
        let last = matches!(event, Event::TurnComplete { .. }) || is_busy(&event);
        match &event {
            Event::ApprovalRequest { call_id, .. } => {
                deadlines.insert(call_id.clone(), Instant::now() + state.approval_timeout);
                state.turns.set_waiting(id, call_id, true);
            }
            Event::ToolCallEnd { id: call_id, .. } => {
                deadlines.remove(call_id);
                state.turns.set_waiting(id, call_id, false);
            }
            _ => {}
        }
        // The client may have gone: the turn goes on and is stored anyway.
        let _ = tx.send(event);
        if last {
            break;
        }
    }
    state.turns.release(id);
    let _ = handle.ops.send(Op::Shutdown);
    let _ = tokio::time::timeout(Duration::from_secs(30), handle.task).await;
}

fn event_name(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| "event".to_string())
}

fn sse(
    first: Vec<Event>,
    rest: mpsc::UnboundedReceiver<Event>,
) -> Sse<impl futures::Stream<Item = Result<SseEvent, std::convert::Infallible>>> {
    use futures::StreamExt;
    let rest = futures::stream::unfold(rest, |mut rx| async move {
        rx.recv().await.map(|event| (event, rx))
    });
    let stream = futures::stream::iter(first).chain(rest).map(|event| {
        let data = serde_json::to_string(&event).unwrap_or_default();
        Ok(SseEvent::default().event(event_name(&event)).data(data))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn collect(mut seen: Vec<Event>, mut rest: mpsc::UnboundedReceiver<Event>) -> Vec<Event> {
    if seen
        .last()
        .is_some_and(|e| matches!(e, Event::TurnComplete { .. }))
    {
        return seen;
    }
    while let Some(event) = rest.recv().await {
        let done = matches!(event, Event::TurnComplete { .. });
        // Deltas are in the stored messages; keep the rest for status and errors.
        if !matches!(
            event,
            Event::TextDelta { .. } | Event::ReasoningDelta { .. }
        ) {
            seen.push(event);
        }
        if done {
            break;
        }
    }
    seen
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Once,
    Always,
    Deny,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    pub decision: Decision,
    pub reason: Option<String>,
}

pub async fn approve(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path((id, call_id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body: ApproveBody = parse_json(&body_bytes(body)?)?;
    let id = visible(&state, &caller, &id).await?;
    let Some(ops) = state.turns.take_waiting(id, &call_id) else {
        return Err(Problem::not_found(format!(
            "no approval request `{call_id}` is waiting in this conversation (answered, timed out, or never asked)"
        )));
    };
    let decision = match body.decision {
        Decision::Once => ApprovalDecision::Once,
        Decision::Always => ApprovalDecision::Always { pattern: None },
        Decision::Deny => ApprovalDecision::Deny {
            reason: body.reason,
        },
    };
    ops.send(Op::Approve {
        call_id: call_id.clone(),
        decision,
    })
    .map_err(|_| Problem::conflict("the turn has ended"))?;
    Ok(Json(serde_json::json!({"call_id": call_id, "accepted": true})).into_response())
}

/// `DELETE .../turn`: interrupt the turn in flight (its partial reply is stored).
pub async fn interrupt(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = visible(&state, &caller, &id).await?;
    let ops = state
        .turns
        .ops(id)
        .ok_or_else(|| Problem::not_found("no turn is running in this conversation over HTTP"))?;
    ops.send(Op::Interrupt)
        .map_err(|_| Problem::conflict("the turn has ended"))?;
    Ok(axum::http::StatusCode::ACCEPTED.into_response())
}
