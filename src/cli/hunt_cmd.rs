//! `shakedown hunt`: repeat .hurl files in a seeded shuffled order to catch intermittent
//! failures; prints, per entry, the failure rate with its 95% Wilson interval and the
//! diagnosed causes, and the run and seed that replay the first failure.
//!
//! The flags of `test` are validated by `test_settings::prepare`; the files are run by
//! [`crate::session::hunt_files`] on one current-thread runtime and tallied by `crate::hunt`
//! (which also words the report); SIGINT/SIGTERM/SIGHUP stop the hunt and what was
//! gathered is printed.
//!
//! A suite (`hunt SUITE.toml`) goes through the suite engine instead (`hunt_suite`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cli::args::HuntArgs;
use crate::cli::edge::duration_flag;
use crate::cli::files::{ReadError, read_text};
use crate::cli::output::{Printer, UsageError, redact};
use crate::cli::test_settings;
use crate::exit_code;
use crate::hunt::{Tally, first_failure_line, report};
use crate::scenario::ast::DurationUnit;
use crate::session::{FileHunt, HuntEnding, Repeat, hunt_files};

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
            [suite] if args.test.glob.is_empty() => {
                super::hunt_suite::suite_hunt(args, suite, command_line, printer)
            }
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
    let ending = (done.ending, clock.elapsed());
    conclude(ending, &tally, &repeat, "files", &done.secrets, done.code, printer)
}

/// The end of a hunt: how long and how it ended, then the tally on stdout; the exit code.
pub(super) fn conclude(
    (ending, elapsed): (HuntEnding, Duration),
    tally: &Tally,
    repeat: &Repeat,
    what: &str,
    secrets: &[String],
    code: u8,
    printer: &mut Printer,
) -> u8 {
    let ended = match ending {
        HuntEnding::Finished => String::new(),
        HuntEnding::Duration => {
            format!(" (stopped: --duration {} s reached)", repeat.duration.as_secs())
        }
        // A files hunt has always said only that.
        HuntEnding::Interrupted(_) if what == "files" => " (interrupted)".to_owned(),
        HuntEnding::Interrupted(name) => format!(" (interrupted by {name})"),
    };
    let elapsed = elapsed.as_secs_f64();
    printer.err(&format!("hunt: {} run(s) in {elapsed:.1} s{ended}", tally.runs));
    printer.out(&redact(&report(tally, repeat.seed, what), secrets));
    match ending {
        HuntEnding::Interrupted(_) => exit_code::combine([code, exit_code::INTERRUPTED]),
        _ => code,
    }
}

/// `--runs`, `--duration`, `--seed` and the order, validated.
pub(super) fn repeat(args: &HuntArgs) -> Result<Repeat, UsageError> {
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
