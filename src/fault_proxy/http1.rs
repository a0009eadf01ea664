//! HTTP/1.1 message framing (pure), just enough to count requests and responses on a
//! connection: request and response heads (through `httparse`), `Content-Length` and chunked
//! bodies, interim `1xx` responses, bodyless responses (HEAD, 204, 304) and close-delimited
//! response bodies.
//!
//! [`Framer::feed`] cuts a chunk of the byte stream into [`Piece`]s, each belonging to one
//! message, numbered from 1 on the connection. Anything it cannot frame (HTTP/2, a protocol
//! switch, a malformed head, a head over 64 KiB) turns the framer *opaque*: every later byte
//! belongs to the current message, which never completes, so per-request faults degrade to
//! per-connection ones instead of guessing.

use std::collections::VecDeque;

/// The largest head the framer reads before giving up.
pub const MAX_HEAD: usize = 64 * 1024;
const MAX_LINE: usize = 4096;
const MAX_HEADERS: usize = 128;

/// Which messages the stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Client → server.
    Requests,
    /// Server → client.
    Responses,
}

/// What a message head said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// A request whose method is HEAD (its response has no body).
    pub head_method: bool,
    /// The message has a body (Content-Length > 0, chunked, or close-delimited).
    pub has_body: bool,
    /// A response's status code.
    pub status: Option<u16>,
}

/// A run of bytes of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Its length in bytes.
    pub len: usize,
    /// The message it belongs to, from 1.
    pub message: u64,
    /// It starts with the message's first byte.
    pub first: bool,
    /// It ends with the message's last byte.
    pub complete: bool,
    /// The message's (final) head completed inside this piece.
    pub head: Option<Head>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between messages.
    Idle,
    /// Between an interim (1xx) response and the final one: the same message.
    Interim,
    Head,
    Fixed(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailer,
    UntilClose,
    Opaque,
}

/// An incremental framer of one direction of one connection.
#[derive(Clone, Debug)]
pub struct Framer {
    side: Side,
    state: State,
    message: u64,
    buf: Vec<u8>,
    head_methods: VecDeque<bool>,
}

impl Framer {
    /// A framer at the start of a connection.
    pub fn new(side: Side) -> Framer {
        Framer {
            side,
            state: State::Idle,
            message: 0,
            buf: Vec::new(),
            head_methods: VecDeque::new(),
        }
    }

    /// The responses side needs to know which requests were HEAD: call once per request, in
    /// order, when the request head is seen.
    pub fn expect_response(&mut self, head_method: bool) {
        if self.head_methods.len() < 100_000 {
            self.head_methods.push_back(head_method);
        }
    }

    /// Whether the framer gave up on the stream.
    pub fn is_opaque(&self) -> bool {
        self.state == State::Opaque
    }

    /// Whether a message is under way (its first byte seen, its last not yet).
    pub fn in_message(&self) -> bool {
        !matches!(self.state, State::Idle)
    }

    /// The current message number (0 before the first byte).
    pub fn message(&self) -> u64 {
        self.message
    }

    /// The stream ended: a close-delimited body is complete now.
    pub fn end_of_stream(&mut self) -> bool {
        if self.state == State::UntilClose {
            self.state = State::Idle;
            true
        } else {
            false
        }
    }

