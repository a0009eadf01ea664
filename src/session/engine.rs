//! [`Session`]: the run's state, the race of the layers against signals and the
//! deadline, the shutdown, checkpoints and the final [`SuiteOutcome`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Mutex, watch};

use crate::exit_code;
use crate::report::faults::FaultCountsDto;
use crate::report::{html, json, merge};
use crate::retry::Budget;
use crate::runner::outcome::FileOutcome;
use crate::signals::Listener;
use crate::suite::{LayerKind, Suite};

use super::Redactor;
use super::event::{Ending, Event, Reporter};
use super::files::{remove_stale_temporaries, write_atomically};
use super::inflight::InFlight;
use super::load::{LoadedSuite, ScenarioFile};
use super::report::{self, LayerRecord, ServerRecord};
use super::servers::{Endpoint, Slot};
use super::settings::{FlakyResult, ReportTarget, SessionSettings, verdict};

/// The whole run's state.
pub struct Session {
    pub(super) suite: Suite,
    pub(super) suite_path: PathBuf,
    pub(super) files: Vec<Vec<ScenarioFile>>,
    /// What `shakedown load` on the suite iterates.
    pub(super) load_files: Vec<ScenarioFile>,
    pub(super) settings: SessionSettings,
    pub(super) redact: Redactor,
    /// Secret values, for the servers' log files.
    pub(super) secrets: Vec<String>,
    pub(super) command_line: Vec<String>,
    started: SystemTime,
    clock: Instant,
    pub(super) budget: Arc<Budget>,
    /// Every server ever launched (index into `progress.servers`), for the shutdown.
    pub(super) slots: StdMutex<Vec<(usize, Slot)>>,
    /// Named servers' endpoints, in start order.
    pub(super) endpoints: StdMutex<BTreeMap<String, Endpoint>>,
    /// Slots of the named servers (watched for crashes by every scenario layer).
    pub(super) named_slots: StdMutex<Vec<(String, Slot)>>,
    /// The shared main server, once started.
    pub(super) main: Mutex<Option<(Slot, Endpoint)>>,
    pub(super) progress: StdMutex<Progress>,
    pub(super) reporter: Arc<StdMutex<Box<dyn Reporter>>>,
    /// The files running now, with their finished entries.
    pub(super) in_flight: Arc<InFlight>,
    /// The fault proxies started in front of servers (`session::faults`).
    pub(super) proxies: StdMutex<Vec<super::faults::Fronted>>,
    /// Set at the end of the run: the fault proxies stop.
    pub(super) proxy_stop: watch::Sender<bool>,
    /// The `faults` section of the final report, built once when the run ends.
    final_faults: StdMutex<Option<crate::report::faults::FaultsSection>>,
    /// Under `shakedown hunt`: no checkpoints, and this run's order of each scenario
    /// layer's files (by layer index; a layer not in it runs in the suite's order).
    pub(super) hunting: std::sync::atomic::AtomicBool,
    pub(super) order: StdMutex<BTreeMap<usize, Vec<usize>>>,
}

