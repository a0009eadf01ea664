//! The engine's event stream of `shakedown run` and `shakedown test`: what happened,
//! when, in order. Reporters (the terminal printer, the live progress display; an HTML
//! timeline tomorrow) consume it without the engine knowing them.
//!
//! Events borrow from the engine and are delivered synchronously, in the order they
//! happen, to one [`Reporter`]; a reporter that needs to keep something copies it.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::runner::execute::FileRun;
use crate::runner::outcome::{AttemptRecord, EntryOutcome};
use crate::server::ExitReport;

use super::report::LayerRecord;
use super::servers::StartError;

/// Why the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every selected layer ran (or was skipped by the rules).
    Finished,
    /// A signal arrived; its name.
    Interrupted(&'static str),
    /// The deadline passed.
    Deadline(Duration),
}

/// One event.
#[derive(Debug)]
pub enum Event<'a> {
    /// The run folder exists; nothing has started yet.
    RunStarted {
        /// The run folder.
        run_dir: &'a Path,
    },
    /// `shakedown load` on a suite: the run folder exists; nothing has started yet.
    LoadStarted {
        /// The run folder.
        run_dir: &'a Path,
    },
    /// A server is being launched (or an external one probed).
    ServerStarting {
        /// Its name.
        name: &'a str,
    },
    /// A server (launched or external) is ready.
    ServerReady {
        /// Its name.
        name: &'a str,
        /// Its base URL.
        url: &'a str,
        /// Its pid, for a launched server.
        pid: Option<u32>,
        /// How long it took to become ready.
        startup: Duration,
    },
    /// A server could not be started (or an external one was not ready).
    ServerFailed(&'a StartError),
    /// A launched server was stopped (or had exited).
    ServerStopped {
        /// Its name.
        name: &'a str,
        /// How it ended.
        report: &'a ExitReport,
    },
    /// A layer starts.
    LayerStarted {
        /// Its name.
        name: &'a str,
        /// The scenario files it will run (0 for a command layer).
        files: usize,
    },
    /// A layer ended (not for layers that never started).
    LayerFinished(&'a LayerRecord),
    /// A command layer's command failed.
    CommandFailed {
        /// The layer.
        layer: &'a str,
        /// What happened, secrets redacted.
        description: &'a str,
        /// The last lines of stdout.
        stdout_tail: &'a [String],
        /// The last lines of stderr.
        stderr_tail: &'a [String],
    },
    /// A load layer's load ended (the layer's verdict follows in `LayerFinished`).
    LoadFinished {
        /// The layer.
        layer: &'a str,
        /// Its result.
        result: &'a crate::load::result::LoadResult,
        /// Where the result was written.
        path: &'a Path,
    },
    /// A load layer's load, every tick of its live view (about once a second).
    LoadProgress {
        /// The layer.
        layer: &'a str,
        /// The numbers so far.
        live: &'a crate::load::engine::Live,
    },
    /// A command layer's JUnit file was read.
    JunitRead {
        /// The layer.
        layer: &'a str,
        /// The file.
        path: &'a Path,
        /// Test cases in it.
        cases: usize,
        /// Of which failed or in error.
        failed: usize,
    },
    /// A command layer's JUnit file was missing or did not parse.
    JunitFailed {
        /// The layer.
        layer: &'a str,
        /// Why.
        error: &'a str,
    },
    /// A scenario file starts.
    FileStarted {
        /// The layer (`None` in `shakedown test`).
        layer: Option<&'a str>,
        /// The file.
        path: &'a Path,
    },
    /// An entry of a scenario file starts.
    EntryStarted {
        /// The layer (`None` in `shakedown test`).
        layer: Option<&'a str>,
        /// The file.
        path: &'a Path,
        /// 1-based.
        index: usize,
        /// The line of its request.
        line: usize,
        /// The method as written.
        method: &'a str,
        /// The URL as written.
        url: &'a str,
    },
    /// An entry ended. Its attempts follow as [`Event::Attempt`]s (each with its own
    /// start time), its retries as [`Event::Retry`], its warnings as [`Event::Warning`].
    EntryFinished {
        /// The layer (`None` in `shakedown test`).
        layer: Option<&'a str>,
        /// The file.
        path: &'a Path,
        /// The entry's outcome tree.
        entry: &'a EntryOutcome,
    },
    /// One transport attempt of an entry that just ended.
    Attempt {
        /// The layer (`None` in `shakedown test`).
        layer: Option<&'a str>,
        /// The file.
        path: &'a Path,
        /// The entry's index.
        entry: usize,
        /// The attempt: when it started, how long it took, what the transport saw.
        attempt: &'a AttemptRecord,
    },
    /// An attempt failed and the retry rules sent it again (the next attempt).
    Retry {
        /// The layer (`None` in `shakedown test`).
        layer: Option<&'a str>,
        /// The file.
        path: &'a Path,
        /// The entry's index.
        entry: usize,
        /// The attempt that failed, with the decision and its backoff.
        attempt: &'a AttemptRecord,
    },
    /// A response was accepted with a warning (complete then reset, completeness unknown).
    Warning {
        /// The layer (`None` in `shakedown test`).
        layer: Option<&'a str>,
        /// The file.
        path: &'a Path,
        /// The entry's index.
        entry: usize,
        /// The warning.
        message: &'a str,
    },
    /// A scenario file finished: its whole outcome.
    FileFinished {
        /// The layer (`None` in `shakedown test`).
        layer: Option<&'a str>,
        /// The file's run.
        run: &'a FileRun,
    },
    /// A server crashed during a file: the rest of the layer does not run.
    ServerCrashed {
        /// The layer.
        layer: &'a str,
        /// What crashed, and how.
        description: &'a str,
    },
    /// The layer's `reset` command failed: the layer stops.
    ResetFailed {
        /// What happened, secrets redacted.
        description: &'a str,
        /// The last lines of its stderr.
        stderr_tail: &'a [String],
    },
    /// A worker could not run a file (no transport client).
    WorkerFailed {
        /// Why.
        message: &'a str,
    },
    /// The run is stopping early: every server is being stopped.
    Stopping(Ending),
}

/// An event with the wall-clock time it happened.
#[derive(Debug)]
pub struct Stamped<'a> {
    /// When.
    pub at: SystemTime,
    /// What.
    pub event: Event<'a>,
}

