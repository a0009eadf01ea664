//! The retry policy a run is configured with, and its backoff schedule.

use std::time::Duration;

/// How transport failures are retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `false` with `--transport-retry off`.
    pub enabled: bool,
    /// Methods treated as idempotent (upper case).
    pub idempotent_methods: Vec<String>,
    /// A request carrying this header may be retried after it was written.
    pub idempotency_key_header: Option<String>,
    /// Extra attempts per request at most.
    pub max_extra_attempts: u32,
    /// The backoff schedule.
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            enabled: true,
            idempotent_methods: ["GET", "HEAD", "OPTIONS", "TRACE"].map(str::to_owned).to_vec(),
            idempotency_key_header: None,
            max_extra_attempts: 2,
            backoff: Backoff::default(),
        }
    }
}

impl RetryPolicy {
    /// Whether `method` is in the idempotent set.
    pub fn is_idempotent(&self, method: &str) -> bool {
        self.idempotent_methods.iter().any(|m| m.eq_ignore_ascii_case(method))
    }
}

/// Full-jitter exponential backoff (Envoy, gRPC): retry `n` waits a uniform
/// random time in `[0, min(cap, base * 2^(n-1))]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The base delay.
    pub base: Duration,
    /// The largest delay.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { base: Duration::from_millis(25), cap: Duration::from_millis(250) }
    }
}

impl Backoff {
    /// The upper bound of the delay before retry `n` (1-based).
    pub fn ceiling(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before retry `n`, given a uniform random `jitter` in `[0, 1)`.
    pub fn delay(&self, n: u32, jitter: f64) -> Duration {
        self.ceiling(n).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let backoff = Backoff::default();
        assert_eq!(backoff.ceiling(1), Duration::from_millis(25));
        assert_eq!(backoff.ceiling(2), Duration::from_millis(50));
        assert_eq!(backoff.ceiling(4), Duration::from_millis(200));
        assert_eq!(backoff.ceiling(5), Duration::from_millis(250));
        assert_eq!(backoff.ceiling(64), Duration::from_millis(250));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn delay_never_exceeds_ceiling_or_cap(n in 0u32..100, jitter in 0.0f64..1.0) {
            let backoff = Backoff::default();
            let delay = backoff.delay(n, jitter);
            prop_assert!(delay <= backoff.ceiling(n));
            prop_assert!(delay <= backoff.cap);
        }
    }
}
