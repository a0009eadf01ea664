//! The typed model of the JSON report, `"schema": "shakedown.report/v1"`, of `test` and
//! `run`: every field of the document, owned, `Serialize` and `Deserialize`.
//!
//! `report::json` builds these values from the outcome tree and writes them; readers
//! (`shakedown merge` of shard reports) parse a document back into [`Report`] and may
//! write it again: a document read and re-serialised is the same JSON value (a test
//! checks it on every report the golden tests produce). Field order is the document's
//! order; `docs/json-report.md` says what each field means and `docs/json-schema.json`
//! checks it. Unknown fields are ignored when reading, so a v1 reader accepts a v1
//! document that later gains an additive field.
//!
//! A field that only some documents carry (`run.shard`, the suite section of `shakedown
//! run`) is `Option`, absent when `None`; a field every document carries is written even
//! when `null`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::report::suite::{LayerCountsDto, LayerDto, ServerDto, SuiteDto};

/// A whole `shakedown.report/v1` document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `shakedown.report/v1`.
    pub schema: String,
    /// The run's verdict: `passed`, `flaky`, `failed`, `error` or `interrupted`.
    pub outcome: String,
    /// Whether the run ended before every file ran (a signal, the deadline, a checkpoint).
    pub partial: bool,
    /// What the files add up to.
    pub totals: TotalsDto,
    /// Provenance.
    pub run: RunDto,
    /// The files, in the order they were given.
    pub files: Vec<FileDto>,
    /// Every failed attempt, with its facts.
    pub ledger: Vec<LedgerDto>,
    /// Every diagnosis, with where it happened.
    pub diagnoses: Vec<DiagnosisRecordDto>,
    /// `shakedown run`: `true` in a checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<bool>,
    /// `shakedown run`: the suite file and the run folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<SuiteDto>,
    /// `shakedown run`: the layers, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<LayerDto>>,
    /// `shakedown run`: the servers, in start order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<ServerDto>>,
    /// `shakedown run` with a fault plan: every injected fault and what became of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<crate::report::faults::FaultsSection>,
}

/// `run`: the provenance of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDto {
    /// The shakedown release that wrote the document.
    pub shakedown_version: String,
    /// The Hurl release whose semantics are followed.
    pub hurl_version: String,
    /// The command line, secrets redacted.
    pub command_line: Vec<String>,
    /// The effective options.
    pub options: OptionsDto,
    /// The transport retry policy.
    pub policy: PolicyDto,
    /// RFC 3339, milliseconds.
    pub started_at: String,
    /// Milliseconds.
    pub duration_ms: u64,
    /// Always `null` (no seeded order yet).
    pub seed: Option<u64>,
    /// Per origin, the idle limit the transport learned.
    pub learned_idle_limits: Vec<LearnedLimitDto>,
    /// The run-wide retry budget.
    pub retry_budget: BudgetDto,
    /// Which shard of a split run this is (`--shard M/N`); absent when not sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardDto>,
    /// A document written by `shakedown merge`: the shard reports it combines, in shard
    /// order; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<MergedShardDto>>,
}

/// `run.shard`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardDto {
    /// 1-based.
    pub index: u64,
    /// N.
    pub total: u64,
    /// `hash` or `slice`: how the files were split.
    pub mode: String,
}

/// One element of `run.merged_from`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedShardDto {
    /// The shard's report, as named to `merge`.
    pub path: String,
    /// Its index.
    pub index: u64,
}

/// `run.options`: the effective options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionsDto {
    /// `--location`.
    pub location: bool,
    /// `--max-redirs` (`null`: unlimited).
    pub max_redirs: Option<u64>,
    /// `--insecure`.
    pub insecure: bool,
    /// `--connect-timeout`.
    pub connect_timeout_ms: u64,
    /// `--max-time`.
    pub max_time_ms: u64,
    /// `--retry` (`null`: unlimited).
    pub retry: Option<u64>,
    /// `--retry-interval`.
    pub retry_interval_ms: u64,
    /// `--repeat`.
    pub repeat: Option<u64>,
    /// `--delay`.
    pub delay_ms: u64,
    /// `--compressed`.
    pub compressed: bool,
    /// `--continue-on-error`.
    pub continue_on_error: bool,
    /// `--ignore-asserts`.
    pub ignore_asserts: bool,
    /// `--no-keepalive`.
    pub no_keepalive: bool,
}

