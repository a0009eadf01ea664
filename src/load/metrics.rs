//! The aggregate of a load run: counters and histograms per request name × outcome, nothing per request.
//!
//! An iteration's outcome tree (a `FileRun`) is folded into the [`Aggregate`] as soon as the
//! iteration ends and then dropped, so memory depends on the number of distinct request names,
//! never on the number of requests. The same type is what a result file holds and what
//! `shakedown merge` adds up, so a merged aggregate is the aggregate of one big run.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::diagnosis::Cause;
use crate::load::histogram::Latency;
use crate::runner::execute::FileRun;
use crate::runner::outcome::{EntryFailure, Outcome, Poll};
use crate::transport::facts::{AttemptFacts, ErrorKind};

/// The outcome class of one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttemptClass {
    /// A response came, and the entry's asserts and captures held.
    Ok,
    /// A response came, but an assert or capture failed (counted, not fatal, as in k6).
    Failed,
    /// No usable response: the transport failed.
    Error,
}

impl AttemptClass {
    /// The stable name in the result file.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptClass::Ok => "ok",
            AttemptClass::Failed => "failed",
            AttemptClass::Error => "error",
        }
    }

    /// Reads the stable name back.
    pub fn parse(text: &str) -> Option<AttemptClass> {
        match text {
            "ok" => Some(AttemptClass::Ok),
            "failed" => Some(AttemptClass::Failed),
            "error" => Some(AttemptClass::Error),
            _ => None,
        }
    }
}

/// The error class of a failed attempt, from the transport's facts.
///
/// Diagnosed causes (`keepalive_race`, ...) are counted beside these classes, as
/// `cause.NAME`, from each attempt's diagnoses.
pub fn error_class(facts: &AttemptFacts) -> Option<&'static str> {
    let failure = facts.error.as_ref()?;
    Some(match failure.kind {
        ErrorKind::ConnectionReset => "reset",
        ErrorKind::BrokenPipe => "broken_pipe",
        ErrorKind::Eof => "eof",
        ErrorKind::Refused => "refused",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Tls => "tls",
        ErrorKind::H2RefusedStream => "h2_refused_stream",
        ErrorKind::H2Goaway => "h2_goaway",
        ErrorKind::H2Other => "h2_other",
        ErrorKind::Dns => "dns",
        ErrorKind::BodyTooLarge => "body_too_large",
        ErrorKind::Other => "other",
    })
}

/// The key a diagnosed cause is counted under, beside the transport's classes: `cause.NAME`,
/// NAME from the diagnosis's closed vocabulary (`keepalive_race`, ...). The `cause.X`
/// thresholds read these counts.
pub fn cause_key(cause: Cause) -> &'static str {
    match cause {
        Cause::KeepaliveRace => "cause.keepalive_race",
        Cause::StaleConnectionReplaced => "cause.stale_connection_replaced",
        Cause::UnreadRequestBody => "cause.unread_request_body",
        Cause::AbortiveClose => "cause.abortive_close",
        Cause::ServerCrashed => "cause.server_crashed",
        Cause::BacklogOverflow => "cause.backlog_overflow",
        Cause::CloseDelimitedUnknown => "cause.close_delimited_unknown",
        Cause::ConnectRefused => "cause.connect_refused",
        Cause::Timeout => "cause.timeout",
        Cause::MiddleboxIdle => "cause.middlebox_idle",
        Cause::Unknown => "cause.unknown",
    }
}

/// The phases of an attempt, as recorded by the transport (k6's blocked/connecting/...).
pub const PHASES: [&str; 6] = ["queue", "connect", "tls", "send", "wait", "receive"];

/// Everything about one request name × outcome class.
#[derive(Clone, Debug, Default)]
pub struct RequestStats {
    /// Attempts.
    pub count: u64,
    /// Latency of each attempt (from the intended start for an open model's first request).
    pub latency: Latency,
    /// One histogram per entry of [`PHASES`].
    pub phases: [Latency; 6],
    /// Status codes received.
    pub status_codes: BTreeMap<u16, u64>,
    /// Transport errors by class.
    pub errors: BTreeMap<String, u64>,
}

