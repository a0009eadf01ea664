//! Typed setting values, parsed once: durations, headers, `--resolve` and `--connect-to`
//! rules, `--report` specifications, and the one table of Hurl features shakedown does
//! not support.
//!
//! The command line parses its flags through these functions before anything runs
//! (a malformed value is a usage error naming the flag); the suite (`shakedown.toml`)
//! and per-request `[Options]`, which are templated and so parsed when the entry runs,
//! use the same functions, so every place accepts the same spellings.
//!
//! **Architecture invariant:** pure: text in, typed values or typed errors out; no
//! files, sockets or clock.

mod address;
mod duration;
mod header;
mod report;
pub mod unsupported;

pub use address::{AddressError, ConnectTo, ResolveRule};
pub use duration::{DURATION_GRAMMAR, DurationError, parse_duration, to_duration};
pub use header::{Header, HeaderError};
pub use report::{ReportError, ReportFormat, ReportSpec};
pub use unsupported::{UNSUPPORTED, Unsupported};
