//! `shakedown hunt`: repeat .hurl files in a seeded shuffled order to catch intermittent
//! failures; prints, per entry, the failure rate with its 95% Wilson interval and the
//! diagnosed causes, and the run and seed that replay the first failure.
//!
//! The flags of `test` are validated by `test_cmd::prepare`; the tally is `crate::hunt`.
//! Files run one at a time, each on a fresh transport client, on one current-thread
//! runtime; SIGINT/SIGTERM/SIGHUP stop the hunt and what was gathered is printed.
//!
//! A suite (`hunt SUITE.toml`) goes through the suite engine instead
//! ([`crate::session::Session::hunt`]): the flags are those of `run` (the command line is
//! parsed again as `shakedown run`, less hunt's own flags, and validated by
//! `run_cmd::prepare`), the servers start once and stay up across runs, and each run is
//! every selected layer with each scenario layer's files in a seeded order.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cli::args::HuntArgs;
use clap::Parser as _;

use crate::cli::files::{ReadError, read_text};
use crate::cli::output::{Printer, UsageError, redact};
use crate::cli::run_cmd;
use crate::cli::terminal::{Terminal, print_load_error};
use crate::cli::test_cmd::{self, duration_flag};
use crate::exit_code;
use crate::hunt::{Rng, Tally, shuffled_order};
use crate::retry::Budget;
use crate::runner::execute;
use crate::scenario::ast::DurationUnit;
use crate::server::{self, SupervisorCommand};
use crate::session::{
    Event, HuntEnding, Repeat, Reporter, RunDone, Session, SignalWatch, Stamped, file_exit_code,
    load_suite,
};
use crate::transport::client::{Client, ClientSettings};
use std::sync::Arc;

/// Runs without `--runs`.
const DEFAULT_RUNS: u64 = 20;
/// The most runs one hunt may ask for.
const MAX_RUNS: u64 = 100_000;
/// The default and longest `--duration`.
const MAX_DURATION: Duration = Duration::from_secs(600);

/// A validated hunt.
struct Plan {
    files: Vec<(PathBuf, String)>,
    prepared: test_cmd::Prepared,
    runs: u64,
    duration: Duration,
    seed: u64,
    shuffle: bool,
}

/// Why the hunt stopped before its last run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// All runs done, or `--until-fail` met a failure.
    Finished,
    /// `--duration` elapsed.
    Duration,
    /// SIGINT or SIGTERM.
    Interrupted,
}

/// Runs `shakedown hunt`.
pub fn run(args: &HuntArgs, command_line: &[String], printer: &mut Printer) -> u8 {
    let is_suite = |p: &PathBuf| p.extension().is_some_and(|e| e == "toml");
    if args.test.files.iter().any(is_suite) {
        return match args.test.files.as_slice() {
            [suite] if args.test.glob.is_empty() => suite_hunt(args, suite, command_line, printer),
            _ => {
                printer.error(
                    "error: hunt repeats one suite (shakedown.toml) or .hurl files, not both",
                );
                exit_code::USAGE
            }
        };
    }
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(error) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            printer.error(&format!("error: cannot start the runtime: {e}"));
            return exit_code::RUNTIME;
        }
    };
    let mut signals = {
        let _context = runtime.enter();
        Signals::install()
    };
    let shuffle = if plan.shuffle { "shuffled" } else { "in the given order" };
    printer.err(&format!(
        "hunt: {} file(s), up to {} run(s) {shuffle}, seed {} (replay with --seed {})",
        plan.files.len(),
        plan.runs,
        plan.seed,
        plan.seed
    ));
    let clock = Instant::now();
    let mut tally = Tally::default();
    let mut code = exit_code::SUCCESS;
    let mut secrets: Vec<String> = Vec::new();
    let stop = runtime.block_on(hunt(
        &plan,
        args.until_fail,
        &mut signals,
        &mut tally,
        &mut code,
        &mut secrets,
        printer,
    ));
    let elapsed = clock.elapsed();
    let ended = match stop {
        Stop::Finished => String::new(),
        Stop::Duration => format!(" (stopped: --duration {} s reached)", plan.duration.as_secs()),
        Stop::Interrupted => " (interrupted)".to_owned(),
    };
    printer.err(&format!("hunt: {} run(s) in {:.1} s{ended}", tally.runs, elapsed.as_secs_f64()));
    printer.out(&redact(&report(&tally, plan.seed, "files"), &secrets));
    if stop == Stop::Interrupted {
        code = exit_code::combine([code, exit_code::INTERRUPTED]);
    }
    code
}