#[derive(Default)]
pub(super) struct Progress {
    /// Idle limits the files' transport clients learned.
    pub(super) learned: Vec<(String, Duration, &'static str)>,
    pub(super) layers: Vec<LayerRecord>,
    pub(super) servers: Vec<ServerRecord>,
    pub(super) files: Vec<FileOutcome>,
    /// Each file's part of the report, rendered (and redacted) once when it finished.
    pub(super) fragments: Vec<json::FileFragment>,
    pub(super) codes: Vec<u8>,
    /// A server could not be started, so the layers after it did not run.
    pub(super) start_failed: bool,
    /// The layer running now (index, wall clock and monotonic start), for an interruption.
    pub(super) current: Option<(usize, SystemTime, Instant)>,
}

/// How the run ended, for the command line to print and to pick the exit code from.
#[derive(Debug)]
pub struct SuiteOutcome {
    /// Why it ended.
    pub ending: Ending,
    /// The exit code, every reason combined.
    pub code: u8,
    /// `passed`, `failed`, `error` or `interrupted`.
    pub verdict: &'static str,
    /// Every file that ran, in the order they finished.
    pub files: Vec<FileOutcome>,
    /// Each layer's name and outcome, in order.
    pub layers: Vec<(String, String)>,
    /// Scenario files of layers that did not run, or stopped before them.
    pub not_run_files: usize,
    /// When no scenario file ran, why (a layer's note, or that no layer has scenarios).
    pub nothing_ran: String,
    /// Per scenario layer, in order: its name and how its files ended
    /// (passed, flaky, failed, errored, not run).
    pub layer_files: Vec<(String, [usize; 5])>,
    /// The run folder's `report.json`.
    pub report_path: PathBuf,
    /// Reports that could not be written.
    pub write_errors: Vec<(PathBuf, std::io::Error)>,
    /// Retries taken, requests started, whether the budget ran out.
    pub budget: (u64, u64, bool),
    /// How flaky passes counted.
    pub flaky_result: FlakyResult,
    /// The run's wall time.
    pub elapsed: Duration,
    /// With a fault plan: how the injected faults ended, and the seed.
    pub faults: Option<(FaultCountsDto, u64)>,
}

impl Session {
    /// A session over `loaded` with `settings`; `redact` hides secrets in everything it
    /// writes, `reporter` receives its events.
    pub fn new(
        loaded: LoadedSuite,
        settings: SessionSettings,
        redact: Redactor,
        reporter: Box<dyn Reporter>,
    ) -> Arc<Self> {
        let mut secrets: Vec<String> = settings.secrets.iter().map(|(_, v)| v.clone()).collect();
        secrets.retain(|s| !s.is_empty());
        let command_line = settings.command_line.iter().map(|a| redact(a)).collect();
        Arc::new(Session {
            suite: loaded.suite,
            suite_path: loaded.path,
            files: loaded.files,
            load_files: loaded.load_files,
            settings,
            redact,
            secrets,
            command_line,
            started: SystemTime::now(),
            clock: Instant::now(),
            budget: Arc::new(Budget::default()),
            slots: StdMutex::new(Vec::new()),
            endpoints: StdMutex::new(BTreeMap::new()),
            named_slots: StdMutex::new(Vec::new()),
            main: Mutex::new(None),
            progress: StdMutex::new(Progress::default()),
            reporter: Arc::new(StdMutex::new(reporter)),
            in_flight: Arc::new(InFlight::default()),
            proxies: StdMutex::new(Vec::new()),
            proxy_stop: watch::Sender::new(false),
            final_faults: StdMutex::new(None),
            hunting: std::sync::atomic::AtomicBool::new(false),
            order: StdMutex::new(BTreeMap::new()),
        })
    }

    /// The run folder.
    pub fn run_dir(&self) -> &std::path::Path {
        &self.settings.run_dir
    }

    /// Sends one event to the reporter.
    pub(super) fn emit(&self, event: Event<'_>) {
        super::event::emit(&self.reporter, event);
    }

    pub(super) fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn record_code(&self, code: u8) {
        self.progress().codes.push(code);
    }

    /// Layer `index`'s scenario files, in this run's order (see `order`).
    pub(super) fn ordered_files(&self, index: usize) -> Vec<ScenarioFile> {
        let files = self.files.get(index).cloned().unwrap_or_default();
        let order = self.order.lock().unwrap_or_else(PoisonError::into_inner);
        match order.get(&index) {
            Some(order) => order.iter().filter_map(|&i| files.get(i).cloned()).collect(),
            None => files,
        }
    }

    /// The paths of layer `index`'s scenario files.
    pub(super) fn paths(&self, index: usize) -> Vec<PathBuf> {
        self.files
            .get(index)
            .map(|f| f.iter().map(|f| f.path.clone()).collect())
            .unwrap_or_default()
    }

