//! The proxy's I/O: the loopback listener, one task per connection with a pump per stream,
//! and the faults applied to the bytes as they pass.
//!
//! Each accepted connection gets the plan as it is at that moment (later control API changes
//! reach later connections), a number from 1, and its own upstream connection. Both streams
//! are cut into HTTP/1.1 messages by [`super::http1::Framer`], so a fault scoped `per=request`
//! rolls once per request and the log can name the request a fault met. A pump that injects
//! a reset or a close raises the connection's abort; the connection task then drops both
//! pumps and closes the sockets, with `SO_LINGER 0` (RST) only on the side the fault names.
//! Connections no fault reset close with an ordinary FIN, and a reset or close from the real
//! server is passed on as it came (a transparent proxy).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::http1::{Framer, Side};
use super::log::{FaultLog, Injected, LogSnapshot};
use super::plan::{CloseMode, Fault, FaultKind, FaultPlan, PlanError, Scope, Stream};
use super::roll::{Rng, hits};

/// Why the proxy cannot start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// An address outside 127.0.0.0/8 and ::1.
    #[error(
        "{what} address {addr} is not a loopback address: the fault proxy only listens on and forwards to 127.0.0.0/8 or ::1"
    )]
    NotLoopback {
        /// `listen`, `upstream` or `control`.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Refuses an address that is not loopback.
pub fn check_loopback(what: &'static str, addr: SocketAddr) -> Result<(), ProxyError> {
    if addr.ip().is_loopback() { Ok(()) } else { Err(ProxyError::NotLoopback { what, addr }) }
}

/// What the proxy is asked to do.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// Where to forward.
    pub upstream: SocketAddr,
    /// The seed of every roll.
    pub seed: u64,
    /// The faults at start.
    pub plan: FaultPlan,
}

/// What a finished run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Connections accepted.
    pub connections: u64,
    /// Faults injected.
    pub injected: u64,
}

/// State shared by the listener, the connections and the control API.
#[derive(Debug)]
struct Shared {
    plan: Mutex<FaultPlan>,
    log: FaultLog,
    seed: u64,
    upstream: SocketAddr,
    started: Instant,
    connections: AtomicU64,
    /// The client's address of each connection, by number (from 1), at most [`MAX_PEERS`].
    peers: Mutex<Vec<SocketAddr>>,
}

/// The most client addresses kept (a run reconciles its faults by them).
pub const MAX_PEERS: usize = 1_000_000;

impl Shared {
    /// Numbers a newly accepted connection and remembers its client's address.
    fn accepted(&self, peer: SocketAddr) -> u64 {
        let mut peers = match self.peers.lock() {
            Ok(peers) => peers,
            Err(poisoned) => poisoned.into_inner(),
        };
        let conn = self.connections.fetch_add(1, Ordering::Relaxed) + 1;
        if peers.len() < MAX_PEERS && peers.len() as u64 + 1 == conn {
            peers.push(peer);
        }
        conn
    }