impl RequestStats {
    /// Adds another's samples and counts.
    pub fn add(&mut self, other: &RequestStats) {
        self.count += other.count;
        self.latency.add(&other.latency);
        for (mine, theirs) in self.phases.iter_mut().zip(&other.phases) {
            mine.add(theirs);
        }
        add_counts(&mut self.status_codes, &other.status_codes);
        add_counts(&mut self.errors, &other.errors);
    }
}

/// Run-wide counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Iterations that ran to their end.
    pub iterations: u64,
    /// Iterations whose file did not pass.
    pub iterations_failed: u64,
    /// Open model: starts that found no free VU (k6 `dropped_iterations`).
    pub dropped_iterations: u64,
    /// Iterations cut off at the end of the run (not counted anywhere else).
    pub interrupted_iterations: u64,
    /// Transport attempts.
    pub requests: u64,
    /// Attempts that failed in the transport.
    pub errors: u64,
    /// Asserts evaluated.
    pub asserts: u64,
    /// Asserts that failed.
    pub assert_failures: u64,
    /// Attempts sent again after a transport failure.
    pub retries: u64,
}

/// The aggregate of a run (or of merged shards).
#[derive(Clone, Debug, Default)]
pub struct Aggregate {
    /// Run-wide counters.
    pub counters: Counters,
    /// Per request name, per outcome class.
    pub requests: BTreeMap<String, BTreeMap<AttemptClass, RequestStats>>,
    /// Every attempt's latency, all names together.
    pub latency: Latency,
    /// Iteration durations (from the intended start in the open model).
    pub iteration: Latency,
    /// Retries by the cause of the failure retried.
    pub retries_by_cause: BTreeMap<String, u64>,
    /// Retries by the rule that allowed them.
    pub retries_by_rule: BTreeMap<String, u64>,
}

/// Names the requests of one file: `file:line METHOD url-template`, by entry index.
pub trait RequestNames {
    /// The name of entry `index` (1-based).
    fn name(&self, index: usize) -> Option<&str>;
}

impl RequestNames for Vec<String> {
    fn name(&self, index: usize) -> Option<&str> {
        index.checked_sub(1).and_then(|i| self.get(i)).map(String::as_str)
    }
}

impl Aggregate {
    /// Folds one finished iteration in. `lag` is how late the iteration started after its
    /// intended start (open model); it is added to the first attempt's latency and queue
    /// phase, so latency is measured from the intended start (coordinated omission corrected).
    pub fn record_iteration(
        &mut self,
        run: &FileRun,
        names: &dyn RequestNames,
        lag: Duration,
        total: Duration,
    ) {
        let c = &mut self.counters;
        c.iterations += 1;
        if !run.outcome.outcome.is_pass() {
            c.iterations_failed += 1;
        }
        self.iteration.record(total);
        let mut lag = Some(lag);
        for entry in &run.outcome.entries {
            let fallback;
            let name = match names.name(entry.index) {
                Some(name) => name,
                None => {
                    fallback = format!(
                        "{}:{} {} {}",
                        run.outcome.path.display(),
                        entry.line,
                        entry.method,
                        entry.url
                    );
                    &fallback
                }
            };
            for poll in entry.iterations.iter().flat_map(|i| &i.polls) {
                self.record_poll(name, poll, &mut lag);
            }
        }
    }

    /// Counts one iteration that ran to its end with this verdict, in `total` (from the
    /// intended start). Its polls are given to [`Aggregate::record_poll`] as they end.
    pub fn record_iteration_end(&mut self, outcome: Outcome, total: Duration) {
        self.counters.iterations += 1;
        if !outcome.is_pass() {
            self.counters.iterations_failed += 1;
        }
        self.iteration.record(total);
    }