/// `run.policy`: the transport retry policy in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDto {
    /// `safe` or `off`.
    pub transport_retry: String,
    /// The methods retried as idempotent.
    pub retry_methods: Vec<String>,
    /// The header that makes any request retryable.
    pub idempotency_key_header: Option<String>,
    /// At most this many retries per request.
    pub max_extra_attempts: u32,
    /// The backoff.
    pub backoff: BackoffDto,
    /// The run-wide budget.
    pub budget: BudgetRuleDto,
    /// `pass` or `fail`: what a flaky pass counts as.
    pub flaky_result: String,
}

/// `run.policy.backoff`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackoffDto {
    /// The first delay.
    pub base_ms: u64,
    /// The longest delay.
    pub cap_ms: u64,
}

/// `run.policy.budget`: retries are capped at max(`min_retries`, `percent_of_requests`%).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetRuleDto {
    /// The floor.
    pub min_retries: u64,
    /// The share of requests.
    pub percent_of_requests: u64,
}

/// One element of `run.learned_idle_limits`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnedLimitDto {
    /// `scheme://host:port`.
    pub origin: String,
    /// The lowest limit learned.
    pub idle_limit_ms: u64,
    /// Where it came from (`keep_alive_header`, `observed_idle_close`).
    pub source: String,
}

/// `run.retry_budget`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetDto {
    /// Requests started.
    pub requests: u64,
    /// Retries taken.
    pub retries: u64,
    /// Whether the budget ran out.
    pub exhausted: bool,
}

/// How many files and entries ended each way; every count adds up to `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CountsDto {
    /// All of them.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Passed after a transport retry.
    pub flaky: usize,
    /// Failed.
    pub failed: usize,
    /// Could not be tested.
    pub error: usize,
    /// Not run.
    pub skipped: usize,
    /// Cut short.
    pub interrupted: usize,
}

impl CountsDto {
    /// Adds `other` into these counts.
    pub fn sum(&mut self, other: &CountsDto) {
        self.total += other.total;
        self.passed += other.passed;
        self.flaky += other.flaky;
        self.failed += other.failed;
        self.error += other.error;
        self.skipped += other.skipped;
        self.interrupted += other.interrupted;
    }

    /// Counts one more, ended as `outcome` (`passed`, `flaky`, …); an unknown outcome
    /// counts in `total` only.
    pub fn add_named(&mut self, outcome: &str) {
        self.total += 1;
        match outcome {
            "passed" => self.passed += 1,
            "flaky" => self.flaky += 1,
            "failed" => self.failed += 1,
            "error" => self.error += 1,
            "skipped" => self.skipped += 1,
            "interrupted" => self.interrupted += 1,
            _ => {}
        }
    }
}

/// `totals`: what the run adds up to (one file's share in a `FileFragment`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalsDto {
    /// Files by outcome.
    pub files: CountsDto,
    /// Entries by outcome.
    pub entries: CountsDto,
    /// Transport attempts sent (every attempt counts).
    pub requests: usize,
    /// Transport attempts that failed.
    pub failed_attempts: usize,
    /// Asserts evaluated in the polls that decided the entries.
    pub asserts: usize,
    /// Of which failed.
    pub failed_asserts: usize,
    /// `shakedown run`: how the layers ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<LayerCountsDto>,
}

impl TotalsDto {
    /// Adds another share (another file) into these totals; `layers` is left alone.
    pub fn sum(&mut self, other: &TotalsDto) {
        self.files.sum(&other.files);
        self.entries.sum(&other.entries);
        self.requests += other.requests;
        self.failed_attempts += other.failed_attempts;
        self.asserts += other.asserts;
        self.failed_asserts += other.failed_asserts;
    }