    fn plan(&self) -> MutexGuard<'_, FaultPlan> {
        match self.plan.lock() {
            Ok(plan) => plan,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// A handle on a running proxy's plan and log (the control API's view).
#[derive(Clone, Debug)]
pub struct Control {
    shared: Arc<Shared>,
}

impl Control {
    /// The current plan.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.plan().faults().to_vec()
    }

    /// Adds a fault for connections accepted from now on.
    pub fn add(&self, fault: Fault) -> Result<(), PlanError> {
        self.shared.plan().add(fault)
    }

    /// Removes a fault (connections already open keep it).
    pub fn remove(&self, name: &str) -> Result<Fault, PlanError> {
        self.shared.plan().remove(name)
    }

    /// The injected-fault log so far.
    pub fn log(&self) -> LogSnapshot {
        self.shared.log.snapshot()
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Where connections are forwarded.
    pub fn upstream(&self) -> SocketAddr {
        self.shared.upstream
    }

    /// The client's address of connection `conn` (numbered from 1), if it was kept.
    pub fn peer(&self, conn: u64) -> Option<SocketAddr> {
        let peers = match self.shared.peers.lock() {
            Ok(peers) => peers,
            Err(poisoned) => poisoned.into_inner(),
        };
        usize::try_from(conn)
            .ok()
            .and_then(|c| c.checked_sub(1))
            .and_then(|i| peers.get(i))
            .copied()
    }
}

/// A bound proxy, not yet accepting.
#[derive(Debug)]
pub struct Proxy {
    listener: TcpListener,
    local: SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Checks both addresses and binds the listener.
    pub async fn bind(config: ProxyConfig) -> Result<Proxy, ProxyError> {
        check_loopback("listen", config.listen)?;
        check_loopback("upstream", config.upstream)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ProxyError::Bind { addr: config.listen, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ProxyError::Bind { addr: config.listen, source })?;
        let shared = Arc::new(Shared {
            plan: Mutex::new(config.plan),
            log: FaultLog::default(),
            seed: config.seed,
            upstream: config.upstream,
            started: Instant::now(),
            connections: AtomicU64::new(0),
            peers: Mutex::new(Vec::new()),
        });
        Ok(Proxy { listener, local, shared })
    }

    /// The address it listens on (the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// A handle for the control API.
    pub fn control(&self) -> Control {
        Control { shared: Arc::clone(&self.shared) }
    }

    /// Accepts and forwards until `shutdown` completes, then closes every connection.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Summary {
        let Proxy { listener, shared, .. } = self;
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut fired_backlogs: Vec<String> = Vec::new();
        tokio::pin!(shutdown);
        loop {
            let backlog = {
                let accepted = shared.connections.load(Ordering::Relaxed);
                shared.plan().faults().iter().find_map(|f| match f.kind {
                    FaultKind::AcceptBacklog { after, hold_ms }
                        if accepted >= after && !fired_backlogs.contains(&f.name) =>
                    {
                        Some((f.clone(), hold_ms))
                    }
                    _ => None,
                })
            };
            if let Some((fault, hold_ms)) = backlog {
                fired_backlogs.push(fault.name.clone());
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(Duration::from_millis(hold_ms)) => {}
                }
                reset_queued(&listener, &shared, &fault, hold_ms, &mut tasks, &stop_rx).await;
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let conn = shared.accepted(peer);
                        tasks.spawn(serve(Arc::clone(&shared), conn, stream, stop_rx.clone()));
                    }
                    // Out of descriptors and the like: wait a little rather than spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        drop(listener);
        let _ = stop_tx.send(true);
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(2), drain).await.is_err() {
            tasks.abort_all();
        }
        Summary {
            connections: shared.connections.load(Ordering::Relaxed),
            injected: shared.log.len(),
        }
    }
}

/// `accept_backlog`: after the hold, accept every connection that queued and reset the ones
/// the roll hits (the others are served).
async fn reset_queued(
    listener: &TcpListener,
    shared: &Arc<Shared>,
    fault: &Fault,
    hold_ms: u64,
    tasks: &mut JoinSet<()>,
    stop_rx: &watch::Receiver<bool>,
) {
    // Bounded: the backlog holds at most what the kernel queued (1024 by default).
    for _ in 0..4096 {
        let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await
        else {
            break;
        };
        let conn = shared.accepted(peer);
        if hits(fault.toxicity, shared.seed, &fault.name, conn, 0) {
            shared.log.push(Injected {
                seq: 0,
                connection: conn,
                request: None,
                fault: fault.name.clone(),
                kind: fault.kind.type_name(),
                stream: Stream::Downstream,
                action: "queue_reset",
                at: shared.started.elapsed(),
                bytes: 0,
                detail: format!("queued {hold_ms} ms unaccepted, then reset"),
            });
            let _ = stream.set_zero_linger();
            drop(stream);
        } else {
            tasks.spawn(serve(Arc::clone(shared), conn, stream, stop_rx.clone()));
        }
    }
}

/// How a connection ends early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Abort {
    None,
    /// Close both sides with FIN.
    Close,
    /// RST to the client.
    ResetClient,
    /// RST to the server (the client reset the proxy).
    ResetServer,
}

/// The per-connection state both pumps read.
#[derive(Debug)]
struct ConnState {
    /// Requests whose first byte was seen.
    requests_started: u64,
    /// Responses complete by their framing.
    responses_complete: u64,
    /// (request, is HEAD, has a body), in order, until its response completes.
    requests: std::collections::VecDeque<(u64, bool, bool)>,
    /// Requests announced to the response framer so far.
    announced: u64,
    /// The last time a byte went either way.
    last_activity: Instant,
}

#[derive(Debug)]
struct Conn {
    shared: Arc<Shared>,
    number: u64,
    state: Mutex<ConnState>,
    response_done: Notify,
    abort: watch::Sender<Abort>,
}

