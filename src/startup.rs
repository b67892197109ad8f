//! The start-up trace (issue 19): each phase of start-up, from `main` to the first frame, with
//! the time since the process began. Marks are kept in memory (a few dozen bytes each) and
//! written to the log once logging is installed, then as they happen, at debug level under the
//! `harness::startup` target: `HARNESS_LOG=harness::startup=debug harness` and read
//! `logs/harness.log` to see where the time to the first frame goes. With logging off (the
//! default `warn`), a mark costs one clock read and a push.

use std::sync::Mutex;
use std::time::{Duration, Instant};

static START: Mutex<Option<Instant>> = Mutex::new(None);
/// Marks made before logging was installed, replayed by [`logging_ready`].
static EARLY: Mutex<Option<Vec<(&'static str, Duration)>>> = Mutex::new(Some(Vec::new()));

fn since_start() -> Duration {
    let mut start = START.lock().unwrap_or_else(|p| p.into_inner());
    start.get_or_insert_with(Instant::now).elapsed()
}

/// The process began now (call first thing in `main`, before any thread starts).
pub fn begin() {
    let _ = since_start();
    tune_allocator();
}

/// glibc's malloc grows a thread's arena 128 KiB at a time, each step an `mprotect` (and gives
/// it back as soon as 128 KiB at the top are free): building one request from a 2,000-message
/// history made ~80 such calls, about a tenth of `run --conversation`'s CPU time (perf, issue
/// 19). Growing by 4 MiB makes them rare; the reserve is address space, not memory (a page
/// counts in RSS only once touched). Measured with the earlier `Value`-tree request body: 22.5
/// to 19.5 ms of CPU, RSS unchanged; with today's body the difference is within the noise.
#[allow(unsafe_code)]
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets malloc parameters; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 4 << 20);
    }
}

/// A phase of start-up has finished.
pub fn mark(phase: &'static str) {
    let at = since_start();
    let mut early = EARLY.lock().unwrap_or_else(|p| p.into_inner());
    match early.as_mut() {
        Some(marks) => marks.push((phase, at)),
        None => emit(phase, at),
    }
}

/// Logging is installed: write the marks made so far; later marks are written at once.
pub fn logging_ready() {
    let marks = EARLY.lock().unwrap_or_else(|p| p.into_inner()).take();
    for (phase, at) in marks.unwrap_or_default() {
        emit(phase, at);
    }
    mark("logging ready");
}

fn emit(phase: &str, at: Duration) {
    tracing::debug!(
        target: "harness::startup",
        ms = format_args!("{:.2}", at.as_secs_f64() * 1000.0),
        "{phase}"
    );
}
