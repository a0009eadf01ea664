//! `shakedown test`: run .hurl files against a running service, Hurl-compatibly.
//!
//! Parses the flags into validated settings once (`test_settings`), runs the files on
//! the worker pool through `session::Batch` with the terminal reporter on its event
//! stream (under the live status line of `cli::live` on a terminal), then writes the outputs and reports (`test_reports`), prints the summary
//! and returns the exit code.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use crate::cli::args::{ErrorFormat, TestArgs};
use crate::cli::output::{Printer, redact};
use crate::cli::terminal::Terminal;
use crate::cli::test_reports;
use crate::exit_code;
use crate::report::{human, json};
use crate::retry::Budget;
use crate::runner::outcome::FileOutcome;
use crate::session::{self, Batch, FlakyResult, Reporter, file_exit_code};

pub(crate) use crate::cli::test_settings::{Prepared, prepare};

/// Runs `shakedown test`.
pub fn run(args: &TestArgs, command_line: &[String], printer: &mut Printer) -> u8 {
    // Hurl reports an HTTP version its libcurl lacks as a runtime error (exit 3).
    for name in args.unsupported_flags() {
        if let Some(feature) = crate::settings::unsupported::flag(name)
            && feature.flag == crate::settings::unsupported::FlagRule::Runtime
        {
            printer.error(&format!(
                "error: `--{name}` is not supported by shakedown: {}",
                feature.explanation()
            ));
            return exit_code::RUNTIME;
        }
    }
    match prepare(args) {
        Ok(prepared) => execute(args, prepared, command_line, printer),
        Err(error) => {
            printer.error(&format!("error: {error}"));
            exit_code::USAGE
        }
    }
}

fn execute(
    args: &TestArgs,
    prepared: Prepared,
    command_line: &[String],
    printer: &mut Printer,
) -> u8 {
    let started = SystemTime::now();
    let clock = Instant::now();
    let Prepared { files, settings, reports, jobs, flaky_result } = prepared;
    let settings = Arc::new(settings);
    let budget = Arc::new(Budget::default());
    // The terminal reporter; each file's text is redacted with that file's secrets.
    let terminal = Terminal::new(
        printer.style(),
        args.verbose || args.very_verbose,
        args.json,
        Arc::new(str::to_owned),
    )
    .with_long_errors(args.error_format == Some(ErrorFormat::Long));
    // On a terminal, a live status line over the plain lines; piped, the plain lines alone.
    let bar = super::live::wanted().then(super::live::Live::bar);
    let reporter: Box<dyn Reporter> = match &bar {
        Some(bar) => {
            Box::new(super::live::Live::new(terminal, bar.clone()).with_files(files.len()))
        }
        None => Box::new(terminal),
    };
    let reporter = Arc::new(Mutex::new(reporter));
    let batch = Batch { files, settings: settings.clone(), jobs, fail_fast: args.fail_fast };
    let session::BatchOutcome { runs, errors, parsed } = batch.run(&budget, &reporter);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for error in &errors {
        printer.error(&format!("error: {error}"));
    }
    let secrets: Vec<String> = runs.iter().flat_map(|r| r.secrets.iter().cloned()).collect();
    let mut last_run = None;
    let mut outcomes: Vec<FileOutcome> = Vec::with_capacity(runs.len());
    let mut learned = Vec::new();
    for run in runs {
        outcomes.push(run.outcome);
        learned.extend(run.learned_idle_limits);
        last_run = Some((run.last_response, run.cookies));
    }
    let (last_response, cookies) = last_run.unzip();
    let output_failed = test_reports::write_outputs(
        args,
        last_response.flatten().as_ref(),
        cookies.as_ref(),
        &secrets,
        printer,
    );

    let duration = clock.elapsed();
    let totals = human::Totals::of(&outcomes);
    let summary = human::summary(&outcomes, duration, 0, "no file was run", printer.style());
    printer.err(&redact(&summary, &secrets));
    if let Some(warning) = human::flaky_warning(totals.flaky, flaky_result == FlakyResult::Fail) {
        printer.err(&warning);
    }
    if budget.was_exhausted() {
        printer.err(&human::budget_warning(budget.retries(), budget.requests()));
    }

    let mut code = exit_code::combine(outcomes.iter().map(|f| file_exit_code(f, flaky_result)));
    let info = json::RunInfo {
        outcome: session::verdict(code, &outcomes),
        command_line: command_line.iter().map(|a| redact(a, &secrets)).collect(),
        options: json::options_json(&settings),
        policy: json::policy_json(&settings.retry_policy, flaky_result == FlakyResult::Fail),
        started,
        duration,
        learned_idle_limits: json::learned_limits_json(&learned),
        retry_budget: (budget.requests(), budget.retries(), budget.was_exhausted()),
        shard: crate::cli::edge::resolve_shard(&args.shard)
            .ok()
            .flatten()
            .map(|(shard, mode)| shard.report_dto(mode)),
    };
    if output_failed {
        // Hurl: an output file that cannot be written is a runtime error.
        code = exit_code::combine([code, exit_code::RUNTIME]);
    }
    let attempts = settings.retry_policy.max_extra_attempts + 1;
    if !test_reports::write_reports(&reports, &outcomes, &info, attempts, &secrets, printer) {
        code = exit_code::combine([code, exit_code::RUNTIME]);
    }
    // The process exits after this command: the outcome tree and the syntax trees are left
    // to the operating system instead of being freed block by block (tens of thousands of
    // blocks for a file of thousands of entries; bench/README.md, fifth round).
    std::mem::forget(outcomes);
    std::mem::forget(parsed);
    code
}
