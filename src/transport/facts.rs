//! Contract stub (replaced by the transport work): raw facts of an attempt.

/// The phase an attempt reached or failed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake.
    Tls,
    /// A pooled connection found dead before any byte was written.
    Checkout,
    /// Writing the request.
    Write,
    /// Written, no response byte yet.
    AwaitResponse,
    /// Reading the response head.
    ReadHeaders,
    /// Reading the response body.
    ReadBody,
}

/// The closed set of failure kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// ECONNRESET.
    ConnectionReset,
    /// EPIPE.
    BrokenPipe,
    /// A clean EOF where more was expected.
    Eof,
    /// ECONNREFUSED.
    Refused,
    /// A timeout.
    Timeout,
    /// TLS.
    Tls,
    /// HTTP/2 REFUSED_STREAM.
    H2RefusedStream,
    /// HTTP/2 GOAWAY.
    H2Goaway,
    /// Other HTTP/2 errors.
    H2Other,
    /// Name resolution.
    Dns,
    /// Anything else.
    Other,
}

/// Why an attempt failed.
#[derive(Clone, Debug)]
pub struct FailureFacts {
    /// Where.
    pub phase: Phase,
    /// What.
    pub kind: ErrorKind,
}

/// The connection an attempt used.
#[derive(Clone, Debug)]
pub struct ConnectionFacts {
    /// Reused from the pool.
    pub reused: bool,
}

/// What the transport saw during one attempt.
#[derive(Clone, Debug, Default)]
pub struct AttemptFacts {
    /// The connection.
    pub connection: Option<ConnectionFacts>,
    /// Bytes written.
    pub bytes_written: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// The failure.
    pub error: Option<FailureFacts>,
}
