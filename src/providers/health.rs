//! Per-provider circuit breaker. After `failure_threshold` consecutive retryable failures a
//! provider is *open* (calls fail fast with `CircuitOpen`) for `cooldown`; then one *half-open*
//! probe is let through: its success closes the breaker, its failure re-opens it for another
//! cool-down. The state machine ([`CircuitBreaker`]) is pure over the `Instant` it is given; the
//! thread-safe [`HealthRegistry`] (provider name -> breaker, with an injected [`Clock`]) is what
//! the provider clients update and the router reads.
//!
//! What counts: the clients report one outcome per request (after their own retries). A
//! retryable failure (rate limit, overload, 5xx, transport, timeout, incomplete stream) counts
//! as a failure; a completed reply counts as a success, and so does a non-retryable answer such
//! as 400/401 (the provider is up and answering; the problem is ours).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Tuning of the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive retryable failures that open the breaker.
    pub failure_threshold: u32,
    /// How long an open breaker fails fast before letting one probe through.
    pub cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failure_threshold: 3,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// What the router and `doctor` see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    /// Calls go through. `consecutive_failures` is below the threshold.
    Closed { consecutive_failures: u32 },
    /// Calls fail fast until the cool-down ends (`remaining` from now).
    Open { remaining: Duration },
    /// The cool-down ended; one probe call decides (may already be in flight).
    HalfOpen { probe_in_flight: bool },
}

/// Answer to "may I call this provider now?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Allowed,
    /// This call is the half-open probe.
    Probe,
    /// Fail fast; retry after `remaining`.
    Rejected {
        remaining: Duration,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probe_started: Option<Instant> },
}

/// The pure state machine of one provider's breaker.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    phase: Phase,
}

impl CircuitBreaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            phase: Phase::Closed { failures: 0 },
        }
    }

    /// Ask to make a call at `now`. An `Open` breaker whose cool-down has ended becomes
    /// half-open and admits this call as the probe. A probe that never reported back (its
    /// stream was dropped) is considered lost after one more cool-down.
    pub fn admit(&mut self, now: Instant) -> Admission {
        match self.phase {
            Phase::Closed { .. } => Admission::Allowed,
            Phase::Open { until } if now < until => Admission::Rejected {
                remaining: until - now,
            },
            Phase::Open { .. }
            | Phase::HalfOpen {
                probe_started: None,
            } => {
                self.phase = Phase::HalfOpen {
                    probe_started: Some(now),
                };
                Admission::Probe
            }
            Phase::HalfOpen {
                probe_started: Some(started),
            } => {
                if now.saturating_duration_since(started) >= self.policy.cooldown {
                    self.phase = Phase::HalfOpen {
                        probe_started: Some(now),
                    };
                    Admission::Probe
                } else {
                    Admission::Rejected {
                        remaining: self.policy.cooldown - now.saturating_duration_since(started),
                    }
                }
            }
        }
    }

    pub fn record_success(&mut self) {
        self.phase = Phase::Closed { failures: 0 };
    }

    pub fn record_failure(&mut self, now: Instant) {
        self.phase = match self.phase {
            Phase::Closed { failures } if failures + 1 < self.policy.failure_threshold => {
                Phase::Closed {
                    failures: failures + 1,
                }
            }
            _ => Phase::Open {
                until: now + self.policy.cooldown,
            },
        };
    }

    /// The state at `now`, without changing it.
    pub fn state(&self, now: Instant) -> HealthState {
        match self.phase {
            Phase::Closed { failures } => HealthState::Closed {
                consecutive_failures: failures,
            },
            Phase::Open { until } if now < until => HealthState::Open {
                remaining: until - now,
            },
            Phase::Open { .. } => HealthState::HalfOpen {
                probe_in_flight: false,
            },
            Phase::HalfOpen { probe_started } => HealthState::HalfOpen {
                probe_in_flight: probe_started
                    .is_some_and(|s| now.saturating_duration_since(s) < self.policy.cooldown),
            },
        }
    }

    /// Whether a call made at `now` would be admitted.
    pub fn is_available(&self, now: Instant) -> bool {
        match self.state(now) {
            HealthState::Closed { .. } => true,
            HealthState::Open { .. } => false,
            HealthState::HalfOpen { probe_in_flight } => !probe_in_flight,
        }
    }
}

/// Where time comes from; tests inject a manual clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Thread-safe map provider name -> breaker. Unknown providers are healthy.
pub struct HealthRegistry {
    policy: BreakerPolicy,
    clock: Arc<dyn Clock>,
    breakers: Mutex<HashMap<String, CircuitBreaker>>,
}

impl std::fmt::Debug for HealthRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthRegistry")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Default for HealthRegistry {
    fn default() -> Self {
        Self::new(BreakerPolicy::default())
    }
}

