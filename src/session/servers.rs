//! The suite's servers: launching (or probing) them with their placeholders rendered,
//! the crash watch the runner asks after a transport error (R5), and stopping them.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::runner::execute::{CrashReport, ServerWatch};
use crate::server::{self, LaunchError, LaunchOptions, ServerHandle, ServerSpec, StopSpec};
use crate::suite::{self, CommandSpec, LayerKind, Placeholder, Program, ServerDef, ServerTarget};
use crate::transport::client::{Client, ClientSettings};
use crate::transport::request::{RequestOptions, RequestSpec};

use super::engine::Session;
use super::report::ServerRecord;

/// How many times a server is started again on a fresh port after a port conflict.
pub const PORT_RETRIES: u32 = 3;

/// A launched server, shared by the runner's crash watch and the run's shutdown.
pub(super) type Slot = Arc<Mutex<Option<ServerHandle>>>;

/// Which server: the suite's `[server]`, a restart-isolation worker's own copy of it,
/// or a `[servers.NAME]`. Its display is the name of its log files and in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerName {
    /// `[server]`, shared.
    Main,
    /// `[server]` started for worker N (from 1) of a layer with `isolation = "restart"`.
    Worker(usize),
    /// `[servers.NAME]`.
    Named(String),
}

impl ServerName {
    fn of(def: &ServerDef) -> Self {
        def.name().map_or(ServerName::Main, |name| ServerName::Named(name.to_owned()))
    }
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerName::Main => f.write_str("main"),
            ServerName::Worker(n) => write!(f, "main-w{n}"),
            ServerName::Named(name) => f.write_str(name),
        }
    }
}

/// Where a server can be reached, for placeholders and variables.
#[derive(Clone, Debug)]
pub(super) struct Endpoint {
    pub(super) port: u16,
    pub(super) url: String,
    /// With a fault plan: the fault proxy's port and URL, which the scenarios use instead.
    pub(super) scenario: Option<(u16, String)>,
}

impl Endpoint {
    /// The port the scenarios reach the server at (the fault proxy's, when there is one).
    pub(super) fn scenario_port(&self) -> u16 {
        self.scenario.as_ref().map_or(self.port, |(port, _)| *port)
    }

    /// The base URL the scenarios use (the fault proxy's, when there is one).
    pub(super) fn scenario_url(&self) -> &str {
        self.scenario.as_ref().map_or(&self.url, |(_, url)| url)
    }
}

/// Why a server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// An external target did not pass its readiness check.
    #[error("server `{name}` ({url}) is not ready: {reason}")]
    NotReady {
        /// The server.
        name: ServerName,
        /// Its URL.
        url: url::Url,
        /// The last probe's failure.
        reason: String,
    },
    /// A placeholder has no value.
    #[error("server `{name}`: {message}")]
    Placeholder {
        /// The server.
        name: ServerName,
        /// Which, and why.
        message: String,
    },
    /// The launch failed (with the output's last lines when there was output).
    #[error("failed to {0}")]
    Launch(LaunchError),
    /// The fault proxy in front of the server could not start.
    #[error("server `{name}`: cannot start its fault proxy: {message}")]
    Faults {
        /// The server.
        name: ServerName,
        /// Why.
        message: String,
    },
    /// A layer needs `[server]` and the suite has none.
    #[error("this layer needs a [server], and the suite has none")]
    NoMainServer,
    /// A signal came while the servers were starting (`shakedown load` on a suite).
    #[error("interrupted while the servers were starting")]
    Interrupted,
}

impl Session {
    /// Starts `[servers.NAME]` and records it.
    pub(super) async fn start_named(&self, def: &ServerDef) -> Result<(), StartError> {
        let name = ServerName::of(def);
        let (slot, endpoint) = self.start_server(def, &name).await?;
        self.lock_endpoints().insert(name.to_string(), endpoint);
        if let Some(slot) = slot {
            self.named_slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((name.to_string(), slot));
        }
        Ok(())
    }

