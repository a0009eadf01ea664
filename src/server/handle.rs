//! [`ServerHandle`]: the one owner of a launched server's process group, and what it
//! can tell about the group while it runs ([`ServerHandle::exited`], R5).
//!
//! # What crash detection sees
//!
//! - The **direct child** (the spawned argv): its exit, with its status or signal,
//!   through `waitpid`, as soon as it happens.
//! - On Linux, the **other processes that were in the group when the server became
//!   ready** (a wrapper script's grandchild, worker processes): each is recorded with
//!   its start time, and one that is gone or a zombie later counts as an exit. Its
//!   status is known only while it is a zombie (`/proc/PID/stat` field 52); once its
//!   own parent has reaped it, the report says the status is unknown.
//!
//! Processes forked after readiness are not watched, so a per-request helper that
//! comes and goes is not mistaken for a crash; a worker that a pre-fork server
//! recycles on purpose *is* reported, which after a transport error is the truth.
//!
//! # Dropping
//!
//! [`Drop`] sends SIGKILL to the whole group synchronously and reaps the child if it
//! is already gone (tokio reaps it later otherwise), so a panic or an early return
//! never leaves an orphan. [`ServerHandle::stop`] is the graceful path.

use std::fmt;
use std::net::SocketAddr;
use std::process::ExitStatus;
use std::time::{Duration, SystemTime};

use rustix::process::{Pid, Signal as RawSignal};
use tokio::process::Child;
use tokio::time::Instant;

use super::logs::{Capture, ServerLogs};
use super::spec::{Signal, StopSpec};
use super::supervise::SupervisorGuard;
use super::unix;

/// A launched server. Dropping it kills the whole process group.
#[derive(Debug)]
pub struct ServerHandle {
    pub(crate) name: String,
    /// The direct child; its pid is also the pgid (`process_group(0)`).
    pub(crate) child: Child,
    pub(crate) pid: u32,
    pub(crate) pgid: Pid,
    /// `/proc/PID/stat` field 22 of the leader at spawn, to detect pid reuse before signalling.
    pub(crate) leader_start: Option<u64>,
    pub(crate) stop_spec: StopSpec,
    pub(crate) stdout: Capture,
    pub(crate) stderr: Capture,
    /// Group members (other than the child) seen at readiness; see the module doc.
    pub(crate) watched: Vec<unix::Member>,
    pub(crate) ready: ReadyInfo,
    pub(crate) supervisor: Option<SupervisorGuard>,
    /// The first exit seen, returned again by later calls.
    pub(crate) exit: Option<ExitReport>,
    /// Set once `stop` has verified the group is gone; `Drop` then has nothing to do.
    pub(crate) stopped: bool,
}

/// Facts about start-up, for the report and the detection-latency benchmark.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadyInfo {
    /// From spawn to the moment readiness was seen.
    pub startup: Duration,
    /// An upper bound on the detection latency: from the start of the last failed
    /// probe to the end of the successful one (the server became ready inside it).
    pub detection_window: Duration,
    /// How many probes ran.
    pub probes: u32,
    /// Wall-clock time readiness was seen, to compare with a server's own log.
    pub ready_at: Option<SystemTime>,
    /// The address shakedown probed or learned from stdout.
    pub address: Option<SocketAddr>,
    /// The URL learned from a stdout `url` group, or `http://ADDRESS` otherwise.
    pub url: Option<String>,
}

/// How a process of the server's group ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitReport {
    /// The process that exited.
    pub pid: u32,
    /// Whether it is the direct child (otherwise another member of the group).
    pub direct_child: bool,
    /// Its exit code, if it exited normally and the status is known.
    pub status: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<ExitSignal>,
    /// The last lines of the server's stderr (at most 40), redacted.
    pub stderr_tail: Vec<String>,
    /// The last lines of the server's stdout (at most 40), redacted.
    pub stdout_tail: Vec<String>,
    /// When shakedown saw the exit.
    pub when: SystemTime,
    /// How the stop went, when the exit came from [`ServerHandle::stop`].
    pub stop: Option<StopOutcome>,
}

/// A signal that ended a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitSignal {
    /// Its number.
    pub number: i32,
    /// Its name, e.g. `SIGSEGV`, or `signal N` for one without a common name.
    pub name: String,
}

/// What [`ServerHandle::stop`] had to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopOutcome {
    /// The signal sent first, `None` if the group was already gone.
    pub signal_sent: Option<Signal>,
    /// Whether the grace ran out (or was skipped) and SIGKILL was needed.
    pub killed: bool,
    /// Whether the group was verified empty afterwards (`kill(-pgid, 0)` fails with
    /// ESRCH, or only zombies are left).
    pub group_gone: bool,
    /// How long the stop took.
    pub elapsed: Duration,
}

impl ExitReport {
    /// Whether the process ended normally with exit code 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

impl fmt::Display for ExitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = if self.direct_child { "server" } else { "a process of the server's group" };
        match (&self.status, &self.signal) {
            (_, Some(sig)) => write!(f, "{who} (pid {}) was killed by {}", self.pid, sig.name),
            (Some(code), None) => write!(f, "{who} (pid {}) exited with code {code}", self.pid),
            (None, None) => write!(f, "{who} (pid {}) exited; status unknown", self.pid),
        }
    }
}

impl ServerHandle {
    /// The server's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The direct child's pid, which is also the process group id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Start-up facts: startup time, detection window, address.
    pub fn ready_info(&self) -> &ReadyInfo {
        &self.ready
    }

    /// The address the server listens on, if known.
    pub fn address(&self) -> Option<SocketAddr> {
        self.ready.address
    }

    /// The base URL, if known.
    pub fn url(&self) -> Option<&str> {
        self.ready.url.as_deref()
    }

