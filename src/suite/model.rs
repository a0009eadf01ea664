//! The validated suite: what `shakedown run` executes.
//!
//! Only [`super::parse_suite`] builds these values, so their invariants hold
//! everywhere: names are unique, every placeholder refers to a server that is
//! already running when it is used, every path is joined to the suite file's
//! directory, every duration and signal is valid. Types that carry such
//! invariants keep their fields private and offer borrowing getters.
//!
//! Paths are not checked against the filesystem (`suite` is pure): each comes
//! with the span it was written at, so the caller can report a missing file.

use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use toml::Spanned;

use crate::suite::faults::FaultsDef;
use crate::suite::template::Template;

/// A validated `shakedown.toml`.
#[derive(Clone, Debug)]
pub struct Suite {
    pub(crate) dir: PathBuf,
    pub(crate) server: Option<ServerDef>,
    pub(crate) servers: Vec<ServerDef>,
    pub(crate) variables: Vec<Variable>,
    pub(crate) layers: Vec<Layer>,
    pub(crate) run: RunSettings,
    pub(crate) faults: Option<FaultsDef>,
    pub(crate) load: Option<LoadDef>,
}

impl Suite {
    /// The suite file's directory, as passed to [`super::parse_suite`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `[server]`, the main server under test, if the file declares one.
    pub fn server(&self) -> Option<&ServerDef> {
        self.server.as_ref()
    }

    /// `[servers.NAME]`, in declared order: the order in which they start, all
    /// before [`Self::server`].
    pub fn servers(&self) -> &[ServerDef] {
        &self.servers
    }

    /// Every server in start order: the named ones, then the main one.
    pub fn start_order(&self) -> impl Iterator<Item = &ServerDef> {
        self.servers.iter().chain(self.server.as_ref())
    }

    /// `[variables]`, in declared order.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// The layers, in the order they run.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The layer with this name.
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|layer| layer.name() == name)
    }

    /// `[run]`: the suite's defaults for command-line options.
    pub fn run(&self) -> &RunSettings {
        &self.run
    }

    /// `[faults]`: the fault plan, if the suite has one.
    pub fn faults(&self) -> Option<&FaultsDef> {
        self.faults.as_ref()
    }

    /// `[load]`: the files and options of `shakedown load` on this suite.
    pub fn load(&self) -> Option<&LoadDef> {
        self.load.as_ref()
    }

    /// Every path the caller should check before anything starts, in file
    /// order per server and layer: working directories, programs given by
    /// path, scenario globs (which must match at least one file). JUnit files
    /// are not listed: a layer writes them.
    pub fn paths_to_check(&self) -> Vec<PathCheck<'_>> {
        let mut out = Vec::new();
        for server in self.start_order() {
            if let ServerTarget::Launch { command, .. } = &server.target {
                command.push_paths(&mut out);
            }
        }
        for layer in &self.layers {
            match &layer.kind {
                LayerKind::Command { command, .. } => command.push_paths(&mut out),
                LayerKind::Scenarios { globs, reset, .. } => {
                    out.extend(globs.iter().map(PathCheck::Glob));
                    if let Some(reset) = reset {
                        reset.push_paths(&mut out);
                    }
                }
            }
        }
        if let Some(globs) = self.load.as_ref().and_then(LoadDef::globs) {
            out.extend(globs.iter().map(PathCheck::Glob));
        }
        out
    }
}

