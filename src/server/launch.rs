//! [`launch`]: spawn a server in its own process group, capture its output, start its
//! orphan supervisor, and wait until it is ready.
//!
//! The handle exists from the moment the child does, so every failure after the
//! spawn (a supervisor that will not start, a readiness timeout, a panic) goes
//! through the handle's stop or its `Drop`: no path leaves the group running.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use regex::Regex;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::error::LaunchError;
use super::handle::{ReadyInfo, ServerHandle};
use super::logs::{Capture, Redactor, StdoutMatch};
use super::readiness::{self, HttpProbe, Outcome, RawHttpProbe};
use super::spec::{Readiness, ServerSpec, StopSpec, free_loopback_port};
use super::supervise::{self, SupervisorCommand, SupervisorGuard, Watch};
use super::unix;

/// How long an early exit waits for the last lines of output.
const EXIT_SETTLE: Duration = Duration::from_millis(500);

/// Choices a caller may override; [`Default`] is what [`launch`] uses.
#[derive(Clone, Default)]
pub struct LaunchOptions {
    /// The HTTP readiness probe; `None` means [`RawHttpProbe`].
    pub http_probe: Option<Arc<dyn HttpProbe>>,
    /// Which orphan supervisor to start.
    pub supervisor: SupervisorChoice,
}

impl fmt::Debug for LaunchOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchOptions")
            .field("http_probe", &self.http_probe.as_ref().map(|_| "custom"))
            .field("supervisor", &self.supervisor)
            .finish()
    }
}

/// Which orphan supervisor a launch starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SupervisorChoice {
    /// The one set with [`install_supervisor`](super::install_supervisor), if any.
    #[default]
    Installed,
    /// None: `stop` and `Drop` only.
    Off,
    /// This command.
    Command(SupervisorCommand),
}

/// Launches `spec`, writing its output under `logs_dir` with `secrets` redacted, and
/// returns once it is ready.
pub async fn launch(
    spec: &ServerSpec,
    logs_dir: &Path,
    secrets: &[String],
) -> Result<ServerHandle, LaunchError> {
    launch_with(spec, logs_dir, secrets, &LaunchOptions::default()).await
}

/// [`launch`] with explicit [`LaunchOptions`].
pub async fn launch_with(
    spec: &ServerSpec,
    logs_dir: &Path,
    secrets: &[String],
    options: &LaunchOptions,
) -> Result<ServerHandle, LaunchError> {
    let name = spec.name.clone();
    if spec.command.is_empty() {
        return Err(LaunchError::EmptyCommand { name });
    }
    if !spec.cwd.is_dir() {
        return Err(LaunchError::CwdMissing { name, cwd: spec.cwd.clone() });
    }
    let stdout_regex = match &spec.readiness {
        Readiness::Stdout { regex, .. } => Some(Regex::new(regex).map_err(|source| {
            LaunchError::InvalidRegex { name: name.clone(), regex: regex.clone(), source }
        })?),
        Readiness::Tcp { .. } | Readiness::Http { .. } => {
            if spec.address.is_none() {
                return Err(LaunchError::NoAddress { name });
            }
            None
        }
    };
    if let Some(address) = spec.address
        && port_taken(address)
    {
        return Err(LaunchError::PortInUse { name, address });
    }
    let (mut handle, match_rx, started) =
        spawn_group(&Group::of(spec), logs_dir, secrets, options, stdout_regex).await?;

    let probe: &dyn HttpProbe = options.http_probe.as_deref().unwrap_or(&RawHttpProbe);
    let outcome =
        readiness::wait(&mut handle.child, &spec.readiness, spec.address, probe, match_rx, started)
            .await;
    match outcome {
        Outcome::Ready(probe) => {
            let (address, url) = address_and_url(spec.address, probe.stdout.as_ref());
            handle.ready = ReadyInfo {
                startup: started.elapsed(),
                detection_window: probe.window,
                probes: probe.probes,
                ready_at: Some(SystemTime::now()),
                address,
                url,
            };
            let pid = handle.pid;
            handle.watched = unix::group_members(handle.pgid)
                .unwrap_or_default()
                .into_iter()
                .filter(|m| u32::try_from(m.pid).ok() != Some(pid))
                .collect();
            Ok(handle)
        }
        Outcome::Exited(status) => {
            // Whatever it forked may still run; the group goes with it.
            handle.kill_group_now();
            handle.settle_logs(EXIT_SETTLE).await;
            Err(LaunchError::ExitedEarly {
                name,
                status,
                stderr_tail: handle.stderr.tail(),
                stdout_tail: handle.stdout.tail(),
            })
        }
        Outcome::TimedOut(last_probe_error) => {
            let report = handle.stop(false).await;
            Err(LaunchError::NotReady {
                name,
                timeout: spec.readiness.timeout(),
                last_probe_error,
                stdout_tail: report.stdout_tail,
                stderr_tail: report.stderr_tail,
            })
        }
    }
}

