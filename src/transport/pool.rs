//! The project's own connection pool: idle connections per origin, the idle limits
//! that keep shakedown out of the keep-alive race, and what was learned about each
//! origin's idle timeout.
//!
//! # Design A: pooled `SendRequest`, spawned `Connection`
//!
//! Each TCP connection gets one hyper handshake; its `Connection` future runs in a
//! spawned task and the pool holds the `SendRequest`. This was chosen over design B
//! (reclaiming the socket with `without_shutdown` and a handshake per attempt)
//! because hyper keeps a read pending on an idle HTTP/1 connection: a server's FIN
//! or RST on an idle connection reaches the counting wrapper within about a
//! millisecond, lands in its *idle* bucket with the errno, and flips
//! `SendRequest::is_closed()`, without the pool ever touching the socket (the
//! forensics reference, recommendation 5). It also works unchanged for HTTP/2, and
//! hyper makes the HTTP/1 keep-alive decision itself; the pool only adds its own
//! rules on top. A connection is aborted (its task and socket dropped) whenever it
//! leaves the pool without being reused.
//!
//! # Idle limits
//!
//! - 1 s by default, when the server gave no hint;
//! - with `Keep-Alive: timeout=N`, N minus a margin that scales with N: a quarter of it,
//!   at most 1 s (`timeout=1` gives 750 ms, `timeout=5` gives 4 s), so a short announced
//!   limit keeps reuse possible while staying clear of the server's close;
//! - after an idle close observed at idle time T on an origin, idle time on that
//!   origin stays below T: the limit becomes T − min(T/2, 1 s).
//!
//! The pool never reuses a connection after `Connection: close`, an HTTP/1.0
//! response without keep-alive, or any error: the client does not check those in.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::{http1, http2};

use crate::transport::connector::{TlsSettings, url_host};
use crate::transport::counting_io::{IoState, elapsed_between};
use crate::transport::facts::{ConnectionId, DiscardedConnection};
use crate::transport::request::{HttpVersionPreference, IpVersion, RequestOptions};

/// Where the idle limit of an origin came from.
pub const SOURCE_KEEP_ALIVE_HEADER: &str = "keep_alive_header";
/// The idle limit was lowered after the server closed an idle connection.
pub const SOURCE_OBSERVED_IDLE_CLOSE: &str = "observed_idle_close";

/// How many idle connections one key may keep.
const MAX_IDLE_PER_KEY: usize = 4;

/// What a pooled connection is keyed by: scheme, host, port, TLS settings, HTTP
/// version preference and the connect-time overrides.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    scheme: String,
    host: String,
    port: u16,
    tls: Option<TlsSettings>,
    version: u8,
    ip_version: u8,
    resolve: Vec<(String, u16, IpAddr)>,
    connect_to: Vec<(String, u16, String, u16)>,
}

impl PoolKey {
    pub(crate) fn new(url: &url::Url, options: &RequestOptions) -> PoolKey {
        let tls = url.scheme() == "https";
        PoolKey {
            scheme: url.scheme().to_owned(),
            host: url_host(url).to_ascii_lowercase(),
            port: url.port_or_known_default().unwrap_or(0),
            tls: tls.then(|| TlsSettings::from_options(options)),
            version: version_code(options.http_version),
            ip_version: ip_version_code(options.ip_version),
            resolve: options.resolve.clone(),
            connect_to: options.connect_to.clone(),
        }
    }

