//! The entry loop of one file: options, skip, repeat, delay, Hurl `retry`, redirects and attempts.
//!
//! One file runs sequentially on one [`Client`] (so connections are reused
//! between its entries, as in Hurl); files run in parallel on separate
//! workers. For each entry the loop renders the request, sends it through the
//! transport one attempt at a time, follows redirects when asked, evaluates
//! captures and then asserts, and records everything in the outcome tree.
//!
//! Two kinds of repetition are kept apart:
//! - a *poll* is Hurl's `retry`: the whole entry re-run while it fails, after
//!   `retry-interval`. A poll never makes an entry flaky. After a transport
//!   failure, a poll happens only if repeating the request is safe.
//! - an *attempt* is one transport send. Transport retries are decided by the
//!   pure `retry` module; a pass that needed one is flaky.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::diagnosis::{self, Diagnosis, KernelCounters};
use crate::retry::{self, Budget, RetryPolicy};
use crate::runner::assert;
use crate::runner::capture;
use crate::runner::cookies::CookieStore;
use crate::runner::options::{self, EntryOptions};
use crate::runner::outcome::{
    AttemptRecord, EntryFailure, EntryOutcome, FileError, FileOutcome, Iteration, Outcome, Poll,
    TransportFailed,
};
use crate::runner::query::{QueryContext, Redirect};
use crate::runner::request::{self, RenderError, RequestContext};
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::scenario;
use crate::scenario::ast::{
    self, Entry, HurlFile, QueryKind, RequestSectionKind, ResponseSectionKind,
};
use crate::transport::client::Client;
use crate::transport::facts::AttemptFacts;
use crate::transport::request::{RequestSpec, Response, kept_before};

/// Everything that shapes a run, validated at the edge (the command line).
#[derive(Clone, Default)]
pub struct RunSettings {
    /// Variables defined before the first entry.
    pub variables: Variables,
    /// Entry options in force unless `[Options]` says otherwise.
    pub defaults: EntryOptions,
    /// Where `file,` paths are resolved (default: the file's directory).
    pub file_root: Option<PathBuf>,
    /// Keep running entries after a failed one.
    pub continue_on_error: bool,
    /// Do not evaluate asserts.
    pub ignore_asserts: bool,
    /// First entry to run (1-based).
    pub from_entry: Option<usize>,
    /// Last entry to run (1-based).
    pub to_entry: Option<usize>,
    /// `-H` headers.
    pub extra_headers: Vec<crate::settings::Header>,
    /// `-A`.
    pub user_agent: Option<String>,
    /// `--no-keepalive`.
    pub no_keepalive: bool,
    /// Cookies to start each file with (`-b`).
    pub initial_cookies: CookieStore,
    /// `--no-cookie-store`.
    pub no_cookie_store: bool,
    /// The transport retry policy.
    pub retry_policy: RetryPolicy,
    /// `--attempt-headers`: mark every attempt with `X-Shakedown-Attempt` and `X-Shakedown-Txn-Id`.
    pub attempt_headers: bool,
    /// `--strict-framing`: a response whose completeness is unknown fails.
    pub strict_framing: bool,
    /// Keep every response body, even where no assert or capture reads it: something
    /// outside the entry loop will (`--output`, `--error-format long`). Otherwise a body
    /// nothing reads is counted and dropped as it arrives (`docs/limits.md`).
    pub keep_bodies: bool,
    /// The launched service under test, when there is one (`shakedown run`).
    pub server_watch: Option<Arc<dyn ServerWatch>>,
    /// Told about each entry as it starts and ends, when someone needs to know before
    /// the file ends (an interrupted run's report, a live display).
    pub observer: Option<Arc<dyn FileObserver>>,
}

/// Told about a file's entries while it runs: what an engine needs to report the
/// entries of a file cut short by a signal, or a live display to show progress.
pub trait FileObserver: Send + Sync {
    /// Entry `index` (1-based) of `path` starts: its request's line, method and URL as written.
    fn entry_started(&self, path: &Path, index: usize, line: usize, method: &str, url: &str);
    /// An entry of `path` ended with this outcome.
    fn entry_finished(&self, path: &Path, outcome: &EntryOutcome);
}

impl fmt::Debug for RunSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunSettings")
            .field("defaults", &self.defaults)
            .field("retry_policy", &self.retry_policy)
            .field("server_watch", &self.server_watch.is_some())
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

