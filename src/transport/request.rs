//! What the runner asks the transport to send, and what comes back.
//!
//! These types are the contract between `runner` and `transport`: the runner
//! renders a Hurl entry into a [`RequestSpec`], the transport performs exactly
//! one attempt and returns an [`Exchange`](super::Exchange) holding either a [`Response`] or a
//! [`TransportFailure`](super::TransportFailure), plus the raw facts of the attempt. The transport never
//! retries and never follows redirects; the runner does, by rule.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;

/// One request, fully rendered.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    /// The method token, sent as written.
    pub method: String,
    /// The absolute URL.
    pub url: url::Url,
    /// Headers in order, sent as given, but for a `Host` header, which goes first as
    /// curl sends it (the transport adds `Host` when there is none, `Content-Length`,
    /// and, unless present, `User-Agent` and `Accept` at their [`DefaultSlots`]).
    pub headers: Vec<(String, String)>,
    /// The body bytes (empty for none).
    pub body: Bytes,
    /// Where the transport's default `Accept` and `User-Agent` go when `headers` has none.
    pub default_slots: DefaultSlots,
    /// Per-request connection options.
    pub options: RequestOptions,
}

/// Where, among [`RequestSpec::headers`], the transport writes its default `Accept` and
/// `User-Agent` (when the request has none): before the header at that index, after the
/// last one if the index is past the end; `None`, right after `Host`. The runner puts
/// them where curl and Hurl do, without building the two headers for every request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefaultSlots {
    /// The default `Accept: */*`.
    pub accept: Option<usize>,
    /// The default `User-Agent`.
    pub user_agent: Option<usize>,
}

impl DefaultSlots {
    /// The slots after headers were removed: each moves up by the removed headers before it.
    pub fn after_removal(self, before: &[(String, String)], kept: impl Fn(&str) -> bool) -> Self {
        let moved = |slot: Option<usize>| slot.map(|at| kept_before(before, at, &kept));
        DefaultSlots { accept: moved(self.accept), user_agent: moved(self.user_agent) }
    }
}

/// Where index `at` of `headers` lands once the headers not `kept` (by name) are removed:
/// the number of kept headers before it.
pub fn kept_before(headers: &[(String, String)], at: usize, kept: impl Fn(&str) -> bool) -> usize {
    headers.iter().take(at).filter(|(name, _)| kept(name)).count()
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
    pub headers: ResponseHeaders,
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
    pub fn header(&self, name: impl FieldName) -> Option<&str> {
        self.headers.get(name)
    }

    /// Every header with this name (case-insensitive), in order.
    pub fn headers_named<'a>(
        &'a self,
        name: impl FieldName + 'a,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.named(name)
    }
}

/// A header name to look up: any text (`"Content-Type"`, case-insensitive), or one of
/// `http::header`'s names, which skips the parse of the text on every lookup.
pub trait FieldName: http::header::AsHeaderName + Copy {
    /// The name as text.
    fn text(&self) -> &str;
}

impl FieldName for &str {
    fn text(&self) -> &str {
        self
    }
}

impl FieldName for &http::HeaderName {
    fn text(&self) -> &str {
        self.as_str()
    }
}

/// A response's header fields: names lower-case, in the order of hyper's map (a name's
/// values together, in the order received), values as text: UTF-8 where they are, Latin-1
/// otherwise.
///
/// The transport keeps hyper's own map and reads it in place: nothing is copied unless a
/// value is not plain ASCII, and then the fields are decoded once, on first use.
#[derive(Clone, Debug, Default)]
pub struct ResponseHeaders {
    map: http::HeaderMap,
    /// Every field as text, in `map`'s order; filled when a read meets a value that is not
    /// visible ASCII (or given whole by [`FromIterator`]).
    decoded: OnceLock<Vec<(String, String)>>,
}

impl ResponseHeaders {
    /// Keeps hyper's map as it is.
    pub fn from_map(map: http::HeaderMap) -> ResponseHeaders {
        ResponseHeaders { map, decoded: OnceLock::new() }
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        match self.decoded.get() {
            Some(decoded) => decoded.len(),
            None => self.map.len(),
        }
    }

