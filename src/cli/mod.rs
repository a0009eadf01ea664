//! The command line: parses arguments, runs the command, prints, picks the exit code.

use std::process::ExitCode;

/// Runs `shakedown` with the process's arguments.
pub fn main() -> ExitCode {
    ExitCode::from(crate::exit_code::SUCCESS)
}
