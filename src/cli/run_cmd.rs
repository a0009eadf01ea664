//! `shakedown run [SUITE]`: the suite, end to end — validate, start the servers, run the
//! layers, stop everything, one verdict.
//!
//! Reading order: [`run`] loads and checks the suite ([`load_suite`], shared with
//! `shakedown check`), builds the settings once, then drives [`Orchestra::run_layers`]
//! on one multi-thread tokio runtime, raced against SIGINT/SIGTERM/SIGHUP and the
//! `--deadline`. Whatever ends the race, every server launched so far is then
//! stopped through its [`ServerHandle`] (a second signal skips the grace), so no
//! process group outlives the run; a SIGKILL of shakedown is covered by the
//! orphan supervisor (`shakedown __supervise`, see `server`).
//!
//! - Servers: `[servers.*]` in declared order, then `[server]` when a layer first
//!   needs it; each on a free loopback port with its placeholders rendered,
//!   restarted on a fresh port (at most [`PORT_RETRIES`] times) if it exits
//!   saying its port was taken. External targets (`url = ...`) are only probed.
//! - Command layers run as a child in its own process group through `server`'s
//!   launch (a readiness check that never matches, so the exit status is the
//!   result), with the layer's timeout; `junit` files are deleted before and
//!   read after.
//! - Scenario layers run their files on `--jobs` tasks, each with its own
//!   transport client; with `isolation = "restart"` each file gets a fresh main
//!   server of its worker's own; `reset` runs between files otherwise. A server
//!   crash (R5) ends the layer: the files left are reported as not run.
//! - The report (`report.json` in the run folder, plus any `--report json=`) is
//!   checkpointed atomically after every scenario file and every layer; an
//!   interrupted run leaves `"partial": true, "outcome": "interrupted"`.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Mutex, mpsc, watch};

use crate::cli::args::{FlakyResult, RunArgs, TransportRetryMode};
use crate::cli::output::{Printer, UsageError, redact, write_atomically};
use crate::cli::run_report::{self, CommandRecord, LayerRecord, ServerRecord, Testcase};
use crate::cli::test_cmd::{
    duration_flag, effective_options, file_exit_code, learned_limits_json, policy_json,
    split_definition,
};
use crate::exit_code;
use crate::report::{human, json, junit};
use crate::retry::{Budget, RetryPolicy};
use crate::runner::execute::{self, CrashReport, FileRun, RunSettings, ServerWatch};
use crate::runner::outcome::{FileOutcome, Outcome};
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::scenario::ast::DurationUnit;
use crate::server::{
    self, LaunchError, LaunchOptions, ServerHandle, ServerSpec, StopSpec, SupervisorCommand,
};
use crate::suite::{
    self, CommandSpec, Isolation, LayerKind, PathCheck, Placeholder, Program, ServerDef,
    ServerTarget, Suite, SuiteDiagnostic, VariableValue,
};
use crate::transport::client::{Client, ClientSettings};
use crate::transport::request::{RequestOptions, RequestSpec};

/// How many times a server is started again on a fresh port after a port conflict.
pub const PORT_RETRIES: u32 = 3;
/// The default connect timeout in `run` (Hurl's is 300 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default per-request time limit in `run` (Hurl's is 300 s).
const MAX_TIME: Duration = Duration::from_secs(60);
/// A command layer without `timeout` and a run without a deadline still end.
const COMMAND_DEFAULT_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// How long a `reset` command may take.
const RESET_TIMEOUT: Duration = Duration::from_secs(300);

/// A suite file read, parsed and checked against the filesystem.
pub(crate) struct LoadedSuite {
    /// The suite.
    pub(crate) suite: Suite,
    /// The suite file as given.
    pub(crate) path: PathBuf,
    /// For each layer (in suite order), its scenario files (empty for command layers).
    pub(crate) files: Vec<Vec<PathBuf>>,
}

/// Reads, parses and checks `path` and every scenario file it names; renders every
/// problem. `Err` is the exit code (2).
pub(crate) fn load_suite(path: &Path, printer: &mut Printer) -> Result<LoadedSuite, u8> {
    let name = path.display().to_string();
    let source = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(source)) => source,
        Ok(Err(_)) => {
            printer.error(&format!("error: the suite file {name} is not valid UTF-8"));
            return Err(exit_code::INPUT);
        }
        Err(e) => {
            printer.error(&format!("error: cannot read the suite file {name}: {e}"));
            return Err(exit_code::INPUT);
        }
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let color = printer.style() == human::Style::Color;
    let suite = match suite::parse_suite(&source, &dir) {
        Ok(suite) => suite,
        Err(diagnostics) => {
            printer.err(&suite::render(&diagnostics, &name, &source, color));
            printer.err(&format!("{name}: {} error(s)", diagnostics.len()));
            return Err(exit_code::INPUT);
        }
    };
    let mut problems = Vec::new();
    for check in suite.paths_to_check() {
        match check {
            PathCheck::Directory(dir) if !dir.get_ref().is_dir() => problems.push(diag(
                format!("directory not found: {}", dir.get_ref().display()),
                dir.span(),
                "this directory does not exist",
            )),
            PathCheck::Program(program) if !program.get_ref().is_file() => problems.push(diag(
                format!("program not found: {}", program.get_ref().display()),
                program.span(),
                "no such file",
            )),
            PathCheck::Glob(pattern) if expand_glob(pattern.get_ref()).is_empty() => {
                problems.push(diag(
                    format!("no file matches `{}`", pattern.get_ref()),
                    pattern.span(),
                    "this pattern matches no file",
                ));
            }
            _ => {}
        }
    }
    if !problems.is_empty() {
        printer.err(&suite::render(&problems, &name, &source, color));
        printer.err(&format!("{name}: {} error(s)", problems.len()));
        return Err(exit_code::INPUT);
    }
    let mut files = Vec::new();
    let mut bad = 0;
    for layer in suite.layers() {
        let mut layer_files = Vec::new();
        if let LayerKind::Scenarios { globs, .. } = layer.kind() {
            for pattern in globs {
                for file in expand_glob(pattern.get_ref()) {
                    if !layer_files.contains(&file) {
                        layer_files.push(file);
                    }
                }
            }
        }
        for file in &layer_files {
            if !scenario_parses(file, printer) {
                bad += 1;
            }
        }
        files.push(layer_files);
    }
    if bad > 0 {
        printer.err(&format!("{bad} scenario file(s) of {name} do not parse"));
        return Err(exit_code::INPUT);
    }
    Ok(LoadedSuite { suite, path: path.to_path_buf(), files })
}

fn diag(message: String, span: std::ops::Range<usize>, label: &str) -> SuiteDiagnostic {
    SuiteDiagnostic { message, span, label: label.to_owned(), help: None }
}

/// The files a suite glob matches, sorted.
fn expand_glob(pattern: &str) -> Vec<PathBuf> {
    let Ok(paths) = glob::glob(pattern) else { return Vec::new() };
    let cwd = std::env::current_dir().ok();
    // Shown relative to the current directory when inside it, as the user would type them.
    let shown = |path: PathBuf| match cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()) {
        Some(relative) => relative.to_path_buf(),
        None => path,
    };
    let mut out: Vec<PathBuf> =
        paths.filter_map(Result::ok).filter(|p| p.is_file()).map(shown).collect();
    out.sort();
    out
}

