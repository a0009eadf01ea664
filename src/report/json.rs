//! The JSON report, `"schema": "shakedown.report/v1"`: an API boundary towards CI systems.
//!
//! The document is built from separate, versioned DTOs: domain types never
//! derive `Serialize`, so changing the runner cannot change the format by
//! accident. `docs/json-report.md` documents every field; a test checks the
//! documented example against a real run.

use std::io;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::diagnosis::Diagnosis;
use crate::report::source::{line_text, locate};
use crate::report::suite::SuiteSection;
use crate::retry::{self, RetryPolicy};
use crate::runner::execute::RunSettings;
use crate::runner::outcome::{
    AttemptRecord, EntryFailure, EntryOutcome, FileError, FileOutcome, Outcome, Poll,
};
use crate::scenario::{LineIndex, shown_position};
use crate::transport::facts::AttemptFacts;

/// The schema identifier of this format.
pub const SCHEMA: &str = "shakedown.report/v1";

/// Provenance of a run, supplied by the command line.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The run's verdict (`passed`, `flaky`, `failed`, `error`, `interrupted`), decided
    /// by the engine (`session::verdict`), not here.
    pub outcome: &'static str,
    /// The command line, secrets redacted.
    pub command_line: Vec<String>,
    /// The effective options, as a JSON object.
    pub options: serde_json::Value,
    /// The transport retry policy, as a JSON object.
    pub policy: serde_json::Value,
    /// When the run started.
    pub started: SystemTime,
    /// How long it took.
    pub duration: Duration,
    /// Idle limits the transport learned per origin, as a JSON array.
    pub learned_idle_limits: serde_json::Value,
    /// Requests started, retries taken, whether the budget ran out.
    pub retry_budget: (u64, u64, bool),
}

/// The Hurl release whose semantics shakedown follows.
pub const HURL_VERSION: &str = "8.1.0";

#[derive(Serialize)]
struct RunDto<'a> {
    shakedown_version: &'static str,
    hurl_version: &'static str,
    command_line: &'a [String],
    options: &'a serde_json::Value,
    policy: &'a serde_json::Value,
    started_at: String,
    duration_ms: u128,
    seed: Option<u64>,
    learned_idle_limits: &'a serde_json::Value,
    retry_budget: BudgetDto,
}

/// How many files and entries ended each way; every count adds up to `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
pub struct CountsDto {
    total: usize,
    passed: usize,
    flaky: usize,
    failed: usize,
    error: usize,
    skipped: usize,
    interrupted: usize,
}

impl CountsDto {
    fn sum(&mut self, other: &CountsDto) {
        self.total += other.total;
        self.passed += other.passed;
        self.flaky += other.flaky;
        self.failed += other.failed;
        self.error += other.error;
        self.skipped += other.skipped;
        self.interrupted += other.interrupted;
    }

    fn add(&mut self, outcome: Outcome) {
        self.total += 1;
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Flaky => self.flaky += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Error => self.error += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Interrupted => self.interrupted += 1,
        }
    }
}

/// `totals`: what the run adds up to (one file's share in a [`FileFragment`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TotalsDto {
    files: CountsDto,
    entries: CountsDto,
    /// Transport attempts sent (every attempt counts).
    requests: usize,
    /// Transport attempts that failed.
    failed_attempts: usize,
    /// Asserts evaluated, and how many failed, in the polls that decided the entries.
    asserts: usize,
    failed_asserts: usize,
    /// `shakedown run`: how the layers ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    layers: Option<crate::report::suite::LayerCountsDto>,
}

impl TotalsDto {
    /// Adds another share (another file) into these totals.
    fn sum(&mut self, other: &TotalsDto) {
        self.files.sum(&other.files);
        self.entries.sum(&other.entries);
        self.requests += other.requests;
        self.failed_attempts += other.failed_attempts;
        self.asserts += other.asserts;
        self.failed_asserts += other.failed_asserts;
    }
}

