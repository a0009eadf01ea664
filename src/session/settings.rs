//! [`SessionSettings`]: everything decided before anything starts, validated once by
//! the command line; and the one rule from a file's outcome to its exit code.

use std::path::PathBuf;
use std::time::Duration;

use crate::exit_code;
use crate::runner::execute::RunSettings;
use crate::runner::outcome::{FileError, FileOutcome, Outcome};
use crate::runner::value::Value;

/// Whether a flaky pass (a pass that needed a transport retry) counts as a pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlakyResult {
    /// Flaky passes pass (exit 0), with a warning.
    #[default]
    Pass,
    /// Flaky passes fail with exit code 5.
    Fail,
}

/// A report to write at the end of the run, besides the run folder's `report.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportTarget {
    /// JUnit XML.
    Junit(PathBuf),
    /// The JSON report (also checkpointed).
    Json(PathBuf),
}

/// The run's settings, validated at the edge.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// The runner's settings every file starts from (variables are added per file).
    pub base: RunSettings,
    /// `--variable NAME=VALUE`, typed.
    pub cli_variables: Vec<(String, Value)>,
    /// `--secret NAME=VALUE`.
    pub secrets: Vec<(String, String)>,
    /// Worker tasks per scenario layer.
    pub jobs: usize,
    /// How flaky passes count.
    pub flaky_result: FlakyResult,
    /// Reports to write besides `report.json`.
    pub reports: Vec<ReportTarget>,
    /// The selected layers, as indexes into the suite's layers, in order.
    pub layers: Vec<usize>,
    /// The whole run's time limit.
    pub deadline: Option<Duration>,
    /// This run's folder (logs, `report.json`).
    pub run_dir: PathBuf,
    /// Stop a layer's files after the first failure.
    pub fail_fast: bool,
    /// Run the layers after a failed one anyway.
    pub keep_going: bool,
    /// The command line, for the report (redacted by the engine).
    pub command_line: Vec<String>,
}

/// The exit code one file's outcome asks for.
pub fn file_exit_code(file: &FileOutcome, flaky_result: FlakyResult) -> u8 {
    match file.outcome {
        Outcome::Passed | Outcome::Skipped => exit_code::SUCCESS,
        Outcome::Flaky => match flaky_result {
            FlakyResult::Pass => exit_code::SUCCESS,
            FlakyResult::Fail => exit_code::FLAKY,
        },
        Outcome::Failed => exit_code::ASSERT,
        Outcome::Error | Outcome::Interrupted => match file.file_error {
            Some(FileError::Parse(_)) => exit_code::INPUT,
            _ => exit_code::RUNTIME,
        },
    }
}
