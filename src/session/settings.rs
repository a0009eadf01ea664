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
    /// The self-contained HTML page (`report::html`).
    Html(PathBuf),
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
    /// Which shard of a split run this is (`run --shard M/N`), for the report's `run.shard`;
    /// the caller has already kept only this shard's scenario files.
    pub shard: Option<crate::report::model::ShardDto>,
    /// A fault plan: a fault proxy in front of the servers it names (`session::faults`).
    pub faults: Option<super::faults::FaultSetup>,
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

/// The run's verdict, the same rule for `test` and `run`: `interrupted`, `flaky`
/// (passed, but some attempt needed a transport retry; also when `--flaky-result fail`
/// turned that into exit code 5), `passed`, `failed` (an assert or a command layer
/// failed), or `error` (something could not be tested), from the combined exit code
/// and the files that ran.
pub fn verdict(code: u8, files: &[FileOutcome]) -> &'static str {
    let any = |outcome: Outcome| files.iter().any(|f| f.outcome == outcome);
    if code == exit_code::INTERRUPTED || any(Outcome::Interrupted) {
        return "interrupted";
    }
    match code {
        exit_code::SUCCESS | exit_code::FLAKY if any(Outcome::Flaky) => "flaky",
        exit_code::SUCCESS => "passed",
        exit_code::ASSERT | exit_code::COMMAND_LAYER | exit_code::FLAKY | exit_code::THRESHOLD => {
            "failed"
        }
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::SystemTime;

    use super::*;

    fn file(outcome: Outcome, file_error: Option<FileError>) -> FileOutcome {
        FileOutcome {
            path: Path::new("a.hurl").to_path_buf(),
            outcome,
            entries: Vec::new(),
            file_error,
            started: SystemTime::now(),
            duration: Duration::ZERO,
            source: String::new(),
        }
    }

    #[test]
    fn flaky_files_exit_zero_unless_told_otherwise() {
        let flaky = file(Outcome::Flaky, None);
        assert_eq!(file_exit_code(&flaky, FlakyResult::Pass), exit_code::SUCCESS);
        assert_eq!(file_exit_code(&flaky, FlakyResult::Fail), exit_code::FLAKY);
        let unreadable = file(Outcome::Error, Some(FileError::Unreadable(String::new())));
        assert_eq!(file_exit_code(&unreadable, FlakyResult::Pass), exit_code::RUNTIME);
    }

    /// The verdict agrees with the worst file outcome wherever only files decide.
    #[test]
    fn the_verdict_of_files_is_their_worst_outcome() {
        let outcomes =
            [Outcome::Passed, Outcome::Flaky, Outcome::Failed, Outcome::Error, Outcome::Skipped];
        for flaky_result in [FlakyResult::Pass, FlakyResult::Fail] {
            for a in outcomes {
                for b in outcomes {
                    let files = [file(a, None), file(b, None)];
                    let code =
                        exit_code::combine(files.iter().map(|f| file_exit_code(f, flaky_result)));
                    let worst = match a.worst(b) {
                        Outcome::Skipped => Outcome::Passed,
                        worst => worst,
                    };
                    assert_eq!(verdict(code, &files), worst.as_str(), "{a:?} {b:?}");
                }
            }
        }
        assert_eq!(verdict(exit_code::COMMAND_LAYER, &[]), "failed");
        assert_eq!(verdict(exit_code::INTERRUPTED, &[]), "interrupted");
    }
}
