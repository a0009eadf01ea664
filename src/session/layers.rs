//! The two kinds of layer: a command run to its end (its JUnit file read back), and
//! scenario files on `jobs` worker tasks against the main server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::exit_code;
use crate::report::json;
use crate::runner::execute::{self, FileObserver, FileRun, RunSettings, ServerWatch};
use crate::runner::outcome::{FileOutcome, Outcome};
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::server::{self, LaunchOptions, StopSpec};
use crate::suite::{self, CommandSpec, Isolation, VariableValue};
use crate::transport::client::{Client, ClientSettings};

use super::engine::Session;
use super::event::Event;
use super::inflight::Observer;
use super::load::ScenarioFile;
use super::pool::{self, Queue, Worker};
use super::report::{CommandRecord, LayerRecord, Testcase};
use super::servers::{Endpoint, ServerName, Slot, Watch, render_command, uses_main};
use super::settings::file_exit_code;

/// A command layer without `timeout` and a run without a deadline still end.
const COMMAND_DEFAULT_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// How long a `reset` command may take.
const RESET_TIMEOUT: Duration = Duration::from_secs(300);
/// At most this many log lines of each server stream are attached to one diagnosis.
const LOG_LINES_PER_STREAM: usize = 10;

/// How a command (a layer, a reset) ended.
#[derive(Debug, Default)]
struct CommandResult {
    argv: Vec<String>,
    status: Option<i32>,
    signal: Option<String>,
    timed_out: Option<Duration>,
    error: Option<String>,
    stdout_tail: Vec<String>,
    stderr_tail: Vec<String>,
}

impl CommandResult {
    fn success(&self) -> bool {
        self.status == Some(0) && self.error.is_none() && self.timed_out.is_none()
    }

    fn describe(&self) -> String {
        if let Some(error) = &self.error {
            return error.clone();
        }
        if let Some(timeout) = self.timed_out {
            return format!("timed out after {} s and was stopped", timeout.as_secs_f64());
        }
        match (&self.status, &self.signal) {
            (Some(code), _) => format!("`{}` exited with code {code}", self.argv.join(" ")),
            (None, Some(signal)) => format!("`{}` was killed by {signal}", self.argv.join(" ")),
            (None, None) => format!("`{}` ended with an unknown status", self.argv.join(" ")),
        }
    }
}

/// The shared state of one scenario layer's workers.
struct LayerRun {
    name: String,
    files: Vec<ScenarioFile>,
    crashed: AtomicBool,
    isolation: Isolation,
    reset: Option<CommandSpec>,
    shared: Option<(Slot, Endpoint)>,
}

/// One worker of a scenario layer (a task of the pool).
struct LayerWorker {
    session: Arc<Session>,
    layer: Arc<LayerRun>,
    queue: Arc<Queue>,
    /// The name of the main server this worker starts with `isolation = "restart"`.
    server_name: ServerName,
    /// The named servers, watched for crashes with the main one.
    named: Vec<(String, Slot)>,
    /// No file has run on this worker yet (no reset before its first file).
    first: bool,
}

impl Worker for LayerWorker {
    type Output = Box<FileRun>;

    async fn run(&mut self, index: usize) -> Option<Box<FileRun>> {
        let session = self.session.clone();
        session.run_one(self, index).await
    }
}

