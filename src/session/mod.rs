//! The suite engine of `shakedown run`: servers, layers, signals, the deadline and
//! checkpoints, from a loaded suite and validated settings to a typed [`SuiteOutcome`].
//!
//! Reading order: [`load_suite`] reads, parses and checks the suite file and every
//! scenario file it names, once ([`LoadedSuite`]); the command line builds
//! [`SessionSettings`]; [`Session::run`] then drives the layers on the caller's tokio
//! runtime, raced against SIGINT/SIGTERM/SIGHUP and the deadline. Whatever ends the
//! race, every server launched so far is stopped through its `ServerHandle` (a second
//! signal skips the grace), so no process group outlives the run; a SIGKILL of
//! shakedown is covered by the orphan supervisor (`shakedown __supervise`, see `server`).
//!
//! - Servers start when the first layer that needs them begins (`Session::start_needed`:
//!   a scenario layer needs every one, a command layer those its `needs` and placeholders
//!   name): `[servers.*]` in declared order, then `[server]`; each on a free loopback port with its placeholders rendered, restarted on a
//!   fresh port (at most [`PORT_RETRIES`] times) if it exits saying its port was taken.
//!   External targets (`url = ...`) are only probed. Servers are named by
//!   [`ServerName`]: the main server, a restart-isolation worker's main server, or a
//!   named one.
//! - Command layers run to their end through `server::run_command` with the layer's
//!   timeout; `junit` files are deleted before and read after.
//! - Scenario layers run their files on `jobs` tasks, each with its own transport
//!   client; with `isolation = "restart"` each file gets a fresh main server of its
//!   worker's own; `reset` runs between files otherwise. A server crash (R5) ends the
//!   layer: the files left are reported as not run.
//! - `shakedown hunt SUITE.toml` repeats the layers through [`Session::hunt`]: the
//!   servers stay up across runs, each scenario layer's files in a seeded order per run.
//! - The report (`report.json` in the run folder, plus any `json=` report) is
//!   checkpointed atomically after every scenario file and every layer; an interrupted
//!   run leaves `"partial": true, "outcome": "interrupted"`.
//!
//! - `shakedown test` runs a plain list of files ([`Batch`]) on the same worker pool and
//!   event stream, without servers or layers.
//!
//! **Architecture invariant:** the engine never prints and never picks an exit code
//! for the process; it emits [`Event`]s to a [`Reporter`] and returns a
//! [`SuiteOutcome`]. `cli` renders both. It never imports `cli`.

mod batch;
mod common;
mod engine;
mod event;
mod faults;
mod files;
mod hunt;
mod hunt_files;
mod inflight;
mod layers;
mod load;
mod load_run;
pub mod pool;
mod report;
mod servers;
mod settings;
pub mod setup;

use std::sync::Arc;

pub use batch::{Batch, BatchOutcome, ParsedFiles, STDIN_PATH, SharedReporter};
pub use common::{CommonSettings, Definitions, SUITE_TIMEOUTS, Timeouts};
pub use engine::{Session, SignalWatch, SuiteOutcome};
pub use event::{Ending, Event, Reporter, Stamped, emit, emit_entry};
pub use faults::FaultSetup;
pub use files::write_atomically;
pub use hunt::{HuntEnding, Repeat, RunDone};
pub use hunt_files::{FileHunt, FileHuntDone, hunt_files};
pub use load::{LoadError, LoadedSuite, ScenarioFile, ScenarioProblem, load_suite};
pub use load_run::{LoadSignals, LoadTarget};
pub use report::{CommandRecord, LayerRecord, ServerRecord, Testcase};
pub use servers::{PORT_RETRIES, ServerName, StartError};
pub use settings::{FlakyResult, ReportTarget, SessionSettings, file_exit_code, verdict};

/// Replaces every secret in a text with `***`: the command line's redaction, handed
/// to the engine so that what it writes (reports, checkpoints) and what it reports
/// follow one rule.
pub type Redactor = Arc<dyn Fn(&str) -> String + Send + Sync>;
