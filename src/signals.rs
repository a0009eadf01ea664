//! The process's termination signals (SIGINT, SIGTERM, SIGHUP), handled from the first
//! instant: [`install`] is the first thing `main` does, before the command line is even
//! read, so a signal that lands while a suite and its scenario files are still being
//! parsed is recorded instead of killing shakedown by its default action.
//!
//! Each signal gets one handler (signal-hook's self-pipe action, async-signal-safe) that
//! writes one byte to a socket of its own: the bytes count the deliveries, and the
//! socket names the kind, so there is no window between two registrations in which a
//! delivery could be half recorded. A signal then waits, recorded, until a command
//! listens ([`Listener`]: the first `recv` returns it at once) or declares that it has
//! no graceful handling ([`restore_default`]: a signal already recorded, or any later
//! one, then kills the process by its default action, as if nothing had been
//! installed). Every [`Listener`] sees every delivery since the process started (the
//! bytes read are counted in one place), so the threads of `load` each see a SIGINT.
//!
//! The only window left is between `exec` and the first instruction of `main`, inside
//! the Rust runtime's start-up: a signal there has its default action.
//!
//! A test pause point (`SHAKEDOWN_TEST_PAUSE=signals-installed:MARKER`, see
//! `server::supervise`) stops right after [`install`] until a signal is recorded, so a
//! test can deliver one "in the first instant" deterministically.

use std::io::{self, Read as _};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// A termination signal that shakedown handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP.
    Hangup,
}

impl Signal {
    /// Every handled signal, in the order a tie is broken (several kinds recorded
    /// before anyone listened).
    pub const ALL: [Signal; 3] = [Signal::Interrupt, Signal::Terminate, Signal::Hangup];

    /// `SIGINT`, `SIGTERM` or `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        }
    }

    fn raw(self) -> i32 {
        match self {
            Signal::Interrupt => signal_hook::consts::SIGINT,
            Signal::Terminate => signal_hook::consts::SIGTERM,
            Signal::Hangup => signal_hook::consts::SIGHUP,
        }
    }
}

/// The handlers' state, once installed.
struct Installed {
    /// The read ends, one per kind (in [`Signal::ALL`] order), non-blocking: one byte
    /// per delivery.
    read: [UnixStream; 3],
    /// Once true, every later delivery runs the default action (death by the signal).
    default: Arc<AtomicBool>,
    /// Deliveries read from the sockets so far, per kind.
    counts: Mutex<[u64; 3]>,
}

static INSTALLED: OnceLock<Result<Installed, String>> = OnceLock::new();

/// Installs the handlers of SIGINT, SIGTERM and SIGHUP, once per process (later calls
/// return the first call's result). From here on no delivery of these kills the
/// process until [`restore_default`] says so; each is recorded for a [`Listener`].
pub fn install() -> io::Result<()> {
    let installed = INSTALLED.get_or_init(|| register().map_err(|e| e.to_string()));
    match installed {
        Ok(_) => {
            pause_until_signalled();
            Ok(())
        }
        Err(e) => Err(io::Error::other(e.clone())),
    }
}

fn register() -> io::Result<Installed> {
    let default = Arc::new(AtomicBool::new(false));
    let mut reads = Vec::with_capacity(Signal::ALL.len());
    for signal in Signal::ALL {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        // The recording action first: from this call on, a delivery is counted.
        signal_hook::low_level::pipe::register(signal.raw(), write)?;
        signal_hook::flag::register_conditional_default(signal.raw(), Arc::clone(&default))?;
        reads.push(read);
    }
    let read: [UnixStream; 3] =
        reads.try_into().map_err(|_| io::Error::other("three signal sockets"))?;
    Ok(Installed { read, default, counts: Mutex::new([0; 3]) })
}

fn installed() -> io::Result<&'static Installed> {
    install()?;
    match INSTALLED.get() {
        Some(Ok(installed)) => Ok(installed),
        Some(Err(e)) => Err(io::Error::other(e.clone())),
        None => Err(io::Error::other("the signal handlers are not installed")),
    }
}

impl Installed {
    /// Reads every byte waiting (through `read`, per kind index) and returns the counts
    /// of deliveries so far. Reading and counting happen under one lock, so a reader
    /// that finds a socket empty sees the count of whoever emptied it.
    fn drain(&self, mut read: impl FnMut(usize, &mut [u8]) -> io::Result<usize>) -> [u64; 3] {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        for (index, count) in counts.iter_mut().enumerate() {
            let mut buffer = [0_u8; 64];
            while let Ok(n @ 1..) = read(index, &mut buffer) {
                *count += u64::try_from(n).unwrap_or(0);
            }
        }
        *counts
    }

