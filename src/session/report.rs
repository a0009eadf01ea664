//! The suite-level additions to the JSON report of `shakedown run`.
//!
//! `shakedown run` writes the same `shakedown.report/v1` document as `test` (the
//! files, the ledger, built by `report::json`), with additive top-level fields:
//!
//! - `suite`: `{ "path", "run_dir" }`;
//! - `layers[]`: `{ "name", "kind": "command"|"scenarios", "outcome", "started_at",
//!   "duration_ms", "files", "not_run_files", "note" }`, and for command layers
//!   `"command": { "argv", "exit_code", "signal", "timed_out_ms", "error",
//!   "stdout_log", "stderr_log", "junit", "junit_error" }` and `"testcases": [{ "name",
//!   "classname", "time_s", "outcome", "message" }]`;
//! - `servers[]`: `{ "name", "external", "url", "pid", "supervised", "ready": {
//!   "startup_ms", "detection_window_ms", "probes", "ready_at" }, "exit", "stop",
//!   "logs": { "stdout": { "path", "lines": [{ "at", "text" }], "omitted_lines",
//!   "omitted_bytes" }, "stderr": … } }` (the log lines are those kept in memory: the
//!   first MiB and the last 40 lines; the files hold everything).
//!
//! `outcome` is the suite's verdict (a failed command layer makes it `failed`), and
//! `partial` is true when the run was interrupted or passed its deadline. Checkpoints,
//! written after every scenario file and layer, say `"partial": true, "outcome":
//! "interrupted", "checkpoint": true`, which is what they are if the run is killed
//! before it writes the final report (`"checkpoint": false`).
//! It only adds keys to the document `report::json` writes.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

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
    pub ready: Value,
    pub logs: Option<ServerLogs>,
    pub exit: Option<Value>,
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
            ready: json!({
                "startup_ms": millis(info.startup),
                "detection_window_ms": millis(info.detection_window),
                "probes": info.probes,
                "ready_at": info.ready_at.map(timestamp),
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
            ready: json!({ "startup_ms": millis(waited) }),
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
            ready: Value::Null,
            logs: None,
            exit: None,
            start_error: Some(reason.to_owned()),
        }
    }

    /// Records the final logs and how the server ended.
    pub fn finish(&mut self, logs: ServerLogs, report: &ExitReport) {
        self.logs = Some(logs);
        self.exit = Some(json!({
            "description": report.to_string(),
            "pid": report.pid,
            "direct_child": report.direct_child,
            "status": report.status,
            "signal": report.signal.as_ref().map(|s| s.name.clone()),
            "at": timestamp(report.when),
            "stop": report.stop.as_ref().map(|s| json!({
                "signal_sent": s.signal_sent.map(|s| s.name()),
                "killed": s.killed,
                "group_gone": s.group_gone,
                "elapsed_ms": millis(s.elapsed),
            })),
        }));
    }
}

/// What the suite-level fields are built from.
pub struct SuiteInfo<'a> {
    pub path: &'a Path,
    pub run_dir: &'a Path,
    pub layers: &'a [LayerRecord],
    pub servers: &'a [ServerRecord],
}

/// Adds the suite fields to the document `report::json::write` produced.
pub fn extend(
    document: &[u8],
    suite: &SuiteInfo<'_>,
    partial: bool,
    outcome: Option<&str>,
    checkpoint: bool,
) -> Vec<u8> {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(document) else {
        return document.to_vec();
    };
    if let Some(outcome) = outcome {
        map.insert("outcome".to_owned(), Value::String(outcome.to_owned()));
    }
    map.insert("partial".to_owned(), Value::Bool(partial));
    map.insert("checkpoint".to_owned(), Value::Bool(checkpoint));
    map.insert(
        "suite".to_owned(),
        json!({ "path": suite.path.display().to_string(), "run_dir": suite.run_dir.display().to_string() }),
    );
    map.insert("layers".to_owned(), suite.layers.iter().map(layer_json).collect());
    if let Some(Value::Object(totals)) = map.get_mut("totals") {
        totals.insert("layers".to_owned(), layer_totals(suite.layers));
    }
    map.insert("servers".to_owned(), suite.servers.iter().map(server_json).collect());
    let mut out = serde_json::to_vec_pretty(&Value::Object(map)).unwrap_or_default();
    out.push(b'\n');
    out
}

