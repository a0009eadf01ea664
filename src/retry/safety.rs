//! The retry rules: may this failed attempt be sent again?
//!
//! Each rule, and each reason never to retry, has a stable id ([`Rule`]) that
//! reaches the ledger of the JSON report; `docs/retry-rules.md` documents them.

use std::time::Duration;

use crate::retry::budget::Budget;
use crate::retry::policy::RetryPolicy;
use crate::transport::facts::{AttemptFacts, ErrorKind, Phase};

/// The rule that decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Retry: the connection could not be opened; nothing was sent (any method).
    ConnectFailed,
    /// Retry: a pooled connection was dead before any byte was written (any method).
    NothingWritten,
    /// Retry: HTTP/2 said the stream was not processed (any method).
    H2NotProcessed,
    /// Retry: an idempotent (or keyed) request was written and the connection then failed.
    IdempotentAfterWrite,
    /// Never: a non-idempotent request whose bytes may have reached the server.
    NotIdempotent,
    /// Never: the failure is not a connection failure (timeout, TLS, protocol).
    NotRetryableFailure,
    /// Never: the per-request attempt limit was reached.
    AttemptsExhausted,
    /// Never: the run-wide retry budget is spent.
    BudgetExhausted,
    /// Never: transport retries are off (`--transport-retry off`).
    RetryOff,
    /// Never: the server under test exited during the request (R5).
    ServerCrashed,
    /// Never: no time is left for another attempt: the request's `--max-time`, or its
    /// `--connect-timeout`, is shared by all its attempts and is spent.
    TimeLimitReached,
}

impl Rule {
    /// The stable id used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::ConnectFailed => "connect_failed",
            Rule::NothingWritten => "nothing_written",
            Rule::H2NotProcessed => "h2_not_processed",
            Rule::IdempotentAfterWrite => "idempotent_after_write",
            Rule::NotIdempotent => "never_non_idempotent_written",
            Rule::NotRetryableFailure => "never_not_a_connection_failure",
            Rule::AttemptsExhausted => "never_attempts_exhausted",
            Rule::BudgetExhausted => "never_budget_exhausted",
            Rule::RetryOff => "never_retry_off",
            Rule::ServerCrashed => "never_server_crashed",
            Rule::TimeLimitReached => "never_time_limit",
        }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Send the request again.
    pub retry: bool,
    /// Why.
    pub rule: Rule,
    /// How long to wait first (zero when not retrying).
    pub backoff: Duration,
}

/// Whether sending this request again is safe, whatever the limits: the rule alone.
fn safety_rule(
    facts: &AttemptFacts,
    method: &str,
    policy: &RetryPolicy,
    keyed: bool,
) -> Option<Rule> {
    let failure = facts.error.as_ref()?;
    let idempotent = policy.is_idempotent(method) || keyed;
    match failure.phase {
        Phase::Connect
            if matches!(
                failure.kind,
                ErrorKind::Refused | ErrorKind::Timeout | ErrorKind::ConnectionReset
            ) =>
        {
            Some(Rule::ConnectFailed)
        }
        Phase::Checkout => Some(Rule::NothingWritten),
        _ if matches!(failure.kind, ErrorKind::H2RefusedStream) => Some(Rule::H2NotProcessed),
        Phase::Write | Phase::AwaitResponse | Phase::ReadHeaders | Phase::ReadBody
            if matches!(
                failure.kind,
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::Eof
            ) =>
        {
            if idempotent {
                Some(Rule::IdempotentAfterWrite)
            } else {
                Some(Rule::NotIdempotent)
            }
        }
        _ => Some(Rule::NotRetryableFailure),
    }
}

/// Whether a failed attempt could be repeated safely at all: used by Hurl-style
/// polls (`retry`), which wait for readiness but must never replay a POST.
pub fn may_repeat(facts: &AttemptFacts, method: &str, policy: &RetryPolicy, keyed: bool) -> bool {
    matches!(
        safety_rule(facts, method, policy, keyed),
        Some(
            Rule::ConnectFailed
                | Rule::NothingWritten
                | Rule::H2NotProcessed
                | Rule::IdempotentAfterWrite
        )
    )
}