/// A file's outcome, plus what the command line may still want from it.
#[derive(Debug)]
pub struct FileRun {
    /// The outcome tree.
    pub outcome: FileOutcome,
    /// The cookie store after the last entry.
    pub cookies: CookieStore,
    /// The last response received, for `--output`.
    pub last_response: Option<Response>,
    /// Lines for `--verbose`.
    pub log: Vec<String>,
    /// Idle limits the transport learned per origin: (origin, limit, source).
    pub learned_idle_limits: Vec<(String, Duration, &'static str)>,
    /// The server crash that ended this file, if one did: the rest of the layer does not run.
    pub server_crash: Option<CrashReport>,
    /// Secret values to redact from everything printed about this file.
    pub secrets: Vec<String>,
}

/// Parses and runs one file.
pub async fn run_file(
    path: &Path,
    source: String,
    settings: &RunSettings,
    client: &mut Client,
    budget: &Budget,
) -> FileRun {
    let started = SystemTime::now();
    let clock = Instant::now();
    let (file, diagnostics) = scenario::parse(&source);
    let mut run = FileRun {
        outcome: FileOutcome {
            path: path.to_path_buf(),
            outcome: Outcome::Passed,
            entries: Vec::new(),
            file_error: None,
            started,
            duration: Duration::ZERO,
            source: String::new(),
        },
        cookies: settings.initial_cookies.clone(),
        last_response: None,
        log: Vec::new(),
        learned_idle_limits: Vec::new(),
        server_crash: None,
        secrets: settings.variables.secrets(),
    };
    if !diagnostics.is_empty() {
        run.outcome.outcome = Outcome::Error;
        run.outcome.file_error = Some(FileError::Parse(diagnostics));
        run.outcome.source = source;
        run.outcome.duration = clock.elapsed();
        return run;
    }
    run_parsed_from(path, &file, source, settings, client, budget, run, clock).await
}

/// Runs one iteration of a file already parsed without diagnostics: the entry point of
/// an engine that parses every file once and runs it many times (`run`, load mode).
/// `source` is the text `file` was parsed from (spans point into it).
pub async fn run_parsed(
    path: &Path,
    file: &HurlFile,
    source: String,
    settings: &RunSettings,
    client: &mut Client,
    budget: &Budget,
) -> FileRun {
    let clock = Instant::now();
    let run = FileRun {
        outcome: FileOutcome {
            path: path.to_path_buf(),
            outcome: Outcome::Passed,
            entries: Vec::new(),
            file_error: None,
            started: SystemTime::now(),
            duration: Duration::ZERO,
            source: String::new(),
        },
        cookies: settings.initial_cookies.clone(),
        last_response: None,
        log: Vec::new(),
        learned_idle_limits: Vec::new(),
        server_crash: None,
        secrets: settings.variables.secrets(),
    };
    run_parsed_from(path, file, source, settings, client, budget, run, clock).await
}

/// Where an engine that keeps only aggregates (load mode) takes each poll as it ends,
/// instead of an outcome tree it would fold and throw away: under [`run_parsed_into`] no
/// attempt, poll or entry is kept once the sink has seen it.
pub trait AttemptSink {
    /// Poll `poll.n` of entry `index` (1-based) ended: its attempts (transport retries and
    /// redirect hops included), asserts and verdict.
    fn poll(&mut self, index: usize, poll: &Poll);
}

/// The sink of the runs that keep their outcome tree: it is never called.
struct NoSink;

impl AttemptSink for NoSink {
    fn poll(&mut self, _index: usize, _poll: &Poll) {}
}

/// Runs one iteration of a file parsed without diagnostics, handing each poll to `sink` and
/// keeping none of them: the file's verdict is all it returns. `source` is the text `file`
/// was parsed from (borrowed: nothing of it is copied per iteration).
pub async fn run_parsed_into<S: AttemptSink + ?Sized>(
    path: &Path,
    file: &HurlFile,
    source: &str,
    settings: &RunSettings,
    client: &mut Client,
    budget: &Budget,
    sink: &mut S,
) -> Outcome {
    let mut run = FileRun {
        outcome: FileOutcome {
            path: path.to_path_buf(),
            outcome: Outcome::Passed,
            entries: Vec::new(),
            file_error: None,
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            source: String::new(),
        },
        cookies: settings.initial_cookies.clone(),
        last_response: None,
        log: Vec::new(),
        learned_idle_limits: Vec::new(),
        server_crash: None,
        secrets: Vec::new(),
    };
    let mut file_runner = FileRunner::new(path, source, settings, client, budget, Some(sink));
    file_runner.run(file, &mut run).await;
    file_runner.verdict()
}

#[expect(clippy::too_many_arguments, reason = "the two public entry points' shared tail")]
async fn run_parsed_from(
    path: &Path,
    file: &HurlFile,
    source: String,
    settings: &RunSettings,
    client: &mut Client,
    budget: &Budget,
    mut run: FileRun,
    clock: Instant,
) -> FileRun {
    let mut file_runner = FileRunner::<NoSink>::new(path, &source, settings, client, budget, None);
    file_runner.run(file, &mut run).await;
    run.learned_idle_limits = file_runner.client.learned_idle_limits();
    run.secrets = file_runner.variables.secrets();
    run.outcome.outcome = file_runner.verdict();
    run.outcome.duration = clock.elapsed();
    run.outcome.source = source;
    run
}

struct FileRunner<'a, S: AttemptSink + ?Sized = NoSink> {
    settings: &'a RunSettings,
    verbose: bool,
    very_verbose: bool,
    client: &'a mut Client,
    budget: &'a Budget,
    variables: Variables,
    /// Borrowed: a load run starts a file per iteration.
    file_root: Cow<'a, Path>,
    lines: LineCounter<'a>,
    source: &'a str,
    /// The host's TCP counters at the last reading, for the evidence of the next diagnosis.
    kernel: Kernel,
    /// Takes each poll instead of the outcome tree (load mode).
    sink: Option<&'a mut S>,
    /// The worst entry outcome so far (from `Skipped`).
    worst: Outcome,
    /// Whether an entry ended other than skipped.
    ran: bool,
}

impl<'a, S: AttemptSink + ?Sized> FileRunner<'a, S> {
    fn new(
        path: &'a Path,
        source: &'a str,
        settings: &'a RunSettings,
        client: &'a mut Client,
        budget: &'a Budget,
        sink: Option<&'a mut S>,
    ) -> FileRunner<'a, S> {
        let file_root = match &settings.file_root {
            Some(root) => Cow::Borrowed(root.as_path()),
            None => path.parent().map_or_else(|| Cow::Owned(PathBuf::new()), Cow::Borrowed),
        };
        FileRunner {
            settings,
            verbose: settings.defaults.verbose,
            very_verbose: settings.defaults.very_verbose,
            client,
            budget,
            variables: settings.variables.clone(),
            file_root,
            lines: LineCounter::new(source),
            source,
            kernel: Kernel::NotRead,
            sink,
            worst: Outcome::Skipped,
            ran: false,
        }
    }

    /// The file's verdict: the worst entry outcome, or passed when every entry was skipped.
    fn verdict(&self) -> Outcome {
        if self.ran { self.worst } else { Outcome::Passed }
    }
}