/// What [`spawn_group`] needs of a server or a command.
pub(super) struct Group<'a> {
    pub(super) name: &'a str,
    pub(super) command: &'a [String],
    pub(super) cwd: &'a Path,
    pub(super) env: &'a [(String, String)],
    pub(super) stop: StopSpec,
}

impl<'a> Group<'a> {
    fn of(spec: &'a ServerSpec) -> Self {
        Group {
            name: &spec.name,
            command: &spec.command,
            cwd: &spec.cwd,
            env: &spec.env,
            stop: spec.stop,
        }
    }
}

/// The readiness matcher's receiver, when stdout readiness was asked for.
type MatchReceiver = Option<oneshot::Receiver<StdoutMatch>>;

/// Spawns `group.command` in a process group of its own with its output captured
/// under `logs_dir`, under its orphan supervisor (through the gate when there is one,
/// so that the supervisor watches before the program runs). The handle exists from
/// the moment the child does, so a failure after the spawn stops the group.
pub(super) async fn spawn_group(
    group: &Group<'_>,
    logs_dir: &Path,
    secrets: &[String],
    options: &LaunchOptions,
    stdout_regex: Option<Regex>,
) -> Result<(ServerHandle, MatchReceiver, Instant), LaunchError> {
    let name = group.name.to_owned();
    let Some(program) = group.command.first() else {
        return Err(LaunchError::EmptyCommand { name });
    };
    if !group.cwd.is_dir() {
        return Err(LaunchError::CwdMissing { name, cwd: group.cwd.to_path_buf() });
    }
    let logs_error = |path: &Path| {
        let name = name.clone();
        let path = path.to_path_buf();
        move |source| LaunchError::Logs { name, path, source }
    };
    tokio::fs::create_dir_all(logs_dir).await.map_err(logs_error(logs_dir))?;
    let stdout_path = logs_dir.join(format!("{name}.stdout.log"));
    let stderr_path = logs_dir.join(format!("{name}.stderr.log"));
    let stdout_file = Capture::open(&stdout_path).await.map_err(logs_error(&stdout_path))?;
    let stderr_file = Capture::open(&stderr_path).await.map_err(logs_error(&stderr_path))?;

    // A relative path with a slash means "relative to the server's cwd", explicitly.
    let program_path = if program.contains('/') && Path::new(program).is_relative() {
        group.cwd.join(program)
    } else {
        program.into()
    };
    let supervisor = match &options.supervisor {
        SupervisorChoice::Installed => supervise::installed(),
        SupervisorChoice::Off => None,
        SupervisorChoice::Command(command) => Some(command),
    };
    // With a gate, the supervisor watches the group before the server runs (see
    // `supervise.rs`): check the program first, as the spawn would have.
    let gate = supervisor.and_then(|c| Some((c, c.gate.as_ref()?)));
    if gate.is_some() {
        check_program(&program_path, group).map_err(|e| spawn_error(group, program, e))?;
    }
    let mut cmd = match gate {
        Some((command, gate_args)) => {
            #[expect(
                clippy::disallowed_methods,
                reason = "server::launch owns the child's process group; the gate becomes the server"
            )]
            let mut cmd = tokio::process::Command::new(&command.program);
            cmd.args(gate_args).arg(&program_path).args(&group.command[1..]).stdin(Stdio::piped());
            cmd
        }
        None => {
            #[expect(
                clippy::disallowed_methods,
                reason = "server::launch owns the child's process group"
            )]
            let mut cmd = tokio::process::Command::new(&program_path);
            cmd.args(&group.command[1..]).stdin(Stdio::null());
            cmd
        }
    };
    cmd.current_dir(group.cwd)
        .envs(group.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own: signals reach the server and everything it forks, and a
        // Ctrl-C meant for shakedown's terminal group does not reach it unasked.
        .process_group(0)
        // The handle's Drop kills the whole group, not just this pid.
        .kill_on_drop(false);
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| match gate {
        Some(_) => LaunchError::Supervisor { name: name.clone(), source: e },
        None => spawn_error(group, program, e),
    })?;
    let gate_pipe = child.stdin.take();
    let (Some(pid), Some(stdout), Some(stderr)) =
        (child.id(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.start_kill();
        return Err(spawn_error(group, program, io::Error::other("no pid or pipes after spawn")));
    };
    let Some(pgid) = unix::pid(pid) else {
        let _ = child.start_kill();
        return Err(spawn_error(group, program, io::Error::other("pid out of range")));
    };
    let leader_start = unix::start_time(pgid);

    let redactor = Arc::new(Redactor::new(secrets));
    let banner = format!("--- shakedown: started `{name}` as pid {pid} ---");
    let (match_tx, match_rx) = match stdout_regex {
        Some(re) => {
            let (tx, rx) = oneshot::channel::<StdoutMatch>();
            (Some((re, tx)), Some(rx))
        }
        None => (None, None),
    };
    let stdout =
        Capture::start(stdout, stdout_file, &stdout_path, Arc::clone(&redactor), match_tx, &banner);
    let stderr = Capture::start(stderr, stderr_file, &stderr_path, redactor, None, &banner);
    let mut handle = ServerHandle {
        name: name.clone(),
        child,
        pid,
        pgid,
        leader_start,
        stop_spec: group.stop,
        stdout,
        stderr,
        watched: Vec::new(),
        ready: ReadyInfo::default(),
        supervisor: None,
        exit: None,
        stopped: false,
    };
    if supervise::pause_point_reached("server-spawned") {
        std::future::pending::<()>().await;
    }

    if let Some(command) = supervisor {
        let order = Watch {
            pgid,
            leader_start,
            signal: group.stop.signal.to_rustix(),
            grace: group.stop.grace,
        };
        // On failure the handle is dropped here, which kills the group.
        handle.supervisor = Some(
            SupervisorGuard::spawn(command, &order)
                .await
                .map_err(|source| LaunchError::Supervisor { name: name.clone(), source })?,
        );
    }
    if let Some(pipe) = gate_pipe {
        let mut pipe = pipe;
        // The supervisor watches the group: the server may run now. A gate that is
        // already gone shows as an early exit below.
        let _ = tokio::io::AsyncWriteExt::write_all(&mut pipe, supervise::GO).await;
        drop(pipe);
    }
    if supervise::pause_point_reached("server-released") {
        std::future::pending::<()>().await;
    }

    Ok((handle, match_rx, started))
}