    /// Whether `PoolKey::new(url, options)` would equal this key, without building one
    /// (no string is copied on the way of a request).
    fn matches(&self, url: &url::Url, options: &RequestOptions) -> bool {
        let host = match url.host() {
            // Rare: compare the text the key was built from.
            Some(url::Host::Ipv6(_)) => url_host(url) == self.host,
            Some(_) => url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&self.host)),
            None => self.host.is_empty(),
        };
        let tls = if url.scheme() == "https" {
            self.tls.as_ref().is_some_and(|t| t.matches(options))
        } else {
            self.tls.is_none()
        };
        host && tls
            && self.scheme == url.scheme()
            && self.port == url.port_or_known_default().unwrap_or(0)
            && self.version == version_code(options.http_version)
            && self.ip_version == ip_version_code(options.ip_version)
            && self.resolve == options.resolve
            && self.connect_to == options.connect_to
    }

    /// The origin as reported: `scheme://host:port`.
    pub(crate) fn origin(&self) -> String {
        if self.host.contains(':') {
            format!("{}://[{}]:{}", self.scheme, self.host, self.port)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

fn version_code(version: HttpVersionPreference) -> u8 {
    match version {
        HttpVersionPreference::Default => 0,
        HttpVersionPreference::Http10 => 1,
        HttpVersionPreference::Http11 => 2,
        HttpVersionPreference::Http2 => 3,
        HttpVersionPreference::Http2PriorKnowledge => 4,
    }
}

fn ip_version_code(ip_version: IpVersion) -> u8 {
    match ip_version {
        IpVersion::Any => 0,
        IpVersion::V4 => 4,
        IpVersion::V6 => 6,
    }
}

/// Where one key's idle connections are kept: an index into the pool's list of keys, stable
/// for the pool's life (a key, once seen, is never removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot(usize);

/// One key, its origin text (built once) and its idle connections.
#[derive(Debug)]
struct KeySlot {
    key: PoolKey,
    origin: String,
    idle: Vec<PooledConnection>,
}

/// The request side of a hyper connection.
#[derive(Debug)]
pub(crate) enum Sender {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Sender::H1(s) => s.is_closed(),
            Sender::H2(s) => s.is_closed(),
        }
    }
}

/// One connection, owned by the pool while idle and by the client during an attempt.
#[derive(Debug)]
pub(crate) struct PooledConnection {
    pub(crate) id: ConnectionId,
    pub(crate) sender: Sender,
    pub(crate) io: Arc<IoState>,
    pub(crate) task: tokio::task::AbortHandle,
    /// When the connection became ready for HTTP (the age counts from here).
    pub(crate) ready_at: Instant,
    /// When it was last put back into the pool.
    pub(crate) idle_since: Option<Instant>,
    /// How many attempts used it so far.
    pub(crate) uses: u32,
    pub(crate) last_connection_header: Option<Arc<str>>,
    pub(crate) last_keep_alive_timeout: Option<Duration>,
    /// How long it may stay idle before it is not reused.
    pub(crate) idle_limit: Duration,
    pub(crate) remote_addr: SocketAddr,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) peer_certificate: Option<Vec<u8>>,
    pub(crate) tls: bool,
    /// HTTP/2 streams opened so far.
    pub(crate) h2_streams: u32,
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        // The connection leaves shakedown's hands: stop hyper's task, which closes the socket.
        self.task.abort();
    }
}

/// Idle connections per key, and learned idle limits per origin.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    /// A list, not a hash map: a file talks to a handful of origins, and comparing a few
    /// keys (in place, against the request's URL and options) costs less than building and
    /// hashing one per request.
    slots: Vec<KeySlot>,
    learned: BTreeMap<String, (Duration, &'static str)>,
}

impl Pool {
    /// The slot of the key that `url` and `options` give, made on first use.
    pub(crate) fn slot(&mut self, url: &url::Url, options: &RequestOptions) -> Slot {
        if let Some(i) = self.slots.iter().position(|s| s.key.matches(url, options)) {
            return Slot(i);
        }
        let key = PoolKey::new(url, options);
        let origin = key.origin();
        self.slots.push(KeySlot { key, origin, idle: Vec::new() });
        Slot(self.slots.len() - 1)
    }

    /// The origin of a slot's key: `scheme://host:port`.
    pub(crate) fn origin(&self, slot: Slot) -> &str {
        self.slots.get(slot.0).map_or("", |s| s.origin.as_str())
    }

