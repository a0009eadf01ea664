//! [`LaunchError`]: every way a launch can fail, with the evidence a user needs.
//!
//! Messages are lowercase fragments that read after "failed to …" and stay on one
//! line; the log tails travel in fields (see [`LaunchError::log_tails`]) so the
//! renderer in `cli` decides how to show them.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use super::handle::describe_status;

/// Why a server could not be launched or never became ready.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The spec's argv is empty.
    #[error("start server `{name}`: its command is empty")]
    EmptyCommand {
        /// The server's name.
        name: String,
    },
    /// The working directory does not exist or is not a directory.
    #[error("start server `{name}`: working directory does not exist: {}", cwd.display())]
    CwdMissing {
        /// The server's name.
        name: String,
        /// The directory asked for.
        cwd: PathBuf,
    },
    /// `argv[0]` was not found (in `PATH`, or at the given path).
    #[error("start server `{name}`: command not found: `{program}` (cwd {})", cwd.display())]
    CommandNotFound {
        /// The server's name.
        name: String,
        /// `argv[0]`.
        program: String,
        /// The working directory the spawn used.
        cwd: PathBuf,
    },
    /// `argv[0]` exists but may not be executed.
    #[error("start server `{name}`: permission denied running `{program}` (cwd {})", cwd.display())]
    PermissionDenied {
        /// The server's name.
        name: String,
        /// `argv[0]`.
        program: String,
        /// The working directory the spawn used.
        cwd: PathBuf,
    },
    /// Any other spawn failure.
    #[error("start server `{name}`: could not spawn `{program}` (cwd {})", cwd.display())]
    Spawn {
        /// The server's name.
        name: String,
        /// `argv[0]`.
        program: String,
        /// The working directory the spawn used.
        cwd: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The log directory or a log file could not be created.
    #[error("start server `{name}`: could not create log file {}", path.display())]
    Logs {
        /// The server's name.
        name: String,
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// No free loopback port could be found for a `{port}` placeholder.
    #[error("pick a free loopback port")]
    NoFreePort {
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// Something already listens on the address the server was told to use, so a
    /// TCP or HTTP probe would reach that instead.
    #[error("start server `{name}`: {address} is already in use")]
    PortInUse {
        /// The server's name.
        name: String,
        /// The address.
        address: std::net::SocketAddr,
    },
    /// The stdout readiness pattern does not compile.
    #[error("start server `{name}`: invalid stdout readiness pattern `{regex}`")]
    InvalidRegex {
        /// The server's name.
        name: String,
        /// The pattern.
        regex: String,
        /// The compiler's complaint.
        #[source]
        source: regex::Error,
    },
    /// A TCP or HTTP readiness check was asked for without an address to probe.
    #[error("start server `{name}`: tcp and http readiness need an address (a `{{port}}`)")]
    NoAddress {
        /// The server's name.
        name: String,
    },
    /// The orphan supervisor could not be started; the server was stopped again.
    #[error("start server `{name}`: could not start the orphan supervisor")]
    Supervisor {
        /// The server's name.
        name: String,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The direct child exited before the readiness check passed.
    #[error("start server `{name}`: it exited with {} before becoming ready", describe_status(*status))]
    ExitedEarly {
        /// The server's name.
        name: String,
        /// How it exited.
        status: ExitStatus,
        /// The last lines of stderr (at most 40), redacted.
        stderr_tail: Vec<String>,
        /// The last lines of stdout (at most 40), redacted.
        stdout_tail: Vec<String>,
    },
    /// The readiness check did not pass in time; the server was stopped.
    #[error("start server `{name}`: not ready within {timeout:?} (last probe: {last_probe_error})")]
    NotReady {
        /// The server's name.
        name: String,
        /// The readiness timeout.
        timeout: Duration,
        /// Why the last probe failed, e.g. "connection refused".
        last_probe_error: String,
        /// The last lines of stdout (at most 40), redacted.
        stdout_tail: Vec<String>,
        /// The last lines of stderr (at most 40), redacted.
        stderr_tail: Vec<String>,
    },
}

/// Phrases servers print when their port is taken (Python, Node, Go, Rust, Java).
const PORT_CONFLICT_MARKERS: [&str; 5] = [
    "address already in use",
    "eaddrinuse",
    "errno 98",
    "port is already in use",
    "that port is already in use",
];

impl LaunchError {
    /// `(stdout_tail, stderr_tail)` when the server produced output before failing.
    pub fn log_tails(&self) -> Option<(&[String], &[String])> {
        match self {
            Self::ExitedEarly { stdout_tail, stderr_tail, .. }
            | Self::NotReady { stdout_tail, stderr_tail, .. } => Some((stdout_tail, stderr_tail)),
            _ => None,
        }
    }

    /// Whether the server exited early saying its port was taken: the case where a
    /// restart on a fresh port may help.
    pub fn is_port_conflict(&self) -> bool {
        let Self::ExitedEarly { stderr_tail, stdout_tail, .. } = self else {
            return matches!(self, Self::PortInUse { .. });
        };
        stderr_tail.iter().chain(stdout_tail).any(|line| {
            let line = line.to_ascii_lowercase();
            PORT_CONFLICT_MARKERS.iter().any(|m| line.contains(m))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    #[test]
    fn messages_read_after_failed_to() {
        let e = LaunchError::CommandNotFound {
            name: "api".to_owned(),
            program: "pythn".to_owned(),
            cwd: PathBuf::from("/x"),
        };
        assert_eq!(e.to_string(), "start server `api`: command not found: `pythn` (cwd /x)");
        let e = LaunchError::ExitedEarly {
            name: "api".to_owned(),
            status: ExitStatus::from_raw(3 << 8),
            stderr_tail: vec!["OSError: [Errno 98] Address already in use".to_owned()],
            stdout_tail: vec![],
        };
        assert_eq!(
            e.to_string(),
            "start server `api`: it exited with exit code 3 before becoming ready"
        );
        assert!(e.is_port_conflict());
        let e = LaunchError::ExitedEarly {
            name: "api".to_owned(),
            status: ExitStatus::from_raw(9),
            stderr_tail: vec![],
            stdout_tail: vec![],
        };
        assert_eq!(
            e.to_string(),
            "start server `api`: it exited with signal 9 (SIGKILL) before becoming ready"
        );
        assert!(!e.is_port_conflict());
    }
}
