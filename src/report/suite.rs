//! The suite-level part of the JSON report of `shakedown run`, typed: `checkpoint`,
//! `suite`, `layers[]` and `servers[]`, after the fields every report has.
//!
//! `shakedown run` writes the same `shakedown.report/v1` document as `test` (the
//! files, the ledger), with these additive top-level fields:
//!
//! - `suite`: `{ "path", "run_dir" }`;
//! - `layers[]`: `{ "name", "kind": "command"|"scenarios", "outcome", "started_at",
//!   "duration_ms", "files", "not_run_files", "note" }`, and for command layers
//!   `"command": { "argv", "exit_code", "signal", "timed_out_ms", "error",
//!   "stdout_log", "stderr_log", "junit", "junit_error" }` and `"testcases": [{ "name",
//!   "classname", "time_s", "outcome", "message" }]`;
//! - `servers[]`: `{ "name", "external", "url", "pid", "supervised", "ready": {
//!   "startup_ms", "detection_window_ms", "probes", "ready_at" }, "exit", "logs": {
//!   "stdout": { "path", "lines": [{ "at", "text" }], "omitted_lines", "omitted_bytes",
//!   "write_error" }, "stderr": … } }`.
//!
//! Checkpoints, written after every scenario file and layer, say `"partial": true,
//! "outcome": "interrupted", "checkpoint": true`; the final report says
//! `"checkpoint": false`. Every type here reads back (`Deserialize`): a report is
//! also an input (shards merged, `explain`). Field order is the document's order.

use serde::{Deserialize, Serialize};

/// The fields `shakedown run` adds to the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SuiteSection {
    /// `true` in a checkpoint, `false` in the final report.
    pub checkpoint: bool,
    /// The suite file and the run folder.
    pub suite: SuiteDto,
    /// The layers, in order.
    pub layers: Vec<LayerDto>,
    /// How the layers ended (`totals.layers` in the document).
    #[serde(default)]
    pub layer_counts: LayerCountsDto,
    /// The servers, in start order.
    pub servers: Vec<ServerDto>,
    /// With a fault plan: every injected fault and what became of it (`report::faults`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<crate::report::faults::FaultsSection>,
}

/// `totals.layers`: how many layers ended each way; `total` is their sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerCountsDto {
    /// Layers in the suite (the selected ones).
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Passed after a transport retry.
    pub flaky: usize,
    /// Failed (an assert, or a command layer's command).
    pub failed: usize,
    /// Could not be tested.
    pub error: usize,
    /// Cut short by a signal or the deadline.
    pub interrupted: usize,
    /// Not run.
    pub not_run: usize,
}

/// `suite`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SuiteDto {
    /// The suite file as given.
    pub path: String,
    /// This run's folder.
    pub run_dir: String,
}

/// One element of `layers[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerDto {
    /// The layer's name.
    pub name: String,
    /// `command` or `scenarios`.
    pub kind: String,
    /// `passed`, `flaky`, `failed`, `error`, `interrupted` or `not_run`.
    pub outcome: String,
    /// RFC 3339, milliseconds.
    pub started_at: String,
    /// Milliseconds, microsecond precision.
    pub duration_ms: f64,
    /// The scenario files that ran.
    pub files: Vec<String>,
    /// The scenario files that did not run.
    pub not_run_files: Vec<String>,
    /// Why the layer ended as it did, when that needs saying.
    pub note: Option<String>,
    /// A command layer's command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandDto>,
    /// A command layer's JUnit test cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testcases: Option<Vec<TestcaseDto>>,
    /// A load layer's result: the `shakedown.load/v1` document (also `load-NAME.json` in the
    /// run folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<Box<crate::load::result::LoadResult>>,
}

/// A command layer's `command`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandDto {
    /// The argv run (placeholders rendered).
    pub argv: Vec<String>,
    /// Its exit code, when it exited by itself.
    pub exit_code: Option<i32>,
    /// The signal that ended it, e.g. `signal 9`.
    pub signal: Option<String>,
    /// Set when the layer's timeout stopped it.
    pub timed_out_ms: Option<f64>,
    /// Why it could not run at all.
    pub error: Option<String>,
    /// The stdout log file.
    pub stdout_log: String,
    /// The stderr log file.
    pub stderr_log: String,
    /// The JUnit file the layer names.
    pub junit: Option<String>,
    /// Why that file could not be read.
    pub junit_error: Option<String>,
    /// What happened, when the command failed (secrets redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The last lines of its stderr, when it failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stderr_tail: Vec<String>,
}

/// One `<testcase>` of a command layer's JUnit file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestcaseDto {
    /// Its name.
    pub name: String,
    /// Its class name.
    pub classname: Option<String>,
    /// Its time in seconds.
    pub time_s: Option<f64>,
    /// `passed`, `failed`, `error` or `skipped`.
    pub outcome: String,
    /// The failure's or error's message.
    pub message: Option<String>,
}