    /// Cuts `data` into pieces, in order; their lengths add up to `data.len()`.
    pub fn feed(&mut self, data: &[u8]) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut first = false;
        let mut head = None;
        let mut i = 0;
        while i < data.len() {
            match self.state {
                State::Idle => {
                    if start < i {
                        // Bytes of no message (cannot happen: Idle is only entered at a cut).
                        pieces.push(Piece {
                            len: i - start,
                            message: self.message,
                            first: false,
                            complete: false,
                            head: None,
                        });
                        start = i;
                    }
                    self.message += 1;
                    first = true;
                    self.state = State::Head;
                    self.buf.clear();
                }
                State::Interim => {
                    self.state = State::Head;
                    self.buf.clear();
                }
                State::Head => {
                    let byte = data[i];
                    i += 1;
                    // Empty lines before a request line are allowed (RFC 9112 §2.2).
                    if self.buf.is_empty() && (byte == b'\r' || byte == b'\n') {
                        continue;
                    }
                    self.buf.push(byte);
                    if self.buf.ends_with(b"\r\n\r\n") || self.buf.ends_with(b"\n\n") {
                        let parsed = self.parse_head();
                        if parsed.is_some() && self.state != State::Interim {
                            head = parsed;
                        }
                        if self.state == State::Idle {
                            pieces.push(Piece {
                                len: i - start,
                                message: self.message,
                                first,
                                complete: true,
                                head: head.take(),
                            });
                            start = i;
                            first = false;
                        }
                    } else if self.buf.len() > MAX_HEAD {
                        self.state = State::Opaque;
                    }
                }
                State::Fixed(left) => {
                    let take = left.min((data.len() - i) as u64);
                    i += take as usize;
                    if take == left {
                        self.state = State::Idle;
                        pieces.push(Piece {
                            len: i - start,
                            message: self.message,
                            first,
                            complete: true,
                            head: head.take(),
                        });
                        start = i;
                        first = false;
                    } else {
                        self.state = State::Fixed(left - take);
                    }
                }
                State::ChunkSize | State::ChunkDataEnd | State::Trailer => {
                    let byte = data[i];
                    i += 1;
                    self.buf.push(byte);
                    if self.buf.len() > MAX_LINE {
                        self.state = State::Opaque;
                    } else if byte == b'\n' {
                        let line = std::mem::take(&mut self.buf);
                        self.line_done(&line);
                        if self.state == State::Idle {
                            pieces.push(Piece {
                                len: i - start,
                                message: self.message,
                                first,
                                complete: true,
                                head: head.take(),
                            });
                            start = i;
                            first = false;
                        }
                    }
                }
                State::ChunkData(left) => {
                    let take = left.min((data.len() - i) as u64);
                    i += take as usize;
                    self.state = if take == left {
                        State::ChunkDataEnd
                    } else {
                        State::ChunkData(left - take)
                    };
                }
                State::UntilClose | State::Opaque => {
                    if self.message == 0 {
                        self.message = 1;
                        first = true;
                    }
                    i = data.len();
                }
            }
        }
        if start < data.len() {
            pieces.push(Piece {
                len: data.len() - start,
                message: self.message.max(1),
                first,
                complete: false,
                head,
            });
        }
        pieces
    }

    /// A whole head is in `buf`: parse it and pick the body's framing.
    fn parse_head(&mut self) -> Option<Head> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let (length, chunked, head_method, status, bad_te) = match self.side {
            Side::Requests => {
                let mut req = httparse::Request::new(&mut headers);
                match req.parse(&self.buf) {
                    Ok(httparse::Status::Complete(_)) => {}
                    _ => {
                        self.state = State::Opaque;
                        return None;
                    }
                }
                if req.method == Some("PRI") {
                    self.state = State::Opaque;
                    return None;
                }
                let (length, chunked, bad_te) = body_headers(req.headers);
                (length, chunked, req.method == Some("HEAD"), None, bad_te)
            }
            Side::Responses => {
                let mut resp = httparse::Response::new(&mut headers);
                match resp.parse(&self.buf) {
                    Ok(httparse::Status::Complete(_)) => {}
                    _ => {
                        self.state = State::Opaque;
                        return None;
                    }
                }
                let (length, chunked, bad_te) = body_headers(resp.headers);
                (length, chunked, false, resp.code, bad_te)
            }
        };
        let Ok(length) = length else {
            self.state = State::Opaque;
            return None;
        };
        if let Some(code) = status {
            if code == 101 {
                self.state = State::Opaque;
                return None;
            }
            if (100..200).contains(&code) {
                self.state = State::Interim;
                return None;
            }
            let request_was_head = self.head_methods.pop_front().unwrap_or(false);
            if request_was_head || code == 204 || code == 304 {
                self.state = State::Idle;
                return Some(Head { head_method: false, has_body: false, status });
            }
        }
        let has_body;
        self.state = if chunked {
            has_body = true;
            State::ChunkSize
        } else if bad_te && self.side == Side::Requests {
            // A request with a transfer coding other than chunked last cannot be framed.
            self.state = State::Opaque;
            return None;
        } else if let Some(n) = length {
            has_body = n > 0;
            if n > 0 { State::Fixed(n) } else { State::Idle }
        } else if self.side == Side::Responses {
            has_body = true;
            State::UntilClose
        } else {
            has_body = false;
            State::Idle
        };
        self.buf.clear();
        Some(Head { head_method, has_body, status })
    }

    /// A line of a chunked body ended.
    fn line_done(&mut self, line: &[u8]) {
        match self.state {
            State::ChunkSize => {
                let text = String::from_utf8_lossy(line);
                let digits = text.split(';').next().unwrap_or_default().trim();
                match u64::from_str_radix(digits, 16) {
                    Ok(0) => self.state = State::Trailer,
                    Ok(n) => self.state = State::ChunkData(n),
                    Err(_) => self.state = State::Opaque,
                }
            }
            State::ChunkDataEnd => {
                self.state =
                    if line == b"\r\n" || line == b"\n" { State::ChunkSize } else { State::Opaque };
            }
            _ => {
                if line == b"\r\n" || line == b"\n" {
                    self.state = State::Idle;
                }
            }
        }
    }
}

