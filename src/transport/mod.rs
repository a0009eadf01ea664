//! Sends one HTTP attempt over an instrumented connection and records what happened.
//!
//! The transport records facts and decides nothing: it never retries and never
//! follows redirects.
//!
//! - [`client`]: [`Client::send`] performs exactly one attempt and returns an [`Exchange`].
//! - [`facts`]: the raw facts of an attempt, plain data that `retry` and `diagnosis` read.
//! - `connector`: resolution, the TCP connect (the only one in shakedown) and TLS.
//! - `counting_io`: the IO wrapper between TLS and hyper, the source of truth for bytes,
//!   errnos and EOFs.
//! - `pool`: the project's own connection pool and its learned idle limits.
//! - [`request`]: the contract types between `runner` and `transport`.
//!
//! What goes on the wire over HTTP/1: the request line, then `Host`, `User-Agent` and
//! `Accept` unless the request has them (curl's defaults), then the request's headers
//! in order, then `Content-Length` when there is a body or the method is POST, PUT or
//! PATCH. Two limits come from hyper's `HeaderMap`: header names go out in title case
//! (`x-api-key` becomes `X-Api-Key`), and repeated headers of one name are sent
//! together at the place of the first. Response header names arrive lower-cased, and
//! repeated ones are grouped the same way.

pub mod client;
mod connector;
mod counting_io;
pub mod facts;
mod pool;
pub mod request;

pub use client::{
    Client, ClientSettings, DEFAULT_USER_AGENT, Exchange, TransportError, TransportFailure,
};
pub use facts::{
    AttemptFacts, ConnectionFacts, ConnectionId, DiscardedConnection, End, ErrorKind, FailureFacts,
    Framing, H2Facts, Operation, OsError, Phase, SocketError, Timings,
};
pub use pool::{SOURCE_KEEP_ALIVE_HEADER, SOURCE_OBSERVED_IDLE_CLOSE};
pub use request::{
    DEFAULT_MAX_FILESIZE, DefaultSlots, HttpVersion, HttpVersionPreference, IpVersion,
    RequestOptions, RequestSpec, Response, kept_before,
};