/// The 1-based line of byte offsets into one source, asked in increasing order (the
/// entries of a file, in order): each byte is looked at once per run, and no index of the
/// whole file is built first. An offset before the last one asked counts again from the
/// start.
struct LineCounter<'a> {
    source: &'a str,
    /// The last offset asked, and the number of `\n` before it.
    at: std::cell::Cell<(usize, usize)>,
}

impl<'a> LineCounter<'a> {
    fn new(source: &'a str) -> LineCounter<'a> {
        LineCounter { source, at: std::cell::Cell::new((0, 0)) }
    }

    /// The 1-based line of `offset` (as `scenario::LineIndex::line` gives it).
    fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.source.len());
        let (mut at, mut newlines) = self.at.get();
        if offset < at {
            (at, newlines) = (0, 0);
        }
        let between = self.source.as_bytes().get(at..offset).unwrap_or_default();
        // In fixed chunks, which the compiler turns into wide compares.
        let mut chunks = between.chunks_exact(32);
        for chunk in &mut chunks {
            newlines += chunk.iter().map(|&b| usize::from(b == b'\n')).sum::<usize>();
        }
        newlines += chunks.remainder().iter().filter(|&&b| b == b'\n').count();
        self.at.set((offset, newlines));
        newlines + 1
    }
}

/// The last reading of the host's TCP counters (Linux `/proc/net`).
enum Kernel {
    /// Not read yet in this file: read before its first attempt.
    NotRead,
    /// Not available (not Linux, or `/proc` not mounted).
    Unavailable,
    /// Read at this instant.
    At(Instant, KernelCounters),
}

thread_local! {
    /// The last baseline reading of the kernel counters on this thread, and when it was
    /// taken (`None` inside: not available on this host).
    static BASELINE: std::cell::Cell<Option<(Instant, Option<KernelCounters>)>> =
        const { std::cell::Cell::new(None) };
}

/// How long a baseline reading of the kernel counters serves the files that start after
/// it on the same thread. Reading them costs two files of `/proc` (about twenty
/// syscalls); a load run starts a file per request. The counters are host-wide, so a
/// baseline taken a few milliseconds earlier tells the same story.
const BASELINE_REUSE: Duration = Duration::from_millis(100);

impl Kernel {
    /// The baseline for a file's first attempt: a fresh reading, or this thread's last
    /// one if it is younger than [`BASELINE_REUSE`].
    fn baseline() -> Kernel {
        if let Some((at, counters)) = BASELINE.get()
            && at.elapsed() < BASELINE_REUSE
        {
            return counters.map_or(Kernel::Unavailable, |c| Kernel::At(at, c));
        }
        let kernel = Kernel::read();
        let remembered = match &kernel {
            Kernel::At(at, counters) => (*at, Some(*counters)),
            Kernel::NotRead | Kernel::Unavailable => (Instant::now(), None),
        };
        BASELINE.set(Some(remembered));
        kernel
    }

    fn read() -> Kernel {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        match (read("/proc/net/netstat"), read("/proc/net/snmp")) {
            (Some(netstat), Some(snmp)) => {
                let counters = KernelCounters::parse(&netstat, &snmp);
                if counters.is_empty() {
                    Kernel::Unavailable
                } else {
                    Kernel::At(Instant::now(), counters)
                }
            }
            _ => Kernel::Unavailable,
        }
    }
}

