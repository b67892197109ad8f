//! The conversation routes: create, list (paged, filtered, with the total), show one with its
//! messages, soft delete and restore, and a page of messages. Shapes are `history --json`'s:
//! list rows are `ConversationSummary`, one conversation is the JSON export.

use super::ServeState;
use super::auth::Caller;
use super::problem::{Problem, body_bytes, parse_json};
use crate::message::ConversationId;
use crate::store::ListQuery;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Resolve `id` for `caller`: another profile's conversation is a 404, exactly like an unknown
/// id (the caller's store does not see it).
pub async fn visible(
    state: &ServeState,
    caller: &Caller,
    id: &str,
) -> Result<ConversationId, Problem> {
    let unknown = || {
        Problem::not_found(format!(
            "no conversation `{id}`: list them with GET /api/conversations"
        ))
    };
    match state.store_for(caller).resolve(id).await {
        Ok(found) => Ok(found),
        Err(crate::store::StoreError::NotFound(_)) => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    pub title: Option<String>,
    pub agent: Option<String>,
    pub model: Option<String>,
}

pub async fn create(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body: CreateBody = parse_json(&body_bytes(body)?)?;
    let deps = state.core.deps();
    let agent = body
        .agent
        .unwrap_or_else(|| deps.config.default_agent.clone());
    if deps.agents.get(&agent).is_none() {
        return Err(Problem::bad_request(format!(
            "unknown agent `{agent}`: see `harness agents`"
        )));
    }
    let model = body.model.filter(|m| m != "auto");
    let created = state
        .store_for(&caller)
        .create_conversation(&agent, model.as_deref(), None)
        .await?;
    let created = match body.title.filter(|t| !t.trim().is_empty()) {
        Some(title) => {
            state
                .store_for(&caller)
                .set_title(created.id, &title)
                .await?;
            state.store_for(&caller).conversation(created.id).await?
        }
        None => created,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub query: Option<String>,
    pub agent: Option<String>,
    pub deleted: Option<bool>,
}

pub async fn list(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(p) = params.map_err(|e| Problem::bad_request(format!("bad query string: {e}")))?;
    let (items, total) = state
        .store_for(&caller)
        .list_with_total(ListQuery {
            limit: p.limit.unwrap_or(50).clamp(1, 1000),
            offset: p.offset.unwrap_or(0),
            query: p.query.filter(|q| !q.trim().is_empty()),
            agent: p.agent,
            deleted: p.deleted.unwrap_or(false),
            include_deleted: false,
        })
        .await?;
    Ok(Json(serde_json::json!({"items": items, "total": total})).into_response())
}

pub async fn show(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = visible(&state, &caller, &id).await?;
    Ok(Json(state.store_for(&caller).export(id).await?).into_response())
}

pub async fn delete(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = visible(&state, &caller, &id).await?;
    state.store_for(&caller).delete(id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn restore(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = visible(&state, &caller, &id).await?;
    state.store_for(&caller).restore(id).await?;
    Ok(Json(state.store_for(&caller).conversation(id).await?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesParams {
    pub limit: Option<u32>,
    pub before: Option<i64>,
}

pub async fn messages(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    params: Result<Query<MessagesParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(p) = params.map_err(|e| Problem::bad_request(format!("bad query string: {e}")))?;
    let id = visible(&state, &caller, &id).await?;
    let page = state
        .store_for(&caller)
        .messages_page(id, p.before, p.limit.unwrap_or(100).clamp(1, 10_000))
        .await?;
    Ok(Json(page).into_response())
}