impl Conn {
    fn state(&self) -> MutexGuard<'_, ConnState> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn abort(&self, how: Abort) {
        self.abort.send_if_modified(|a| {
            if *a == Abort::None {
                *a = how;
                true
            } else {
                false
            }
        });
    }

    fn log(
        &self,
        fault: &Fault,
        stream: Stream,
        request: Option<u64>,
        action: &'static str,
        bytes: u64,
        detail: String,
    ) {
        self.shared.log.push(Injected {
            seq: 0,
            connection: self.number,
            request,
            fault: fault.name.clone(),
            kind: fault.kind.type_name(),
            stream,
            action,
            at: self.shared.started.elapsed(),
            bytes,
            detail,
        });
    }

    fn touch(&self) {
        self.state().last_activity = Instant::now();
    }
}

/// A fault as one connection applies it.
#[derive(Debug)]
struct Active {
    fault: Fault,
    /// The connection's roll.
    conn_hit: bool,
    /// The request whose roll is cached, and the result.
    cached: Option<(u64, bool)>,
    /// The scope (0: connection, else the request) last logged.
    logged: Option<u64>,
    rng: Rng,
}

impl Active {
    fn new(fault: Fault, seed: u64, conn: u64) -> Active {
        let conn_hit = hits(fault.toxicity, seed, &fault.name, conn, 0);
        let rng = Rng::new(seed, &fault.name, conn);
        Active { fault, conn_hit, cached: None, logged: None, rng }
    }

    /// Whether the fault acts on request `message` of this connection.
    fn applies(&mut self, seed: u64, conn: u64, message: u64) -> bool {
        match self.fault.scope {
            Scope::Connection => self.conn_hit,
            Scope::Request => match self.cached {
                Some((m, hit)) if m == message => hit,
                _ => {
                    let hit = hits(self.fault.toxicity, seed, &self.fault.name, conn, message);
                    self.cached = Some((message, hit));
                    hit
                }
            },
        }
    }

    /// True the first time in a scope (to log a fault that acts on every chunk once).
    fn first_in_scope(&mut self, message: u64) -> bool {
        let scope = match self.fault.scope {
            Scope::Connection => 0,
            Scope::Request => message,
        };
        if self.logged == Some(scope) {
            false
        } else {
            self.logged = Some(scope);
            true
        }
    }
}