    /// Takes the most recently used live connection for the slot's key, closing the dead and
    /// expired ones on the way; returns the discarded ones' facts too.
    /// `now` is the checkout's start: idle times are measured to it.
    pub(crate) fn checkout(
        &mut self,
        slot: Slot,
        now: Instant,
    ) -> (Option<PooledConnection>, Vec<DiscardedConnection>) {
        let mut discarded = Vec::new();
        let Some(KeySlot { origin, idle: list, .. }) = self.slots.get_mut(slot.0) else {
            return (None, discarded);
        };
        if list.is_empty() {
            return (None, discarded);
        }
        // Most origins never teach a limit: no origin string to build for them.
        let learned =
            if self.learned.is_empty() { None } else { self.learned.get(origin.as_str()) };
        let mut found = None;
        let mut learned_close = None;
        while let Some(conn) = list.pop() {
            let idle_since = conn.idle_since.unwrap_or(conn.ready_at);
            let idle = now.saturating_duration_since(idle_since);
            let seen = conn.io.idle();
            let limit = match learned {
                Some((learned, _)) => conn.idle_limit.min(*learned),
                None => conn.idle_limit,
            };
            let closed_at = seen.error.as_ref().map(|e| e.at).or(seen.eof_at);
            let reason = if seen.error.is_some() {
                Some("idle_error")
            } else if seen.eof_at.is_some() {
                Some("idle_eof")
            } else if conn.sender.is_closed() || conn.io.is_dead() {
                Some("closed")
            } else if idle >= limit {
                Some("idle_timeout")
            } else {
                None
            };
            match reason {
                None => {
                    found = Some(conn);
                    break;
                }
                Some(reason) => {
                    let closed_after_idle = closed_at.map(|at| elapsed_between(idle_since, at));
                    if let Some(t) = closed_after_idle {
                        learned_close = Some(learned_close.map_or(t, |old: Duration| old.min(t)));
                    }
                    discarded.push(DiscardedConnection {
                        id: conn.id,
                        idle,
                        reason,
                        closed_after_idle,
                        os: seen.error.as_ref().and_then(|e| e.os),
                    });
                }
            }
        }
        if let Some(t) = learned_close {
            let origin = origin.clone();
            self.learn_idle_close(&origin, t);
        }
        (found, discarded)
    }

    /// Puts a connection back into its slot, idle from `since` (the attempt's end).
    pub(crate) fn checkin(&mut self, slot: Slot, mut conn: PooledConnection, since: Instant) {
        conn.idle_since = Some(since);
        let Some(KeySlot { idle: list, .. }) = self.slots.get_mut(slot.0) else { return };
        list.push(conn);
        if list.len() > MAX_IDLE_PER_KEY {
            list.remove(0);
        }
    }

    /// Records a `Keep-Alive: timeout=N` hint: the origin's limit becomes [`keep_alive_limit`]
    /// (returned; zero means no reuse).
    pub(crate) fn learn_keep_alive(&mut self, origin: &str, timeout: Duration) -> Duration {
        let limit = keep_alive_limit(timeout);
        let entry =
            self.learned.entry(origin.to_owned()).or_insert((limit, SOURCE_KEEP_ALIVE_HEADER));
        if entry.1 == SOURCE_KEEP_ALIVE_HEADER || limit < entry.0 {
            *entry = (limit, SOURCE_KEEP_ALIVE_HEADER);
        }
        limit
    }

    /// Records that the server closed an idle connection after `idle`: keep below it.
    pub(crate) fn learn_idle_close(&mut self, origin: &str, idle: Duration) {
        let limit = idle.saturating_sub((idle / 2).min(Duration::from_secs(1)));
        match self.learned.get_mut(origin) {
            Some(entry) if entry.0 <= limit => {}
            Some(entry) => *entry = (limit, SOURCE_OBSERVED_IDLE_CLOSE),
            None => {
                self.learned.insert(origin.to_owned(), (limit, SOURCE_OBSERVED_IDLE_CLOSE));
            }
        }
    }

    /// Every learned idle limit: (origin, limit, source), ordered by origin.
    pub(crate) fn learned_idle_limits(&self) -> Vec<(String, Duration, &'static str)> {
        self.learned
            .iter()
            .map(|(origin, (limit, source))| (origin.clone(), *limit, *source))
            .collect()
    }

    /// Whether any pooled connection has seen an EOF or error while idle.
    #[cfg(test)]
    pub(crate) fn any_idle_close_seen(&self) -> bool {
        self.slots.iter().flat_map(|s| &s.idle).any(|c| {
            let idle = c.io.idle();
            idle.eof_at.is_some() || idle.error.is_some()
        })
    }