/// Launches the spec that `make_spec` builds for a free loopback port, and starts it
/// again on a fresh port, at most `max_port_retries` times (from the first spec),
/// while it exits early saying its port is taken ([`LaunchError::is_port_conflict`]).
///
/// `make_spec` renders the `{port}` placeholders and sets [`ServerSpec::address`].
pub async fn launch_retrying_port<F>(
    mut make_spec: F,
    logs_dir: &Path,
    secrets: &[String],
    options: &LaunchOptions,
) -> Result<ServerHandle, LaunchError>
where
    F: FnMut(u16) -> ServerSpec,
{
    let mut retries = 0;
    loop {
        let port = free_loopback_port().map_err(|source| LaunchError::NoFreePort { source })?;
        let spec = make_spec(port);
        match launch_with(&spec, logs_dir, secrets, options).await {
            Err(e) if e.is_port_conflict() && retries < spec.max_port_retries => retries += 1,
            result => return result,
        }
    }
}

/// Whether a listener already holds `address`. A TCP probe would connect to that
/// listener and call a server ready that is about to fail with "address in use", so
/// the launch checks first. Only a loopback or unspecified address is checked; a
/// port taken between this check and the server's bind is still possible (the
/// server then exits early and [`LaunchError::is_port_conflict`] sees it).
fn port_taken(address: SocketAddr) -> bool {
    let ip = address.ip();
    if !(ip.is_loopback() || ip.is_unspecified()) || address.port() == 0 {
        return false;
    }
    matches!(std::net::TcpListener::bind(address), Err(e) if e.kind() == io::ErrorKind::AddrInUse)
}

