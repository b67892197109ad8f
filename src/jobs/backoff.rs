//! Retry delay after a failed attempt: `retry_backoff * 2^attempt`, stretched by up to a
//! quarter at random (jitter), so jobs that failed together do not all retry in the same
//! second. Pure: the caller passes the random fraction, so the table test is exact.

use std::time::Duration;

/// Largest exponent used: past it the delay stops growing (2^20 × the base is already weeks).
const MAX_DOUBLINGS: u32 = 20;
/// The jitter adds up to this fraction of the delay.
const JITTER: f64 = 0.25;

/// Delay before retrying after attempt `attempt` (0 = the first run) failed. `random` is in
/// `[0, 1)`; values outside are clamped.
pub fn delay(base: Duration, attempt: u32, random: f64) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(MAX_DOUBLINGS));
    let plain = base.saturating_mul(factor);
    let jitter = plain.mul_f64(JITTER * random.clamp(0.0, 1.0));
    plain.saturating_add(jitter)
}

/// [`delay`] with a fresh random fraction.
pub fn delay_with_jitter(base: Duration, attempt: u32) -> Duration {
    delay(base, attempt, fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_per_attempt_with_bounded_jitter() {
        let s = Duration::from_secs;
        // (base, attempt, random, expected)
        let table: &[(Duration, u32, f64, Duration)] = &[
            (s(10), 0, 0.0, s(10)),
            (s(10), 1, 0.0, s(20)),
            (s(10), 2, 0.0, s(40)),
            (s(10), 3, 0.0, s(80)),
            (s(10), 0, 1.0, Duration::from_millis(12_500)),
            (s(10), 2, 0.5, s(45)),
            (s(1), 1, 0.2, Duration::from_millis(2_100)),
            (s(0), 5, 0.9, s(0)),
            (s(10), 0, -3.0, s(10)),
            (s(10), 0, 7.0, Duration::from_millis(12_500)),
            (s(1), 40, 0.0, s(1 << 20)),
        ];
        for (base, attempt, random, want) in table {
            assert_eq!(
                delay(*base, *attempt, *random),
                *want,
                "{base:?} {attempt} {random}"
            );
        }
    }

    #[test]
    fn random_jitter_stays_within_a_quarter() {
        for _ in 0..200 {
            let d = delay_with_jitter(Duration::from_secs(8), 1);
            assert!(
                d >= Duration::from_secs(16) && d <= Duration::from_secs(20),
                "{d:?}"
            );
        }
    }
}