impl<S: AttemptSink + ?Sized> FileRunner<'_, S> {
    async fn run(&mut self, file: &HurlFile, run: &mut FileRun) {
        if self.sink.is_none() {
            // Room for every entry that may run, once, rather than regrown (and copied) as
            // the file goes.
            let last =
                self.settings.to_entry.map_or(file.entries.len(), |to| to.min(file.entries.len()));
            let first = self.settings.from_entry.unwrap_or(1).max(1);
            run.outcome.entries.reserve((last + 1).saturating_sub(first));
        }
        let mut previous_end = 0;
        for (i, entry) in file.entries.iter().enumerate() {
            let index = i + 1;
            // Hurl's experimental `# @cookie_storage_set:` / `# @cookie_storage_clear` comments.
            let start = entry.request.line_span.start;
            if let Some(between) = self.source.get(previous_end..start)
                && between.contains("@cookie_storage_")
            {
                run.cookies.apply_storage_comments(between);
            }
            previous_end = entry.span.end.max(start);
            if self.settings.from_entry.is_some_and(|from| index < from)
                || self.settings.to_entry.is_some_and(|to| index > to)
            {
                continue;
            }
            if let Some(observer) = &self.settings.observer {
                let (line, method, url) = self.entry_header(entry);
                observer.entry_started(&run.outcome.path, index, line, &method, &url);
            }
            let outcome = self.run_entry(index, entry, run).await;
            if let Some(observer) = &self.settings.observer {
                observer.entry_finished(&run.outcome.path, &outcome);
            }
            let failed = !outcome.outcome.is_pass();
            self.worst = self.worst.worst(outcome.outcome);
            self.ran |= outcome.outcome != Outcome::Skipped;
            if self.sink.is_none() {
                run.outcome.entries.push(outcome);
            }
            if failed && !self.settings.continue_on_error {
                break;
            }
        }
    }

    /// An entry's request line, method and URL as written.
    fn entry_header(&self, entry: &Entry) -> (usize, String, String) {
        let line = self.lines.line(entry.request.line_span.start);
        let method = entry.request.method.value.clone();
        let url_text = self
            .source
            .get(entry.request.url.span.start..entry.request.url.span.end)
            .unwrap_or_default()
            .to_owned();
        (line, method, url_text)
    }

    async fn run_entry(&mut self, index: usize, entry: &Entry, run: &mut FileRun) -> EntryOutcome {
        // A sink has the entry's name already: no copy of its method and URL per iteration.
        let (line, method, url_text) = if self.sink.is_some() {
            (0, String::new(), String::new())
        } else {
            self.entry_header(entry)
        };
        let mut outcome = EntryOutcome {
            index,
            line,
            method,
            url: url_text.clone(),
            url_template: url_text,
            outcome: Outcome::Passed,
            // A sink keeps no outcome tree: no room for one either.
            iterations: if self.sink.is_some() { Vec::new() } else { Vec::with_capacity(1) },
        };

        let entry_options: Vec<_> = entry
            .request
            .sections
            .iter()
            .filter_map(|s| match &s.kind {
                RequestSectionKind::Options(options) => Some(options.as_slice()),
                _ => None,
            })
            .flatten()
            .cloned()
            .collect();
        let settings = self.settings;
        // Without `[Options]` the run's defaults are the entry's options: borrowed, not copied.
        let options = if entry_options.is_empty() {
            Cow::Borrowed(&settings.defaults)
        } else {
            match options::apply(&settings.defaults, &entry_options, &mut self.variables) {
                Ok(options) => Cow::Owned(options),
                Err(error) => {
                    outcome.outcome = Outcome::Error;
                    outcome.iterations.push(Iteration {
                        n: 1,
                        polls: vec![failed_poll(EntryFailure::Runtime {
                            message: error.message,
                            span: Some(error.span),
                        })],
                    });
                    return outcome;
                }
            }
        };
        self.verbose = options.verbose || self.settings.defaults.verbose;
        self.very_verbose = options.very_verbose || self.settings.defaults.very_verbose;
        if options.skip || options.repeat == Some(0) {
            outcome.outcome = Outcome::Skipped;
            return outcome;
        }

        let mut iteration_number = 0usize;
        loop {
            iteration_number += 1;
            let (iteration, iteration_outcome) =
                self.run_iteration(index, iteration_number, entry, &options, run).await;
            if let Some(first) = iteration.polls.first().and_then(|p| p.attempts.first())
                && iteration_number == 1
            {
                outcome.url.clone_from(&first.url);
            }
            if self.sink.is_none() {
                outcome.iterations.push(iteration);
            }
            outcome.outcome = if iteration_number == 1 {
                iteration_outcome
            } else {
                outcome.outcome.worst(iteration_outcome)
            };
            let more = options.repeat.is_none_or(|n| (iteration_number as u64) < n);
            if !iteration_outcome.is_pass() || !more {
                break;
            }
        }
        outcome
    }

    async fn run_iteration(
        &mut self,
        index: usize,
        n: usize,
        entry: &Entry,
        options: &EntryOptions,
        run: &mut FileRun,
    ) -> (Iteration, Outcome) {
        // Nearly every entry runs once: room for one, so a file of thousands of entries stays
        // small. A sink takes the polls: none is kept, only the last one's verdict.
        let mut polls = if self.sink.is_some() { Vec::new() } else { Vec::with_capacity(1) };
        let mut last_outcome;
        let mut poll_number = 0usize;
        // Hurl's `delay` comes once before the entry's request, not before each retry.
        if !options.delay.is_zero() {
            run.log.push(format!(
                "* Delay {} ms before entry {}",
                options.delay.as_millis(),
                entry_index_hint(entry, &self.lines)
            ));
            tokio::time::sleep(options.delay).await;
        }
        loop {
            poll_number += 1;
            let poll = self.run_poll(poll_number, entry, options, run).await;
            let pollable = match &poll.failure {
                None => false,
                Some(EntryFailure::Asserts | EntryFailure::Capture { .. }) => true,
                Some(EntryFailure::Runtime { .. } | EntryFailure::ServerCrashed { .. }) => false,
                Some(EntryFailure::Transport(_)) => poll.attempts.last().is_some_and(|a| {
                    retry::may_repeat(
                        &a.facts,
                        &a.method,
                        &self.settings.retry_policy,
                        has_key(entry, &self.settings.retry_policy),
                    )
                }),
            };
            let retries_left = options.retry.is_none_or(|max| (poll_number as u64) <= max);
            last_outcome = poll.outcome;
            match self.sink.as_deref_mut() {
                // The sink takes the poll: only its verdict stays, for the entry's.
                Some(sink) => sink.poll(index, &poll),
                None => polls.push(poll),
            }
            if !(pollable && retries_left) {
                break;
            }
            run.log.push(format!(
                "* Retry entry {} (poll {}/{}), interval {} ms",
                entry_index_hint(entry, &self.lines),
                poll_number + 1,
                options.retry.map_or("∞".to_owned(), |m| (m + 1).to_string()),
                options.retry_interval.as_millis()
            ));
            tokio::time::sleep(options.retry_interval).await;
        }
        (Iteration { n, polls }, last_outcome)
    }

    async fn run_poll(
        &mut self,
        n: usize,
        entry: &Entry,
        options: &EntryOptions,
        run: &mut FileRun,
    ) -> Poll {
        let mut poll = Poll {
            n,
            attempts: Vec::with_capacity(1),
            asserts: Vec::new(),
            captures: Vec::new(),
            failure: None,
            outcome: Outcome::Passed,
            warnings: Vec::new(),
        };
        let context = RequestContext {
            file_root: &self.file_root,
            extra_headers: &self.settings.extra_headers,
            user_agent: self.settings.user_agent.as_deref(),
            no_keepalive: self.settings.no_keepalive,
            source: self.source,
        };
        let no_cookies = CookieStore::default();
        let cookies = if self.settings.no_cookie_store { &no_cookies } else { &run.cookies };
        let (mut spec, mut cookie_slot) =
            match request::render(&entry.request, options, &self.variables, cookies, &context) {
                Ok(rendered) => (rendered.spec, rendered.cookie_slot),
                Err(RenderError { message, span }) => {
                    poll.failure = Some(EntryFailure::Runtime { message, span });
                    poll.outcome = Outcome::Error;
                    return poll;
                }
            };
        spec.options.keep_body = self.settings.keep_bodies
            || options.output.is_some()
            || options.verbose
            || options.very_verbose
            || entry.response.as_ref().is_some_and(reads_body);
        let idempotency_key = has_key(entry, &self.settings.retry_policy);
        let mut redirects: Vec<Redirect> = Vec::new();
        let mut retried = false;
        let response = loop {
            let response = match self
                .send_with_retries(&mut spec, idempotency_key, &mut poll, &mut retried, run)
                .await
            {
                Ok(response) => response,
                Err(SendFailure::Transport(failed)) => {
                    poll.failure = Some(EntryFailure::Transport(Box::new(failed)));
                    poll.outcome = Outcome::Error;
                    return poll;
                }
                Err(SendFailure::ServerCrashed(crash)) => {
                    poll.failure = Some(EntryFailure::ServerCrashed {
                        message: format!(
                            "server crashed during this request: {}",
                            crash.description
                        ),
                        stderr_tail: crash.stderr_tail,
                    });
                    poll.outcome = Outcome::Error;
                    return poll;
                }
            };
            if !self.settings.no_cookie_store {
                run.cookies.store_response_cookies(
                    &spec.url,
                    response.headers_named(&http::header::SET_COOKIE),
                );
            }
            let Some(next) = next_redirect(&spec, &response, options, redirects.len()) else {
                break response;
            };
            match next {
                Ok(mut next) => {
                    redirects.push(Redirect { url: next.url.to_string(), status: response.status });
                    // The slots move up by the headers before them that the redirect
                    // dropped (curl's `Authorization`, on a move to another host).
                    let kept =
                        |name: &str| next.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
                    cookie_slot = kept_before(&spec.headers, cookie_slot, kept);
                    next.default_slots = spec.default_slots.after_removal(&spec.headers, kept);
                    spec = next;
                    if !self.settings.no_cookie_store {
                        refresh_cookie_header(&mut spec, &run.cookies, cookie_slot);
                    }
                }
                Err(message) => {
                    poll.failure = Some(EntryFailure::Runtime { message, span: None });
                    poll.outcome = Outcome::Error;
                    return poll;
                }
            }
        };
        if let Some(output) = &options.output {
            let path =
                if output.is_absolute() { output.clone() } else { self.file_root.join(output) };
            if options::escapes_root(&self.file_root, output) {
                poll.failure = Some(EntryFailure::Runtime {
                    message: format!(
                        "unauthorized access to file {}: a relative output path must stay under the file root (--file-root)",
                        output.display()
                    ),
                    span: None,
                });
                poll.outcome = Outcome::Error;
                return poll;
            }
            if let Err(e) = std::fs::write(&path, &response.body) {
                poll.failure = Some(EntryFailure::Runtime {
                    message: format!("cannot write output file {}: {e}", path.display()),
                    span: None,
                });
                poll.outcome = Outcome::Error;
                return poll;
            }
        }
        let url = spec.url.as_str();
        if let Some(response_spec) = &entry.response {
            let query_context = QueryContext {
                response: &response,
                url,
                redirects: &redirects,
                variables: &self.variables,
            };
            // Hurl's order: the version and status first (a wrong status is the real
            // cause, reported before any capture), then captures, then the other asserts.
            if !self.settings.ignore_asserts {
                poll.asserts = assert::eval_status_asserts(response_spec, &query_context);
                if poll.asserts.iter().any(|a| !a.success) {
                    poll.failure = Some(EntryFailure::Asserts);
                    poll.outcome = Outcome::Failed;
                    run.last_response = Some(response);
                    return poll;
                }
            }
            match capture::eval_captures(response_spec, &query_context) {
                Ok(values) => {
                    for captured in values {
                        poll.captures.push(captured.name.clone());
                        if captured.redact {
                            self.variables.insert_secret(captured.name, captured.value);
                        } else {
                            self.variables.insert(captured.name, captured.value);
                        }
                    }
                }
                Err(error) => {
                    poll.failure = Some(EntryFailure::Capture {
                        message: error.to_string(),
                        span: error.span,
                    });
                    poll.outcome = Outcome::Error;
                    run.last_response = Some(response);
                    return poll;
                }
            }
            if !self.settings.ignore_asserts {
                let query_context = QueryContext {
                    response: &response,
                    url,
                    redirects: &redirects,
                    variables: &self.variables,
                };
                // `poll.asserts` has room for every result already (`eval_status_asserts`).
                assert::push_other_asserts(
                    response_spec,
                    &query_context,
                    &self.file_root,
                    &mut poll.asserts,
                );
                poll.asserts.shrink_to_fit();
                if poll.asserts.iter().any(|a| !a.success) {
                    poll.failure = Some(EntryFailure::Asserts);
                    poll.outcome = Outcome::Failed;
                }
            }
        }
        if poll.failure.is_none() && retried {
            poll.outcome = Outcome::Flaky;
        }
        run.last_response = Some(response);
        poll
    }

    /// The diagnoses of one attempt: each pooled connection replaced before it, then the
    /// attempt itself when it failed or its connection ended badly.
    fn diagnoses(
        &mut self,
        facts: &AttemptFacts,
        method: &str,
        url: &str,
        crash: Option<&CrashReport>,
    ) -> Vec<Diagnosis> {
        if crash.is_none() && !diagnosis::may_need_diagnosis(facts) {
            // The common case, a clean exchange: nothing to diagnose, nothing to look up.
            return Vec::new();
        }
        // The counters moved since the last reading: read again, and keep this reading.
        let kernel = match &self.kernel {
            Kernel::At(..) => Some(Kernel::read()),
            Kernel::NotRead | Kernel::Unavailable => None,
        };
        let kernel = match (&self.kernel, kernel) {
            (Kernel::At(then, before), Some(Kernel::At(now, after))) => {
                let delta = before.delta(&after, now.saturating_duration_since(*then));
                self.kernel = Kernel::At(now, after);
                Some(delta)
            }
            _ => None,
        };
        let learned = self.learned_idle_limit(url);
        let learned = learned.as_ref().map(|(limit, source)| (*limit, *source));
        let mut out: Vec<Diagnosis> = facts
            .discarded
            .iter()
            .filter_map(|d| diagnosis::diagnose_replaced(d, learned))
            .collect();
        let observation = diagnosis::Observation {
            facts,
            method,
            url,
            learned_idle_limit: learned,
            server_exit: crash.map(|c| c.description.as_str()),
            kernel: kernel.as_ref(),
        };
        out.extend(diagnosis::diagnose_attempt(&observation));
        out
    }

    /// The idle limit the client learned for the origin of `url`, if any.
    fn learned_idle_limit(&self, url: &str) -> Option<(Duration, &'static str)> {
        let url = url::Url::parse(url).ok()?;
        let origin = format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str()?.to_ascii_lowercase(),
            url.port_or_known_default()?
        );
        self.client
            .learned_idle_limits()
            .into_iter()
            .find(|(o, _, _)| *o == origin)
            .map(|(_, limit, source)| (limit, source))
    }

    /// Sends `spec`, retrying transport failures where the policy says it is safe.
    ///
    /// Each attempt's marks (deadlines, `--attempt-headers`) are set on `spec` itself
    /// rather than on a copy; its headers are as given again when this returns.
    async fn send_with_retries(
        &mut self,
        spec: &mut RequestSpec,
        idempotency_key: bool,
        poll: &mut Poll,
        retried: &mut bool,
        run: &mut FileRun,
    ) -> Result<Response, SendFailure> {
        let given = spec.headers.len();
        let result = self.send_marked(spec, given, idempotency_key, poll, retried, run).await;
        spec.headers.truncate(given);
        result
    }

    /// [`FileRunner::send_with_retries`] on `spec`, whose first `given` headers are the request's.
    async fn send_marked(
        &mut self,
        spec: &mut RequestSpec,
        given: usize,
        idempotency_key: bool,
        poll: &mut Poll,
        retried: &mut bool,
        run: &mut FileRun,
    ) -> Result<Response, SendFailure> {
        let mut attempt_in_request = 0u32;
        let first_attempt_index = poll.attempts.len();
        // One id for every attempt of this request, so server logs can spot duplicates (R9).
        let txn_id =
            self.settings.attempt_headers.then(|| uuid::Uuid::new_v4().hyphenated().to_string());
        // `--max-time` bounds all the attempts of this request together, and
        // `--connect-timeout` all their connects: each attempt gets what is left
        // (docs/limits.md).
        let deadline = tokio::time::Instant::now() + spec.options.max_time;
        let mut connect_spent = Duration::ZERO;
        loop {
            attempt_in_request += 1;
            let started = SystemTime::now();
            let clock = Instant::now();
            if attempt_in_request == 1 {
                self.budget.request_started();
            }
            if matches!(self.kernel, Kernel::NotRead) {
                self.kernel = Kernel::baseline();
            }
            spec.options.deadline = Some(deadline);
            spec.options.connect_deadline = Some(
                tokio::time::Instant::now()
                    + spec.options.connect_timeout.saturating_sub(connect_spent),
            );
            if let Some(txn_id) = &txn_id {
                spec.headers.truncate(given);
                spec.headers
                    .push(("X-Shakedown-Attempt".to_owned(), attempt_in_request.to_string()));
                spec.headers.push(("X-Shakedown-Txn-Id".to_owned(), txn_id.clone()));
            }
            let exchange = self.client.send(spec).await;
            connect_spent += exchange.facts.timings.connect.unwrap_or_default()
                + exchange.facts.timings.tls.unwrap_or_default();
            // The attempt ends with its exchange: the wait for a crash below is not part of it
            // (the HTML timeline draws attempts by their duration).
            let duration = clock.elapsed();
            // R5: after a transport failure, give the server a moment to be seen dead
            // before deciding; a crash is never retried and never called flaky.
            let crash = match (&exchange.result, &self.settings.server_watch) {
                (Err(_), Some(watch)) => watch.crashed_within(CRASH_GRACE).await,
                _ => None,
            };
            let decision = match (&exchange.result, &crash) {
                (Ok(_), _) => None,
                (Err(_), Some(_)) => Some(retry::Decision {
                    retry: false,
                    rule: retry::Rule::ServerCrashed,
                    backoff: Duration::ZERO,
                }),
                (Err(_), None) => Some(retry::decide(
                    &exchange.facts,
                    &spec.method,
                    idempotency_key,
                    attempt_in_request,
                    &self.settings.retry_policy,
                    self.budget,
                    rand::random::<f64>(),
                )),
            };
            // A retry must fit in what is left of the request's time limits.
            let decision = decision.map(|d| {
                let out_of_time = tokio::time::Instant::now() + d.backoff >= deadline
                    || connect_spent >= spec.options.connect_timeout;
                if d.retry && out_of_time {
                    retry::Decision { retry: false, rule: retry::Rule::TimeLimitReached, ..d }
                } else {
                    d
                }
            });
            let mut warnings = Vec::new();
            if exchange.result.is_ok() {
                warnings.extend(diagnosis::framing_warning(&exchange.facts));
            }
            let url = spec.url.as_str().to_owned();
            let diagnoses = self.diagnoses(&exchange.facts, &spec.method, &url, crash.as_ref());
            poll.attempts.push(AttemptRecord {
                n: poll.attempts.len() + 1,
                method: spec.method.clone(),
                url,
                status: exchange.result.as_ref().ok().map(|r| r.status).or(exchange.facts.status),
                error: exchange.result.as_ref().err().cloned().map(Box::new),
                diagnoses,
                facts: exchange.facts,
                decision,
                started,
                duration,
                warnings: warnings.clone(),
                sent_before_crash_known: false,
            });
            if self.verbose {
                run.log.push(format!("> {} {}", spec.method, spec.url));
                if self.very_verbose {
                    for (name, value) in spec.headers.iter().take(given) {
                        run.log.push(format!("> {name}: {value}"));
                    }
                }
                match &exchange.result {
                    Ok(response) => {
                        run.log.push(format!(
                            "< {} {}",
                            response.version.as_str(),
                            response.status
                        ));
                        if self.very_verbose {
                            for (name, value) in &response.headers {
                                run.log.push(format!("< {name}: {value}"));
                            }
                        }
                    }
                    Err(failure) => run.log.push(format!("* {failure}")),
                }
            }
            if let Some(crash) = crash {
                // Every earlier attempt of this request went out before anyone knew.
                for attempt in poll.attempts.iter_mut().skip(first_attempt_index) {
                    attempt.sent_before_crash_known = true;
                }
                if let Some(last) = poll.attempts.last_mut() {
                    last.sent_before_crash_known = false;
                }
                run.server_crash = Some(crash.clone());
                return Err(SendFailure::ServerCrashed(crash));
            }
            match (exchange.result, decision) {
                (Ok(response), _) => {
                    if self.settings.strict_framing && !warnings.is_empty() {
                        return Err(SendFailure::Transport(TransportFailed {
                            failure: None,
                            same_on_all: None,
                            strict_framing: warnings,
                            diagnosis: poll
                                .attempts
                                .last()
                                .and_then(|a| a.diagnoses.last().cloned()),
                        }));
                    }
                    for warning in warnings {
                        poll.warnings.push(warning);
                    }
                    return Ok(response);
                }
                (Err(failure), Some(decision)) if decision.retry => {
                    *retried = true;
                    run.log.push(format!("* {failure}; retrying ({})", decision.rule.as_str()));
                    tokio::time::sleep(decision.backoff).await;
                }
                (Err(failure), _) => {
                    let attempts = poll.attempts.get(first_attempt_index..).unwrap_or_default();
                    return Err(SendFailure::Transport(TransportFailed {
                        failure: Some(failure),
                        same_on_all: diagnosis::reproducible(attempts.iter().map(|a| &a.facts)),
                        strict_framing: Vec::new(),
                        diagnosis: attempts.last().and_then(|a| a.diagnoses.last().cloned()),
                    }));
                }
            }
        }
    }
}

