//! `shakedown load`: wiring (the files, or a suite's servers started through `session`),
//! the live view, the summary, the result document and the exit code. The flags become
//! settings in `load_settings`; the engine is `load`; this file only wires and prints.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::cli::args::LoadArgs;
use crate::cli::live::LoadLines;
use crate::cli::load_settings::{
    Common, Prepare, Prepared, SuiteReady, common_flags, prepare, suite_settings,
};
use crate::cli::output::{Printer, redact, write_atomically};
use crate::cli::run_cmd;
use crate::cli::terminal::{Terminal, print_load_error};
use crate::exit_code;
use crate::load::engine::{self, EngineError, RunOutcome, Script};
use crate::load::plan::Plan;
use crate::load::result::{LoadFaults, LoadResult};
use crate::load::shard::Shard;
use crate::load::summary::{RunDescription, judge};
use crate::load::threshold::Threshold;
use crate::runner::execute::RunSettings;
use crate::session::setup;
use crate::session::{Session, load_suite};
use crate::transport::client::ClientSettings;

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
    if args.faults.plan.is_some() || args.faults.fault_seed.is_some() {
        printer.error(
            "error: --faults and --fault-seed need a suite file: the fault proxy fronts the suite's servers",
        );
        return exit_code::USAGE;
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
    let ended = Ended {
        plan: &plan,
        shard,
        files,
        thresholds: &thresholds,
        secrets: &secrets,
        faults: None,
    };
    match drive(args, &common, &ended, scripts, settings, Arc::default(), printer) {
        Ok(outcome) => finish(args, &ended, &outcome, None, printer).0,
        Err(e) => {
            printer.error(&format!("error: {e}"));
            exit_code::RUNTIME
        }
    }
}

/// The load announced, then run on this thread under the live view until its end or
/// `stop`.
fn drive(
    args: &LoadArgs,
    common: &Common,
    ended: &Ended<'_>,
    scripts: Vec<Script>,
    settings: RunSettings,
    stop: Arc<AtomicBool>,
    printer: &mut Printer,
) -> Result<RunOutcome, EngineError> {
    announce(ended.plan, ended.shard, ended.files.len(), printer);
    let tty = std::io::stderr().is_terminal();
    let secrets = ended.secrets;
    let mut view = LoadLines::new(printer, args.quiet, tty, secrets);
    let client = ClientSettings::default();
    let (tick, threads) = (common.tick, common.threads);
    engine::run_until(ended.plan, scripts, settings, &client, &mut view, tick, threads, stop)
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
    let run = RunDescription {
        model: ended.plan.describe(),
        shard: ended.shard,
        files: &ended.files,
        thresholds: ended.thresholds,
    };
    let mut result = judge(&run, outcome);
    result.faults.clone_from(&ended.faults);
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
    (code, result)
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
    let SuiteReady { mut settings, plan, shard, thresholds, secrets } = ready;
    settings.faults = match super::fault_plan::fault_setup(&args.faults, &loaded, printer) {
        Ok(faults) => faults,
        Err(code) => return code,
    };
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
    let ended = Ended {
        plan: &plan,
        shard,
        files,
        thresholds: &thresholds,
        secrets: &secrets,
        faults: None,
    };
    // The engine runs on this thread; the servers' log tasks go on on the runtime's workers.
    let stop = signals.stop.clone();
    let ran = drive(args, common, &ended, target.scripts, target.settings, stop, printer);
    runtime.block_on(signals.stop_servers(&session));
    match ran {
        Ok(outcome) => {
            let ended = Ended { faults: session.load_faults(), ..ended };
            let also = Some(run_dir.join("load.json"));
            let (code, result) = finish(args, &ended, &outcome, also.as_deref(), printer);
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
        Err(e) => {
            printer.error(&format!("error: {e}"));
            exit_code::RUNTIME
        }
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
