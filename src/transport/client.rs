//! The transport's entry point: [`Client::send`] performs exactly one HTTP attempt
//! (checkout or connect, send, read the whole body) and returns an [`Exchange`]
//! with the response or a typed [`TransportFailure`], plus the attempt's facts.
//!
//! HTTP/1.0 and 1.1 go through `hyper::client::conn::http1`, HTTP/2 through
//! `hyper::client::conn::http2` (ALPN or prior knowledge). The failure phase, the
//! errno and the byte counts come from the counting wrapper first and from hyper's
//! error source chain second; hyper's error kinds alone are never trusted (the
//! forensics reference, gaps 2 to 4). No retries, no redirects, no decisions.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::transport::connector::{ConnectError, Connector, kind_of_io};
use crate::transport::counting_io::{AttemptIo, CountingIo, IoState, elapsed_between};
use crate::transport::facts::{
    AttemptFacts, ConnectionFacts, ConnectionId, DiscardedConnection, End, ErrorKind, FailureFacts,
    Framing, H2Facts, Operation, OsError, Phase, SocketError, Timings,
};
use crate::transport::pool::{Pool, PooledConnection, Sender, Slot};
use crate::transport::request::{
    HttpVersion, HttpVersionPreference, RequestSpec, Response, ResponseHeaders, header_text,
};

/// The `User-Agent` shakedown sends unless told otherwise. The hurl-compatible token lets
/// servers that recognise Hurl's user agent (as curl's is recognised) treat shakedown the
/// same way.
pub const DEFAULT_USER_AGENT: &str =
    concat!("shakedown/", env!("CARGO_PKG_VERSION"), " (hurl-compatible)");

/// Settings of a [`Client`] that hold for all its requests.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// The `User-Agent` sent when the request has none.
    pub user_agent: String,
    /// The idle limit of a pooled connection when the server gave no `Keep-Alive` hint.
    pub default_idle_timeout: Duration,
}

impl Default for ClientSettings {
    fn default() -> ClientSettings {
        ClientSettings {
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            default_idle_timeout: Duration::from_secs(1),
        }
    }
}

/// The client could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The user agent is not a valid header value.
    #[error("use `{0}` as a User-Agent header value")]
    InvalidUserAgent(String),
}

/// The outcome of one attempt: the response or the failure, and the facts either way.
#[derive(Debug)]
pub struct Exchange {
    /// The response, or why there is none.
    pub result: Result<Response, TransportFailure>,
    /// What was observed during the attempt.
    pub facts: AttemptFacts,
}

