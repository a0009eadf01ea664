//! What the runner asks the transport to send, and what comes back.
//!
//! These types are the contract between `runner` and `transport`: the runner
//! renders a Hurl entry into a [`RequestSpec`], the transport performs exactly
//! one attempt and returns an [`Exchange`](super::Exchange) holding either a [`Response`] or a
//! [`TransportFailure`](super::TransportFailure), plus the raw facts of the attempt. The transport never
//! retries and never follows redirects; the runner does, by rule.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

/// One request, fully rendered.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    /// The method token, sent as written.
    pub method: String,
    /// The absolute URL.
    pub url: url::Url,
    /// Headers in order, sent as given (the transport adds `Host`, `Content-Length`
    /// and, unless present, `User-Agent` and `Accept`).
    pub headers: Vec<(String, String)>,
    /// The body bytes (empty for none).
    pub body: Bytes,
    /// Per-request connection options.
    pub options: RequestOptions,
}

/// Options that change how one request is sent.
#[derive(Clone, Debug)]
pub struct RequestOptions {
    /// Which HTTP version to use.
    pub http_version: HttpVersionPreference,
    /// Skip certificate verification (`--insecure`).
    pub insecure: bool,
    /// Extra CA certificates (PEM file paths) to trust (`--cacert`).
    pub ca_certificates: Vec<std::path::PathBuf>,
    /// Client certificate and key, PEM (`--cert`, `--key`).
    pub client_certificate: Option<(std::path::PathBuf, Option<std::path::PathBuf>)>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Timeout for the whole attempt.
    pub max_time: Duration,
    /// Address family restriction.
    pub ip_version: IpVersion,
    /// `--resolve host:port:addr` mappings.
    pub resolve: Vec<(String, u16, std::net::IpAddr)>,
    /// `--connect-to host1:port1:host2:port2` mappings.
    pub connect_to: Vec<(String, u16, String, u16)>,
    /// Never reuse a pooled connection, and do not pool this one (`--no-keepalive`).
    pub no_keepalive: bool,
    /// The HTTP/1 request target to send instead of the URL's normalised one
    /// (`--path-as-is`: dot segments kept).
    pub raw_target: Option<String>,
    /// Read the body at most this many bytes per second (`--limit-rate`).
    pub limit_rate: Option<u64>,
    /// The largest response body kept, in bytes (`--max-filesize`); a larger body
    /// (or a larger `Content-Length`) fails the attempt with
    /// [`ErrorKind::BodyTooLarge`](super::ErrorKind::BodyTooLarge).
    pub max_filesize: u64,
    /// Keep the response body in [`Response::body`]. When `false` (no assert, capture or
    /// output reads it), the body is still read to its end, counted and held to
    /// `max_filesize`, but each chunk is dropped as it arrives: `Response::body` is empty
    /// and memory stays flat whatever the body's size (`docs/limits.md`).
    pub keep_body: bool,
    /// The caller's deadline for this attempt (the entry's `--max-time`, shared by all
    /// its attempts): the attempt ends at the earlier of this and `now + max_time`.
    pub deadline: Option<tokio::time::Instant>,
    /// The caller's deadline for the connect phase (what is left of the entry's
    /// `--connect-timeout` after earlier attempts spent connecting): the connect and TLS
    /// handshake end at the earliest of this, `now + connect_timeout` and the deadline.
    pub connect_deadline: Option<tokio::time::Instant>,
}

/// The default of [`RequestOptions::max_filesize`]: 64 MiB (`docs/limits.md`).
pub const DEFAULT_MAX_FILESIZE: u64 = 64 * 1024 * 1024;

impl Default for RequestOptions {
    fn default() -> RequestOptions {
        RequestOptions {
            http_version: HttpVersionPreference::Default,
            insecure: false,
            ca_certificates: Vec::new(),
            client_certificate: None,
            connect_timeout: Duration::from_secs(300),
            max_time: Duration::from_secs(300),
            ip_version: IpVersion::Any,
            resolve: Vec::new(),
            connect_to: Vec::new(),
            no_keepalive: false,
            raw_target: None,
            limit_rate: None,
            max_filesize: DEFAULT_MAX_FILESIZE,
            keep_body: true,
            deadline: None,
            connect_deadline: None,
        }
    }
}

/// Which HTTP version to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpVersionPreference {
    /// HTTP/1.1 over cleartext, HTTP/2 when ALPN offers it over TLS (curl's default).
    Default,
    /// HTTP/1.0.
    Http10,
    /// HTTP/1.1 only.
    Http11,
    /// HTTP/2 via ALPN over TLS; HTTP/1.1 over cleartext (curl `--http2`).
    Http2,
    /// HTTP/2 without negotiation, also over cleartext.
    Http2PriorKnowledge,
}

/// Address family restriction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpVersion {
    /// Any.
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// The HTTP version a response came with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/1.0.
    Http10,
    /// HTTP/1.1.
    Http11,
    /// HTTP/2.
    Http2,
    /// HTTP/3.
    Http3,
}

impl HttpVersion {
    /// As Hurl prints it: `HTTP/1.0`, `HTTP/1.1`, `HTTP/2`, `HTTP/3`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpVersion::Http10 => "HTTP/1.0",
            HttpVersion::Http11 => "HTTP/1.1",
            HttpVersion::Http2 => "HTTP/2",
            HttpVersion::Http3 => "HTTP/3",
        }
    }
}

/// A response as received.
#[derive(Clone, Debug)]
pub struct Response {
    /// The version on the status line.
    pub version: HttpVersion,
    /// The status code.
    pub status: u16,
    /// Headers in the order received; values decoded as Latin-1 where not UTF-8.
    pub headers: Vec<(String, String)>,
    /// The body exactly as received (still compressed if the server compressed it);
    /// empty when the request did not ask to keep it ([`RequestOptions::keep_body`]).
    pub body: Bytes,
    /// The peer's address.
    pub remote_addr: Option<SocketAddr>,
    /// The server's leaf certificate (DER), when TLS was used.
    pub peer_certificate: Option<Vec<u8>>,
    /// Time from the start of the attempt to the last body byte.
    pub duration: Duration,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every header with this name (case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