impl HealthRegistry {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self::with_clock(policy, Arc::new(SystemClock))
    }

    pub fn with_clock(policy: BreakerPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            policy,
            clock,
            breakers: Mutex::new(HashMap::new()),
        }
    }

    fn with_breaker<T>(&self, provider: &str, f: impl FnOnce(&mut CircuitBreaker) -> T) -> T {
        // A poisoned lock only means another thread panicked mid-update; the map is still valid.
        let mut map = self
            .breakers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let breaker = map
            .entry(provider.to_string())
            .or_insert_with(|| CircuitBreaker::new(self.policy));
        f(breaker)
    }

    pub fn admit(&self, provider: &str) -> Admission {
        let now = self.clock.now();
        self.with_breaker(provider, |b| b.admit(now))
    }

    pub fn record_success(&self, provider: &str) {
        self.with_breaker(provider, CircuitBreaker::record_success);
    }

    pub fn record_failure(&self, provider: &str) {
        let now = self.clock.now();
        self.with_breaker(provider, |b| b.record_failure(now));
    }

    pub fn state(&self, provider: &str) -> HealthState {
        let now = self.clock.now();
        self.with_breaker(provider, |b| b.state(now))
    }

    /// Whether the router should consider this provider now.
    pub fn is_available(&self, provider: &str) -> bool {
        let now = self.clock.now();
        self.with_breaker(provider, |b| b.is_available(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BreakerPolicy = BreakerPolicy {
        failure_threshold: 3,
        cooldown: Duration::from_secs(10),
    };

    #[derive(Debug, Clone, Copy)]
    enum Step {
        Fail(u64),
        Succeed,
        Admit(u64, Admission),
        Available(u64, bool),
    }

    #[test]
    fn state_machine_table() {
        use Step::*;
        let s = Duration::from_secs;
        let cases: Vec<(&str, Vec<Step>)> = vec![
            (
                "below threshold stays closed",
                vec![
                    Fail(0),
                    Fail(1),
                    Available(1, true),
                    Admit(1, Admission::Allowed),
                ],
            ),
            (
                "threshold opens, fails fast during cool-down",
                vec![
                    Fail(0),
                    Fail(0),
                    Fail(0),
                    Available(1, false),
                    Admit(4, Admission::Rejected { remaining: s(6) }),
                ],
            ),
            (
                "success resets the count",
                vec![
                    Fail(0),
                    Fail(0),
                    Succeed,
                    Fail(0),
                    Fail(0),
                    Admit(0, Admission::Allowed),
                ],
            ),
            (
                "after cool-down one probe, others rejected",
                vec![
                    Fail(0),
                    Fail(0),
                    Fail(0),
                    Available(10, true),
                    Admit(10, Admission::Probe),
                    Available(11, false),
                    Admit(11, Admission::Rejected { remaining: s(9) }),
                ],
            ),
            (
                "probe success closes",
                vec![
                    Fail(0),
                    Fail(0),
                    Fail(0),
                    Admit(10, Admission::Probe),
                    Succeed,
                    Admit(11, Admission::Allowed),
                ],
            ),
            (
                "probe failure re-opens for a full cool-down",
                vec![
                    Fail(0),
                    Fail(0),
                    Fail(0),
                    Admit(10, Admission::Probe),
                    Fail(12),
                    Admit(13, Admission::Rejected { remaining: s(9) }),
                    Admit(22, Admission::Probe),
                ],
            ),
            (
                "a lost probe is replaced after a cool-down",
                vec![
                    Fail(0),
                    Fail(0),
                    Fail(0),
                    Admit(10, Admission::Probe),
                    Admit(20, Admission::Probe),
                ],
            ),
        ];
        for (name, steps) in cases {
            let t0 = Instant::now();
            let mut b = CircuitBreaker::new(POLICY);
            for (i, step) in steps.iter().enumerate() {
                match *step {
                    Fail(at) => b.record_failure(t0 + s(at)),
                    Succeed => b.record_success(),
                    Admit(at, want) => assert_eq!(b.admit(t0 + s(at)), want, "{name} step {i}"),
                    Available(at, want) => {
                        assert_eq!(b.is_available(t0 + s(at)), want, "{name} step {i}")
                    }
                }
            }
        }
    }

    struct ManualClock(Mutex<Instant>);
    impl Clock for ManualClock {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap()
        }
    }

    #[test]
    fn registry_tracks_providers_separately_with_injected_clock() {
        let clock = Arc::new(ManualClock(Mutex::new(Instant::now())));
        let reg = HealthRegistry::with_clock(POLICY, clock.clone());
        for _ in 0..3 {
            reg.record_failure("a");
        }
        assert!(!reg.is_available("a"));
        assert!(reg.is_available("b"));
        assert!(matches!(reg.state("a"), HealthState::Open { .. }));
        *clock.0.lock().unwrap() += Duration::from_secs(10);
        assert_eq!(
            reg.state("a"),
            HealthState::HalfOpen {
                probe_in_flight: false
            }
        );
        assert_eq!(reg.admit("a"), Admission::Probe);
        reg.record_success("a");
        assert_eq!(
            reg.state("a"),
            HealthState::Closed {
                consecutive_failures: 0
            }
        );
    }
}
