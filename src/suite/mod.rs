//! The suite file: `shakedown.toml` text in, a validated [`Suite`] or diagnostics out.
//!
//! This module is pure: it never opens a file, a socket or a clock. The caller
//! reads the suite file and passes its text and directory to [`parse_suite`];
//! the paths and globs in the result carry their spans, so the caller can check
//! them against the filesystem and report a missing file at the right place.
//!
//! Reading order: `file` mirrors the TOML key for key (unknown keys are
//! errors); [`parse_suite`] (in `resolve`) checks everything and builds the
//! [`Suite`] types of `model`, whose invariants then hold everywhere; [`Template`]
//! holds argv and env strings whose placeholders (`{port}`, …) are filled in
//! once ports are known; [`render`] draws [`SuiteDiagnostic`]s as snippets.
//!
//! A syntax or type error stops `toml`, so it is reported alone; every other
//! check runs over the whole file and all its errors are reported together.
//! The caller checks [`Suite::paths_to_check`] against the filesystem and can
//! report a missing file as a [`SuiteDiagnostic`] of its own, with the span
//! given, through the same [`render`].
//!
//! Not done here: starting anything, reading files, expanding globs, choosing
//! ports, or merging `[run]` with the command line (the command line wins).
//!
//! # The file
//!
//! Users read `docs/suite.md`, which documents every key (a test checks it); this is
//! the summary for readers of the code.
//!
//! ```toml
//! [server]                # the main server; more under [servers.NAME]
//! command = ["python", "manage.py", "testserver", "--addrport", "127.0.0.1:{port}"]
//! cwd = "."               # default: the suite file's directory
//! env = { PRICING_URL = "{servers.pricing.url}" }
//! ready = { http = "/health", status = 200, timeout = "60s" }
//! stop = { signal = "SIGTERM", grace = "5s" }
//!
//! [servers.pricing]       # started before [server], in declared order
//! command = ["python", "pricing.py", "--port", "{port}"]
//! ready = { tcp = true, timeout = "10s" }
//!
//! [variables]
//! currency = "EUR"
//!
//! [[layer]]
//! name = "unit"
//! command = ["python", "manage.py", "test"]
//! timeout = "10m"
//!
//! [[layer]]
//! name = "integration"
//! scenarios = ["scenarios/*.hurl"]
//! isolation = "shared"
//!
//! [run]                   # defaults for `shakedown run` options; the command line wins
//! transport_retry = "safe"
//! jobs = 1
//! ```
//!
//! Every key:
//!
//! - `[server]` and `[servers.NAME]` (NAME: a letter or `_`, then letters,
//!   digits, `_`, `-`): either `command` (an argv; with optional `cwd`, `env`,
//!   `stop`) or `url` (an `http(s)://` external target: nothing is launched), and
//!   always `ready`, exactly one of
//!   `{ http = "/path", status = 200 }`, `{ tcp = true }`, `{ stdout = "REGEX" }`
//!   (launched servers only; a named group `url` or `port` gives the address),
//!   each with an optional `timeout` (default 60 s).
//!   `stop = { signal, grace }`: `SIGTERM` (default), `SIGINT`, `SIGHUP`,
//!   `SIGQUIT`, `SIGKILL`, `SIGUSR1` or `SIGUSR2`; `grace` defaults to 5 s.
//! - `[variables]`: string, integer, float or boolean values, given to every
//!   scenario. `base_url`, `port`, `NAME_url` and `NAME_port` are reserved.
//! - `[[layer]]` (at least one): `name` (non-empty, unique), then either
//!   `command` (with optional `timeout`, `junit`, `cwd`, `env`, `needs`: the servers
//!   started before it, `"main"` or a `NAME`) or `scenarios`
//!   (non-empty globs; needs a `[server]`; optional
//!   `isolation = "shared" | "restart"` (default `shared`) and, for `shared`,
//!   `reset`, an argv run in the suite file's directory).
//!   A scenario layer with `load = { ... }` is a load layer: the `[load]` keys but
//!   `scenarios`, a model required, no `isolation` or `reset`.
//! - `[load]`: `scenarios` (globs; default every scenario layer's files), `vus`,
//!   `stages` (`"10s:5,20s:20"`), `rate` (`"200/s"` or a number), `max_vus`,
//!   `duration`, `max_requests`, `graceful_stop`, `thresholds` (checked by
//!   `load::threshold`); the options of `shakedown load` on the suite, each under the
//!   command-line option of the same name.
//! - `[run]`: `transport_retry` (`"safe"`, `"off"`), `retry_methods` (an array
//!   of upper-case methods), `idempotency_key_header`, `flaky_result`
//!   (`"pass"`, `"fail"`), `jobs` (≥ 1), `connect_timeout`, `max_time`,
//!   `deadline` (the whole run), `max_filesize` (bytes, ≥ 1); each as the command-line option of the same
//!   name, which overrides it. Durations here need a unit, unlike on the
//!   command line where a bare number means seconds.
//!
//! Durations are a whole number and a unit: `"500ms"`, `"10s"`, `"2m"`, `"1h"`.
//! Paths (`cwd`, `junit`, `scenarios`, a `command[0]` containing `/`) are
//! relative to the suite file's directory; a relative `command[0]` is relative
//! to the command's `cwd`. Placeholders in arguments and env values:
//! `{port}` and `{url}` (the server the command belongs to; in a layer, the
//! main server), `{servers.NAME.port}` and `{servers.NAME.url}` (a server
//! declared earlier, since servers start in order); `{{` and `}}` are braces.

mod diagnostic;
mod faults;
mod file;
mod model;
mod resolve;
mod template;

pub use diagnostic::{SuiteDiagnostic, render};
pub use faults::{FaultsDef, parse_fault_plan};
pub use model::{
    AddressGroup, CommandSpec, EnvVar, FlakyResult, Isolation, Layer, LayerKind, LoadDef,
    PathCheck, Program, Readiness, RunSettings, ServerDef, ServerId, ServerTarget, Signal, StopDef,
    Suite, TransportRetry, Variable, VariableValue,
};
pub use resolve::{DEFAULT_READY_TIMEOUT, DEFAULT_STOP_GRACE, parse_suite};
pub use template::{Part, Placeholder, Template, UnresolvedPlaceholder};
/// A value with the byte range it was written at (re-exported from `toml`).
pub use toml::Spanned;

#[cfg(test)]
mod tests;
