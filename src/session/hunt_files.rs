//! [`hunt_files`]: `shakedown hunt FILES`, the engine that repeats `.hurl` files in a
//! seeded order (each run every file once, each file on a fresh transport client, one at a
//! time on the caller's current-thread runtime) into a [`Tally`], until the runs are done,
//! a failure under `--until-fail`, the duration, or a signal. A file cut short by the
//! duration or a signal is not counted. The caller sees the first failure as it happens
//! and renders the tally.

use std::path::PathBuf;

use crate::exit_code;
use crate::hunt::{FirstFailure, Rng, Tally, shuffled_order};
use crate::retry::Budget;
use crate::runner::execute::{self, RunSettings};
use crate::transport::client::{Client, ClientSettings};

use super::hunt::{HuntEnding, Repeat};
use super::settings::{FlakyResult, file_exit_code};

/// What a files hunt runs.
pub struct FileHunt<'a> {
    /// Each file's path and text, read once.
    pub files: &'a [(PathBuf, String)],
    /// The runner's settings.
    pub settings: &'a RunSettings,
    /// How flaky passes count in the exit code.
    pub flaky_result: FlakyResult,
    /// Runs, duration, seed, order.
    pub repeat: Repeat,
    /// Stop after the first run in which something failed.
    pub until_fail: bool,
}

/// How a files hunt ended.
#[derive(Debug)]
pub struct FileHuntDone {
    /// Why it ended.
    pub ending: HuntEnding,
    /// Every file's exit code combined (a missing transport client: `RUNTIME`).
    pub code: u8,
    /// The secrets the files defined, for redaction.
    pub secrets: Vec<String>,
    /// The transport client could not be made.
    pub error: Option<String>,
}

/// Runs the hunt into `tally`; `on_first_failure` is called once, at the first failure.
pub async fn hunt_files(
    hunt: &FileHunt<'_>,
    signals: &mut Option<crate::signals::Listener>,
    tally: &mut Tally,
    on_first_failure: &mut dyn FnMut(&FirstFailure, &[String]),
) -> FileHuntDone {
    let mut done = FileHuntDone {
        ending: HuntEnding::Finished,
        code: exit_code::SUCCESS,
        secrets: Vec::new(),
        error: None,
    };
    let repeat = hunt.repeat;
    let deadline = tokio::time::Instant::now() + repeat.duration;
    let mut rng = Rng::new(repeat.seed);
    for run in 1..=repeat.runs {
        let order = if repeat.shuffle {
            shuffled_order(hunt.files.len(), &mut rng)
        } else {
            (0..hunt.files.len()).collect()
        };
        let budget = Budget::default();
        let mut failed = false;
        for index in order {
            let Some((path, source)) = hunt.files.get(index) else { continue };
            let mut client = match Client::new(ClientSettings::default()) {
                Ok(client) => client,
                Err(e) => {
                    done.error = Some(format!("cannot create the transport client: {e}"));
                    done.code = exit_code::combine([done.code, exit_code::RUNTIME]);
                    return done;
                }
            };
            // Biased: a signal (even one recorded before the hunt began) wins before the
            // file sends anything.
            let file_run = tokio::select! {
                biased;
                name = signal(signals) => {
                    done.ending = HuntEnding::Interrupted(name);
                    return done;
                }
                () = tokio::time::sleep_until(deadline) => {
                    done.ending = HuntEnding::Duration;
                    return done;
                }
                run = execute::run_file(path, source.clone(), hunt.settings, &mut client, &budget) => run,
            };
            done.secrets.extend(file_run.secrets.iter().cloned());
            let was_first = tally.first_failure.is_none();
            tally.record(run, &file_run.outcome);
            done.code = exit_code::combine([
                done.code,
                file_exit_code(&file_run.outcome, hunt.flaky_result),
            ]);
            if !file_run.outcome.outcome.is_pass() {
                failed = true;
                if was_first && let Some(first) = &tally.first_failure {
                    on_first_failure(first, &done.secrets);
                }
            }
        }
        tally.runs = run;
        if failed && hunt.until_fail {
            break;
        }
        if run < repeat.runs && tokio::time::Instant::now() >= deadline {
            done.ending = HuntEnding::Duration;
            return done;
        }
    }
    done
}

/// Resolves at the first signal, with its name (never without a listener).
async fn signal(listener: &mut Option<crate::signals::Listener>) -> &'static str {
    match listener {
        Some(listener) => listener.recv().await.name(),
        None => std::future::pending().await,
    }
}
