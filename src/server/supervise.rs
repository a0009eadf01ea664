//! The orphan supervisor: a tiny process that kills a server's group when shakedown
//! dies without stopping it (SIGKILL, OOM killer, a crash in a signal handler).
//!
//! For each launched server, `launch` starts the supervisor command (normally
//! `shakedown __supervise`, installed once with [`install_supervisor`]) in a process
//! group of its own, with a pipe on its stdin, and writes one line:
//! `watch PGID LEADER_START SIGNAL GRACE_MS`. The supervisor answers [`ACK`] on its
//! stdout, so a supervisor command that is not wired (an unknown subcommand that
//! exits at once) fails the launch instead of leaving the server silently
//! unprotected. It then blocks reading the pipe. Two things can happen:
//!
//! - shakedown stops the server itself and writes `release`: the supervisor exits.
//! - shakedown dies: the kernel closes the pipe, the read returns end of file, and the
//!   supervisor stops the group the way shakedown would have (the stop signal, the
//!   grace, SIGKILL), each signal guarded by the leader's start time against pid
//!   reuse (see `unix.rs`). It waits, bounded, until the group is gone and exits.
//!
//! Limits, by construction:
//! - If the supervisor itself is SIGKILLed together with shakedown (a kill of the
//!   whole session, a cgroup kill, `kill -9 -- -PGID` of both groups), nothing is
//!   left to clean up. Systems that kill that way also kill the server's group.
//! - There is a window of a few hundred microseconds between the server's spawn and
//!   the `watch` line in which a SIGKILL of shakedown leaves the server unwatched.
//! - A process that leaves the server's group (`setsid`, `setpgid`: a daemonising
//!   server) is outside any group kill, here and in `stop`.
//! - It costs one small process per server for the server's lifetime.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal as RawSignal};

use super::unix;

/// The argv that starts a supervisor (for shakedown: its own executable and `__supervise`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupervisorCommand {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Variables added to its environment.
    pub env: Vec<(OsString, OsString)>,
}

impl SupervisorCommand {
    /// The running executable with `args`, e.g. `SupervisorCommand::current_exe(["__supervise"])`.
    pub fn current_exe<I, S>(args: I) -> io::Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Ok(Self {
            program: std::env::current_exe()?,
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
        })
    }
}

/// What a supervisor writes on stdout once it has read its order.
pub(crate) const ACK: &str = "shakedown-supervisor: watching";
/// How long `launch` waits for [`ACK`].
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

static INSTALLED: OnceLock<SupervisorCommand> = OnceLock::new();

/// Sets the supervisor that every later [`launch`](super::launch()) uses, once per
/// process; a second call returns its argument unchanged.
///
/// Without it, servers are protected by `stop` and `Drop` only, not against a
/// SIGKILL of shakedown ([`ServerHandle::is_supervised`](super::ServerHandle::is_supervised) says which).
pub fn install_supervisor(command: SupervisorCommand) -> Result<(), SupervisorCommand> {
    INSTALLED.set(command)
}

/// The installed supervisor, if any.
pub(crate) fn installed() -> Option<&'static SupervisorCommand> {
    INSTALLED.get()
}

/// The body of `shakedown __supervise`: watch one group until released or orphaned.
///
/// Takes no arguments (any argument is an error); the order comes on stdin.
pub fn supervise_main<I>(args: I) -> ExitCode
where
    I: IntoIterator<Item = OsString>,
{
    if args.into_iter().next().is_some() {
        return ExitCode::FAILURE;
    }
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut line = String::new();
    if !matches!(input.read_line(&mut line), Ok(n) if n > 0) {
        return ExitCode::SUCCESS;
    }
    let Some(order) = Watch::parse(&line) else {
        return ExitCode::FAILURE;
    };
    // The acknowledgement is protocol on a pipe, not output for a person.
    let mut stdout = io::stdout();
    if stdout.write_all(format!("{ACK}\n").as_bytes()).and_then(|()| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line.trim() == "release" => return ExitCode::SUCCESS,
            Ok(_) => {}
        }
    }
    order.stop_group();
    ExitCode::SUCCESS
}

/// What a supervisor watches and how it stops it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Watch {
    pub(crate) pgid: Pid,
    pub(crate) leader_start: Option<u64>,
    pub(crate) signal: RawSignal,
    pub(crate) grace: Duration,
}