    /// The totals of files already rendered (`shakedown merge`): the same counts as the
    /// run that wrote them computed from its outcomes.
    pub fn of_files(files: &[FileDto]) -> TotalsDto {
        let mut totals = TotalsDto::default();
        for file in files {
            totals.files.add_named(&file.outcome);
            for entry in &file.entries {
                totals.entries.add_named(&entry.outcome);
                for poll in entry.iterations.iter().flat_map(|i| &i.polls) {
                    totals.requests += poll.attempts.len();
                    totals.failed_attempts +=
                        poll.attempts.iter().filter(|a| a.error.is_some()).count();
                }
                if let Some(poll) = entry.iterations.last().and_then(|i| i.polls.last()) {
                    totals.asserts += poll.asserts.len();
                    totals.failed_asserts += poll.asserts.iter().filter(|a| !a.success).count();
                }
            }
        }
        totals
    }
}

/// One element of `files[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileDto {
    /// As given.
    pub path: String,
    /// `passed`, `flaky`, `failed`, `error`, `skipped` or `interrupted`.
    pub outcome: String,
    /// Milliseconds.
    pub duration_ms: u64,
    /// Why the file could not run at all.
    pub error: Option<FileErrorDto>,
    /// Its entries, in order.
    pub entries: Vec<EntryDto>,
}

/// A file's `error`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileErrorDto {
    /// `unreadable` or `parse`.
    pub kind: String,
    /// `file:line:column: message` for a parse error.
    pub messages: Vec<String>,
}

/// One element of `entries[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntryDto {
    /// 1-based.
    pub index: usize,
    /// Its line.
    pub line: usize,
    /// The method.
    pub method: String,
    /// The URL rendered.
    pub url: String,
    /// The URL as written.
    pub url_template: String,
    /// How it ended.
    pub outcome: String,
    /// `--repeat`-style iterations (one normally).
    pub iterations: Vec<IterationDto>,
}

/// One element of `iterations[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IterationDto {
    /// 1-based.
    pub n: usize,
    /// Hurl's `retry` polls.
    pub polls: Vec<PollDto>,
}

/// One element of `polls[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PollDto {
    /// 1-based.
    pub n: usize,
    /// How it ended.
    pub outcome: String,
    /// Responses accepted with a warning.
    pub warnings: Vec<String>,
    /// Why it failed.
    pub failure: Option<FailureDto>,
    /// The asserts evaluated.
    pub asserts: Vec<AssertDto>,
    /// The names captured.
    pub captures: Vec<String>,
    /// Its transport attempts.
    pub attempts: Vec<AttemptDto>,
}

/// A poll's `failure`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDto {
    /// `asserts`, `capture`, `runtime`, `transport` or `server_crashed`.
    pub kind: String,
    /// One message.
    pub message: String,
}

/// One element of `asserts[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertDto {
    /// Its line.
    pub line: usize,
    /// Its column, in characters.
    pub column: usize,
    /// The assert as written (its line, trimmed).
    pub text: String,
    /// An implicit assert (the status line, a header of the response section).
    pub implicit: bool,
    /// Whether it held.
    pub success: bool,
    /// The actual value.
    pub actual: Option<String>,
    /// The expected value.
    pub expected: Option<String>,
    /// Why it could not be evaluated.
    pub message: Option<String>,
}

/// One element of `attempts[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptDto {
    /// 1-based within its poll.
    pub n: usize,
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The status, when a response head arrived.
    pub status: Option<u16>,
    /// The transport failure, in words.
    pub error: Option<String>,
    /// RFC 3339, milliseconds.
    pub started_at: String,
    /// Milliseconds, microsecond precision.
    pub duration_ms: f64,
    /// Warnings about the response.
    pub warnings: Vec<String>,
    /// Whether the server may have crashed before it answered, as far as known.
    pub sent_before_crash_known: bool,
    /// The raw facts the transport recorded.
    pub facts: FactsDto,
    /// What the failure (or a replaced connection) means.
    pub diagnoses: Vec<DiagnosisDto>,
}

/// An attempt's `facts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactsDto {
    /// The last phase reached.
    pub phase_reached: String,
    /// The phase of the failure.
    pub phase: Option<String>,
    /// The connection used.
    pub connection: Option<ConnectionDto>,
    /// Pooled connections found dead at checkout.
    pub discarded_connections: Vec<DiscardedDto>,
    /// Bytes counted.
    pub bytes: BytesDto,
    /// How the response body was delimited.
    pub framing: Option<String>,
    /// Whether the body arrived whole (`null`: unknown).
    pub body_complete: Option<bool>,
    /// How the exchange ended.
    pub ended_with: String,
    /// The failure.
    pub error: Option<ErrorDto>,
    /// HTTP/2 facts.
    pub h2: Option<H2Dto>,
    /// A response read after a write error.
    pub early_response_after_write_error: bool,
    /// A complete response followed by a reset.
    pub complete_then_reset: bool,
    /// Phase durations.
    pub timings_ms: TimingsDto,
}

