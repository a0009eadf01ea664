//! `shakedown hunt SUITE.toml`: the suite engine repeated ([`crate::session::Session::hunt`]).
//! The flags are those of `run` (the command line is parsed again as `shakedown run`, less
//! hunt's own flags, and validated by `run_cmd::prepare`); the servers start once and stay
//! up across runs, and each run is every selected layer with each scenario layer's files
//! in a seeded order. Only what needs attention is printed while it runs (`HuntReporter`);
//! the tally is printed at the end by `hunt_cmd::conclude`.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser as _;

use crate::cli::args::HuntArgs;
use crate::cli::hunt_cmd::{conclude, repeat};
use crate::cli::output::{Printer, redact};
use crate::cli::run_cmd;
use crate::cli::terminal::{Terminal, print_load_error};
use crate::exit_code;
use crate::hunt::{Tally, first_failure_line};
use crate::session::setup;
use crate::session::{
    Event, Repeat, Reporter, RunDone, Session, Stamped, file_exit_code, load_suite,
};

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
pub(super) fn suite_hunt(
    args: &HuntArgs,
    suite: &Path,
    command_line: &[String],
    printer: &mut Printer,
) -> u8 {
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
    let Repeat { runs, seed, shuffle, .. } = repeat;
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
    conclude((ending, clock.elapsed()), &tally, &repeat, "suite", &secrets, code, printer)
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
