//! `shakedown load`: flags into a load plan and run settings, the live view, the summary, the
//! result document and the exit code. The engine is `load`; this file only wires and prints.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::cli::args::{LoadArgs, ShardArgs, ShardModeArg, TransportRetryMode};
use crate::cli::output::{Printer, UsageError, redact, write_atomically};
use crate::cli::terminal::{Terminal, print_load_error};
use crate::cli::test_cmd::{duration_flag, split_definition};
use crate::exit_code;
use crate::load::engine::{self, Live, LoadObserver, RunOutcome, Script};
use crate::load::plan::{self, Plan};
use crate::load::result::{LoadFaults, LoadResult, RunFacts};
use crate::load::shard::{Shard, ShardMode};
use crate::load::threshold::{Threshold, Verdict};
use crate::report::human;
use crate::retry::RetryPolicy;
use crate::runner::execute::{self, RunSettings};
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::scenario;
use crate::scenario::ast::DurationUnit;
use crate::server::{self, SupervisorCommand};
use crate::session::{
    FaultSetup, FlakyResult, LoadedSuite, Session, SessionSettings, SignalWatch, load_suite,
};
use crate::suite;
use crate::transport::client::ClientSettings;

/// Runs `shakedown load`: on `.hurl` files (the servers must already run), or on one suite
/// file, whose servers it starts and stops.
pub fn run(args: &LoadArgs, printer: &mut Printer) -> u8 {
    let common = match common_flags(args) {
        Ok(common) => common,
        Err(error) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
    };
    let toml = |f: &&PathBuf| f.extension().is_some_and(|e| e == "toml");
    if let Some(suite) = args.files.iter().find(toml) {
        if args.files.len() > 1 {
            printer.error(&format!(
                "error: {}: give one suite file, or .hurl files, not both",
                suite.display()
            ));
            return exit_code::USAGE;
        }
        return run_suite(args, suite, &common, printer);
    }
    let prepared = match prepare(args) {
        Ok(prepared) => prepared,
        Err(Prepare::Usage(error)) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
        Err(Prepare::InputText(text)) => {
            printer.error(&text);
            return exit_code::INPUT;
        }
    };
    let Prepared { scripts, settings, plan, shard, thresholds, secrets } = prepared;
    let files: Vec<String> = scripts.iter().map(|s| s.path.display().to_string()).collect();
    announce(&plan, shard, files.len(), printer);
    let mut view = LiveView {
        printer,
        quiet: args.quiet,
        tty: std::io::stderr().is_terminal(),
        printed: false,
        secrets: &secrets,
    };
    let ran = engine::run(
        &plan,
        scripts,
        settings,
        &ClientSettings::default(),
        &mut view,
        common.tick,
        common.threads,
    );
    let outcome = match ran {
        Ok(outcome) => outcome,
        Err(e) => {
            printer.error(&format!("error: {e}"));
            return exit_code::RUNTIME;
        }
    };
    let ended = Ended {
        plan: &plan,
        shard,
        files,
        thresholds: &thresholds,
        secrets: &secrets,
        faults: None,
    };
    finish(args, &ended, &outcome, None, printer).0
}

/// `--threads` and `--live-interval`, checked before anything starts.
struct Common {
    threads: u64,
    tick: Duration,
}

fn common_flags(args: &LoadArgs) -> Result<Common, UsageError> {
    let threads = args.threads.unwrap_or(1);
    if threads == 0 || threads > 64 {
        return Err(UsageError("--threads must be 1..=64".to_owned()));
    }
    let tick = match &args.live_interval {
        Some(text) => {
            let d = duration_flag(text, DurationUnit::Second, "--live-interval")?;
            if d < Duration::from_millis(50) {
                return Err(UsageError("--live-interval must be at least 50ms".to_owned()));
            }
            d
        }
        None => Duration::from_secs(1),
    };
    Ok(Common { threads, tick })
}

