//! Retry and timeout policy, shared by every client. Pure values and arithmetic; the stream
//! driver (`stream.rs`) applies them. Retries happen only before the first piece of content and
//! only for retryable errors ([`super::ProviderError::is_retryable`]); the delay is exponential
//! with jitter, or the server's `Retry-After` when it sent one, never more than a cap.

use crate::config::ProviderConfig;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// Delay before the first retry without `Retry-After`; doubles each time.
    pub base_delay: Duration,
    /// Largest computed backoff.
    pub max_delay: Duration,
    /// Largest wait taken from a server's `Retry-After`.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    pub fn from_config(cfg: &ProviderConfig) -> Self {
        Self {
            max_retries: cfg.max_retries,
            ..Self::default()
        }
    }

    /// Delay before retry number `retry` (0-based). `jitter` in `[0, 1)` spreads computed
    /// backoffs over `[d/2, d)` so that many clients do not retry in lock-step; a server's
    /// `Retry-After` is taken as is (capped).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.retry_after_cap);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        exp / 2 + exp.mul_f64(jitter / 2.0)
    }
}

/// The three timeouts, each reported with its own message (`TimeoutPhase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Until the response headers, and again until the first body chunk.
    pub first_byte: Duration,
    /// Between two body chunks.
    pub idle: Duration,
}

impl Timeouts {
    pub fn from_config(cfg: &ProviderConfig) -> Self {
        Self {
            connect: Duration::from_secs(cfg.connect_timeout_secs.max(1)),
            first_byte: Duration::from_secs(cfg.first_byte_timeout_secs.max(1)),
            idle: Duration::from_secs(cfg.idle_timeout_secs.max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_table() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            retry_after_cap: Duration::from_secs(5),
        };
        let ms = Duration::from_millis;
        let cases = [
            (0, None, 0.0, ms(50)),
            (0, None, 0.999_999, ms(100)),
            (1, None, 0.0, ms(100)),
            (2, None, 0.5, ms(300)),
            (10, None, 0.0, ms(500)),
            (40, None, 0.0, ms(500)),
            (0, Some(ms(1500)), 0.3, ms(1500)),
            (
                3,
                Some(Duration::from_secs(600)),
                0.3,
                Duration::from_secs(5),
            ),
        ];
        for (retry, ra, jitter, want) in cases {
            let got = p.delay(retry, ra, jitter);
            let diff = got.abs_diff(want);
            assert!(
                diff <= Duration::from_micros(10),
                "{retry} {ra:?} {jitter}: {got:?} != {want:?}"
            );
        }
    }
}