fn totals(files: &[FileOutcome]) -> TotalsDto {
    let mut totals = TotalsDto {
        files: CountsDto::default(),
        entries: CountsDto::default(),
        requests: 0,
        failed_attempts: 0,
        asserts: 0,
        failed_asserts: 0,
        layers: None,
    };
    for file in files {
        totals.files.add(file.outcome);
        for entry in &file.entries {
            totals.entries.add(entry.outcome);
            for poll in entry.iterations.iter().flat_map(|i| &i.polls) {
                totals.requests += poll.attempts.len();
                totals.failed_attempts +=
                    poll.attempts.iter().filter(|a| a.error.is_some()).count();
            }
            if let Some(poll) = entry.last_poll() {
                totals.asserts += poll.asserts.len();
                totals.failed_asserts += poll.asserts.iter().filter(|a| !a.success).count();
            }
        }
    }
    totals
}

#[derive(Serialize)]
struct BudgetDto {
    requests: u64,
    retries: u64,
    exhausted: bool,
}

#[derive(Serialize)]
struct FileDto {
    path: String,
    outcome: &'static str,
    duration_ms: u128,
    error: Option<FileErrorDto>,
    entries: Vec<EntryDto>,
}

#[derive(Serialize)]
struct FileErrorDto {
    kind: &'static str,
    messages: Vec<String>,
}

#[derive(Serialize)]
struct EntryDto {
    index: usize,
    line: usize,
    method: String,
    url: String,
    url_template: String,
    outcome: &'static str,
    iterations: Vec<IterationDto>,
}

#[derive(Serialize)]
struct IterationDto {
    n: usize,
    polls: Vec<PollDto>,
}

#[derive(Serialize)]
struct PollDto {
    n: usize,
    outcome: &'static str,
    warnings: Vec<String>,
    failure: Option<FailureDto>,
    asserts: Vec<AssertDto>,
    captures: Vec<String>,
    attempts: Vec<AttemptDto>,
}

#[derive(Serialize)]
struct FailureDto {
    kind: &'static str,
    message: String,
}

#[derive(Serialize)]
struct AssertDto {
    line: usize,
    column: usize,
    /// The assert as written (its line, trimmed).
    text: String,
    implicit: bool,
    success: bool,
    actual: Option<String>,
    expected: Option<String>,
    message: Option<String>,
}

#[derive(Serialize)]
struct AttemptDto {
    n: usize,
    method: String,
    url: String,
    status: Option<u16>,
    error: Option<String>,
    started_at: String,
    duration_ms: f64,
    warnings: Vec<String>,
    sent_before_crash_known: bool,
    facts: serde_json::Value,
    diagnoses: Vec<DiagnosisDto>,
}

#[derive(Serialize)]
struct LedgerDto {
    file: String,
    entry: LedgerEntryDto,
    method: String,
    url: String,
    attempt: LedgerAttemptDto,
    message: String,
    phase: Option<&'static str>,
    error: serde_json::Value,
    connection: serde_json::Value,
    bytes: serde_json::Value,
    framing: Option<&'static str>,
    sent_before_crash_known: bool,
    decision: Option<DecisionDto>,
    backoff_ms: Option<u128>,
    diagnoses: Vec<DiagnosisDto>,
}

/// One diagnosis, as attempts, ledger records and the top-level list carry it.
#[derive(Serialize)]
struct DiagnosisDto {
    cause: &'static str,
    confidence: &'static str,
    summary: String,
    evidence: Vec<String>,
    may_have_executed: &'static str,
    hint: String,
}

/// A diagnosis with where it happened: the top-level `diagnoses` list (`shakedown explain`).
#[derive(Serialize)]
struct DiagnosisRecordDto {
    file: String,
    entry: LedgerEntryDto,
    method: String,
    url: String,
    attempt: usize,
    #[serde(flatten)]
    diagnosis: DiagnosisDto,
}

#[derive(Serialize)]
struct LedgerEntryDto {
    index: usize,
    line: usize,
}

#[derive(Serialize)]
struct LedgerAttemptDto {
    n: usize,
    max: u32,
}

#[derive(Serialize)]
struct DecisionDto {
    retry: bool,
    rule: &'static str,
}