fn announce(plan: &Plan, shard: Option<Shard>, files: usize, printer: &mut Printer) {
    printer.err(&format!(
        "load: {}, {files} file(s){}, up to {} requests",
        plan.describe(),
        shard.map(|s| format!(", shard {s}")).unwrap_or_default(),
        plan.max_requests
    ));
}

/// What the end of a run is judged and written with.
struct Ended<'a> {
    plan: &'a Plan,
    shard: Option<Shard>,
    files: Vec<String>,
    thresholds: &'a [Threshold],
    secrets: &'a [String],
    /// A suite's fault plan and what it injected.
    faults: Option<LoadFaults>,
}

/// The thresholds judged, the summary printed, the result written (`--out`, and `also`);
/// the exit code, and the result.
fn finish(
    args: &LoadArgs,
    ended: &Ended<'_>,
    outcome: &RunOutcome,
    also: Option<&Path>,
    printer: &mut Printer,
) -> (u8, LoadResult) {
    let started: DateTime<Utc> = outcome.started.into();
    let facts = RunFacts {
        shard: ended.shard,
        model: ended.plan.describe(),
        files: ended.files.clone(),
        started: started.to_rfc3339_opts(SecondsFormat::Millis, true),
        elapsed: outcome.elapsed,
        vus_max: outcome.vus_max,
        interrupted: outcome.interrupted,
        thresholds: ended.thresholds.iter().map(|t| t.text.clone()).collect(),
    };
    let verdicts: Vec<Verdict> =
        ended.thresholds.iter().map(|t| t.evaluate(&outcome.aggregate, outcome.elapsed)).collect();
    let mut result = LoadResult::new(&outcome.aggregate, facts, verdicts.clone());
    result.faults.clone_from(&ended.faults);
    for line in summary(&result) {
        printer.err(&redact(&line, ended.secrets));
    }
    let mut code = finish_code(&verdicts, outcome.interrupted);
    for path in args.out.as_deref().into_iter().chain(also) {
        code = exit_code::combine([code, write_result(&result, path, ended.secrets, printer)]);
    }
    if let Some(path) = also {
        printer.err(&format!("load result in {}", path.display()));
    }
    (code, result)
}

