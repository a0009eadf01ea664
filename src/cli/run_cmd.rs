//! `shakedown run [SUITE]`: parse the command line, load the suite, wire the session
//! engine (`session`) to the terminal reporter, print the summary, pick the exit code.
//!
//! The engine itself (servers, layers, signals, deadline, checkpoints) is
//! [`crate::session`]; this file only turns flags into [`SessionSettings`] and prints.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::args::{self, RunArgs, TransportRetryMode};
use crate::cli::edge::{self, duration_flag, split_definition};
use crate::cli::output::{Printer, UsageError, redact};
use crate::cli::terminal::{Terminal, print_load_error};
use crate::exit_code;
use crate::report::human;
use crate::retry::RetryPolicy;
use crate::runner::execute::{self, RunSettings};
use crate::scenario::ast::DurationUnit;
use crate::server::{self, SupervisorCommand};
use crate::session::{
    FaultSetup, FlakyResult, LoadedSuite, ReportTarget, Session, SessionSettings, SignalWatch,
    SuiteOutcome, load_suite,
};
use crate::suite;

/// The default connect timeout in `run` (Hurl's is 300 s).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The default per-request time limit in `run` (Hurl's is 300 s).
const MAX_TIME: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `shakedown run`.
pub fn run(args: &RunArgs, command_line: &[String], printer: &mut Printer) -> u8 {
    let path = match suite_path(args.suite.as_deref()) {
        Ok(path) => path,
        Err(SuitePathError::Usage(message)) => {
            printer.error(&format!("error: {message}"));
            return exit_code::USAGE;
        }
        Err(SuitePathError::NotFound(message)) => {
            printer.error(&format!("error: {message}"));
            return exit_code::INPUT;
        }
    };
    // The suite's own `jobs` is not known yet (signals come before reading anything).
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.clamp(2, 8))
        .enable_all()
        .build()
    {
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
    let mut loaded = match load_suite(&path) {
        Ok(loaded) => loaded,
        Err(error) => return print_load_error(&error, printer),
    };
    if let Err(error) = select_files(&args.files, &mut loaded) {
        printer.error(&format!("error: {error}"));
        return exit_code::USAGE;
    }
    let faults = match fault_setup(args, &loaded, printer) {
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
    if let Err(e) = link_latest(&run_dir) {
        printer.err(&format!("warning: cannot link `latest` to {}: {e}", run_dir.display()));
    }
    finish(&outcome, &suite_path, &secrets, printer)
}

/// `--shard M/N` (or the index from the environment, as in `test`): keeps this shard's part
/// of the scenario files, by a stable hash of each path (or round-robin over the suite's files
/// in layer order with `--shard-mode slice`). Servers and command layers are left alone: every
/// shard starts the servers and runs every command layer (one may prepare what the scenarios
/// need, and each shard has servers of its own); `merge` reports a command layer once.
fn keep_shard_files(
    args: &args::ShardArgs,
    loaded: &mut LoadedSuite,
    printer: &mut Printer,
) -> Result<Option<crate::report::model::ShardDto>, UsageError> {
    let Some((shard, mode)) = crate::cli::load_cmd::resolve_shard(args)? else {
        return Ok(None);
    };
    let (mut position, mut kept) = (0, 0);
    for files in &mut loaded.files {
        files.retain(|file| {
            let owned = shard.owns(&file.path, position, mode);
            position += 1;
            kept += usize::from(owned);
            owned
        });
    }
    printer.err(&format!("shard {shard}: {kept} of {position} scenario files"));
    Ok(Some(shard.report_dto(mode)))
}

/// Points `latest` in the output folder at `run_dir` (a relative symbolic link, replaced
/// atomically: made under a temporary name, then renamed over the old one).
fn link_latest(run_dir: &std::path::Path) -> std::io::Result<()> {
    let (Some(parent), Some(name)) = (run_dir.parent(), run_dir.file_name()) else {
        return Ok(());
    };
    if !run_dir.is_dir() {
        return Ok(());
    }
    let temporary = parent.join(format!(".latest-{}", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    std::os::unix::fs::symlink(name, &temporary)?;
    std::fs::rename(&temporary, parent.join("latest"))
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
    if let Some(max) = args.max_filesize.or(from_suite.max_filesize) {
        d.max_filesize = max;
    }
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
    let flaky_result = match args.transport.flaky_result {
        Some(args::FlakyResult::Fail) => FlakyResult::Fail,
        Some(args::FlakyResult::Pass) => FlakyResult::Pass,
        None => match from_suite.flaky_result {
            Some(suite::FlakyResult::Fail) => FlakyResult::Fail,
            _ => FlakyResult::Pass,
        },
    };
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
    let mut layers = selected_layers(&args.layers, loaded)?;
    if !args.files.is_empty() {
        // `--file`: the scenario layers that kept a file; command layers only when named.
        let suite_layers = loaded.suite.layers();
        layers.retain(|&i| match suite_layers.get(i).map(suite::Layer::kind) {
            Some(suite::LayerKind::Scenarios { .. }) => {
                loaded.files.get(i).is_some_and(|files| !files.is_empty())
            }
            Some(suite::LayerKind::Command { .. }) => {
                suite_layers.get(i).is_some_and(|l| args.layers.iter().any(|n| n == l.name()))
            }
            None => false,
        });
        if layers.is_empty() {
            return Err(UsageError(
                "--file and --layer together select nothing: no layer that --layer names has a file that --file matches"
                    .to_owned(),
            ));
        }
    }
    let output_dir = args.output_dir.clone().unwrap_or_else(|| suite.dir().join(".shakedown"));
    let output_dir = std::path::absolute(&output_dir).unwrap_or(output_dir);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let run_dir = output_dir.join(format!("run-{stamp}-{}", std::process::id()));
    Ok(SessionSettings {
        base,
        cli_variables,
        secrets,
        jobs,
        flaky_result,
        reports,
        layers,
        deadline,
        run_dir,
        fail_fast: args.fail_fast,
        keep_going: args.keep_going,
        command_line: command_line.to_vec(),
        shard: None,
        faults: None,
    })
}

/// The run's fault plan: `--faults PLAN` (its servers checked against the suite), else the
/// suite's `[faults]`; the seed from `--fault-seed`, the plan, or chance.
fn fault_setup(
    args: &RunArgs,
    loaded: &LoadedSuite,
    printer: &mut Printer,
) -> Result<Option<FaultSetup>, u8> {
    let (plan, source) = match &args.faults {
        Some(path) => {
            let plan = super::fault_plan::read(path, printer)?;
            let named: Vec<&str> = loaded.suite.servers().iter().filter_map(|s| s.name()).collect();
            let problems = plan.check_servers(loaded.suite.server().is_some(), &named);
            if !problems.is_empty() {
                let source = std::fs::read_to_string(path).unwrap_or_default();
                super::fault_plan::print_diagnostics(path, &source, &problems, printer);
                return Err(exit_code::INPUT);
            }
            (plan, path.display().to_string())
        }
        None => match loaded.suite.faults() {
            Some(plan) => (plan.clone(), format!("{} [faults]", loaded.path.display())),
            None if args.fault_seed.is_some() => {
                printer.error("error: --fault-seed needs a fault plan: --faults PLAN or [faults] in the suite");
                return Err(exit_code::USAGE);
            }
            None => return Ok(None),
        },
    };
    let seed = args.fault_seed.or(plan.seed()).unwrap_or_else(super::fault_plan::random_seed);
    Ok(Some(FaultSetup { plan, seed, source }))
}

/// Why `run` has no suite file to read.
#[derive(Debug)]
enum SuitePathError {
    /// The argument is not a suite (a scenario file): exit 1.
    Usage(String),
    /// No suite file where one was looked for: exit 2, as an unreadable suite.
    NotFound(String),
}

/// The suite file `run` reads: the argument (a `.hurl` file is refused with the
/// subcommand that runs it; a folder means its `shakedown.toml`), or without one,
/// `shakedown.toml` in the current folder or the nearest parent that has one, as cargo
/// finds `Cargo.toml`. Paths in the suite resolve against the suite's own folder.
fn suite_path(arg: Option<&Path>) -> Result<PathBuf, SuitePathError> {
    const NAME: &str = "shakedown.toml";
    match arg {
        Some(path) if path.extension().is_some_and(|e| e == "hurl") => {
            Err(SuitePathError::Usage(format!(
                "{} is a scenario file: use `shakedown test {}` (`run` takes a suite file, {NAME})",
                path.display(),
                path.display()
            )))
        }
        Some(path) if path.is_dir() => {
            let suite = path.join(NAME);
            if suite.is_file() {
                Ok(suite)
            } else {
                Err(SuitePathError::NotFound(format!("no {NAME} in {}", path.display())))
            }
        }
        Some(path) => Ok(path.to_path_buf()),
        None => {
            let cwd = std::env::current_dir().map_err(|e| {
                SuitePathError::NotFound(format!("cannot read the current folder: {e}"))
            })?;
            for dir in cwd.ancestors() {
                let suite = dir.join(NAME);
                if suite.is_file() {
                    // In the current folder, shown as the user would type it.
                    return Ok(if dir == cwd { PathBuf::from(NAME) } else { suite });
                }
            }
            Err(SuitePathError::NotFound(format!(
                "could not find {NAME} in {} or any parent folder (give the suite file: `shakedown run PATH`)",
                cwd.display()
            )))
        }
    }
}

/// `--file GLOB...`: keeps, in each layer, only the scenario files some glob matches (a
/// matched folder: the files under it). A glob is expanded from the current folder, as
/// the shell would; one that matches no scenario file of the suite is a usage error.
fn select_files(patterns: &[String], loaded: &mut LoadedSuite) -> Result<(), UsageError> {
    if patterns.is_empty() {
        return Ok(());
    }
    let canonical =
        |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut wanted: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        let paths = glob::glob(pattern)
            .map_err(|e| UsageError(format!("invalid --file <{pattern}>: {e}")))?;
        let matched: Vec<PathBuf> = paths.filter_map(Result::ok).map(|p| canonical(&p)).collect();
        if matched.is_empty() {
            return Err(UsageError(format!(
                "--file {pattern}: no file matches (globs are expanded from the current folder)"
            )));
        }
        let selects = |file: &Path| matched.iter().any(|m| file.starts_with(m));
        if !loaded.files.iter().flatten().any(|file| selects(&canonical(&file.path))) {
            return Err(UsageError(format!(
                "--file {pattern}: it matches {} path(s), none of them a scenario file of {}",
                matched.len(),
                loaded.path.display()
            )));
        }
        wanted.extend(matched);
    }
    for files in &mut loaded.files {
        files.retain(|file| {
            let path = canonical(&file.path);
            wanted.iter().any(|m| path.starts_with(m))
        });
    }
    Ok(())
}

/// `--layer NAME...` as indexes into the suite's layers, in the suite's order.
fn selected_layers(wanted: &[String], loaded: &LoadedSuite) -> Result<Vec<usize>, UsageError> {
    let layers = loaded.suite.layers();
    if wanted.is_empty() {
        return Ok((0..layers.len()).collect());
    }
    for name in wanted {
        if !layers.iter().any(|l| l.name() == name) {
            let names: Vec<&str> = layers.iter().map(|l| l.name()).collect();
            return Err(UsageError(format!(
                "--layer {name}: no such layer in {} (layers: {})",
                loaded.path.display(),
                names.join(", ")
            )));
        }
    }
    Ok(layers
        .iter()
        .enumerate()
        .filter(|(_, layer)| wanted.iter().any(|w| w == layer.name()))
        .map(|(i, _)| i)
        .collect())
}