impl Session {
    pub(super) async fn command_layer(
        &self,
        name: &str,
        command: &CommandSpec,
        timeout: Option<Duration>,
        junit_path: Option<&suite::Spanned<PathBuf>>,
    ) -> LayerRecord {
        let clock = Instant::now();
        let mut record = LayerRecord::starting(name, "command");
        let main = if uses_main(command) {
            match self.ensure_main().await {
                Ok((_, endpoint)) => Some(endpoint),
                Err(error) => {
                    self.emit(Event::ServerFailed(&error));
                    self.record_code(exit_code::RUNTIME);
                    self.progress().start_failed = true;
                    record.outcome = "error".to_owned();
                    record.note = Some("the main server did not start".to_owned());
                    return record;
                }
            }
        } else {
            None
        };
        if let Some(path) = junit_path {
            let _ = std::fs::remove_file(path.get_ref());
        }
        let timeout = timeout.unwrap_or(COMMAND_DEFAULT_TIMEOUT);
        let result =
            self.run_command(&format!("layer-{name}"), command, main.as_ref(), timeout).await;
        let mut code = exit_code::SUCCESS;
        let run_dir = &self.settings.run_dir;
        let mut command_record = CommandRecord {
            argv: result.argv.clone(),
            exit_code: result.status,
            signal: result.signal.clone(),
            timed_out: result.timed_out,
            error: result.error.clone(),
            stdout_log: run_dir.join(format!("layer-{name}.stdout.log")),
            stderr_log: run_dir.join(format!("layer-{name}.stderr.log")),
            junit: junit_path.map(|p| p.get_ref().clone()),
            junit_error: None,
            testcases: Vec::new(),
            description: None,
            stderr_tail: result.stderr_tail.clone(),
        };
        if !result.success() {
            // The argv may hold a `--secret` value: the description is redacted too.
            let description = (self.redact)(&result.describe());
            command_record.description = Some(description.clone());
            self.emit(Event::CommandFailed {
                layer: name,
                description: &description,
                stdout_tail: &result.stdout_tail,
                stderr_tail: &result.stderr_tail,
            });
            code = exit_code::COMMAND_LAYER;
            record.outcome = "failed".to_owned();
        }
        if let Some(path) = junit_path {
            match read_junit(path.get_ref()) {
                Ok(cases) => {
                    let failed = cases
                        .iter()
                        .filter(|c| c.outcome != "passed" && c.outcome != "skipped")
                        .count();
                    self.emit(Event::JunitRead {
                        layer: name,
                        path: path.get_ref(),
                        cases: cases.len(),
                        failed,
                    });
                    command_record.testcases = cases;
                }
                Err(e) => {
                    self.emit(Event::JunitFailed { layer: name, error: &e });
                    command_record.junit_error = Some(e);
                    code = exit_code::COMMAND_LAYER;
                    record.outcome = "error".to_owned();
                }
            }
        }
        record.command = Some(command_record);
        record.duration = clock.elapsed();
        self.record_code(code);
        record
    }

    /// Runs a command to its end in its own process group (`server::run_command`).
    async fn run_command(
        &self,
        log_name: &str,
        command: &CommandSpec,
        main: Option<&Endpoint>,
        timeout: Duration,
    ) -> CommandResult {
        let mut result = CommandResult::default();
        let named = self.lock_endpoints().clone();
        let port = main.map_or(0, |m| m.port);
        let (argv, env) = match render_command(command, port, main, &named) {
            Ok(rendered) => rendered,
            Err(e) => {
                result.error = Some(e);
                return result;
            }
        };
        result.argv.clone_from(&argv);
        let spec = server::CommandSpec {
            name: log_name.to_owned(),
            argv,
            cwd: command.cwd().get_ref().clone(),
            env,
            timeout,
            stop: StopSpec::default(),
        };
        match server::run_command(
            &spec,
            &self.settings.run_dir,
            &self.secrets,
            &LaunchOptions::default(),
        )
        .await
        {
            Ok(outcome) => {
                result.status = outcome.status;
                result.signal = outcome.signal.map(|s| format!("signal {}", s.number));
                result.timed_out = outcome.timed_out;
                result.stdout_tail = outcome.stdout_tail;
                result.stderr_tail = outcome.stderr_tail;
            }
            Err(e) => result.error = Some(e.to_string()),
        }
        result
    }