fn timestamp(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn ms_opt(d: Option<Duration>) -> serde_json::Value {
    d.map_or(serde_json::Value::Null, |d| serde_json::json!(ms(d)))
}

/// The connection part of an attempt's facts.
fn connection_json(facts: &AttemptFacts) -> serde_json::Value {
    facts.connection.as_ref().map_or(serde_json::Value::Null, |c| {
        serde_json::json!({
            "id": c.id.0,
            "reused": c.reused,
            "reuse_count": c.reuse_count,
            "idle_ms": ms_opt(c.idle),
            "age_ms": ms(c.age),
            "idle_eof_seen_before_checkout": c.idle_eof_seen_before_checkout,
            "last_connection_header": c.last_connection_header,
            "last_keep_alive_timeout_ms": ms_opt(c.last_keep_alive_timeout),
            "http2": c.http2,
            "tls": c.tls,
        })
    })
}

/// The error part of an attempt's facts.
fn error_json(facts: &AttemptFacts) -> serde_json::Value {
    facts.error.as_ref().map_or(serde_json::Value::Null, |e| {
        let os = e.os.as_ref().or_else(|| facts.socket_error.as_ref().and_then(|s| s.os.as_ref()));
        serde_json::json!({
            "kind": e.kind.as_str(),
            "errno": os.and_then(|o| o.errno),
            "name": os.map(|o| o.name),
            "operation": e.operation.as_str(),
            "message": e.message,
        })
    })
}

/// The raw facts of an attempt, as the report shows them.
pub fn facts_json(facts: &AttemptFacts) -> serde_json::Value {
    let t = &facts.timings;
    serde_json::json!({
        "phase_reached": facts.phase_reached.as_str(),
        "phase": facts.error.as_ref().map(|e| e.phase.as_str()),
        "connection": connection_json(facts),
        "discarded_connections": facts.discarded.iter().map(|d| serde_json::json!({
            "id": d.id.0,
            "idle_ms": ms(d.idle),
            "reason": d.reason,
            "closed_after_idle_ms": ms_opt(d.closed_after_idle),
            "errno": d.os.as_ref().and_then(|o| o.errno),
            "name": d.os.as_ref().map(|o| o.name),
        })).collect::<Vec<_>>(),
        "bytes": { "written": facts.bytes_written, "total": facts.bytes_total, "read": facts.bytes_read, "body": facts.body_bytes, "request_body": facts.request_body_bytes },
        "framing": facts.framing.map(|f| f.as_str()),
        "body_complete": facts.body_complete,
        "ended_with": facts.ended_with.as_str(),
        "error": error_json(facts),
        "h2": facts.h2.map(|h| serde_json::json!({
            "stream_id": h.stream_id, "rst_code": h.rst_code, "goaway_code": h.goaway_code,
            "goaway_last_stream_id": h.goaway_last_stream_id, "reason": h.reason,
        })),
        "early_response_after_write_error": facts.early_response_after_write_error,
        "complete_then_reset": facts.complete_then_reset,
        "timings_ms": {
            "queue": ms(t.queue), "connect": ms_opt(t.connect), "tls": ms_opt(t.tls),
            "send": ms(t.send), "wait": ms(t.wait), "receive": ms(t.receive), "total": ms(t.total),
        },
    })
}

fn failure_dto(failure: &EntryFailure, poll: &Poll, source: &str, lines: &LineIndex) -> FailureDto {
    let (kind, message) = match failure {
        EntryFailure::Asserts => {
            let failed: Vec<_> = poll
                .asserts
                .iter()
                .filter(|a| !a.success)
                .map(|a| locate(source, lines, a))
                .collect();
            let message = match failed.as_slice() {
                [] => "at least one assert failed".to_owned(),
                [one] => format!("line {}: {}", one.line, one.summary()),
                [first, ..] => format!(
                    "{} asserts failed; the first, line {}: {}",
                    failed.len(),
                    first.line,
                    first.summary()
                ),
            };
            ("asserts", message)
        }
        EntryFailure::Capture { message, .. } => ("capture", message.clone()),
        EntryFailure::Runtime { message, .. } => ("runtime", message.clone()),
        EntryFailure::Transport(failed) => ("transport", failed.message()),
        EntryFailure::ServerCrashed { message, stderr_tail } => {
            ("server_crashed", format!("{message}\n{}", stderr_tail.join("\n")))
        }
    };
    FailureDto { kind, message }
}

fn attempt_dto(attempt: &AttemptRecord) -> AttemptDto {
    AttemptDto {
        n: attempt.n,
        method: attempt.method.clone(),
        url: attempt.url.clone(),
        status: attempt.status,
        error: attempt.error_message(),
        started_at: timestamp(attempt.started),
        duration_ms: ms(attempt.duration),
        warnings: attempt.warnings.clone(),
        sent_before_crash_known: attempt.sent_before_crash_known,
        facts: facts_json(&attempt.facts),
        diagnoses: attempt.diagnoses.iter().map(diagnosis_dto).collect(),
    }
}

fn diagnosis_dto(d: &Diagnosis) -> DiagnosisDto {
    DiagnosisDto {
        cause: d.cause.as_str(),
        confidence: d.confidence.as_str(),
        summary: d.summary.clone(),
        evidence: d.evidence.clone(),
        may_have_executed: d.may_have_executed.as_str(),
        hint: d.hint.clone(),
    }
}

fn diagnosis_records(files: &[FileOutcome]) -> Vec<DiagnosisRecordDto> {
    let mut records = Vec::new();
    for file in files {
        for entry in &file.entries {
            for attempt in entry.iterations.iter().flat_map(|i| &i.polls).flat_map(|p| &p.attempts)
            {
                for d in &attempt.diagnoses {
                    records.push(DiagnosisRecordDto {
                        file: file.path.display().to_string(),
                        entry: LedgerEntryDto { index: entry.index, line: entry.line },
                        method: attempt.method.clone(),
                        url: attempt.url.clone(),
                        attempt: attempt.n,
                        diagnosis: diagnosis_dto(d),
                    });
                }
            }
        }
    }
    records
}

fn poll_dto(poll: &Poll, source: &str, lines: &LineIndex) -> PollDto {
    PollDto {
        n: poll.n,
        outcome: poll.outcome.as_str(),
        warnings: poll.warnings.clone(),
        failure: poll.failure.as_ref().map(|f| failure_dto(f, poll, source, lines)),
        asserts: poll
            .asserts
            .iter()
            .map(|a| {
                let (line, column) = shown_position(lines, source, a.span);
                AssertDto {
                    line,
                    column,
                    text: line_text(source, a.span.start),
                    implicit: a.implicit,
                    success: a.success,
                    actual: a.actual.clone(),
                    expected: a.expected.clone(),
                    message: a.message.clone(),
                }
            })
            .collect(),
        captures: poll.captures.clone(),
        attempts: poll.attempts.iter().map(attempt_dto).collect(),
    }
}

fn entry_dto(entry: &EntryOutcome, source: &str, lines: &LineIndex) -> EntryDto {
    EntryDto {
        index: entry.index,
        line: entry.line,
        method: entry.method.clone(),
        url: entry.url.clone(),
        url_template: entry.url_template.clone(),
        outcome: entry.outcome.as_str(),
        iterations: entry
            .iterations
            .iter()
            .map(|i| IterationDto {
                n: i.n,
                polls: i.polls.iter().map(|p| poll_dto(p, source, lines)).collect(),
            })
            .collect(),
    }
}

fn file_dto(file: &FileOutcome) -> FileDto {
    let lines = LineIndex::new(&file.source);
    FileDto {
        path: file.path.display().to_string(),
        outcome: file.outcome.as_str(),
        duration_ms: file.duration.as_millis(),
        error: file.file_error.as_ref().map(|e| match e {
            FileError::Unreadable(m) => {
                FileErrorDto { kind: "unreadable", messages: vec![m.clone()] }
            }
            FileError::Parse(d) => FileErrorDto {
                kind: "parse",
                messages: d
                    .iter()
                    .map(|d| {
                        let (line, column) = shown_position(&lines, &file.source, d.span);
                        format!("{}:{line}:{column}: {}", file.path.display(), d.message)
                    })
                    .collect(),
            },
        }),
        entries: file.entries.iter().map(|e| entry_dto(e, &file.source, &lines)).collect(),
    }
}

fn ledger(files: &[FileOutcome], max_attempts: u32) -> Vec<LedgerDto> {
    let mut records = Vec::new();
    for file in files {
        for entry in &file.entries {
            for poll in entry.iterations.iter().flat_map(|i| &i.polls) {
                for attempt in poll.attempts.iter().filter(|a| a.error.is_some()) {
                    records.push(LedgerDto {
                        file: file.path.display().to_string(),
                        entry: LedgerEntryDto { index: entry.index, line: entry.line },
                        method: attempt.method.clone(),
                        url: attempt.url.clone(),
                        attempt: LedgerAttemptDto { n: attempt.n, max: max_attempts },
                        message: attempt.error_message().unwrap_or_default(),
                        phase: attempt.facts.error.as_ref().map(|e| e.phase.as_str()),
                        error: error_json(&attempt.facts),
                        connection: connection_json(&attempt.facts),
                        bytes: serde_json::json!({
                            "written": attempt.facts.bytes_written,
                            "total": attempt.facts.bytes_total,
                            "read": attempt.facts.bytes_read,
                        }),
                        framing: attempt.facts.framing.map(|f| f.as_str()),
                        sent_before_crash_known: attempt.sent_before_crash_known,
                        decision: attempt
                            .decision
                            .map(|d| DecisionDto { retry: d.retry, rule: d.rule.as_str() }),
                        backoff_ms: attempt
                            .decision
                            .filter(|d| d.retry)
                            .map(|d| d.backoff.as_millis()),
                        diagnoses: attempt.diagnoses.iter().map(diagnosis_dto).collect(),
                    });
                }
            }
        }
    }
    records
}

/// The run's overall outcome.
pub fn run_outcome(files: &[FileOutcome], interrupted: bool) -> Outcome {
    if interrupted {
        return Outcome::Interrupted;
    }
    let outcome = files.iter().map(|f| f.outcome).fold(Outcome::Skipped, Outcome::worst);
    if outcome == Outcome::Skipped { Outcome::Passed } else { outcome }
}

/// One finished file's part of the document, rendered once, so that a checkpoint
/// copies it instead of building it again: its `files[]` element and its `ledger[]`
/// records, pretty-printed at their depth in the document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileFragment {
    /// The `files[]` element.
    pub file: String,
    /// The `ledger[]` records.
    pub ledger: Vec<String>,
    /// The `diagnoses[]` records.
    pub diagnoses: Vec<String>,
    /// The file's share of `totals`.
    pub totals: TotalsDto,
}