    /// Folds one poll of request `name` in: its attempts, asserts and errors. `lag`, while
    /// still there, is added to the first attempt's latency and queue phase, and taken.
    pub fn record_poll(&mut self, name: &str, poll: &Poll, lag: &mut Option<Duration>) {
        self.counters.asserts += poll.asserts.len() as u64;
        self.counters.assert_failures += poll.asserts.iter().filter(|a| !a.success).count() as u64;
        let last = poll.attempts.len();
        for attempt in &poll.attempts {
            let facts = &attempt.facts;
            let error = error_class(facts);
            let class = if error.is_some() || attempt.error.is_some() {
                AttemptClass::Error
            } else if attempt.n == last
                && poll.outcome != Outcome::Passed
                && poll.outcome != Outcome::Flaky
                && !matches!(poll.failure, Some(EntryFailure::Transport { .. }) | None)
            {
                AttemptClass::Failed
            } else {
                AttemptClass::Ok
            };
            let extra = lag.take().unwrap_or_default();
            let t = &facts.timings;
            let latency = t.total + extra;
            self.counters.requests += 1;
            self.latency.record(latency);
            if class == AttemptClass::Error {
                self.counters.errors += 1;
            }
            // The diagnosed cause, when the diagnosis named one: the retries and
            // the `cause.X` thresholds count by it.
            let cause = attempt.diagnoses.last().map(|d| d.cause.as_str());
            if let Some(decision) = &attempt.decision
                && decision.retry
            {
                self.counters.retries += 1;
                *self
                    .retries_by_cause
                    .entry(cause.or(error).unwrap_or("other").to_owned())
                    .or_default() += 1;
                *self.retries_by_rule.entry(decision.rule.as_str().to_owned()).or_default() += 1;
            }
            // Looked up by &str: no allocation per attempt once the name is known.
            let by_class = match self.requests.get_mut(name) {
                Some(by_class) => by_class,
                None => self.requests.entry(name.to_owned()).or_default(),
            };
            let stats = match by_class.get_mut(&class) {
                Some(stats) => stats,
                None => by_class.entry(class).or_default(),
            };
            stats.count += 1;
            stats.latency.record(latency);
            let phases = [
                Some(t.queue + extra),
                t.connect,
                t.tls,
                Some(t.send),
                Some(t.wait),
                Some(t.receive),
            ];
            for (h, value) in stats.phases.iter_mut().zip(phases) {
                if let Some(value) = value {
                    h.record(value);
                }
            }
            if let Some(status) = attempt.status {
                match stats.status_codes.get_mut(&status) {
                    Some(n) => *n += 1,
                    None => {
                        stats.status_codes.insert(status, 1);
                    }
                }
            }
            if let Some(error) = error {
                *stats.errors.entry(error.to_owned()).or_default() += 1;
            }
            // Every diagnosis of the attempt, by its cause (a failed attempt's, and a
            // pooled connection replaced before a successful one): looked up by a
            // static key, so counting allocates nothing once the cause was seen.
            for diagnosis in &attempt.diagnoses {
                let key = cause_key(diagnosis.cause);
                match stats.errors.get_mut(key) {
                    Some(n) => *n += 1,
                    None => {
                        stats.errors.insert(key.to_owned(), 1);
                    }
                }
            }
        }
    }

    /// Adds another aggregate (another shard, another thread) into this one, losslessly.
    pub fn add(&mut self, other: &Aggregate) {
        let (a, b) = (&mut self.counters, &other.counters);
        a.iterations += b.iterations;
        a.iterations_failed += b.iterations_failed;
        a.dropped_iterations += b.dropped_iterations;
        a.interrupted_iterations += b.interrupted_iterations;
        a.requests += b.requests;
        a.errors += b.errors;
        a.asserts += b.asserts;
        a.assert_failures += b.assert_failures;
        a.retries += b.retries;
        for (name, by_class) in &other.requests {
            let mine = self.requests.entry(name.clone()).or_default();
            for (class, stats) in by_class {
                mine.entry(*class).or_default().add(stats);
            }
        }
        self.latency.add(&other.latency);
        self.iteration.add(&other.iteration);
        add_counts(&mut self.retries_by_cause, &other.retries_by_cause);
        add_counts(&mut self.retries_by_rule, &other.retries_by_rule);
    }

    /// Transport errors by class, all names together.
    pub fn errors_by_class(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for stats in self.requests.values().flat_map(BTreeMap::values) {
            add_counts(&mut out, &stats.errors);
        }
        out
    }