    pub(super) async fn scenario_layer(
        self: &Arc<Self>,
        name: &str,
        index: usize,
        isolation: Isolation,
        reset: Option<&CommandSpec>,
    ) -> LayerRecord {
        let clock = Instant::now();
        let files = self.ordered_files(index);
        let mut record = LayerRecord::starting(name, "scenarios");
        let shared = if isolation == Isolation::Shared {
            match self.ensure_main().await {
                Ok(main) => Some(main),
                Err(error) => {
                    self.emit(Event::ServerFailed(&error));
                    self.record_code(exit_code::RUNTIME);
                    self.progress().start_failed = true;
                    record.outcome = "error".to_owned();
                    record.note = Some("the main server did not start".to_owned());
                    record.not_run_files = files.iter().map(|f| f.path.clone()).collect();
                    record.duration = clock.elapsed();
                    return record;
                }
            }
        } else {
            None
        };
        let queue = Arc::new(Queue::new(files.len()));
        let layer = Arc::new(LayerRun {
            name: name.to_owned(),
            files: files.clone(),
            crashed: AtomicBool::new(false),
            isolation,
            reset: reset.cloned(),
            shared,
        });
        let jobs = self.settings.jobs.min(files.len()).max(1);
        let named = self.named_watch();
        let workers: Vec<LayerWorker> = (0..jobs)
            .map(|worker| LayerWorker {
                session: self.clone(),
                layer: layer.clone(),
                queue: queue.clone(),
                server_name: if jobs == 1 {
                    ServerName::Main
                } else {
                    ServerName::Worker(worker + 1)
                },
                named: named.clone(),
                first: true,
            })
            .collect();
        let mut results: Vec<(usize, FileOutcome)> = Vec::new();
        let mut codes = Vec::new();
        let flaky_result = self.settings.flaky_result;
        pool::run_on_tasks(&queue, workers, &mut |index, run: Box<FileRun>| {
            self.in_flight.end(&run.outcome.path);
            self.emit(Event::FileFinished { layer: Some(name), run: &run });
            if let Some(crash) = &run.server_crash {
                self.emit(Event::ServerCrashed { layer: name, description: &crash.description });
            }
            codes.push(file_exit_code(&run.outcome, flaky_result));
            results.push((index, run.outcome.clone()));
            let fragment = self.fragment(&run.outcome);
            let mut progress = self.progress();
            progress.learned.extend(run.learned_idle_limits);
            progress.fragments.push(fragment);
            progress.files.push(run.outcome);
            drop(progress);
            self.checkpoint();
        })
        .await;
        results.sort_by_key(|(i, _)| *i);
        let done: Vec<usize> = results.iter().map(|(i, _)| *i).collect();
        record.files = results.iter().map(|(_, f)| f.path.clone()).collect();
        record.not_run_files = files
            .iter()
            .enumerate()
            .filter(|(i, _)| !done.contains(i))
            .map(|(_, f)| f.path.clone())
            .collect();
        let outcomes: Vec<FileOutcome> = results.into_iter().map(|(_, f)| f).collect();
        let mut outcome = json::run_outcome(&outcomes, false);
        if layer.crashed.load(Ordering::SeqCst) {
            record.note = Some("a server crashed: the files after it were not run".to_owned());
            outcome = Outcome::Error;
        } else if !record.not_run_files.is_empty() && outcome.is_pass() {
            outcome = Outcome::Error;
        }
        if !record.not_run_files.is_empty() && record.note.is_none() {
            record.note =
                Some("stopped early (--fail-fast or a server that did not start)".to_owned());
        }
        record.outcome = outcome.as_str().to_owned();
        let code = exit_code::combine(codes);
        self.record_code(code);
        record.duration = clock.elapsed();
        record
    }

