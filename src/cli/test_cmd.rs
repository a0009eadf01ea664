//! `shakedown test`: run .hurl files against a running service, Hurl-compatibly.
//!
//! Turns the command line into validated [`RunSettings`] once, runs files on
//! `--jobs` worker threads (each with its own current-thread runtime and
//! transport client, so a file's entries reuse connections), prints a line per
//! finished file, the failures and the ledger, writes the reports, and returns
//! the exit code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime};

use crate::cli::args::{ErrorFormat, FlakyResult, TestArgs, TransportRetryMode};
use crate::cli::files::{ReadError, read_text};
use crate::cli::output::{Printer, UsageError, redact, write_atomically};
use crate::cli::terminal::Terminal;
use crate::exit_code;
use crate::report::{html, human, hurl_json, json, junit, tap};
use crate::retry::{Budget, RetryPolicy};
use crate::runner::cookies::CookieStore;
use crate::runner::execute::{self, FileRun, RunSettings};
use crate::runner::options::{Netrc, parse_duration};
use crate::runner::outcome::{FileError, FileOutcome, Outcome};
use crate::runner::variables::Variables;
use crate::scenario::InvalidUtf8;
use crate::scenario::ast::{DurationUnit, HurlFile};
use crate::session::pool::{self, PoolError, Queue, Worker};
use crate::session::{self, Event, Reporter, Stamped};
use crate::transport::client::{Client, ClientSettings};
use crate::transport::request::{HttpVersionPreference, IpVersion};

/// A report to write at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReportTarget {
    Junit(PathBuf),
    Json(PathBuf),
    Html(PathBuf),
    /// `--report-tap FILE`: appended to an existing TAP report.
    Tap(PathBuf),
    /// `--report-json DIR`: DIR/report.json in Hurl's layout, appended to.
    HurlJson(PathBuf),
    /// `--curl FILE`: one curl command line per request sent.
    Curl(PathBuf),
}

/// The file name that stands for standard input (Hurl reads it when no file is named).
const STDIN_PATH: &str = "-";

/// Standard input, read once: `--repeat` runs the same text again.
fn stdin_bytes() -> std::io::Result<Vec<u8>> {
    static STDIN: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
    STDIN
        .get_or_init(|| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                .map(|_| bytes)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(std::io::Error::other)
}

/// Runs `shakedown test`.
pub fn run(args: &TestArgs, command_line: &[String], printer: &mut Printer) -> u8 {
    if args.http3 {
        // Hurl reports an HTTP version its libcurl lacks as a runtime error (exit 3).
        printer.error("error: HTTP/3 is not supported by shakedown (`--http3`)");
        return exit_code::RUNTIME;
    }
    match prepare(args) {
        Ok(prepared) => execute(args, prepared, command_line, printer),
        Err(error) => {
            printer.error(&format!("error: {error}"));
            exit_code::USAGE
        }
    }
}

/// A `test` command line, validated (also `hunt`'s, which takes the same flags).
pub(crate) struct Prepared {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) settings: RunSettings,
    pub(crate) reports: Vec<ReportTarget>,
    jobs: usize,
    pub(crate) flaky_result: FlakyResult,
}