fn scenario_parses(path: &Path, printer: &mut Printer) -> bool {
    let name = path.display().to_string();
    let source = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(source)) => source,
        Ok(Err(_)) => {
            printer.error(&format!("error: {name} is not valid UTF-8"));
            return false;
        }
        Err(e) => {
            printer.error(&format!("error: cannot read {name}: {e}"));
            return false;
        }
    };
    let (_, diagnostics) = crate::scenario::parse(&source);
    if !diagnostics.is_empty() {
        printer.err(
            human::parse_diagnostics(&name, &source, &diagnostics, printer.style()).trim_end(),
        );
    }
    diagnostics.is_empty()
}

/// `shakedown check SUITE.toml`: validates the suite and its scenario files and lists
/// what would run.
pub(crate) fn check_suite(path: &Path, printer: &mut Printer) -> u8 {
    let loaded = match load_suite(path, printer) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let suite = &loaded.suite;
    printer.out(&format!("{}: suite", loaded.path.display()));
    for def in suite.start_order() {
        let name = server_name(def);
        match def.target() {
            ServerTarget::Launch { command, .. } => {
                printer.out(&format!("  server {name}: {}", describe_command(command)));
            }
            ServerTarget::External { url } => {
                printer.out(&format!("  server {name}: external {}", url.get_ref()));
            }
        }
    }
    for (layer, files) in suite.layers().iter().zip(&loaded.files) {
        match layer.kind() {
            LayerKind::Command { command, .. } => {
                printer.out(&format!(
                    "  layer {}: command {}",
                    layer.name(),
                    describe_command(command)
                ));
            }
            LayerKind::Scenarios { isolation, .. } => {
                let isolation = match isolation {
                    Isolation::Shared => "shared",
                    Isolation::Restart => "restart",
                };
                printer.out(&format!(
                    "  layer {}: {} scenario file(s), isolation {isolation}",
                    layer.name(),
                    files.len()
                ));
                for file in files {
                    printer.out(&format!("    {}", file.display()));
                }
            }
        }
    }
    exit_code::SUCCESS
}

fn describe_command(command: &CommandSpec) -> String {
    let program = match command.program() {
        Program::Path(path) => path.get_ref().display().to_string(),
        Program::Search(name) => name.get_ref().clone(),
    };
    let mut out = program;
    for arg in command.args() {
        out.push(' ');
        out.push_str(&arg.render(|p| Some(p.to_string())).unwrap_or_default());
    }
    out
}

fn server_name(def: &ServerDef) -> String {
    def.name().unwrap_or("main").to_owned()
}

/// A report to write at the end of the run, besides the run folder's `report.json`.
#[derive(Clone, Debug)]
enum ReportTarget {
    Junit(PathBuf),
    Json(PathBuf),
}

/// Everything decided before anything starts.
struct Prepared {
    base: RunSettings,
    cli_variables: Vec<(String, Value)>,
    secrets: Vec<(String, String)>,
    jobs: usize,
    flaky_result: FlakyResult,
    reports: Vec<ReportTarget>,
    layers: Vec<usize>,
    deadline: Option<Duration>,
    run_dir: PathBuf,
}

fn prepare(args: &RunArgs, loaded: &LoadedSuite) -> Result<Prepared, UsageError> {
    let suite = &loaded.suite;
    let from_suite = suite.run();
    let mut base = RunSettings::default();
    let d = &mut base.defaults;
    d.connect_timeout = match &args.connect_timeout {
        Some(text) => duration_flag(text, DurationUnit::Second, "--connect-timeout")?,
        None => from_suite.connect_timeout.unwrap_or(CONNECT_TIMEOUT),
    };
    d.max_time = match &args.max_time {
        Some(text) => duration_flag(text, DurationUnit::Second, "--max-time")?,
        None => from_suite.max_time.unwrap_or(MAX_TIME),
    };
    d.verbose = args.verbose;
    base.no_keepalive = args.transport.no_keepalive;
    base.attempt_headers = args.transport.attempt_headers;
    base.strict_framing = args.transport.strict_framing;
    let enabled = match args.transport.transport_retry {
        Some(mode) => mode != TransportRetryMode::Off,
        None => from_suite.transport_retry != Some(suite::TransportRetry::Off),
    };
    base.retry_policy = RetryPolicy {
        enabled,
        idempotency_key_header: args
            .transport
            .idempotency_key_header
            .clone()
            .or_else(|| from_suite.idempotency_key_header.clone()),
        ..RetryPolicy::default()
    };
    if let Some(methods) =
        args.transport.retry_methods.as_ref().or(from_suite.retry_methods.as_ref())
    {
        base.retry_policy.idempotent_methods = methods
            .iter()
            .map(|m| m.trim().to_ascii_uppercase())
            .filter(|m| !m.is_empty())
            .collect();
    }
    let flaky_result = args.transport.flaky_result.unwrap_or(match from_suite.flaky_result {
        Some(suite::FlakyResult::Fail) => FlakyResult::Fail,
        _ => FlakyResult::Pass,
    });
    let jobs = match args.jobs {
        Some(0) => return Err(UsageError("--jobs must be at least 1".to_owned())),
        Some(n) => n,
        None => from_suite.jobs.map_or(1, std::num::NonZero::get),
    };
    let deadline = match &args.deadline {
        Some(text) => Some(duration_flag(text, DurationUnit::Second, "--deadline")?),
        None => from_suite.deadline,
    };
    let mut cli_variables = Vec::new();
    for definition in &args.variables {
        let (name, value) = split_definition(definition, "--variable")?;
        cli_variables.push((name, execute::typed_variable(&value)));
    }
    let mut secrets = Vec::new();
    for definition in &args.secrets {
        secrets.push(split_definition(definition, "--secret")?);
    }
    let mut reports = Vec::new();
    for spec in &args.reports {
        match spec.split_once('=') {
            Some(("junit", path)) => reports.push(ReportTarget::Junit(PathBuf::from(path))),
            Some(("json", path)) => reports.push(ReportTarget::Json(PathBuf::from(path))),
            _ => {
                return Err(UsageError(format!(
                    "invalid --report <{spec}>: expected junit=PATH or json=PATH"
                )));
            }
        }
    }
    let mut layers = Vec::new();
    if args.layers.is_empty() {
        layers.extend(0..suite.layers().len());
    } else {
        for wanted in &args.layers {
            if !suite.layers().iter().any(|l| l.name() == wanted) {
                let names: Vec<&str> = suite.layers().iter().map(|l| l.name()).collect();
                return Err(UsageError(format!(
                    "--layer {wanted}: no such layer in {} (layers: {})",
                    loaded.path.display(),
                    names.join(", ")
                )));
            }
        }
        for (i, layer) in suite.layers().iter().enumerate() {
            if args.layers.iter().any(|w| w == layer.name()) {
                layers.push(i);
            }
        }
    }
    let output_dir = args.output_dir.clone().unwrap_or_else(|| suite.dir().join(".shakedown"));
    let output_dir = std::path::absolute(&output_dir).unwrap_or(output_dir);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let run_dir = output_dir.join(format!("run-{stamp}-{}", std::process::id()));
    Ok(Prepared {
        base,
        cli_variables,
        secrets,
        jobs,
        flaky_result,
        reports,
        layers,
        deadline,
        run_dir,
    })
}