/// How long to wait for the server to be seen dead after a transport failure (R5).
const CRASH_GRACE: Duration = Duration::from_millis(200);

/// Why a request got no usable response.
enum SendFailure {
    /// The transport failed and the policy did not absorb it.
    Transport(TransportFailed),
    /// The server under test exited during the request.
    ServerCrashed(CrashReport),
}

/// What the runner may ask about the service under test (R5): did it exit?
///
/// The suite runner implements it over its launched servers; `shakedown test`
/// has no server process to watch and passes none.
pub trait ServerWatch: Send + Sync {
    /// Waits up to `within` for any process of the service to exit, and reports it if one did.
    fn crashed_within(
        &self,
        within: Duration,
    ) -> Pin<Box<dyn Future<Output = Option<CrashReport>> + Send + '_>>;
}

/// A server that exited while a request was in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrashReport {
    /// Which server, and how it ended: "server `main` (pid 123) was killed by signal 9 (SIGKILL)".
    pub description: String,
    /// The last lines of its stderr.
    pub stderr_tail: Vec<String>,
}

/// Whether an assert, a capture or the implicit body of `response` reads the body.
fn reads_body(response: &ast::Response) -> bool {
    response.body.is_some()
        || response.sections.iter().any(|section| match &section.kind {
            ResponseSectionKind::Captures(captures) => {
                captures.iter().any(|c| query_reads_body(&c.query.kind))
            }
            ResponseSectionKind::Asserts(asserts) => {
                asserts.iter().any(|a| query_reads_body(&a.query.kind))
            }
        })
}