/// A failed attempt, as a typed error that renders as one human sentence, e.g.
/// "connection reset by peer (ECONNRESET, errno 104) while waiting for the response
/// on a connection reused after 1.2 s idle".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TransportFailure {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The phase it happened in.
    pub phase: Phase,
    /// The OS error, if a syscall failed.
    pub os: Option<OsError>,
    /// The operation that failed.
    pub operation: Operation,
    /// The message of the layer that reported it.
    pub message: String,
    /// Whether the connection was reused; `None` when no connection was established.
    pub reused: Option<bool>,
    /// How long a reused connection had been idle.
    pub idle: Option<Duration>,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if let Some(os) = self.os {
            write!(f, " ({os})")?;
        }
        write!(f, " while {}", self.phase.describe())?;
        match (self.reused, self.idle) {
            (Some(true), Some(idle)) => {
                write!(f, " on a connection reused after {:.1} s idle", idle.as_secs_f64())?;
            }
            (Some(true), None) => f.write_str(" on a reused connection")?,
            (Some(false), _) => f.write_str(" on a fresh connection")?,
            (None, _) => {}
        }
        if matches!(
            self.kind,
            ErrorKind::Tls
                | ErrorKind::Dns
                | ErrorKind::Other
                | ErrorKind::H2Other
                | ErrorKind::Timeout
                | ErrorKind::BodyTooLarge
        ) && !self.message.is_empty()
        {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// One per file worker; used from a current-thread tokio runtime. Owns the pool.
#[derive(Debug)]
pub struct Client {
    settings: ClientSettings,
    user_agent: HeaderValue,
    connector: Connector,
    pool: Pool,
    next_id: u64,
    /// The attempt deadline's timer, kept from one attempt to the next and moved to each
    /// new deadline: a later deadline only updates the registered entry, where a fresh
    /// timeout per attempt registered and removed a timer each time.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The request last built twice in a row, kept to be cloned while it repeats (a load
    /// VU, a file of the same GET): building parses the target and fills a header map.
    built: Option<BuiltRequest>,
    /// The fingerprint of the request built last.
    last_fingerprint: u64,
}

/// The state of the attempt in progress, kept outside the future so that a timeout
/// still finds it.
#[derive(Debug)]
struct Attempt {
    start: Instant,
    facts: AttemptFacts,
    conn: Option<PooledConnection>,
    key: Option<Slot>,
    dispatched_at: Option<Instant>,
    head_at: Option<Instant>,
    /// When the response's last byte was read (the attempt's end, when it succeeded).
    end: Option<Instant>,
    request_body_len: u64,
    response_is_close: bool,
}

impl Attempt {
    /// An attempt starting now.
    fn new(request: &RequestSpec) -> Attempt {
        Attempt {
            start: Instant::now(),
            facts: AttemptFacts::new(),
            conn: None,
            key: None,
            dispatched_at: None,
            head_at: None,
            end: None,
            request_body_len: request.body.len() as u64,
            response_is_close: false,
        }
    }
}

impl Client {
    /// A client with an empty pool.
    pub fn new(settings: ClientSettings) -> Result<Client, TransportError> {
        let user_agent = HeaderValue::from_str(&settings.user_agent)
            .map_err(|_| TransportError::InvalidUserAgent(settings.user_agent.clone()))?;
        Ok(Client {
            settings,
            user_agent,
            connector: Connector::default(),
            pool: Pool::default(),
            next_id: 1,
            timer: None,
            built: None,
            last_fingerprint: 0,
        })
    }

    /// Every learned idle limit: (origin, limit, source), where the source is
    /// `keep_alive_header` or `observed_idle_close`.
    pub fn learned_idle_limits(&self) -> Vec<(String, Duration, &'static str)> {
        self.pool.learned_idle_limits()
    }

    /// How many idle connections the pool holds.
    pub fn idle_connections(&self) -> usize {
        self.pool.idle_count()
    }

    /// Performs exactly one attempt.
    ///
    /// A pooled connection that hyper finds closed when the request is handed to it (the
    /// request given back, no byte written) is replaced by another connection, as a dead
    /// one is at checkout: it is recorded in `discarded` (`closed_at_send`), never a failure.
    pub async fn send(&mut self, request: &RequestSpec) -> Exchange {
        // The exchange is assembled here, not returned up through one more future: an
        // exchange is large, and each level of `async` return copies it.
        // One call site of `timed_attempt` (a loop of at most two turns), and nothing of the
        // first exchange but its discarded connections kept across the second: the future
        // holds one attempt's state, not two.
        let mut first: Option<(Vec<DiscardedConnection>, DiscardedConnection)> = None;
        loop {
            let mut attempt = Attempt::new(request);
            let result = self.timed_attempt(request, &mut attempt).await;
            let mut exchange = self.finish(&mut attempt, result, request);
            match first.take() {
                None => {
                    let Some(stale) = stale_connection(&exchange) else {
                        return exchange;
                    };
                    first = Some((std::mem::take(&mut exchange.facts.discarded), stale));
                }
                Some((mut discarded, stale)) => {
                    discarded.push(stale);
                    discarded.append(&mut exchange.facts.discarded);
                    exchange.facts.discarded = discarded;
                    return exchange;
                }
            }
        }
    }

    /// One attempt within its deadline (`max_time`, and the caller's deadline if earlier).
    async fn timed_attempt(
        &mut self,
        request: &RequestSpec,
        attempt: &mut Attempt,
    ) -> Result<Response, FailureFacts> {
        let max_time = request.options.max_time;
        let own = tokio::time::Instant::now() + max_time;
        let deadline = request.options.deadline.map_or(own, |d| d.min(own));
        let mut timer = match self.timer.take() {
            Some(mut timer) => {
                timer.as_mut().reset(deadline);
                timer
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        let outcome = {
            let mut work = std::pin::pin!(self.attempt(request, attempt, deadline));
            // As `timeout_at`: the attempt first, then the deadline, which is looked at even
            // when the attempt used up the task's budget.
            std::future::poll_fn(|cx| {
                let had_budget = tokio::task::coop::has_budget_remaining();
                if let Poll::Ready(result) = work.as_mut().poll(cx) {
                    return Poll::Ready(Some(result));
                }
                let elapsed = if had_budget && !tokio::task::coop::has_budget_remaining() {
                    Pin::new(&mut tokio::task::coop::unconstrained(timer.as_mut())).poll(cx)
                } else {
                    timer.as_mut().poll(cx)
                };
                elapsed.map(|()| None)
            })
            .await
        };
        self.timer = Some(timer);
        match outcome {
            Some(result) => result,
            None => {
                let limit = if deadline < own {
                    format!("the maximum time of {max_time:?} shared by the request's attempts")
                } else {
                    format!("the maximum time of {max_time:?}")
                };
                let phase = timeout_phase(attempt);
                attempt.facts.phase_reached = phase;
                Err(FailureFacts {
                    phase,
                    kind: ErrorKind::Timeout,
                    os: None,
                    operation: match phase {
                        Phase::Connect => Operation::Connect,
                        Phase::Tls => Operation::Handshake,
                        Phase::Checkout | Phase::Write => Operation::Write,
                        _ => Operation::Read,
                    },
                    message: format!("the attempt did not complete within {limit}"),
                })
            }
        }
    }

    async fn attempt(
        &mut self,
        request: &RequestSpec,
        att: &mut Attempt,
        deadline: tokio::time::Instant,
    ) -> Result<Response, FailureFacts> {
        let options = &request.options;
        if !matches!(request.url.scheme(), "http" | "https") {
            return Err(plain_failure(
                Phase::Connect,
                ErrorKind::Other,
                Operation::Connect,
                format!("unsupported URL scheme `{}`", request.url.scheme()),
            ));
        }
        let (mut http_request, known_slot) = self.http_request(request).map_err(|message| {
            plain_failure(Phase::Write, ErrorKind::Other, Operation::Write, message)
        })?;
        let key = match known_slot {
            Some(slot) => slot,
            None => {
                let slot = self.pool.slot(&request.url, options);
                self.remember_slot(request, slot);
                slot
            }
        };

        // Checkout.
        att.facts.phase_reached = Phase::Checkout;
        let checkout_start = Instant::now();
        if !options.no_keepalive {
            att.conn = self.checkout(key, checkout_start, &mut att.facts.discarded).await;
        }
        // One reading for the queue time and, on a reused connection, its age and idle time.
        let checked_out = Instant::now();
        att.facts.timings.queue = checked_out.saturating_duration_since(checkout_start);
        let reused = att.conn.is_some();

        if att.conn.is_none() {
            att.facts.phase_reached = Phase::Connect;
            // Boxed: connecting (TCP, TLS, the HTTP/1 or HTTP/2 handshake) is the large part
            // of an attempt's future, and a reused connection never runs it; unboxed, every
            // attempt's future carried (and copied) its state.
            let conn = Box::pin(self.open(request, &mut att.facts, deadline)).await?;
            att.conn = Some(conn);
        }
        att.key = Some(key);
        let Some(conn) = att.conn.as_mut() else {
            return Err(plain_failure(
                Phase::Connect,
                ErrorKind::Other,
                Operation::Connect,
                "no connection".to_owned(),
            ));
        };

        let now = if reused { checked_out } else { Instant::now() };
        let idle = conn.io.idle();
        let http2 = matches!(conn.sender, Sender::H2(_));
        att.facts.connection = Some(ConnectionFacts {
            id: conn.id,
            reused,
            reuse_count: conn.uses,
            age: now.saturating_duration_since(conn.ready_at),
            idle: if reused {
                conn.idle_since.map(|t| now.saturating_duration_since(t))
            } else {
                None
            },
            idle_eof_seen_before_checkout: idle.eof_at.is_some() || idle.error.is_some(),
            last_connection_header: conn.last_connection_header.clone(),
            last_keep_alive_timeout: conn.last_keep_alive_timeout,
            http2,
            tls: conn.tls,
            remote_addr: conn.remote_addr,
            local_addr: conn.local_addr,
        });
        if http2 {
            att.facts.h2 =
                Some(H2Facts { stream_id: Some(2 * conn.h2_streams + 1), ..H2Facts::default() });
        }
        conn.uses += 1;

        if http2 {
            into_h2(&mut http_request, request).map_err(|message| {
                plain_failure(Phase::Write, ErrorKind::Other, Operation::Write, message)
            })?;
        }

        // Send.
        att.facts.phase_reached = Phase::Write;
        conn.io.begin_attempt();
        att.dispatched_at = Some(Instant::now());
        let sent = match &mut conn.sender {
            Sender::H1(s) => s
                .try_send_request(http_request)
                .await
                .map_err(|e| (e.message().is_some(), e.into_error())),
            Sender::H2(s) => {
                conn.h2_streams += 1;
                s.try_send_request(http_request)
                    .await
                    .map_err(|e| (e.message().is_some(), e.into_error()))
            }
        };
        let response = match sent {
            Ok(response) => response,
            Err((handed_back, error)) => {
                let io = conn.io.attempt();
                let total = io.head_end.map(|h| h + att.request_body_len);
                let http2 = matches!(conn.sender, Sender::H2(_));
                let phase =
                    if handed_back { Phase::Checkout } else { send_phase(&io, total, http2) };
                att.facts.phase_reached = phase;
                let mut failure = failure_from(phase, &io, &error, handed_back);
                if let Some(h2) = att.facts.h2.as_mut() {
                    h2.reason = h2_reason(&error);
                    refine_h2(&mut failure, &io, h2.stream_id);
                }
                return Err(failure);
            }
        };
        att.head_at = Some(Instant::now());
        att.facts.phase_reached = Phase::ReadBody;

        // Head.
        let (parts, mut body) = response.into_parts();
        let version = match parts.version {
            http::Version::HTTP_10 => HttpVersion::Http10,
            http::Version::HTTP_2 => HttpVersion::Http2,
            http::Version::HTTP_3 => HttpVersion::Http3,
            _ => HttpVersion::Http11,
        };
        let status = parts.status.as_u16();
        att.facts.status = Some(status);
        let fields = HeadFields::of(&parts.headers);
        let framing = framing_of(request, status, &fields, http2);
        att.facts.framing = Some(framing);
        let connection = fields.connection.text(&parts.headers, &header::CONNECTION);
        let has_token = |token: &str| {
            connection
                .as_deref()
                .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        };
        att.response_is_close =
            has_token("close") || (version == HttpVersion::Http10 && !has_token("keep-alive"));
        // Kept per connection for the next attempt's facts: replaced only when it changes.
        if conn.last_connection_header.as_deref() != connection.as_deref() {
            conn.last_connection_header = connection.as_deref().map(Arc::from);
        }
        let keep_alive_timeout = fields
            .keep_alive
            .text(&parts.headers, &KEEP_ALIVE)
            .as_deref()
            .and_then(parse_keep_alive_timeout);
        if keep_alive_timeout.is_some() {
            conn.last_keep_alive_timeout = keep_alive_timeout;
        }

        // Body, within the cap: a Content-Length over it fails before reading.
        let cap = request.options.max_filesize;
        if framing == Framing::ContentLength
            && let Some(length) = fields
                .content_length
                .text(&parts.headers, &header::CONTENT_LENGTH)
                .and_then(|v| v.trim().parse::<u64>().ok())
            && length > cap
        {
            return Err(body_too_large(cap, length, "announced by Content-Length"));
        }
        let headers = ResponseHeaders::from_map(parts.headers);
        let mut data = Vec::new();
        let body_result = match read_body(
            &mut body,
            request.options.keep_body.then_some(&mut data),
            &mut att.facts.body_bytes,
            cap,
            request.options.limit_rate,
        )
        .await
        {
            Ok(()) => Ok(()),
            Err(BodyError::TooLarge(received)) => {
                att.facts.body_complete = Some(false);
                return Err(body_too_large(cap, received, "received"));
            }
            Err(BodyError::Hyper(e)) => Err(e),
        };
        // No yield to the connection task here: a reset already queued behind the last body
        // byte is in the wrapper by now. hyper ends the body in the poll of its connection
        // task that then reads the idle socket once more (tokio keeps a socket's closed
        // readiness, so that read reaches a reset or FIN already received), and on a
        // current-thread runtime this task runs only after that poll. On `run`'s
        // multi-thread runtime the two tasks may run at once: a reset read after this point
        // is met by `finish` or at the next checkout, as it was with a yield (which only
        // delayed this task). The yield cost a round through both tasks per request.
        let io = conn.io.attempt();
        // A reset ends a close-delimited body as a FIN would: the bytes received are the
        // response, its completeness is unknown (R4, cause g). The facts say how it ended
        // (`ended_with` from the wrapper's error); the runner warns, or fails under
        // `--strict-framing`. Never a transport failure, so never a retry either.
        let reset_ended_close_delimited =
            framing == Framing::CloseDelimited && read_was_reset(&io, body_result.as_ref().err());
        if let Err(error) = body_result
            && !reset_ended_close_delimited
        {
            att.facts.body_complete = match framing {
                Framing::CloseDelimited => None,
                _ => Some(false),
            };
            let mut failure = failure_from(Phase::ReadBody, &io, &error, false);
            if let Some(h2) = att.facts.h2.as_mut() {
                h2.reason = h2_reason(&error);
                refine_h2(&mut failure, &io, h2.stream_id);
            }
            return Err(failure);
        }
        att.facts.body_complete = match framing {
            Framing::CloseDelimited => None,
            _ => Some(true),
        };
        if framing != Framing::CloseDelimited && read_was_reset(&io, None) {
            att.facts.complete_then_reset = true;
        }
        Ok(Response {
            version,
            status,
            headers,
            body: Bytes::from(data),
            remote_addr: Some(conn.remote_addr),
            peer_certificate: conn.peer_certificate.clone(),
            duration: {
                // The end of the attempt, for the response and the facts alike.
                let end = att.end.unwrap_or_else(Instant::now);
                att.end = Some(end);
                end.saturating_duration_since(att.start)
            },
        })
    }

    /// The request as hyper gets it: built by [`build_request`], or cloned from the same
    /// request built before. A request seen twice in a row is kept for the next time.
    ///
    /// With it, the pool slot of a kept request whose pool key is the same (same URL, same
    /// connection options): the slot need not be looked up again.
    fn http_request(
        &mut self,
        spec: &RequestSpec,
    ) -> Result<(http::Request<Full<Bytes>>, Option<Slot>), String> {
        let fingerprint = BuiltRequest::fingerprint(spec);
        if let Some(built) = &self.built
            && built.fingerprint == fingerprint
            && built.matches(spec)
        {
            let slot = built.slot.filter(|_| built.key_options.matches(&spec.options));
            return Ok((built.request(spec), slot));
        }
        let request = build_request(spec, &self.user_agent)?;
        let repeated = fingerprint == self.last_fingerprint;
        self.last_fingerprint = fingerprint;
        if repeated {
            let (parts, body) = request.into_parts();
            self.built = Some(BuiltRequest::new(spec, parts.clone(), fingerprint));
            return Ok((http::Request::from_parts(parts, body), None));
        }
        Ok((request, None))
    }

    /// Keeps `slot` with the kept request, when it is `spec`'s and has none yet.
    fn remember_slot(&mut self, spec: &RequestSpec, slot: Slot) {
        if let Some(built) = self.built.as_mut()
            && built.slot.is_none()
            && built.matches(spec)
        {
            built.key_options = KeyOptions::of(&spec.options);
            built.slot = Some(slot);
        }
    }

    async fn checkout(
        &mut self,
        key: Slot,
        now: Instant,
        discarded: &mut Vec<DiscardedConnection>,
    ) -> Option<PooledConnection> {
        loop {
            let (found, mut dead) = self.pool.checkout(key, now);
            discarded.append(&mut dead);
            let mut conn = found?;
            let ready = match &mut conn.sender {
                Sender::H1(s) => s.ready().await,
                Sender::H2(s) => s.ready().await,
            };
            if ready.is_ok() {
                return Some(conn);
            }
            let idle_since = conn.idle_since.unwrap_or(conn.ready_at);
            discarded.push(DiscardedConnection {
                id: conn.id,
                idle: idle_since.elapsed(),
                reason: "closed",
                closed_after_idle: None,
                os: None,
            });
        }
    }

    async fn open(
        &mut self,
        request: &RequestSpec,
        facts: &mut AttemptFacts,
        deadline: tokio::time::Instant,
    ) -> Result<PooledConnection, FailureFacts> {
        let options = &request.options;
        let connected = match self.connector.connect(&request.url, options, deadline).await {
            Ok(c) => c,
            Err(e) => {
                facts.timings.connect = e.connect_time;
                facts.timings.tls = e.tls_time;
                facts.phase_reached = e.phase;
                return Err(connect_failure(e));
            }
        };
        facts.timings.connect = Some(connected.connect_time);
        facts.timings.tls = connected.tls_time;
        let id = ConnectionId(self.next_id);
        self.next_id += 1;
        let state = IoState::new();
        let use_h2 =
            connected.alpn_h2 || options.http_version == HttpVersionPreference::Http2PriorKnowledge;
        if use_h2 {
            state.watch_h2_frames();
        }
        let tls = connected.tls_time.is_some();
        let io = TokioIo::new(CountingIo::new(connected.stream, std::sync::Arc::clone(&state)));
        let handshake_failed = |e: hyper::Error| FailureFacts {
            phase: Phase::Tls,
            kind: if use_h2 { ErrorKind::H2Other } else { ErrorKind::Other },
            os: None,
            operation: Operation::Handshake,
            message: error_chain(&e),
        };
        let (sender, task) = if use_h2 {
            let (sender, connection) =
                http2::Builder::new(TokioExecutor::new()).handshake(io).await.map_err(|e| {
                    facts.phase_reached = Phase::Tls;
                    handshake_failed(e)
                })?;
            (Sender::H2(sender), tokio::spawn(connection).abort_handle())
        } else {
            let (sender, connection) = http1::Builder::new()
                // curl sends its own headers in title case; hyper would lower-case them all.
                .title_case_headers(true)
                .handshake(io)
                .await
                .map_err(|e| {
                    facts.phase_reached = Phase::Tls;
                    handshake_failed(e)
                })?;
            (Sender::H1(sender), tokio::spawn(connection).abort_handle())
        };
        Ok(PooledConnection {
            id,
            sender,
            io: state,
            task,
            ready_at: Instant::now(),
            idle_since: None,
            uses: 0,
            last_connection_header: None,
            last_keep_alive_timeout: None,
            idle_limit: self.settings.default_idle_timeout,
            remote_addr: connected.remote_addr,
            local_addr: connected.local_addr,
            peer_certificate: connected.peer_certificate,
            tls,
            h2_streams: 0,
        })
    }

    /// Fills in the facts the wrapper holds, decides whether the connection goes back
    /// into the pool, and builds the exchange.
    fn finish(
        &mut self,
        att: &mut Attempt,
        result: Result<Response, FailureFacts>,
        request: &RequestSpec,
    ) -> Exchange {
        let end = att.end.unwrap_or_else(Instant::now);
        let mut facts = std::mem::replace(&mut att.facts, AttemptFacts::new());
        facts.timings.total = end.saturating_duration_since(att.start);
        let timed_out = matches!(&result, Err(f) if f.kind == ErrorKind::Timeout);
        // One reading of the wrapper's counters for the facts and the pool decision.
        let mut seen = None;
        if let Some(conn) = att.conn.as_ref() {
            let io = seen.insert(conn.io.attempt());
            conn.io.end_attempt();
            facts.bytes_written = io.written;
            facts.bytes_read = io.read;
            facts.bytes_total = io.head_end.map(|h| h + att.request_body_len);
            facts.request_body_bytes = att.request_body_len;
            facts.socket_error = io.error.as_ref().map(|e| SocketError {
                operation: e.operation,
                kind: e.failure_kind(),
                os: e.os,
            });
            facts.ended_with = if timed_out {
                End::Timeout
            } else if let Some(e) = &io.error {
                match e.kind {
                    io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe => End::Rst,
                    // TLS reports a peer's close without close_notify this way.
                    io::ErrorKind::UnexpectedEof => End::Fin,
                    _ => End::Error,
                }
            } else if io.eof {
                End::Fin
            } else if result.is_ok()
                && !matches!(conn.sender, Sender::H2(_))
                && facts.bytes_total.is_some_and(|total| io.written < total)
            {
                // The answer came before the request was written whole, and the connection
                // was dropped before its end showed: a clean end was not seen, so none is claimed.
                End::NotObserved
            } else {
                End::Clean
            };
            // A reset read after the response's own reading of the wrapper (between the end
            // of the body and this reading) still follows a complete response: the same fact,
            // so `ended_with` and the diagnosis cannot disagree on it.
            if result.is_ok() && facts.body_complete == Some(true) && read_was_reset(io, None) {
                facts.complete_then_reset = true;
            }
            facts.early_response_after_write_error = result.is_ok()
                && io.error.as_ref().is_some_and(|e| e.operation == Operation::Write)
                && att.head_at.is_some();
            if let Some(h2) = facts.h2.as_mut() {
                if let Some(stream) = h2.stream_id {
                    h2.rst_code =
                        io.h2_resets.iter().rev().find(|(s, _)| *s == stream).map(|(_, c)| *c);
                }
                if let Some((last, code)) = io.h2_goaway {
                    h2.goaway_last_stream_id = Some(last);
                    h2.goaway_code = Some(code);
                }
            }
            facts.timings = timings(att.dispatched_at, att.head_at, io, end, facts.timings);
        }
        // Pool decision: reuse only a connection that saw no error, no EOF, no close.
        if let (Some(mut conn), Some(key), Some(io)) = (att.conn.take(), att.key.take(), seen) {
            let clean = result.is_ok()
                && io.error.is_none()
                && !io.eof
                && !conn.io.is_dead()
                && !conn.sender.is_closed()
                && !att.response_is_close
                && !request_says_close(request)
                && facts.framing != Some(Framing::CloseDelimited);
            if clean && !request.options.no_keepalive {
                let limit = match conn.last_keep_alive_timeout {
                    Some(timeout) => {
                        let origin = self.pool.origin(key).to_owned();
                        self.pool.learn_keep_alive(&origin, timeout)
                    }
                    None => self.settings.default_idle_timeout,
                };
                if !limit.is_zero() {
                    conn.idle_limit = limit;
                    self.pool.checkin(key, conn, end);
                    facts.returned_to_pool = true;
                }
            }
        }

        let reused = facts.connection.as_ref().map(|c| c.reused);
        let idle = facts.connection.as_ref().and_then(|c| c.idle);
        let result = result.map_err(|failure| {
            let out = TransportFailure {
                kind: failure.kind,
                phase: failure.phase,
                os: failure.os,
                operation: failure.operation,
                message: failure.message.clone(),
                reused,
                idle,
            };
            facts.phase_reached = failure.phase;
            facts.error = Some(Box::new(failure));
            out
        });
        Exchange { result, facts }
    }
}

/// The pooled connection of a failed exchange that hyper gave the request back on, before
/// any byte was written: a stale connection to replace.
fn stale_connection(exchange: &Exchange) -> Option<DiscardedConnection> {
    let failure = exchange.result.as_ref().err()?;
    let conn = exchange.facts.connection.as_ref()?;
    (failure.phase == Phase::Checkout && conn.reused && exchange.facts.bytes_written == 0).then(
        || DiscardedConnection {
            id: conn.id,
            idle: conn.idle.unwrap_or_default(),
            reason: "closed_at_send",
            closed_after_idle: None,
            os: exchange.facts.socket_error.as_ref().and_then(|e| e.os),
        },
    )
}

fn timings(
    dispatched_at: Option<Instant>,
    head_at: Option<Instant>,
    io: &AttemptIo,
    end: Instant,
    mut t: Timings,
) -> Timings {
    let Some(dispatched) = dispatched_at else {
        return t;
    };
    let first_byte = io.first_read.or(head_at).unwrap_or(end);
    let last_write = io.last_write.map(|w| w.min(first_byte)).unwrap_or(dispatched);
    t.send = elapsed_between(dispatched, last_write);
    t.wait = elapsed_between(last_write, first_byte);
    t.receive = elapsed_between(first_byte, end);
    t
}

fn request_says_close(request: &RequestSpec) -> bool {
    request.headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("connection")
            && v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close"))
    })
}

/// The phase an attempt was in when `max_time` cut it short.
fn timeout_phase(att: &Attempt) -> Phase {
    if att.head_at.is_some() {
        return Phase::ReadBody;
    }
    match (&att.conn, att.dispatched_at) {
        (Some(conn), Some(_)) => {
            let io = conn.io.attempt();
            let total = io.head_end.map(|h| h + att.request_body_len);
            send_phase(&io, total, matches!(conn.sender, Sender::H2(_)))
        }
        _ => att.facts.phase_reached,
    }
}

/// Where a request that hyper did not hand back failed, from the wrapper's counters.
/// Over HTTP/2 the counters are per connection, so only a write error means `write`.
fn send_phase(io: &AttemptIo, total: Option<u64>, http2: bool) -> Phase {
    let write_failed = io.error.as_ref().is_some_and(|e| e.operation == Operation::Write);
    let short = cfg!(feature = "ledger") && !http2 && total.is_none_or(|total| io.written < total);
    if write_failed || short {
        Phase::Write
    } else if io.read == 0 || http2 {
        Phase::AwaitResponse
    } else {
        Phase::ReadHeaders
    }
}

fn plain_failure(
    phase: Phase,
    kind: ErrorKind,
    operation: Operation,
    message: String,
) -> FailureFacts {
    FailureFacts { phase, kind, os: None, operation, message }
}

fn connect_failure(e: ConnectError) -> FailureFacts {
    FailureFacts {
        phase: e.phase,
        kind: e.kind,
        os: e.os,
        operation: e.operation,
        message: e.message,
    }
}

/// A failure from hyper's error, preferring what the wrapper saw.
fn failure_from(
    phase: Phase,
    io: &AttemptIo,
    error: &hyper::Error,
    handed_back: bool,
) -> FailureFacts {
    let mut message = error_chain(error);
    if error.is_parse() && message.contains("message head is too large") {
        // Endless or huge headers: name the limit (docs/limits.md).
        message.push_str(" (over hyper's limits: a head of about 400 KiB or 100 header fields)");
    }
    // 1. An HTTP/2 stream or connection error (RST_STREAM, GOAWAY) explains more than the
    //    socket error that may follow it.
    if let Some(h2) = find_source::<h2::Error>(error)
        && !h2.is_io()
    {
        let kind = if h2.reason() == Some(h2::Reason::REFUSED_STREAM) {
            ErrorKind::H2RefusedStream
        } else if h2.is_go_away() {
            ErrorKind::H2Goaway
        } else {
            ErrorKind::H2Other
        };
        return FailureFacts { phase, kind, os: None, operation: Operation::Read, message };
    }
    // 2. The wrapper's first socket error: the kernel reports an error only once.
    if let Some(e) = &io.error {
        return FailureFacts {
            phase,
            kind: e.failure_kind(),
            os: e.os,
            operation: e.operation,
            message,
        };
    }
    // 3. An io::Error in the source chain.
    if let Some(e) = find_source::<io::Error>(error) {
        let operation = if error.is_body_write_aborted() || phase == Phase::Write {
            Operation::Write
        } else {
            Operation::Read
        };
        let kind = if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
            ErrorKind::Tls
        } else if e.raw_os_error().is_none() && io.eof {
            // A kind made up above the socket (h2 says "broken pipe" for an EOF): the
            // wrapper saw a plain EOF.
            ErrorKind::Eof
        } else {
            kind_of_io(e.kind())
        };
        return FailureFacts {
            phase,
            kind,
            os: e.raw_os_error().map(OsError::from_errno),
            operation,
            message,
        };
    }
    // 4. A clean EOF.
    if io.eof || error.is_incomplete_message() || handed_back && error.is_canceled() {
        return FailureFacts {
            phase,
            kind: ErrorKind::Eof,
            os: None,
            operation: Operation::Read,
            message,
        };
    }
    FailureFacts { phase, kind: ErrorKind::Other, os: None, operation: Operation::Read, message }
}