impl FileFragment {
    /// The fragment with `f` (a redaction) applied to every piece.
    #[must_use]
    pub fn map(self, f: impl Fn(&str) -> String) -> Self {
        FileFragment {
            file: f(&self.file),
            ledger: self.ledger.iter().map(|r| f(r)).collect(),
            diagnoses: self.diagnoses.iter().map(|r| f(r)).collect(),
            totals: self.totals,
        }
    }
}

/// Renders one finished file's part of the document.
pub fn file_fragment(file: &FileOutcome, max_attempts: u32) -> FileFragment {
    FileFragment {
        file: pretty_at(&file_dto(file), 2),
        ledger: ledger(std::slice::from_ref(file), max_attempts)
            .iter()
            .map(|record| pretty_at(record, 2))
            .collect(),
        diagnoses: diagnosis_records(std::slice::from_ref(file))
            .iter()
            .map(|record| pretty_at(record, 2))
            .collect(),
        totals: totals(std::slice::from_ref(file)),
    }
}

/// `value` pretty-printed as if nested `depth` levels deep. JSON text holds no raw
/// newline inside a string, so every newline is indentation.
fn pretty_at<T: Serialize + ?Sized>(value: &T, depth: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
    text.replace('\n', &format!("\n{}", "  ".repeat(depth)))
}