/// Whether a query reads the response body (no wildcard: a new query kind must say).
fn query_reads_body(kind: &QueryKind) -> bool {
    match kind {
        QueryKind::Body
        | QueryKind::Xpath(_)
        | QueryKind::Jsonpath(_)
        | QueryKind::Regex(_)
        | QueryKind::Bytes
        | QueryKind::RawBytes
        | QueryKind::Sha256
        | QueryKind::Md5 => true,
        QueryKind::Status
        | QueryKind::Version
        | QueryKind::Url
        | QueryKind::Ip
        | QueryKind::Header(_)
        | QueryKind::Cookie(_)
        | QueryKind::Variable(_)
        | QueryKind::Duration
        | QueryKind::Certificate(_)
        | QueryKind::Redirects => false,
    }
}

fn entry_index_hint(entry: &Entry, lines: &LineCounter<'_>) -> String {
    format!("at line {}", lines.line(entry.request.line_span.start))
}

fn has_key(entry: &Entry, policy: &RetryPolicy) -> bool {
    policy.idempotency_key_header.as_deref().is_some_and(|name| {
        entry
            .request
            .headers
            .iter()
            .any(|h| h.key.as_literal().is_some_and(|k| k.eq_ignore_ascii_case(name)))
    })
}

fn failed_poll(failure: EntryFailure) -> Poll {
    Poll {
        n: 1,
        attempts: Vec::new(),
        asserts: Vec::new(),
        captures: Vec::new(),
        failure: Some(failure),
        outcome: Outcome::Error,
        warnings: Vec::new(),
    }
}