/// One accepted connection, from the upstream connect to the close.
async fn serve(
    shared: Arc<Shared>,
    number: u64,
    mut client: TcpStream,
    mut stop: watch::Receiver<bool>,
) {
    let faults: Vec<Fault> = shared
        .plan()
        .faults()
        .iter()
        .filter(|f| !matches!(f.kind, FaultKind::AcceptBacklog { .. }))
        .cloned()
        .collect();
    #[expect(
        clippy::disallowed_methods,
        reason = "the fault proxy's upstream leg: it forwards bytes to a loopback server (checked at bind) and measures nothing, so it is not a scenario connection"
    )]
    let connected = TcpStream::connect(shared.upstream).await;
    let Ok(mut upstream) = connected else {
        // Nothing listens upstream: the client sees its connection closed.
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (abort_tx, mut abort_rx) = watch::channel(Abort::None);
    let conn = Conn {
        number,
        state: Mutex::new(ConnState {
            requests_started: 0,
            responses_complete: 0,
            requests: std::collections::VecDeque::new(),
            announced: 0,
            last_activity: Instant::now(),
        }),
        response_done: Notify::new(),
        abort: abort_tx,
        shared,
    };
    let seed = conn.shared.seed;
    let mut up = Vec::new();
    let mut down = Vec::new();
    for fault in faults {
        let active = Active::new(fault, seed, number);
        match (&active.fault.kind, active.fault.stream) {
            (FaultKind::IdleClose { .. }, _) | (_, Stream::Upstream) => up.push(active),
            _ => down.push(active),
        }
    }
    {
        let (cr, cw) = client.split();
        let (ur, uw) = upstream.split();
        let pumps = async {
            tokio::join!(
                pump(&conn, Stream::Upstream, cr, uw, up),
                pump(&conn, Stream::Downstream, ur, cw, down)
            )
        };
        tokio::select! {
            _ = pumps => {}
            _ = abort_rx.wait_for(|a| *a != Abort::None) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }
    let how = *conn.abort.borrow();
    match how {
        Abort::ResetClient => {
            let _ = client.set_zero_linger();
        }
        Abort::ResetServer => {
            let _ = upstream.set_zero_linger();
        }
        Abort::None | Abort::Close => {}
    }
    drop(client);
    drop(upstream);
}

/// Sleeps (the connection task cancels the pump if it aborts meanwhile).
async fn pause(duration: Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Copies one stream, applying its faults. Returns at end of stream or after raising the
/// connection's abort.
async fn pump(
    conn: &Conn,
    stream: Stream,
    mut src: ReadHalf<'_>,
    mut dst: WriteHalf<'_>,
    mut faults: Vec<Active>,
) {
    let seed = conn.shared.seed;
    let side = match stream {
        Stream::Upstream => Side::Requests,
        Stream::Downstream => Side::Responses,
    };
    let mut framer = Framer::new(side);
    let mut buf = vec![0u8; 32 * 1024];
    // Bytes forwarded on this stream, and of the current message.
    let mut passed: u64 = 0;
    let mut message_bytes: u64 = 0;
    let mut close_at: Option<Instant> = None;
    // `timeout` black holes: the scope (0 = the connection) whose bytes are dropped.
    let mut black_hole: Option<u64> = None;
    // `idle_close` in RST mode, armed: (fault index, the request after which it went idle).
    let mut idle_rst: Option<(usize, u64)> = None;
    let mut idle_done = false;
    // Only the client-to-server pump closes idle connections, and only if a fault says so.
    let watches_idle = stream == Stream::Upstream
        && faults.iter().any(|f| matches!(f.fault.kind, FaultKind::IdleClose { .. }));
    loop {
        let idle = if watches_idle && idle_rst.is_none() && !idle_done {
            idle_deadline(conn, &mut faults)
        } else {
            None
        };
        let read = tokio::select! {
            biased;
            () = sleep_until_opt(close_at) => {
                conn.abort(Abort::Close);
                return;
            }
            () = sleep_until_opt(idle.map(|(at, _, _)| at)) => {
                let Some((_, index, after)) = idle else { continue };
                let Some(active) = faults.get(index) else { continue };
                let FaultKind::IdleClose { idle_ms, mode } = active.fault.kind else { continue };
                match mode {
                    CloseMode::Fin => {
                        conn.log(&active.fault, Stream::Upstream, None, "close", passed,
                            format!("FIN after {idle_ms} ms idle following request {after}"));
                        conn.abort(Abort::Close);
                        return;
                    }
                    CloseMode::Rst => {
                        idle_rst = Some((index, after));
                        idle_done = true;
                        continue;
                    }
                }
            }
            () = conn.response_done.notified(), if watches_idle => continue,
            read = src.read(&mut buf) => read,
        };
        let n = match read {
            Ok(0) => {
                if stream == Stream::Downstream && framer.end_of_stream() {
                    response_complete(conn, framer.message());
                }
                let message = framer.message();
                for active in &mut faults {
                    if let FaultKind::SlowClose { delay_ms } = active.fault.kind
                        && active.applies(seed, conn.number, message)
                    {
                        conn.log(
                            &active.fault,
                            stream,
                            (message > 0).then_some(message),
                            "delay_close",
                            passed,
                            format!("FIN delayed {delay_ms} ms"),
                        );
                        pause(Duration::from_millis(delay_ms)).await;
                    }
                }
                let _ = dst.shutdown().await;
                return;
            }
            Ok(n) => n,
            Err(error) => {
                // Pass a reset on as it came: the peer of the other side gets one too.
                let reset = error.kind() == std::io::ErrorKind::ConnectionReset;
                conn.abort(match (reset, stream) {
                    (true, Stream::Downstream) => Abort::ResetClient,
                    (true, Stream::Upstream) => Abort::ResetServer,
                    (false, _) => Abort::Close,
                });
                return;
            }
        };
        conn.touch();
        if stream == Stream::Downstream {
            announce_requests(conn, &mut framer);
        }
        let pieces = framer.feed(&buf[..n]);
        let mut offset = 0;
        for piece in pieces {
            let data = &buf[offset..offset + piece.len];
            offset += piece.len;
            let message = piece.message;
            if piece.first {
                message_bytes = 0;
            }
            if stream == Stream::Upstream {
                let mut state = conn.state();
                if piece.first {
                    state.requests_started = state.requests_started.max(message);
                }
                if let Some(head) = piece.head {
                    state.requests.push_back((message, head.head_method, head.has_body));
                }
            }
            if let Some((index, after)) = idle_rst
                && let Some(active) = faults.get(index)
            {
                conn.log(&active.fault, Stream::Upstream, Some(message), "reset", passed,
                    format!("RST on the first bytes of request {message}, sent after {} idle following request {after}",
                        match active.fault.kind { FaultKind::IdleClose { idle_ms, .. } => format!("{idle_ms} ms"), _ => String::new() }));
                conn.abort(Abort::ResetClient);
                return;
            }
            // What the faults do to this piece.
            let mut keep = data.len();
            let mut then: Option<(Abort, Duration)> = None;
            let mut slicer: Option<(u64, u64, u64, usize)> = None;
            let mut rate: Option<u64> = None;
            let mut delay = Duration::ZERO;
            let scope_of = |f: &Active| match f.fault.scope {
                Scope::Connection => 0,
                Scope::Request => message,
            };
            for (index, active) in faults.iter_mut().enumerate() {
                if !active.applies(seed, conn.number, message) {
                    continue;
                }
                let scoped_bytes = match active.fault.scope {
                    Scope::Connection => passed,
                    Scope::Request => message_bytes,
                };
                match active.fault.kind {
                    FaultKind::Timeout { timeout_ms } => {
                        if black_hole != Some(scope_of(active)) {
                            black_hole = Some(scope_of(active));
                            conn.log(
                                &active.fault,
                                stream,
                                Some(message),
                                "drop",
                                passed,
                                if timeout_ms == 0 {
                                    "black hole, never closed".to_owned()
                                } else {
                                    format!("black hole, closed after {timeout_ms} ms")
                                },
                            );
                            if timeout_ms > 0 && close_at.is_none() {
                                close_at = Some(Instant::now() + Duration::from_millis(timeout_ms));
                            }
                        }
                        keep = 0;
                    }
                    FaultKind::ResetPeer { timeout_ms, after_bytes } => {
                        let limit = after_bytes.unwrap_or(0);
                        if then.is_none() && scoped_bytes.saturating_add(data.len() as u64) > limit
                        {
                            keep = keep.min(limit.saturating_sub(scoped_bytes) as usize);
                            conn.log(
                                &active.fault,
                                stream,
                                Some(message),
                                "reset",
                                passed + keep as u64,
                                format!(
                                    "RST {timeout_ms} ms after {} bytes of the {}",
                                    scoped_bytes + keep as u64,
                                    scope_name(active.fault.scope)
                                ),
                            );
                            then = Some((Abort::ResetClient, Duration::from_millis(timeout_ms)));
                        }
                    }
                    FaultKind::LimitData { bytes } => {
                        if then.is_none() && scoped_bytes.saturating_add(data.len() as u64) >= bytes
                        {
                            keep = keep.min(bytes.saturating_sub(scoped_bytes) as usize);
                            conn.log(
                                &active.fault,
                                stream,
                                Some(message),
                                "close",
                                passed + keep as u64,
                                format!(
                                    "FIN after {bytes} bytes of the {}",
                                    scope_name(active.fault.scope)
                                ),
                            );
                            then = Some((Abort::Close, Duration::ZERO));
                        }
                    }
                    FaultKind::Latency { latency_ms, jitter_ms } => {
                        let ms = active.rng.around(latency_ms, jitter_ms);
                        if active.first_in_scope(message) {
                            conn.log(
                                &active.fault,
                                stream,
                                Some(message),
                                "delay",
                                passed,
                                format!("{latency_ms} ms ± {jitter_ms} ms per chunk"),
                            );
                        }
                        delay += Duration::from_millis(ms);
                    }
                    FaultKind::Bandwidth { rate_kb } => {
                        if active.first_in_scope(message) {
                            conn.log(
                                &active.fault,
                                stream,
                                Some(message),
                                "throttle",
                                passed,
                                format!("{rate_kb} KB/s"),
                            );
                        }
                        rate = Some(rate.map_or(rate_kb, |r| r.min(rate_kb)));
                    }
                    FaultKind::Slicer { average_size, size_variation, delay_us } => {
                        if active.first_in_scope(message) {
                            conn.log(
                                &active.fault,
                                stream,
                                Some(message),
                                "slice",
                                passed,
                                format!(
                                    "{average_size} ± {size_variation} bytes, {delay_us} µs apart"
                                ),
                            );
                        }
                        slicer = Some((average_size, size_variation, delay_us, index));
                    }
                    FaultKind::SlowClose { .. }
                    | FaultKind::IdleClose { .. }
                    | FaultKind::UnreadBodyReset
                    | FaultKind::AcceptBacklog { .. } => {}
                }
            }
            if black_hole.is_some_and(|scope| scope == 0 || scope == message) {
                keep = 0;
            }
            pause(delay).await;
            if keep > 0 {
                let out = &data[..keep];
                let written = match slicer {
                    Some((average, variation, delay_us, index)) => {
                        write_sliced(
                            &mut dst,
                            out,
                            average,
                            variation,
                            delay_us,
                            rate,
                            &mut faults[index].rng,
                        )
                        .await
                    }
                    None => write_throttled(&mut dst, out, rate).await,
                };
                if let Err(error) = written {
                    let gone = matches!(
                        error.kind(),
                        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                    );
                    conn.abort(if gone && stream == Stream::Upstream {
                        Abort::ResetClient
                    } else {
                        Abort::Close
                    });
                    return;
                }
                passed += keep as u64;
                message_bytes += keep as u64;
                conn.touch();
            }
            if let Some((how, wait)) = then {
                pause(wait).await;
                conn.abort(how);
                return;
            }
            if stream == Stream::Downstream && piece.complete {
                let had_body = response_complete(conn, message);
                if had_body {
                    for active in &mut faults {
                        if active.fault.kind == FaultKind::UnreadBodyReset
                            && active.applies(seed, conn.number, message)
                        {
                            conn.log(&active.fault, Stream::Downstream, Some(message), "reset", passed,
                                format!("RST after the complete response to request {message}, which carried a body"));
                            conn.abort(Abort::ResetClient);
                            return;
                        }
                    }
                }
            }
        }
    }
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Connection => "connection",
        Scope::Request => "request",
    }
}

/// Tells the response framer about requests seen since the last call (HEAD has no body).
fn announce_requests(conn: &Conn, framer: &mut Framer) {
    let mut state = conn.state();
    let from = state.announced;
    let mut last = from;
    for &(message, head, _) in state.requests.iter().filter(|(m, _, _)| *m > from) {
        framer.expect_response(head);
        last = message;
    }
    state.announced = last;
}

/// Response `message` is complete; returns whether its request had a body.
fn response_complete(conn: &Conn, message: u64) -> bool {
    let had_body = {
        let mut state = conn.state();
        state.responses_complete = state.responses_complete.max(message);
        let mut had_body = false;
        while let Some(&(m, _, body)) = state.requests.front() {
            if m > message || m > state.announced {
                break;
            }
            if m == message {
                had_body = body;
            }
            state.requests.pop_front();
        }
        state.last_activity = Instant::now();
        had_body
    };
    conn.response_done.notify_one();
    had_body
}

/// When an `idle_close` fault closes this connection, if it is between requests:
/// (deadline, fault index, the request after which it is idle).
fn idle_deadline(conn: &Conn, faults: &mut [Active]) -> Option<(Instant, usize, u64)> {
    let (after, since) = {
        let state = conn.state();
        if state.responses_complete == 0 || state.responses_complete < state.requests_started {
            return None;
        }
        (state.responses_complete, state.last_activity)
    };
    let seed = conn.shared.seed;
    faults.iter_mut().enumerate().find_map(|(index, active)| {
        let FaultKind::IdleClose { idle_ms, .. } = active.fault.kind else {
            return None;
        };
        active
            .applies(seed, conn.number, after)
            .then(|| (since + Duration::from_millis(idle_ms), index, after))
    })
}

/// Writes at `rate` KB/s (1 KB = 1000 bytes), in slices of about 100 ms.
async fn write_throttled(
    dst: &mut WriteHalf<'_>,
    data: &[u8],
    rate: Option<u64>,
) -> std::io::Result<()> {
    let Some(rate_kb) = rate else {
        return dst.write_all(data).await;
    };
    let slice = usize::try_from(rate_kb.saturating_mul(100)).unwrap_or(usize::MAX).max(1);
    for part in data.chunks(slice) {
        dst.write_all(part).await?;
        pause(Duration::from_micros((part.len() as u64).saturating_mul(1000) / rate_kb)).await;
    }
    Ok(())
}

/// Writes in segments of `average` ± `variation` bytes, `delay_us` apart.
async fn write_sliced(
    dst: &mut WriteHalf<'_>,
    mut data: &[u8],
    average: u64,
    variation: u64,
    delay_us: u64,
    rate: Option<u64>,
    rng: &mut Rng,
) -> std::io::Result<()> {
    while !data.is_empty() {
        let size = usize::try_from(rng.around(average, variation).max(1)).unwrap_or(usize::MAX);
        let (now, rest) = data.split_at(size.min(data.len()));
        write_throttled(dst, now, rate).await?;
        dst.flush().await?;
        data = rest;
        if !data.is_empty() {
            pause(Duration::from_micros(delay_us)).await;
        }
    }
    Ok(())
}