pub(crate) fn prepare(args: &TestArgs) -> Result<Prepared, UsageError> {
    if let Some((flag, why)) = args.unsupported_flags().into_iter().next() {
        return Err(UsageError(format!("`{flag}` is not supported by shakedown: {why}")));
    }
    let mut files = crate::cli::files::collect(&args.files, &args.glob)?;
    if files.is_empty() && args.files.is_empty() && args.glob.is_empty() {
        // Hurl reads one file from standard input when none is named.
        files.push(PathBuf::from(STDIN_PATH));
    }
    if files.is_empty() {
        return Err(UsageError(
            "no .hurl file to run: give files, directories or --glob".to_owned(),
        ));
    }
    files.dedup();
    // A shard runs its part of the files (a stable hash of the path by default); an empty
    // part is a run of nothing, not an error: the other shards have the files.
    if let Some((shard, mode)) = crate::cli::load_cmd::resolve_shard(&args.shard)? {
        files = files
            .into_iter()
            .enumerate()
            .filter(|(position, path)| shard.owns(path, *position, mode))
            .map(|(_, path)| path)
            .collect();
    }
    // Hurl's --repeat repeats the whole sequence of files.
    match args.repeat {
        None | Some(1) => {}
        Some(n) if n >= 0 => {
            files = files
                .iter()
                .cycle()
                .take(files.len() * usize::try_from(n).unwrap_or(0))
                .cloned()
                .collect();
        }
        Some(_) => {
            return Err(UsageError(
                "--repeat -1 (forever) is not supported: give a count so the run ends by itself"
                    .to_owned(),
            ));
        }
    }

    let mut variables = Variables::default();
    for (name, value) in std::env::vars() {
        if let Some(name) = name.strip_prefix("HURL_VARIABLE_") {
            variables.insert(name.to_owned(), typed_variable(&value));
        }
    }
    for definition in &args.variables {
        let (name, value) = split_definition(definition, "--variable")?;
        check_variable_name(&name)?;
        variables.insert(name, typed_variable(&value));
    }
    for path in &args.variables_files {
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in read_definitions(path)? {
            check_variable_name(&name)?;
            if !seen.insert(name.clone()) {
                return Err(UsageError(format!(
                    "variable `{name}` is defined twice in {}",
                    path.display()
                )));
            }
            variables.insert(name, typed_variable(&value));
        }
    }
    for (name, value) in std::env::vars() {
        if let Some(name) = name.strip_prefix("HURL_SECRET_") {
            variables.insert_secret(name.to_owned(), crate::runner::value::Value::String(value));
        }
    }
    let mut secret_names = std::collections::BTreeSet::new();
    for definition in &args.secrets {
        let (name, value) = split_definition(definition, "--secret")?;
        if !secret_names.insert(name.clone()) {
            return Err(UsageError(format!("secret `{name}` can't be reassigned")));
        }
        variables.insert_secret(name, crate::runner::value::Value::String(value));
    }
    for path in &args.secrets_files {
        for (name, value) in read_definitions(path)? {
            variables.insert_secret(name, crate::runner::value::Value::String(value));
        }
    }

    let mut settings = RunSettings { variables, ..RunSettings::default() };
    let defaults = &mut settings.defaults;
    defaults.location = args.location || args.location_trusted;
    defaults.location_trusted = args.location_trusted;
    if let Some(max) = args.max_redirs {
        defaults.max_redirs = u64::try_from(max).ok();
    }
    defaults.insecure = args.insecure;
    defaults.cacert.clone_from(&args.cacert);
    defaults.cert.clone_from(&args.cert);
    defaults.key.clone_from(&args.key);
    if let Some(text) = &args.connect_timeout {
        defaults.connect_timeout = duration_flag(text, DurationUnit::Second, "--connect-timeout")?;
    }
    if let Some(text) = &args.max_time {
        defaults.max_time = duration_flag(text, DurationUnit::Second, "--max-time")?;
    }
    if let Some(max) = args.max_filesize {
        defaults.max_filesize = max;
    }
    if let Some(retry) = args.retry {
        defaults.retry = u64::try_from(retry).ok();
    }
    if let Some(text) = &args.retry_interval {
        defaults.retry_interval =
            duration_flag(text, DurationUnit::Millisecond, "--retry-interval")?;
    }
    if let Some(text) = &args.delay {
        defaults.delay = duration_flag(text, DurationUnit::Millisecond, "--delay")?;
    }
    defaults.compressed = args.compressed;
    defaults.http_version = if args.http2_prior_knowledge {
        HttpVersionPreference::Http2PriorKnowledge
    } else if args.http2 {
        HttpVersionPreference::Http2
    } else if args.http11 {
        HttpVersionPreference::Http11
    } else if args.http10 {
        HttpVersionPreference::Http10
    } else {
        HttpVersionPreference::Default
    };
    defaults.ip_version = match (args.ipv4, args.ipv6) {
        (true, false) => IpVersion::V4,
        (false, true) => IpVersion::V6,
        _ => IpVersion::Any,
    };
    defaults.user.clone_from(&args.user);
    defaults.resolve.clone_from(&args.resolve);
    defaults.connect_to.clone_from(&args.connect_to);
    defaults.verbose = args.verbose || args.very_verbose;
    defaults.very_verbose = args.very_verbose;
    defaults.path_as_is = args.path_as_is;
    defaults.aws_sigv4.clone_from(&args.aws_sigv4);
    defaults.limit_rate = args.limit_rate;
    defaults.netrc = if args.netrc_file.is_some() || args.netrc || args.netrc_optional {
        Some(Netrc { file: args.netrc_file.clone(), optional: args.netrc_optional })
    } else {
        None
    };

    settings.file_root.clone_from(&args.file_root);
    settings.continue_on_error = args.continue_on_error;
    settings.ignore_asserts = args.ignore_asserts;
    settings.from_entry = args.from_entry;
    settings.to_entry = args.to_entry;
    settings.extra_headers.clone_from(&args.header);
    for header in &settings.extra_headers {
        if !header.contains(':') {
            return Err(UsageError(format!("invalid --header <{header}>: expected `Name: value`")));
        }
    }
    settings.user_agent.clone_from(&args.user_agent);
    settings.no_keepalive = args.transport.no_keepalive;
    settings.no_cookie_store = args.no_cookie_store;
    if let Some(path) = &args.cookie {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("cannot read cookie file {}: {e}", path.display())))?;
        let mut store = CookieStore::default();
        let bad = store.read_netscape(&text);
        if let Some(line) = bad.first() {
            return Err(UsageError(format!(
                "{}:{line}: not a Netscape cookie line",
                path.display()
            )));
        }
        settings.initial_cookies = store;
    }
    settings.attempt_headers = args.transport.attempt_headers;
    settings.strict_framing = args.transport.strict_framing;
    // The last response is written (`--output`) or printed (`--error-format long`) whole.
    settings.keep_bodies =
        (args.output.is_some() && !args.no_output) || args.error_format == Some(ErrorFormat::Long);
    settings.retry_policy = RetryPolicy {
        enabled: args.transport.transport_retry != Some(TransportRetryMode::Off),
        idempotency_key_header: args.transport.idempotency_key_header.clone(),
        ..RetryPolicy::default()
    };
    if let Some(methods) = &args.transport.retry_methods {
        settings.retry_policy.idempotent_methods = methods
            .iter()
            .map(|m| m.trim().to_ascii_uppercase())
            .filter(|m| !m.is_empty())
            .collect();
    }

    let mut reports = Vec::new();
    for spec in &args.reports {
        let Some((format, path)) = spec.split_once('=') else {
            return Err(UsageError(format!(
                "invalid --report <{spec}>: expected FORMAT=PATH (junit, json or html)"
            )));
        };
        match format {
            "junit" => reports.push(ReportTarget::Junit(PathBuf::from(path))),
            "json" => reports.push(ReportTarget::Json(PathBuf::from(path))),
            "html" => reports.push(ReportTarget::Html(PathBuf::from(path))),
            "tap" => {
                return Err(UsageError(format!(
                    "the {format} report is not supported yet: use junit or json"
                )));
            }
            other => {
                return Err(UsageError(format!(
                    "unknown report format `{other}`: expected junit, json or html"
                )));
            }
        }
    }
    if let Some(path) = &args.report_junit {
        reports.push(ReportTarget::Junit(path.clone()));
    }
    if let Some(path) = &args.report_tap {
        reports.push(ReportTarget::Tap(path.clone()));
    }
    if let Some(dir) = &args.report_json {
        reports.push(ReportTarget::HurlJson(dir.join("report.json")));
    }
    if let Some(path) = &args.curl {
        reports.push(ReportTarget::Curl(path.clone()));
    }
    if let Some(dir) = &args.report_html {
        reports.push(ReportTarget::Html(dir.join("index.html")));
    }

    let jobs = match args.jobs {
        Some(0) => return Err(UsageError("--jobs must be at least 1".to_owned())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    };
    Ok(Prepared {
        files,
        settings,
        reports,
        jobs,
        flaky_result: args.transport.flaky_result.unwrap_or(FlakyResult::Pass),
    })
}

