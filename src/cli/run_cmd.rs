//! `shakedown run [SUITE]`: parse the command line, load the suite, wire the session
//! engine (`session`) to the terminal reporter, print the summary, pick the exit code.
//!
//! The engine itself (servers, layers, signals, deadline, checkpoints) is
//! [`crate::session`]; this file only turns flags into [`SessionSettings`] and prints.

use std::sync::Arc;

use crate::cli::args::RunArgs;
use crate::cli::definitions::{self, Environment};
use crate::cli::edge::{self, CommonFlags, duration_flag};
use crate::cli::output::{Printer, UsageError, redact};
use crate::cli::terminal::{Terminal, print_load_error};
use crate::exit_code;
use crate::report::human;
use crate::runner::execute::RunSettings;
use crate::scenario::ast::DurationUnit;
use crate::session::setup::{self, SetupError, SuitePathError};
use crate::session::{
    FlakyResult, LoadedSuite, ReportTarget, SUITE_TIMEOUTS, Session, SessionSettings, SuiteOutcome,
    load_suite,
};

/// Runs `shakedown run`.
pub fn run(args: &RunArgs, command_line: &[String], printer: &mut Printer) -> u8 {
    let path = match suite_path(args.suite.as_deref(), "run", printer) {
        Ok(path) => path,
        Err(code) => return code,
    };
    // The suite's own `jobs` is not known yet (signals come before reading anything).
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
    let (runtime, signals) = match setup::start(threads) {
        Ok(started) => started,
        Err(error) => return setup_failed(&error, printer),
    };
    let mut loaded = match load_suite(&path) {
        Ok(loaded) => loaded,
        Err(error) => return print_load_error(&error, printer),
    };
    if let Err(error) = setup::select_files(&args.files, &mut loaded) {
        printer.error(&format!("error: {error}"));
        return exit_code::USAGE;
    }
    let faults = match super::fault_plan::fault_setup(&args.faults, &loaded, printer) {
        Ok(faults) => faults,
        Err(code) => return code,
    };
    // --file first, then the shard's part of what it selected.
    let prepared = keep_shard_files(&args.shard, &mut loaded, printer).and_then(|shard| {
        Ok(SessionSettings { shard, faults, ..prepare(args, &loaded, command_line)? })
    });
    let settings = match prepared {
        Ok(settings) => settings,
        Err(error) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
    };
    if let Err(code) = prepare_run_dir(&settings.run_dir, printer) {
        return code;
    }
    let secrets: Vec<String> = settings.secrets.iter().map(|(_, v)| v.clone()).collect();
    let redactor: crate::session::Redactor = {
        let secrets = secrets.clone();
        Arc::new(move |text: &str| redact(text, &secrets))
    };
    let terminal =
        Terminal::new(printer.style(), settings.base.defaults.verbose, false, redactor.clone());
    // On a terminal, a live status line over the plain lines; piped, the plain lines alone.
    let bar = super::live::wanted().then(super::live::Live::bar);
    let reporter: Box<dyn crate::session::Reporter> = match &bar {
        Some(bar) => Box::new(super::live::Live::new(terminal, bar.clone())),
        None => Box::new(terminal),
    };
    let suite_path = loaded.path.clone();
    let run_dir = settings.run_dir.clone();
    if let Some(faults) = &settings.faults {
        let servers: Vec<&str> =
            faults.plan.servers().iter().map(|s| s.unwrap_or("main")).collect();
        printer.err(&format!(
            "faults: {} fault(s) from {}, seed {}; the scenarios reach {} through a fault proxy",
            faults.plan.plan().faults().len(),
            faults.source,
            faults.seed,
            servers.join(", ")
        ));
    }
    let session = Session::new(loaded, settings, redactor, reporter);
    let outcome = runtime.block_on(session.run(signals));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Err(e) = setup::link_latest(&run_dir) {
        printer.err(&format!("warning: cannot link `latest` to {}: {e}", run_dir.display()));
    }
    finish(&outcome, &suite_path, &secrets, printer)
}

/// The suite file (`setup::suite_path`), or the exit code of why there is none, printed.
pub(super) fn suite_path(
    arg: Option<&std::path::Path>,
    command: &str,
    printer: &mut Printer,
) -> Result<std::path::PathBuf, u8> {
    setup::suite_path(arg, command).map_err(|error| match error {
        SuitePathError::Usage(message) => {
            printer.error(&format!("error: {message}"));
            exit_code::USAGE
        }
        SuitePathError::NotFound(message) => {
            printer.error(&format!("error: {message}"));
            exit_code::INPUT
        }
    })
}

/// Prints why the engine could not be set up; the exit code.
pub(super) fn setup_failed(error: &SetupError, printer: &mut Printer) -> u8 {
    printer.error(&format!("error: {error}"));
    exit_code::RUNTIME
}

/// The run folder made and the orphan supervisor installed (a warning without one).
pub(super) fn prepare_run_dir(run_dir: &std::path::Path, printer: &mut Printer) -> Result<(), u8> {
    match setup::prepare_run_dir(run_dir) {
        Ok(None) => Ok(()),
        Ok(Some(warning)) => {
            printer.err(&format!("warning: {warning}"));
            Ok(())
        }
        Err(error) => Err(setup_failed(&error, printer)),
    }
}

