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
use crate::report::model::{
    AssertDto, AttemptDto, BackoffDto, BudgetDto, BudgetRuleDto, BytesDto, ConnectionDto,
    DecisionDto, DiagnosisDto, DiagnosisRecordDto, DiscardedDto, EntryDto, ErrorDto, FactsDto,
    FailureDto, FileDto, FileErrorDto, H2Dto, IterationDto, LearnedLimitDto, LedgerAttemptDto,
    LedgerBytesDto, LedgerDto, LedgerEntryDto, OptionsDto, PolicyDto, PollDto, Report, RunDto,
    ShardDto, TimingsDto,
};
pub use crate::report::model::{CountsDto, TotalsDto};
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
    /// The effective options ([`options_json`]).
    pub options: OptionsDto,
    /// The transport retry policy ([`policy_json`]).
    pub policy: PolicyDto,
    /// When the run started.
    pub started: SystemTime,
    /// How long it took.
    pub duration: Duration,
    /// Idle limits the transport learned per origin ([`learned_limits_json`]).
    pub learned_idle_limits: Vec<LearnedLimitDto>,
    /// Requests started, retries taken, whether the budget ran out.
    pub retry_budget: (u64, u64, bool),
    /// Which shard of a split run this is (`--shard M/N`), if it is one.
    pub shard: Option<ShardDto>,
}

/// The Hurl release whose semantics shakedown follows.
pub const HURL_VERSION: &str = "8.1.0";