/// A variable's value from the command line or a variables file: `"text"` in
/// quotes is the string `text` (Hurl's way to keep `"123"` a string), else typed.
/// Hurl's function names cannot be variable names.
fn check_variable_name(name: &str) -> Result<(), UsageError> {
    if matches!(name, "newUuid" | "newDate" | "getEnv") {
        return Err(UsageError(format!(
            "variable `{name}` conflicts with the {name} function: use a different name"
        )));
    }
    Ok(())
}

fn typed_variable(text: &str) -> crate::runner::value::Value {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => crate::runner::value::Value::String(inner.to_owned()),
        None => execute::typed_variable(text),
    }
}

pub(crate) fn duration_flag(
    text: &str,
    unit: DurationUnit,
    flag: &str,
) -> Result<std::time::Duration, UsageError> {
    parse_duration(text, unit).ok_or_else(|| {
        UsageError(format!(
            "invalid {flag} <{text}>: expected a number with an optional unit (ms, s, m, h)"
        ))
    })
}

pub(crate) fn split_definition(
    definition: &str,
    flag: &str,
) -> Result<(String, String), UsageError> {
    match definition.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(UsageError(format!("invalid {flag} <{definition}>: expected NAME=VALUE"))),
    }
}

fn read_definitions(path: &Path) -> Result<Vec<(String, String)>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = split_definition(line, "variable").map_err(|_| {
            UsageError(format!("{}:{}: expected NAME=VALUE", path.display(), i + 1))
        })?;
        out.push((name, value));
    }
    Ok(out)
}