/// The connection of an attempt (facts and ledger records).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionDto {
    /// Its id in this run.
    pub id: u64,
    /// Taken from the pool.
    pub reused: bool,
    /// Times reused before.
    pub reuse_count: u32,
    /// Idle time before this attempt.
    pub idle_ms: Option<f64>,
    /// Age.
    pub age_ms: f64,
    /// An EOF seen while it idled.
    pub idle_eof_seen_before_checkout: bool,
    /// The last `Connection` header on it.
    pub last_connection_header: Option<String>,
    /// The last `Keep-Alive: timeout` on it.
    pub last_keep_alive_timeout_ms: Option<f64>,
    /// HTTP/2.
    pub http2: bool,
    /// TLS.
    pub tls: bool,
}

/// One element of `discarded_connections[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiscardedDto {
    /// Its id.
    pub id: u64,
    /// How long it idled.
    pub idle_ms: f64,
    /// Why it was dropped.
    pub reason: String,
    /// When it was seen closed.
    pub closed_after_idle_ms: Option<f64>,
    /// The OS error number.
    pub errno: Option<i32>,
    /// Its name.
    pub name: Option<String>,
}

/// `facts.bytes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BytesDto {
    /// Written.
    pub written: u64,
    /// The request's size, when known.
    pub total: Option<u64>,
    /// Read.
    pub read: u64,
    /// Response body bytes.
    pub body: u64,
    /// Request body bytes.
    pub request_body: u64,
}

/// A ledger record's `bytes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerBytesDto {
    /// Written.
    pub written: u64,
    /// The request's size, when known.
    pub total: Option<u64>,
    /// Read.
    pub read: u64,
}

/// The error of an attempt's facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDto {
    /// The kind.
    pub kind: String,
    /// The OS error number.
    pub errno: Option<i32>,
    /// Its name (`ECONNRESET`).
    pub name: Option<String>,
    /// The operation that failed.
    pub operation: String,
    /// The message.
    pub message: String,
}

/// `facts.h2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct H2Dto {
    /// The stream.
    pub stream_id: Option<u32>,
    /// `RST_STREAM` code.
    pub rst_code: Option<u32>,
    /// `GOAWAY` code.
    pub goaway_code: Option<u32>,
    /// `GOAWAY` last stream id.
    pub goaway_last_stream_id: Option<u32>,
    /// The h2 reason.
    pub reason: Option<u32>,
}

/// `facts.timings_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimingsDto {
    /// Waiting for a connection.
    pub queue: f64,
    /// Connecting.
    pub connect: Option<f64>,
    /// The TLS handshake.
    pub tls: Option<f64>,
    /// Sending.
    pub send: f64,
    /// Waiting for the head.
    pub wait: f64,
    /// Receiving.
    pub receive: f64,
    /// All of it.
    pub total: f64,
}

/// One element of `ledger[]`: a failed attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerDto {
    /// The file.
    pub file: String,
    /// The entry.
    pub entry: LedgerEntryDto,
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// Which attempt of how many allowed.
    pub attempt: LedgerAttemptDto,
    /// The failure, in words.
    pub message: String,
    /// The phase of the failure.
    pub phase: Option<String>,
    /// The failure.
    pub error: Option<ErrorDto>,
    /// The connection.
    pub connection: Option<ConnectionDto>,
    /// Bytes counted.
    pub bytes: LedgerBytesDto,
    /// How the response body was delimited.
    pub framing: Option<String>,
    /// As in the attempt.
    pub sent_before_crash_known: bool,
    /// The retry decision.
    pub decision: Option<DecisionDto>,
    /// The backoff before the retry.
    pub backoff_ms: Option<u64>,
    /// The diagnoses.
    pub diagnoses: Vec<DiagnosisDto>,
}