/// Whether the connection was reset while reading: by the wrapper's first socket error,
/// or, failing that, by an `io::Error` in hyper's error chain.
fn read_was_reset(io: &AttemptIo, error: Option<&hyper::Error>) -> bool {
    let reset = |kind: io::ErrorKind| {
        matches!(kind, io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted)
    };
    match &io.error {
        Some(e) => e.operation == Operation::Read && reset(e.kind),
        None => error.and_then(|e| find_source::<io::Error>(e)).is_some_and(|e| reset(e.kind())),
    }
}

fn find_source<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// hyper's `Display` leaves out the cause; join the whole chain.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut out = error.to_string();
    let mut current = error.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        current = e.source();
    }
    out
}

/// HTTP/2 frames the wrapper saw explain a failure better than the error hyper gives
/// once the connection is gone: a RST_STREAM(REFUSED_STREAM) for this stream, or a GOAWAY.
fn refine_h2(failure: &mut FailureFacts, io: &AttemptIo, stream_id: Option<u32>) {
    const REFUSED_STREAM: u32 = 0x7;
    let refused =
        io.h2_resets.iter().any(|(s, code)| Some(*s) == stream_id && *code == REFUSED_STREAM);
    if refused {
        failure.kind = ErrorKind::H2RefusedStream;
    } else if io.h2_goaway.is_some()
        && !matches!(failure.kind, ErrorKind::H2RefusedStream | ErrorKind::H2Other)
    {
        failure.kind = ErrorKind::H2Goaway;
    }
}

