//! Load against a suite's servers: a load layer under `shakedown run` ([`Session::load_layer`]),
//! and `shakedown load shakedown.toml` ([`Session::start_for_load`], then the caller's engine
//! run, then [`LoadSignals::stop_servers`]). Servers start, are watched and stop exactly as for a
//! scenario layer; the load itself is `load::engine`, on its own threads.
//!
//! A load layer passes when every threshold holds (assert failures and transport errors are
//! counted, never fatal, as in `shakedown load`); its `shakedown.load/v1` result is in the layer's
//! record (the report's `layers[].load`) and in `load-NAME.json` in the run folder.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::exit_code;
use crate::load::engine::{self, Live, LoadObserver, RunOutcome, Script};
use crate::load::result::{LoadFaults, LoadResult};
use crate::load::shard::Shard;
use crate::load::summary::{RunDescription, judge, layer_outcome};
use crate::runner::execute::RunSettings;
use crate::suite::{Isolation, LayerKind, LoadDef};
use crate::transport::client::ClientSettings;

use super::engine::{Session, SignalWatch, listen_for_signals};
use super::event::Event;
use super::files::write_atomically;
use super::load::ScenarioFile;
use super::report::LayerRecord;
use super::servers::StartError;

/// What `shakedown load` on a suite runs once the servers are up.
pub struct LoadTarget {
    /// The runner's settings against the started servers (`base_url`, `port`, `NAME_url`, ...).
    pub settings: RunSettings,
    /// The files to iterate, parsed once.
    pub scripts: Vec<Script>,
}

/// SIGINT, SIGTERM and SIGHUP while `shakedown load` runs on a suite: the first sets `stop`
/// (the engine stops starting iterations), a second one skips the servers' stop grace.
pub struct LoadSignals {
    /// Set by the first signal.
    pub stop: Arc<AtomicBool>,
    rx: watch::Receiver<(u32, &'static str)>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl LoadSignals {
    /// The first signal's name, if one came.
    pub fn interrupted_by(&self) -> Option<&'static str> {
        let (n, name) = *self.rx.borrow();
        (n > 0).then_some(name)
    }