/// A path from the suite file that must exist; see [`Suite::paths_to_check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathCheck<'a> {
    /// A `cwd`: must be a directory.
    Directory(&'a Spanned<PathBuf>),
    /// A `command[0]` given by path: must be an executable file.
    Program(&'a Spanned<PathBuf>),
    /// A scenario glob: must match at least one file.
    Glob(&'a Spanned<String>),
}

/// Which server a [`ServerDef`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerId {
    /// `[server]`.
    Main,
    /// `[servers.NAME]`.
    Named(String),
}

/// One server: launched by shakedown, or an external target.
#[derive(Clone, Debug)]
pub struct ServerDef {
    pub(crate) id: ServerId,
    pub(crate) span: Range<usize>,
    pub(crate) target: ServerTarget,
    pub(crate) ready: Readiness,
}

impl ServerDef {
    /// Which server this is.
    pub fn id(&self) -> &ServerId {
        &self.id
    }

    /// `NAME` for `[servers.NAME]`, `None` for `[server]`.
    pub fn name(&self) -> Option<&str> {
        match &self.id {
            ServerId::Main => None,
            ServerId::Named(name) => Some(name),
        }
    }

    /// The byte range of the table header (`[server]`, or `NAME` in `[servers.NAME]`).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// What to launch, or where the external target is.
    pub fn target(&self) -> &ServerTarget {
        &self.target
    }

    /// How to tell that it is ready.
    pub fn ready(&self) -> &Readiness {
        &self.ready
    }
}

/// Launched or external.
#[derive(Clone, Debug)]
pub enum ServerTarget {
    /// shakedown starts the process (in its own process group) and stops it.
    Launch {
        /// What to run.
        command: CommandSpec,
        /// How to stop it.
        stop: StopDef,
    },
    /// `url = "https://..."`: already running elsewhere; nothing is launched.
    External {
        /// The base URL (scheme `http` or `https`).
        url: Spanned<url::Url>,
    },
}

/// A command to run: a server, a command layer, or a layer's `reset`.
#[derive(Clone, Debug)]
pub struct CommandSpec {
    pub(crate) program: Program,
    pub(crate) args: Vec<Template>,
    pub(crate) cwd: Spanned<PathBuf>,
    pub(crate) env: Vec<EnvVar>,
    pub(crate) span: Range<usize>,
}

impl CommandSpec {
    /// `command[0]`.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// `command[1..]`.
    pub fn args(&self) -> &[Template] {
        &self.args
    }

    /// The working directory, joined to the suite file's directory; the span
    /// is that of `cwd` if written, else of `command`.
    pub fn cwd(&self) -> &Spanned<PathBuf> {
        &self.cwd
    }

    /// Extra environment variables, in declared order, on top of shakedown's own.
    pub fn env(&self) -> &[EnvVar] {
        &self.env
    }

    /// The byte range of the `command` array.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    fn push_paths<'a>(&'a self, out: &mut Vec<PathCheck<'a>>) {
        out.push(PathCheck::Directory(&self.cwd));
        if let Program::Path(path) = &self.program {
            out.push(PathCheck::Program(path));
        }
    }
}

/// How `command[0]` is found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Program {
    /// It contains `/`: a path, made absolute against the command's `cwd`.
    Path(Spanned<PathBuf>),
    /// A bare name, looked up on `PATH` when the command starts.
    Search(Spanned<String>),
}

/// One environment variable of a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name (non-empty, no `=` and no NUL).
    pub name: Spanned<String>,
    /// Its value.
    pub value: Template,
}

/// How readiness is checked. Every kind gives up after its `timeout`.
#[derive(Clone, Debug)]
pub enum Readiness {
    /// `{ tcp = true }`: the server's port accepts a TCP connection.
    Tcp {
        /// How long to wait.
        timeout: Duration,
    },
    /// `{ http = "/health", status = 200 }`: a GET of `path` answers with `status`.
    Http {
        /// An absolute path, starting with `/`.
        path: String,
        /// The status to wait for (100–599, default 200).
        status: u16,
        /// How long to wait.
        timeout: Duration,
    },
    /// `{ stdout = "REGEX" }`: a line of the server's standard output matches.
    Stdout {
        /// The compiled pattern.
        pattern: Regex,
        /// Which named group, if any, gives the server's address.
        address: Option<AddressGroup>,
        /// How long to wait.
        timeout: Duration,
    },
}

impl Readiness {
    /// How long to wait before giving up.
    pub fn timeout(&self) -> Duration {
        match self {
            Self::Tcp { timeout } | Self::Http { timeout, .. } | Self::Stdout { timeout, .. } => {
                *timeout
            }
        }
    }
}

/// A named group in a `stdout` readiness pattern that tells where the server listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressGroup {
    /// `(?P<url>...)`: the server's base URL (takes precedence over `port`).
    Url,
    /// `(?P<port>...)`: the server's port on the loopback address.
    Port,
}

/// How a launched server is stopped: `signal` to its process group, then
/// `SIGKILL` after `grace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopDef {
    /// The first signal (default `SIGTERM`).
    pub signal: Signal,
    /// How long to wait before `SIGKILL` (default 5 s; zero means at once).
    pub grace: Duration,
}

/// The signals a suite may name in `stop.signal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// `SIGTERM`.
    Term,
    /// `SIGINT`.
    Int,
    /// `SIGHUP`.
    Hup,
    /// `SIGQUIT`.
    Quit,
    /// `SIGKILL` (no grace period is useful then).
    Kill,
    /// `SIGUSR1`.
    Usr1,
    /// `SIGUSR2`.
    Usr2,
}

impl Signal {
    /// Every signal a suite may name.
    pub const ALL: [Self; 7] =
        [Self::Term, Self::Int, Self::Hup, Self::Quit, Self::Kill, Self::Usr1, Self::Usr2];

    /// The name, such as `"SIGTERM"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Term => "SIGTERM",
            Self::Int => "SIGINT",
            Self::Hup => "SIGHUP",
            Self::Quit => "SIGQUIT",
            Self::Kill => "SIGKILL",
            Self::Usr1 => "SIGUSR1",
            Self::Usr2 => "SIGUSR2",
        }
    }
}

/// One `[variables]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    /// The name (not one that shakedown sets itself, such as `base_url`).
    pub name: Spanned<String>,
    /// The value.
    pub value: VariableValue,
}

