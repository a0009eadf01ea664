//! Stopping a server: the stop signal to the whole group, the grace, SIGKILL, reaping,
//! and a check that nothing of the group is left.
//!
//! The sequence follows nextest's `runner/unix.rs`: signal the group, race the
//! group's exit against the grace period and any further request to hurry (a second
//! Ctrl-C), then SIGKILL the group. The grace ends early when the *group* is gone,
//! not merely the direct child: a wrapper script that exits on SIGTERM while its
//! grandchild ignores it still gets the grandchild killed.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use rustix::process::Signal as RawSignal;
use tokio::time::Instant;

use super::handle::{ExitReport, ServerHandle, StopOutcome, status_parts};
use super::spec::Signal;
use super::unix::{self, Sent};

/// How long to wait for the direct child to be reaped after SIGKILL.
const REAP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the rest of the group (reparented to init) to disappear.
const GROUP_GONE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the capture tasks to read the last lines.
const LOG_SETTLE: Duration = Duration::from_millis(200);

impl ServerHandle {
    /// Stops the whole group and reports how the server ended.
    ///
    /// `fast` skips the grace (SIGKILL right after the stop signal), for a second
    /// Ctrl-C or a run past its deadline.
    pub async fn stop(self, fast: bool) -> ExitReport {
        if fast {
            self.stop_until(std::future::ready(())).await
        } else {
            self.stop_until(std::future::pending()).await
        }
    }

    /// Like [`Self::stop`], but the grace ends as soon as `hurry` completes, e.g. on a
    /// second Ctrl-C that arrives while the server is shutting down.
    pub async fn stop_until(mut self, hurry: impl Future<Output = ()>) -> ExitReport {
        let started = Instant::now();
        let spec = self.stop_spec;
        let mut hurry = pin!(hurry);
        let mut signal_sent = None;
        let _ = self.child.try_wait();
        if unix::group_alive(self.pgid) {
            if let Ok(Sent::Delivered) =
                unix::signal_group_verified(self.pgid, self.leader_start, spec.signal.to_rustix())
            {
                signal_sent = Some(spec.signal);
            }
            if spec.signal != Signal::Kill {
                let deadline = started + spec.grace;
                let mut pause = Duration::from_millis(2);
                loop {
                    // Reap the child as soon as it exits, so its zombie does not keep
                    // the group alive on systems without /proc.
                    let _ = self.child.try_wait();
                    let now = Instant::now();
                    if !unix::group_alive(self.pgid) || now >= deadline {
                        break;
                    }
                    tokio::select! {
                        biased;
                        () = &mut hurry => break,
                        _ = self.child.wait() => {}
                        () = tokio::time::sleep_until(deadline.min(now + pause)) => {}
                    }
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
            }
        }
        let mut killed = false;
        let _ = self.child.try_wait();
        if unix::group_alive(self.pgid) {
            killed = matches!(
                unix::signal_group_verified(self.pgid, self.leader_start, RawSignal::KILL),
                Ok(Sent::Delivered)
            );
        }
        let status =
            tokio::time::timeout(REAP_TIMEOUT, self.child.wait()).await.ok().and_then(Result::ok);
        let group_gone = wait_group_gone(&self).await;
        self.settle_logs(LOG_SETTLE).await;
        if let Some(supervisor) = &mut self.supervisor {
            supervisor.release();
        }
        // If the group could not be verified gone, leave Drop armed: it sends SIGKILL again.
        self.stopped = group_gone;
        let mut report = match (status, self.exit.take()) {
            // The server had already crashed: keep when that was seen.
            (_, Some(earlier)) if earlier.direct_child => earlier,
            (Some(status), _) => self.report_for(self.pid, true, status_parts(status)),
            (None, Some(earlier)) => earlier,
            (None, None) => self.report_for(self.pid, true, (None, None)),
        };
        report.stderr_tail = self.stderr.tail();
        report.stdout_tail = self.stdout.tail();
        report.stop =
            Some(StopOutcome { signal_sent, killed, group_gone, elapsed: started.elapsed() });
        report
    }
}

/// Polls until no live process is left in the group, within [`GROUP_GONE_TIMEOUT`].
async fn wait_group_gone(handle: &ServerHandle) -> bool {
    let deadline = Instant::now() + GROUP_GONE_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        if !unix::group_alive(handle.pgid) {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        tokio::time::sleep_until(deadline.min(now + pause)).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}