    /// No field at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first value of the header with this name (case-insensitive).
    pub fn get(&self, name: impl FieldName) -> Option<&str> {
        if self.decoded.get().is_none() {
            match self.map.get(name).map(http::HeaderValue::to_str) {
                None => return None,
                Some(Ok(text)) => return Some(text),
                Some(Err(_)) => {}
            }
        }
        let name = name.text();
        self.decoded().iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of the header with this name (case-insensitive), in order.
    pub fn named<'a>(&'a self, name: impl FieldName + 'a) -> impl Iterator<Item = &'a str> + 'a {
        // One lookup of the name, its values walked twice.
        let values = self.map.get_all(name);
        let plain = self.decoded.get().is_none() && values.iter().all(|v| v.to_str().is_ok());
        let (fast, slow) = if plain {
            (Some(values.into_iter().filter_map(|v| v.to_str().ok())), None)
        } else {
            let decoded = self.decoded();
            let all = decoded.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name.text()));
            (None, Some(all.map(|(_, v)| v.as_str())))
        };
        fast.into_iter().flatten().chain(slow.into_iter().flatten())
    }

    /// Every field, in order: (lower-case name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let plain = self.decoded.get().is_none() && self.map.values().all(|v| v.to_str().is_ok());
        let (fast, slow) = if plain {
            let fields = self.map.iter();
            (Some(fields.map(|(n, v)| (n.as_str(), v.to_str().unwrap_or_default()))), None)
        } else {
            (None, Some(self.decoded().iter().map(|(n, v)| (n.as_str(), v.as_str()))))
        };
        fast.into_iter().flatten().chain(slow.into_iter().flatten())
    }

    fn decoded(&self) -> &[(String, String)] {
        self.decoded.get_or_init(|| {
            self.map.iter().map(|(n, v)| (n.as_str().to_owned(), header_text(v))).collect()
        })
    }
}

/// UTF-8 where it is, Latin-1 otherwise.
pub(crate) fn header_text(value: &http::HeaderValue) -> String {
    match std::str::from_utf8(value.as_bytes()) {
        Ok(s) => s.to_owned(),
        Err(_) => value.as_bytes().iter().map(|&b| char::from(b)).collect(),
    }
}

impl<'a> IntoIterator for &'a ResponseHeaders {
    type Item = (&'a str, &'a str);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a str)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// Fields given as text (tests, and callers that build a response by hand).
impl FromIterator<(String, String)> for ResponseHeaders {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(fields: I) -> ResponseHeaders {
        let decoded = OnceLock::new();
        let _ = decoded.set(fields.into_iter().collect());
        ResponseHeaders { map: http::HeaderMap::new(), decoded }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderName, HeaderValue};

    fn map(fields: &[(&str, &[u8])]) -> ResponseHeaders {
        let mut map = HeaderMap::new();
        for (name, value) in fields {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        ResponseHeaders::from_map(map)
    }

    #[test]
    fn plain_headers_are_read_in_place_case_insensitively_in_order() {
        let h = map(&[("Set-Cookie", b"a=1"), ("Server", b"nginx"), ("set-cookie", b"b=2")]);
        assert_eq!(h.get("SERVER"), Some("nginx"));
        assert_eq!(h.get("x-none"), None);
        assert_eq!(h.named("Set-Cookie").collect::<Vec<_>>(), ["a=1", "b=2"]);
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            [("set-cookie", "a=1"), ("set-cookie", "b=2"), ("server", "nginx")]
        );
        assert_eq!(h.len(), 3);
        assert!(h.decoded.get().is_none(), "nothing was copied");
    }

    #[test]
    fn non_ascii_values_decode_as_utf8_or_latin1() {
        let h = map(&[("X-Utf8", "é".as_bytes()), ("X-Latin1", b"caf\xe9"), ("X-Plain", b"ok")]);
        assert_eq!(h.get("x-plain"), Some("ok"));
        assert_eq!(h.get("x-utf8"), Some("é"));
        assert_eq!(h.named("X-Latin1").collect::<Vec<_>>(), ["café"]);
        let all: Vec<(&str, &str)> = (&h).into_iter().collect();
        assert_eq!(all, [("x-utf8", "é"), ("x-latin1", "café"), ("x-plain", "ok")]);
    }

    #[test]
    fn headers_given_as_text_keep_their_order() {
        let h: ResponseHeaders =
            [("A".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]
                .into_iter()
                .collect();
        assert_eq!(h.get("a"), Some("1"));
        assert_eq!(h.iter().collect::<Vec<_>>(), [("A", "1"), ("b", "2")]);
        assert!(!h.is_empty());
    }
}
