//! The files running now and their finished entries, so that a run cut short by a
//! signal or the deadline reports every entry that completed and the one in flight
//! (marked interrupted), instead of losing the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use crate::runner::execute::FileObserver;
use crate::runner::outcome::{EntryOutcome, FileOutcome, Outcome};

use super::engine::emit_to;
use super::event::{Event, Reporter, emit_entry};

/// One running file.
struct Running {
    started: SystemTime,
    clock: Instant,
    source: Arc<str>,
    entries: Vec<EntryOutcome>,
    /// The entry in flight: index, line, method, URL.
    current: Option<(usize, usize, String, String)>,
}

/// The files in flight, told by the runner (`FileObserver`).
#[derive(Default)]
pub(super) struct InFlight {
    files: Mutex<BTreeMap<PathBuf, Running>>,
}

impl InFlight {
    /// `path` starts now.
    pub(super) fn start(&self, path: &Path, source: Arc<str>) {
        let running = Running {
            started: SystemTime::now(),
            clock: Instant::now(),
            source,
            entries: Vec::new(),
            current: None,
        };
        self.lock().insert(path.to_path_buf(), running);
    }

    /// `path` ended (its whole outcome is known elsewhere).
    pub(super) fn end(&self, path: &Path) {
        self.lock().remove(path);
    }

    /// Every file still in flight, as an interrupted outcome: the entries that
    /// completed, then the one in flight with the outcome `interrupted`. Empties the set.
    pub(super) fn interrupted(&self) -> Vec<FileOutcome> {
        std::mem::take(&mut *self.lock())
            .into_iter()
            .map(|(path, running)| {
                let mut entries = running.entries;
                if let Some((index, line, method, url)) = running.current {
                    entries.push(EntryOutcome {
                        index,
                        line,
                        method,
                        url_template: url.clone(),
                        url,
                        outcome: Outcome::Interrupted,
                        iterations: Vec::new(),
                    });
                }
                FileOutcome {
                    path,
                    outcome: Outcome::Interrupted,
                    entries,
                    file_error: None,
                    started: running.started,
                    duration: running.clock.elapsed(),
                    source: running.source.to_string(),
                }
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<PathBuf, Running>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FileObserver for InFlight {
    fn entry_started(&self, path: &Path, index: usize, line: usize, method: &str, url: &str) {
        if let Some(running) = self.lock().get_mut(path) {
            running.current = Some((index, line, method.to_owned(), url.to_owned()));
        }
    }

    fn entry_finished(&self, path: &Path, outcome: &EntryOutcome) {
        if let Some(running) = self.lock().get_mut(path) {
            running.current = None;
            running.entries.push(outcome.clone());
        }
    }
}

/// What a scenario layer's files tell while they run: kept for an interruption
/// ([`InFlight`]) and sent on as entry, attempt, retry and warning events.
pub(super) struct Observer {
    pub(super) in_flight: Arc<InFlight>,
    pub(super) reporter: Arc<Mutex<Box<dyn Reporter>>>,
    pub(super) layer: String,
}

impl FileObserver for Observer {
    fn entry_started(&self, path: &Path, index: usize, line: usize, method: &str, url: &str) {
        self.in_flight.entry_started(path, index, line, method, url);
        let layer = Some(self.layer.as_str());
        emit_to(&self.reporter, Event::EntryStarted { layer, path, index, line, method, url });
    }

    fn entry_finished(&self, path: &Path, outcome: &EntryOutcome) {
        self.in_flight.entry_finished(path, outcome);
        emit_entry(&self.reporter, Some(self.layer.as_str()), path, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_file_keeps_its_finished_entries_and_marks_the_one_in_flight() {
        let in_flight = InFlight::default();
        let path = Path::new("a.hurl");
        in_flight.start(path, Arc::from("GET http://x/1\nGET http://x/2\n"));
        in_flight.entry_started(path, 1, 1, "GET", "http://x/1");
        let done = EntryOutcome {
            index: 1,
            line: 1,
            method: "GET".to_owned(),
            url: "http://x/1".to_owned(),
            url_template: "http://x/1".to_owned(),
            outcome: Outcome::Passed,
            iterations: Vec::new(),
        };
        in_flight.entry_finished(path, &done);
        in_flight.entry_started(path, 2, 2, "GET", "http://x/2");
        in_flight.start(Path::new("b.hurl"), Arc::from(""));
        in_flight.end(Path::new("b.hurl"));
        let files = in_flight.interrupted();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].outcome, Outcome::Interrupted);
        let outcomes: Vec<_> = files[0].entries.iter().map(|e| (e.index, e.outcome)).collect();
        assert_eq!(outcomes, [(1, Outcome::Passed), (2, Outcome::Interrupted)]);
        assert!(in_flight.interrupted().is_empty());
    }
}

#[cfg(test)]
mod observer_tests {
    use std::time::Duration;

    use super::*;
    use crate::retry::{Decision, Rule};
    use crate::runner::outcome::{AttemptRecord, Iteration, Poll};
    use crate::session::event::Stamped;
    use crate::transport::facts::AttemptFacts;

    /// Records each event's kind (its debug name).
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Reporter for Recorder {
        fn report(&mut self, event: &Stamped<'_>) {
            let name = format!("{:?}", event.event);
            let kind = name.split([' ', '(']).next().unwrap_or_default().to_owned();
            self.0.lock().unwrap().push(kind);
        }
    }

    fn attempt(n: usize, retry: Option<bool>) -> AttemptRecord {
        AttemptRecord {
            n,
            method: "GET".to_owned(),
            url: "http://x/".to_owned(),
            status: retry.is_none().then_some(200),
            error: None,
            diagnoses: Vec::new(),
            facts: AttemptFacts::new(),
            decision: retry.map(|retry| Decision {
                retry,
                rule: Rule::NothingWritten,
                backoff: Duration::from_millis(5),
            }),
            started: SystemTime::now(),
            duration: Duration::from_millis(1),
            warnings: Vec::new(),
            sent_before_crash_known: false,
        }
    }

    #[test]
    fn entries_attempts_retries_and_warnings_become_events_in_order() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let reporter: Box<dyn Reporter> = Box::new(Recorder(events.clone()));
        let in_flight = Arc::new(InFlight::default());
        let observer = Observer {
            in_flight: in_flight.clone(),
            reporter: Arc::new(Mutex::new(reporter)),
            layer: "it".to_owned(),
        };
        let path = Path::new("a.hurl");
        in_flight.start(path, Arc::from(""));
        observer.entry_started(path, 1, 1, "GET", "http://x/");
        let entry = EntryOutcome {
            index: 1,
            line: 1,
            method: "GET".to_owned(),
            url: "http://x/".to_owned(),
            url_template: "http://x/".to_owned(),
            outcome: Outcome::Flaky,
            iterations: vec![Iteration {
                n: 1,
                polls: vec![Poll {
                    n: 1,
                    attempts: vec![attempt(1, Some(true)), attempt(2, None)],
                    asserts: Vec::new(),
                    captures: Vec::new(),
                    failure: None,
                    outcome: Outcome::Flaky,
                    warnings: vec!["completeness unknown".to_owned()],
                }],
            }],
        };
        observer.entry_finished(path, &entry);
        assert_eq!(
            *events.lock().unwrap(),
            ["EntryStarted", "EntryFinished", "Attempt", "Retry", "Attempt", "Warning"]
        );
        assert!(in_flight.interrupted()[0].entries[0].outcome == Outcome::Flaky);
    }
}