    /// Runs one file of a scenario layer for a worker: the reset or the worker's own
    /// server first, then the file; `None` ends the worker (reported).
    async fn run_one(&self, worker: &mut LayerWorker, index: usize) -> Option<Box<FileRun>> {
        let layer = worker.layer.clone();
        let file = layer.files.get(index)?;
        let (slot, endpoint) = match (&layer.shared, layer.isolation) {
            (Some((slot, endpoint)), _) => {
                if (!worker.first || index > 0)
                    && let Some(reset) = &layer.reset
                    && !self.reset(reset, endpoint).await
                {
                    worker.queue.stop();
                    self.record_code(exit_code::RUNTIME);
                    return None;
                }
                (slot.clone(), endpoint.clone())
            }
            _ => {
                let def = self.suite.server()?;
                match self.start_server(def, &worker.server_name).await {
                    Ok((slot, endpoint)) => (slot.unwrap_or_default(), endpoint),
                    Err(error) => {
                        self.emit(Event::ServerFailed(&error));
                        worker.queue.stop();
                        self.record_code(exit_code::RUNTIME);
                        self.progress().start_failed = true;
                        return None;
                    }
                }
            }
        };
        worker.first = false;
        let mut watched = worker.named.clone();
        watched.push(("main".to_owned(), slot.clone()));
        let observer = Arc::new(Observer {
            in_flight: self.in_flight.clone(),
            reporter: self.reporter.clone(),
            layer: layer.name.clone(),
        });
        let settings =
            self.settings_for(&endpoint, Arc::new(Watch { slots: watched.clone() }), observer);
        self.emit(Event::FileStarted { layer: Some(&layer.name), path: &file.path });
        self.in_flight.start(&file.path, file.source.clone());
        // A client per file, as in `test`: a file's entries share connections, files
        // do not (and a restarted server is never reached over a stale one).
        let run = match Client::new(ClientSettings::default()) {
            Ok(mut client) => {
                execute::run_parsed(
                    &file.path,
                    &file.file,
                    file.source.to_string(),
                    &settings,
                    &mut client,
                    &self.budget,
                )
                .await
            }
            Err(e) => {
                let message = format!("error: cannot create a client: {e}");
                self.emit(Event::WorkerFailed { message: &message });
                worker.queue.stop();
                return None;
            }
        };
        let mut run = run;
        attach_server_logs(&mut run, &watched).await;
        if layer.shared.is_none() {
            self.stop_slot(&slot, std::future::pending()).await;
        }
        if run.server_crash.is_some() {
            layer.crashed.store(true, Ordering::SeqCst);
            worker.queue.stop();
        }
        if self.settings.fail_fast && !run.outcome.outcome.is_pass() {
            worker.queue.stop();
        }
        Some(Box::new(run))
    }

    /// Runs the layer's reset against the main server; `false` (reported) if it failed.
    async fn reset(&self, reset: &CommandSpec, main: &Endpoint) -> bool {
        let result = self.run_command("reset", reset, Some(main), RESET_TIMEOUT).await;
        if !result.success() {
            let description = (self.redact)(&result.describe());
            let tail = result.stderr_tail.len().saturating_sub(10);
            self.emit(Event::ResetFailed {
                description: &description,
                stderr_tail: result.stderr_tail.get(tail..).unwrap_or_default(),
            });
        }
        result.success()
    }

    /// The runner's settings for one file against `main`.
    fn settings_for(
        &self,
        main: &Endpoint,
        watch: Arc<dyn ServerWatch>,
        observer: Arc<dyn FileObserver>,
    ) -> RunSettings {
        RunSettings {
            variables: self.variables_for(main),
            server_watch: Some(watch),
            observer: Some(observer),
            ..self.settings.base.clone()
        }
    }

    /// The variables of a file run against `main`: the suite's, the servers' addresses
    /// (`base_url`, `port`, `NAME_url`, `NAME_port`), then the command line's and secrets.
    pub(super) fn variables_for(&self, main: &Endpoint) -> Variables {
        let mut variables = Variables::default();
        for variable in self.suite.variables() {
            let value = match &variable.value {
                VariableValue::String(s) => Value::String(s.clone()),
                VariableValue::Integer(n) => Value::Integer(*n),
                VariableValue::Float(f) => Value::Float(*f),
                VariableValue::Bool(b) => Value::Bool(*b),
            };
            variables.insert(variable.name.get_ref().clone(), value);
        }
        variables.insert("base_url", Value::String(main.scenario_url().to_owned()));
        variables.insert("port", Value::Integer(i64::from(main.scenario_port())));
        for (name, endpoint) in self.lock_endpoints().iter() {
            variables
                .insert(format!("{name}_url"), Value::String(endpoint.scenario_url().to_owned()));
            variables.insert(
                format!("{name}_port"),
                Value::Integer(i64::from(endpoint.scenario_port())),
            );
        }
        for (name, value) in &self.settings.cli_variables {
            variables.insert(name.clone(), value.clone());
        }
        for (name, value) in &self.settings.secrets {
            variables.insert_secret(name.clone(), Value::String(value.clone()));
        }
        variables
    }
}

