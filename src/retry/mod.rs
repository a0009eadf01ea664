//! Decides whether a failed attempt may be retried, and after how long.
//!
//! This module is pure: it never sleeps, never reads the clock and never
//! touches the network. The runner calls [`decide`] after each failed attempt
//! and does the waiting itself, which keeps every rule testable without time
//! passing. The rules are those of `shared/reference/retry-and-resets.md`
//! (R2, R7): a request is retried only when a retry cannot repeat a side
//! effect — it never reached the server, or its method is idempotent (or it
//! carries an idempotency key the user declared honoured) — and only within a
//! per-request bound and a run-wide budget.

mod budget;
mod policy;
mod safety;

pub use budget::{Budget, MIN_RETRIES, PERCENT};
pub use policy::{Backoff, RetryPolicy};
pub use safety::{Decision, Rule, decide, may_repeat};