/// The `h2::Reason` in hyper's error, if any.
fn h2_reason(error: &hyper::Error) -> Option<u32> {
    find_source::<h2::Error>(error).and_then(h2::Error::reason).map(u32::from)
}

/// Why a body read stopped early.
enum BodyError {
    /// The connection or the framing failed.
    Hyper(hyper::Error),
    /// More than the cap arrived: this many bytes, counting the chunk that crossed it.
    TooLarge(u64),
}

/// Reads the whole body into `data`, never holding more than `cap` bytes (the
/// buffer grows by doubling, but never past the cap). Without `data` (nothing will
/// read the body), each chunk is counted, held to the cap all the same, and dropped.
/// With `limit_rate` (bytes per second, `--limit-rate`), reading pauses so that the
/// average stays under the rate, as curl does: the server is slowed down by TCP flow
/// control, not just the clock.
async fn read_body(
    body: &mut Incoming,
    mut data: Option<&mut Vec<u8>>,
    count: &mut u64,
    cap: u64,
    limit_rate: Option<u64>,
) -> Result<(), BodyError> {
    // The pace's clock, read only when there is a pace to keep.
    let started = limit_rate.map(|_| tokio::time::Instant::now());
    let mut paced: u64 = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(chunk) = frame.map_err(BodyError::Hyper)?.into_data() {
            *count += chunk.len() as u64;
            paced += chunk.len() as u64;
            if *count > cap {
                return Err(BodyError::TooLarge(*count));
            }
            if let Some(data) = data.as_deref_mut() {
                let needed = data.len() + chunk.len();
                if needed > data.capacity() {
                    let limit = usize::try_from(cap).unwrap_or(usize::MAX);
                    let target =
                        needed.max(data.capacity().saturating_mul(2)).min(limit).max(needed);
                    data.reserve_exact(target - data.len());
                }
                data.extend_from_slice(&chunk);
            }
            if let (Some(rate), Some(started)) = (limit_rate.filter(|r| *r > 0), started) {
                let due = Duration::from_secs_f64(paced as f64 / rate as f64);
                tokio::time::sleep_until(started + due).await;
            }
        }
    }
    Ok(())
}

