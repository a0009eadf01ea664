//! The raw facts of one transport attempt: plain data, no tokio or hyper types.
//!
//! These types are what the pure `retry` and `diagnosis` modules read, and their
//! field names become the field names of the JSON report. They record what was
//! observed (how far the request got, which syscall failed with which errno, how
//! the connection had been used) and never what it means: naming a cause or
//! deciding a retry happens elsewhere.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// Identifies one TCP connection for the lifetime of a [`Client`](super::Client).
///
/// Ids start at 1 and are never reused within one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How far an attempt got. A failure is reported at the phase it happened in;
/// a success has reached [`Phase::ReadBody`].
///
/// The order of the variants is the order of the phases, so `a < b` means `a`
/// comes before `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Resolving the name and opening the TCP connection.
    Connect,
    /// The TLS handshake (and, for HTTP, the protocol handshake on top of it).
    Tls,
    /// Taking a pooled connection: it was found dead before any byte was written.
    Checkout,
    /// Writing the request: not every byte of it was written.
    Write,
    /// The request was written; no response byte arrived.
    AwaitResponse,
    /// Some response bytes arrived, but not a complete head.
    ReadHeaders,
    /// The head arrived; reading the body.
    ReadBody,
}

impl Phase {
    /// The stable name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Tls => "tls",
            Phase::Checkout => "checkout",
            Phase::Write => "write",
            Phase::AwaitResponse => "await_response",
            Phase::ReadHeaders => "read_headers",
            Phase::ReadBody => "read_body",
        }
    }

    /// A human phrase that fits after "while": "waiting for the response".
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Connect => "connecting",
            Phase::Tls => "performing the TLS handshake",
            Phase::Checkout => "taking a pooled connection",
            Phase::Write => "writing the request",
            Phase::AwaitResponse => "waiting for the response",
            Phase::ReadHeaders => "reading the response headers",
            Phase::ReadBody => "reading the response body",
        }
    }
}

/// The closed set of failure kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The peer reset the connection (ECONNRESET, ECONNABORTED).
    ConnectionReset,
    /// A write hit a connection the peer had already closed (EPIPE).
    BrokenPipe,
    /// The peer closed the connection (FIN) before the message was complete.
    Eof,
    /// The connection was refused (ECONNREFUSED).
    Refused,
    /// A timeout: the connect timeout, `max_time`, or ETIMEDOUT from the OS.
    Timeout,
    /// The TLS handshake or a TLS record failed (certificate, alert, protocol).
    Tls,
    /// HTTP/2 RST_STREAM with REFUSED_STREAM: the server did not process the stream.
    H2RefusedStream,
    /// HTTP/2 GOAWAY ended the stream.
    H2Goaway,
    /// Any other HTTP/2 stream or connection error.
    H2Other,
    /// The host name could not be resolved.
    Dns,
    /// The response body is larger than `--max-filesize` (said by `Content-Length`
    /// or counted while reading); nothing more is read.
    BodyTooLarge,
    /// Anything else (a malformed response, an unreachable network, ...).
    Other,
}

impl ErrorKind {
    /// The stable snake_case name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectionReset => "connection_reset",
            ErrorKind::BrokenPipe => "broken_pipe",
            ErrorKind::Eof => "eof",
            ErrorKind::Refused => "refused",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::H2RefusedStream => "h2_refused_stream",
            ErrorKind::H2Goaway => "h2_goaway",
            ErrorKind::H2Other => "h2_other",
            ErrorKind::Dns => "dns",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::Other => "other",
        }
    }

    /// A human phrase: "connection reset by peer".
    pub fn describe(self) -> &'static str {
        match self {
            ErrorKind::ConnectionReset => "connection reset by peer",
            ErrorKind::BrokenPipe => "broken pipe",
            ErrorKind::Eof => "connection closed by peer",
            ErrorKind::Refused => "connection refused",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Tls => "TLS failure",
            ErrorKind::H2RefusedStream => "HTTP/2 stream refused by the server",
            ErrorKind::H2Goaway => "HTTP/2 connection going away (GOAWAY)",
            ErrorKind::H2Other => "HTTP/2 protocol error",
            ErrorKind::Dns => "name resolution failed",
            ErrorKind::BodyTooLarge => "response body too large",
            ErrorKind::Other => "transport error",
        }
    }
}

