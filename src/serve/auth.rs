//! Bearer-token authentication: every route under `/api` needs `Authorization: Bearer TOKEN`
//! for a live token; the handler gets the [`Caller`] (the token's profile), and reaches the
//! store and the core through `ServeState::store_for` / `core_for`, which act for that profile
//! only: another profile's conversation or job is a 404 like an unknown id.

use super::ServeState;
use super::problem::Problem;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Who is calling: the token's id and profile.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: String,
    pub profile: String,
}

pub async fn require_token(
    State(state): State<ServeState>,
    mut request: Request,
    next: Next,
) -> Response {
    let secret = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").map(str::trim));
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return Problem::unauthorized(
            "this route needs `Authorization: Bearer TOKEN`: create a token with `harness token create --profile default`",
        )
        .into_response();
    };
    match state.store().authenticate_token(secret).await {
        Ok(Some(token)) => {
            request.extensions_mut().insert(Caller {
                token_id: token.id,
                profile: token.profile,
            });
            next.run(request).await
        }
        Ok(None) => Problem::unauthorized(
            "the token is unknown or revoked: see `harness token list`, or create one with `harness token create`",
        )
        .into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}