/// Reads a JUnit XML file's test cases.
fn read_junit(path: &Path) -> Result<Vec<Testcase>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("the JUnit file {} was not written: {e}", path.display()))?;
    let document = roxmltree::Document::parse(&text)
        .map_err(|e| format!("the JUnit file {} does not parse: {e}", path.display()))?;
    let cases = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            let child = |tag: &str| n.children().find(|c| c.has_tag_name(tag));
            let (outcome, message) = if let Some(c) = child("failure") {
                ("failed", c.attribute("message").map(str::to_owned))
            } else if let Some(c) = child("error") {
                ("error", c.attribute("message").map(str::to_owned))
            } else if child("skipped").is_some() {
                ("skipped", None)
            } else {
                ("passed", None)
            };
            Testcase {
                name: n.attribute("name").unwrap_or_default().to_owned(),
                classname: n.attribute("classname").map(str::to_owned),
                time_s: n.attribute("time").and_then(|t| t.parse().ok()),
                outcome,
                message,
            }
        })
        .collect();
    Ok(cases)
}

/// Adds to each diagnosis of a file the lines the servers wrote around its attempt: from
/// its start until the next attempt of the file started (or, for the last one, until
/// now), at most [`LOG_LINES_PER_STREAM`] per stream, as evidence. A line is stamped
/// when shakedown reads it, after the server wrote it, so a line the server wrote while
/// handling the attempt is never stamped before the attempt started.
async fn attach_server_logs(run: &mut FileRun, servers: &[(String, Slot)]) {
    let attempts = || {
        run.outcome
            .entries
            .iter()
            .flat_map(|e| &e.iterations)
            .flat_map(|i| &i.polls)
            .flat_map(|p| &p.attempts)
    };
    if attempts().all(|a| a.diagnoses.is_empty()) {
        return;
    }
    let starts: Vec<std::time::SystemTime> = attempts().map(|a| a.started).collect();
    let mut logs = Vec::new();
    for (name, slot) in servers {
        if let Some(handle) = slot.lock().await.as_ref() {
            logs.push((name.clone(), handle.logs()));
        }
    }
    let all = run
        .outcome
        .entries
        .iter_mut()
        .flat_map(|e| &mut e.iterations)
        .flat_map(|i| &mut i.polls)
        .flat_map(|p| &mut p.attempts);
    for (index, attempt) in all.enumerate() {
        if attempt.diagnoses.is_empty() {
            continue;
        }
        let from = attempt.started;
        let until = starts.get(index + 1).copied();
        let mut lines = Vec::new();
        for (name, logs) in &logs {
            for (stream, log) in [("stdout", &logs.stdout), ("stderr", &logs.stderr)] {
                let around = log
                    .lines
                    .iter()
                    .filter(|l| l.at >= from && until.is_none_or(|until| l.at < until))
                    .take(LOG_LINES_PER_STREAM);
                for line in around {
                    lines.push(format!(
                        "server `{name}` {stream} at {}: {}",
                        server::timestamp(line.at),
                        line.text
                    ));
                }
            }
        }
        for diagnosis in &mut attempt.diagnoses {
            diagnosis.evidence.extend(lines.iter().cloned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_cases_are_read_with_their_outcomes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.xml");
        std::fs::write(
            &path,
            r#"<testsuites><testsuite name="s"><testcase name="a" classname="c" time="0.5"/>
            <testcase name="b"><failure message="boom"/></testcase>
            <testcase name="c"><skipped/></testcase></testsuite></testsuites>"#,
        )
        .unwrap();
        let cases = read_junit(&path).unwrap();
        let outcomes: Vec<_> = cases.iter().map(|c| c.outcome).collect();
        assert_eq!(outcomes, ["passed", "failed", "skipped"]);
        assert_eq!(cases[1].message.as_deref(), Some("boom"));
        assert!(read_junit(&dir.path().join("missing.xml")).is_err());
        std::fs::write(&path, "<testsuite>").unwrap();
        assert!(read_junit(&path).is_err());
    }
}