/// Writes the JSON report.
pub fn write(
    files: &[FileOutcome],
    info: &RunInfo,
    max_attempts: u32,
    interrupted: bool,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let fragments: Vec<FileFragment> =
        files.iter().map(|f| file_fragment(f, max_attempts)).collect();
    write_document(info, interrupted, &fragments, None, out)
}

/// Writes the document from files already rendered, and `shakedown run`'s fields
/// when given: the same bytes `serde_json`'s pretty printer would write for the whole
/// tree, at the cost of copying the fragments.
pub fn write_document(
    info: &RunInfo,
    partial: bool,
    fragments: &[FileFragment],
    suite: Option<&SuiteSection>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let run = RunDto {
        shakedown_version: env!("CARGO_PKG_VERSION"),
        hurl_version: HURL_VERSION,
        command_line: &info.command_line,
        options: &info.options,
        policy: &info.policy,
        started_at: timestamp(info.started),
        duration_ms: info.duration.as_millis(),
        seed: None,
        learned_idle_limits: &info.learned_idle_limits,
        retry_budget: BudgetDto {
            requests: info.retry_budget.0,
            retries: info.retry_budget.1,
            exhausted: info.retry_budget.2,
        },
    };
    let mut totals = TotalsDto::default();
    for fragment in fragments {
        totals.sum(&fragment.totals);
    }
    totals.layers = suite.map(|suite| suite.layer_counts);
    let mut fields: Vec<(&str, String)> = vec![
        ("schema", pretty_at(SCHEMA, 1)),
        ("outcome", pretty_at(info.outcome, 1)),
        ("partial", pretty_at(&partial, 1)),
        ("totals", pretty_at(&totals, 1)),
        ("run", pretty_at(&run, 1)),
        ("files", array(fragments.iter().map(|f| f.file.as_str()))),
        ("ledger", array(fragments.iter().flat_map(|f| f.ledger.iter().map(String::as_str)))),
        ("diagnoses", array(fragments.iter().flat_map(|f| f.diagnoses.iter().map(String::as_str)))),
    ];
    if let Some(suite) = suite {
        fields.push(("checkpoint", pretty_at(&suite.checkpoint, 1)));
        fields.push(("suite", pretty_at(&suite.suite, 1)));
        fields.push(("layers", pretty_at(&suite.layers, 1)));
        fields.push(("servers", pretty_at(&suite.servers, 1)));
        if let Some(faults) = &suite.faults {
            fields.push(("faults", pretty_at(faults, 1)));
        }
    }
    out.write_all(b"{\n")?;
    for (i, (key, value)) in fields.iter().enumerate() {
        let comma = if i + 1 < fields.len() { "," } else { "" };
        writeln!(out, "  \"{key}\": {value}{comma}")?;
    }
    out.write_all(b"}\n")
}