/// `--runs` and `--duration`, validated.
fn bounds(args: &HuntArgs) -> Result<(u64, Duration), UsageError> {
    let runs = args.runs.unwrap_or(DEFAULT_RUNS);
    if runs == 0 || runs > MAX_RUNS {
        return Err(UsageError(format!("--runs {runs}: must be 1..={MAX_RUNS}")));
    }
    let duration = match &args.hunt_duration {
        Some(text) => duration_flag(text, DurationUnit::Second, "--duration")?,
        None => MAX_DURATION,
    };
    if duration.is_zero() || duration > MAX_DURATION {
        return Err(UsageError(format!(
            "--duration {}: must be more than 0 and at most 10m",
            args.hunt_duration.as_deref().unwrap_or_default()
        )));
    }
    Ok((runs, duration))
}

fn plan(args: &HuntArgs) -> Result<Plan, UsageError> {
    if args.test.files.is_empty() && args.test.glob.is_empty() {
        return Err(UsageError(
            "hunt needs .hurl files or directories, or a suite file, to repeat".to_owned(),
        ));
    }
    if args.test.repeat.is_some() {
        return Err(UsageError("`--repeat` does not apply to hunt: use --runs".to_owned()));
    }
    let (runs, duration) = bounds(args)?;
    if args.test.jobs.is_some_and(|jobs| jobs > 1) {
        return Err(UsageError(
            "`--jobs` above 1 applies to a suite hunt only: .hurl files are hunted one at a time"
                .to_owned(),
        ));
    }
    let prepared = test_cmd::prepare(&args.test)?;
    if !prepared.reports.is_empty() || args.test.output.is_some() || args.test.cookie_jar.is_some()
    {
        return Err(UsageError(
            "hunt writes no report, output or cookie jar yet: its result is printed".to_owned(),
        ));
    }
    let mut files = Vec::with_capacity(prepared.files.len());
    for path in &prepared.files {
        let text = read_text(path).map_err(|e| match e {
            ReadError::Io(e) => UsageError(format!("cannot read {}: {e}", path.display())),
            ReadError::Utf8(_) => UsageError(format!("{} is not UTF-8", path.display())),
        })?;
        files.push((path.clone(), text));
    }
    Ok(Plan {
        files,
        prepared,
        runs,
        duration,
        seed: args.hunt_seed.unwrap_or_else(rand::random),
        shuffle: !args.no_shuffle,
    })
}

/// Runs the hunt until its runs are done, a failure under `--until-fail`, the duration,
/// or a signal. A file cut short by the duration or a signal is not counted.
async fn hunt(
    plan: &Plan,
    until_fail: bool,
    signals: &mut Signals,
    tally: &mut Tally,
    code: &mut u8,
    secrets: &mut Vec<String>,
    printer: &mut Printer,
) -> Stop {
    let deadline = tokio::time::Instant::now() + plan.duration;
    let mut rng = Rng::new(plan.seed);
    let settings = &plan.prepared.settings;
    for run in 1..=plan.runs {
        let order = if plan.shuffle {
            shuffled_order(plan.files.len(), &mut rng)
        } else {
            (0..plan.files.len()).collect()
        };
        let budget = Budget::default();
        let mut failed = false;
        for index in order {
            let Some((path, source)) = plan.files.get(index) else { continue };
            let mut client = match Client::new(ClientSettings::default()) {
                Ok(client) => client,
                Err(e) => {
                    printer.error(&format!("error: cannot create the transport client: {e}"));
                    *code = exit_code::combine([*code, exit_code::RUNTIME]);
                    return Stop::Finished;
                }
            };
            // Biased: a signal (even one recorded before the hunt began) wins before the
            // file sends anything.
            let file_run = tokio::select! {
                biased;
                () = signals.recv() => return Stop::Interrupted,
                () = tokio::time::sleep_until(deadline) => return Stop::Duration,
                run = execute::run_file(path, source.clone(), settings, &mut client, &budget) => run,
            };
            secrets.extend(file_run.secrets.iter().cloned());
            let was_first = tally.first_failure.is_none();
            tally.record(run, &file_run.outcome);
            *code = exit_code::combine([
                *code,
                test_cmd::file_exit_code(&file_run.outcome, plan.prepared.flaky_result),
            ]);
            if !file_run.outcome.outcome.is_pass() {
                failed = true;
                if was_first && let Some(first) = &tally.first_failure {
                    printer.err(&redact(
                        &first_failure_line(first.run, &first.label, plan.seed),
                        secrets,
                    ));
                }
            }
        }
        tally.runs = run;
        if failed && until_fail {
            break;
        }
        if run < plan.runs && tokio::time::Instant::now() >= deadline {
            return Stop::Duration;
        }
    }
    Stop::Finished
}

