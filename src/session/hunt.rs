//! [`Session::hunt`]: the suite engine repeated for `shakedown hunt SUITE.toml`. The
//! servers start once (on first need, as in `run`) and stay up across runs; each run is
//! every selected layer in order, the files of each scenario layer in a seeded shuffled
//! order; the caller sees each finished run and tallies it. Bounded by the number of
//! runs and a duration, raced against SIGINT/SIGTERM/SIGHUP; every server is stopped at
//! the end, whatever ended it. No report or checkpoint is written (the run folder holds
//! the servers' logs).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::exit_code;
use crate::hunt::{Rng, shuffled_order};
use crate::runner::outcome::FileOutcome;
use crate::suite::LayerKind;

use super::engine::{Session, SignalWatch};
use super::event::{Ending, Event};

/// How a hunt repeats the suite.
#[derive(Clone, Copy, Debug)]
pub struct Repeat {
    /// At most this many runs.
    pub runs: u64,
    /// Stop starting runs (and cut the one in progress) after this long.
    pub duration: Duration,
    /// The seed of the shuffled orders.
    pub seed: u64,
    /// Shuffle the files of each scenario layer (else the suite's order).
    pub shuffle: bool,
}

/// One finished run of a hunt, handed to the caller.
#[derive(Debug)]
pub struct RunDone<'a> {
    /// The run number, from 1.
    pub run: u64,
    /// Every scenario file that ran, in the order they finished.
    pub files: &'a [FileOutcome],
    /// The run's exit code (files, command layers, servers), every reason combined.
    pub code: u8,
    /// A server could not be started: the hunt stops after this run.
    pub start_failed: bool,
}

/// Why a hunt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HuntEnding {
    /// Every run done, or the caller asked to stop (`--until-fail`), or a server did
    /// not start.
    Finished,
    /// The duration passed (the run in progress is not counted).
    Duration,
    /// A signal arrived (the run in progress is not counted); its name.
    Interrupted(&'static str),
}

impl Session {
    /// Repeats the suite per `repeat`, calling `on_run` after each finished run (it
    /// returns `false` to stop), then stops every server. Must run inside a
    /// multi-thread tokio runtime.
    pub async fn hunt(
        self: &Arc<Self>,
        signals: SignalWatch,
        repeat: Repeat,
        on_run: &mut dyn FnMut(RunDone<'_>) -> bool,
    ) -> HuntEnding {
        self.hunting.store(true, Ordering::SeqCst);
        let (signals_rx, listener) = signals.start();
        self.emit(Event::RunStarted { run_dir: &self.settings.run_dir });
        let ending = {
            let mut rx = signals_rx.clone();
            tokio::select! {
                // A signal recorded before the hunt began wins before any server starts.
                biased;
                name = async move {
                    let _ = rx.wait_for(|(n, _)| *n >= 1).await;
                    rx.borrow().1
                } => HuntEnding::Interrupted(name),
                () = tokio::time::sleep(repeat.duration) => HuntEnding::Duration,
                () = self.repeat_runs(repeat, on_run) => HuntEnding::Finished,
            }
        };
        if let HuntEnding::Interrupted(name) = ending {
            self.emit(Event::Stopping(Ending::Interrupted(name)));
        }
        // As in `run`: after a signal, the grace of each stop ends at the next one.
        let hurry_at = if matches!(ending, HuntEnding::Interrupted(_)) { 2 } else { 1 };
        let hurry = || {
            let mut rx = signals_rx.clone();
            async move {
                let _ = rx.wait_for(|(n, _)| *n >= hurry_at).await;
            }
        };
        self.stop_all(hurry).await;
        listener.abort();
        ending
    }

    async fn repeat_runs(
        self: &Arc<Self>,
        repeat: Repeat,
        on_run: &mut dyn FnMut(RunDone<'_>) -> bool,
    ) {
        let mut rng = Rng::new(repeat.seed);
        for run in 1..=repeat.runs {
            // This run's order of each selected scenario layer, drawn in layer order.
            let mut order = BTreeMap::new();
            for &index in &self.settings.layers {
                let Some(layer) = self.suite.layers().get(index) else { continue };
                if let LayerKind::Scenarios { .. } = layer.kind() {
                    let len = self.files.get(index).map_or(0, Vec::len);
                    let files = if repeat.shuffle {
                        shuffled_order(len, &mut rng)
                    } else {
                        (0..len).collect()
                    };
                    order.insert(index, files);
                }
            }
            *self.order.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = order;
            {
                let mut progress = self.progress();
                progress.layers.clear();
                progress.files.clear();
                progress.fragments.clear();
                progress.codes.clear();
                progress.current = None;
            }
            self.run_layers().await;
            let (files, code, start_failed) = {
                let mut progress = self.progress();
                let files = std::mem::take(&mut progress.files);
                let code = exit_code::combine(progress.codes.iter().copied());
                (files, code, progress.start_failed)
            };
            let go_on = on_run(RunDone { run, files: &files, code, start_failed });
            if !go_on || start_failed {
                return;
            }
        }
    }
}
