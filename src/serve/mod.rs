//! `harness serve`: the HTTP and WebSocket API, a thin front end over ONE shared [`Core`]
//! (every request's session is opened on it, so API clients, WebSocket channels and each other
//! join the same session of a conversation and never run turns beside each other). It owns
//! routing, authentication (`auth.rs`), RFC 7807 errors (`problem.rs`), the conversation routes
//! (`conversations.rs`), turns over HTTP and their approvals (`turns.rs`), the WebSocket channel
//! (`ws.rs`) and the OpenAPI document (`openapi.rs`). The only per-process state is the map of
//! turns in flight, which a restarted server does not need (the store has the turns).

pub mod auth;
pub mod conversations;
pub mod inflight;
pub mod jobs;
pub mod openapi;
pub mod problem;
pub mod turns;
pub mod ws;

use crate::core::Core;
use crate::store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;

/// What every handler shares. Clone freely.
#[derive(Clone)]
pub struct ServeState {
    pub core: Core,
    pub turns: Arc<inflight::TurnsInFlight>,
    pub approval_timeout: Duration,
}

impl ServeState {
    pub fn new(core: Core) -> Self {
        let approval_timeout =
            Duration::from_secs(core.deps().config.server.approval_timeout_secs.max(1));
        Self {
            core,
            turns: Arc::default(),
            approval_timeout,
        }
    }

    pub fn store(&self) -> &Store {
        &self.core.deps().store
    }

    /// The store acting for the caller's profile: what every route reads and writes.
    pub fn store_for(&self, caller: &auth::Caller) -> Store {
        self.core.deps().store.for_profile(&caller.profile)
    }

    /// The core acting for the caller's profile (its sessions, memory and usage).
    pub fn core_for(&self, caller: &auth::Caller) -> Core {
        self.core.for_profile(&caller.profile)
    }
}

/// The routes under `/api` that need a token, without state (the integrator merges more
/// routes, e.g. `/api/admin/jobs`, into this before [`router`] applies auth and state).
pub fn api_routes() -> Router<ServeState> {
    Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .route(
            "/api/conversations",
            get(conversations::list).post(conversations::create),
        )
        .route(
            "/api/conversations/{id}",
            get(conversations::show).delete(conversations::delete),
        )
        .route(
            "/api/conversations/{id}/restore",
            post(conversations::restore),
        )
        .route(
            "/api/conversations/{id}/messages",
            get(conversations::messages).post(turns::send),
        )
        .route(
            "/api/conversations/{id}/approvals/{call_id}",
            post(turns::approve),
        )
        .route("/api/admin/jobs", get(jobs::list))
        .route("/api/admin/jobs/{id}", get(jobs::show))
        .route("/api/admin/jobs/{id}/runs", get(jobs::runs))
        .route("/api/admin/jobs/{id}/run", post(jobs::run_now))
        .route(
            "/api/conversations/{id}/turn",
            axum::routing::delete(turns::interrupt),
        )
        .route("/api/conversations/{id}/ws", get(ws::upgrade))
}

/// The whole application: `/health` open, `api` behind bearer tokens, body limit, problems
/// for unknown routes.
pub fn router_with(state: ServeState, api: Router<ServeState>) -> Router {
    let max_body = state.core.deps().config.server.max_body_bytes;
    let api = api.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::require_token,
    ));
    Router::new()
        .route("/health", get(health))
        .merge(api)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(state)
}

/// [`router_with`] over [`api_routes`].
pub fn router(state: ServeState) -> Router {
    router_with(state, api_routes())
}

async fn health(
    axum::extract::State(state): axum::extract::State<ServeState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let store_ok = state.store().most_recent().await.is_ok();
    let providers: Vec<&String> = state.core.deps().config.providers.keys().collect();
    let status = if store_ok { "ok" } else { "degraded" };
    let code = if store_ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        axum::Json(serde_json::json!({
            "status": status,
            "store": if store_ok { "ok" } else { "unavailable" },
            "providers": providers,
            "open_conversations": state.core.open_conversations(),
            "turns_in_flight": state.turns.len(),
        })),
    )
        .into_response()
}

async fn not_found() -> problem::Problem {
    problem::Problem::not_found("no such route: see /api/openapi.json")
}

/// Serve on `listener` until `shutdown` resolves; then stop taking requests, let the turns in
/// flight finish (up to `grace`, then interrupt them so their partial replies are stored).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServeState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let turns = state.turns.clone();
    let app = router(state);
    let (stopped_tx, mut stopped) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = stopped_tx.send(true);
    };
    let mut server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .into_future(),
    );
    tokio::select! {
        served = &mut server => return served.unwrap_or(Ok(())),
        _ = stopped.wait_for(|s| *s) => {}
    }
    // Streams of turns still running keep connections open: finish the turns (or interrupt
    // them after `grace`), then the server's graceful wait ends with them.
    turns.finish(grace).await;
    server.await.unwrap_or(Ok(()))
}

/// One log line per request: method, path, status, time.
async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