/// A variable's value, typed as in TOML.
#[derive(Clone, Debug, PartialEq)]
pub enum VariableValue {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

/// One `[[layer]]`.
#[derive(Clone, Debug)]
pub struct Layer {
    pub(crate) name: Spanned<String>,
    pub(crate) kind: LayerKind,
}

impl Layer {
    /// The name: non-empty and unique in the suite.
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }

    /// The byte range of the name's value.
    pub fn name_span(&self) -> Range<usize> {
        self.name.span()
    }

    /// What the layer runs.
    pub fn kind(&self) -> &LayerKind {
        &self.kind
    }
}

/// A command layer or a scenario layer.
#[derive(Clone, Debug)]
pub enum LayerKind {
    /// `command = [...]`: passes when the command exits with status 0.
    Command {
        /// What to run (placeholders refer to the servers).
        command: CommandSpec,
        /// How long it may run; `None`: bounded only by the run's deadline.
        timeout: Option<Duration>,
        /// `junit = "path.xml"`, joined to the suite file's directory.
        junit: Option<Spanned<PathBuf>>,
        /// `needs = [...]`: the servers started before it runs (`None` is the main
        /// server, `Some(NAME)` a named one), besides those its placeholders name.
        needs: Vec<Option<String>>,
    },
    /// `scenarios = [...]`: `.hurl` files run against the servers.
    Scenarios {
        /// Absolute glob patterns: the suite file's directory (escaped) joined
        /// with the pattern as written. The span is the pattern's.
        globs: Vec<Spanned<String>>,
        /// Fresh servers per scenario file, or one for the whole layer.
        isolation: Isolation,
        /// With `shared` isolation: a command run between scenario files to
        /// reload fixtures; its `cwd` is the suite file's directory.
        reset: Option<CommandSpec>,
        /// `load = { ... }`: a load layer, which runs its scenarios under load against
        /// the shared servers (then `isolation` is `shared` and `reset` is `None`).
        load: Option<LoadDef>,
    },
}

impl LayerKind {
    /// A load layer's load: `Some` for `scenarios` with `load = { ... }`.
    pub fn load(&self) -> Option<&LoadDef> {
        match self {
            LayerKind::Scenarios { load, .. } => load.as_ref(),
            LayerKind::Command { .. } => None,
        }
    }
}

/// `[load]`, or a load layer's `load = { ... }`: the options of `shakedown load`, checked
/// (a load layer's always name a model; `[load]`'s may leave it to the command line).
#[derive(Clone, Debug)]
pub struct LoadDef {
    pub(crate) options: crate::load::plan::Options,
    pub(crate) thresholds: Vec<crate::load::threshold::Threshold>,
    pub(crate) globs: Option<Vec<Spanned<String>>>,
}

impl LoadDef {
    /// The model and bounds, as the command line's flags would give them.
    pub fn options(&self) -> &crate::load::plan::Options {
        &self.options
    }

    /// The thresholds that decide the load's pass or fail.
    pub fn thresholds(&self) -> &[crate::load::threshold::Threshold] {
        &self.thresholds
    }

    /// `[load]`'s own `scenarios` (absolute globs, as a scenario layer's), if written;
    /// `None`: every scenario layer's files.
    pub fn globs(&self) -> Option<&[Spanned<String>]> {
        self.globs.as_deref()
    }
}

/// `isolation = "shared" | "restart"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// One server (and so one set of fixtures) for the whole layer (the default).
    Shared,
    /// A fresh server per scenario file.
    Restart,
}

/// `[run]`: values for options that `shakedown run` also takes on the command
/// line. `None` means "not set here": the command line, then the built-in
/// default, decides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSettings {
    /// `transport_retry`, as `--transport-retry`.
    pub transport_retry: Option<TransportRetry>,
    /// `retry_methods`, as `--retry-methods`: upper-case method names.
    pub retry_methods: Option<Vec<String>>,
    /// `idempotency_key_header`, as `--idempotency-key-header`.
    pub idempotency_key_header: Option<String>,
    /// `flaky_result`, as `--flaky-result`.
    pub flaky_result: Option<FlakyResult>,
    /// `jobs`, as `--jobs`.
    pub jobs: Option<NonZeroUsize>,
    /// `connect_timeout`, as `--connect-timeout`.
    pub connect_timeout: Option<Duration>,
    /// `max_time`, as `--max-time`.
    pub max_time: Option<Duration>,
    /// `deadline`, as `--deadline`: the whole run.
    pub deadline: Option<Duration>,
    /// `max_filesize`, as `--max-filesize`: bytes.
    pub max_filesize: Option<u64>,
}

/// `transport_retry = "safe" | "off"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportRetry {
    /// Retry only where the rules call a repeat safe.
    Safe,
    /// Never retry a transport failure.
    Off,
}

/// `flaky_result = "pass" | "fail"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlakyResult {
    /// A flaky pass passes, with a warning.
    Pass,
    /// A flaky pass fails the run.
    Fail,
}