/// The flags that are `hunt`'s own: `(name, takes a value)`.
const HUNT_FLAGS: [(&str, bool); 6] = [
    ("--runs", true),
    ("--duration", true),
    ("--seed", true),
    ("--until-fail", false),
    ("--no-shuffle", false),
    ("--shuffle", false),
];

/// The command line of a suite hunt as `shakedown run` would take it: every argument
/// after `hunt` except hunt's own flags.
fn run_command_line(command_line: &[String]) -> Vec<String> {
    let mut out = vec![command_line.first().cloned().unwrap_or_default(), "run".to_owned()];
    let start = command_line.iter().position(|a| a == "hunt").map_or(1, |i| i + 1);
    let mut words = command_line.iter().skip(start);
    while let Some(word) = words.next() {
        if word == "--" {
            out.push(word.clone());
            out.extend(words.by_ref().cloned());
            break;
        }
        let own = HUNT_FLAGS.iter().find(|(flag, _)| {
            word == flag || word.strip_prefix(flag).is_some_and(|rest| rest.starts_with('='))
        });
        match own {
            Some((flag, true)) if word == flag => {
                words.next();
            }
            Some(_) => {}
            None => out.push(word.clone()),
        }
    }
    out
}

/// `shakedown hunt SUITE.toml`: the suite engine, repeated.
fn suite_hunt(
    args: &HuntArgs,
    suite: &std::path::Path,
    command_line: &[String],
    printer: &mut Printer,
) -> u8 {
    let usage = |printer: &mut Printer, message: &str| {
        printer.error(&format!("error: {message}"));
        exit_code::USAGE
    };
    let (runs, duration) = match bounds(args) {
        Ok(bounds) => bounds,
        Err(error) => return usage(printer, &error.to_string()),
    };
    if args.test.repeat.is_some() {
        return usage(printer, "`--repeat` does not apply to hunt: use --runs");
    }
    let as_run = run_command_line(command_line);
    let run_args = match crate::cli::Cli::try_parse_from(&as_run) {
        Ok(crate::cli::Cli { command: crate::cli::Command::Run(run_args) }) => run_args,
        Ok(_) => return usage(printer, "a suite hunt takes the flags of `shakedown run`"),
        Err(error) => {
            let text = error.to_string();
            let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ");
            return usage(
                printer,
                &format!(
                    "a suite hunt takes the flags of `shakedown run` (and hunt's own): {first}"
                ),
            );
        }
    };
    if !run_args.reports.is_empty() {
        return usage(printer, "hunt writes no report yet: its result is printed");
    }
    let threads = run_args
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
    // Signals recorded since the first instant count from here on (`crate::signals`).
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
    let loaded = match load_suite(suite) {
        Ok(loaded) => loaded,
        Err(error) => return print_load_error(&error, printer),
    };
    let settings = match run_cmd::prepare(&run_args, &loaded, command_line) {
        Ok(settings) => settings,
        Err(error) => return usage(printer, &error.to_string()),
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
    let files: usize =
        settings.layers.iter().filter_map(|&i| loaded.files.get(i)).map(Vec::len).sum();
    let seed = args.hunt_seed.unwrap_or_else(rand::random);
    let shuffle = !args.no_shuffle;
    let flaky_result = settings.flaky_result;
    let terminal =
        Terminal::new(printer.style(), settings.base.defaults.verbose, false, redactor.clone());
    let reporter = Box::new(HuntReporter(terminal));
    printer.err(&format!(
        "hunt: suite {}, {files} scenario file(s), up to {runs} run(s) {}, seed {seed} (replay with --seed {seed})",
        loaded.path.display(),
        if shuffle { "shuffled" } else { "in the given order" },
    ));
    printer.err(&format!("hunt: server logs in {}", settings.run_dir.display()));
    let session = Session::new(loaded, settings, redactor, reporter);
    let repeat = Repeat { runs, duration, seed, shuffle };
    let clock = Instant::now();
    let mut tally = Tally::default();
    let mut code = exit_code::SUCCESS;
    let until_fail = args.until_fail;
    let ending = runtime.block_on(session.hunt(signals, repeat, &mut |done: RunDone<'_>| {
        let was_first = tally.first_failure.is_none();
        let mut failed = 0;
        for file in done.files {
            tally.record(done.run, file);
            code = exit_code::combine([code, file_exit_code(file, flaky_result)]);
            failed += usize::from(!file.outcome.is_pass());
        }
        code = exit_code::combine([code, done.code]);
        tally.runs = done.run;
        if was_first && let Some(first) = &tally.first_failure {
            printer.err(&redact(&first_failure_line(first.run, &first.label, seed), &secrets));
        }
        printer.err(&format!(
            "hunt: run {} done: {} file(s), {failed} not passed",
            done.run,
            done.files.len()
        ));
        !(until_fail && done.code != exit_code::SUCCESS)
    }));
    let ended = match ending {
        HuntEnding::Finished => String::new(),
        HuntEnding::Duration => format!(" (stopped: --duration {} s reached)", duration.as_secs()),
        HuntEnding::Interrupted(name) => format!(" (interrupted by {name})"),
    };
    printer.err(&format!(
        "hunt: {} run(s) in {:.1} s{ended}",
        tally.runs,
        clock.elapsed().as_secs_f64()
    ));
    printer.out(&redact(&report(&tally, seed, "suite"), &secrets));
    if matches!(ending, HuntEnding::Interrupted(_)) {
        code = exit_code::combine([code, exit_code::INTERRUPTED]);
    }
    code
}

