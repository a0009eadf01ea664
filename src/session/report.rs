//! The records `shakedown run` keeps of its layers and servers while it runs, and the
//! suite section of the report built from them (`report::suite`, typed).
//!
//! `outcome` is the suite's verdict (a failed command layer makes it `failed`), and
//! `partial` is true when the run was interrupted or passed its deadline. Checkpoints,
//! written after every scenario file and layer, say `"partial": true, "outcome":
//! "interrupted", "checkpoint": true`, which is what they are if the run is killed
//! before it writes the final report (`"checkpoint": false`).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::load::result::LoadResult;
use crate::report::suite::{
    CommandDto, ExitDto, LayerCountsDto, LayerDto, LineDto, LogsDto, ReadyDto, ServerDto, StopDto,
    StreamDto, SuiteDto, SuiteSection, TestcaseDto,
};
use crate::server::{ExitReport, ServerHandle, ServerLogs, StreamLog, timestamp};

/// One layer as run (or not run).
#[derive(Clone, Debug)]
pub struct LayerRecord {
    pub name: String,
    pub kind: &'static str,
    /// `passed`, `flaky`, `failed`, `error`, `interrupted` or `not_run`.
    pub outcome: String,
    pub started: SystemTime,
    pub duration: Duration,
    pub files: Vec<PathBuf>,
    pub not_run_files: Vec<PathBuf>,
    pub note: Option<String>,
    pub command: Option<CommandRecord>,
    /// A load layer's result (`shakedown.load/v1`).
    pub load: Option<Box<LoadResult>>,
}

/// How a command layer's process ended.
#[derive(Clone, Debug)]
pub struct CommandRecord {
    pub argv: Vec<String>,
    pub exit_code: Option<i32>,
    pub signal: Option<String>,
    pub timed_out: Option<Duration>,
    pub error: Option<String>,
    pub stdout_log: PathBuf,
    pub stderr_log: PathBuf,
    pub junit: Option<PathBuf>,
    pub junit_error: Option<String>,
    pub testcases: Vec<Testcase>,
    /// What happened, when the command failed (secrets redacted).
    pub description: Option<String>,
    /// The last lines of its stderr.
    pub stderr_tail: Vec<String>,
}

impl LayerRecord {
    /// A layer of this kind that starts now and has passed so far.
    pub fn starting(name: &str, kind: &'static str) -> LayerRecord {
        LayerRecord {
            name: name.to_owned(),
            kind,
            outcome: "passed".to_owned(),
            started: SystemTime::now(),
            duration: Duration::ZERO,
            files: Vec::new(),
            not_run_files: Vec::new(),
            note: None,
            command: None,
            load: None,
        }
    }
}

/// One `<testcase>` of a command layer's JUnit file.
#[derive(Clone, Debug)]
pub struct Testcase {
    pub name: String,
    pub classname: Option<String>,
    pub time_s: Option<f64>,
    /// `passed`, `failed`, `error` or `skipped`.
    pub outcome: &'static str,
    pub message: Option<String>,
}

/// One server: launched (with its pid and logs) or external.
#[derive(Clone, Debug)]
pub struct ServerRecord {
    pub name: String,
    pub external: bool,
    pub url: String,
    pub pid: Option<u32>,
    pub supervised: bool,
    /// Start-up facts; `None` for a server that never started.
    pub ready: Option<ReadyDto>,
    pub logs: Option<ServerLogs>,
    pub exit: Option<ExitDto>,
    /// Why it could not be started (or an external one was not ready).
    pub start_error: Option<String>,
}

impl ServerRecord {
    /// A server just launched and ready.
    pub fn launched(handle: &ServerHandle) -> Self {
        let info = handle.ready_info();
        ServerRecord {
            name: handle.name().to_owned(),
            external: false,
            url: handle.url().unwrap_or_default().to_owned(),
            pid: Some(handle.pid()),
            supervised: handle.is_supervised(),
            ready: Some(ReadyDto {
                startup_ms: millis(info.startup),
                detection_window_ms: Some(millis(info.detection_window)),
                probes: Some(info.probes),
                ready_at: Some(info.ready_at.map(timestamp)),
            }),
            logs: Some(handle.logs()),
            exit: None,
            start_error: None,
        }
    }

    /// An external target that passed its readiness check after `waited`.
    pub fn external(name: &str, url: &str, waited: Duration) -> Self {
        ServerRecord {
            name: name.to_owned(),
            external: true,
            url: url.to_owned(),
            pid: None,
            supervised: false,
            ready: Some(ReadyDto {
                startup_ms: millis(waited),
                detection_window_ms: None,
                probes: None,
                ready_at: None,
            }),
            logs: None,
            exit: None,
            start_error: None,
        }
    }

    /// A server that could not be started, and why (secrets already redacted).
    pub fn failed(name: &str, reason: &str) -> Self {
        ServerRecord {
            name: name.to_owned(),
            external: false,
            url: String::new(),
            pid: None,
            supervised: false,
            ready: None,
            logs: None,
            exit: None,
            start_error: Some(reason.to_owned()),
        }
    }