    /// How many idle connections are pooled (all keys).
    pub(crate) fn idle_count(&self) -> usize {
        self.slots.iter().map(|s| s.idle.len()).sum()
    }
}

/// The idle limit kept below a server's announced `Keep-Alive: timeout`: the margin is a
/// quarter of the timeout, at most 1 s, so that `timeout=1` still allows reuse (750 ms).
pub(crate) fn keep_alive_limit(timeout: Duration) -> Duration {
    timeout.saturating_sub((timeout / 4).min(Duration::from_secs(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_hint_is_one_second_less() {
        let mut pool = Pool::default();
        assert_eq!(
            pool.learn_keep_alive("http://a:80", Duration::from_secs(2)),
            Duration::from_millis(1500)
        );
        assert_eq!(
            pool.learn_keep_alive("http://b:80", Duration::from_secs(1)),
            Duration::from_millis(750)
        );
        assert_eq!(keep_alive_limit(Duration::from_secs(5)), Duration::from_secs(4));
        assert_eq!(keep_alive_limit(Duration::ZERO), Duration::ZERO);
        assert_eq!(
            pool.learned_idle_limits(),
            vec![
                ("http://a:80".to_owned(), Duration::from_millis(1500), SOURCE_KEEP_ALIVE_HEADER),
                ("http://b:80".to_owned(), Duration::from_millis(750), SOURCE_KEEP_ALIVE_HEADER),
            ]
        );
    }

    #[test]
    fn observed_idle_close_keeps_below_it_and_only_lowers() {
        let mut pool = Pool::default();
        pool.learn_idle_close("http://a:80", Duration::from_millis(300));
        assert_eq!(pool.learned_idle_limits()[0].1, Duration::from_millis(150));
        pool.learn_idle_close("http://a:80", Duration::from_secs(5));
        assert_eq!(pool.learned_idle_limits()[0].1, Duration::from_millis(150));
        pool.learn_idle_close("http://b:80", Duration::from_secs(5));
        assert_eq!(
            pool.learned_idle_limits()[1],
            ("http://b:80".to_owned(), Duration::from_secs(4), SOURCE_OBSERVED_IDLE_CLOSE)
        );
    }

    #[test]
    fn a_slot_is_found_by_comparing_in_place_as_the_built_key_would() {
        let mut pool = Pool::default();
        let opts = RequestOptions::default();
        let url = |u: &str| url::Url::parse(u).unwrap();
        let a = pool.slot(&url("http://Example.COM/x"), &opts);
        assert_eq!(pool.slot(&url("http://example.com:80/y?q"), &opts), a);
        assert_eq!(pool.origin(a), "http://example.com:80");
        let v6 = pool.slot(&url("http://[::1]:8080/"), &opts);
        assert_ne!(v6, a);
        assert_eq!(pool.slot(&url("http://[0:0::1]:8080/z"), &opts), v6);
        let tls = pool.slot(&url("https://example.com/"), &opts);
        let insecure = RequestOptions { insecure: true, ..RequestOptions::default() };
        let tls_insecure = pool.slot(&url("https://example.com/"), &insecure);
        assert_ne!(tls, tls_insecure);
        assert_eq!(pool.slot(&url("https://EXAMPLE.com:443/"), &insecure), tls_insecure);
        let h10 = RequestOptions {
            http_version: HttpVersionPreference::Http10,
            ..RequestOptions::default()
        };
        assert_ne!(pool.slot(&url("http://example.com/"), &h10), a);
        let resolved = RequestOptions {
            resolve: vec![("example.com".to_owned(), 80, "127.0.0.1".parse().unwrap())],
            ..RequestOptions::default()
        };
        assert_ne!(pool.slot(&url("http://example.com/"), &resolved), a);
        // Each distinct key once; every match compared equal to the key it found.
        assert_eq!(pool.slots.len(), 6);
        for slot in &pool.slots {
            assert_eq!(slot.origin, slot.key.origin());
        }
    }

    #[test]
    fn origin_brackets_ipv6() {
        let url = url::Url::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(PoolKey::new(&url, &RequestOptions::default()).origin(), "http://[::1]:8080");
    }
}