/// The next request of a redirect chain, if `response` is a redirect to follow.
fn next_redirect(
    spec: &RequestSpec,
    response: &Response,
    options: &EntryOptions,
    followed: usize,
) -> Option<Result<RequestSpec, String>> {
    if !options.location || !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.header(&http::header::LOCATION)?;
    if options.max_redirs.is_some_and(|max| followed as u64 >= max) {
        return Some(Err(format!(
            "too many redirects (maximum {})",
            options.max_redirs.unwrap_or_default()
        )));
    }
    let url = match spec.url.join(location) {
        Ok(url) => url,
        Err(e) => return Some(Err(format!("invalid redirect location <{location}>: {e}"))),
    };
    let mut next = spec.clone();
    // curl (and so Hurl) turns POST into GET for 301/302/303, and any method but HEAD into GET for 303.
    let to_get = match response.status {
        303 => spec.method != "HEAD",
        301 | 302 => spec.method == "POST",
        _ => false,
    };
    if to_get {
        next.method = "GET".to_owned();
        next.body = bytes::Bytes::new();
        next.headers.retain(|(n, _)| {
            !n.eq_ignore_ascii_case("content-type") && !n.eq_ignore_ascii_case("content-length")
        });
    }
    let other_host = url.host_str() != spec.url.host_str()
        || url.port_or_known_default() != spec.url.port_or_known_default();
    if other_host && !options.location_trusted {
        next.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    }
    next.url = url;
    Some(Ok(next))
}