/// An OS error by name and number, as the kernel reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OsError {
    /// The symbolic name, e.g. `"ECONNRESET"`; `"UNKNOWN"` for a number not in the table.
    pub name: &'static str,
    /// The raw error number (`raw_os_error()`), when the OS gave one.
    pub errno: Option<i32>,
}

impl OsError {
    /// The OS error for a raw errno, named from the Linux table.
    pub fn from_errno(errno: i32) -> OsError {
        OsError { name: errno_name(errno), errno: Some(errno) }
    }
}

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            Some(n) => write!(f, "{}, errno {n}", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// The name of a Linux errno that a socket can return.
pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        1 => "EPERM",
        4 => "EINTR",
        9 => "EBADF",
        11 => "EAGAIN",
        13 => "EACCES",
        22 => "EINVAL",
        24 => "EMFILE",
        32 => "EPIPE",
        97 => "EAFNOSUPPORT",
        98 => "EADDRINUSE",
        99 => "EADDRNOTAVAIL",
        100 => "ENETDOWN",
        101 => "ENETUNREACH",
        102 => "ENETRESET",
        103 => "ECONNABORTED",
        104 => "ECONNRESET",
        105 => "ENOBUFS",
        107 => "ENOTCONN",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        112 => "EHOSTDOWN",
        113 => "EHOSTUNREACH",
        _ => "UNKNOWN",
    }
}

/// Which operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Resolving the host name.
    Resolve,
    /// The TCP connect.
    Connect,
    /// The TLS or HTTP/2 handshake.
    Handshake,
    /// Writing to the socket.
    Write,
    /// Reading from the socket.
    Read,
}

impl Operation {
    /// The stable name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Resolve => "resolve",
            Operation::Connect => "connect",
            Operation::Handshake => "handshake",
            Operation::Write => "write",
            Operation::Read => "read",
        }
    }
}

/// How the response body was delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// By `Content-Length`.
    ContentLength,
    /// By chunked transfer coding.
    Chunked,
    /// By the end of the connection: completeness cannot be proven.
    CloseDelimited,
    /// By HTTP/2 END_STREAM.
    H2Stream,
    /// No body by definition (HEAD, 1xx, 204, 304).
    None,
}

impl Framing {
    /// The stable name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Framing::ContentLength => "content_length",
            Framing::Chunked => "chunked",
            Framing::CloseDelimited => "close_delimited",
            Framing::H2Stream => "h2_stream",
            Framing::None => "none",
        }
    }
}

/// How the attempt's connection ended, as seen from the socket during the attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum End {
    /// Neither an EOF nor an error was seen during the attempt.
    Clean,
    /// The peer closed (EOF, a FIN) during the attempt.
    Fin,
    /// The peer reset the connection (ECONNRESET, ECONNABORTED, EPIPE).
    Rst,
    /// Another socket or TLS error.
    Error,
    /// The attempt was cut short by a timeout.
    Timeout,
    /// The attempt ended before a connection existed.
    NoConnection,
    /// The response arrived before the whole request was written, and the connection was
    /// closed without its end being seen: neither clean nor proven reset.
    NotObserved,
}

impl End {
    /// The stable name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            End::Clean => "clean",
            End::Fin => "fin",
            End::Rst => "rst",
            End::Error => "error",
            End::Timeout => "timeout",
            End::NoConnection => "no_connection",
            End::NotObserved => "not_observed",
        }
    }
}