fn body_too_large(cap: u64, bytes: u64, how: &str) -> FailureFacts {
    plain_failure(
        Phase::ReadBody,
        ErrorKind::BodyTooLarge,
        Operation::Read,
        format!(
            "the body exceeds the cap of {cap} bytes ({bytes} bytes {how}); \
             raise it with --max-filesize BYTES"
        ),
    )
}

fn framing_of(request: &RequestSpec, status: u16, fields: &HeadFields<'_>, http2: bool) -> Framing {
    if request.method.eq_ignore_ascii_case("HEAD")
        || (100..200).contains(&status)
        || status == 204
        || status == 304
    {
        Framing::None
    } else if http2 {
        Framing::H2Stream
    } else if fields.chunked {
        Framing::Chunked
    } else if !matches!(fields.content_length, Field::Absent) {
        Framing::ContentLength
    } else {
        Framing::CloseDelimited
    }
}

const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");

/// The response header fields the transport reads itself, found in one pass over hyper's
/// map (a lookup by name hashes the name and probes; the pass compares a few names).
#[derive(Default)]
struct HeadFields<'a> {
    connection: Field<'a>,
    keep_alive: Field<'a>,
    content_length: Field<'a>,
    /// A `Transfer-Encoding` value (plain ASCII) names `chunked`, in any case.
    chunked: bool,
}

