//! The run-wide retry budget, shared by all jobs.
//!
//! Retries stay at or below `max(10, 20% of the requests started so far)`
//! (Envoy's and tower's budget), so a reset storm cannot multiply the load on
//! a failing service. Once the budget refuses a retry, the run says so.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counts requests and retries across the whole run.
#[derive(Debug, Default)]
pub struct Budget {
    requests: AtomicU64,
    retries: AtomicU64,
    exhausted: AtomicBool,
}

/// Retries always allowed, however few requests were started.
pub const MIN_RETRIES: u64 = 10;
/// Retries allowed per 100 requests started.
pub const PERCENT: u64 = 20;

impl Budget {
    /// Records that a request (not a retry) was started.
    pub fn request_started(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes one retry from the budget; `false` if none is left.
    pub fn try_take(&self) -> bool {
        let requests = self.requests.load(Ordering::Relaxed);
        let allowed = MIN_RETRIES.max(requests.saturating_mul(PERCENT) / 100);
        let taken = self
            .retries
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| (r < allowed).then_some(r + 1));
        if taken.is_err() {
            self.exhausted.store(true, Ordering::Relaxed);
        }
        taken.is_ok()
    }

    /// Retries taken so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Requests started so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Whether a retry was ever refused.
    pub fn was_exhausted(&self) -> bool {
        self.exhausted.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_resets_in_twenty_requests_stay_within_budget() {
        let budget = Budget::default();
        let mut granted = 0;
        for i in 0..20 {
            budget.request_started();
            if i % 4 == 0 && budget.try_take() {
                granted += 1;
            }
        }
        assert_eq!(granted, 5);
        assert!(!budget.was_exhausted());
    }

    #[test]
    fn a_reset_storm_exhausts_the_budget_and_says_so() {
        let budget = Budget::default();
        let mut granted = 0;
        for i in 0..100 {
            budget.request_started();
            // Half the requests fail, and each failure asks for up to two retries.
            for _ in 0..if i % 2 == 0 { 2 } else { 0 } {
                if budget.try_take() {
                    granted += 1;
                }
            }
        }
        assert!(budget.was_exhausted());
        assert!(granted <= 20, "granted {granted}");
        assert_eq!(budget.retries(), granted);
    }
}
