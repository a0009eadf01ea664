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
//! A supervisor that learns its parent is gone at any step (its acknowledgement
//! cannot be written, the pipe closes) stops the group.
//!
//! # The gate: no unwatched instant
//!
//! The supervisor must know the server's process group before the server runs a
//! single instruction of its own, or a SIGKILL of shakedown between the spawn and
//! the `watch` line leaves it unwatched. So when the command has a [`gate`]
//! (`shakedown __supervise exec PROGRAM ARGS…`), `launch` first spawns the *gate*
//! in the server's new process group: a copy of shakedown that blocks reading its
//! stdin. Its pid is the server's pid and group. The supervisor is then started
//! with that group and acknowledges; only then does `launch` write `go` to the
//! gate, which `exec`s the server (same pid, same group, same start time, stdin
//! back to `/dev/null`). A gate whose stdin closes before `go` (shakedown died)
//! exits without running the server. `unsafe_code` is forbidden, so `pre_exec` and
//! `PR_SET_PDEATHSIG` are out; `exec` from a process of our own is safe Rust.
//!
//! [`gate`]: SupervisorCommand::gate
//!
//! # Test pause points
//!
//! With `SHAKEDOWN_TEST_PAUSE=POINT:MARKER` (hidden, for tests), the process that
//! reaches `POINT` writes its pid to the file `MARKER` and waits there: shakedown
//! forever (`server-spawned`, `supervisor-started`, `server-released`, and `exit`
//! with the exit code, see [`pause_before_exit`]), the supervisor until its pipe
//! closes (`supervisor-order-read`), and `main` until a signal is recorded
//! (`signals-installed`, see `crate::signals`). Tests SIGKILL
//! shakedown in those windows deterministically, synchronised on the marker.
//!
//! Limits, by construction:
//! - If the supervisor itself is SIGKILLed together with shakedown (a kill of the
//!   whole session, a cgroup kill, `kill -9 -- -PGID` of both groups), nothing is
//!   left to clean up. Systems that kill that way also kill the server's group.
//! - A supervisor command without a gate (a test harness) leaves a window of a few
//!   hundred microseconds between the server's spawn and the `watch` line.
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
    /// The arguments that make `program` a gate (see the module doc): `launch` runs
    /// `program GATE… PROGRAM ARGS…` in the server's place. `None`: the server is
    /// spawned directly.
    pub gate: Option<Vec<OsString>>,
}

impl SupervisorCommand {
    /// The running executable with `args`, e.g. `SupervisorCommand::current_exe(["__supervise"])`,
    /// whose gate is the same `args` followed by `exec` (what [`supervise_main`] reads).
    pub fn current_exe<I, S>(args: I) -> io::Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let mut gate = args.clone();
        gate.push(GATE_ARG.into());
        Ok(Self { program: std::env::current_exe()?, args, env: Vec::new(), gate: Some(gate) })
    }
}

/// What a supervisor writes on stdout once it has read its order.
pub(crate) const ACK: &str = "shakedown-supervisor: watching";
/// The first argument of [`supervise_main`] that makes it a gate.
const GATE_ARG: &str = "exec";
/// The gate's exit status when the server cannot be executed: the server's status,
/// not one of shakedown's exit codes, so it follows the shells' "command not found".
const GATE_EXEC_FAILED: u8 = 127;
/// What `launch` writes to a gate to let the server run.
pub(crate) const GO: &[u8] = b"go\n";
/// The hidden variable that names a test pause point and its marker file.
const PAUSE_ENV: &str = "SHAKEDOWN_TEST_PAUSE";
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

/// The body of `shakedown __supervise`: watch one group until released or orphaned;
/// with the arguments `exec PROGRAM ARGS…`, be the gate of a server (module doc).
///
/// Without arguments the order comes on stdin; any other argument is an error.
pub fn supervise_main<I>(args: I) -> ExitCode
where
    I: IntoIterator<Item = OsString>,
{
    let mut args = args.into_iter();
    match args.next() {
        None => supervise(),
        Some(first) if first == GATE_ARG => gate(args),
        Some(_) => ExitCode::FAILURE,
    }
}

fn supervise() -> ExitCode {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut line = String::new();
    if !matches!(input.read_line(&mut line), Ok(n) if n > 0) {
        return ExitCode::SUCCESS;
    }
    let Some(mut order) = Watch::parse(&line) else {
        return ExitCode::FAILURE;
    };
    if order.leader_start.is_none() {
        order.leader_start = unix::start_time(order.pgid);
    }
    if pause_point_reached("supervisor-order-read") {
        // Wait for the pipe to close: the test SIGKILLs shakedown meanwhile.
        while matches!(input.read_line(&mut line), Ok(n) if n > 0) {}
    }
    // The acknowledgement is protocol on a pipe, not output for a person. If it
    // cannot be written, shakedown is gone: stop the group now.
    let mut stdout = io::stdout();
    if stdout.write_all(format!("{ACK}\n").as_bytes()).and_then(|()| stdout.flush()).is_err() {
        order.stop_group();
        return ExitCode::SUCCESS;
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

/// The gate: wait for `go` on stdin, then become the server (`exec`).
fn gate<I>(mut args: I) -> ExitCode
where
    I: Iterator<Item = OsString>,
{
    let Some(program) = args.next() else {
        return ExitCode::FAILURE;
    };
    let mut line = Vec::new();
    let mut input = io::stdin().lock();
    if input.read_until(b'\n', &mut line).is_err() || line != GO {
        // shakedown is gone (or confused): the server never runs.
        return ExitCode::FAILURE;
    }
    drop(input);
    #[expect(
        clippy::disallowed_methods,
        reason = "the gate becomes the server launch spawned, in the group launch made for it"
    )]
    let mut command = std::process::Command::new(&program);
    command.args(args).stdin(Stdio::null());
    let error = std::os::unix::process::CommandExt::exec(&mut command);
    // stderr is the server's stderr log: the reason lands where the launch error looks.
    let _ = writeln!(
        io::stderr(),
        "shakedown: cannot run `{}`: {error}",
        std::path::Path::new(&program).display()
    );
    ExitCode::from(GATE_EXEC_FAILED)
}

/// The `exit` test pause point: with `SHAKEDOWN_TEST_PAUSE=exit:MARKER`, the process
/// writes `PID CODE` to `MARKER` and waits to be killed instead of exiting, so that
/// a test can read its peak memory (`VmHWM` in `/proc/PID/status`, gone once it exits).
pub fn pause_before_exit(code: u8) {
    if pause_point_reached_with("exit", &format!(" {code}")) {
        loop {
            std::thread::park();
        }
    }
}

/// Whether `SHAKEDOWN_TEST_PAUSE` names `point`; if so, its marker file now holds our pid.
pub(crate) fn pause_point_reached(point: &str) -> bool {
    pause_point_reached_with(point, "")
}

fn pause_point_reached_with(point: &str, extra: &str) -> bool {
    let Some(value) = std::env::var_os(PAUSE_ENV) else {
        return false;
    };
    let value = value.to_string_lossy();
    let Some((name, marker)) = value.split_once(':') else {
        return false;
    };
    if name != point {
        return false;
    }
    let temp = format!("{marker}.tmp{}", std::process::id());
    std::fs::write(&temp, format!("{}{extra}\n", std::process::id())).is_ok()
        && std::fs::rename(&temp, marker).is_ok()
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
        if pause_point_reached("supervisor-started") {
            std::future::pending::<()>().await;
        }
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