/// One element of `servers[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerDto {
    /// `main`, `main-wN` or the `[servers.NAME]` name.
    pub name: String,
    /// An external target (only probed).
    pub external: bool,
    /// Its base URL (`null` when it never started).
    pub url: Option<String>,
    /// A launched server's pid (also its process group).
    pub pid: Option<u32>,
    /// Whether an orphan supervisor watched it.
    pub supervised: bool,
    /// Start-up facts (`null` when it never started).
    pub ready: Option<ReadyDto>,
    /// How it ended (`null` while it runs).
    pub exit: Option<ExitDto>,
    /// Why it could not be started, with the last lines of its stderr (or why an
    /// external one was not ready).
    #[serde(default)]
    pub start_error: Option<String>,
    /// What its output was, for a launched server.
    pub logs: Option<LogsDto>,
}

/// A server's `ready`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadyDto {
    /// From spawn (or the first probe) to ready.
    pub startup_ms: f64,
    /// An upper bound on the readiness detection latency (launched servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_window_ms: Option<f64>,
    /// Probes run (launched servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes: Option<u32>,
    /// When readiness was seen (launched servers; `null` if unknown).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::report::model::double_option"
    )]
    pub ready_at: Option<Option<String>>,
}

/// A server's `exit`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExitDto {
    /// One line saying how it ended.
    pub description: String,
    /// The process that exited.
    pub pid: u32,
    /// Whether that is the direct child.
    pub direct_child: bool,
    /// Its exit code, if known.
    pub status: Option<i32>,
    /// The signal that ended it, e.g. `SIGKILL`.
    pub signal: Option<String>,
    /// When shakedown saw the exit.
    pub at: String,
    /// How the stop went, when shakedown stopped it.
    pub stop: Option<StopDto>,
}

/// How a stop went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopDto {
    /// The stop signal sent, `null` if the group was already gone.
    pub signal_sent: Option<String>,
    /// Whether SIGKILL was needed.
    pub killed: bool,
    /// Whether the group was verified empty afterwards.
    pub group_gone: bool,
    /// How long the stop took.
    pub elapsed_ms: f64,
}

/// A server's `logs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogsDto {
    /// stdout.
    pub stdout: StreamDto,
    /// stderr.
    pub stderr: StreamDto,
}

/// One output stream: its file, and the lines kept in memory (the first MiB and the
/// last 40 lines; the file holds everything).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamDto {
    /// The log file.
    pub path: String,
    /// The lines kept.
    pub lines: Vec<LineDto>,
    /// Lines not kept.
    pub omitted_lines: u64,
    /// Bytes not kept.
    pub omitted_bytes: u64,
    /// Why the log file could not be written, if it could not.
    pub write_error: Option<String>,
}

/// One line of output with the time it was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineDto {
    /// RFC 3339, milliseconds.
    pub at: String,
    /// The line, redacted.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suite_section_reads_back_what_it_writes() {
        let section = SuiteSection {
            faults: None,
            checkpoint: true,
            layer_counts: LayerCountsDto::default(),
            suite: SuiteDto { path: "s.toml".to_owned(), run_dir: "out/run-1".to_owned() },
            layers: vec![LayerDto {
                name: "unit".to_owned(),
                kind: "command".to_owned(),
                outcome: "failed".to_owned(),
                started_at: "2026-01-01T00:00:00.000Z".to_owned(),
                duration_ms: 5.0,
                files: Vec::new(),
                not_run_files: Vec::new(),
                note: None,
                command: Some(CommandDto {
                    argv: vec!["false".to_owned()],
                    exit_code: Some(1),
                    signal: None,
                    timed_out_ms: None,
                    error: None,
                    stdout_log: "a".to_owned(),
                    stderr_log: "b".to_owned(),
                    junit: None,
                    junit_error: None,
                    description: Some("`false` exited with code 1".to_owned()),
                    stderr_tail: vec!["boom".to_owned()],
                }),
                testcases: Some(Vec::new()),
                load: None,
            }],
            servers: vec![ServerDto {
                name: "api".to_owned(),
                external: true,
                url: Some("http://127.0.0.1:1".to_owned()),
                start_error: None,
                pid: None,
                supervised: false,
                ready: Some(ReadyDto {
                    startup_ms: 1.5,
                    detection_window_ms: None,
                    probes: None,
                    ready_at: None,
                }),
                exit: None,
                logs: None,
            }],
        };
        let text = serde_json::to_string(&section).unwrap();
        assert!(!text.contains("detection_window_ms"), "an external server has no probes: {text}");
        let back: SuiteSection = serde_json::from_str(&text).unwrap();
        assert_eq!(back, section);
    }
}