/// How many layers ended each way (`total` is their sum).
fn layer_totals(layers: &[LayerRecord]) -> Value {
    let mut counts = serde_json::Map::new();
    counts.insert("total".to_owned(), json!(layers.len()));
    for outcome in ["passed", "flaky", "failed", "error", "interrupted", "not_run"] {
        let n = layers.iter().filter(|l| l.outcome == outcome).count();
        counts.insert(outcome.to_owned(), json!(n));
    }
    Value::Object(counts)
}

fn layer_json(layer: &LayerRecord) -> Value {
    let paths = |p: &[PathBuf]| p.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
    let mut value = json!({
        "name": layer.name,
        "kind": layer.kind,
        "outcome": layer.outcome,
        "started_at": timestamp(layer.started),
        "duration_ms": millis(layer.duration),
        "files": paths(&layer.files),
        "not_run_files": paths(&layer.not_run_files),
        "note": layer.note,
    });
    if let (Some(command), Value::Object(map)) = (&layer.command, &mut value) {
        map.insert(
            "command".to_owned(),
            json!({
                "argv": command.argv,
                "exit_code": command.exit_code,
                "signal": command.signal,
                "timed_out_ms": command.timed_out.map(millis),
                "error": command.error,
                "stdout_log": command.stdout_log.display().to_string(),
                "stderr_log": command.stderr_log.display().to_string(),
                "junit": command.junit.as_ref().map(|p| p.display().to_string()),
                "junit_error": command.junit_error,
            }),
        );
        map.insert(
            "testcases".to_owned(),
            command
                .testcases
                .iter()
                .map(|t| {
                    json!({
                        "name": t.name,
                        "classname": t.classname,
                        "time_s": t.time_s,
                        "outcome": t.outcome,
                        "message": t.message,
                    })
                })
                .collect(),
        );
    }
    value
}

fn server_json(server: &ServerRecord) -> Value {
    json!({
        "name": server.name,
        "external": server.external,
        "url": (!server.url.is_empty()).then_some(&server.url),
        "pid": server.pid,
        "supervised": server.supervised,
        "ready": server.ready,
        "exit": server.exit,
        "start_error": server.start_error,
        "logs": server.logs.as_ref().map(|l| json!({
            "stdout": stream_json(&l.stdout),
            "stderr": stream_json(&l.stderr),
        })),
    })
}

fn stream_json(stream: &StreamLog) -> Value {
    json!({
        "path": stream.path.display().to_string(),
        "lines": stream.lines.iter().map(|l| json!({ "at": timestamp(l.at), "text": l.text })).collect::<Vec<_>>(),
        "omitted_lines": stream.omitted_lines,
        "omitted_bytes": stream.omitted_bytes,
        "write_error": stream.write_error,
    })
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_the_document_with_suite_fields() {
        let base =
            br#"{"schema":"shakedown.report/v1","outcome":"passed","partial":false,"files":[]}"#;
        let layers = [LayerRecord {
            name: "unit".to_owned(),
            kind: "command",
            outcome: "failed".to_owned(),
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(5),
            files: Vec::new(),
            not_run_files: Vec::new(),
            note: None,
            command: None,
        }];
        let suite = SuiteInfo {
            path: Path::new("s.toml"),
            run_dir: Path::new("out"),
            layers: &layers,
            servers: &[],
        };
        let out: Value =
            serde_json::from_slice(&extend(base, &suite, true, Some("interrupted"), false))
                .unwrap();
        assert_eq!(out["schema"], "shakedown.report/v1");
        assert_eq!(out["outcome"], "interrupted");
        assert_eq!(out["partial"], true);
        assert_eq!(out["layers"][0]["name"], "unit");
        assert_eq!(out["layers"][0]["duration_ms"], 5.0);
    }
}
