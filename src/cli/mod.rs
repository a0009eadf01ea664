//! The command line: parses arguments, runs the command, prints, picks the exit code.
//!
//! **Architecture invariant:** only `cli` prints or exits. Library modules return
//! values and typed errors; they are rendered here, once, for people.

mod args;
mod check_cmd;
mod check_suite;
mod definitions;
mod edge;
mod explain_cmd;
mod fault_plan;
mod files;
mod hunt_cmd;
mod live;
mod load_cmd;
mod merge_cmd;
mod output;
mod proxy_cmd;
mod reproduce;
mod run_cmd;
mod terminal;
mod test_cmd;
mod test_reports;
mod test_settings;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

/// Runs `shakedown` with the process's arguments; `signals` is how installing the
/// signal handlers first thing in `main` went (see [`crate::signals`]).
pub fn main(signals: std::io::Result<()>) -> ExitCode {
    let command_line: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&command_line) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                crate::exit_code::USAGE
            } else {
                crate::exit_code::SUCCESS
            };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    if let Err(e) = signals {
        output::Printer::new(None)
            .err(&format!("warning: cannot handle SIGINT, SIGTERM and SIGHUP early: {e}"));
    }
    if !handles_signals(&cli.command) {
        // No graceful stop of its own: a signal recorded so far, or any later one, kills
        // the process by its default action, as it would without handlers.
        crate::signals::restore_default();
    }
    let code = match &cli.command {
        Command::Test(args) => {
            let mut printer = output::Printer::new(args.colors.choice());
            test_cmd::run(args, &command_line, &mut printer)
        }
        Command::Check(args) => {
            let mut printer = output::Printer::new(args.colors.choice());
            check_cmd::run(args, &mut printer)
        }
        Command::Run(args) => {
            let mut printer = output::Printer::new(args.colors.choice());
            run_cmd::run(args, &command_line, &mut printer)
        }
        Command::Hunt(args) => {
            let test = &args.test;
            let mut printer = output::Printer::new(test.colors.choice());
            hunt_cmd::run(args, &command_line, &mut printer)
        }
        Command::Explain(args) => {
            let mut printer = output::Printer::new(None);
            explain_cmd::run(args, &mut printer)
        }
        Command::Proxy(args) => proxy_cmd::run(args, &mut output::Printer::new(None)),
        Command::Load(args) => {
            let mut printer = output::Printer::new(args.colors.choice());
            load_cmd::run(args, &mut printer)
        }
        Command::Merge(args) => {
            let mut printer = output::Printer::new(args.colors.choice());
            merge_cmd::run(args, &mut printer)
        }
        Command::Completions(args) => {
            let mut command = <args::Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut command, "shakedown", &mut script);
            output::Printer::new(Some(false)).out_bytes(&script);
            crate::exit_code::SUCCESS
        }
        Command::Man => {
            let command = <args::Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            let mut printer = output::Printer::new(Some(false));
            match clap_mangen::Man::new(command).render(&mut page) {
                Ok(()) => {
                    printer.out_bytes(&page);
                    crate::exit_code::SUCCESS
                }
                Err(e) => {
                    printer.error(&format!("error: cannot render the man page: {e}"));
                    crate::exit_code::RUNTIME
                }
            }
        }
        Command::Supervise(args) => return crate::server::supervise_main(args.rest.clone()),
    };
    // A test pause point (hidden; see `server::pause_before_exit`).
    crate::server::pause_before_exit(code);
    ExitCode::from(code)
}

/// Whether `command` listens to SIGINT/SIGTERM/SIGHUP itself (through
/// [`crate::signals::Listener`]), so a signal recorded before it listens must wait for it.
fn handles_signals(command: &Command) -> bool {
    matches!(command, Command::Run(_) | Command::Hunt(_) | Command::Load(_) | Command::Proxy(_))
}