/// How often a header occurs, and its value when once.
#[derive(Clone, Copy, Default)]
enum Field<'a> {
    #[default]
    Absent,
    One(&'a HeaderValue),
    Many,
}

impl<'a> HeadFields<'a> {
    fn of(headers: &'a HeaderMap) -> HeadFields<'a> {
        let mut fields = HeadFields::default();
        for (name, value) in headers {
            if name == header::CONNECTION {
                fields.connection.add(value);
            } else if name == header::CONTENT_LENGTH {
                fields.content_length.add(value);
            } else if name == header::TRANSFER_ENCODING {
                fields.chunked |= value.to_str().is_ok_and(|v| {
                    v.as_bytes().windows(7).any(|w| w.eq_ignore_ascii_case(b"chunked"))
                });
            } else if name == KEEP_ALIVE {
                fields.keep_alive.add(value);
            }
        }
        fields
    }
}

impl<'a> Field<'a> {
    fn add(&mut self, value: &'a HeaderValue) {
        *self = match self {
            Field::Absent => Field::One(value),
            _ => Field::Many,
        };
    }

    /// The field as text: in place when it is one plain ASCII value, otherwise decoded and
    /// its values joined with `, ` (as [`header_str`] does).
    fn text(self, headers: &HeaderMap, name: &HeaderName) -> Option<Cow<'a, str>> {
        match self {
            Field::Absent => None,
            Field::One(value) => Some(match value.to_str() {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => Cow::Owned(header_text(value)),
            }),
            Field::Many => header_str(headers, name).map(Cow::Owned),
        }
    }
}