/// Decides after failed attempt number `attempt` (1-based) of one request.
///
/// `jitter` is a uniform random number in `[0, 1)` supplied by the caller, so
/// that this function stays deterministic.
pub fn decide(
    facts: &AttemptFacts,
    method: &str,
    keyed: bool,
    attempt: u32,
    policy: &RetryPolicy,
    budget: &Budget,
    jitter: f64,
) -> Decision {
    let never = |rule| Decision { retry: false, rule, backoff: Duration::ZERO };
    let Some(rule) = safety_rule(facts, method, policy, keyed) else {
        return never(Rule::NotRetryableFailure);
    };
    if !may_repeat(facts, method, policy, keyed) {
        return never(rule);
    }
    if !policy.enabled {
        return never(Rule::RetryOff);
    }
    if attempt > policy.max_extra_attempts {
        return never(Rule::AttemptsExhausted);
    }
    if !budget.try_take() {
        return never(Rule::BudgetExhausted);
    }
    Decision { retry: true, rule, backoff: policy.backoff.delay(attempt, jitter) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::facts::{FailureFacts, Operation};

    fn failed(phase: Phase, kind: ErrorKind) -> AttemptFacts {
        let mut facts = AttemptFacts::new();
        facts.error = Some(Box::new(FailureFacts {
            phase,
            kind,
            os: None,
            operation: Operation::Read,
            message: String::new(),
        }));
        facts
    }

    #[test]
    fn decision_table() {
        use ErrorKind::{BrokenPipe, ConnectionReset, Eof, Refused, Timeout, Tls};
        use Phase::{AwaitResponse, Checkout, Connect, ReadBody, ReadHeaders, Write};
        let policy = RetryPolicy::default();
        let cases: &[(&str, Phase, ErrorKind, bool, Rule)] = &[
            ("POST", Connect, Refused, true, Rule::ConnectFailed),
            ("POST", Connect, Timeout, true, Rule::ConnectFailed),
            ("POST", Checkout, Eof, true, Rule::NothingWritten),
            ("GET", AwaitResponse, Eof, true, Rule::IdempotentAfterWrite),
            ("GET", AwaitResponse, ConnectionReset, true, Rule::IdempotentAfterWrite),
            ("HEAD", ReadHeaders, ConnectionReset, true, Rule::IdempotentAfterWrite),
            ("GET", ReadBody, ConnectionReset, true, Rule::IdempotentAfterWrite),
            ("POST", Write, BrokenPipe, false, Rule::NotIdempotent),
            ("POST", AwaitResponse, ConnectionReset, false, Rule::NotIdempotent),
            ("PUT", AwaitResponse, Eof, false, Rule::NotIdempotent),
            ("DELETE", ReadBody, ConnectionReset, false, Rule::NotIdempotent),
            ("GET", AwaitResponse, Timeout, false, Rule::NotRetryableFailure),
            ("GET", Phase::Tls, Tls, false, Rule::NotRetryableFailure),
        ];
        for (method, phase, kind, retry, rule) in cases {
            let budget = Budget::default();
            let decision = decide(&failed(*phase, *kind), method, false, 1, &policy, &budget, 0.5);
            assert_eq!(
                (decision.retry, decision.rule),
                (*retry, *rule),
                "{method} {phase:?} {kind:?}"
            );
        }
    }

    #[test]
    fn keyed_and_configured_methods_become_retryable() {
        let budget = Budget::default();
        let facts = failed(Phase::AwaitResponse, ErrorKind::ConnectionReset);
        let policy = RetryPolicy::default();
        assert!(decide(&facts, "POST", true, 1, &policy, &budget, 0.0).retry);
        let policy =
            RetryPolicy { idempotent_methods: vec!["PUT".to_owned()], ..RetryPolicy::default() };
        assert!(decide(&facts, "PUT", false, 1, &policy, &budget, 0.0).retry);
        assert!(!decide(&facts, "GET", false, 1, &policy, &budget, 0.0).retry);
    }

    #[test]
    fn limits_apply_after_safety() {
        let facts = failed(Phase::Connect, ErrorKind::Refused);
        let budget = Budget::default();
        let policy = RetryPolicy::default();
        assert_eq!(
            decide(&facts, "GET", false, 3, &policy, &budget, 0.0).rule,
            Rule::AttemptsExhausted
        );
        let off = RetryPolicy { enabled: false, ..RetryPolicy::default() };
        assert_eq!(decide(&facts, "GET", false, 1, &off, &budget, 0.0).rule, Rule::RetryOff);
        let post = failed(Phase::AwaitResponse, ErrorKind::Eof);
        assert_eq!(decide(&post, "POST", false, 1, &off, &budget, 0.0).rule, Rule::NotIdempotent);
    }

    #[test]
    fn polls_never_repeat_a_written_post() {
        let policy = RetryPolicy::default();
        assert!(may_repeat(&failed(Phase::Connect, ErrorKind::Refused), "POST", &policy, false));
        assert!(!may_repeat(&failed(Phase::AwaitResponse, ErrorKind::Eof), "POST", &policy, false));
        assert!(may_repeat(&failed(Phase::AwaitResponse, ErrorKind::Eof), "GET", &policy, false));
    }
}