    /// Runs the suite to its end (or a signal, or the deadline), stops every server,
    /// writes the reports and returns the outcome. Must run inside a multi-thread
    /// tokio runtime.
    pub async fn run(self: &Arc<Self>, signals: SignalWatch) -> SuiteOutcome {
        let (signals_rx, listener) = signals.start();
        self.emit(Event::RunStarted { run_dir: &self.settings.run_dir });
        // What an interrupted checkpoint replacement left behind in an earlier run.
        if let Some(output_dir) = self.settings.run_dir.parent() {
            remove_stale_temporaries(output_dir, true);
        }
        for target in &self.settings.reports {
            if let ReportTarget::Json(path) = target {
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
                remove_stale_temporaries(dir.unwrap_or(std::path::Path::new(".")), false);
            }
        }
        // Before anything starts: a SIGKILL from now on leaves a report marked partial.
        self.checkpoint();
        let deadline = self.settings.deadline;
        let ending = {
            let deadline_passed = async {
                match deadline {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            let mut rx = signals_rx.clone();
            // Biased: a signal recorded before the run began wins before the layers are
            // polled at all, so no server starts.
            tokio::select! {
                biased;
                name = async move {
                    let _ = rx.wait_for(|(n, _)| *n >= 1).await;
                    rx.borrow().1
                } => Ending::Interrupted(name),
                () = self.run_layers() => Ending::Finished,
                () = deadline_passed => Ending::Deadline(deadline.unwrap_or_default()),
            }
        };
        if ending != Ending::Finished {
            self.emit(Event::Stopping(ending));
        }
        // The grace of each stop ends at the next signal: the second one if a signal
        // ended the run, the first one otherwise; a passed deadline allows no grace.
        let (fast, hurry_at) = match ending {
            Ending::Deadline(_) => (true, 0),
            Ending::Interrupted(_) => (false, 2),
            Ending::Finished => (false, 1),
        };
        let hurry = || {
            let mut rx = signals_rx.clone();
            async move {
                if !fast {
                    let _ = rx.wait_for(|(n, _)| *n >= hurry_at).await;
                }
            }
        };
        self.stop_all(hurry).await;
        listener.abort();
        self.finish(ending)
    }

    /// Runs the selected layers in order; servers start on first need.
    pub(super) async fn run_layers(self: &Arc<Self>) {
        let selected = self.settings.layers.clone();
        let mut failed = false;
        for (position, &index) in selected.iter().enumerate() {
            let Some(layer) = self.suite.layers().get(index) else { continue };
            if failed && !self.settings.keep_going {
                self.mark_not_run(
                    &selected[position..],
                    "an earlier layer failed (--keep-going runs it anyway)",
                );
                break;
            }
            // The servers this layer needs start when it begins, not before.
            if let Err(error) = self.start_needed(layer.kind()).await {
                self.emit(Event::ServerFailed(&error));
                self.record_code(exit_code::RUNTIME);
                self.progress().start_failed = true;
                self.mark_not_run(&selected[position..], "a server did not start");
                self.checkpoint();
                break;
            }
            self.emit(Event::LayerStarted { name: layer.name(), files: self.paths(index).len() });
            self.progress().current = Some((index, SystemTime::now(), Instant::now()));
            let record = match layer.kind() {
                LayerKind::Command { command, timeout, junit, .. } => {
                    self.command_layer(layer.name(), command, *timeout, junit.as_ref()).await
                }
                LayerKind::Scenarios { load: Some(load), .. } => {
                    self.load_layer(layer.name(), index, load).await
                }
                LayerKind::Scenarios { isolation, reset, .. } => {
                    self.scenario_layer(layer.name(), index, *isolation, reset.as_ref()).await
                }
            };
            let passed = matches!(record.outcome.as_str(), "passed" | "flaky");
            self.emit(Event::LayerFinished(&record));
            failed |= !passed;
            self.progress().layers.push(record);
            self.checkpoint();
            if self.progress().start_failed {
                self.mark_not_run(&selected[position + 1..], "a server did not start");
                break;
            }
        }
    }

    /// After an interruption: the layer that was running is `interrupted` (with the
    /// files that finished), the selected layers after it `not_run`.
    fn mark_interrupted(&self) {
        let selected = self.settings.layers.clone();
        {
            let mut progress = self.progress();
            // The files cut short: their finished entries, and the one in flight.
            for file in self.in_flight.interrupted() {
                progress.fragments.push(self.fragment(&file));
                progress.files.push(file);
            }
            if let Some((index, started, clock)) = progress.current
                && let Some(layer) = self.suite.layers().get(index)
                && !progress.layers.iter().any(|l| l.name == layer.name())
            {
                let all = self.paths(index);
                let done: Vec<PathBuf> = progress
                    .files
                    .iter()
                    .map(|f| f.path.clone())
                    .filter(|p| all.contains(p))
                    .collect();
                let not_run = all.into_iter().filter(|p| !done.contains(p)).collect();
                progress.layers.push(LayerRecord {
                    name: layer.name().to_owned(),
                    kind: kind_name(layer.kind()),
                    outcome: "interrupted".to_owned(),
                    started,
                    duration: clock.elapsed(),
                    files: done,
                    not_run_files: not_run,
                    note: Some("the run was interrupted during this layer".to_owned()),
                    command: None,
                    load: None,
                });
            }
        }
        self.mark_not_run(&selected, "the run was interrupted before this layer");
    }

    pub(super) fn mark_not_run(&self, layers: &[usize], why: &str) {
        let mut progress = self.progress();
        for &index in layers {
            if let Some(layer) = self.suite.layers().get(index) {
                if progress.layers.iter().any(|l| l.name == layer.name()) {
                    continue;
                }
                progress.layers.push(LayerRecord {
                    name: layer.name().to_owned(),
                    kind: kind_name(layer.kind()),
                    outcome: "not_run".to_owned(),
                    started: SystemTime::now(),
                    duration: Duration::ZERO,
                    files: Vec::new(),
                    not_run_files: self.paths(index),
                    note: Some(why.to_owned()),
                    command: None,
                    load: None,
                });
            }
        }
    }

    // ---- reports ----

    /// One finished file's part of the report, redacted.
    pub(super) fn fragment(&self, file: &FileOutcome) -> json::FileFragment {
        let max_attempts = self.settings.base.retry_policy.max_extra_attempts + 1;
        json::file_fragment(file, max_attempts).map(|text| (self.redact)(text))
    }

    /// The report: the files' cached fragments, the run's provenance and the suite's
    /// section, assembled without rendering any file again.
    pub(super) fn report_json(
        &self,
        partial: bool,
        outcome: &'static str,
        checkpoint: bool,
    ) -> Vec<u8> {
        let progress = self.progress();
        let settings = &self.settings.base;
        let info = json::RunInfo {
            outcome,
            command_line: self.command_line.clone(),
            options: json::options_json(settings),
            policy: json::policy_json(
                &settings.retry_policy,
                self.settings.flaky_result == FlakyResult::Fail,
            ),
            started: self.started,
            duration: self.clock.elapsed(),
            learned_idle_limits: json::learned_limits_json(&progress.learned),
            retry_budget: (
                self.budget.requests(),
                self.budget.retries(),
                self.budget.was_exhausted(),
            ),
            shard: self.settings.shard.clone(),
        };
        let suite = report::SuiteInfo {
            path: &self.suite_path,
            run_dir: &self.settings.run_dir,
            layers: &progress.layers,
            servers: &progress.servers,
        };
        let mut section = suite.section(checkpoint, &*self.redact);
        if !checkpoint {
            section.faults =
                self.final_faults.lock().unwrap_or_else(PoisonError::into_inner).clone();
        }
        let mut bytes = Vec::new();
        let _ =
            json::write_document(&info, partial, &progress.fragments, Some(&section), &mut bytes);
        bytes
    }

    /// Writes a checkpoint of the report atomically: `"partial": true`,
    /// `"outcome": "interrupted"`, `"checkpoint": true`, which is the truth if the run
    /// never gets to write its final report (a SIGKILL).
    pub(super) fn checkpoint(&self) {
        if self.hunting.load(std::sync::atomic::Ordering::SeqCst) {
            // A hunt repeats the suite and prints its tally: no report, no checkpoint.
            return;
        }
        let bytes = self.report_json(true, "interrupted", true);
        let _ = write_atomically(&self.settings.run_dir.join("report.json"), &bytes);
        let progress = self.progress();
        for target in &self.settings.reports {
            let _ = self.write_target(target, &bytes, &progress);
        }
    }

    /// Writes one report of the JSON document `json` (and the progress) atomically,
    /// secrets redacted; every format is checkpointed like the JSON report, and marked
    /// partial when it is (the JSON and HTML by `"partial"`, JUnit by a property).
    fn write_target<'t>(
        &self,
        target: &'t ReportTarget,
        json: &[u8],
        progress: &Progress,
    ) -> (&'t PathBuf, std::io::Result<()>) {
        let rendered = |render: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| {
            let mut out = Vec::new();
            render(&mut out).map(|()| (self.redact)(&String::from_utf8_lossy(&out)).into_bytes())
        };
        match target {
            ReportTarget::Json(path) => (path, write_atomically(path, json)),
            ReportTarget::Html(path) => {
                let page = rendered(&|out| html::write(json, out));
                (path, page.and_then(|page| write_atomically(path, &page)))
            }
            ReportTarget::Junit(path) => {
                let current = progress
                    .current
                    .and_then(|(index, ..)| self.suite.layers().get(index))
                    .map(|layer| layer.name());
                // From the report model, as `merge` builds it (`report::merge`).
                let xml = rendered(&|out| merge::write_junit(json, current, out));
                (path, xml.and_then(|xml| write_atomically(path, &xml)))
            }
        }
    }

    /// The final reports and the outcome.
    fn finish(&self, ending: Ending) -> SuiteOutcome {
        let mut codes = self.progress().codes.clone();
        let outcome = match ending {
            Ending::Finished => None,
            Ending::Interrupted(_) => {
                codes.push(exit_code::INTERRUPTED);
                Some("interrupted")
            }
            Ending::Deadline(_) => {
                codes.push(exit_code::RUNTIME);
                Some("error")
            }
        };
        let mut code = exit_code::combine(codes);
        let verdict = verdict(code, &self.progress().files);
        let partial = ending != Ending::Finished;
        if partial {
            self.mark_interrupted();
        }
        self.stop_proxies();
        let section = self.faults_section(&self.progress().files);
        let faults = section.as_ref().map(|f| (f.counts, f.seed));
        *self.final_faults.lock().unwrap_or_else(PoisonError::into_inner) = section;
        let bytes = self.report_json(partial, outcome.unwrap_or(verdict), false);
        let report_path = self.settings.run_dir.join("report.json");
        let mut write_errors = Vec::new();
        if let Err(e) = write_atomically(&report_path, &bytes) {
            write_errors.push((report_path.clone(), e));
        }
        let progress = self.progress();
        for target in &self.settings.reports {
            let (path, written) = self.write_target(target, &bytes, &progress);
            if let Err(e) = written {
                write_errors.push((path.clone(), e));
            }
        }
        if !write_errors.is_empty() {
            code = exit_code::combine([code, exit_code::RUNTIME]);
        }
        SuiteOutcome {
            ending,
            code,
            verdict,
            files: progress.files.clone(),
            layers: progress.layers.iter().map(|l| (l.name.clone(), l.outcome.clone())).collect(),
            not_run_files: progress.layers.iter().map(|l| l.not_run_files.len()).sum(),
            nothing_ran: nothing_ran(&progress.layers),
            layer_files: layer_files(&progress.layers, &progress.files),
            report_path,
            write_errors,
            budget: (self.budget.retries(), self.budget.requests(), self.budget.was_exhausted()),
            flaky_result: self.settings.flaky_result,
            elapsed: self.clock.elapsed(),
            faults,
        }
    }
}

/// How the files of each scenario layer ended: passed, flaky, failed, errored, not run.
fn layer_files(layers: &[LayerRecord], files: &[FileOutcome]) -> Vec<(String, [usize; 5])> {
    use crate::runner::outcome::Outcome;
    let mut used = vec![false; files.len()];
    layers
        .iter()
        .filter(|l| l.kind == "scenarios")
        .map(|layer| {
            let mut counts = [0, 0, 0, 0, layer.not_run_files.len()];
            for path in &layer.files {
                let found = files
                    .iter()
                    .enumerate()
                    .find(|(i, f)| &f.path == path && !used.get(*i).copied().unwrap_or(true));
                if let Some((i, file)) = found {
                    if let Some(slot) = used.get_mut(i) {
                        *slot = true;
                    }
                    let column = match file.outcome {
                        Outcome::Passed | Outcome::Skipped => 0,
                        Outcome::Flaky => 1,
                        Outcome::Failed => 2,
                        Outcome::Error | Outcome::Interrupted => 3,
                    };
                    if let Some(count) = counts.get_mut(column) {
                        *count += 1;
                    }
                }
            }
            (layer.name.clone(), counts)
        })
        .collect()
}

/// Why no scenario file ran: the first layer's note that says, or what the layers are.
fn nothing_ran(layers: &[LayerRecord]) -> String {
    if layers.iter().any(|l| l.kind == "load") && layers.iter().all(|l| l.kind != "scenarios") {
        return "the selected layers are load and command layers (the load summaries are above)"
            .to_owned();
    }
    if let Some(note) = layers.iter().find_map(|l| l.note.clone()) {
        return note;
    }
    if layers.iter().all(|l| l.kind == "command") {
        return "no selected layer has scenarios".to_owned();
    }
    "the scenario layers matched no file".to_owned()
}

pub(super) fn kind_name(kind: &LayerKind) -> &'static str {
    match kind {
        LayerKind::Command { .. } => "command",
        LayerKind::Scenarios { load: Some(_), .. } => "load",
        LayerKind::Scenarios { .. } => "scenarios",
    }
}

/// SIGINT, SIGTERM and SIGHUP, listened to from the moment [`SignalWatch::install`]
/// returns, and recorded from the process's first instant before that (see
/// [`crate::signals`]): one received before [`Session::run`] starts, even while the suite
/// was being parsed, stops the run before any server starts.
pub struct SignalWatch(pub(super) Listener);

impl SignalWatch {
    /// Starts listening; must be called inside a tokio runtime's context.
    pub fn install() -> std::io::Result<Self> {
        Listener::new().map(SignalWatch)
    }

    /// Counts the signals from now on (those recorded before at once) into a watch of
    /// `(count, first name)`, on a task of the runtime.
    pub(super) fn start(
        self,
    ) -> (watch::Receiver<(u32, &'static str)>, tokio::task::JoinHandle<()>) {
        let mut listener = self.0;
        let mut early = (0_u32, "");
        while let Some(signal) = listener.try_recv() {
            if early.0 == 0 {
                early.1 = signal.name();
            }
            early.0 += 1;
        }
        let (tx, rx) = watch::channel::<(u32, &'static str)>(early);
        (rx, tokio::spawn(listen_for_signals(listener, tx)))
    }
}

impl std::fmt::Debug for SignalWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignalWatch(SIGINT, SIGTERM, SIGHUP)")
    }
}

/// Counts the signals received; the first one's name is
/// kept for the message.
pub(super) async fn listen_for_signals(
    mut listener: Listener,
    tx: watch::Sender<(u32, &'static str)>,
) {
    loop {
        let name = listener.recv().await.name();
        tx.send_modify(|(n, first)| {
            if *n == 0 {
                *first = name;
            }
            *n += 1;
        });
    }
}