/// One diagnosis, as attempts, ledger records and the top-level list carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosisDto {
    /// From the closed vocabulary (`docs/causes/`).
    pub cause: String,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    /// One sentence.
    pub summary: String,
    /// The facts it rests on.
    pub evidence: Vec<String>,
    /// `no`, `yes` or `unknown`.
    pub may_have_executed: String,
    /// The fix.
    pub hint: String,
}

/// A diagnosis with where it happened: the top-level `diagnoses` list (`shakedown
/// explain`). The diagnosis's fields follow the place's, in one object (written out
/// rather than `#[serde(flatten)]`, which does not read numbers back under
/// `arbitrary_precision`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosisRecordDto {
    /// The file.
    pub file: String,
    /// The entry.
    pub entry: LedgerEntryDto,
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The attempt's `n`.
    pub attempt: usize,
    /// As in [`DiagnosisDto`].
    pub cause: String,
    /// As in [`DiagnosisDto`].
    pub confidence: String,
    /// As in [`DiagnosisDto`].
    pub summary: String,
    /// As in [`DiagnosisDto`].
    pub evidence: Vec<String>,
    /// As in [`DiagnosisDto`].
    pub may_have_executed: String,
    /// As in [`DiagnosisDto`].
    pub hint: String,
}

/// Where a ledger record or a diagnosis happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntryDto {
    /// The entry's index.
    pub index: usize,
    /// Its line.
    pub line: usize,
}

/// A ledger record's `attempt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerAttemptDto {
    /// This attempt.
    pub n: usize,
    /// At most this many.
    pub max: u32,
}

/// A retry decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionDto {
    /// Whether the attempt was retried.
    pub retry: bool,
    /// The rule's stable id.
    pub rule: String,
}

/// Reads a field that is absent, `null` or a value into `None`, `Some(None)` or
/// `Some(Some(value))`: with `skip_serializing_if = "Option::is_none"`, a field written
/// as `null` reads back as `null`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl Report {
    /// Parses a document, checking its schema first (`shakedown.report/v1`).
    pub fn parse(text: &str) -> Result<Report, ReadError> {
        #[derive(Deserialize)]
        struct Head {
            schema: Option<String>,
        }
        let head: Head = serde_json::from_str(text).map_err(|e| ReadError::Json(e.to_string()))?;
        match head.schema.as_deref() {
            Some(crate::report::json::SCHEMA) => {
                serde_json::from_str(text).map_err(|e| ReadError::Json(e.to_string()))
            }
            other => Err(ReadError::Schema(other.map(str::to_owned))),
        }
    }
}

/// A document that is not a readable `shakedown.report/v1`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    /// Not JSON, or not the model.
    #[error("not a shakedown.report/v1 document: {0}")]
    Json(String),
    /// Another schema (or none).
    #[error("schema {}, expected shakedown.report/v1", .0.as_deref().map_or("missing".to_owned(), |s| format!("`{s}`")))]
    Schema(Option<String>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::suite::ReadyDto;

    #[test]
    fn a_ready_at_of_null_reads_back_as_null_and_an_absent_one_stays_absent() {
        for text in [
            r#"{"startup_ms":1.5,"detection_window_ms":2.0,"probes":3,"ready_at":null}"#,
            r#"{"startup_ms":1.5}"#,
            r#"{"startup_ms":1.5,"ready_at":"2026-01-01T00:00:00.000Z"}"#,
        ] {
            let ready: ReadyDto = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&ready).unwrap(), text);
        }
    }

    #[test]
    fn only_a_report_v1_parses() {
        assert_eq!(
            Report::parse(r#"{"schema":"shakedown.load/v1"}"#),
            Err(ReadError::Schema(Some("shakedown.load/v1".to_owned())))
        );
        assert_eq!(Report::parse("{}"), Err(ReadError::Schema(None)));
        assert!(matches!(Report::parse("[1"), Err(ReadError::Json(_))));
        assert!(matches!(
            Report::parse(r#"{"schema":"shakedown.report/v1","outcome":"passed"}"#),
            Err(ReadError::Json(_))
        ));
    }

    #[test]
    fn the_schema_lists_every_cause_as_the_closed_set() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/json-schema.json")).unwrap();
        let listed = &schema["$defs"]["diagnosis"]["properties"]["cause"]["enum"];
        let causes: Vec<&str> = crate::diagnosis::Cause::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, &serde_json::json!(causes));
    }
}