    pub(super) fn lock_endpoints(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Endpoint>> {
        self.endpoints.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn named_watch(&self) -> Vec<(String, Slot)> {
        self.named_slots.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The shared main server, started if needed (and again if it has exited).
    pub(super) async fn ensure_main(&self) -> Result<(Slot, Endpoint), StartError> {
        let mut main = self.main.lock().await;
        if let Some((slot, endpoint)) = main.as_ref() {
            // An external target has no handle: it is as alive as its readiness said.
            let alive = slot.lock().await.as_mut().is_none_or(|h| h.exited().is_none());
            if alive {
                return Ok((slot.clone(), endpoint.clone()));
            }
        }
        let Some(def) = self.suite.server() else {
            return Err(StartError::NoMainServer);
        };
        let (slot, endpoint) = self.start_server(def, &ServerName::Main).await?;
        let slot = slot.unwrap_or_default();
        *main = Some((slot.clone(), endpoint.clone()));
        Ok((slot, endpoint))
    }

    /// Launches (or, for an external target, probes) one server. The slot is `None`
    /// for an external target.
    pub(super) async fn start_server(
        &self,
        def: &ServerDef,
        name: &ServerName,
    ) -> Result<(Option<Slot>, Endpoint), StartError> {
        self.emit(super::Event::ServerStarting { name: &name.to_string() });
        let started = self.launch_or_probe(def, name).await;
        if let Err(error) = &started {
            // The report says why, not only the terminal (`servers[].start_error`).
            let mut reason = error.to_string();
            if let StartError::Launch(launch) = error
                && let Some((_, stderr)) = launch.log_tails()
                && !stderr.is_empty()
            {
                reason.push_str("; the last lines of its stderr:");
                for line in stderr {
                    reason.push('\n');
                    reason.push_str(line);
                }
            }
            let reason = (self.redact)(&reason);
            self.progress().servers.push(ServerRecord::failed(&name.to_string(), &reason));
        }
        started
    }

    async fn launch_or_probe(
        &self,
        def: &ServerDef,
        name: &ServerName,
    ) -> Result<(Option<Slot>, Endpoint), StartError> {
        match def.target() {
            ServerTarget::External { url } => {
                let url = url.get_ref().clone();
                let started = Instant::now();
                probe_external(&url, def.ready()).await.map_err(|reason| StartError::NotReady {
                    name: name.clone(),
                    url: url.clone(),
                    reason,
                })?;
                let endpoint = Endpoint {
                    port: url.port_or_known_default().unwrap_or_default(),
                    url: url.as_str().trim_end_matches('/').to_owned(),
                    scenario: None,
                };
                let endpoint = self.front(def, name, endpoint).await?;
                self.progress().servers.push(ServerRecord::external(
                    &name.to_string(),
                    &endpoint.url,
                    started.elapsed(),
                ));
                self.emit(super::Event::ServerReady {
                    name: &name.to_string(),
                    url: &endpoint.url,
                    pid: None,
                    startup: started.elapsed(),
                });
                Ok((None, endpoint))
            }
            ServerTarget::Launch { command, stop } => {
                let stop = map_stop(*stop);
                let named = self.lock_endpoints().clone();
                let uses_port = uses_placeholders(command);
                let readiness = map_readiness(def.ready());
                // A trial render finds a placeholder with no value before anything starts.
                render_command(command, 1, None, &named)
                    .map_err(|message| StartError::Placeholder { name: name.clone(), message })?;
                let make_spec = |port: u16| {
                    let (argv, env) =
                        render_command(command, port, None, &named).unwrap_or_default();
                    let needs_address =
                        uses_port || !matches!(readiness, server::Readiness::Stdout { .. });
                    ServerSpec {
                        name: name.to_string(),
                        command: argv,
                        cwd: command.cwd().get_ref().clone(),
                        env,
                        address: needs_address
                            .then(|| std::net::SocketAddr::from(([127, 0, 0, 1], port))),
                        readiness: readiness.clone(),
                        stop,
                        max_port_retries: PORT_RETRIES,
                    }
                };
                let handle = server::launch_retrying_port(
                    make_spec,
                    &self.settings.run_dir,
                    &self.secrets,
                    &LaunchOptions::default(),
                )
                .await
                .map_err(StartError::Launch)?;
                let endpoint = Endpoint {
                    port: handle.address().map_or(0, |a| a.port()),
                    url: handle.url().unwrap_or_default().trim_end_matches('/').to_owned(),
                    scenario: None,
                };
                // A proxy that cannot start leaves the server to the handle's drop, which
                // stops its process group.
                let endpoint = self.front(def, name, endpoint).await?;
                let record = ServerRecord::launched(&handle);
                self.emit(super::Event::ServerReady {
                    name: &name.to_string(),
                    url: &endpoint.url,
                    pid: Some(handle.pid()),
                    startup: handle.ready_info().startup,
                });
                let slot: Slot = Arc::new(Mutex::new(Some(handle)));
                let index = {
                    let mut progress = self.progress();
                    progress.servers.push(record);
                    progress.servers.len() - 1
                };
                self.slots
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((index, slot.clone()));
                Ok((Some(slot), endpoint))
            }
        }
    }

    /// Stops one launched server and records how it ended.
    pub(super) async fn stop_slot(&self, slot: &Slot, hurry: impl Future<Output = ()>) {
        let Some(handle) = slot.lock().await.take() else { return };
        let logs = handle.logs();
        let pid = handle.pid();
        let name = handle.name().to_owned();
        let report = handle.stop_until(hurry).await;
        {
            let mut progress = self.progress();
            if let Some(record) = progress.servers.iter_mut().rev().find(|r| r.pid == Some(pid)) {
                record.finish(logs, &report);
            }
        }
        self.emit(super::Event::ServerStopped { name: &name, report: &report });
    }

    /// Stops every server still running, in reverse start order.
    pub(super) async fn stop_all<F, Fut>(&self, hurry: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let slots: Vec<Slot> = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .rev()
            .map(|(_, s)| s.clone())
            .collect();
        for slot in slots {
            self.stop_slot(&slot, hurry()).await;
        }
    }
}

/// R5 over launched servers: the runner asks after a transport error.
pub(super) struct Watch {
    pub(super) slots: Vec<(String, Slot)>,
}

impl ServerWatch for Watch {
    fn crashed_within(
        &self,
        within: Duration,
    ) -> Pin<Box<dyn Future<Output = Option<CrashReport>> + Send + '_>> {
        Box::pin(async move {
            let deadline = tokio::time::Instant::now() + within;
            let mut pause = Duration::from_millis(2);
            loop {
                for (name, slot) in &self.slots {
                    let mut guard = slot.lock().await;
                    let Some(handle) = guard.as_mut() else { continue };
                    if handle.exited().is_some() {
                        let report = handle.wait_exit_within(Duration::from_millis(100)).await?;
                        return Some(CrashReport {
                            description: format!("`{name}`: {report}"),
                            stderr_tail: report.stderr_tail,
                        });
                    }
                }
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return None;
                }
                tokio::time::sleep_until(deadline.min(now + pause)).await;
                pause = (pause * 2).min(Duration::from_millis(20));
            }
        })
    }
}

/// The named servers `command`'s placeholders refer to (`{servers.NAME.*}`).
pub(super) fn named_in(command: &CommandSpec) -> Vec<String> {
    command
        .args()
        .iter()
        .chain(command.env().iter().map(|e| &e.value))
        .flat_map(|t| t.placeholders())
        .filter_map(|p| match p.get_ref() {
            Placeholder::ServerPort(name) | Placeholder::ServerUrl(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

impl Session {
    /// Starts the servers a layer needs that are not running yet: for a scenario
    /// layer every named server (the main one starts in the layer); for a command
    /// layer those its `needs` and placeholders name, the main one included; and the
    /// named servers those servers' own placeholders name. Named servers start in
    /// declared order.
    pub(super) async fn start_needed(&self, kind: &LayerKind) -> Result<(), StartError> {
        let command_of = |def: &ServerDef| match def.target() {
            ServerTarget::Launch { command, .. } => named_in(command),
            ServerTarget::External { .. } => Vec::new(),
        };
        let (mut wanted, main) = match kind {
            LayerKind::Scenarios { .. } => (
                self.suite.servers().iter().filter_map(|d| d.name().map(str::to_owned)).collect(),
                false,
            ),
            LayerKind::Command { command, needs, .. } => {
                let mut wanted = named_in(command);
                wanted.extend(needs.iter().flatten().cloned());
                (wanted, needs.contains(&None) || uses_main(command))
            }
        };
        if main && let Some(def) = self.suite.server() {
            wanted.extend(command_of(def));
        }
        // Servers refer only to servers declared before them: one pass backwards
        // closes the set.
        for def in self.suite.servers().iter().rev() {
            if let Some(name) = def.name()
                && wanted.iter().any(|w| w == name)
            {
                wanted.extend(command_of(def));
            }
        }
        for def in self.suite.servers() {
            let Some(name) = def.name() else { continue };
            let started = self.lock_endpoints().contains_key(name);
            if !started && wanted.iter().any(|w| w == name) {
                self.start_named(def).await?;
            }
        }
        if main && matches!(kind, LayerKind::Command { .. }) {
            self.ensure_main().await?;
        }
        Ok(())
    }
}

pub(super) fn uses_placeholders(command: &CommandSpec) -> bool {
    command
        .args()
        .iter()
        .chain(command.env().iter().map(|e| &e.value))
        .any(|t| t.placeholders().next().is_some())
}

pub(super) fn uses_main(command: &CommandSpec) -> bool {
    command
        .args()
        .iter()
        .chain(command.env().iter().map(|e| &e.value))
        .flat_map(|t| t.placeholders())
        .any(|p| matches!(p.get_ref(), Placeholder::Port | Placeholder::Url))
}

/// An argv and its environment variables.
pub(super) type Rendered = (Vec<String>, Vec<(String, String)>);

/// The argv and env of `command` with placeholders filled in: `{port}` from `port`,
/// `{url}` from `main` (the main server, for a layer's command or a reset) or else
/// `http://127.0.0.1:{port}`, the others from the named servers.
pub(super) fn render_command(
    command: &CommandSpec,
    port: u16,
    main: Option<&Endpoint>,
    named: &BTreeMap<String, Endpoint>,
) -> Result<Rendered, String> {
    let own_url = main.map_or_else(|| format!("http://127.0.0.1:{port}"), |e| e.url.clone());
    let lookup = |p: &Placeholder| match p {
        Placeholder::Port => Some(port.to_string()),
        Placeholder::Url => Some(own_url.clone()),
        Placeholder::ServerPort(name) => named.get(name).map(|e| e.port.to_string()),
        Placeholder::ServerUrl(name) => named.get(name).map(|e| e.url.clone()),
    };
    let program = match command.program() {
        Program::Path(path) => path.get_ref().display().to_string(),
        Program::Search(name) => name.get_ref().clone(),
    };
    let mut argv = vec![program];
    for arg in command.args() {
        argv.push(arg.render(lookup).map_err(|e| e.to_string())?);
    }
    let mut env = Vec::new();
    for var in command.env() {
        env.push((
            var.name.get_ref().clone(),
            var.value.render(lookup).map_err(|e| e.to_string())?,
        ));
    }
    Ok((argv, env))
}

fn map_readiness(ready: &suite::Readiness) -> server::Readiness {
    match ready {
        suite::Readiness::Tcp { timeout } => server::Readiness::Tcp { timeout: *timeout },
        suite::Readiness::Http { path, status, timeout } => {
            server::Readiness::Http { path: path.clone(), status: *status, timeout: *timeout }
        }
        suite::Readiness::Stdout { pattern, timeout, .. } => {
            server::Readiness::Stdout { regex: pattern.as_str().to_owned(), timeout: *timeout }
        }
    }
}

/// The suite's stop signal for `server`: every signal `check` accepts, `run` sends.
fn map_stop(stop: suite::StopDef) -> StopSpec {
    let signal = match stop.signal {
        suite::Signal::Term => server::Signal::Term,
        suite::Signal::Int => server::Signal::Int,
        suite::Signal::Hup => server::Signal::Hup,
        suite::Signal::Quit => server::Signal::Quit,
        suite::Signal::Kill => server::Signal::Kill,
        suite::Signal::Usr1 => server::Signal::Usr1,
        suite::Signal::Usr2 => server::Signal::Usr2,
    };
    StopSpec { signal, grace: stop.grace }
}

/// Readiness of an external target, through the transport: polls 5 ms doubling to
/// 20 ms until the check passes or its timeout.
async fn probe_external(url: &url::Url, ready: &suite::Readiness) -> Result<(), String> {
    let mut client = Client::new(ClientSettings::default()).map_err(|e| e.to_string())?;
    let (path, status) = match ready {
        suite::Readiness::Http { path, status, .. } => (path.as_str(), Some(*status)),
        _ => ("/", None),
    };
    let target = url.join(path.trim_start_matches('/')).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + ready.timeout();
    let mut pause = Duration::from_millis(5);
    let mut last: String;
    loop {
        let request = RequestSpec {
            method: "GET".to_owned(),
            url: target.clone(),
            headers: Vec::new(),
            body: bytes::Bytes::new(),
            default_slots: crate::transport::DefaultSlots::default(),
            options: RequestOptions {
                connect_timeout: Duration::from_secs(2),
                max_time: Duration::from_secs(2),
                no_keepalive: true,
                ..RequestOptions::default()
            },
        };
        match client.send(&request).await.result {
            Ok(response) if status.is_none_or(|s| s == response.status) => return Ok(()),
            Ok(response) => last = format!("GET {target} answered {}", response.status),
            Err(e) => last = e.to_string(),
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "not ready within {} s; last probe: {last}",
                ready.timeout().as_secs_f64()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stop_signal_the_suite_accepts_maps() {
        let stop = |signal| suite::StopDef { signal, grace: Duration::from_secs(1) };
        for signal in suite::Signal::ALL {
            assert_eq!(map_stop(stop(signal)).signal.name(), signal.name());
        }
    }

    #[test]
    fn server_names_are_typed_and_display_as_before() {
        assert_eq!(ServerName::Main.to_string(), "main");
        assert_eq!(ServerName::Worker(2).to_string(), "main-w2");
        assert_eq!(ServerName::Named("db".to_owned()).to_string(), "db");
    }
}