/// A consumer of the event stream.
pub trait Reporter: Send {
    /// Called once per event, in order.
    fn report(&mut self, event: &Stamped<'_>);

    /// Whether this reporter reads the progress of files: [`Event::FileStarted`] and the
    /// entry, attempt, retry and warning events. `shakedown test` emits them only when
    /// it does, so that they cost nothing when nobody listens (`run` always emits them).
    fn follows_entries(&self) -> bool {
        false
    }
}

/// Delivers one event to a reporter shared by several workers, stamped now.
pub fn emit(reporter: &Mutex<Box<dyn Reporter>>, event: Event<'_>) {
    let stamped = Stamped { at: SystemTime::now(), event };
    reporter.lock().unwrap_or_else(PoisonError::into_inner).report(&stamped);
}

/// The events of an entry that just ended, the one place `test` and `run` emit them:
/// [`Event::EntryFinished`], then each attempt (with [`Event::Retry`] after an attempt
/// the rules sent again) and each warning, in order.
pub fn emit_entry(
    reporter: &Mutex<Box<dyn Reporter>>,
    layer: Option<&str>,
    path: &Path,
    outcome: &EntryOutcome,
) {
    let entry = outcome.index;
    emit(reporter, Event::EntryFinished { layer, path, entry: outcome });
    for poll in outcome.iterations.iter().flat_map(|i| &i.polls) {
        for attempt in &poll.attempts {
            emit(reporter, Event::Attempt { layer, path, entry, attempt });
            if attempt.decision.is_some_and(|d| d.retry) {
                emit(reporter, Event::Retry { layer, path, entry, attempt });
            }
        }
        for message in &poll.warnings {
            emit(reporter, Event::Warning { layer, path, entry, message });
        }
    }
}
