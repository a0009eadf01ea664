//! What a transport failure means, in words: the one place that turns facts into judgements.
//!
//! Pure: facts in, values and sentences out; no I/O, no tokio, no clock. It owns
//! - the reset diagnosis ([`diagnose_attempt`], [`diagnose_replaced`]): a [`Cause`] from a
//!   closed vocabulary, a [`Confidence`], the evidence (the facts it rests on), whether the
//!   request may have been executed ([`Executed`]) and a hint: the concrete fix. Where the
//!   evidence does not single out a cause, the cause is [`Cause::Unknown`], never a guess;
//! - the judgements the runner and the reports used to make in place: whether a failure was
//!   the same on every attempt ([`reproducible`]), the warning about a response accepted
//!   although its connection ended badly ([`framing_warning`]), and the sentence of an
//!   entry's transport failure ([`entry_failure_sentence`]).
//!
//! - the Linux TCP counters (`/proc/net/netstat`, `/proc/net/snmp`) parsed from text the
//!   caller read, whose deltas around a failure are evidence ([`KernelCounters`]).
//!
//! The rules follow `shared/reference/retry-and-resets.md` §2.2 (causes a–g) and R3/R4.

mod classify;
mod kernel;
mod text;

pub use classify::{Observation, diagnose_attempt, diagnose_replaced, may_need_diagnosis};
pub use kernel::{COUNTERS, KernelCounters, KernelDelta};
pub use text::{entry_failure_sentence, framing_warning, reproducible};

use std::fmt;

/// Why a connection failed or was replaced: the closed vocabulary of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// The server closed an idle keep-alive connection just as a request was sent on it.
    KeepaliveRace,
    /// A pooled connection the server had closed was found dead before any byte was
    /// written, and replaced: prevention, not a failure.
    StaleConnectionReplaced,
    /// The server answered before reading the whole request body and closed with it unread.
    UnreadRequestBody,
    /// The server aborted the connection (RST) after it had started or finished answering.
    AbortiveClose,
    /// The server process exited during the request.
    ServerCrashed,
    /// The server's accept backlog overflowed (kernel counters show it).
    BacklogOverflow,
    /// A response framed by the connection's close ended with a reset: completeness unknown.
    CloseDelimitedUnknown,
    /// Nothing accepted the connection.
    ConnectRefused,
    /// A connect or response time limit expired.
    Timeout,
    /// A middlebox (NAT, load balancer) dropped a long-idle connection.
    MiddleboxIdle,
    /// The evidence does not single out a cause.
    Unknown,
}

impl Cause {
    /// Every cause, in report order.
    pub const ALL: [Cause; 11] = [
        Cause::KeepaliveRace,
        Cause::StaleConnectionReplaced,
        Cause::UnreadRequestBody,
        Cause::AbortiveClose,
        Cause::ServerCrashed,
        Cause::BacklogOverflow,
        Cause::CloseDelimitedUnknown,
        Cause::ConnectRefused,
        Cause::Timeout,
        Cause::MiddleboxIdle,
        Cause::Unknown,
    ];

    /// The stable snake_case name used in reports and in `docs/causes/<name>.md`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::KeepaliveRace => "keepalive_race",
            Cause::StaleConnectionReplaced => "stale_connection_replaced",
            Cause::UnreadRequestBody => "unread_request_body",
            Cause::AbortiveClose => "abortive_close",
            Cause::ServerCrashed => "server_crashed",
            Cause::BacklogOverflow => "backlog_overflow",
            Cause::CloseDelimitedUnknown => "close_delimited_unknown",
            Cause::ConnectRefused => "connect_refused",
            Cause::Timeout => "timeout",
            Cause::MiddleboxIdle => "middlebox_idle",
            Cause::Unknown => "unknown",
        }
    }

    /// The cause named `name`, as reports spell it.
    pub fn parse(name: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The position in [`Cause::ALL`], for counting per cause.
    pub fn index(self) -> usize {
        Cause::ALL.iter().position(|c| *c == self).unwrap_or(Cause::ALL.len() - 1)
    }

    /// Whether this is a failure of the service (as opposed to the transport doing its job).
    pub fn is_prevention(self) -> bool {
        self == Cause::StaleConnectionReplaced
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How strongly the evidence supports the cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// The facts admit no other cause.
    High,
    /// The usual explanation of these facts, but another one fits them too.
    Medium,
    /// A weak lead.
    Low,
}

impl Confidence {
    /// `high`, `medium`, `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// Whether the server may have executed the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Executed {
    /// No byte of it can have been processed (nothing written, no connection).
    No,
    /// The server answered it (a status arrived).
    Yes,
    /// Bytes were written and no answer came: the server may or may not have applied it.
    Unknown,
}

impl Executed {
    /// `no`, `yes`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Executed::No => "no",
            Executed::Yes => "yes",
            Executed::Unknown => "unknown",
        }
    }

    /// A clause for people: "the request was not executed".
    pub fn describe(self) -> &'static str {
        match self {
            Executed::No => "the request was not executed",
            Executed::Yes => "the server executed the request",
            Executed::Unknown => "outcome unknown: the server may have executed the request",
        }
    }
}

/// One diagnosis: a cause with its confidence, the facts behind it, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// The cause.
    pub cause: Cause,
    /// How sure.
    pub confidence: Confidence,
    /// One short sentence: what happened.
    pub summary: String,
    /// The facts the cause rests on, one per item.
    pub evidence: Vec<String>,
    /// Whether the request may have been executed.
    pub may_have_executed: Executed,
    /// The concrete fix, in the user's words.
    pub hint: String,
}

impl Diagnosis {
    /// The one line shown where the diagnosis happens: cause, confidence, summary, verdict.
    pub fn line(&self) -> String {
        format!(
            "{} ({} confidence): {}; {}",
            self.cause,
            self.confidence.as_str(),
            self.summary,
            self.may_have_executed.describe()
        )
    }
}

#[cfg(test)]
mod tests;
