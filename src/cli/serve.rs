//! `harness serve`: build the shared core once, bind the listen address (`--listen`, else
//! `[server] listen`), and serve the API until SIGINT or SIGTERM, then finish the turns in
//! flight (interrupting them after a grace period so their partial replies are stored).

use super::args::ServeArgs;
use super::{CliContext, CliError, CliResult};
use crate::config::Overrides;
use crate::serve::ServeState;
use std::time::Duration;

/// How long shutdown lets running turns finish before interrupting them.
const GRACE: Duration = Duration::from_secs(30);

pub async fn run(ctx: &CliContext, args: ServeArgs) -> CliResult {
    let config = ctx.load_config(&Overrides::default())?;
    let listen = args.listen.unwrap_or_else(|| config.server.listen.clone());
    let deps = ctx.build_core(config)?;
    let listener = tokio::net::TcpListener::bind(&listen).await.map_err(|e| {
        CliError::usage(format!(
            "cannot listen on {listen}: {e} (pass another --listen ADDR:PORT, or set [server] listen)"
        ))
    })?;
    let local = listener
        .local_addr()
        .map_or_else(|_| listen.clone(), |a| a.to_string());
    tracing::info!(%local, "serving");
    super::eprint_line(&format!(
        "harness: serving on http://{local} (Ctrl+C to stop; tokens: harness token create --profile default)"
    ));
    let state = ServeState::new(crate::core::Core::new(deps));
    crate::serve::serve(listener, state, stop_signal(), GRACE)
        .await
        .map_err(|e| CliError::failed(format!("the server stopped: {e}")))?;
    crate::sandbox::docker::orphans::finish_sweep(Duration::from_secs(10)).await;
    Ok(())
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("shutting down: finishing the turns in flight");
}
