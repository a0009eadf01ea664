//! `shakedown hunt`: repeat .hurl files in a seeded shuffled order to catch intermittent
//! failures; prints, per entry, the failure rate with its 95% Wilson interval and the
//! diagnosed causes, and the run and seed that replay the first failure.
//!
//! The flags of `test` are validated by `test_cmd::prepare`; the tally is `crate::hunt`.
//! Files run one at a time, each on a fresh transport client, on one current-thread
//! runtime; SIGINT/SIGTERM stop the hunt and what was gathered is printed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cli::args::HuntArgs;
use crate::cli::files::{ReadError, read_text};
use crate::cli::output::{Printer, UsageError, redact};
use crate::cli::test_cmd::{self, duration_flag};
use crate::exit_code;
use crate::hunt::{Rng, Tally, shuffled_order};
use crate::retry::Budget;
use crate::runner::execute;
use crate::scenario::ast::DurationUnit;
use crate::transport::client::{Client, ClientSettings};

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
pub fn run(args: &HuntArgs, printer: &mut Printer) -> u8 {
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
    printer.out(&redact(&report(&tally, plan.seed), &secrets));
    if stop == Stop::Interrupted {
        code = exit_code::combine([code, exit_code::INTERRUPTED]);
    }
    code
}

fn plan(args: &HuntArgs) -> Result<Plan, UsageError> {
    if let Some(suite) = args.test.files.iter().find(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        return Err(UsageError(format!(
            "hunting a suite ({}) is not supported yet: give .hurl files or directories",
            suite.display()
        )));
    }
    if args.test.files.is_empty() && args.test.glob.is_empty() {
        return Err(UsageError("hunt needs .hurl files or directories to repeat".to_owned()));
    }
    if args.test.repeat.is_some() {
        return Err(UsageError("`--repeat` does not apply to hunt: use --runs".to_owned()));
    }
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
    if args.test.jobs.is_some_and(|jobs| jobs > 1) {
        return Err(UsageError(
            "`--jobs` above 1 is not supported by hunt yet: it runs files one at a time".to_owned(),
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
            let file_run = tokio::select! {
                run = execute::run_file(path, source.clone(), settings, &mut client, &budget) => run,
                () = signals.recv() => return Stop::Interrupted,
                () = tokio::time::sleep_until(deadline) => return Stop::Duration,
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

fn first_failure_line(run: u64, label: &str, seed: u64) -> String {
    format!("first failure: run {run} (seed {seed}): {label}")
}

/// The final report (stdout): one block per entry, then the first failure.
fn report(tally: &Tally, seed: u64) -> String {
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
            out.push_str(&format!("\nreplay: shakedown hunt --seed {seed} (same files and flags)"));
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
