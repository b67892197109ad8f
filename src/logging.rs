//! Logging: tracing to `logs/harness.log` (non-blocking, file mode 0600), never to the terminal
//! while the TUI runs. `HARNESS_LOG` sets the filter, falling back to `RUST_LOG`, then `warn`.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;

/// Lines the log can queue for its writer thread (32 bytes each, allocated at start).
const LOG_QUEUE_LINES: usize = 8_192;

/// Install the global subscriber. Returns the guard that flushes the log on drop, or `None`
/// when the log directory cannot be used (logging is then off; the harness still runs).
pub fn init(logs_dir: &Path, _tui: bool) -> Option<WorkerGuard> {
    use std::os::unix::fs::OpenOptionsExt;
    let filter = std::env::var("HARNESS_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "warn".to_string());
    crate::config::paths::create_private_dir(logs_dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(logs_dir.join("harness.log"))
        .ok()?;
    // The queue to the writer thread is allocated in full up front: the default (128,000
    // lines) costs 4 MiB of every process's memory; a few thousand lines absorb any burst a
    // file write cannot keep up with (lines beyond it are dropped, never waited for).
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(file);
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(writer)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(guard)
}