fn execute(
    args: &TestArgs,
    prepared: Prepared,
    command_line: &[String],
    printer: &mut Printer,
) -> u8 {
    let started = SystemTime::now();
    let clock = Instant::now();
    let Prepared { files, settings, reports, jobs, flaky_result } = prepared;
    let settings = Arc::new(settings);
    let budget = Arc::new(Budget::default());
    let files = Arc::new(files);
    let queue = Arc::new(Queue::new(files.len()));
    let workers = jobs.min(files.len()).max(1);
    let mut results: Vec<(usize, FileRun)> = Vec::new();
    // The terminal reporter; each file's text is redacted with that file's secrets.
    let mut terminal = Terminal::new(
        printer.style(),
        args.verbose || args.very_verbose,
        args.json,
        Arc::new(str::to_owned),
    )
    .with_long_errors(args.error_format == Some(ErrorFormat::Long));
    let sources = Arc::new(Sources::of(&files));
    let make = {
        let (settings, budget, files, queue) =
            (settings.clone(), budget.clone(), files.clone(), queue.clone());
        let fail_fast = args.fail_fast;
        move || TestWorker {
            settings: settings.clone(),
            budget: budget.clone(),
            files: files.clone(),
            sources: sources.clone(),
            queue: queue.clone(),
            fail_fast,
        }
    };
    // A worker whose runtime cannot start reports the file it took as not run.
    let failed = {
        let files = files.clone();
        move |index: usize, error: &PoolError| {
            let path = files.get(index).map_or(Path::new("-"), PathBuf::as_path);
            unreadable(path, error.to_string())
        }
    };
    let errors = pool::run_on_threads(&queue, workers, make, failed, &mut |index, run| {
        let event = Event::FileFinished { layer: None, run: &run };
        terminal.report(&Stamped { at: SystemTime::now(), event });
        results.push((index, run));
    });
    for error in errors {
        printer.error(&format!("error: {error}"));
    }
    results.sort_by_key(|(index, _)| *index);
    let secrets: Vec<String> =
        results.iter().flat_map(|(_, r)| r.secrets.iter().cloned()).collect();
    let mut last_run = None;
    let mut outcomes: Vec<FileOutcome> = Vec::with_capacity(results.len());
    let mut learned = Vec::new();
    for (_, run) in results {
        outcomes.push(run.outcome);
        learned.extend(run.learned_idle_limits);
        last_run = Some((run.last_response, run.cookies));
    }

    let mut output_failed = false;
    if let Some(output) = args.output.as_ref().filter(|_| !args.no_output)
        && let Some(response) = last_run.as_ref().and_then(|(response, _)| response.as_ref())
    {
        let mut bytes = Vec::new();
        if args.include {
            bytes.extend_from_slice(
                format!("{} {}\n", response.version.as_str(), response.status).as_bytes(),
            );
            for (name, value) in &response.headers {
                bytes.extend_from_slice(format!("{name}: {value}\n").as_bytes());
            }
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(&response.body);
        if output.as_os_str() == "-" {
            printer.out_bytes(&bytes);
        } else if let Err(e) = std::fs::write(output, &bytes) {
            printer.error(&format!("error: cannot write {}: {e}", output.display()));
            output_failed = true;
        }
    }
    // Secrets are redacted in the cookie jar too, as Hurl does (a secret sent as a cookie).
    if let Some(jar) = &args.cookie_jar
        && let Some((_, cookies)) = &last_run
        && let Err(e) = write_atomically(jar, redact(&cookies.to_netscape(), &secrets).as_bytes())
    {
        printer.error(&format!("error: cannot write cookie jar {}: {e}", jar.display()));
    }

    let duration = clock.elapsed();
    let totals = human::Totals::of(&outcomes);
    let summary = human::summary(&outcomes, duration, 0, "no file was run", printer.style());
    printer.err(&redact(&summary, &secrets));
    if let Some(warning) = human::flaky_warning(totals.flaky, flaky_result == FlakyResult::Fail) {
        printer.err(&warning);
    }
    if budget.was_exhausted() {
        printer.err(&human::budget_warning(budget.retries(), budget.requests()));
    }

    let mut code = exit_code::combine(outcomes.iter().map(|f| file_exit_code(f, flaky_result)));
    let info = json::RunInfo {
        outcome: session::verdict(code, &outcomes),
        command_line: command_line.iter().map(|a| redact(a, &secrets)).collect(),
        options: json::options_json(&settings),
        policy: json::policy_json(&settings.retry_policy, flaky_result == FlakyResult::Fail),
        started,
        duration,
        learned_idle_limits: json::learned_limits_json(&learned),
        retry_budget: (budget.requests(), budget.retries(), budget.was_exhausted()),
        shard: crate::cli::load_cmd::resolve_shard(&args.shard)
            .ok()
            .flatten()
            .map(|(shard, mode)| shard.report_dto(mode)),
    };
    if output_failed {
        // Hurl: an output file that cannot be written is a runtime error.
        code = exit_code::combine([code, exit_code::RUNTIME]);
    }
    for target in &reports {
        let mut bytes = Vec::new();
        let (path, written) = match target {
            ReportTarget::Tap(path) => {
                let existing = std::fs::read_to_string(path).ok();
                match tap::merge(existing.as_deref(), &outcomes) {
                    Ok(text) => {
                        bytes = text.into_bytes();
                        (path, Ok(()))
                    }
                    Err(e) => {
                        printer.error(&format!("error: {}: {e}", path.display()));
                        code = exit_code::combine([code, exit_code::RUNTIME]);
                        continue;
                    }
                }
            }
            ReportTarget::HurlJson(path) => {
                let existing = std::fs::read_to_string(path).ok();
                (path, hurl_json::merge(existing.as_deref(), &outcomes, &mut bytes))
            }
            ReportTarget::Curl(path) => (path, hurl_json::write_curl(&outcomes, &mut bytes)),
            ReportTarget::Junit(path) => (path, junit::write(&outcomes, &mut bytes)),
            ReportTarget::Json(path) => (
                path,
                json::write(
                    &outcomes,
                    &info,
                    settings.retry_policy.max_extra_attempts + 1,
                    false,
                    &mut bytes,
                ),
            ),
            ReportTarget::Html(path) => {
                let mut document = Vec::new();
                let written = json::write(
                    &outcomes,
                    &info,
                    settings.retry_policy.max_extra_attempts + 1,
                    false,
                    &mut document,
                )
                .and_then(|()| {
                    let document = redact(&String::from_utf8_lossy(&document), &secrets);
                    html::write(document.as_bytes(), &mut bytes)
                });
                (path, written)
            }
        };
        let text = redact(&String::from_utf8_lossy(&bytes), &secrets);
        if let Err(e) = written.and_then(|()| write_atomically(path, text.as_bytes())) {
            printer.error(&format!("error: cannot write report {}: {e}", path.display()));
            code = exit_code::combine([code, exit_code::RUNTIME]);
        }
    }
    code
}

pub(crate) fn file_exit_code(file: &FileOutcome, flaky_result: FlakyResult) -> u8 {
    let flaky_result = match flaky_result {
        FlakyResult::Pass => session::FlakyResult::Pass,
        FlakyResult::Fail => session::FlakyResult::Fail,
    };
    session::file_exit_code(file, flaky_result)
}

/// Each distinct file read and parsed once, by the first worker that needs it, however
/// often `--repeat` runs it.
struct Sources {
    /// For each item of the run, its distinct file's slot.
    slot_of: Vec<usize>,
    slots: Vec<OnceLock<Loaded>>,
}

/// A file as read and parsed.
enum Loaded {
    /// Parsed without a diagnostic.
    Parsed { file: Arc<HurlFile>, source: Arc<str> },
    /// Read; it does not parse (the runner reports the diagnostics).
    Invalid(String),
    /// Not read: why.
    Unreadable(String),
    /// Read, but not UTF-8: where.
    NotUtf8(Box<InvalidUtf8>),
}

impl Sources {
    fn of(files: &[PathBuf]) -> Self {
        let mut first: HashMap<&Path, usize> = HashMap::new();
        let slot_of: Vec<usize> = files
            .iter()
            .map(|path| {
                let next = first.len();
                *first.entry(path.as_path()).or_insert(next)
            })
            .collect();
        let slots = (0..first.len()).map(|_| OnceLock::new()).collect();
        Sources { slot_of, slots }
    }

    fn get(&self, index: usize, path: &Path) -> Option<&Loaded> {
        let slot = self.slots.get(*self.slot_of.get(index)?)?;
        Some(slot.get_or_init(|| {
            let read = if path.as_os_str() == STDIN_PATH {
                stdin_bytes()
                    .map_err(ReadError::Io)
                    .and_then(|bytes| crate::scenario::decode(bytes).map_err(ReadError::Utf8))
            } else {
                read_text(path)
            };
            match read {
                Err(ReadError::Io(e)) => Loaded::Unreadable(e.to_string()),
                Err(ReadError::Utf8(invalid)) => Loaded::NotUtf8(invalid),
                Ok(source) => {
                    let (file, diagnostics) = crate::scenario::parse(&source);
                    if diagnostics.is_empty() {
                        Loaded::Parsed { file: Arc::new(file), source: Arc::from(source) }
                    } else {
                        Loaded::Invalid(source)
                    }
                }
            }
        }))
    }
}

/// One worker of `test`: runs the files it takes, each on a fresh transport client.
struct TestWorker {
    settings: Arc<RunSettings>,
    budget: Arc<Budget>,
    files: Arc<Vec<PathBuf>>,
    sources: Arc<Sources>,
    queue: Arc<Queue>,
    fail_fast: bool,
}

impl Worker for TestWorker {
    type Output = FileRun;

    async fn run(&mut self, index: usize) -> Option<FileRun> {
        let path = self.files.get(index)?;
        let (settings, budget) = (&self.settings, &self.budget);
        let run = match (self.sources.get(index, path)?, Client::new(ClientSettings::default())) {
            (Loaded::Unreadable(message), _) => unreadable(path, message.clone()),
            (Loaded::NotUtf8(invalid), _) => not_utf8(path, invalid),
            (_, Err(e)) => unreadable(path, e.to_string()),
            (Loaded::Parsed { file, source }, Ok(mut client)) => {
                let source = source.to_string();
                execute::run_parsed(path, file, source, settings, &mut client, budget).await
            }
            (Loaded::Invalid(source), Ok(mut client)) => {
                execute::run_file(path, source.clone(), settings, &mut client, budget).await
            }
        };
        if self.fail_fast && !run.outcome.outcome.is_pass() {
            self.queue.stop();
        }
        Some(run)
    }
}

/// A file that is not UTF-8: a parse error (exit 2, as in Hurl) at its first invalid byte.
fn not_utf8(path: &Path, invalid: &InvalidUtf8) -> FileRun {
    let mut run = unreadable(path, String::new());
    run.outcome.file_error = Some(FileError::Parse(vec![invalid.diagnostic()]));
    run.outcome.source.clone_from(&invalid.lossy);
    run
}

fn unreadable(path: &Path, message: String) -> FileRun {
    FileRun {
        outcome: FileOutcome {
            path: path.to_path_buf(),
            outcome: Outcome::Error,
            entries: Vec::new(),
            file_error: Some(FileError::Unreadable(message)),
            started: SystemTime::now(),
            duration: std::time::Duration::ZERO,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_file_is_read_and_parsed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.hurl");
        std::fs::write(&path, "GET http://127.0.0.1:1/\nHTTP 200\n").unwrap();
        let files = vec![path.clone(), path.clone()];
        let sources = Sources::of(&files);
        assert_eq!(sources.slots.len(), 1);
        assert!(matches!(sources.get(0, &path), Some(Loaded::Parsed { .. })));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(sources.get(1, &path), Some(Loaded::Parsed { .. })), "not read again");
        let missing = [dir.path().join("missing.hurl")];
        let sources = Sources::of(&missing);
        assert!(matches!(sources.get(0, &missing[0]), Some(Loaded::Unreadable(_))));
    }

    #[test]
    fn definitions_need_a_name() {
        assert_eq!(
            split_definition("a=1=2", "--variable").ok(),
            Some(("a".to_owned(), "1=2".to_owned()))
        );
        assert!(split_definition("=1", "--variable").is_err());
        assert!(split_definition("novalue", "--variable").is_err());
    }
}
