//! The App's "now". Behaviour that depends on elapsed time (the approval dialog's typing guard)
//! reads it from here, so tests can move time by hand and stay deterministic.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A source of the current instant.
#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    System,
    Manual(ManualClock),
}

impl Clock {
    /// The real clock.
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// A clock that stands still until its [`ManualClock`] handle advances it.
    pub fn manual() -> (Self, ManualClock) {
        let handle = ManualClock {
            start: Instant::now(),
            elapsed_ns: Arc::new(AtomicU64::new(0)),
        };
        (Self(Source::Manual(handle.clone())), handle)
    }

    pub fn now(&self) -> Instant {
        match &self.0 {
            Source::System => Instant::now(),
            Source::Manual(m) => m.now(),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Source::System => f.write_str("Clock::system"),
            Source::Manual(_) => f.write_str("Clock::manual"),
        }
    }
}

/// The handle that moves a manual [`Clock`].
#[derive(Clone)]
pub struct ManualClock {
    start: Instant,
    elapsed_ns: Arc<AtomicU64>,
}

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed_ns.fetch_add(ns, Ordering::SeqCst);
    }

    pub fn now(&self) -> Instant {
        self.start + Duration::from_nanos(self.elapsed_ns.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let (clock, handle) = Clock::manual();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        handle.advance(Duration::from_millis(250));
        assert_eq!(clock.now() - t0, Duration::from_millis(250));
        assert!(Clock::system().now() >= t0);
    }
}