    /// Status codes, all names together.
    pub fn status_codes(&self) -> BTreeMap<u16, u64> {
        let mut out = BTreeMap::new();
        for stats in self.requests.values().flat_map(BTreeMap::values) {
            add_counts(&mut out, &stats.status_codes);
        }
        out
    }
}

fn add_counts<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
    for (key, n) in from {
        *into.entry(key.clone()).or_default() += n;
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::SystemTime;

    use super::*;
    use crate::retry::{Decision, Rule};
    use crate::runner::cookies::CookieStore;
    use crate::runner::outcome::{AttemptRecord, EntryOutcome, FileOutcome, Iteration, Poll};
    use crate::transport::facts::{FailureFacts, Operation, Phase};

    fn attempt(
        n: usize,
        status: Option<u16>,
        error: Option<ErrorKind>,
        retry: bool,
    ) -> AttemptRecord {
        let mut facts = AttemptFacts::new();
        facts.timings.total = Duration::from_millis(2);
        facts.timings.wait = Duration::from_millis(1);
        facts.error = error.map(|kind| {
            Box::new(FailureFacts {
                phase: Phase::AwaitResponse,
                kind,
                os: None,
                operation: Operation::Read,
                message: "reset".to_owned(),
            })
        });
        AttemptRecord {
            n,
            method: "GET".to_owned(),
            url: "http://127.0.0.1/x".to_owned(),
            status,
            error: error.map(|kind| {
                Box::new(crate::transport::TransportFailure {
                    kind,
                    phase: Phase::AwaitResponse,
                    os: None,
                    operation: Operation::Read,
                    message: "reset".to_owned(),
                    reused: Some(false),
                    idle: None,
                })
            }),
            facts,
            decision: retry.then_some(Decision {
                retry: true,
                rule: Rule::IdempotentAfterWrite,
                backoff: Duration::ZERO,
            }),
            started: SystemTime::now(),
            duration: Duration::from_millis(2),
            warnings: Vec::new(),
            sent_before_crash_known: false,
            diagnoses: Vec::new(),
        }
    }

    fn run(polls: Vec<Poll>, outcome: Outcome) -> FileRun {
        FileRun {
            outcome: FileOutcome {
                path: PathBuf::from("a.hurl"),
                outcome,
                entries: vec![EntryOutcome {
                    index: 1,
                    line: 1,
                    method: "GET".to_owned(),
                    url: "http://127.0.0.1/x".to_owned(),
                    url_template: "http://127.0.0.1/x".to_owned(),
                    outcome,
                    iterations: vec![Iteration { n: 1, polls }],
                }],
                file_error: None,
                started: SystemTime::now(),
                duration: Duration::ZERO,
                source: String::new(),
            },
            cookies: CookieStore::default(),
            last_response: None,
            log: Vec::new(),
            learned_idle_limits: Vec::new(),
            server_crash: None,
            secrets: Vec::new(),
        }
    }

    fn poll(attempts: Vec<AttemptRecord>, outcome: Outcome, failure: Option<EntryFailure>) -> Poll {
        Poll {
            n: 1,
            attempts,
            asserts: Vec::new(),
            captures: Vec::new(),
            failure,
            outcome,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn every_cause_has_its_key() {
        for cause in Cause::ALL {
            assert_eq!(cause_key(cause), format!("cause.{}", cause.as_str()));
        }
    }

    #[test]
    fn an_iteration_is_folded_by_name_and_outcome_with_retries_by_cause() {
        let names = vec!["a.hurl:1 GET {{url}}".to_owned()];
        let mut aggregate = Aggregate::default();
        // A reset diagnosed as a keep-alive race, retried, then a 200: flaky pass.
        let mut raced = attempt(1, None, Some(ErrorKind::ConnectionReset), true);
        raced.diagnoses.push(crate::diagnosis::Diagnosis {
            cause: Cause::KeepaliveRace,
            confidence: crate::diagnosis::Confidence::Medium,
            summary: String::new(),
            evidence: Vec::new(),
            may_have_executed: crate::diagnosis::Executed::Unknown,
            hint: String::new(),
        });
        let flaky = run(
            vec![poll(vec![raced, attempt(2, Some(200), None, false)], Outcome::Flaky, None)],
            Outcome::Flaky,
        );
        // Open model: started 5 ms late; the first attempt's latency counts it.
        aggregate.record_iteration(
            &flaky,
            &names,
            Duration::from_millis(5),
            Duration::from_millis(9),
        );
        // A 500 whose asserts failed.
        let failed = run(
            vec![poll(
                vec![attempt(1, Some(500), None, false)],
                Outcome::Failed,
                Some(EntryFailure::Asserts),
            )],
            Outcome::Failed,
        );
        aggregate.record_iteration(&failed, &names, Duration::ZERO, Duration::from_millis(2));

        let c = &aggregate.counters;
        assert_eq!(
            (c.iterations, c.iterations_failed, c.requests, c.errors, c.retries),
            (2, 1, 3, 1, 1)
        );
        assert_eq!(aggregate.retries_by_cause.get("keepalive_race"), Some(&1));
        assert_eq!(aggregate.errors_by_class().get("cause.keepalive_race"), Some(&1));
        assert_eq!(aggregate.retries_by_rule.get("idempotent_after_write"), Some(&1));
        let by_class = &aggregate.requests["a.hurl:1 GET {{url}}"];
        assert_eq!(by_class[&AttemptClass::Error].count, 1);
        assert_eq!(by_class[&AttemptClass::Error].errors.get("reset"), Some(&1));
        assert_eq!(by_class[&AttemptClass::Ok].status_codes.get(&200), Some(&1));
        assert_eq!(by_class[&AttemptClass::Failed].status_codes.get(&500), Some(&1));
        // 2 ms + 5 ms of lag on the first attempt only.
        assert_eq!(aggregate.latency.summary().max_us / 100, 70);
        assert_eq!(by_class[&AttemptClass::Error].phases[0].summary().max_us / 100, 50);
        assert_eq!(aggregate.errors_by_class().get("reset"), Some(&1));
        // Connect and TLS did not happen: no sample, not a zero.
        assert_eq!(by_class[&AttemptClass::Ok].phases[1].count(), 0);

        let mut twice = aggregate.clone();
        twice.add(&aggregate);
        assert_eq!(twice.counters.requests, 6);
        assert_eq!(twice.latency.count(), 6);
        assert_eq!(twice.requests["a.hurl:1 GET {{url}}"][&AttemptClass::Ok].count, 2);
    }

    #[test]
    fn polls_folded_as_they_end_equal_the_iteration_folded_at_its_end() {
        let name = "a.hurl:1 GET {{url}}";
        let polls = || {
            vec![
                poll(
                    vec![attempt(1, Some(500), None, false)],
                    Outcome::Failed,
                    Some(EntryFailure::Asserts),
                ),
                poll(
                    vec![
                        attempt(1, None, Some(ErrorKind::ConnectionReset), true),
                        attempt(2, Some(200), None, false),
                    ],
                    Outcome::Flaky,
                    None,
                ),
            ]
        };
        let (lag, total) = (Duration::from_millis(5), Duration::from_millis(20));
        let mut whole = Aggregate::default();
        whole.record_iteration(&run(polls(), Outcome::Flaky), &vec![name.to_owned()], lag, total);
        // The attempt sink's way: each poll as it ends, then the verdict.
        let mut folded = Aggregate::default();
        let mut pending = Some(lag);
        for p in &polls() {
            folded.record_poll(name, p, &mut pending);
        }
        folded.record_iteration_end(Outcome::Flaky, total);
        assert_eq!(pending, None, "the lag goes to the first attempt only");
        assert_eq!(folded.counters, whole.counters);
        assert_eq!(folded.counters.requests, 3);
        assert_eq!(folded.latency.summary(), whole.latency.summary());
        assert_eq!(folded.iteration.summary(), whole.iteration.summary());
        assert_eq!(folded.retries_by_cause, whole.retries_by_cause);
        for class in [AttemptClass::Ok, AttemptClass::Failed, AttemptClass::Error] {
            let (a, b) = (&folded.requests[name][&class], &whole.requests[name][&class]);
            assert_eq!(
                (a.count, &a.status_codes, &a.errors),
                (b.count, &b.status_codes, &b.errors)
            );
            assert_eq!(a.phases[0].summary(), b.phases[0].summary());
        }
    }
}