/// The engine's events under a suite hunt: only what needs the user's attention (a
/// server that failed or crashed, a command or reset that failed, the stop), not every
/// file of every run (the tally says that).
struct HuntReporter(Terminal);

impl Reporter for HuntReporter {
    fn report(&mut self, event: &Stamped<'_>) {
        match &event.event {
            Event::ServerFailed(_)
            | Event::ServerReady { .. }
            | Event::CommandFailed { .. }
            | Event::JunitFailed { .. }
            | Event::ServerCrashed { .. }
            | Event::ResetFailed { .. }
            | Event::WorkerFailed { .. }
            | Event::Stopping(_) => self.0.report(event),
            _ => {}
        }
    }
}

fn first_failure_line(run: u64, label: &str, seed: u64) -> String {
    format!("first failure: run {run} (seed {seed}): {label}")
}

/// The final report (stdout): one block per entry, then the first failure.
fn report(tally: &Tally, seed: u64, what: &str) -> String {
    let mut out = String::new();
    for entry in &tally.entries {
        out.push_str(&entry.label);
        out.push('\n');
        out.push_str(&format!(
            "  runs {}, attempts {}, failures {}, flaky passes {}\n",
            entry.runs, entry.attempts, entry.failures, entry.flaky
        ));
        if let Some((lo, hi)) = entry.interval() {
            let rate = entry.failures as f64 / entry.runs.max(1) as f64;
            // Rounded outwards, so the printed interval contains the exact one.
            out.push_str(&format!(
                "  failure rate {:.1}%, 95% Wilson interval {:.1}% to {:.1}%\n",
                rate * 100.0,
                (lo * 1000.0).floor() / 10.0,
                (hi * 1000.0).ceil() / 10.0
            ));
        }
        if !entry.causes.is_empty() {
            let causes: Vec<String> =
                entry.causes.iter().map(|(cause, n)| format!("{cause} ×{n}")).collect();
            out.push_str(&format!("  causes: {}\n", causes.join(", ")));
        }
    }
    match &tally.first_failure {
        Some(first) => {
            out.push_str(&first_failure_line(first.run, &first.label, seed));
            out.push_str(&format!(
                "\nreplay: shakedown hunt --seed {seed} (same {what} and flags)"
            ));
        }
        None => out.push_str(&format!("no failure in {} run(s) (seed {seed})", tally.runs)),
    }
    out
}

/// SIGINT, SIGTERM and SIGHUP, recorded since the process's first instant (see
/// `crate::signals`), so a signal sent at any moment stops the hunt gracefully.
struct Signals(Option<crate::signals::Listener>);

impl Signals {
    /// Starts listening; call inside the runtime's context.
    fn install() -> Signals {
        Signals(crate::signals::Listener::new().ok())
    }

    /// Resolves at the first signal.
    async fn recv(&mut self) {
        match &mut self.0 {
            Some(listener) => {
                listener.recv().await;
            }
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::run_command_line;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_suite_hunt_command_line_becomes_run_s_without_hunt_s_own_flags() {
        let line = words(
            "shakedown hunt s.toml --runs 5 --seed=7 --until-fail --jobs 2 --duration 1m \
             --no-shuffle --shuffle --variable a=--runs -- --seed",
        );
        assert_eq!(
            run_command_line(&line),
            words("shakedown run s.toml --jobs 2 --variable a=--runs -- --seed")
        );
        assert_eq!(run_command_line(&words("shakedown hunt")), words("shakedown run"));
        assert_eq!(run_command_line(&[]), vec![String::new(), "run".to_owned()]);
    }
}
