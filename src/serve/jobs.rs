//! `/api/admin/jobs`: the jobs of the token's profile over HTTP (list, show, runs, run now), in
//! the shapes of `harness jobs ... --json`. Another profile's job is a 404 like an unknown id
//! (the caller's store does not see it).

use super::ServeState;
use super::auth::Caller;
use super::problem::Problem;
use crate::jobs::{JobError, api};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use tokio_util::sync::CancellationToken;

impl From<JobError> for Problem {
    fn from(e: JobError) -> Self {
        let message = e.to_string();
        match e {
            _ if message.starts_with("no job") => Problem::not_found(message),
            _ if message.contains("running now") => Problem::conflict(message),
            JobError::Store(e) => Problem::from(e),
            _ => Problem::bad_request(message),
        }
    }
}

pub async fn list(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Problem> {
    Ok(Json(api::list(&state.store_for(&caller)).await?).into_response())
}

pub async fn show(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    Ok(Json(api::show(&state.store_for(&caller), &id).await?).into_response())
}

pub async fn runs(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    Ok(Json(api::runs(&state.store_for(&caller), &id).await?).into_response())
}

/// Run the job now, once, and answer with its run record when the turn ends (a run of the
/// job already going is a 409).
pub async fn run_now(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (run, _) = api::run_now(&state.core_for(&caller), &id, &CancellationToken::new()).await?;
    Ok(Json(run).into_response())
}