/// (Content-Length, chunked is the last transfer coding, a transfer coding is present but not
/// chunked). Content-Length is `Err` when it is invalid or given twice with different values.
type BodyHeaders = (Result<Option<u64>, ()>, bool, bool);

fn body_headers(headers: &[httparse::Header<'_>]) -> BodyHeaders {
    let mut length: Result<Option<u64>, ()> = Ok(None);
    let mut codings = String::new();
    for h in headers {
        if h.name.eq_ignore_ascii_case("content-length") {
            let parsed =
                std::str::from_utf8(h.value).ok().and_then(|v| v.trim().parse::<u64>().ok());
            length = match (length, parsed) {
                (Ok(None), Some(n)) => Ok(Some(n)),
                (Ok(Some(m)), Some(n)) if m == n => Ok(Some(n)),
                _ => Err(()),
            };
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            codings.push(',');
            codings.push_str(&String::from_utf8_lossy(h.value));
        }
    }
    let last = codings.rsplit(',').map(str::trim).find(|c| !c.is_empty());
    let chunked = last.is_some_and(|c| c.eq_ignore_ascii_case("chunked"));
    let other = last.is_some() && !chunked;
    if chunked || other {
        // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3).
        length = Ok(None);
    }
    (length, chunked, other)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (message, complete) of every piece, and the lengths add up.
    fn cut(framer: &mut Framer, data: &[u8]) -> Vec<(u64, bool)> {
        let pieces = framer.feed(data);
        assert_eq!(pieces.iter().map(|p| p.len).sum::<usize>(), data.len(), "{pieces:?}");
        pieces.iter().map(|p| (p.message, p.complete)).collect()
    }

    /// Feeds `data` one byte at a time and returns the message of each byte and where
    /// messages complete.
    fn bytewise(side: Side, data: &[u8]) -> (Vec<u64>, Vec<usize>) {
        let mut f = Framer::new(side);
        let mut owners = Vec::new();
        let mut ends = Vec::new();
        for (i, b) in data.iter().enumerate() {
            let pieces = f.feed(std::slice::from_ref(b));
            assert_eq!(pieces.len(), 1);
            owners.push(pieces[0].message);
            if pieces[0].complete {
                ends.push(i + 1);
            }
        }
        (owners, ends)
    }

    const THREE: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n\
GET /d HTTP/1.1\r\n\r\n";

    #[test]
    fn requests_are_counted_with_their_bodies() {
        let mut f = Framer::new(Side::Requests);
        assert_eq!(cut(&mut f, THREE), vec![(1, true), (2, true), (3, true), (4, true)]);
        assert_eq!(f.message(), 4);
        assert!(!f.in_message());
    }

    #[test]
    fn the_cut_does_not_depend_on_how_the_stream_is_split() {
        let mut whole = Framer::new(Side::Requests);
        let pieces = whole.feed(THREE);
        let mut expected_ends = Vec::new();
        let mut at = 0;
        for p in &pieces {
            at += p.len;
            expected_ends.push(at);
        }
        let (owners, ends) = bytewise(Side::Requests, THREE);
        assert_eq!(ends, expected_ends);
        assert_eq!(owners.first(), Some(&1));
        assert_eq!(owners.last(), Some(&4));
        // And every split point in two.
        for split in 0..THREE.len() {
            let mut f = Framer::new(Side::Requests);
            let mut got = cut(&mut f, &THREE[..split]);
            got.extend(cut(&mut f, &THREE[split..]));
            let completes = got.iter().filter(|(_, c)| *c).count();
            assert_eq!(completes, 4, "split at {split}: {got:?}");
        }
    }

    #[test]
    fn heads_report_bodies_and_methods() {
        let mut f = Framer::new(Side::Requests);
        let pieces =
            f.feed(b"HEAD / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab");
        assert_eq!(pieces[0].head, Some(Head { head_method: true, has_body: false, status: None }));
        assert!(pieces[0].first);
        assert_eq!(pieces[1].head, Some(Head { head_method: false, has_body: true, status: None }));
    }

    #[test]
    fn responses_follow_head_requests_interim_and_bodyless_statuses() {
        let mut f = Framer::new(Side::Responses);
        f.expect_response(true);
        f.expect_response(false);
        f.expect_response(false);
        f.expect_response(false);
        let data = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n\
HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok\
HTTP/1.1 204 No Content\r\n\r\n\
HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
        assert_eq!(cut(&mut f, data), vec![(1, true), (2, true), (3, true), (4, true)]);
    }

    #[test]
    fn a_close_delimited_response_ends_at_end_of_stream() {
        let mut f = Framer::new(Side::Responses);
        assert_eq!(cut(&mut f, b"HTTP/1.0 200 OK\r\n\r\nsome"), vec![(1, false)]);
        assert_eq!(cut(&mut f, b" more"), vec![(1, false)]);
        assert!(f.end_of_stream());
        assert!(!f.end_of_stream());
    }

    #[test]
    fn what_cannot_be_framed_becomes_one_endless_message() {
        for data in [
            &b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nframes"[..],
            b"\x16\x03\x01binary tls hello\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxx",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
        ] {
            let mut f = Framer::new(Side::Requests);
            let got = cut(&mut f, data);
            assert!(got.iter().all(|(m, c)| *m == 1 && !c), "{data:?}: {got:?}");
            assert!(f.is_opaque());
            assert_eq!(cut(&mut f, b"GET / HTTP/1.1\r\n\r\n"), vec![(1, false)]);
        }
        let mut f = Framer::new(Side::Requests);
        let big = vec![b'a'; MAX_HEAD + 10];
        let _ = cut(&mut f, &big);
        assert!(f.is_opaque());
        let mut f = Framer::new(Side::Responses);
        f.expect_response(false);
        let _ = cut(&mut f, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
        assert!(f.is_opaque());
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_always_add_up() {
        let mut state = 7u64;
        for _ in 0..300 {
            let mut f =
                Framer::new(if state.is_multiple_of(2) { Side::Requests } else { Side::Responses });
            for _ in 0..5 {
                let len =
                    (crate::fault_proxy::roll::Rng::new(state, "t", 1).next_u64() % 200) as usize;
                let mut rng = crate::fault_proxy::roll::Rng::new(state, "b", 2);
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        let pick = rng.next_u64();
                        b"GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n0;\n"
                            [(pick % 63) as usize]
                    })
                    .collect();
                let _ = cut(&mut f, &data);
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
        }
    }
}