    fn drain_std(&self) -> [u64; 3] {
        self.drain(|index, buffer| match self.read.get(index) {
            Some(mut stream) => stream.read(buffer),
            None => Ok(0),
        })
    }
}

/// For a command without graceful handling of its own: a signal already recorded, or
/// any later one, kills the process by its default action, as if no handler had been
/// installed (the exit status says "killed by SIGINT", as for `hurl`).
pub fn restore_default() {
    let Ok(installed) = installed() else { return };
    installed.default.store(true, Ordering::SeqCst);
    let counts = installed.drain_std();
    if let Some((signal, _)) = Signal::ALL.into_iter().zip(counts).find(|(_, n)| *n > 0) {
        let _ = signal_hook::low_level::emulate_default_handler(signal.raw());
    }
}

/// The test pause point `signals-installed` (see the module doc): waits, without a
/// timeout, until a signal is recorded, leaving it recorded.
fn pause_until_signalled() {
    if !crate::server::pause_point_reached("signals-installed") {
        return;
    }
    let Some(Ok(installed)) = INSTALLED.get() else { return };
    use rustix::event::{PollFd, PollFlags, poll};
    let mut fds: Vec<PollFd<'_>> =
        installed.read.iter().map(|s| PollFd::new(s, PollFlags::IN)).collect();
    while !fds.iter().any(|fd| fd.revents().contains(PollFlags::IN)) {
        if poll(&mut fds, None).is_err_and(|e| e != rustix::io::Errno::INTR) {
            return;
        }
    }
}

/// Reads the recorded signals inside a tokio runtime: every delivery since the process
/// started, those before the listener was made first and at once.
pub struct Listener {
    installed: &'static Installed,
    streams: [tokio::net::UnixStream; 3],
    /// Deliveries already returned, per kind.
    seen: [u64; 3],
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listener(SIGINT, SIGTERM, SIGHUP)")
    }
}

impl Listener {
    /// A listener; must be called inside a tokio runtime's context (with I/O enabled).
    /// Installs the handlers if `main` did not.
    pub fn new() -> io::Result<Listener> {
        let installed = installed()?;
        let [a, b, c] = &installed.read;
        let stream = |s: &UnixStream| tokio::net::UnixStream::from_std(s.try_clone()?);
        Ok(Listener { installed, streams: [stream(a)?, stream(b)?, stream(c)?], seen: [0; 3] })
    }

    /// One delivery not returned yet, if any, without waiting.
    pub fn try_recv(&mut self) -> Option<Signal> {
        let streams = &self.streams;
        // Reading through this listener's own streams clears their readiness.
        let counts = self.installed.drain(|index, buffer| match streams.get(index) {
            Some(stream) => stream.try_read(buffer),
            None => Ok(0),
        });
        for ((signal, count), seen) in Signal::ALL.into_iter().zip(counts).zip(&mut self.seen) {
            if count > *seen {
                *seen += 1;
                return Some(signal);
            }
        }
        None
    }

    /// The next delivery (at once if one was recorded before).
    pub async fn recv(&mut self) -> Signal {
        loop {
            if let Some(signal) = self.try_recv() {
                return signal;
            }
            let [a, b, c] = &self.streams;
            let ready = tokio::select! {
                r = a.readable() => r,
                r = b.readable() => r,
                r = c.readable() => r,
            };
            if ready.is_err() {
                // The socket is broken: no signal will ever be read again.
                return std::future::pending().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_recorded_before_the_listener_is_received_at_once_and_counted() {
        install().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut listener = Listener::new().unwrap();
            while listener.try_recv().is_some() {}
            signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
            signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
            // A second listener, made later, sees the same deliveries.
            let mut other = Listener::new().unwrap();
            assert_eq!(listener.recv().await, Signal::Hangup);
            assert_eq!(listener.recv().await, Signal::Hangup);
            assert_eq!(listener.try_recv(), None);
            let mut seen = Vec::new();
            while let Some(signal) = other.try_recv() {
                seen.push(signal);
            }
            assert!(seen.iter().filter(|s| **s == Signal::Hangup).count() >= 2, "{seen:?}");
        });
    }
}