/// `--shard M/N` (or the index from the environment, as in `test`): this shard's part of the
/// scenario files kept (`setup::keep_shard_files`), said, and named for the report.
fn keep_shard_files(
    args: &crate::cli::args::ShardArgs,
    loaded: &mut LoadedSuite,
    printer: &mut Printer,
) -> Result<Option<crate::report::model::ShardDto>, UsageError> {
    let Some((shard, mode)) = edge::resolve_shard(args)? else {
        return Ok(None);
    };
    let (kept, total) = setup::keep_shard_files(shard, mode, loaded);
    let loads = loaded.suite.layers().iter().filter(|l| l.kind().load().is_some()).count();
    let loads = match loads {
        0 => String::new(),
        n => format!("; {n} load layer(s), each at this shard's fraction of its load"),
    };
    printer.err(&format!("shard {shard}: {kept} of {total} scenario files{loads}"));
    Ok(Some(shard.report_dto(mode)))
}

/// The summary after the run.
fn finish(
    outcome: &SuiteOutcome,
    suite_path: &std::path::Path,
    secrets: &[String],
    printer: &mut Printer,
) -> u8 {
    for (path, error) in &outcome.write_errors {
        printer.error(&format!("error: cannot write report {}: {error}", path.display()));
    }
    let totals = human::Totals::of(&outcome.files);
    let summary = human::summary(
        &outcome.files,
        outcome.elapsed,
        outcome.not_run_files,
        &outcome.nothing_ran,
        printer.style(),
    );
    printer.err(&redact(&summary, secrets));
    if outcome.layer_files.len() > 1 || outcome.not_run_files > 0 {
        for (name, [passed, flaky, failed, errored, not_run]) in &outcome.layer_files {
            printer.err(&format!(
                "layer {name}: {passed} passed, {flaky} flaky, {failed} failed, {errored} errored, {not_run} not run"
            ));
        }
    }
    if let Some(warning) =
        human::flaky_warning(totals.flaky, outcome.flaky_result == FlakyResult::Fail)
    {
        printer.err(&warning);
    }
    let (retries, requests, exhausted) = outcome.budget;
    if exhausted {
        printer.err(&human::budget_warning(retries, requests));
    }
    if let Some((counts, seed)) = &outcome.faults {
        printer.err(&counts.line(*seed));
    }
    let style = printer.style();
    let layers: Vec<String> = outcome
        .layers
        .iter()
        .map(|(name, outcome)| format!("{name} {}", human::paint(outcome, outcome, style)))
        .collect();
    printer.err(&format!(
        "suite {}: {} (layers: {}); report {}",
        suite_path.display(),
        human::paint(&outcome.verdict.to_uppercase(), outcome.verdict, style),
        layers.join(", "),
        outcome.report_path.display()
    ));
    outcome.code
}

/// The flags and the suite's `[run]` table, validated into the session's settings.
pub(super) fn prepare(
    args: &RunArgs,
    loaded: &LoadedSuite,
    command_line: &[String],
) -> Result<SessionSettings, UsageError> {
    let suite = &loaded.suite;
    let from_suite = suite.run();
    let common = edge::common_settings(&CommonFlags {
        connect_timeout: args.connect_timeout.as_deref(),
        max_time: args.max_time.as_deref(),
        max_filesize: args.max_filesize,
        transport: &args.transport,
    })?
    .over(from_suite);
    let mut base = RunSettings::default();
    common.apply(&mut base, Some(SUITE_TIMEOUTS));
    base.defaults.verbose = args.verbose;
    let flaky_result = common.flaky_result();
    let jobs = match args.jobs {
        Some(0) => return Err(UsageError("--jobs must be at least 1".to_owned())),
        Some(n) => n,
        None => from_suite.jobs.map_or(1, std::num::NonZero::get),
    };
    let deadline = match &args.deadline {
        Some(text) => Some(duration_flag(text, DurationUnit::Second, "--deadline")?),
        None => from_suite.deadline,
    };
    let definitions = definitions::read(&args.definitions, Environment::Ignored)?;
    use crate::settings::ReportFormat;
    let writes = [ReportFormat::Junit, ReportFormat::Json, ReportFormat::Html];
    let reports = edge::report_flags(&args.reports, "run", &writes)?
        .into_iter()
        .filter_map(|spec| match spec.format {
            ReportFormat::Junit => Some(ReportTarget::Junit(spec.path)),
            ReportFormat::Json => Some(ReportTarget::Json(spec.path)),
            ReportFormat::Html => Some(ReportTarget::Html(spec.path)),
            ReportFormat::Tap => None,
        })
        .collect();
    let layers = setup::select_layers(&args.layers, !args.files.is_empty(), loaded)
        .map_err(|e| UsageError(e.0))?;
    let output_dir = args.output_dir.clone().unwrap_or_else(|| suite.dir().join(".shakedown"));
    let output_dir = std::path::absolute(&output_dir).unwrap_or(output_dir);
    Ok(SessionSettings {
        base,
        cli_variables: definitions.variables,
        secrets: definitions.secrets,
        jobs,
        flaky_result,
        reports,
        layers,
        deadline,
        run_dir: setup::run_dir(&output_dir, "run"),
        fail_fast: args.fail_fast,
        keep_going: args.keep_going,
        command_line: command_line.to_vec(),
        shard: None,
        faults: None,
    })
}
