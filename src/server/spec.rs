//! What to launch and how to judge it: [`ServerSpec`], [`Readiness`], [`StopSpec`], [`Signal`].
//!
//! Plain data, already resolved by the caller: placeholders such as `{port}` are
//! substituted before a spec reaches this module, which is why it offers
//! [`free_loopback_port`] but never renders argv itself.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

/// One server to launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// The name used in messages and for the log files (`NAME.stdout.log`).
    pub name: String,
    /// The argv, placeholders already rendered. `command[0]` is a bare name looked up
    /// in `PATH`, an absolute path, or a relative path containing `/`, which `launch`
    /// resolves against [`ServerSpec::cwd`] (std leaves that case platform-specific).
    pub command: Vec<String>,
    /// The child's working directory; it must exist.
    pub cwd: PathBuf,
    /// Variables added to (not replacing) the inherited environment.
    pub env: Vec<(String, String)>,
    /// Where the server will listen when the caller chose the port (`{port}`).
    /// Required by [`Readiness::Tcp`] and [`Readiness::Http`]; `None` for a server
    /// that picks its own port and says so on stdout ([`Readiness::Stdout`]).
    pub address: Option<SocketAddr>,
    /// How to tell that the server is ready.
    pub readiness: Readiness,
    /// How to stop it.
    pub stop: StopSpec,
    /// How many times [`launch_retrying_port`](super::launch_retrying_port) may start the
    /// server again on a fresh port when it exits early because its port was taken.
    pub max_port_retries: u32,
}

/// How shakedown decides that a launched server is ready.
///
/// Every variant polls (or listens) until its `timeout`; a server that exits first
/// fails at once with [`LaunchError::ExitedEarly`](super::LaunchError::ExitedEarly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// A TCP connection to [`ServerSpec::address`] is accepted.
    Tcp {
        /// Give up after this long.
        timeout: Duration,
    },
    /// `GET path` on [`ServerSpec::address`] answers with `status`.
    Http {
        /// The request target, starting with `/`.
        path: String,
        /// The status that means ready (any other status keeps polling).
        status: u16,
        /// Give up after this long.
        timeout: Duration,
    },
    /// A line of the server's stdout matches `regex`. A named group `url` (or `port`)
    /// tells the address of a server that chose its own port.
    Stdout {
        /// A `regex` crate pattern, matched against each line without its newline.
        regex: String,
        /// Give up after this long.
        timeout: Duration,
    },
}

impl Readiness {
    /// How long the check may take before the launch fails.
    pub fn timeout(&self) -> Duration {
        match self {
            Self::Tcp { timeout } | Self::Http { timeout, .. } | Self::Stdout { timeout, .. } => {
                *timeout
            }
        }
    }
}

/// How to stop a server: `signal` to the whole process group, then `grace`, then SIGKILL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopSpec {
    /// The first signal sent to the group.
    pub signal: Signal,
    /// How long the group may take to exit before SIGKILL.
    pub grace: Duration,
}

impl Default for StopSpec {
    fn default() -> Self {
        Self { signal: Signal::Term, grace: Duration::from_secs(5) }
    }
}

/// The signals a suite may name as a stop signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    /// `SIGTERM`, the default.
    Term,
    /// `SIGINT`, what a Ctrl-C would send.
    Int,
    /// `SIGQUIT`.
    Quit,
    /// `SIGHUP`.
    Hup,
    /// `SIGKILL`: no grace is possible, so none is waited for.
    Kill,
    /// `SIGUSR1`, for a server that stops gracefully on it.
    Usr1,
    /// `SIGUSR2`, likewise.
    Usr2,
}

impl Signal {
    /// Every variant, for parsers and did-you-mean lists.
    pub const ALL: [Self; 7] =
        [Self::Term, Self::Int, Self::Quit, Self::Hup, Self::Kill, Self::Usr1, Self::Usr2];

    /// The conventional name, e.g. `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Term => "SIGTERM",
            Self::Int => "SIGINT",
            Self::Quit => "SIGQUIT",
            Self::Hup => "SIGHUP",
            Self::Kill => "SIGKILL",
            Self::Usr1 => "SIGUSR1",
            Self::Usr2 => "SIGUSR2",
        }
    }

    /// Parses `SIGTERM` or `TERM` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        Self::ALL.into_iter().find(|s| &s.name()[3..] == bare)
    }

    /// The signal number on this platform.
    pub fn number(self) -> i32 {
        self.to_rustix().as_raw()
    }

    /// The number as a rustix signal, for the syscalls in `unix.rs`.
    pub(crate) fn to_rustix(self) -> rustix::process::Signal {
        use rustix::process::Signal as S;
        match self {
            Self::Term => S::TERM,
            Self::Int => S::INT,
            Self::Quit => S::QUIT,
            Self::Hup => S::HUP,
            Self::Kill => S::KILL,
            Self::Usr1 => S::USR1,
            Self::Usr2 => S::USR2,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A free TCP port on 127.0.0.1, for the caller's `{port}` placeholder.
///
/// Binds `127.0.0.1:0`, reads the port the kernel chose and closes the socket. Another
/// process may take the port before the server binds it; that race is what
/// [`ServerSpec::max_port_retries`] is for.
pub fn free_loopback_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_round_trip() {
        for s in Signal::ALL {
            assert_eq!(Signal::from_name(s.name()), Some(s));
            assert_eq!(Signal::from_name(&s.name()[3..].to_ascii_lowercase()), Some(s));
        }
        assert_eq!(Signal::from_name("SIGUSR1"), Some(Signal::Usr1));
        assert_eq!(Signal::from_name("SIGWINCH"), None);
        assert_eq!(Signal::Term.number(), 15);
        assert_eq!(Signal::Kill.number(), 9);
    }

    #[test]
    fn free_port_is_nonzero_and_bindable() {
        let port = free_loopback_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }
}
