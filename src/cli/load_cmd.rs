//! `shakedown load`: flags into a load plan and run settings, the live view, the summary, the
//! result document and the exit code. The engine is `load`; this file only wires and prints.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::args::LoadArgs;
use crate::cli::definitions::{self, DefinitionFlags};
use crate::cli::edge::{self, CommonFlags, duration_flag};
use crate::cli::output::{Printer, UsageError, redact, write_atomically};
use crate::cli::run_cmd;
use crate::cli::terminal::{Terminal, print_load_error};
use crate::exit_code;
use crate::load::engine::{self, Live, LoadObserver, RunOutcome, Script};
use crate::load::plan::{self, Plan};
use crate::load::result::LoadResult;
use crate::load::scripts::{self, ScriptsError};
use crate::load::shard::Shard;
use crate::load::summary::{RunDescription, counts, judge, us};
use crate::load::threshold::Threshold;
use crate::report::human;
use crate::runner::execute::RunSettings;
use crate::scenario::ast::DurationUnit;
use crate::session::setup;
use crate::session::{
    CommonSettings, FlakyResult, LoadedSuite, SUITE_TIMEOUTS, Session, SessionSettings, load_suite,
};
use crate::transport::client::ClientSettings;

pub(crate) use crate::cli::edge::resolve_shard;
pub(crate) use crate::load::summary::{finish_code, summary};

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
    let ended = Ended { plan: &plan, shard, files, thresholds: &thresholds, secrets: &secrets };
    finish(args, &ended, &outcome, None, printer)
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
}

/// The thresholds judged, the summary printed, the result written (`--out`, and `also`);
/// the exit code.
fn finish(
    args: &LoadArgs,
    ended: &Ended<'_>,
    outcome: &RunOutcome,
    also: Option<&Path>,
    printer: &mut Printer,
) -> u8 {
    let run = RunDescription {
        model: ended.plan.describe(),
        shard: ended.shard,
        files: &ended.files,
        thresholds: ended.thresholds,
    };
    let result = judge(&run, outcome);
    for line in summary(&result) {
        printer.err(&redact(&line, ended.secrets));
    }
    let mut code = finish_code(&result.threshold_results, outcome.interrupted);
    for path in args.out.as_deref().into_iter().chain(also) {
        code = exit_code::combine([code, write_result(&result, path, ended.secrets, printer)]);
    }
    if let Some(path) = also {
        printer.err(&format!("load result in {}", path.display()));
    }
    code
}

/// `shakedown load SUITE.toml`: the suite's servers started through `session`, the load run
/// over `[load]`'s files (or every scenario layer's) with `[load]`'s options under the command
/// line's, the servers stopped, the result written (also `load.json` in the run folder).
fn run_suite(args: &LoadArgs, path: &Path, common: &Common, printer: &mut Printer) -> u8 {
    let (runtime, signals) = match setup::start(2) {
        Ok(started) => started,
        Err(error) => return run_cmd::setup_failed(&error, printer),
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
    if let Err(code) = run_cmd::prepare_run_dir(&settings.run_dir, printer) {
        return code;
    }
    let run_dir = settings.run_dir.clone();
    let redactor: crate::session::Redactor = {
        let secrets = secrets.clone();
        Arc::new(move |text: &str| redact(text, &secrets))
    };
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
    let ended = Ended { plan: &plan, shard, files, thresholds: &thresholds, secrets: &secrets };
    finish(args, &ended, &outcome, Some(&run_dir.join("load.json")), printer)
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
    if suite.faults().is_some() {
        return Err(UsageError(
            "`shakedown load` on a suite does not apply its [faults] plan yet: put the load in a \
             load layer under `shakedown run`, or front the server with `shakedown proxy --plan`"
                .to_owned(),
        ));
    }
    let mut base = RunSettings::default();
    common(args)?.over(suite.run()).apply(&mut base, Some(SUITE_TIMEOUTS));
    base.defaults.insecure = args.insecure;
    let definitions = definitions::read(&DefinitionFlags::of_load(args))?;
    let secrets = definitions.secret_values();
    let settings = SessionSettings {
        base,
        cli_variables: definitions.variables,
        secrets: definitions.secrets,
        jobs: 1,
        flaky_result: FlakyResult::Pass,
        reports: Vec::new(),
        layers: Vec::new(),
        deadline: None,
        run_dir: setup::run_dir(&suite.dir().join(".shakedown"), "load"),
        fail_fast: false,
        keep_going: false,
        command_line: std::env::args().collect(),
        faults: None,
    };
    Ok(SuiteReady { settings, plan, shard, thresholds, secrets })
}

fn parse_thresholds(texts: &[String]) -> Result<Vec<Threshold>, UsageError> {
    texts.iter().map(|t| Threshold::parse(t).map_err(|e| UsageError(e.to_string()))).collect()
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

fn prepare(args: &LoadArgs) -> Result<Prepared, Prepare> {
    let files = crate::cli::files::collect(&args.files, &[])?;
    if files.is_empty() {
        return Err(UsageError("no .hurl file to run".to_owned()).into());
    }
    let scripts = scripts::read(files).map_err(|error| match error {
        ScriptsError::Unreadable(path, e) => {
            Prepare::InputText(format!("error: cannot read {}: {e}", path.display()))
        }
        ScriptsError::Invalid(files) => {
            let mut problems = String::new();
            for (path, source, diagnostics) in &files {
                let name = path.display().to_string();
                let style = human::Style::Plain;
                problems.push_str(&human::parse_diagnostics(&name, source, diagnostics, style));
            }
            Prepare::InputText(problems.trim_end().to_owned())
        }
    })?;
    let options = load_options(args)?;
    let mut plan = options.plan().map_err(|e| UsageError(e.to_string()))?;
    let shard = resolve_shard(&args.shard)?.map(|(shard, _)| shard);
    if let Some(shard) = shard {
        plan = plan.for_shard(shard);
    }
    let thresholds = parse_thresholds(&args.thresholds)?;
    let definitions = definitions::read(&DefinitionFlags::of_load(args))?;
    let secrets = definitions.secret_values();
    let mut settings =
        RunSettings { variables: definitions.into_variables(), ..RunSettings::default() };
    common(args)?.apply(&mut settings, Some(SUITE_TIMEOUTS));
    settings.defaults.insecure = args.insecure;
    Ok(Prepared { scripts, settings, plan, shard, thresholds, secrets })
}

/// The shared flags (timeouts, transport), validated.
fn common(args: &LoadArgs) -> Result<CommonSettings, UsageError> {
    edge::common_settings(&CommonFlags {
        connect_timeout: args.connect_timeout.as_deref(),
        max_time: args.max_time.as_deref(),
        max_filesize: None,
        transport: &args.transport,
    })
}