/// The connection an attempt used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionFacts {
    /// Which connection.
    pub id: ConnectionId,
    /// Taken from the pool (true) or opened for this attempt (false).
    pub reused: bool,
    /// How many attempts used this connection before this one.
    pub reuse_count: u32,
    /// Time from the end of the connect (and TLS handshake) to the start of this attempt.
    pub age: Duration,
    /// How long it had been idle in the pool; `None` for a fresh connection.
    pub idle: Option<Duration>,
    /// An EOF or error had been seen on this connection while it was idle, before checkout.
    pub idle_eof_seen_before_checkout: bool,
    /// The last `Connection` header value received on this connection, before this attempt.
    /// Shared with the connection (no copy per attempt).
    pub last_connection_header: Option<std::sync::Arc<str>>,
    /// The last `Keep-Alive: timeout=N` received on this connection, before this attempt.
    pub last_keep_alive_timeout: Option<Duration>,
    /// The HTTP version spoken on the connection.
    pub http2: bool,
    /// Whether the connection uses TLS.
    pub tls: bool,
    /// The peer's address.
    pub remote_addr: SocketAddr,
    /// This side's address, when the OS said (the fault proxy's log knows a connection by it).
    pub local_addr: Option<SocketAddr>,
}

/// A pooled connection that checkout found unusable and closed before choosing another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscardedConnection {
    /// Which connection.
    pub id: ConnectionId,
    /// How long it had been idle.
    pub idle: Duration,
    /// Why it was discarded: `idle_eof`, `idle_error`, `closed`, `idle_timeout`, or
    /// `closed_at_send` (found closed when the request was handed to it, nothing written).
    pub reason: &'static str,
    /// After how much idle time the EOF or error was seen, when one was.
    pub closed_after_idle: Option<Duration>,
    /// The OS error seen while idle, if any.
    pub os: Option<OsError>,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureFacts {
    /// The phase the failure happened in.
    pub phase: Phase,
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The OS error, when the failure came from a syscall; `None` for a clean EOF.
    pub os: Option<OsError>,
    /// The operation that failed.
    pub operation: Operation,
    /// The error message from the layer that reported it (hyper, rustls, the OS).
    pub message: String,
}

/// A socket error the wrapper saw, whether or not the attempt failed because of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketError {
    /// Read or write.
    pub operation: Operation,
    /// What kind of error.
    pub kind: ErrorKind,
    /// The OS error, when the error carried an errno (TLS errors and EOFs do not).
    pub os: Option<OsError>,
}

/// Time spent in each phase. A phase that did not happen is `None` (connect and TLS
/// on a reused connection) or zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Checkout: looking into the pool, discarding dead connections.
    pub queue: Duration,
    /// Name resolution and TCP connect.
    pub connect: Option<Duration>,
    /// TLS handshake.
    pub tls: Option<Duration>,
    /// From handing the request to hyper to its last byte written.
    pub send: Duration,
    /// From the last request byte written to the first response byte.
    pub wait: Duration,
    /// From the first response byte to the end of the body (or the failure).
    pub receive: Duration,
    /// The whole attempt.
    pub total: Duration,
}

/// HTTP/2 stream facts, from the frames the wrapper saw and hyper's errors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct H2Facts {
    /// The client stream id of this attempt (streams open one at a time: 1, 3, 5, ...).
    pub stream_id: Option<u32>,
    /// The error code of a RST_STREAM the server sent for this stream.
    pub rst_code: Option<u32>,
    /// The error code of a GOAWAY the server sent on this connection.
    pub goaway_code: Option<u32>,
    /// The last stream id of that GOAWAY: streams above it were not processed.
    pub goaway_last_stream_id: Option<u32>,
    /// The `h2::Reason` from hyper's error, when it carried one.
    pub reason: Option<u32>,
}