/// `shakedown load SUITE.toml`: the suite's servers started through `session`, the load run
/// over `[load]`'s files (or every scenario layer's) with `[load]`'s options under the command
/// line's, the servers stopped, the result written (also `load.json` in the run folder).
fn run_suite(args: &LoadArgs, path: &Path, common: &Common, printer: &mut Printer) -> u8 {
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                printer.error(&format!("error: cannot start a runtime: {e}"));
                return exit_code::RUNTIME;
            }
        };
    // SIGINT, SIGTERM and SIGHUP are handled before anything else happens.
    let signals = {
        let _context = runtime.enter();
        match SignalWatch::install() {
            Ok(signals) => signals,
            Err(e) => {
                printer.error(&format!("error: cannot handle SIGINT, SIGTERM and SIGHUP: {e}"));
                return exit_code::RUNTIME;
            }
        }
    };
    let loaded = match load_suite(path) {
        Ok(loaded) => loaded,
        Err(error) => return print_load_error(&error, printer),
    };
    let ready = match suite_settings(args, &loaded) {
        Ok(ready) => ready,
        Err(error) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
    };
    let SuiteReady { settings, plan, shard, thresholds, secrets } = ready;
    if loaded.load_files.is_empty() {
        printer.error(&format!(
            "error: {}: no scenario file to load: add `scenarios` to [load], or a scenario layer",
            path.display()
        ));
        return exit_code::USAGE;
    }
    if let Err(e) = std::fs::create_dir_all(&settings.run_dir) {
        printer.error(&format!(
            "error: cannot create the run folder {}: {e}",
            settings.run_dir.display()
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
    let run_dir = settings.run_dir.clone();
    let redactor: crate::session::Redactor = {
        let secrets = secrets.clone();
        Arc::new(move |text: &str| redact(text, &secrets))
    };
    if let Some(faults) = &settings.faults {
        printer.err(&format!(
            "faults: {} fault(s) from {}, seed {}; the load reaches the fronted servers through a fault proxy",
            faults.plan.plan().faults().len(),
            faults.source,
            faults.seed
        ));
    }
    let terminal = Terminal::new(printer.style(), false, false, redactor.clone());
    let session = Session::new(loaded, settings, redactor, Box::new(terminal));
    let (signals, target) = runtime.block_on(session.start_for_load(signals));
    let target = match target {
        Ok(target) => target,
        Err(error) => {
            let interrupted = signals.interrupted_by().is_some();
            runtime.block_on(signals.stop_servers(&session));
            if interrupted {
                return exit_code::INTERRUPTED;
            }
            printer.error(&format!("error: {}", redact(&error.to_string(), &secrets)));
            return exit_code::RUNTIME;
        }
    };
    let files: Vec<String> = target.scripts.iter().map(|s| s.path.display().to_string()).collect();
    announce(&plan, shard, files.len(), printer);
    let mut view = LiveView {
        printer,
        quiet: args.quiet,
        tty: std::io::stderr().is_terminal(),
        printed: false,
        secrets: &secrets,
    };
    // The engine runs on this thread; the servers' log tasks go on on the runtime's workers.
    let ran = engine::run_until(
        &plan,
        target.scripts,
        target.settings,
        &ClientSettings::default(),
        &mut view,
        common.tick,
        common.threads,
        signals.stop.clone(),
    );
    runtime.block_on(signals.stop_servers(&session));
    let outcome = match ran {
        Ok(outcome) => outcome,
        Err(e) => {
            printer.error(&format!("error: {e}"));
            return exit_code::RUNTIME;
        }
    };
    let faults = session.load_faults();
    let ended =
        Ended { plan: &plan, shard, files, thresholds: &thresholds, secrets: &secrets, faults };
    let (code, result) = finish(args, &ended, &outcome, Some(&run_dir.join("load.json")), printer);
    // The run folder's report.json, with the load as its one layer.
    match session.finish_load(&result, code) {
        Ok(path) => {
            printer.err(&format!("report in {}", path.display()));
            code
        }
        Err(e) => {
            printer.error(&format!("error: {e}"));
            exit_code::combine([code, exit_code::RUNTIME])
        }
    }
}

struct SuiteReady {
    settings: SessionSettings,
    plan: Plan,
    shard: Option<Shard>,
    thresholds: Vec<Threshold>,
    secrets: Vec<String>,
}

/// The command line over the suite's `[load]` (model, bounds, thresholds) and `[run]`
/// (transport options).
fn suite_settings(args: &LoadArgs, loaded: &LoadedSuite) -> Result<SuiteReady, UsageError> {
    let suite = &loaded.suite;
    let table = suite.load();
    let from_suite = table.map(|t| t.options().clone()).unwrap_or_default();
    let options = load_options(args)?.over(&from_suite);
    let mut plan = options.plan().map_err(|e| match e {
        plan::PlanError::NoModel => {
            UsageError(format!("{e}, or a [load] table with one in {}", loaded.path.display()))
        }
        e => UsageError(e.to_string()),
    })?;
    let shard = resolve_shard(&args.shard)?.map(|(shard, _)| shard);
    if let Some(shard) = shard {
        plan = plan.for_shard(shard);
    }
    // The command line's thresholds replace the table's, as every option does.
    let thresholds = if args.thresholds.is_empty() {
        table.map(|t| t.thresholds().to_vec()).unwrap_or_default()
    } else {
        parse_thresholds(&args.thresholds)?
    };
    // The suite's [faults] plan fronts its servers, as in `shakedown run`.
    let faults = suite.faults().map(|plan| FaultSetup {
        plan: plan.clone(),
        seed: plan.seed().unwrap_or_else(super::fault_plan::random_seed),
        source: format!("{} [faults]", loaded.path.display()),
    });
    let run = suite.run();
    let mut base = run_settings(args, Variables::default())?;
    let d = &mut base.defaults;
    if args.connect_timeout.is_none()
        && let Some(t) = run.connect_timeout
    {
        d.connect_timeout = t;
    }
    if args.max_time.is_none()
        && let Some(t) = run.max_time
    {
        d.max_time = t;
    }
    if let Some(max) = run.max_filesize {
        d.max_filesize = max;
    }
    if args.transport.transport_retry.is_none() {
        base.retry_policy.enabled = run.transport_retry != Some(suite::TransportRetry::Off);
    }
    if args.transport.idempotency_key_header.is_none() {
        base.retry_policy.idempotency_key_header.clone_from(&run.idempotency_key_header);
    }
    if args.transport.retry_methods.is_none()
        && let Some(methods) = &run.retry_methods
    {
        base.retry_policy.idempotent_methods = methods.clone();
    }
    let mut cli_variables = Vec::new();
    for (name, value) in std::env::vars() {
        if let Some(name) = name.strip_prefix("HURL_VARIABLE_") {
            cli_variables.push((name.to_owned(), execute::typed_variable(&value)));
        }
    }
    for definition in &args.variables {
        let (name, value) = split_definition(definition, "--variable")?;
        cli_variables.push((name, execute::typed_variable(&value)));
    }
    let mut secrets = Vec::new();
    for definition in &args.secrets {
        secrets.push(split_definition(definition, "--secret")?);
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let output_dir = suite.dir().join(".shakedown");
    let run_dir = output_dir.join(format!("load-{stamp}-{}", std::process::id()));
    let secret_values: Vec<String> = secrets
        .iter()
        .map(|(_, v): &(String, String)| v.clone())
        .filter(|v| !v.is_empty())
        .collect();
    let settings = SessionSettings {
        base,
        cli_variables,
        secrets,
        jobs: 1,
        flaky_result: FlakyResult::Pass,
        reports: Vec::new(),
        layers: Vec::new(),
        deadline: None,
        run_dir,
        fail_fast: false,
        keep_going: false,
        command_line: std::env::args().collect(),
        faults,
        // A load shard is a fraction of the load, not of the files: no report shard.
        shard: None,
    };
    Ok(SuiteReady { settings, plan, shard, thresholds, secrets: secret_values })
}

fn parse_thresholds(texts: &[String]) -> Result<Vec<Threshold>, UsageError> {
    texts.iter().map(|t| Threshold::parse(t).map_err(|e| UsageError(e.to_string()))).collect()
}

/// The exit code of a finished (or merged) run: interrupted, thresholds, else success.
pub(crate) fn finish_code(verdicts: &[Verdict], interrupted: bool) -> u8 {
    if interrupted {
        exit_code::INTERRUPTED
    } else if verdicts.iter().any(|v| !v.passed) {
        exit_code::THRESHOLD
    } else {
        exit_code::SUCCESS
    }
}

/// Writes a result document; the exit code of the attempt.
pub(crate) fn write_result(
    result: &LoadResult,
    path: &std::path::Path,
    secrets: &[String],
    printer: &mut Printer,
) -> u8 {
    let text = match serde_json::to_string_pretty(result) {
        Ok(text) => redact(&text, secrets),
        Err(e) => {
            printer.error(&format!("error: cannot serialize the result: {e}"));
            return exit_code::RUNTIME;
        }
    };
    match write_atomically(path, format!("{text}\n").as_bytes()) {
        Ok(()) => exit_code::SUCCESS,
        Err(e) => {
            printer.error(&format!("error: cannot write {}: {e}", path.display()));
            exit_code::RUNTIME
        }
    }
}

/// The end summary, as lines (also printed for a load layer under `shakedown run`).
pub(crate) fn summary(result: &LoadResult) -> Vec<String> {
    let r = result;
    let l = &result.latency.summary;
    let mut out = vec![
        format!(
            "requests: {} in {:.1}s ({:.1}/s), {} error(s), {} iteration(s) ({} failed, {} dropped, {} interrupted), max {} VU(s)",
            r.requests,
            r.elapsed_ms as f64 / 1000.0,
            r.rps,
            r.errors,
            r.iterations,
            r.iterations_failed,
            r.dropped_iterations,
            r.interrupted_iterations,
            r.vus_max,
        ),
        format!(
            "latency: p50 {} p90 {} p95 {} p99 {} max {}",
            us(l.p50_us),
            us(l.p90_us),
            us(l.p95_us),
            us(l.p99_us),
            us(l.max_us)
        ),
        format!(
            "asserts: {} evaluated, {} failed (counted, not fatal)",
            r.asserts, r.assert_failures
        ),
    ];
    if !r.errors_by_class.is_empty() {
        out.push(format!("errors by cause: {}", counts(&r.errors_by_class)));
    }
    if r.retries > 0 {
        out.push(format!("retries by cause: {}", counts(&r.retries_by_cause)));
    }
    if let Some(f) = &r.faults {
        let injected = if f.injected.is_empty() { "none".to_owned() } else { counts(&f.injected) };
        out.push(format!(
            "faults injected: {injected} over {} proxied connection(s) (seed {})",
            f.connections, f.seed
        ));
    }
    out.push(format!("status codes: {}", counts(&r.status_codes)));
    for request in &r.requests_by_name {
        let s = &request.latency.summary;
        out.push(format!(
            "  {} [{}] {} p50 {} p95 {} p99 {}",
            request.name,
            request.outcome,
            request.count,
            us(s.p50_us),
            us(s.p95_us),
            us(s.p99_us)
        ));
    }
    for v in &r.threshold_results {
        let observed = match v.unit.as_str() {
            "us" => us(v.observed.max(0.0).round() as u64),
            "ratio" => format!("{:.3}%", v.observed * 100.0),
            "per_second" => format!("{:.1}/s", v.observed),
            _ => format!("{}", v.observed),
        };
        out.push(format!(
            "threshold {}: {} (observed {observed})",
            v.threshold,
            if v.passed { "passed" } else { "CROSSED" },
        ));
    }
    out
}

fn counts<K: std::fmt::Display>(map: &std::collections::BTreeMap<K, u64>) -> String {
    map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

fn us(value: u64) -> String {
    if value >= 1_000_000 {
        format!("{:.2}s", value as f64 / 1e6)
    } else if value >= 1_000 {
        format!("{:.2}ms", value as f64 / 1e3)
    } else {
        format!("{value}µs")
    }
}

struct LiveView<'a> {
    printer: &'a mut Printer,
    quiet: bool,
    tty: bool,
    printed: bool,
    secrets: &'a [String],
}

impl LoadObserver for LiveView<'_> {
    fn tick(&mut self, live: &Live) {
        if self.quiet {
            return;
        }
        let errors = if live.errors.is_empty() { "none".to_owned() } else { counts(&live.errors) };
        let line = format!(
            "[{:>6.1}s] {:>9.1} req/s  {} requests  p50 {} p95 {} p99 {}  active {}  dropped {}  assert failures {}  errors: {}",
            live.elapsed.as_secs_f64(),
            live.rate,
            live.requests,
            us(live.p50_us),
            us(live.p95_us),
            us(live.p99_us),
            live.active_vus,
            live.dropped,
            live.assert_failures,
            errors
        );
        let line = redact(&line, self.secrets);
        // On a terminal the view rewrites its one line; elsewhere (CI logs) each tick is a line.
        if self.tty && self.printed {
            self.printer.err(&format!("\x1b[1A\x1b[2K{line}"));
        } else {
            self.printer.err(&line);
        }
        self.printed = true;
    }
}

enum Prepare {
    Usage(UsageError),
    InputText(String),
}

impl From<UsageError> for Prepare {
    fn from(error: UsageError) -> Prepare {
        Prepare::Usage(error)
    }
}

struct Prepared {
    scripts: Vec<Script>,
    settings: RunSettings,
    plan: Plan,
    shard: Option<Shard>,
    thresholds: Vec<Threshold>,
    secrets: Vec<String>,
}

/// The load flags as [`plan::Options`], each parsed (the model is checked by `Options::plan`).
pub(crate) fn load_options(args: &LoadArgs) -> Result<plan::Options, UsageError> {
    let seconds = |text: &str, flag: &str| duration_flag(text, DurationUnit::Second, flag);
    let stages = match &args.stages {
        Some(text) => {
            let parse = |t: &str| duration_flag(t, DurationUnit::Second, "--stages").ok();
            Some(plan::parse_stages(text, &parse).map_err(|e| UsageError(e.to_string()))?)
        }
        None => None,
    };
    let rate = match &args.rate {
        Some(text) => Some(plan::parse_rate(text).map_err(|e| UsageError(e.to_string()))?),
        None => None,
    };
    Ok(plan::Options {
        vus: args.vus,
        stages,
        rate,
        max_vus: args.max_vus,
        duration: args.duration.as_deref().map(|t| seconds(t, "--duration")).transpose()?,
        max_requests: args.max_requests,
        graceful_stop: args
            .graceful_stop
            .as_deref()
            .map(|t| seconds(t, "--graceful-stop"))
            .transpose()?,
    })
}

/// Resolves the shard flags and the environment.
pub(crate) fn resolve_shard(args: &ShardArgs) -> Result<Option<(Shard, ShardMode)>, UsageError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let shard = Shard::resolve(args.shard.as_deref(), args.shard_total, &env)
        .map_err(|e| UsageError(e.to_string()))?;
    let mode = match args.shard_mode {
        Some(ShardModeArg::Slice) => ShardMode::Slice,
        _ => ShardMode::Hash,
    };
    Ok(shard.map(|s| (s, mode)))
}

fn prepare(args: &LoadArgs) -> Result<Prepared, Prepare> {
    let files = crate::cli::files::collect(&args.files, &[])?;
    if files.is_empty() {
        return Err(UsageError("no .hurl file to run".to_owned()).into());
    }
    let mut scripts = Vec::new();
    let mut problems = String::new();
    for path in files {
        let source = std::fs::read_to_string(&path).map_err(|e| {
            Prepare::InputText(format!("error: cannot read {}: {e}", path.display()))
        })?;
        let (file, diagnostics) = scenario::parse(&source);
        if diagnostics.is_empty() {
            scripts.push(Script::new(path, file, source));
        } else {
            problems.push_str(&human::parse_diagnostics(
                &path.display().to_string(),
                &source,
                &diagnostics,
                human::Style::Plain,
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Prepare::InputText(problems.trim_end().to_owned()));
    }

    let options = load_options(args)?;
    let mut plan = options.plan().map_err(|e| UsageError(e.to_string()))?;
    let shard = resolve_shard(&args.shard)?.map(|(shard, _)| shard);
    if let Some(shard) = shard {
        plan = plan.for_shard(shard);
    }
    let thresholds = parse_thresholds(&args.thresholds)?;
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
    for definition in &args.secrets {
        let (name, value) = split_definition(definition, "--secret")?;
        variables.insert_secret(name, Value::String(value));
    }
    let secrets = variables.secrets();
    let settings = run_settings(args, variables)?;
    Ok(Prepared { scripts, settings, plan, shard, thresholds, secrets })
}

/// The runner's settings from the transport and HTTP flags, with `variables`.
fn run_settings(args: &LoadArgs, variables: Variables) -> Result<RunSettings, UsageError> {
    let seconds = |text: &str, flag: &str| duration_flag(text, DurationUnit::Second, flag);
    let mut settings = RunSettings { variables, ..RunSettings::default() };
    let d = &mut settings.defaults;
    d.connect_timeout = Duration::from_secs(10);
    d.max_time = Duration::from_secs(60);
    if let Some(text) = &args.connect_timeout {
        d.connect_timeout = seconds(text, "--connect-timeout")?;
    }
    if let Some(text) = &args.max_time {
        d.max_time = seconds(text, "--max-time")?;
    }
    d.insecure = args.insecure;
    settings.no_keepalive = args.transport.no_keepalive;
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
    Ok(settings)
}
