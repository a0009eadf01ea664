//! `shakedown hunt`: repeat .hurl files in a seeded shuffled order to catch intermittent
//! failures; prints, per entry, the failure rate with its 95% Wilson interval and the
//! diagnosed causes, and the run and seed that replay the first failure.
//!
//! The flags of `test` are validated by `test_settings::prepare`; the files are run by
//! [`crate::session::hunt_files`] on one current-thread runtime and tallied by `crate::hunt`
//! (which also words the report); SIGINT/SIGTERM/SIGHUP stop the hunt and what was
//! gathered is printed.
//!
//! A suite (`hunt SUITE.toml`) goes through the suite engine instead
//! ([`crate::session::Session::hunt`]): the flags are those of `run` (the command line is
//! parsed again as `shakedown run`, less hunt's own flags, and validated by
//! `run_cmd::prepare`), the servers start once and stay up across runs, and each run is
//! every selected layer with each scenario layer's files in a seeded order.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser as _;

use crate::cli::args::HuntArgs;
use crate::cli::edge::duration_flag;
use crate::cli::files::{ReadError, read_text};
use crate::cli::output::{Printer, UsageError, redact};
use crate::cli::run_cmd;
use crate::cli::terminal::{Terminal, print_load_error};
use crate::cli::test_settings;
use crate::exit_code;
use crate::hunt::{Tally, first_failure_line, report};
use crate::scenario::ast::DurationUnit;
use crate::session::setup;
use crate::session::{
    Event, FileHunt, HuntEnding, Repeat, Reporter, RunDone, Session, Stamped, file_exit_code,
    hunt_files, load_suite,
};

/// Runs without `--runs`.
const DEFAULT_RUNS: u64 = 20;
/// The most runs one hunt may ask for.
const MAX_RUNS: u64 = 100_000;
/// The default and longest `--duration`.
const MAX_DURATION: Duration = Duration::from_secs(600);

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
    let (files, prepared, repeat) = match plan(args) {
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
    // Signals recorded since the first instant count from here on (`crate::signals`).
    let mut signals = {
        let _context = runtime.enter();
        crate::signals::Listener::new().ok()
    };
    let seed = repeat.seed;
    let shuffle = if repeat.shuffle { "shuffled" } else { "in the given order" };
    printer.err(&format!(
        "hunt: {} file(s), up to {} run(s) {shuffle}, seed {seed} (replay with --seed {seed})",
        files.len(),
        repeat.runs,
    ));
    let clock = Instant::now();
    let mut tally = Tally::default();
    let hunt = FileHunt {
        files: &files,
        settings: &prepared.settings,
        flaky_result: prepared.flaky_result,
        repeat,
        until_fail: args.until_fail,
    };
    let done =
        runtime.block_on(hunt_files(&hunt, &mut signals, &mut tally, &mut |first, secrets| {
            printer.err(&redact(&first_failure_line(first.run, &first.label, seed), secrets));
        }));
    if let Some(error) = &done.error {
        printer.error(&format!("error: {error}"));
    }
    let ended = match done.ending {
        HuntEnding::Finished => String::new(),
        HuntEnding::Duration => {
            format!(" (stopped: --duration {} s reached)", repeat.duration.as_secs())
        }
        HuntEnding::Interrupted(_) => " (interrupted)".to_owned(),
    };
    let elapsed = clock.elapsed().as_secs_f64();
    printer.err(&format!("hunt: {} run(s) in {elapsed:.1} s{ended}", tally.runs));
    printer.out(&redact(&report(&tally, seed, "files"), &done.secrets));
    match done.ending {
        HuntEnding::Interrupted(_) => exit_code::combine([done.code, exit_code::INTERRUPTED]),
        _ => done.code,
    }
}

/// `--runs`, `--duration`, `--seed` and the order, validated.
fn repeat(args: &HuntArgs) -> Result<Repeat, UsageError> {
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
    if args.test.repeat.is_some() {
        return Err(UsageError("`--repeat` does not apply to hunt: use --runs".to_owned()));
    }
    let seed = args.hunt_seed.unwrap_or_else(rand::random);
    Ok(Repeat { runs, duration, seed, shuffle: !args.no_shuffle })
}

/// A files hunt, validated: the files read once, `test`'s settings, the repetition.
type Plan = (Vec<(PathBuf, String)>, test_settings::Prepared, Repeat);

fn plan(args: &HuntArgs) -> Result<Plan, UsageError> {
    if args.test.files.is_empty() && args.test.glob.is_empty() {
        return Err(UsageError(
            "hunt needs .hurl files or directories, or a suite file, to repeat".to_owned(),
        ));
    }
    let repeat = repeat(args)?;
    if args.test.jobs.is_some_and(|jobs| jobs > 1) {
        return Err(UsageError(
            "`--jobs` above 1 applies to a suite hunt only: .hurl files are hunted one at a time"
                .to_owned(),
        ));
    }
    let prepared = test_settings::prepare(&args.test)?;
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
    Ok((files, prepared, repeat))
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
fn suite_hunt(args: &HuntArgs, suite: &Path, command_line: &[String], printer: &mut Printer) -> u8 {
    let usage = |printer: &mut Printer, message: &str| {
        printer.error(&format!("error: {message}"));
        exit_code::USAGE
    };
    let repeat = match repeat(args) {
        Ok(repeat) => repeat,
        Err(error) => return usage(printer, &error.to_string()),
    };
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
    let (runtime, signals) = match setup::start(threads) {
        Ok(started) => started,
        Err(error) => return run_cmd::setup_failed(&error, printer),
    };
    let loaded = match load_suite(suite) {
        Ok(loaded) => loaded,
        Err(error) => return print_load_error(&error, printer),
    };
    let settings = match run_cmd::prepare(&run_args, &loaded, command_line) {
        Ok(settings) => settings,
        Err(error) => return usage(printer, &error.to_string()),
    };
    if let Err(code) = run_cmd::prepare_run_dir(&settings.run_dir, printer) {
        return code;
    }
    let secrets: Vec<String> = settings.secrets.iter().map(|(_, v)| v.clone()).collect();
    let redactor: crate::session::Redactor = {
        let secrets = secrets.clone();
        Arc::new(move |text: &str| redact(text, &secrets))
    };
    let files: usize =
        settings.layers.iter().filter_map(|&i| loaded.files.get(i)).map(Vec::len).sum();
    let Repeat { runs, duration, seed, shuffle } = repeat;
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
    let elapsed = clock.elapsed().as_secs_f64();
    printer.err(&format!("hunt: {} run(s) in {elapsed:.1} s{ended}", tally.runs));
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