/// Runs `shakedown run`.
pub fn run(args: &RunArgs, command_line: &[String], printer: &mut Printer) -> u8 {
    let path = args.suite.clone().unwrap_or_else(|| PathBuf::from("shakedown.toml"));
    let loaded = match load_suite(&path, printer) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let prepared = match prepare(args, &loaded) {
        Ok(prepared) => prepared,
        Err(error) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&prepared.run_dir) {
        printer.error(&format!(
            "error: cannot create the run folder {}: {e}",
            prepared.run_dir.display()
        ));
        return exit_code::RUNTIME;
    }
    match SupervisorCommand::current_exe(["__supervise"]) {
        Ok(command) => {
            let _ = server::install_supervisor(command);
        }
        Err(e) => printer.err(&format!(
            "warning: no orphan supervisor ({e}): a SIGKILL of shakedown would leave servers running"
        )),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(prepared.jobs.clamp(2, 8))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            printer.error(&format!("error: cannot start a runtime: {e}"));
            return exit_code::RUNTIME;
        }
    };
    let orchestra = Arc::new(Orchestra::new(loaded, prepared, command_line, args.fail_fast));
    printer.err(&format!("shakedown run: output in {}", orchestra.run_dir.display()));
    runtime.block_on(drive(&orchestra, args.keep_going, printer))
}

/// Why the run ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Finished,
    Interrupted(&'static str),
    Deadline,
}

