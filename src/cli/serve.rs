//! `harness serve`: build the shared core once, bind the listen address (`--listen`, else
//! `[server] listen`), run the jobs worker beside the API, and serve until SIGINT or SIGTERM,
//! then finish the turns in flight (interrupting them after a grace period so their partial
//! replies are stored).

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
    // Sandbox containers started ahead of the first tool call (`[sandbox] pool`).
    crate::sandbox::docker::pool::start_for(&deps.config.sandbox, &deps.workspace);
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
    let core = crate::core::Core::new(deps);
    // Due jobs run here too (as `harness jobs worker` would), until the server stops.
    let jobs_stop = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(crate::jobs::worker::run(core.clone(), jobs_stop.clone()));
    let state = ServeState::new(core);
    let stop = {
        let jobs_stop = jobs_stop.clone();
        async move {
            super::stop_signal().await;
            jobs_stop.cancel();
        }
    };
    let served = crate::serve::serve(listener, state, stop, GRACE).await;
    jobs_stop.cancel();
    match tokio::time::timeout(GRACE, worker).await {
        Ok(Ok(Err(e))) => tracing::warn!("jobs worker: {e}"),
        Ok(_) => {}
        Err(_) => tracing::warn!("jobs worker: did not stop within the grace period"),
    }
    served.map_err(|e| CliError::failed(format!("the server stopped: {e}")))?;
    crate::sandbox::docker::pool::shutdown().await;
    crate::sandbox::docker::orphans::finish_sweep(Duration::from_secs(10)).await;
    Ok(())
}