/// A JSON array of items already rendered at depth 2, as the pretty printer lays it out.
fn array<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("[");
    let mut empty = true;
    for item in items {
        out.push_str(if empty { "\n    " } else { ",\n    " });
        out.push_str(item);
        empty = false;
    }
    out.push_str(if empty { "]" } else { "\n  ]" });
    out
}

/// One file's result as a JSON value (`--json` prints one per line).
pub fn file_json(file: &FileOutcome) -> serde_json::Value {
    serde_json::to_value(file_dto(file)).unwrap_or(serde_json::Value::Null)
}

/// The transport retry policy in force, for the report's `run.policy`.
pub fn policy_json(policy: &RetryPolicy, flaky_fails: bool) -> serde_json::Value {
    serde_json::json!({
        "transport_retry": if policy.enabled { "safe" } else { "off" },
        "retry_methods": policy.idempotent_methods,
        "idempotency_key_header": policy.idempotency_key_header,
        "max_extra_attempts": policy.max_extra_attempts,
        "backoff": { "base_ms": policy.backoff.base.as_millis(), "cap_ms": policy.backoff.cap.as_millis() },
        "budget": { "min_retries": retry::MIN_RETRIES, "percent_of_requests": retry::PERCENT },
        "flaky_result": if flaky_fails { "fail" } else { "pass" },
    })
}