fn totals(files: &[FileOutcome]) -> TotalsDto {
    let mut totals = TotalsDto::default();
    for file in files {
        totals.files.add_named(file.outcome.as_str());
        for entry in &file.entries {
            totals.entries.add_named(entry.outcome.as_str());
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

fn timestamp(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn ms_opt(d: Option<Duration>) -> Option<f64> {
    d.map(ms)
}

/// Whole milliseconds, saturating.
fn whole_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The connection part of an attempt's facts.
fn connection_dto(facts: &AttemptFacts) -> Option<ConnectionDto> {
    facts.connection.as_ref().map(|c| ConnectionDto {
        id: c.id.0,
        reused: c.reused,
        reuse_count: c.reuse_count,
        idle_ms: ms_opt(c.idle),
        age_ms: ms(c.age),
        idle_eof_seen_before_checkout: c.idle_eof_seen_before_checkout,
        last_connection_header: c.last_connection_header.as_deref().map(str::to_owned),
        last_keep_alive_timeout_ms: ms_opt(c.last_keep_alive_timeout),
        http2: c.http2,
        tls: c.tls,
    })
}

/// The error part of an attempt's facts.
fn error_dto(facts: &AttemptFacts) -> Option<ErrorDto> {
    facts.error.as_ref().map(|e| {
        let os = e.os.as_ref().or_else(|| facts.socket_error.as_ref().and_then(|s| s.os.as_ref()));
        ErrorDto {
            kind: e.kind.as_str().to_owned(),
            errno: os.and_then(|o| o.errno),
            name: os.map(|o| o.name.to_owned()),
            operation: e.operation.as_str().to_owned(),
            message: e.message.clone(),
        }
    })
}

/// The raw facts of an attempt, as the report shows them.
pub fn facts_dto(facts: &AttemptFacts) -> FactsDto {
    let t = &facts.timings;
    FactsDto {
        phase_reached: facts.phase_reached.as_str().to_owned(),
        phase: facts.error.as_ref().map(|e| e.phase.as_str().to_owned()),
        connection: connection_dto(facts),
        discarded_connections: facts
            .discarded
            .iter()
            .map(|d| DiscardedDto {
                id: d.id.0,
                idle_ms: ms(d.idle),
                reason: d.reason.to_owned(),
                closed_after_idle_ms: ms_opt(d.closed_after_idle),
                errno: d.os.as_ref().and_then(|o| o.errno),
                name: d.os.as_ref().map(|o| o.name.to_owned()),
            })
            .collect(),
        bytes: BytesDto {
            written: facts.bytes_written,
            total: facts.bytes_total,
            read: facts.bytes_read,
            body: facts.body_bytes,
            request_body: facts.request_body_bytes,
        },
        framing: facts.framing.map(|f| f.as_str().to_owned()),
        body_complete: facts.body_complete,
        ended_with: facts.ended_with.as_str().to_owned(),
        error: error_dto(facts),
        h2: facts.h2.map(|h| H2Dto {
            stream_id: h.stream_id,
            rst_code: h.rst_code,
            goaway_code: h.goaway_code,
            goaway_last_stream_id: h.goaway_last_stream_id,
            reason: h.reason,
        }),
        early_response_after_write_error: facts.early_response_after_write_error,
        complete_then_reset: facts.complete_then_reset,
        timings_ms: TimingsDto {
            queue: ms(t.queue),
            connect: ms_opt(t.connect),
            tls: ms_opt(t.tls),
            send: ms(t.send),
            wait: ms(t.wait),
            receive: ms(t.receive),
            total: ms(t.total),
        },
    }
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
    FailureDto { kind: kind.to_owned(), message }
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
        facts: facts_dto(&attempt.facts),
        diagnoses: attempt.diagnoses.iter().map(diagnosis_dto).collect(),
    }
}

fn diagnosis_dto(d: &Diagnosis) -> DiagnosisDto {
    DiagnosisDto {
        cause: d.cause.as_str().to_owned(),
        confidence: d.confidence.as_str().to_owned(),
        summary: d.summary.clone(),
        evidence: d.evidence.clone(),
        may_have_executed: d.may_have_executed.as_str().to_owned(),
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
                    let DiagnosisDto {
                        cause,
                        confidence,
                        summary,
                        evidence,
                        may_have_executed,
                        hint,
                    } = diagnosis_dto(d);
                    records.push(DiagnosisRecordDto {
                        file: file.path.display().to_string(),
                        entry: LedgerEntryDto { index: entry.index, line: entry.line },
                        method: attempt.method.clone(),
                        url: attempt.url.clone(),
                        attempt: attempt.n,
                        cause,
                        confidence,
                        summary,
                        evidence,
                        may_have_executed,
                        hint,
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
        outcome: poll.outcome.as_str().to_owned(),
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
                    actual: a.actual.as_deref().map(str::to_owned),
                    expected: a.expected.as_deref().map(str::to_owned),
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
        outcome: entry.outcome.as_str().to_owned(),
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
        outcome: file.outcome.as_str().to_owned(),
        duration_ms: whole_ms(file.duration),
        error: file.file_error.as_ref().map(|e| match e {
            FileError::Unreadable(m) => {
                FileErrorDto { kind: "unreadable".to_owned(), messages: vec![m.clone()] }
            }
            FileError::Parse(d) => FileErrorDto {
                kind: "parse".to_owned(),
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
                        phase: attempt.facts.error.as_ref().map(|e| e.phase.as_str().to_owned()),
                        error: error_dto(&attempt.facts),
                        connection: connection_dto(&attempt.facts),
                        bytes: LedgerBytesDto {
                            written: attempt.facts.bytes_written,
                            total: attempt.facts.bytes_total,
                            read: attempt.facts.bytes_read,
                        },
                        framing: attempt.facts.framing.map(|f| f.as_str().to_owned()),
                        sent_before_crash_known: attempt.sent_before_crash_known,
                        decision: attempt.decision.map(|d| DecisionDto {
                            retry: d.retry,
                            rule: d.rule.as_str().to_owned(),
                        }),
                        backoff_ms: attempt
                            .decision
                            .filter(|d| d.retry)
                            .map(|d| whole_ms(d.backoff)),
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
        shakedown_version: env!("CARGO_PKG_VERSION").to_owned(),
        hurl_version: HURL_VERSION.to_owned(),
        command_line: info.command_line.clone(),
        options: info.options.clone(),
        policy: info.policy.clone(),
        started_at: timestamp(info.started),
        duration_ms: whole_ms(info.duration),
        seed: None,
        learned_idle_limits: info.learned_idle_limits.clone(),
        retry_budget: BudgetDto {
            requests: info.retry_budget.0,
            retries: info.retry_budget.1,
            exhausted: info.retry_budget.2,
        },
        shard: info.shard.clone(),
        merged_from: None,
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

/// Writes a whole document (one read back and combined by `shakedown merge`): the bytes
/// [`write_document`] writes for the same values.
pub fn write_report(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")
}

/// The transport retry policy in force, for the report's `run.policy`.
pub fn policy_json(policy: &RetryPolicy, flaky_fails: bool) -> PolicyDto {
    PolicyDto {
        transport_retry: if policy.enabled { "safe" } else { "off" }.to_owned(),
        retry_methods: policy.idempotent_methods.clone(),
        idempotency_key_header: policy.idempotency_key_header.clone(),
        max_extra_attempts: policy.max_extra_attempts,
        backoff: BackoffDto {
            base_ms: whole_ms(policy.backoff.base),
            cap_ms: whole_ms(policy.backoff.cap),
        },
        budget: BudgetRuleDto {
            min_retries: retry::MIN_RETRIES,
            percent_of_requests: retry::PERCENT,
        },
        flaky_result: if flaky_fails { "fail" } else { "pass" }.to_owned(),
    }
}

/// The idle limits every file's client learned, one per origin (the lowest wins).
pub fn learned_limits_json(learned: &[(String, Duration, &'static str)]) -> Vec<LearnedLimitDto> {
    let mut limits: std::collections::BTreeMap<&str, (Duration, &str)> =
        std::collections::BTreeMap::new();
    for (origin, limit, source) in learned {
        let entry = limits.entry(origin.as_str()).or_insert((*limit, source));
        if *limit < entry.0 {
            *entry = (*limit, source);
        }
    }
    limits
        .into_iter()
        .map(|(origin, (limit, source))| LearnedLimitDto {
            origin: origin.to_owned(),
            idle_limit_ms: whole_ms(limit),
            source: source.to_owned(),
        })
        .collect()
}

/// The effective options, for the report's `run.options`.
pub fn options_json(settings: &RunSettings) -> OptionsDto {
    let d = &settings.defaults;
    OptionsDto {
        location: d.location,
        max_redirs: d.max_redirs,
        insecure: d.insecure,
        connect_timeout_ms: whole_ms(d.connect_timeout),
        max_time_ms: whole_ms(d.max_time),
        retry: d.retry,
        retry_interval_ms: whole_ms(d.retry_interval),
        repeat: d.repeat,
        delay_ms: whole_ms(d.delay),
        compressed: d.compressed,
        continue_on_error: settings.continue_on_error,
        ignore_asserts: settings.ignore_asserts,
        no_keepalive: settings.no_keepalive,
    }
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
            options: options_json(&RunSettings::default()),
            policy: policy_json(&RetryPolicy::default(), false),
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(3),
            learned_idle_limits: Vec::new(),
            retry_budget: (1, 0, false),
            shard: None,
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