fn header_str(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter();
    let mut out = header_text(values.next()?);
    for value in values {
        out.push_str(", ");
        out.push_str(&header_text(value));
    }
    Some(out)
}

/// `timeout=N` from a `Keep-Alive` header value.
fn parse_keep_alive_timeout(value: &str) -> Option<Duration> {
    value.split(',').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("timeout") {
            v.trim().parse::<u64>().ok().map(Duration::from_secs)
        } else {
            None
        }
    })
}

/// The request as hyper gets it over HTTP/1, its headers in curl's order: `Host` first
/// (the request's own, if it has one, as curl moves it there), then the request's
/// headers in order, with `Accept` and `User-Agent` at their slots if it has none, then
/// `Content-Length`.
/// Built before checkout, so that an invalid request costs no connection.
fn build_request(
    spec: &RequestSpec,
    user_agent: &HeaderValue,
) -> Result<http::Request<Full<Bytes>>, String> {
    let method = http::Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| format!("invalid method `{}`", spec.method))?;
    let url = &spec.url;
    let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let target = match &spec.options.raw_target {
        Some(raw) => raw.as_str(),
        None if path.is_empty() => "/",
        None => path,
    };
    let uri = http::Uri::try_from(target).map_err(|e| format!("invalid request target: {e}"))?;
    let version = if spec.options.http_version == HttpVersionPreference::Http10 {
        http::Version::HTTP_10
    } else {
        http::Version::HTTP_11
    };
    let has = |name: &str| spec.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut headers = HeaderMap::with_capacity(spec.headers.len() + 4);
    let given_host = spec.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("host"));
    let host_value = match given_host {
        Some((_, value)) => HeaderValue::from_bytes(value.as_bytes())
            .map_err(|_| "invalid value for header `host`".to_owned())?,
        None => {
            let host = url.host_str().unwrap_or_default();
            let mut value = String::with_capacity(host.len() + 6);
            value.push_str(host);
            if let Some(port) = url.port() {
                value.push(':');
                value.push_str(itoa(port, &mut [0; 5]));
            }
            HeaderValue::from_str(&value).map_err(|_| format!("invalid host `{value}`"))?
        }
    };
    headers.insert(header::HOST, host_value);
    let needs_accept = !has("accept");
    let needs_user_agent = !has("user-agent");
    let slots = spec.default_slots;
    let last = spec.headers.len();
    // The defaults whose slot is `at` (`None`: right after Host; past the end: last).
    let defaults = |headers: &mut HeaderMap, at: Option<usize>| {
        let here = |slot: Option<usize>| match (slot, at) {
            (Some(slot), Some(at)) => slot.min(last) == at,
            (slot, at) => slot == at,
        };
        if needs_accept && here(slots.accept) {
            headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        }
        if needs_user_agent && here(slots.user_agent) {
            headers.insert(header::USER_AGENT, user_agent.clone());
        }
    };
    defaults(&mut headers, None);
    for (index, (name, value)) in spec.headers.iter().enumerate() {
        defaults(&mut headers, Some(index));
        if name.eq_ignore_ascii_case("host") {
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name `{name}`"))?;
        let value = HeaderValue::from_bytes(value.as_bytes())
            .map_err(|_| format!("invalid value for header `{name}`"))?;
        headers.append(name, value);
    }
    defaults(&mut headers, Some(last));
    let needs_length = !spec.body.is_empty()
        || matches!(method, http::Method::POST | http::Method::PUT | http::Method::PATCH);
    if needs_length && !has("content-length") && !has("transfer-encoding") {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(spec.body.len()));
    }
    let mut request = http::Request::new(Full::new(spec.body.clone()));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = headers;
    Ok(request)
}