/// What `spawn` would say about `program_path`, checked before a gate runs it:
/// `NotFound` when no such file is on the path, `PermissionDenied` when the file
/// found is not executable (the rules of `execvp`).
fn check_program(program_path: &Path, spec: &Group<'_>) -> io::Result<()> {
    let path_var = spec.env.iter().rev().find(|(k, _)| k == "PATH").map(|(_, v)| v.as_str());
    find_program(program_path, spec.cwd, path_var.map(std::ffi::OsStr::new)).map(|_| ())
}

/// Where `execvp` would find `program` started in `cwd`: a name with a `/` is a path
/// (relative to `cwd`), a bare name is looked up on `path_var` (the command's own
/// `PATH`, else shakedown's, else the default search path). `NotFound` when no such
/// file exists, `PermissionDenied` when the only ones found are not executable.
/// `shakedown check` asks the same question before anything starts.
pub fn find_program(
    program: &Path,
    cwd: &Path,
    path_var: Option<&std::ffi::OsStr>,
) -> io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |path: &Path| -> io::Result<bool> {
        let meta = std::fs::metadata(path)?;
        Ok(meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    };
    let denied = || io::Error::from(io::ErrorKind::PermissionDenied);
    if program.as_os_str().as_encoded_bytes().contains(&b'/') {
        let path = if program.is_relative() { cwd.join(program) } else { program.to_path_buf() };
        return if executable(&path)? { Ok(path) } else { Err(denied()) };
    }
    let path_var = path_var
        .map(std::ffi::OsStr::to_os_string)
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let mut found_denied = false;
    for dir in std::env::split_paths(&path_var) {
        let dir = if dir.as_os_str().is_empty() { cwd.to_path_buf() } else { cwd.join(dir) };
        let candidate = dir.join(program);
        match executable(&candidate) {
            Ok(true) => return Ok(candidate),
            Ok(false) => found_denied = true,
            Err(_) => {}
        }
    }
    Err(if found_denied { denied() } else { io::Error::from(io::ErrorKind::NotFound) })
}

fn spawn_error(group: &Group<'_>, program: &str, e: io::Error) -> LaunchError {
    let (name, program, cwd) = (group.name.to_owned(), program.to_owned(), group.cwd.to_path_buf());
    match e.kind() {
        io::ErrorKind::NotFound => LaunchError::CommandNotFound { name, program, cwd },
        io::ErrorKind::PermissionDenied => LaunchError::PermissionDenied { name, program, cwd },
        _ => LaunchError::Spawn { name, program, cwd, source: e },
    }
}

/// The address and URL of a ready server: the spec's address, or what stdout said.
fn address_and_url(
    spec_address: Option<SocketAddr>,
    stdout: Option<&StdoutMatch>,
) -> (Option<SocketAddr>, Option<String>) {
    if let Some(url) = stdout.and_then(|m| m.url.clone()) {
        let address = url::Url::parse(&url).ok().and_then(|u| {
            let ip = match u.host()? {
                url::Host::Ipv4(ip) => IpAddr::V4(ip),
                url::Host::Ipv6(ip) => IpAddr::V6(ip),
                url::Host::Domain("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
                url::Host::Domain(_) => return None,
            };
            Some(SocketAddr::new(ip, u.port_or_known_default()?))
        });
        return (address, Some(url));
    }
    let address = stdout
        .and_then(|m| m.port.as_deref())
        .and_then(|p| p.parse::<u16>().ok())
        .map(|port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
        .or(spec_address);
    (address, address.map(|a| format!("http://{a}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_from_stdout_groups() {
        let m = |url: Option<&str>, port: Option<&str>| StdoutMatch {
            url: url.map(str::to_owned),
            port: port.map(str::to_owned),
            seen: Instant::now(),
        };
        let spec: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(
            address_and_url(None, Some(&m(Some("http://127.0.0.1:4242/api"), None))),
            (Some("127.0.0.1:4242".parse().unwrap()), Some("http://127.0.0.1:4242/api".to_owned()))
        );
        assert_eq!(
            address_and_url(None, Some(&m(None, Some("5151")))),
            (Some("127.0.0.1:5151".parse().unwrap()), Some("http://127.0.0.1:5151".to_owned()))
        );
        assert_eq!(
            address_and_url(Some(spec), None),
            (Some(spec), Some("http://127.0.0.1:9".to_owned()))
        );
        assert_eq!(
            address_and_url(None, Some(&m(Some("http://example.test:81"), None))),
            (None, Some("http://example.test:81".to_owned()))
        );
    }
}