/// The idle limits every file's client learned, one per origin (the lowest wins).
pub fn learned_limits_json(learned: &[(String, Duration, &'static str)]) -> serde_json::Value {
    let mut limits: std::collections::BTreeMap<&str, (Duration, &str)> =
        std::collections::BTreeMap::new();
    for (origin, limit, source) in learned {
        let entry = limits.entry(origin.as_str()).or_insert((*limit, source));
        if *limit < entry.0 {
            *entry = (*limit, source);
        }
    }
    serde_json::Value::Array(
        limits
            .into_iter()
            .map(|(origin, (limit, source))| {
                serde_json::json!({ "origin": origin, "idle_limit_ms": limit.as_millis(), "source": source })
            })
            .collect(),
    )
}

/// The effective options, for the report's `run.options`.
pub fn options_json(settings: &RunSettings) -> serde_json::Value {
    let d = &settings.defaults;
    serde_json::json!({
        "location": d.location,
        "max_redirs": d.max_redirs,
        "insecure": d.insecure,
        "connect_timeout_ms": d.connect_timeout.as_millis(),
        "max_time_ms": d.max_time.as_millis(),
        "retry": d.retry,
        "retry_interval_ms": d.retry_interval.as_millis(),
        "repeat": d.repeat,
        "delay_ms": d.delay.as_millis(),
        "compressed": d.compressed,
        "continue_on_error": settings.continue_on_error,
        "ignore_asserts": settings.ignore_asserts,
        "no_keepalive": settings.no_keepalive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::suite::{LayerDto, SuiteDto};
    use crate::runner::outcome::EntryOutcome;

    fn info() -> RunInfo {
        RunInfo {
            outcome: "failed",
            command_line: vec!["shakedown".to_owned(), "test".to_owned()],
            options: serde_json::json!({ "location": false }),
            policy: serde_json::json!({}),
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(3),
            learned_idle_limits: serde_json::json!([]),
            retry_budget: (1, 0, false),
        }
    }

    fn file(path: &str, entries: usize) -> FileOutcome {
        FileOutcome {
            path: path.into(),
            outcome: Outcome::Failed,
            entries: (1..=entries)
                .map(|index| EntryOutcome {
                    index,
                    line: index,
                    method: "GET".to_owned(),
                    url: "http://x/\n\"quoted\"".to_owned(),
                    url_template: "{{u}}".to_owned(),
                    outcome: Outcome::Passed,
                    iterations: Vec::new(),
                })
                .collect(),
            file_error: None,
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            source: String::new(),
        }
    }

    /// The spliced document is byte for byte what the pretty printer writes.
    fn assert_pretty(bytes: &[u8]) -> serde_json::Value {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(format!("{}\n", serde_json::to_string_pretty(&value).unwrap()), text);
        value
    }

    #[test]
    fn documents_from_fragments_are_what_the_pretty_printer_writes() {
        let mut out = Vec::new();
        write(&[], &info(), 3, false, &mut out).unwrap();
        let value = assert_pretty(&out);
        assert_eq!(value["files"], serde_json::json!([]));
        assert_eq!(value["outcome"], "failed");

        let files = [file("a.hurl", 2), file("b.hurl", 0)];
        let mut out = Vec::new();
        write(&files, &info(), 3, true, &mut out).unwrap();
        let value = assert_pretty(&out);
        assert_eq!(value["files"][0]["entries"][1]["url"], "http://x/\n\"quoted\"");
        assert_eq!(value["partial"], true);

        let suite = SuiteSection {
            faults: None,
            checkpoint: true,
            layer_counts: crate::report::suite::LayerCountsDto::default(),
            suite: SuiteDto { path: "s.toml".to_owned(), run_dir: "out".to_owned() },
            layers: vec![LayerDto {
                name: "it".to_owned(),
                kind: "scenarios".to_owned(),
                outcome: "passed".to_owned(),
                started_at: String::new(),
                duration_ms: 1.0,
                files: vec!["a.hurl".to_owned()],
                not_run_files: Vec::new(),
                note: None,
                command: None,
                testcases: None,
                load: None,
            }],
            servers: Vec::new(),
        };
        let fragments: Vec<_> = files.iter().map(|f| file_fragment(f, 3)).collect();
        let mut out = Vec::new();
        write_document(&info(), true, &fragments, Some(&suite), &mut out).unwrap();
        let value = assert_pretty(&out);
        let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "schema",
                "outcome",
                "partial",
                "totals",
                "run",
                "files",
                "ledger",
                "diagnoses",
                "checkpoint",
                "suite",
                "layers",
                "servers"
            ]
        );
        let back: SuiteSection = serde_json::from_value(value).unwrap();
        assert_eq!(back, suite);
    }
}
