//! `/api/admin/jobs`: the jobs of the token's profile over HTTP (list, show, runs, run now), in
//! the shapes of `harness jobs ... --json`. Jobs belong to the default profile until profiles
//! exist: a token of another profile sees none (404 / an empty list).

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

fn owns_jobs(caller: &Caller, id: &str) -> Result<(), Problem> {
    if caller.profile == crate::jobs::profile() {
        Ok(())
    } else {
        Err(Problem::not_found(format!(
            "no job `{id}` in this token's profile"
        )))
    }
}

pub async fn list(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Problem> {
    if caller.profile != crate::jobs::profile() {
        return Ok(Json(serde_json::json!([])).into_response());
    }
    Ok(Json(api::list(state.store()).await?).into_response())
}

pub async fn show(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    owns_jobs(&caller, &id)?;
    Ok(Json(api::show(state.store(), &id).await?).into_response())
}

pub async fn runs(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    owns_jobs(&caller, &id)?;
    Ok(Json(api::runs(state.store(), &id).await?).into_response())
}

/// Run the job now, once, and answer with its run record when the turn ends (a run of the
/// job already going is a 409).
pub async fn run_now(
    State(state): State<ServeState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    owns_jobs(&caller, &id)?;
    let (run, _) = api::run_now(&state.core, &id, &CancellationToken::new()).await?;
    Ok(Json(run).into_response())
}
