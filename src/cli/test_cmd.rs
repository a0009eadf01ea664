//! `shakedown test`: run .hurl files against a running service, Hurl-compatibly.
//!
//! Turns the command line into validated [`RunSettings`] once, runs files on
//! `--jobs` worker threads (each with its own current-thread runtime and
//! transport client, so a file's entries reuse connections), prints a line per
//! finished file, the failures and the ledger, writes the reports, and returns
//! the exit code.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Instant, SystemTime};

use crate::cli::args::{FlakyResult, TestArgs, TransportRetryMode};
use crate::cli::output::{Printer, UsageError, redact, write_atomically};
use crate::cli::terminal::Terminal;
use crate::exit_code;
use crate::report::{html, human, json, junit};
use crate::retry::{Budget, RetryPolicy};
use crate::runner::cookies::CookieStore;
use crate::runner::execute::{self, FileRun, RunSettings};
use crate::runner::options::parse_duration;
use crate::runner::outcome::{FileError, FileOutcome, Outcome};
use crate::runner::variables::Variables;
use crate::scenario::ast::DurationUnit;
use crate::session::{self, Event, Reporter, Stamped};
use crate::transport::client::{Client, ClientSettings};
use crate::transport::request::{HttpVersionPreference, IpVersion};

/// A report to write at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ReportTarget {
    Junit(PathBuf),
    Json(PathBuf),
    Html(PathBuf),
}

/// Runs `shakedown test`.
pub fn run(args: &TestArgs, command_line: &[String], printer: &mut Printer) -> u8 {
    match prepare(args) {
        Ok(prepared) => execute(args, prepared, command_line, printer),
        Err(error) => {
            printer.error(&format!("error: {error}"));
            exit_code::USAGE
        }
    }
}

struct Prepared {
    files: Vec<PathBuf>,
    settings: RunSettings,
    reports: Vec<ReportTarget>,
    jobs: usize,
    flaky_result: FlakyResult,
}

fn prepare(args: &TestArgs) -> Result<Prepared, UsageError> {
    if let Some((flag, why)) = args.unsupported_flags().into_iter().next() {
        return Err(UsageError(format!("`{flag}` is not supported by shakedown: {why}")));
    }
    let mut files = crate::cli::files::collect(&args.files, &args.glob)?;
    if files.is_empty() {
        return Err(UsageError(
            "no .hurl file to run: give files, directories or --glob".to_owned(),
        ));
    }
    files.dedup();
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
            variables.insert(name.to_owned(), execute::typed_variable(&value));
        }
    }
    for definition in &args.variables {
        let (name, value) = split_definition(definition, "--variable")?;
        variables.insert(name, execute::typed_variable(&value));
    }
    for path in &args.variables_files {
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in read_definitions(path)? {
            if !seen.insert(name.clone()) {
                return Err(UsageError(format!(
                    "variable `{name}` is defined twice in {}",
                    path.display()
                )));
            }
            variables.insert(name, execute::typed_variable(&value));
        }
    }
    for (name, value) in std::env::vars() {
        if let Some(name) = name.strip_prefix("HURL_SECRET_") {
            variables.insert_secret(name.to_owned(), crate::runner::value::Value::String(value));
        }
    }
    for definition in &args.secrets {
        let (name, value) = split_definition(definition, "--secret")?;
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
    if args.path_as_is {
        return Err(UsageError(
            "`--path-as-is` is not supported by shakedown: URLs are always normalised".to_owned(),
        ));
    }

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
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers = jobs.min(files.len()).max(1);
    let fail_fast = args.fail_fast;
    let mut results: Vec<(usize, FileRun)> = Vec::new();
    // The terminal reporter; each file's text is redacted with that file's secrets.
    let mut terminal = Terminal::new(
        printer.style(),
        args.verbose || args.very_verbose,
        args.json,
        Arc::new(str::to_owned),
    );
    let mut report_file = |run: &FileRun| {
        let event = Event::FileFinished { layer: None, run };
        terminal.report(&Stamped { at: SystemTime::now(), event });
    };
    if workers == 1 {
        // One worker runs on this thread: no thread to spawn, no second malloc arena.
        worker(&settings, &budget, &files, &next, &stop, fail_fast, &mut |index, run| {
            report_file(&run);
            results.push((index, run));
            true
        });
    } else {
        let (sender, receiver) = mpsc::channel::<(usize, FileRun)>();
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (settings, budget, files, next, stop, sender) = (
                settings.clone(),
                budget.clone(),
                files.clone(),
                next.clone(),
                stop.clone(),
                sender.clone(),
            );
            handles.push(std::thread::spawn(move || {
                worker(&settings, &budget, &files, &next, &stop, fail_fast, &mut |index, run| {
                    sender.send((index, run)).is_ok()
                });
            }));
        }
        drop(sender);
        for (index, run) in receiver {
            report_file(&run);
            results.push((index, run));
        }
        for handle in handles {
            if handle.join().is_err() {
                printer.error("error: a worker thread panicked; this is a bug in shakedown");
            }
        }
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

    if let Some(output) = &args.output
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
        }
    }
    if let Some(jar) = &args.cookie_jar
        && let Some((_, cookies)) = &last_run
        && let Err(e) = write_atomically(jar, cookies.to_netscape().as_bytes())
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
    };
    for target in &reports {
        let mut bytes = Vec::new();
        let (path, written) = match target {
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

fn file_exit_code(file: &FileOutcome, flaky_result: FlakyResult) -> u8 {
    let flaky_result = match flaky_result {
        FlakyResult::Pass => session::FlakyResult::Pass,
        FlakyResult::Fail => session::FlakyResult::Fail,
    };
    session::file_exit_code(file, flaky_result)
}

fn worker(
    settings: &RunSettings,
    budget: &Budget,
    files: &[PathBuf],
    next: &AtomicUsize,
    stop: &AtomicBool,
    fail_fast: bool,
    deliver: &mut dyn FnMut(usize, FileRun) -> bool,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            let index = next.fetch_add(1, Ordering::SeqCst);
            if let Some(path) = files.get(index) {
                deliver(index, unreadable(path, format!("cannot start a runtime: {e}")));
            }
            return;
        }
    };
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let index = next.fetch_add(1, Ordering::SeqCst);
        let Some(path) = files.get(index) else { return };
        let run = match std::fs::read(path) {
            Err(e) => unreadable(path, e.to_string()),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => unreadable(path, "the file is not valid UTF-8".to_owned()),
                Ok(source) => runtime.block_on(async {
                    match Client::new(ClientSettings::default()) {
                        Ok(mut client) => {
                            execute::run_file(path, source, settings, &mut client, budget).await
                        }
                        Err(e) => unreadable(path, e.to_string()),
                    }
                }),
            },
        };
        if fail_fast && !run.outcome.outcome.is_pass() {
            stop.store(true, Ordering::SeqCst);
        }
        if !deliver(index, run) {
            return;
        }
    }
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
    fn definitions_need_a_name() {
        assert_eq!(
            split_definition("a=1=2", "--variable").ok(),
            Some(("a".to_owned(), "1=2".to_owned()))
        );
        assert!(split_definition("=1", "--variable").is_err());
        assert!(split_definition("novalue", "--variable").is_err());
    }
}
