//! shakedown: is this HTTP service ready to deploy?
//!
//! shakedown runs scenarios written in the Hurl file format against an HTTP
//! service, over a transport that records every attempt, and answers with one
//! verdict. The binary (`src/main.rs`) only calls [`cli::main`].
//!
//! # Layout
//!
//! - [`scenario`]: our own parser for the Hurl file format; text in, AST and diagnostics out.
//! - [`runner`]: evaluates scenarios: templates, queries, filters, predicates, captures, the entry loop.
//! - [`transport`]: sends one attempt over an instrumented connection and records what happened.
//! - [`report`]: turns outcomes into JSON and JUnit documents and terminal lines.
//! - [`suite`]: the suite file (`shakedown.toml`); text in, validated `Suite` and diagnostics out.
//! - [`server`]: the lifecycle of a launched service under test: process group, readiness, logs, stop.
//! - [`session`]: the suite engine of `shakedown run`: servers, layers, signals, checkpoints; emits events.
//! - [`settings`]: typed setting values parsed once (durations, headers, `--resolve`, `--report`) and the unsupported-features table.
//! - [`retry`]: pure decisions: may a failed attempt be retried, and after how long.
//! - [`diagnosis`]: pure judgements: why a connection failed or was replaced, and the sentences.
//! - [`hunt`]: pure aggregation of repeated runs (`shakedown hunt`): seeded orders, tallies, Wilson intervals.
//! - [`cli`]: the command line; the only module that prints or picks an exit code.
//! - [`exit_code`]: the documented exit codes.
//! - [`signals`]: SIGINT, SIGTERM and SIGHUP, recorded from the process's first instant.
//! - [`fault_proxy`]: the loopback fault-injecting proxy behind `shakedown proxy`.

pub mod cli;
pub mod diagnosis;
pub mod exit_code;
pub mod fault_proxy;
pub mod hunt;
pub mod load;
pub mod report;
pub mod retry;
pub mod runner;
pub mod scenario;
pub mod server;
pub mod session;
pub mod settings;
pub mod signals;
pub mod suite;
pub mod transport;