async fn drive(orchestra: &Arc<Orchestra>, keep_going: bool, printer: &mut Printer) -> u8 {
    let (signals_tx, signals_rx) = watch::channel::<(u32, &'static str)>((0, ""));
    let listener = match register_signals() {
        Ok(signals) => tokio::spawn(listen_for_signals(signals, signals_tx)),
        Err(e) => {
            printer.error(&format!("error: cannot handle SIGINT, SIGTERM and SIGHUP: {e}"));
            return exit_code::RUNTIME;
        }
    };
    let deadline = orchestra.deadline;
    let ending = {
        let deadline_passed = async {
            match deadline {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        let mut rx = signals_rx.clone();
        tokio::select! {
            () = orchestra.run_layers(keep_going, printer) => Ending::Finished,
            name = async move {
                let _ = rx.wait_for(|(n, _)| *n >= 1).await;
                rx.borrow().1
            } => Ending::Interrupted(name),
            () = deadline_passed => Ending::Deadline,
        }
    };
    match ending {
        Ending::Interrupted(name) => printer.err(&format!(
            "shakedown: {name} received: stopping every server (a second one skips the grace)"
        )),
        Ending::Deadline => printer.err(&format!(
            "error: the run's deadline ({} s) passed: stopping every server",
            deadline.unwrap_or_default().as_secs_f64()
        )),
        Ending::Finished => {}
    }
    // The grace of each stop ends at the next signal: the second one if a signal
    // ended the run, the first one otherwise; a passed deadline allows no grace.
    let (fast, hurry_at) = match ending {
        Ending::Deadline => (true, 0),
        Ending::Interrupted(_) => (false, 2),
        Ending::Finished => (false, 1),
    };
    let hurry = || {
        let mut rx = signals_rx.clone();
        async move {
            if !fast {
                let _ = rx.wait_for(|(n, _)| *n >= hurry_at).await;
            }
        }
    };
    orchestra.stop_all(hurry).await;
    listener.abort();
    orchestra.finish(ending, printer)
}

/// SIGINT, SIGTERM and SIGHUP, handled from the moment this returns (before any
/// server starts), so their default action never kills shakedown mid-run.
type Signals =
    (tokio::signal::unix::Signal, tokio::signal::unix::Signal, tokio::signal::unix::Signal);

fn register_signals() -> std::io::Result<Signals> {
    use tokio::signal::unix::{SignalKind, signal};
    Ok((
        signal(SignalKind::interrupt())?,
        signal(SignalKind::terminate())?,
        signal(SignalKind::hangup())?,
    ))
}

/// Counts the signals received; the first one's name is kept for the message.
async fn listen_for_signals(
    (mut int, mut term, mut hup): Signals,
    tx: watch::Sender<(u32, &'static str)>,
) {
    loop {
        let name = tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
        };
        tx.send_modify(|(n, first)| {
            if *n == 0 {
                *first = name;
            }
            *n += 1;
        });
    }
}

/// A launched server, shared by the runner's crash watch and the run's shutdown.
type Slot = Arc<Mutex<Option<ServerHandle>>>;

/// Where a server can be reached, for placeholders and variables.
#[derive(Clone, Debug)]
struct Endpoint {
    port: u16,
    url: String,
}

/// The whole run's state.
struct Orchestra {
    suite: Suite,
    suite_path: PathBuf,
    files: Vec<Vec<PathBuf>>,
    prepared: Prepared,
    run_dir: PathBuf,
    deadline: Option<Duration>,
    command_line: Vec<String>,
    fail_fast: bool,
    started: SystemTime,
    clock: Instant,
    budget: Arc<Budget>,
    /// Every server ever launched (index into `progress.servers`), for the shutdown.
    slots: StdMutex<Vec<(usize, Slot)>>,
    /// Named servers' endpoints, in start order.
    endpoints: StdMutex<BTreeMap<String, Endpoint>>,
    /// Slots of the named servers (watched for crashes by every scenario layer).
    named_slots: StdMutex<Vec<(String, Slot)>>,
    /// The shared main server, once started.
    main: Mutex<Option<(Slot, Endpoint)>>,
    progress: StdMutex<Progress>,
    secrets: Vec<String>,
}

#[derive(Default)]
struct Progress {
    /// Idle limits the files' transport clients learned.
    learned: Vec<(String, Duration, &'static str)>,
    layers: Vec<LayerRecord>,
    servers: Vec<ServerRecord>,
    files: Vec<FileOutcome>,
    codes: Vec<u8>,
    /// A server could not be started, so the layers after it did not run.
    start_failed: bool,
    /// The layer running now (index, wall clock and monotonic start), for an interruption.
    current: Option<(usize, SystemTime, Instant)>,
}

/// What a worker tells the orchestrator.
enum Event {
    File(usize, Box<FileRun>),
    Message(String),
}

impl Orchestra {
    fn new(
        loaded: LoadedSuite,
        prepared: Prepared,
        command_line: &[String],
        fail_fast: bool,
    ) -> Self {
        let mut secrets: Vec<String> = prepared.secrets.iter().map(|(_, v)| v.clone()).collect();
        secrets.retain(|s| !s.is_empty());
        Orchestra {
            run_dir: prepared.run_dir.clone(),
            deadline: prepared.deadline,
            suite: loaded.suite,
            suite_path: loaded.path,
            files: loaded.files,
            prepared,
            command_line: command_line.iter().map(|a| redact(a, &secrets)).collect(),
            fail_fast,
            started: SystemTime::now(),
            clock: Instant::now(),
            budget: Arc::new(Budget::default()),
            slots: StdMutex::new(Vec::new()),
            endpoints: StdMutex::new(BTreeMap::new()),
            named_slots: StdMutex::new(Vec::new()),
            main: Mutex::new(None),
            progress: StdMutex::new(Progress::default()),
            secrets,
        }
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn record_code(&self, code: u8) {
        self.progress().codes.push(code);
    }

    /// Runs the selected layers in order; servers start on first need.
    async fn run_layers(self: &Arc<Self>, keep_going: bool, printer: &mut Printer) {
        let selected = self.prepared.layers.clone();
        let needs_servers = selected.iter().any(|&i| {
            self.suite.layers().get(i).is_some_and(|l| match l.kind() {
                LayerKind::Scenarios { .. } => true,
                LayerKind::Command { command, .. } => uses_placeholders(command),
            })
        });
        if needs_servers {
            for def in self.suite.servers() {
                if let Err(message) = self.start_named(def).await {
                    printer.err(&message);
                    self.record_code(exit_code::RUNTIME);
                    self.progress().start_failed = true;
                    self.mark_not_run(&selected, "a server did not start");
                    self.checkpoint();
                    return;
                }
            }
        }
        let mut failed = false;
        for (position, &index) in selected.iter().enumerate() {
            let Some(layer) = self.suite.layers().get(index) else { continue };
            if failed && !keep_going {
                self.mark_not_run(
                    &selected[position..],
                    "an earlier layer failed (--keep-going runs it anyway)",
                );
                break;
            }
            printer.err(&format!("layer {}: starting", layer.name()));
            self.progress().current = Some((index, SystemTime::now(), Instant::now()));
            let record = match layer.kind() {
                LayerKind::Command { command, timeout, junit } => {
                    self.command_layer(layer.name(), command, *timeout, junit.as_ref(), printer)
                        .await
                }
                LayerKind::Scenarios { isolation, reset, .. } => {
                    let files = self.files.get(index).cloned().unwrap_or_default();
                    self.scenario_layer(layer.name(), files, *isolation, reset.as_ref(), printer)
                        .await
                }
            };
            let passed = matches!(record.outcome.as_str(), "passed" | "flaky");
            printer.err(&format!(
                "layer {}: {} in {} ms",
                record.name,
                record.outcome.to_uppercase(),
                record.duration.as_millis()
            ));
            failed |= !passed;
            self.progress().layers.push(record);
            self.checkpoint();
            if self.progress().start_failed {
                self.mark_not_run(&selected[position + 1..], "a server did not start");
                break;
            }
        }
    }

    /// After an interruption: the layer that was running is `interrupted` (with the
    /// files that finished), the selected layers after it `not_run`.
    fn mark_interrupted(&self) {
        let selected = self.prepared.layers.clone();
        {
            let mut progress = self.progress();
            if let Some((index, started, clock)) = progress.current
                && let Some(layer) = self.suite.layers().get(index)
                && !progress.layers.iter().any(|l| l.name == layer.name())
            {
                let all = self.files.get(index).cloned().unwrap_or_default();
                let done: Vec<PathBuf> = progress
                    .files
                    .iter()
                    .map(|f| f.path.clone())
                    .filter(|p| all.contains(p))
                    .collect();
                let not_run = all.into_iter().filter(|p| !done.contains(p)).collect();
                progress.layers.push(LayerRecord {
                    name: layer.name().to_owned(),
                    kind: kind_name(layer.kind()),
                    outcome: "interrupted".to_owned(),
                    started,
                    duration: clock.elapsed(),
                    files: done,
                    not_run_files: not_run,
                    note: Some("the run was interrupted during this layer".to_owned()),
                    command: None,
                });
            }
        }
        self.mark_not_run(&selected, "the run was interrupted before this layer");
    }

    fn mark_not_run(&self, layers: &[usize], why: &str) {
        let mut progress = self.progress();
        for &index in layers {
            if let Some(layer) = self.suite.layers().get(index) {
                if progress.layers.iter().any(|l| l.name == layer.name()) {
                    continue;
                }
                progress.layers.push(LayerRecord {
                    name: layer.name().to_owned(),
                    kind: kind_name(layer.kind()),
                    outcome: "not_run".to_owned(),
                    started: SystemTime::now(),
                    duration: Duration::ZERO,
                    files: Vec::new(),
                    not_run_files: self.files.get(index).cloned().unwrap_or_default(),
                    note: Some(why.to_owned()),
                    command: None,
                });
            }
        }
    }

    // ---- servers ----

    /// Starts `[servers.NAME]` and records it.
    async fn start_named(&self, def: &ServerDef) -> Result<(), String> {
        let name = server_name(def);
        let (slot, endpoint) = self.start_server(def, &name, &self.run_dir).await?;
        self.lock_endpoints().insert(name.clone(), endpoint);
        if let Some(slot) = slot {
            self.named_slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((name, slot));
        }
        Ok(())
    }

    fn lock_endpoints(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Endpoint>> {
        self.endpoints.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn named_watch(&self) -> Vec<(String, Slot)> {
        self.named_slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The shared main server, started if needed (and again if it has exited).
    async fn ensure_main(&self) -> Result<(Slot, Endpoint), String> {
        let mut main = self.main.lock().await;
        if let Some((slot, endpoint)) = main.as_ref() {
            // An external target has no handle: it is as alive as its readiness said.
            let alive = slot.lock().await.as_mut().is_none_or(|h| h.exited().is_none());
            if alive {
                return Ok((slot.clone(), endpoint.clone()));
            }
        }
        let Some(def) = self.suite.server() else {
            return Err("error: this layer needs a [server], and the suite has none".to_owned());
        };
        let (slot, endpoint) = self.start_server(def, "main", &self.run_dir).await?;
        let slot = slot.unwrap_or_default();
        *main = Some((slot.clone(), endpoint.clone()));
        Ok((slot, endpoint))
    }

    /// Launches (or, for an external target, probes) one server. The slot is `None`
    /// for an external target.
    async fn start_server(
        &self,
        def: &ServerDef,
        name: &str,
        logs_dir: &Path,
    ) -> Result<(Option<Slot>, Endpoint), String> {
        match def.target() {
            ServerTarget::External { url } => {
                let url = url.get_ref().clone();
                let started = Instant::now();
                probe_external(&url, def.ready())
                    .await
                    .map_err(|e| format!("error: server `{name}` ({url}) is not ready: {e}"))?;
                let endpoint = Endpoint {
                    port: url.port_or_known_default().unwrap_or_default(),
                    url: url.as_str().trim_end_matches('/').to_owned(),
                };
                self.progress().servers.push(ServerRecord::external(
                    name,
                    &endpoint.url,
                    started.elapsed(),
                ));
                Ok((None, endpoint))
            }
            ServerTarget::Launch { command, stop } => {
                let stop = map_stop(*stop).ok_or_else(|| {
                    format!(
                        "error: server `{name}`: stop signal {} is not supported",
                        stop.signal.name()
                    )
                })?;
                let endpoints = self.lock_endpoints().clone();
                let uses_port = uses_placeholders(command);
                let readiness = map_readiness(def.ready());
                // A trial render finds a placeholder with no value before anything starts.
                render_command(command, 1, &endpoints)
                    .map_err(|e| format!("error: server `{name}`: {e}"))?;
                let make_spec = |port: u16| {
                    let (argv, env) = render_command(command, port, &endpoints).unwrap_or_default();
                    let needs_address =
                        uses_port || !matches!(readiness, server::Readiness::Stdout { .. });
                    ServerSpec {
                        name: name.to_owned(),
                        command: argv,
                        cwd: command.cwd().get_ref().clone(),
                        env,
                        address: needs_address
                            .then(|| std::net::SocketAddr::from(([127, 0, 0, 1], port))),
                        readiness: readiness.clone(),
                        stop,
                        max_port_retries: PORT_RETRIES,
                    }
                };
                let handle = server::launch_retrying_port(
                    make_spec,
                    logs_dir,
                    &self.secrets,
                    &LaunchOptions::default(),
                )
                .await
                .map_err(|e| render_launch_error(&e))?;
                let endpoint = Endpoint {
                    port: handle.address().map_or(0, |a| a.port()),
                    url: handle.url().unwrap_or_default().trim_end_matches('/').to_owned(),
                };
                let record = ServerRecord::launched(&handle);
                let slot: Slot = Arc::new(Mutex::new(Some(handle)));
                let index = {
                    let mut progress = self.progress();
                    progress.servers.push(record);
                    progress.servers.len() - 1
                };
                self.slots
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((index, slot.clone()));
                Ok((Some(slot), endpoint))
            }
        }
    }

    /// Stops one launched server and records how it ended.
    async fn stop_slot(&self, slot: &Slot, hurry: impl Future<Output = ()>) {
        let Some(handle) = slot.lock().await.take() else { return };
        let logs = handle.logs();
        let pid = handle.pid();
        let report = handle.stop_until(hurry).await;
        let mut progress = self.progress();
        if let Some(record) = progress.servers.iter_mut().rev().find(|r| r.pid == Some(pid)) {
            record.finish(logs, &report);
        }
    }

    /// Stops every server still running, in reverse start order.
    async fn stop_all<F, Fut>(&self, hurry: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let slots: Vec<Slot> = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .rev()
            .map(|(_, s)| s.clone())
            .collect();
        for slot in slots {
            self.stop_slot(&slot, hurry()).await;
        }
    }

    // ---- command layers ----

    async fn command_layer(
        &self,
        name: &str,
        command: &CommandSpec,
        timeout: Option<Duration>,
        junit_path: Option<&suite::Spanned<PathBuf>>,
        printer: &mut Printer,
    ) -> LayerRecord {
        let clock = Instant::now();
        let mut record = LayerRecord::starting(name, "command");
        let main = if uses_main(command) {
            match self.ensure_main().await {
                Ok((_, endpoint)) => Some(endpoint),
                Err(message) => {
                    printer.err(&message);
                    self.record_code(exit_code::RUNTIME);
                    self.progress().start_failed = true;
                    record.outcome = "error".to_owned();
                    record.note = Some("the main server did not start".to_owned());
                    return record;
                }
            }
        } else {
            None
        };
        let mut endpoints = self.lock_endpoints().clone();
        let port = main.as_ref().map_or(0, |m| m.port);
        if let Some(main) = &main {
            endpoints.insert(String::new(), main.clone());
        }
        if let Some(path) = junit_path {
            let _ = std::fs::remove_file(path.get_ref());
        }
        let timeout = timeout.unwrap_or(COMMAND_DEFAULT_TIMEOUT);
        let result =
            self.run_command(&format!("layer-{name}"), command, port, &endpoints, timeout).await;
        let mut code = exit_code::SUCCESS;
        let mut command_record = CommandRecord {
            argv: result.argv.clone(),
            exit_code: result.status,
            signal: result.signal.clone(),
            timed_out: result.timed_out,
            error: result.error.clone(),
            stdout_log: self.run_dir.join(format!("layer-{name}.stdout.log")),
            stderr_log: self.run_dir.join(format!("layer-{name}.stderr.log")),
            junit: junit_path.map(|p| p.get_ref().clone()),
            junit_error: None,
            testcases: Vec::new(),
        };
        if !result.success() {
            // The argv may hold a `--secret` value: the terminal line is redacted too.
            printer.err(&redact(
                &format!("error: layer {name}: {}", result.describe()),
                &self.secrets,
            ));
            print_tails(printer, &result.stdout_tail, &result.stderr_tail);
            code = exit_code::COMMAND_LAYER;
            record.outcome = "failed".to_owned();
        }
        if let Some(path) = junit_path {
            match read_junit(path.get_ref()) {
                Ok(cases) => {
                    let failed = cases
                        .iter()
                        .filter(|c| c.outcome != "passed" && c.outcome != "skipped")
                        .count();
                    printer.err(&format!(
                        "layer {name}: {} test case(s) in {}, {failed} failed",
                        cases.len(),
                        path.get_ref().display()
                    ));
                    command_record.testcases = cases;
                }
                Err(e) => {
                    printer.err(&format!("error: layer {name}: {e}"));
                    command_record.junit_error = Some(e);
                    code = exit_code::COMMAND_LAYER;
                    record.outcome = "error".to_owned();
                }
            }
        }
        record.command = Some(command_record);
        record.duration = clock.elapsed();
        self.record_code(code);
        record
    }

    /// Runs a command to its end in its own process group (see the module doc).
    async fn run_command(
        &self,
        log_name: &str,
        command: &CommandSpec,
        port: u16,
        endpoints: &BTreeMap<String, Endpoint>,
        timeout: Duration,
    ) -> CommandResult {
        let mut result = CommandResult::default();
        let (argv, env) = match render_command(command, port, endpoints) {
            Ok(rendered) => rendered,
            Err(e) => {
                result.error = Some(e);
                return result;
            }
        };
        result.argv.clone_from(&argv);
        let spec = server::CommandSpec {
            name: log_name.to_owned(),
            argv,
            cwd: command.cwd().get_ref().clone(),
            env,
            timeout,
            stop: StopSpec::default(),
        };
        match server::run_command(&spec, &self.run_dir, &self.secrets, &LaunchOptions::default())
            .await
        {
            Ok(outcome) => {
                result.status = outcome.status;
                result.signal = outcome.signal.map(|s| format!("signal {}", s.number));
                result.timed_out = outcome.timed_out;
                result.stdout_tail = outcome.stdout_tail;
                result.stderr_tail = outcome.stderr_tail;
            }
            Err(e) => result.error = Some(e.to_string()),
        }
        result
    }

    // ---- scenario layers ----

    async fn scenario_layer(
        self: &Arc<Self>,
        name: &str,
        files: Vec<PathBuf>,
        isolation: Isolation,
        reset: Option<&CommandSpec>,
        printer: &mut Printer,
    ) -> LayerRecord {
        let clock = Instant::now();
        let mut record = LayerRecord::starting(name, "scenarios");
        let shared = if isolation == Isolation::Shared {
            match self.ensure_main().await {
                Ok(main) => Some(main),
                Err(message) => {
                    printer.err(&message);
                    self.record_code(exit_code::RUNTIME);
                    self.progress().start_failed = true;
                    record.outcome = "error".to_owned();
                    record.note = Some("the main server did not start".to_owned());
                    record.not_run_files = files;
                    record.duration = clock.elapsed();
                    return record;
                }
            }
        } else {
            None
        };
        let layer = Arc::new(LayerRun {
            files: files.clone(),
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            crashed: AtomicBool::new(false),
            isolation,
            reset: reset.cloned(),
            shared,
        });
        let jobs = self.prepared.jobs.min(files.len()).max(1);
        let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
        let mut workers = tokio::task::JoinSet::new();
        for worker in 0..jobs {
            let (orchestra, layer, tx) = (self.clone(), layer.clone(), tx.clone());
            let server_name =
                if jobs == 1 { "main".to_owned() } else { format!("main-w{}", worker + 1) };
            workers.spawn(async move { orchestra.worker(&layer, &server_name, &tx).await });
        }
        drop(tx);
        let mut results: Vec<(usize, FileOutcome)> = Vec::new();
        let mut codes = Vec::new();
        let flaky_result = self.prepared.flaky_result;
        while let Some(event) = rx.recv().await {
            match event {
                Event::Message(text) => printer.err(&text),
                Event::File(index, run) => {
                    self.print_file(&run, printer);
                    if let Some(crash) = &run.server_crash {
                        printer.err(&format!(
                            "error: layer {name}: the server crashed ({}); the rest of the layer is not run",
                            crash.description
                        ));
                    }
                    codes.push(file_exit_code(&run.outcome, flaky_result));
                    results.push((index, run.outcome.clone()));
                    let mut progress = self.progress();
                    progress.learned.extend(run.learned_idle_limits);
                    progress.files.push(run.outcome);
                    drop(progress);
                    self.checkpoint();
                }
            }
        }
        while workers.join_next().await.is_some() {}
        results.sort_by_key(|(i, _)| *i);
        let done: Vec<usize> = results.iter().map(|(i, _)| *i).collect();
        record.files = results.iter().map(|(_, f)| f.path.clone()).collect();
        record.not_run_files = files
            .iter()
            .enumerate()
            .filter(|(i, _)| !done.contains(i))
            .map(|(_, f)| f.clone())
            .collect();
        let outcomes: Vec<FileOutcome> = results.into_iter().map(|(_, f)| f).collect();
        let mut outcome = json::run_outcome(&outcomes, false);
        if layer.crashed.load(Ordering::SeqCst) {
            record.note = Some("a server crashed: the files after it were not run".to_owned());
            outcome = Outcome::Error;
        } else if !record.not_run_files.is_empty() && outcome.is_pass() {
            outcome = Outcome::Error;
        }
        if !record.not_run_files.is_empty() && record.note.is_none() {
            record.note =
                Some("stopped early (--fail-fast or a server that did not start)".to_owned());
        }
        record.outcome = outcome.as_str().to_owned();
        let code = exit_code::combine(codes);
        self.record_code(code);
        record.duration = clock.elapsed();
        record
    }

    fn print_file(&self, run: &FileRun, printer: &mut Printer) {
        let secrets = &run.secrets;
        if self.prepared.base.defaults.verbose {
            for line in &run.log {
                printer.err(&redact(line, secrets));
            }
        }
        for line in human::ledger_lines(&run.outcome) {
            printer.err(&redact(&line, secrets));
        }
        let failures = human::failures(&run.outcome, printer.style());
        if !failures.is_empty() {
            printer.err(&redact(failures.trim_end(), secrets));
        }
        printer.err(&redact(&human::file_line(&run.outcome), secrets));
    }

    /// One worker of a scenario layer: takes files in order until none is left.
    async fn worker(&self, layer: &LayerRun, server_name: &str, tx: &mpsc::UnboundedSender<Event>) {
        let named = self.named_watch();
        let mut first = true;
        loop {
            if layer.stop.load(Ordering::SeqCst) {
                return;
            }
            let index = layer.next.fetch_add(1, Ordering::SeqCst);
            let Some(path) = layer.files.get(index) else { return };
            let (slot, endpoint) = match (&layer.shared, layer.isolation) {
                (Some((slot, endpoint)), _) => {
                    if (!first || index > 0)
                        && let Some(reset) = &layer.reset
                        && let Err(message) = self.reset(reset, endpoint).await
                    {
                        let _ = tx.send(Event::Message(message));
                        layer.stop.store(true, Ordering::SeqCst);
                        self.record_code(exit_code::RUNTIME);
                        return;
                    }
                    (slot.clone(), endpoint.clone())
                }
                _ => {
                    let Some(def) = self.suite.server() else { return };
                    match self.start_server(def, server_name, &self.run_dir).await {
                        Ok((slot, endpoint)) => (slot.unwrap_or_default(), endpoint),
                        Err(message) => {
                            let _ = tx.send(Event::Message(message));
                            layer.stop.store(true, Ordering::SeqCst);
                            self.record_code(exit_code::RUNTIME);
                            self.progress().start_failed = true;
                            return;
                        }
                    }
                }
            };
            first = false;
            let mut watched = named.clone();
            watched.push(("main".to_owned(), slot.clone()));
            let settings = self.settings_for(&endpoint, Arc::new(Watch { slots: watched }));
            // A client per file, as in `test`: a file's entries share connections, files
            // do not (and a restarted server is never reached over a stale one).
            let run = match (std::fs::read_to_string(path), Client::new(ClientSettings::default()))
            {
                (Ok(source), Ok(mut client)) => {
                    execute::run_file(path, source, &settings, &mut client, &self.budget).await
                }
                (_, Err(e)) => {
                    let _ = tx.send(Event::Message(format!("error: cannot create a client: {e}")));
                    layer.stop.store(true, Ordering::SeqCst);
                    return;
                }
                (Err(e), _) => {
                    let _ = tx.send(Event::Message(format!(
                        "error: cannot read {}: {e}",
                        path.display()
                    )));
                    layer.stop.store(true, Ordering::SeqCst);
                    return;
                }
            };
            if layer.shared.is_none() {
                self.stop_slot(&slot, std::future::pending()).await;
            }
            if run.server_crash.is_some() {
                layer.crashed.store(true, Ordering::SeqCst);
                layer.stop.store(true, Ordering::SeqCst);
            }
            if self.fail_fast && !run.outcome.outcome.is_pass() {
                layer.stop.store(true, Ordering::SeqCst);
            }
            if tx.send(Event::File(index, Box::new(run))).is_err() {
                return;
            }
        }
    }

    async fn reset(&self, reset: &CommandSpec, main: &Endpoint) -> Result<(), String> {
        let mut endpoints = self.lock_endpoints().clone();
        endpoints.insert(String::new(), main.clone());
        let result = self.run_command("reset", reset, main.port, &endpoints, RESET_TIMEOUT).await;
        if result.success() {
            Ok(())
        } else {
            let mut message = redact(
                &format!("error: the layer's reset command failed: {}", result.describe()),
                &self.secrets,
            );
            for line in result.stderr_tail.iter().rev().take(10).rev() {
                message.push_str("\n  stderr | ");
                message.push_str(line);
            }
            Err(message)
        }
    }

    /// The runner's settings for one file against `main`.
    fn settings_for(&self, main: &Endpoint, watch: Arc<dyn ServerWatch>) -> RunSettings {
        let mut variables = Variables::default();
        for variable in self.suite.variables() {
            let value = match &variable.value {
                VariableValue::String(s) => Value::String(s.clone()),
                VariableValue::Integer(n) => Value::Integer(*n),
                VariableValue::Float(f) => Value::Float(*f),
                VariableValue::Bool(b) => Value::Bool(*b),
            };
            variables.insert(variable.name.get_ref().clone(), value);
        }
        variables.insert("base_url", Value::String(main.url.clone()));
        variables.insert("port", Value::Integer(i64::from(main.port)));
        for (name, endpoint) in self.lock_endpoints().iter() {
            variables.insert(format!("{name}_url"), Value::String(endpoint.url.clone()));
            variables.insert(format!("{name}_port"), Value::Integer(i64::from(endpoint.port)));
        }
        for (name, value) in &self.prepared.cli_variables {
            variables.insert(name.clone(), value.clone());
        }
        for (name, value) in &self.prepared.secrets {
            variables.insert_secret(name.clone(), Value::String(value.clone()));
        }
        RunSettings { variables, server_watch: Some(watch), ..self.prepared.base.clone() }
    }

    // ---- reports ----

    fn report_json(&self, partial: bool, outcome: Option<&str>, checkpoint: bool) -> Vec<u8> {
        let progress = self.progress();
        let settings = &self.prepared.base;
        let info = json::RunInfo {
            command_line: self.command_line.clone(),
            options: effective_options(settings),
            policy: policy_json(&settings.retry_policy, self.prepared.flaky_result),
            started: self.started,
            duration: self.clock.elapsed(),
            learned_idle_limits: learned_limits_json(&progress.learned),
            retry_budget: (
                self.budget.requests(),
                self.budget.retries(),
                self.budget.was_exhausted(),
            ),
        };
        let mut bytes = Vec::new();
        let _ = json::write(
            &progress.files,
            &info,
            settings.retry_policy.max_extra_attempts + 1,
            partial,
            &mut bytes,
        );
        let suite = run_report::SuiteInfo {
            path: &self.suite_path,
            run_dir: &self.run_dir,
            layers: &progress.layers,
            servers: &progress.servers,
        };
        let document = run_report::extend(&bytes, &suite, partial, outcome, checkpoint);
        redact(&String::from_utf8_lossy(&document), &self.secrets).into_bytes()
    }

    /// Writes a checkpoint of the report atomically: `"partial": true`,
    /// `"outcome": "interrupted"`, `"checkpoint": true`, which is the truth if the run
    /// never gets to write its final report (a SIGKILL).
    fn checkpoint(&self) {
        let bytes = self.report_json(true, Some("interrupted"), true);
        let _ = write_atomically(&self.run_dir.join("report.json"), &bytes);
        for target in &self.prepared.reports {
            if let ReportTarget::Json(path) = target {
                let _ = write_atomically(path, &bytes);
            }
        }
    }

    /// The summary, the final reports and the exit code.
    fn finish(&self, ending: Ending, printer: &mut Printer) -> u8 {
        let mut codes = self.progress().codes.clone();
        let outcome = match ending {
            Ending::Finished => None,
            Ending::Interrupted(_) => {
                codes.push(exit_code::INTERRUPTED);
                Some("interrupted")
            }
            Ending::Deadline => {
                codes.push(exit_code::RUNTIME);
                Some("error")
            }
        };
        let mut code = exit_code::combine(codes);
        let verdict = match code {
            exit_code::SUCCESS => "passed",
            exit_code::INTERRUPTED => "interrupted",
            exit_code::ASSERT | exit_code::COMMAND_LAYER | exit_code::FLAKY => "failed",
            _ => "error",
        };
        let partial = ending != Ending::Finished;
        if partial {
            self.mark_interrupted();
        }
        let bytes = self.report_json(partial, Some(outcome.unwrap_or(verdict)), false);
        let report_path = self.run_dir.join("report.json");
        if let Err(e) = write_atomically(&report_path, &bytes) {
            printer.error(&format!("error: cannot write report {}: {e}", report_path.display()));
            code = exit_code::combine([code, exit_code::RUNTIME]);
        }
        let progress = self.progress();
        for target in &self.prepared.reports {
            let (path, written) = match target {
                ReportTarget::Json(path) => (path, write_atomically(path, &bytes)),
                ReportTarget::Junit(path) => {
                    let mut out = Vec::new();
                    let written = junit::write(&progress.files, &mut out).and_then(|()| {
                        write_atomically(
                            path,
                            redact(&String::from_utf8_lossy(&out), &self.secrets).as_bytes(),
                        )
                    });
                    (path, written)
                }
            };
            if let Err(e) = written {
                printer.error(&format!("error: cannot write report {}: {e}", path.display()));
                code = exit_code::combine([code, exit_code::RUNTIME]);
            }
        }
        let totals = human::Totals::of(&progress.files);
        printer.err(&redact(&human::summary(totals, self.clock.elapsed()), &self.secrets));
        if let Some(warning) =
            human::flaky_warning(totals.flaky, self.prepared.flaky_result == FlakyResult::Fail)
        {
            printer.err(&warning);
        }
        if self.budget.was_exhausted() {
            printer.err(&human::budget_warning(self.budget.retries(), self.budget.requests()));
        }
        let layers: Vec<String> =
            progress.layers.iter().map(|l| format!("{} {}", l.name, l.outcome)).collect();
        printer.err(&format!(
            "suite {}: {} (layers: {}); report {}",
            self.suite_path.display(),
            verdict.to_uppercase(),
            layers.join(", "),
            report_path.display()
        ));
        code
    }
}

/// The shared state of one scenario layer's workers.
struct LayerRun {
    files: Vec<PathBuf>,
    next: AtomicUsize,
    stop: AtomicBool,
    crashed: AtomicBool,
    isolation: Isolation,
    reset: Option<CommandSpec>,
    shared: Option<(Slot, Endpoint)>,
}

/// R5 over launched servers: the runner asks after a transport error.
struct Watch {
    slots: Vec<(String, Slot)>,
}

impl ServerWatch for Watch {
    fn crashed_within(
        &self,
        within: Duration,
    ) -> Pin<Box<dyn Future<Output = Option<CrashReport>> + Send + '_>> {
        Box::pin(async move {
            let deadline = tokio::time::Instant::now() + within;
            let mut pause = Duration::from_millis(2);
            loop {
                for (name, slot) in &self.slots {
                    let mut guard = slot.lock().await;
                    let Some(handle) = guard.as_mut() else { continue };
                    if handle.exited().is_some() {
                        let report = handle.wait_exit_within(Duration::from_millis(100)).await?;
                        return Some(CrashReport {
                            description: format!("`{name}`: {report}"),
                            stderr_tail: report.stderr_tail,
                        });
                    }
                }
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return None;
                }
                tokio::time::sleep_until(deadline.min(now + pause)).await;
                pause = (pause * 2).min(Duration::from_millis(20));
            }
        })
    }
}

/// How a command (a layer, a reset) ended.
#[derive(Debug, Default)]
struct CommandResult {
    argv: Vec<String>,
    status: Option<i32>,
    signal: Option<String>,
    timed_out: Option<Duration>,
    error: Option<String>,
    stdout_tail: Vec<String>,
    stderr_tail: Vec<String>,
}

impl CommandResult {
    fn success(&self) -> bool {
        self.status == Some(0) && self.error.is_none() && self.timed_out.is_none()
    }

    fn describe(&self) -> String {
        if let Some(error) = &self.error {
            return error.clone();
        }
        if let Some(timeout) = self.timed_out {
            return format!("timed out after {} s and was stopped", timeout.as_secs_f64());
        }
        match (&self.status, &self.signal) {
            (Some(code), _) => format!("`{}` exited with code {code}", self.argv.join(" ")),
            (None, Some(signal)) => format!("`{}` was killed by {signal}", self.argv.join(" ")),
            (None, None) => format!("`{}` ended with an unknown status", self.argv.join(" ")),
        }
    }
}

fn print_tails(printer: &mut Printer, stdout: &[String], stderr: &[String]) {
    for (label, lines) in [("stdout", stdout), ("stderr", stderr)] {
        if lines.is_empty() {
            continue;
        }
        printer.err(&format!("  last {} line(s) of {label}:", lines.len()));
        for line in lines {
            printer.err(&format!("  {label} | {line}"));
        }
    }
}

/// A launch error with the last lines of the server's output.
fn render_launch_error(error: &LaunchError) -> String {
    let mut out = format!("error: failed to {error}");
    if let Some((stdout, stderr)) = error.log_tails() {
        for (label, lines) in [("stdout", stdout), ("stderr", stderr)] {
            if lines.is_empty() {
                continue;
            }
            out.push_str(&format!("\n  last {} line(s) of {label}:", lines.len()));
            for line in lines {
                out.push_str(&format!("\n  {label} | {line}"));
            }
        }
    }
    out
}

fn kind_name(kind: &LayerKind) -> &'static str {
    match kind {
        LayerKind::Command { .. } => "command",
        LayerKind::Scenarios { .. } => "scenarios",
    }
}

fn uses_placeholders(command: &CommandSpec) -> bool {
    command
        .args()
        .iter()
        .chain(command.env().iter().map(|e| &e.value))
        .any(|t| t.placeholders().next().is_some())
}

fn uses_main(command: &CommandSpec) -> bool {
    command
        .args()
        .iter()
        .chain(command.env().iter().map(|e| &e.value))
        .flat_map(|t| t.placeholders())
        .any(|p| matches!(p.get_ref(), Placeholder::Port | Placeholder::Url))
}

/// An argv and its environment variables.
type Rendered = (Vec<String>, Vec<(String, String)>);

/// The argv and env of `command` with placeholders filled in: `{port}`/`{url}` from
/// `port` (and the endpoint under the empty name, for a layer's command), the others
/// from `endpoints`.
fn render_command(
    command: &CommandSpec,
    port: u16,
    endpoints: &BTreeMap<String, Endpoint>,
) -> Result<Rendered, String> {
    let own_url =
        endpoints.get("").map_or_else(|| format!("http://127.0.0.1:{port}"), |e| e.url.clone());
    let lookup = |p: &Placeholder| match p {
        Placeholder::Port => Some(port.to_string()),
        Placeholder::Url => Some(own_url.clone()),
        Placeholder::ServerPort(name) => endpoints.get(name).map(|e| e.port.to_string()),
        Placeholder::ServerUrl(name) => endpoints.get(name).map(|e| e.url.clone()),
    };
    let program = match command.program() {
        Program::Path(path) => path.get_ref().display().to_string(),
        Program::Search(name) => name.get_ref().clone(),
    };
    let mut argv = vec![program];
    for arg in command.args() {
        argv.push(arg.render(lookup).map_err(|e| e.to_string())?);
    }
    let mut env = Vec::new();
    for var in command.env() {
        env.push((
            var.name.get_ref().clone(),
            var.value.render(lookup).map_err(|e| e.to_string())?,
        ));
    }
    Ok((argv, env))
}

fn map_readiness(ready: &suite::Readiness) -> server::Readiness {
    match ready {
        suite::Readiness::Tcp { timeout } => server::Readiness::Tcp { timeout: *timeout },
        suite::Readiness::Http { path, status, timeout } => {
            server::Readiness::Http { path: path.clone(), status: *status, timeout: *timeout }
        }
        suite::Readiness::Stdout { pattern, timeout, .. } => {
            server::Readiness::Stdout { regex: pattern.as_str().to_owned(), timeout: *timeout }
        }
    }
}

fn map_stop(stop: suite::StopDef) -> Option<StopSpec> {
    let signal = match stop.signal {
        suite::Signal::Term => server::Signal::Term,
        suite::Signal::Int => server::Signal::Int,
        suite::Signal::Hup => server::Signal::Hup,
        suite::Signal::Quit => server::Signal::Quit,
        suite::Signal::Kill => server::Signal::Kill,
        suite::Signal::Usr1 | suite::Signal::Usr2 => return None,
    };
    Some(StopSpec { signal, grace: stop.grace })
}

/// Readiness of an external target, through the transport: polls 5 ms doubling to
/// 20 ms until the check passes or its timeout.
async fn probe_external(url: &url::Url, ready: &suite::Readiness) -> Result<(), String> {
    let mut client = Client::new(ClientSettings::default()).map_err(|e| e.to_string())?;
    let (path, status) = match ready {
        suite::Readiness::Http { path, status, .. } => (path.as_str(), Some(*status)),
        _ => ("/", None),
    };
    let target = url.join(path.trim_start_matches('/')).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + ready.timeout();
    let mut pause = Duration::from_millis(5);
    let mut last: String;
    loop {
        let request = RequestSpec {
            method: "GET".to_owned(),
            url: target.clone(),
            headers: Vec::new(),
            body: bytes::Bytes::new(),
            options: RequestOptions {
                connect_timeout: Duration::from_secs(2),
                max_time: Duration::from_secs(2),
                no_keepalive: true,
                ..RequestOptions::default()
            },
        };
        match client.send(&request).await.result {
            Ok(response) if status.is_none_or(|s| s == response.status) => return Ok(()),
            Ok(response) => last = format!("GET {target} answered {}", response.status),
            Err(e) => last = e.to_string(),
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "not ready within {} s; last probe: {last}",
                ready.timeout().as_secs_f64()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Reads a JUnit XML file's test cases.
fn read_junit(path: &Path) -> Result<Vec<Testcase>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("the JUnit file {} was not written: {e}", path.display()))?;
    let document = roxmltree::Document::parse(&text)
        .map_err(|e| format!("the JUnit file {} does not parse: {e}", path.display()))?;
    let cases = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            let child = |tag: &str| n.children().find(|c| c.has_tag_name(tag));
            let (outcome, message) = if let Some(c) = child("failure") {
                ("failed", c.attribute("message").map(str::to_owned))
            } else if let Some(c) = child("error") {
                ("error", c.attribute("message").map(str::to_owned))
            } else if child("skipped").is_some() {
                ("skipped", None)
            } else {
                ("passed", None)
            };
            Testcase {
                name: n.attribute("name").unwrap_or_default().to_owned(),
                classname: n.attribute("classname").map(str::to_owned),
                time_s: n.attribute("time").and_then(|t| t.parse().ok()),
                outcome,
                message,
            }
        })
        .collect();
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_cases_are_read_with_their_outcomes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.xml");
        std::fs::write(
            &path,
            r#"<testsuites><testsuite name="s"><testcase name="a" classname="c" time="0.5"/>
            <testcase name="b"><failure message="boom"/></testcase>
            <testcase name="c"><skipped/></testcase></testsuite></testsuites>"#,
        )
        .unwrap();
        let cases = read_junit(&path).unwrap();
        let outcomes: Vec<_> = cases.iter().map(|c| c.outcome).collect();
        assert_eq!(outcomes, ["passed", "failed", "skipped"]);
        assert_eq!(cases[1].message.as_deref(), Some("boom"));
        assert!(read_junit(&dir.path().join("missing.xml")).is_err());
        std::fs::write(&path, "<testsuite>").unwrap();
        assert!(read_junit(&path).is_err());
    }

    #[test]
    fn stop_signals_map_or_are_refused() {
        let stop = |signal| suite::StopDef { signal, grace: Duration::from_secs(1) };
        assert_eq!(map_stop(stop(suite::Signal::Int)).map(|s| s.signal), Some(server::Signal::Int));
        assert_eq!(map_stop(stop(suite::Signal::Usr1)), None);
    }
}