/// Everything recorded about one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptFacts {
    /// The connection used; `None` if none was established.
    pub connection: Option<ConnectionFacts>,
    /// Pooled connections found dead and closed at checkout, before this attempt chose one.
    pub discarded: Vec<DiscardedConnection>,
    /// How far the attempt got (for a failure: the phase it failed in).
    pub phase_reached: Phase,
    /// Request bytes written to the socket (accepted by the kernel, not necessarily delivered).
    /// Over HTTP/2 these are connection bytes during the attempt.
    pub bytes_written: u64,
    /// Request size in bytes (head + body), once the head is known to be complete.
    pub bytes_total: Option<u64>,
    /// The request body's size in bytes.
    pub request_body_bytes: u64,
    /// The response status, once the response head arrived (kept when the body then fails).
    pub status: Option<u16>,
    /// Response bytes read, head included.
    pub bytes_read: u64,
    /// Response body bytes received.
    pub body_bytes: u64,
    /// How the response body was delimited, once the head arrived.
    pub framing: Option<Framing>,
    /// Whether the body was complete by its framing; `None` when it cannot be known
    /// (no head, or a close-delimited body).
    pub body_complete: Option<bool>,
    /// How the connection ended during the attempt.
    pub ended_with: End,
    /// The failure, if the attempt failed (boxed: most attempts have none, and the
    /// outcome tree keeps every attempt's facts).
    pub error: Option<Box<FailureFacts>>,
    /// The first socket error seen during the attempt, even when the attempt succeeded
    /// (e.g. a write error after which an early response was still read).
    pub socket_error: Option<SocketError>,
    /// Time per phase.
    pub timings: Timings,
    /// HTTP/2 stream facts, on an HTTP/2 connection.
    pub h2: Option<H2Facts>,
    /// A write failed (reset, broken pipe) but a response was read anyway.
    pub early_response_after_write_error: bool,
    /// The body was complete by its framing and the connection was then reset.
    pub complete_then_reset: bool,
    /// The connection was put back into the pool after the attempt.
    pub returned_to_pool: bool,
}

impl AttemptFacts {
    /// Facts for an attempt that has not started yet.
    pub(crate) fn new() -> AttemptFacts {
        AttemptFacts {
            connection: None,
            discarded: Vec::new(),
            phase_reached: Phase::Connect,
            bytes_written: 0,
            bytes_total: None,
            request_body_bytes: 0,
            status: None,
            bytes_read: 0,
            body_bytes: 0,
            framing: None,
            body_complete: None,
            ended_with: End::NoConnection,
            error: None,
            socket_error: None,
            timings: Timings::default(),
            h2: None,
            early_response_after_write_error: false,
            complete_then_reset: false,
            returned_to_pool: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_names_are_the_json_contract() {
        let all = [
            (Phase::Connect, "connect"),
            (Phase::Tls, "tls"),
            (Phase::Checkout, "checkout"),
            (Phase::Write, "write"),
            (Phase::AwaitResponse, "await_response"),
            (Phase::ReadHeaders, "read_headers"),
            (Phase::ReadBody, "read_body"),
        ];
        for (phase, name) in all {
            assert_eq!(phase.as_str(), name);
        }
        assert!(Phase::Connect < Phase::Write && Phase::Write < Phase::ReadBody);
    }

    #[test]
    fn error_kinds_are_snake_case() {
        assert_eq!(ErrorKind::ConnectionReset.as_str(), "connection_reset");
        assert_eq!(ErrorKind::H2RefusedStream.as_str(), "h2_refused_stream");
        assert_eq!(ErrorKind::BrokenPipe.as_str(), "broken_pipe");
        assert_eq!(Framing::CloseDelimited.as_str(), "close_delimited");
    }

    #[test]
    fn errno_table() {
        assert_eq!(OsError::from_errno(104), OsError { name: "ECONNRESET", errno: Some(104) });
        assert_eq!(errno_name(32), "EPIPE");
        assert_eq!(errno_name(111), "ECONNREFUSED");
        assert_eq!(errno_name(110), "ETIMEDOUT");
        assert_eq!(errno_name(103), "ECONNABORTED");
        assert_eq!(errno_name(113), "EHOSTUNREACH");
        assert_eq!(errno_name(101), "ENETUNREACH");
        assert_eq!(errno_name(9999), "UNKNOWN");
        assert_eq!(OsError::from_errno(104).to_string(), "ECONNRESET, errno 104");
    }
}