    /// Records the final logs and how the server ended.
    pub fn finish(&mut self, logs: ServerLogs, report: &ExitReport) {
        self.logs = Some(logs);
        self.exit = Some(ExitDto {
            description: report.to_string(),
            pid: report.pid,
            direct_child: report.direct_child,
            status: report.status,
            signal: report.signal.as_ref().map(|s| s.name.clone()),
            at: timestamp(report.when),
            stop: report.stop.as_ref().map(|s| StopDto {
                signal_sent: s.signal_sent.map(|s| s.name().to_owned()),
                killed: s.killed,
                group_gone: s.group_gone,
                elapsed_ms: millis(s.elapsed),
            }),
        });
    }
}

/// What the suite-level fields are built from.
pub struct SuiteInfo<'a> {
    pub path: &'a Path,
    pub run_dir: &'a Path,
    pub layers: &'a [LayerRecord],
    pub servers: &'a [ServerRecord],
}

impl SuiteInfo<'_> {
    /// The report's suite section; `redact` applies to what a command line may hold.
    pub fn section(&self, checkpoint: bool, redact: &dyn Fn(&str) -> String) -> SuiteSection {
        SuiteSection {
            checkpoint,
            suite: SuiteDto {
                path: self.path.display().to_string(),
                run_dir: self.run_dir.display().to_string(),
            },
            layers: self.layers.iter().map(|l| layer_dto(l, redact)).collect(),
            layer_counts: layer_counts(self.layers),
            servers: self.servers.iter().map(server_dto).collect(),
            faults: None,
        }
    }
}

/// How many layers ended each way (`total` is their sum).
fn layer_counts(layers: &[LayerRecord]) -> LayerCountsDto {
    let count = |outcome: &str| layers.iter().filter(|l| l.outcome == outcome).count();
    LayerCountsDto {
        total: layers.len(),
        passed: count("passed"),
        flaky: count("flaky"),
        failed: count("failed"),
        error: count("error"),
        interrupted: count("interrupted"),
        not_run: count("not_run"),
    }
}

fn layer_dto(layer: &LayerRecord, redact: &dyn Fn(&str) -> String) -> LayerDto {
    let paths = |p: &[PathBuf]| p.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
    let command = layer.command.as_ref();
    LayerDto {
        name: layer.name.clone(),
        kind: layer.kind.to_owned(),
        outcome: layer.outcome.clone(),
        started_at: timestamp(layer.started),
        duration_ms: millis(layer.duration),
        files: paths(&layer.files),
        not_run_files: paths(&layer.not_run_files),
        note: layer.note.clone(),
        command: command.map(|c| CommandDto {
            argv: c.argv.iter().map(|a| redact(a)).collect(),
            exit_code: c.exit_code,
            signal: c.signal.clone(),
            timed_out_ms: c.timed_out.map(millis),
            error: c.error.as_deref().map(redact),
            stdout_log: c.stdout_log.display().to_string(),
            stderr_log: c.stderr_log.display().to_string(),
            junit: c.junit.as_ref().map(|p| p.display().to_string()),
            junit_error: c.junit_error.as_deref().map(redact),
            description: c.description.as_deref().map(redact),
            // The tail goes with a failed command case (docs/json-report.md).
            stderr_tail: if c.description.is_some() || c.junit_error.is_some() {
                c.stderr_tail.iter().map(|line| redact(line)).collect()
            } else {
                Vec::new()
            },
        }),
        testcases: command.map(|c| {
            c.testcases
                .iter()
                .map(|t| TestcaseDto {
                    name: t.name.clone(),
                    classname: t.classname.clone(),
                    time_s: t.time_s,
                    outcome: t.outcome.to_owned(),
                    message: t.message.clone(),
                })
                .collect()
        }),
        load: layer.load.clone(),
    }
}

fn server_dto(server: &ServerRecord) -> ServerDto {
    ServerDto {
        name: server.name.clone(),
        external: server.external,
        url: (!server.url.is_empty()).then(|| server.url.clone()),
        pid: server.pid,
        supervised: server.supervised,
        ready: server.ready.clone(),
        exit: server.exit.clone(),
        start_error: server.start_error.clone(),
        logs: server
            .logs
            .as_ref()
            .map(|l| LogsDto { stdout: stream_dto(&l.stdout), stderr: stream_dto(&l.stderr) }),
    }
}

fn stream_dto(stream: &StreamLog) -> StreamDto {
    StreamDto {
        path: stream.path.display().to_string(),
        lines: stream
            .lines
            .iter()
            .map(|l| LineDto { at: timestamp(l.at), text: l.text.clone() })
            .collect(),
        omitted_lines: stream.omitted_lines,
        omitted_bytes: stream.omitted_bytes,
        write_error: stream.write_error.clone(),
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_redacts_command_lines() {
        let mut layer = LayerRecord::starting("unit", "command");
        layer.command = Some(CommandRecord {
            argv: vec!["run".to_owned(), "s3cret".to_owned()],
            exit_code: Some(1),
            signal: None,
            timed_out: None,
            error: None,
            stdout_log: PathBuf::from("o"),
            stderr_log: PathBuf::from("e"),
            description: None,
            stderr_tail: Vec::new(),
            junit: None,
            junit_error: None,
            testcases: Vec::new(),
        });
        let layers = [layer];
        let info = SuiteInfo {
            path: Path::new("s.toml"),
            run_dir: Path::new("out"),
            layers: &layers,
            servers: &[],
        };
        let section = info.section(false, &|t: &str| t.replace("s3cret", "***"));
        let command = section.layers[0].command.as_ref().unwrap();
        assert_eq!(command.argv, ["run", "***"]);
        assert_eq!(section.layers[0].testcases.as_deref(), Some(&[][..]));
    }
}