    /// Stops every server the session started, in reverse start order, and the signal tasks.
    pub async fn stop_servers(self, session: &Arc<Session>) {
        let hurry = || {
            let mut rx = self.rx.clone();
            async move {
                let _ = rx.wait_for(|(n, _)| *n >= 2).await;
            }
        };
        session.stop_all(hurry).await;
        session.stop_proxies();
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Turns parsed scenario files into the load engine's scripts (named per entry).
fn scripts(files: &[ScenarioFile]) -> Vec<Script> {
    files
        .iter()
        .map(|f| Script::new(f.path.clone(), (*f.file).clone(), f.source.to_string()))
        .collect()
}

/// A load layer's live numbers, as events ([`Event::LoadProgress`]: the live display shows
/// them; the plain terminal prints only the summary at the end).
struct Progress {
    session: Arc<Session>,
    layer: String,
}

impl LoadObserver for Progress {
    fn tick(&mut self, live: &Live) {
        self.session.emit(Event::LoadProgress { layer: &self.layer, live });
    }
}

/// Sets the stop flag when dropped: a load layer whose future is dropped (the run was
/// interrupted, or passed its deadline) stops its engine thread from starting iterations.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Session {
    /// Starts every server a scenario layer would (the named ones, then the main one).
    async fn start_all(&self) -> Result<super::servers::Endpoint, StartError> {
        let kind = LayerKind::Scenarios {
            globs: Vec::new(),
            isolation: Isolation::Shared,
            reset: None,
            load: None,
        };
        self.start_needed(&kind).await?;
        let (_, endpoint) = self.ensure_main().await?;
        Ok(endpoint)
    }

    /// The runner's settings for load against `main`: no crash watch and no in-flight
    /// observer per iteration (the load aggregates, it keeps no file).
    fn load_settings(&self, main: &super::servers::Endpoint) -> RunSettings {
        RunSettings {
            variables: self.variables_for(main),
            server_watch: None,
            observer: None,
            ..self.settings.base.clone()
        }
    }

    /// `shakedown load SUITE`: handles the signals from now on, starts the suite's servers
    /// and returns what the engine runs (the `[load]` table's files, or every scenario
    /// layer's). The caller runs the engine with `signals.stop`, then stops the servers with
    /// [`LoadSignals::stop_servers`], whatever happened.
    pub async fn start_for_load(
        self: &Arc<Self>,
        signals: SignalWatch,
    ) -> (LoadSignals, Result<LoadTarget, StartError>) {
        let (tx, rx) = watch::channel::<(u32, &'static str)>((0, ""));
        let stop = Arc::new(AtomicBool::new(false));
        let listener = tokio::spawn(listen_for_signals(signals.0, tx));
        let setter = {
            let (stop, mut rx) = (stop.clone(), rx.clone());
            tokio::spawn(async move {
                let _ = rx.wait_for(|(n, _)| *n >= 1).await;
                stop.store(true, Ordering::SeqCst);
            })
        };
        let signals = LoadSignals { stop, rx, tasks: vec![listener, setter] };
        self.emit(Event::LoadStarted { run_dir: &self.settings.run_dir });
        // Before anything starts: a SIGKILL from now on leaves a report marked partial.
        self.checkpoint();
        let mut rx = signals.rx.clone();
        let started = tokio::select! {
            started = self.start_all() => started,
            _ = rx.wait_for(|(n, _)| *n >= 1) => return (signals, Err(StartError::Interrupted)),
        };
        let target = started.map(|main| LoadTarget {
            settings: self.load_settings(&main),
            scripts: scripts(&self.load_files),
        });
        (signals, target)
    }

    /// Runs a load layer against the shared servers (started if needed): the engine on a
    /// blocking thread, its thresholds judged, its result recorded and written.
    pub(super) async fn load_layer(
        self: &Arc<Self>,
        name: &str,
        index: usize,
        def: &LoadDef,
    ) -> LayerRecord {
        let clock = Instant::now();
        let files = self.files.get(index).cloned().unwrap_or_default();
        let mut record = LayerRecord::starting(name, "load");
        let main = match self.ensure_main().await {
            Ok((_, main)) => main,
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
        };
        // Under `run --shard M/N` this shard runs its fraction of the load (VUs and rate
        // split so the shards sum), and `merge` adds the shards' results up.
        let shard = self.settings.shard.as_ref().map(|s| Shard { index: s.index, total: s.total });
        let plan = match def.options().plan() {
            Ok(plan) => match shard {
                Some(shard) => plan.for_shard(shard),
                None => plan,
            },
            Err(e) => {
                // `suite` checked the options: this is a bug, reported, never a panic.
                self.record_code(exit_code::RUNTIME);
                record.outcome = "error".to_owned();
                record.note = Some(format!("invalid load options: {e}"));
                record.duration = clock.elapsed();
                return record;
            }
        };
        let settings = self.load_settings(&main);
        let scripts = scripts(&files);
        let paths: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let guard = StopOnDrop(stop.clone());
        let run_plan = plan.clone();
        let mut progress = Progress { session: self.clone(), layer: name.to_owned() };
        let ran = tokio::task::spawn_blocking(move || {
            engine::run_until(
                &run_plan,
                scripts,
                settings,
                &ClientSettings::default(),
                &mut progress,
                Duration::from_secs(1),
                1,
                stop,
            )
        })
        .await;
        drop(guard);
        record.files = paths;
        let outcome: RunOutcome = match ran {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => return self.load_failed(record, clock, &e.to_string()),
            Err(e) => {
                return self.load_failed(record, clock, &format!("the load thread failed: {e}"));
            }
        };
        let files: Vec<String> = record.files.iter().map(|p| p.display().to_string()).collect();
        let run = RunDescription {
            model: plan.describe(),
            shard,
            files: &files,
            thresholds: def.thresholds(),
        };
        let result = judge(&run, &outcome);
        let path = self.settings.run_dir.join(format!("load-{name}.json"));
        match serde_json::to_string_pretty(&result) {
            Ok(text) => {
                let text = (self.redact)(&text);
                if let Err(e) = write_atomically(&path, format!("{text}\n").as_bytes()) {
                    record.note = Some(format!("cannot write {}: {e}", path.display()));
                    self.record_code(exit_code::RUNTIME);
                }
            }
            Err(e) => {
                record.note = Some(format!("cannot serialize the load result: {e}"));
                self.record_code(exit_code::RUNTIME);
            }
        }
        self.emit(Event::LoadFinished { layer: name, result: &result, path: &path });
        if let (ended @ ("interrupted" | "failed"), why) = layer_outcome(&result) {
            record.outcome = ended.to_owned();
            if let Some(why) = why {
                record.note.get_or_insert(why);
            }
            if ended == "failed" {
                self.record_code(exit_code::THRESHOLD);
            }
        }
        record.load = Some(Box::new(result));
        record.duration = clock.elapsed();
        record
    }

    /// `shakedown load SUITE`, after the servers stopped: the fault plan the load ran under and
    /// what its proxies injected, counted (`None` without a plan).
    pub fn load_faults(&self) -> Option<LoadFaults> {
        let setup = self.settings.faults.as_ref()?;
        let proxies = self.proxies.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let mut faults = LoadFaults {
            seed: setup.seed,
            source: setup.source.clone(),
            plan: setup.plan.plan().faults().iter().map(ToString::to_string).collect(),
            ..LoadFaults::default()
        };
        for fronted in &proxies {
            let log = fronted.control.log();
            faults.connections += fronted.control.connections();
            faults.log_dropped += log.dropped;
            for record in &log.records {
                *faults.injected.entry(record.kind.to_owned()).or_default() += 1;
            }
        }
        Some(faults)
    }

    /// `shakedown load SUITE`, at the end: the run's `report.json` in the run folder, with the
    /// load as its one layer (`load`, kind `load`, the result in `layers[].load`), as a load
    /// layer under `shakedown run` is reported. `code` is the load's exit code so far.
    pub fn finish_load(&self, result: &LoadResult, code: u8) -> Result<PathBuf, String> {
        let mut record = LayerRecord::starting("load", "load");
        record.started = chrono::DateTime::parse_from_rfc3339(&result.started)
            .map(std::time::SystemTime::from)
            .unwrap_or(record.started);
        record.duration = Duration::from_millis(result.elapsed_ms);
        record.files = result.files.iter().map(PathBuf::from).collect();
        let crossed = result.threshold_results.iter().filter(|v| !v.passed).count();
        if result.interrupted {
            record.outcome = "interrupted".to_owned();
            record.note = Some("the load was interrupted".to_owned());
        } else if crossed > 0 {
            record.outcome = "failed".to_owned();
            record.note = Some(format!("{crossed} threshold(s) crossed"));
        }
        record.load = Some(Box::new(result.clone()));
        self.progress().layers.push(record);
        let outcome = super::settings::verdict(code, &[]);
        let bytes = self.report_json(result.interrupted, outcome, false);
        let path = self.settings.run_dir.join("report.json");
        write_atomically(&path, &bytes)
            .map(|()| path.clone())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn load_failed(&self, mut record: LayerRecord, clock: Instant, why: &str) -> LayerRecord {
        let message = format!("error: layer {}: {why}", record.name);
        self.emit(Event::WorkerFailed { message: &message });
        self.record_code(exit_code::RUNTIME);
        record.outcome = "error".to_owned();
        record.note = Some(why.to_owned());
        record.duration = clock.elapsed();
        record
    }
}