    /// Whether an orphan supervisor watches this group (see the module doc of `server`).
    pub fn is_supervised(&self) -> bool {
        self.supervisor.is_some()
    }

    /// What the report gets of stdout and stderr so far.
    pub fn logs(&self) -> ServerLogs {
        ServerLogs { stdout: self.stdout.snapshot(), stderr: self.stderr.snapshot() }
    }

    /// Has the server (or a watched process of its group) exited? Never blocks.
    ///
    /// The tails are what was captured so far; [`Self::wait_exit_within`] also waits
    /// briefly for the last lines of a crash.
    pub fn exited(&mut self) -> Option<ExitReport> {
        if self.exit.is_none() {
            self.exit = self.check_exit();
        }
        self.exit.clone()
    }

    /// Waits up to `within` for the server (or a watched process of its group) to exit.
    ///
    /// The runner calls this after a transport error (R5, ~200 ms): `Some` means the
    /// server crashed, and the report has its status and stderr tail.
    pub async fn wait_exit_within(&mut self, within: Duration) -> Option<ExitReport> {
        let deadline = Instant::now() + within;
        let mut pause = Duration::from_millis(2);
        loop {
            if self.exited().is_some() {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            tokio::select! {
                biased;
                _ = self.child.wait() => {}
                () = tokio::time::sleep_until(deadline.min(now + pause)) => {}
            }
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        // A group member other than the direct child went first (a wrapper's child):
        // its status is its parent's to collect. Give the direct child what is left of
        // the budget to follow, so the report can carry a status instead of "unknown".
        if self.exit.as_ref().is_some_and(|e| !e.direct_child) {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Ok(Ok(status)) = tokio::time::timeout(left, self.child.wait()).await {
                let direct = self.report_for(self.pid, true, status_parts(status));
                self.exit = Some(direct);
            }
        }
        // A crash usually writes its last words just before exiting; give the capture
        // tasks a moment to read them, within what is left of the budget.
        let settle = deadline.saturating_duration_since(Instant::now()).min(SETTLE);
        self.settle_logs(settle).await;
        let tails = (self.stdout.tail(), self.stderr.tail());
        let exit = self.exit.as_mut()?;
        (exit.stdout_tail, exit.stderr_tail) = tails;
        Some(exit.clone())
    }

    /// Waits up to `within` for both streams to reach end of file.
    pub(crate) async fn settle_logs(&self, within: Duration) {
        tokio::join!(self.stdout.wait_eof(within), self.stderr.wait_eof(within));
    }

    fn check_exit(&mut self) -> Option<ExitReport> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(self.report_for(self.pid, true, status_parts(status)));
        }
        let gone = self.watched.iter().find_map(|m| match unix::proc_stat(m.pid) {
            Some(stat) if stat.start_time == m.start_time && stat.is_live() => None,
            Some(stat) if stat.start_time == m.start_time => Some((m.pid, stat.exit_code)),
            _ => Some((m.pid, None)),
        })?;
        let (pid, wait_status) = gone;
        let parts = wait_status.map_or((None, None), wait_status_parts);
        Some(self.report_for(u32::try_from(pid).unwrap_or_default(), false, parts))
    }

    pub(crate) fn report_for(
        &self,
        pid: u32,
        direct_child: bool,
        (status, signal): (Option<i32>, Option<ExitSignal>),
    ) -> ExitReport {
        ExitReport {
            pid,
            direct_child,
            status,
            signal,
            stderr_tail: self.stderr.tail(),
            stdout_tail: self.stdout.tail(),
            when: SystemTime::now(),
            stop: None,
        }
    }

    /// SIGKILL to the group, guarded against pid reuse; errors are ignored because
    /// there is nothing better to do on these paths.
    pub(crate) fn kill_group_now(&self) {
        let _ = unix::signal_group_verified(self.pgid, self.leader_start, RawSignal::KILL);
    }
}

/// How long a crash report waits for the capture to drain.
const SETTLE: Duration = Duration::from_millis(100);

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.kill_group_now();
        // Best effort: the child usually dies within microseconds of SIGKILL; if not
        // yet, tokio's orphan queue reaps it after the handle is gone.
        let _ = self.child.try_wait();
        if let Some(supervisor) = &mut self.supervisor {
            supervisor.release();
        }
    }
}

/// `exit code 3` or `signal 9 (SIGKILL)`, for messages.
pub(crate) fn describe_status(status: ExitStatus) -> String {
    match status_parts(status) {
        (_, Some(sig)) => format!("signal {} ({})", sig.number, sig.name),
        (Some(code), None) => format!("exit code {code}"),
        (None, None) => status.to_string(),
    }
}

pub(crate) fn status_parts(status: ExitStatus) -> (Option<i32>, Option<ExitSignal>) {
    use std::os::unix::process::ExitStatusExt;
    (status.code(), status.signal().map(exit_signal))
}

/// Decodes a raw `waitpid` status as found in `/proc/PID/stat` field 52.
fn wait_status_parts(raw: i32) -> (Option<i32>, Option<ExitSignal>) {
    use std::os::unix::process::ExitStatusExt;
    status_parts(ExitStatus::from_raw(raw))
}

fn exit_signal(number: i32) -> ExitSignal {
    let name = unix::signal_name(number).map_or_else(|| format!("signal {number}"), str::to_owned);
    ExitSignal { number, name }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    #[test]
    fn describes_statuses() {
        assert_eq!(describe_status(ExitStatus::from_raw(0)), "exit code 0");
        assert_eq!(describe_status(ExitStatus::from_raw(1 << 8)), "exit code 1");
        assert_eq!(describe_status(ExitStatus::from_raw(11)), "signal 11 (SIGSEGV)");
        assert_eq!(wait_status_parts(139 << 8).0, Some(139));
    }
}