/// The cookie store's cookies for a redirect's URL, in curl's `Cookie` slot (the default
/// `Accept` stays before it, the default `User-Agent` after it).
fn refresh_cookie_header(spec: &mut RequestSpec, cookies: &CookieStore, slot: usize) {
    let is_cookie = |name: &str| name.eq_ignore_ascii_case("cookie");
    let slots = spec.default_slots.after_removal(&spec.headers, |name| !is_cookie(name));
    let slot = kept_before(&spec.headers, slot, |name| !is_cookie(name));
    spec.headers.retain(|(n, _)| !is_cookie(n));
    spec.default_slots = slots;
    let pairs = cookies.cookies_for(&spec.url);
    if !pairs.is_empty() {
        let line = crate::runner::cookies::cookie_header(&pairs);
        let slot = slot.min(spec.headers.len());
        spec.headers.insert(slot, ("Cookie".to_owned(), line));
        spec.default_slots.user_agent =
            slots.user_agent.map(|at| if at >= slot { at + 1 } else { at });
    }
}

/// The value of a variable given on the command line: Hurl types `true`, `false`, `null`, integers and floats.
pub fn typed_variable(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => {
            if let Ok(i) = text.parse::<i64>() {
                Value::Integer(i)
            } else if text.contains('.') && text.parse::<f64>().is_ok_and(f64::is_finite) {
                Value::Float(text.parse().unwrap_or_default())
            } else {
                Value::String(text.to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<(String, String)> {
        names.iter().map(|n| ((*n).to_owned(), "v".to_owned())).collect()
    }

    /// A redirect's cookies go to curl's slot: after the default `Accept`, before Hurl's
    /// list (here a custom `Accept`), the default `User-Agent` moving down past them.
    #[test]
    fn a_redirects_cookies_go_to_curls_slot_and_the_default_slots_follow() {
        let mut store = CookieStore::default();
        let url = url::Url::parse("http://127.0.0.1:9/next").unwrap();
        store.store_response_cookies(&url, ["c=1"].into_iter());
        let mut spec = RequestSpec {
            method: "GET".to_owned(),
            url,
            headers: headers(&["Accept", "X-Custom"]),
            body: bytes::Bytes::new(),
            default_slots: crate::transport::DefaultSlots { accept: None, user_agent: Some(2) },
            options: crate::transport::RequestOptions::default(),
        };
        refresh_cookie_header(&mut spec, &store, 0);
        let names: Vec<&str> = spec.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Cookie", "Accept", "X-Custom"]);
        assert_eq!(spec.default_slots.user_agent, Some(3));

        // Again (the next hop): the old Cookie is replaced in place, the slots stay.
        refresh_cookie_header(&mut spec, &store, 0);
        let names: Vec<&str> = spec.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Cookie", "Accept", "X-Custom"]);
        assert_eq!(spec.default_slots.user_agent, Some(3));

        // Dropped headers before a slot move it up.
        let before = headers(&["Authorization", "Cookie", "Content-Type", "X"]);
        let slots = crate::transport::DefaultSlots { accept: Some(1), user_agent: Some(3) };
        let moved = slots.after_removal(&before, |n| n != "Authorization" && n != "Content-Type");
        assert_eq!(moved, crate::transport::DefaultSlots { accept: Some(0), user_agent: Some(1) });
    }

    /// The counter gives the lines the file's index gives, for offsets in order (the
    /// common case), out of order, past the end, and around `\r\n` and multi-byte chars.
    #[test]
    fn line_counter_agrees_with_the_line_index() {
        let long = "GET http://a/\nHTTP 200\n\n".repeat(9);
        let sources = ["", "GET http://a/\n", "a\nb\r\n\nété\n\nlast", "\n\n\n", &long];
        for source in sources {
            let index = scenario::LineIndex::new(source);
            let offsets: Vec<usize> = (0..=source.len() + 2).collect();
            let counter = LineCounter::new(source);
            for &offset in &offsets {
                assert_eq!(counter.line(offset), index.line(offset), "{source:?} at {offset}");
            }
            let counter = LineCounter::new(source);
            for &offset in offsets.iter().rev().chain(&[1, 0, 3, 2]) {
                assert_eq!(counter.line(offset), index.line(offset), "{source:?} at {offset}");
            }
        }
    }

    #[test]
    fn command_line_variables_are_typed_as_in_hurl() {
        assert_eq!(typed_variable("42"), Value::Integer(42));
        assert_eq!(typed_variable("1.5"), Value::Float(1.5));
        assert_eq!(typed_variable("true"), Value::Bool(true));
        assert_eq!(typed_variable("null"), Value::Null);
        assert_eq!(typed_variable("abc"), Value::String("abc".to_owned()));
        assert_eq!(typed_variable("1e5"), Value::String("1e5".to_owned()));
    }
}