/// A request built by [`build_request`], with what it was built from.
#[derive(Debug)]
struct BuiltRequest {
    fingerprint: u64,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    default_slots: crate::transport::request::DefaultSlots,
    body_len: usize,
    raw_target: Option<String>,
    http10: bool,
    parts: http::request::Parts,
    /// The pool slot of its URL with `key_options`, once looked up.
    slot: Option<Slot>,
    /// The options the pool key reads, as they were when `slot` was looked up.
    key_options: KeyOptions,
}

/// What a pool key reads of a request's options (besides the URL).
#[derive(Debug, Default)]
struct KeyOptions {
    http_version: Option<HttpVersionPreference>,
    insecure: bool,
    ca_certificates: Vec<std::path::PathBuf>,
    client_certificate: Option<(std::path::PathBuf, Option<std::path::PathBuf>)>,
    ip_version: Option<crate::transport::request::IpVersion>,
    resolve: Vec<(String, u16, std::net::IpAddr)>,
    connect_to: Vec<(String, u16, String, u16)>,
}

impl KeyOptions {
    fn of(options: &crate::transport::request::RequestOptions) -> KeyOptions {
        KeyOptions {
            http_version: Some(options.http_version),
            insecure: options.insecure,
            ca_certificates: options.ca_certificates.clone(),
            client_certificate: options.client_certificate.clone(),
            ip_version: Some(options.ip_version),
            resolve: options.resolve.clone(),
            connect_to: options.connect_to.clone(),
        }
    }

    fn matches(&self, options: &crate::transport::request::RequestOptions) -> bool {
        self.http_version == Some(options.http_version)
            && self.ip_version == Some(options.ip_version)
            && self.insecure == options.insecure
            && self.ca_certificates == options.ca_certificates
            && self.client_certificate == options.client_certificate
            && self.resolve == options.resolve
            && self.connect_to == options.connect_to
    }
}

impl BuiltRequest {
    fn new(spec: &RequestSpec, parts: http::request::Parts, fingerprint: u64) -> BuiltRequest {
        BuiltRequest {
            fingerprint,
            method: spec.method.clone(),
            url: spec.url.as_str().to_owned(),
            headers: spec.headers.clone(),
            default_slots: spec.default_slots,
            body_len: spec.body.len(),
            raw_target: spec.options.raw_target.clone(),
            http10: spec.options.http_version == HttpVersionPreference::Http10,
            parts,
            slot: None,
            key_options: KeyOptions::default(),
        }
    }

    /// Everything [`build_request`] reads of a request, hashed (FNV-1a): a cheap first test
    /// of sameness, so that a request that never repeats costs no copy of itself.
    fn fingerprint(spec: &RequestSpec) -> u64 {
        fn feed(hash: &mut u64, bytes: &[u8]) {
            for &b in bytes {
                *hash = (*hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            // A separator, so that ("ab", "c") and ("a", "bc") differ.
            *hash = (*hash ^ 0xff).wrapping_mul(0x0100_0000_01b3);
        }
        let mut hash = 0xcbf2_9ce4_8422_2325;
        feed(&mut hash, spec.method.as_bytes());
        feed(&mut hash, spec.url.as_str().as_bytes());
        for (name, value) in &spec.headers {
            feed(&mut hash, name.as_bytes());
            feed(&mut hash, value.as_bytes());
        }
        feed(&mut hash, &spec.body.len().to_le_bytes());
        // The same headers with the defaults at other slots go out in another order.
        for slot in [spec.default_slots.accept, spec.default_slots.user_agent] {
            feed(&mut hash, &slot.map_or(u64::MAX, |at| at as u64).to_le_bytes());
        }
        if let Some(raw) = &spec.options.raw_target {
            feed(&mut hash, raw.as_bytes());
        }
        feed(&mut hash, &[u8::from(spec.options.http_version == HttpVersionPreference::Http10)]);
        hash
    }

    /// Whether [`build_request`] would build the same request from `spec`.
    fn matches(&self, spec: &RequestSpec) -> bool {
        self.body_len == spec.body.len()
            && self.http10 == (spec.options.http_version == HttpVersionPreference::Http10)
            && self.url == spec.url.as_str()
            && self.method == spec.method
            && self.raw_target == spec.options.raw_target
            && self.default_slots == spec.default_slots
            && self.headers == spec.headers
    }

    /// A copy of the request built, with `spec`'s body.
    fn request(&self, spec: &RequestSpec) -> http::Request<Full<Bytes>> {
        http::Request::from_parts(self.parts.clone(), Full::new(spec.body.clone()))
    }
}

/// `n` in decimal, written into `buf` (no formatting machinery on the hot path).
fn itoa(mut n: u16, buf: &mut [u8; 5]) -> &str {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[start..]).unwrap_or_default()
}

/// Turns the HTTP/1 request into its HTTP/2 form: absolute URI (`:scheme`,
/// `:authority`), no `Host` header unless the user gave one.
fn into_h2(request: &mut http::Request<Full<Bytes>>, spec: &RequestSpec) -> Result<(), String> {
    let url = &spec.url;
    *request.uri_mut() = http::Uri::try_from(&url[..url::Position::AfterQuery])
        .map_err(|e| format!("invalid request target: {e}"))?;
    *request.version_mut() = http::Version::HTTP_2;
    if !spec.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        request.headers_mut().remove(header::HOST);
    }
    Ok(())
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