impl Watch {
    fn encode(&self) -> String {
        let start = self.leader_start.map_or_else(|| "-".to_owned(), |s| s.to_string());
        format!(
            "watch {} {start} {} {}\n",
            self.pgid.as_raw_pid(),
            self.signal.as_raw(),
            self.grace.as_millis()
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        if words.next()? != "watch" {
            return None;
        }
        let pgid = Pid::from_raw(words.next()?.parse().ok()?)?;
        let leader_start = match words.next()? {
            "-" => None,
            n => Some(n.parse().ok()?),
        };
        let signal = RawSignal::from_named_raw(words.next()?.parse().ok()?)?;
        let grace = Duration::from_millis(words.next()?.parse().ok()?);
        Some(Self { pgid, leader_start, signal, grace })
    }

    /// The stop sequence, blocking: signal, grace, SIGKILL, wait for the group to go.
    fn stop_group(&self) {
        let send = |sig| unix::signal_group_verified(self.pgid, self.leader_start, sig);
        if !matches!(send(self.signal), Ok(unix::Sent::Delivered)) {
            return;
        }
        if self.signal != RawSignal::KILL && !wait_gone(self.pgid, self.grace) {
            let _ = send(RawSignal::KILL);
        }
        wait_gone(self.pgid, Duration::from_secs(5));
    }
}

/// Polls until the group is gone; `false` on timeout.
#[expect(
    clippy::disallowed_methods,
    reason = "the supervisor is a single-threaded blocking process with no runtime to block"
)]
fn wait_gone(pgid: Pid, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if !unix::group_alive(pgid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// shakedown's end of one supervisor: the child and the pipe it reads.
#[derive(Debug)]
pub(crate) struct SupervisorGuard {
    /// Kept so tokio reaps the supervisor when it exits (also after the guard is dropped).
    _child: tokio::process::Child,
    /// Kept open so the supervisor never writes into a closed pipe.
    _ack: tokio::process::ChildStdout,
    /// Closing it without `release` means "shakedown is gone".
    pipe: Option<File>,
}

impl SupervisorGuard {
    /// Starts `command`, hands it the watch order and waits for its [`ACK`].
    pub(crate) async fn spawn(command: &SupervisorCommand, order: &Watch) -> io::Result<Self> {
        #[expect(
            clippy::disallowed_methods,
            reason = "server::launch owns the supervisor's process group as it owns the server's"
        )]
        let mut cmd = tokio::process::Command::new(&command.program);
        cmd.args(&command.args)
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own group: a Ctrl-C to shakedown's terminal group must not reach it.
            .process_group(0)
            .kill_on_drop(false);
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| io::Error::other("no stdin pipe"))?;
        let mut ack = child.stdout.take().ok_or_else(|| io::Error::other("no stdout pipe"))?;
        let mut pipe = File::from(stdin.into_owned_fd()?);
        pipe.write_all(order.encode().as_bytes())?;
        match tokio::time::timeout(ACK_TIMEOUT, read_ack(&mut ack)).await {
            Ok(Ok(())) => Ok(Self { _child: child, _ack: ack, pipe: Some(pipe) }),
            Ok(Err(e)) => {
                let status = child.try_wait().ok().flatten();
                let _ = child.start_kill();
                Err(io::Error::new(
                    e.kind(),
                    match status {
                        Some(status) => format!("{e}; the supervisor {status}"),
                        None => e.to_string(),
                    },
                ))
            }
            Err(_) => {
                let _ = child.start_kill();
                Err(io::Error::new(io::ErrorKind::TimedOut, "the supervisor did not acknowledge"))
            }
        }
    }

    /// Tells the supervisor the group was stopped by shakedown, and lets it exit.
    pub(crate) fn release(&mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.write_all(b"release\n");
        }
    }
}

/// Reads until [`ACK`] appears (a test harness may print other lines first).
async fn read_ack(stdout: &mut tokio::process::ChildStdout) -> io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0_u8; 256];
    loop {
        let n = stdout.read(&mut buf).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the supervisor exited without acknowledging",
            ));
        }
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(ACK.len()).any(|w| w == ACK.as_bytes()) {
            return Ok(());
        }
        if seen.len() > 64 * 1024 {
            return Err(io::Error::other("no acknowledgement in the supervisor's output"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_orders_round_trip() {
        let order = Watch {
            pgid: Pid::from_raw(4242).unwrap(),
            leader_start: Some(123_456),
            signal: RawSignal::TERM,
            grace: Duration::from_millis(1500),
        };
        assert_eq!(order.encode(), "watch 4242 123456 15 1500\n");
        assert_eq!(Watch::parse(&order.encode()), Some(order.clone()));
        let order = Watch { leader_start: None, ..order };
        assert_eq!(Watch::parse(&order.encode()), Some(order));
        assert_eq!(Watch::parse("watch 0 - 15 10"), None);
        assert_eq!(Watch::parse("hello"), None);
    }
}
