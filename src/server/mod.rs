//! The lifecycle of a launched server under test: spawn, capture, readiness, crash
//! awareness, stop. Only this module spawns processes.
//!
//! Start with [`launch()`]: it takes a resolved [`ServerSpec`] and returns a
//! [`ServerHandle`] once the [`Readiness`] check passes, or a [`LaunchError`] with
//! the last 40 lines of output. The handle owns the server's process group:
//! [`ServerHandle::stop`] stops it gracefully, [`ServerHandle::exited`] and
//! [`ServerHandle::wait_exit_within`] tell whether it crashed (R5 of
//! `retry-and-resets.md`), and dropping the handle kills the group.
//!
//! # Guarantees
//!
//! - Every server runs in a process group of its own (`process_group(0)`), and every
//!   signal goes to the group, so a wrapper script's grandchildren stop with it.
//! - Stopping is signal, grace, SIGKILL, reap, then a check that no live process of
//!   the group is left; `fast` (a second Ctrl-C) skips the grace.
//! - Readiness polls every 2 ms at first, doubling to 20 ms, and races every probe
//!   against the child's exit, so an early exit fails the launch at once.
//! - stdout and stderr go to `NAME.stdout.log` and `NAME.stderr.log`, a timestamp on
//!   each line, secrets redacted; memory keeps the last 40 lines and the first MiB.
//!
//! A command that is run to its end rather than until ready (a suite's command
//! layer, a `reset`) goes through [`run_command`]: exit status, timeout, logs.
//!
//! # When shakedown itself is SIGKILLed
//!
//! `Drop` cannot run then, so each server gets an orphan supervisor (`supervise.rs`):
//! a small process, normally `shakedown __supervise`, that holds a pipe from
//! shakedown and stops the group when the pipe closes without a `release`. The
//! binary wires it with [`install_supervisor`] and [`supervise_main`]. So that no
//! instant of the server runs unwatched, the server is first spawned as a *gate*
//! (`shakedown __supervise exec …`, blocked on its stdin) and `exec`s the real
//! command only once the supervisor has acknowledged the group. The choice over the
//! alternatives:
//!
//! - `PR_SET_PDEATHSIG` must be set in the child between fork and exec, which in
//!   Rust means `pre_exec`, an `unsafe` API; and it would reach only the direct
//!   child, not a wrapper's grandchildren.
//! - Recording groups in a state file and cleaning them at the next start leaves the
//!   servers running until someone runs shakedown again, possibly never.
//!
//! Its limits are listed in `supervise.rs`. Without an installed supervisor, a
//! SIGKILL of shakedown leaves the server running ([`ServerHandle::is_supervised`]).
//!
//! # Not here
//!
//! Placeholders (`{port}`, `{servers.NAME.url}`) are rendered by the caller, which
//! gets ports from [`free_loopback_port`]; [`launch_retrying_port`] re-renders on a
//! port conflict. The HTTP probe is a trait ([`HttpProbe`]) so that it can go
//! through the transport; the built-in [`RawHttpProbe`] speaks plain HTTP/1.1.

mod command;
mod error;
mod handle;
mod launch;
mod logs;
mod readiness;
mod spec;
mod stop;
mod supervise;
mod unix;

#[cfg(test)]
mod tests;

pub use command::{CommandOutcome, CommandSpec, run_command};
pub use error::LaunchError;
pub use handle::{ExitReport, ExitSignal, ReadyInfo, ServerHandle, StopOutcome};
pub use launch::{
    LaunchOptions, SupervisorChoice, find_program, launch, launch_retrying_port, launch_with,
};
pub use logs::{
    LogLine, MAX_LINE_BYTES, REPORT_CAP_BYTES, ServerLogs, StreamLog, TAIL_LINES, timestamp,
};
pub use readiness::{FIRST_POLL, HttpProbe, MAX_POLL, RawHttpProbe};
pub use spec::{Readiness, ServerSpec, Signal, StopSpec, free_loopback_port};
pub(crate) use supervise::pause_point_reached;
pub use supervise::{SupervisorCommand, install_supervisor, pause_before_exit, supervise_main};
