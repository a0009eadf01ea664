//! The instrumented IO wrapper that sits above TLS and below hyper: the source of
//! truth for what happened on a connection.
//!
//! It counts bytes per attempt, finds where the request head ends, records the first
//! `io::Error` with its direction and errno, and records EOFs in two buckets: during
//! an attempt and while idle in the pool. After a write fails with ECONNRESET, EPIPE
//! or ECONNABORTED it *swallows* further writes (reports them done, drops the data)
//! so that hyper keeps reading and an early response (a 413 sent before the body was
//! read) stays readable; such a connection is never reused (see the forensics
//! reference, gap 1). On HTTP/2 connections it also watches the frame headers it
//! reads for RST_STREAM and GOAWAY, whose codes and last stream id hyper does not
//! expose.
//!
//! The state is shared with the pool and the client through an `Arc<IoState>`:
//! counters are relaxed atomics, rare events sit behind a mutex. Bookkeeping that
//! correctness does not need (byte counts, head end, timestamps) is compiled only
//! with the `ledger` feature; errors, EOFs and the swallow mode always stay.

use std::io;
use std::pin::Pin;
#[cfg(feature = "ledger")]
use std::sync::atomic::AtomicU64;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::transport::connector::kind_of_io;
use crate::transport::facts::{ErrorKind, Operation, OsError};

/// An `io::Error` as the wrapper saw it.
#[derive(Clone, Debug)]
pub(crate) struct IoErrorRecord {
    /// Read or write.
    pub(crate) operation: Operation,
    /// `io::Error::kind()`.
    pub(crate) kind: io::ErrorKind,
    /// `raw_os_error()`, named.
    pub(crate) os: Option<OsError>,
    /// The error came from TLS (an alert, a bad record), not from the socket.
    pub(crate) tls: bool,
    /// When it was seen.
    pub(crate) at: Instant,
}

impl IoErrorRecord {
    /// The failure kind of this error.
    pub(crate) fn failure_kind(&self) -> ErrorKind {
        if self.tls { ErrorKind::Tls } else { kind_of_io(self.kind) }
    }

    fn new(operation: Operation, error: &io::Error) -> IoErrorRecord {
        IoErrorRecord {
            operation,
            kind: error.kind(),
            os: error.raw_os_error().map(OsError::from_errno),
            tls: error.get_ref().is_some_and(|e| e.is::<rustls::Error>()),
            at: Instant::now(),
        }
    }
}

/// What the wrapper saw during the current attempt.
#[derive(Clone, Debug, Default)]
pub(crate) struct AttemptIo {
    /// Bytes written to the socket during the attempt.
    pub(crate) written: u64,
    /// Bytes read during the attempt.
    pub(crate) read: u64,
    /// Offset just past the first CRLFCRLF written in this attempt (HTTP/1 only).
    pub(crate) head_end: Option<u64>,
    /// When the last request byte was written.
    pub(crate) last_write: Option<Instant>,
    /// When the first response byte was read.
    pub(crate) first_read: Option<Instant>,
    /// The peer's EOF was read during the attempt.
    pub(crate) eof: bool,
    /// The first socket error during the attempt.
    pub(crate) error: Option<IoErrorRecord>,
    /// RST_STREAM frames read during the attempt: (stream id, error code).
    pub(crate) h2_resets: Vec<(u32, u32)>,
    /// The last GOAWAY read on the connection: (last stream id, error code).
    pub(crate) h2_goaway: Option<(u32, u32)>,
}

/// What the wrapper saw while the connection sat idle in the pool.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdleIo {
    /// When an EOF was read while idle.
    pub(crate) eof_at: Option<Instant>,
    /// The first socket error while idle.
    pub(crate) error: Option<IoErrorRecord>,
}

#[derive(Debug, Default)]
struct Events {
    attempt_eof: bool,
    attempt_error: Option<IoErrorRecord>,
    idle: IdleIo,
    h2: Option<H2Watch>,
    h2_resets: Vec<(u32, u32)>,
    h2_goaway: Option<(u32, u32)>,
}

/// State shared between the wrapper (inside hyper's connection task), the pool and the client.
#[derive(Debug)]
pub(crate) struct IoState {
    #[cfg(feature = "ledger")]
    epoch: Instant,
    in_attempt: AtomicBool,
    dead: AtomicBool,
    watch_h2: AtomicBool,
    events: Mutex<Events>,
    #[cfg(feature = "ledger")]
    ledger: Ledger,
}

#[cfg(feature = "ledger")]
#[derive(Debug, Default)]
struct Ledger {
    written: AtomicU64,
    read: AtomicU64,
    /// Offset past the head end, plus one; zero while unknown.
    head_end: AtomicU64,
    /// How many bytes of CRLFCRLF the written bytes currently end with (0..=3).
    crlf_run: AtomicU64,
    /// Nanoseconds since `epoch`, plus one; zero while unset.
    last_write_ns: AtomicU64,
    first_read_ns: AtomicU64,
}

impl IoState {
    /// Fresh state for a new connection; no attempt is running.
    pub(crate) fn new() -> Arc<IoState> {
        Arc::new(IoState {
            #[cfg(feature = "ledger")]
            epoch: Instant::now(),
            in_attempt: AtomicBool::new(false),
            dead: AtomicBool::new(false),
            watch_h2: AtomicBool::new(false),
            events: Mutex::new(Events::default()),
            #[cfg(feature = "ledger")]
            ledger: Ledger::default(),
        })
    }

    fn events(&self) -> MutexGuard<'_, Events> {
        // A panic while holding this lock cannot leave the plain data inconsistent.
        self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Start watching HTTP/2 frames on the read side (the connection speaks h2).
    pub(crate) fn watch_h2_frames(&self) {
        self.events().h2 = Some(H2Watch::default());
        self.watch_h2.store(true, Ordering::Relaxed);
    }

    /// Starts an attempt: resets the per-attempt counters.
    pub(crate) fn begin_attempt(&self) {
        {
            let mut events = self.events();
            events.attempt_eof = false;
            events.attempt_error = None;
            events.h2_resets.clear();
        }
        #[cfg(feature = "ledger")]
        {
            let l = &self.ledger;
            l.written.store(0, Ordering::Relaxed);
            l.read.store(0, Ordering::Relaxed);
            l.head_end.store(0, Ordering::Relaxed);
            l.crlf_run.store(0, Ordering::Relaxed);
            l.last_write_ns.store(0, Ordering::Relaxed);
            l.first_read_ns.store(0, Ordering::Relaxed);
        }
        self.in_attempt.store(true, Ordering::Release);
    }

    /// Ends the attempt: later EOFs and errors count as idle ones.
    pub(crate) fn end_attempt(&self) {
        self.in_attempt.store(false, Ordering::Release);
    }

    /// A write failed with a reset or broken pipe: the connection must not be reused.
    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// What happened during the current (or last) attempt.
    pub(crate) fn attempt(&self) -> AttemptIo {
        let events = self.events();
        let out = AttemptIo {
            eof: events.attempt_eof,
            error: events.attempt_error.clone(),
            h2_resets: events.h2_resets.clone(),
            h2_goaway: events.h2_goaway,
            ..AttemptIo::default()
        };
        drop(events);
        #[cfg(feature = "ledger")]
        let out = {
            let l = &self.ledger;
            AttemptIo {
                written: l.written.load(Ordering::Relaxed),
                read: l.read.load(Ordering::Relaxed),
                head_end: l.head_end.load(Ordering::Relaxed).checked_sub(1),
                last_write: self.instant(l.last_write_ns.load(Ordering::Relaxed)),
                first_read: self.instant(l.first_read_ns.load(Ordering::Relaxed)),
                ..out
            }
        };
        out
    }

    /// What happened while the connection was idle.
    pub(crate) fn idle(&self) -> IdleIo {
        self.events().idle.clone()
    }

    #[cfg(feature = "ledger")]
    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1
    }

    #[cfg(feature = "ledger")]
    fn instant(&self, ns: u64) -> Option<Instant> {
        ns.checked_sub(1).map(|ns| self.epoch + Duration::from_nanos(ns))
    }

    fn record_error(&self, operation: Operation, error: &io::Error) {
        let record = IoErrorRecord::new(operation, error);
        let mut events = self.events();
        if self.in_attempt.load(Ordering::Acquire) {
            if events.attempt_error.is_none() {
                events.attempt_error = Some(record);
            }
        } else if events.idle.error.is_none() {
            events.idle.error = Some(record);
        }
    }

    fn record_eof(&self) {
        let mut events = self.events();
        if self.in_attempt.load(Ordering::Acquire) {
            events.attempt_eof = true;
        } else if events.idle.eof_at.is_none() {
            events.idle.eof_at = Some(Instant::now());
        }
    }

    fn on_read(&self, data: &[u8]) {
        #[cfg(feature = "ledger")]
        {
            let l = &self.ledger;
            l.read.fetch_add(data.len() as u64, Ordering::Relaxed);
            if l.first_read_ns.load(Ordering::Relaxed) == 0
                && self.in_attempt.load(Ordering::Relaxed)
            {
                l.first_read_ns.store(self.now_ns(), Ordering::Relaxed);
            }
        }
        if self.watch_h2.load(Ordering::Relaxed) {
            let mut events = self.events();
            let Events { h2, h2_resets, h2_goaway, .. } = &mut *events;
            if let Some(watch) = h2.as_mut() {
                watch.feed(data, &mut |frame| match frame {
                    H2Frame::Reset { stream, code } => h2_resets.push((stream, code)),
                    H2Frame::GoAway { last_stream, code } => *h2_goaway = Some((last_stream, code)),
                });
            }
        }
    }

    #[cfg(feature = "ledger")]
    fn on_write(&self, data: &[u8]) {
        let l = &self.ledger;
        let before = l.written.fetch_add(data.len() as u64, Ordering::Relaxed);
        l.last_write_ns.store(self.now_ns(), Ordering::Relaxed);
        if l.head_end.load(Ordering::Relaxed) != 0 || self.watch_h2.load(Ordering::Relaxed) {
            return;
        }
        let run = l.crlf_run.load(Ordering::Relaxed);
        let (end, run) = find_head_end(run, data);
        if let Some(end) = end {
            // Stored plus one: zero means unknown.
            l.head_end.store(before + end as u64 + 1, Ordering::Relaxed);
        }
        l.crlf_run.store(run, Ordering::Relaxed);
    }

    #[cfg(not(feature = "ledger"))]
    fn on_write(&self, _data: &[u8]) {}
}

/// The end of a request head: where the first CRLFCRLF ends, given that the bytes written
/// before `data` end with `run` bytes of it (0..=3). Returns the offset in `data` just past
/// the CRLFCRLF, if it ends in `data`, and how many bytes of a CRLFCRLF `data` ends with
/// otherwise (what the next write continues from).
///
/// Equivalent to feeding the bytes one by one to the CRLFCRLF automaton, but the body of
/// the search is `memchr`'s vectorised substring search (a head of 100 bytes is a few wide
/// compares).
#[cfg(any(feature = "ledger", test))]
fn find_head_end(run: u64, data: &[u8]) -> (Option<usize>, u64) {
    const CRLFCRLF: &[u8; 4] = b"\r\n\r\n";
    // A CRLFCRLF that began in the earlier writes ends within data's first 3 bytes: the
    // automaton finds it (and all that the carried bytes do) over those bytes.
    let mut state = run;
    let head = data.len().min(3);
    for (i, &b) in data[..head].iter().enumerate() {
        state = step(state, b);
        if state == 4 {
            return (Some(i + 1), 4);
        }
    }
    // Any other CRLFCRLF lies wholly inside data.
    if let Some(start) = memchr::memmem::find(data, CRLFCRLF) {
        return (Some(start + 4), 4);
    }
    if data.len() <= 3 {
        return (None, state);
    }
    // What the next write continues from: the longest end of data that begins a CRLFCRLF.
    let tail = (1..=3).rev().find(|&k| data.ends_with(&CRLFCRLF[..k])).unwrap_or(0);
    (None, tail as u64)
}

/// One byte through the CRLFCRLF automaton (state: how many bytes of it matched).
#[cfg(any(feature = "ledger", test))]
fn step(state: u64, b: u8) -> u64 {
    match (state, b) {
        (0 | 2, b'\r') => state + 1,
        (1 | 3, b'\n') => state + 1,
        (_, b'\r') => 1,
        _ => 0,
    }
}

/// The IO hyper is given: any stream, instrumented.
#[derive(Debug)]
pub(crate) struct CountingIo<S> {
    inner: S,
    state: Arc<IoState>,
}

impl<S> CountingIo<S> {
    /// Wraps `inner`, sharing `state`.
    pub(crate) fn new(inner: S, state: Arc<IoState>) -> CountingIo<S> {
        CountingIo { inner, state }
    }

    /// A write error after which writes are swallowed: the peer reset or closed.
    fn is_swallowed(kind: io::ErrorKind) -> bool {
        matches!(
            kind,
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::ConnectionAborted
        )
    }

    fn on_write_error(&self, error: io::Error) -> io::Result<()> {
        self.state.record_error(Operation::Write, &error);
        if Self::is_swallowed(error.kind()) {
            self.state.dead.store(true, Ordering::Release);
            Ok(())
        } else {
            Err(error)
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CountingIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let wanted = buf.remaining() > 0;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let data = &buf.filled()[before..];
                if data.is_empty() {
                    if wanted {
                        this.state.record_eof();
                    }
                } else {
                    this.state.on_read(data);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => {
                this.state.record_error(Operation::Read, &error);
                Poll::Ready(Err(error))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CountingIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.state.is_dead() {
            return Poll::Ready(Ok(buf.len()));
        }
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.state.on_write(&buf[..n]);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(error)) => Poll::Ready(this.on_write_error(error).map(|()| buf.len())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        if this.state.is_dead() {
            return Poll::Ready(Ok(len));
        }
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                let mut left = n;
                for b in bufs {
                    if left == 0 {
                        break;
                    }
                    let take = left.min(b.len());
                    this.state.on_write(&b[..take]);
                    left -= take;
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(error)) => Poll::Ready(this.on_write_error(error).map(|()| len)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.is_dead() {
            return Poll::Ready(Ok(()));
        }
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(Err(error)) => Poll::Ready(this.on_write_error(error)),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.is_dead() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

enum H2Frame {
    Reset { stream: u32, code: u32 },
    GoAway { last_stream: u32, code: u32 },
}

/// Follows HTTP/2 frame boundaries in the bytes read, keeping RST_STREAM and GOAWAY.
#[derive(Debug, Default)]
struct H2Watch {
    header: [u8; 9],
    header_len: usize,
    remaining: u32,
    frame_type: u8,
    stream: u32,
    payload: [u8; 8],
    payload_len: usize,
}

impl H2Watch {
    const RST_STREAM: u8 = 0x3;
    const GOAWAY: u8 = 0x7;

    fn feed(&mut self, mut data: &[u8], on_frame: &mut dyn FnMut(H2Frame)) {
        while !data.is_empty() {
            if self.header_len < 9 {
                let take = (9 - self.header_len).min(data.len());
                self.header[self.header_len..self.header_len + take].copy_from_slice(&data[..take]);
                self.header_len += take;
                data = &data[take..];
                if self.header_len == 9 {
                    let h = self.header;
                    self.remaining = u32::from_be_bytes([0, h[0], h[1], h[2]]);
                    self.frame_type = h[3];
                    self.stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
                    self.payload_len = 0;
                    if self.remaining == 0 {
                        self.finish(on_frame);
                    }
                }
                continue;
            }
            let take = data.len().min(self.remaining as usize);
            if matches!(self.frame_type, Self::RST_STREAM | Self::GOAWAY) && self.payload_len < 8 {
                let keep = take.min(8 - self.payload_len);
                self.payload[self.payload_len..self.payload_len + keep]
                    .copy_from_slice(&data[..keep]);
                self.payload_len += keep;
            }
            self.remaining -= take as u32;
            data = &data[take..];
            if self.remaining == 0 {
                self.finish(on_frame);
            }
        }
    }

    fn finish(&mut self, on_frame: &mut dyn FnMut(H2Frame)) {
        let p = self.payload;
        match self.frame_type {
            Self::RST_STREAM if self.payload_len >= 4 => {
                on_frame(H2Frame::Reset {
                    stream: self.stream,
                    code: u32::from_be_bytes([p[0], p[1], p[2], p[3]]),
                });
            }
            Self::GOAWAY if self.payload_len >= 8 => on_frame(H2Frame::GoAway {
                last_stream: u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff,
                code: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            }),
            _ => {}
        }
        self.header_len = 0;
    }
}

/// How long ago `at` was, measured from `since`; zero if `at` is earlier.
pub(crate) fn elapsed_between(since: Instant, at: Instant) -> Duration {
    at.saturating_duration_since(since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h2_watch_finds_frames_split_across_reads() {
        let mut bytes = Vec::new();
        // SETTINGS, empty.
        bytes.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        // RST_STREAM on stream 3, REFUSED_STREAM (7).
        bytes.extend_from_slice(&[0, 0, 4, 3, 0, 0, 0, 0, 3, 0, 0, 0, 7]);
        // GOAWAY last stream 1, NO_ERROR, 2 bytes of debug data.
        bytes.extend_from_slice(&[0, 0, 10, 7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, b'h', b'i']);
        for split in 1..bytes.len() {
            let mut watch = H2Watch::default();
            let mut seen = Vec::new();
            let mut on = |f: H2Frame| match f {
                H2Frame::Reset { stream, code } => seen.push(("rst", stream, code)),
                H2Frame::GoAway { last_stream, code } => seen.push(("goaway", last_stream, code)),
            };
            watch.feed(&bytes[..split], &mut on);
            watch.feed(&bytes[split..], &mut on);
            assert_eq!(seen, vec![("rst", 3, 7), ("goaway", 1, 0)], "split at {split}");
        }
    }

    /// The automaton, byte by byte: the reference for `find_head_end`.
    fn automaton(run: u64, data: &[u8]) -> (Option<usize>, u64) {
        let mut state = run;
        for (i, &b) in data.iter().enumerate() {
            state = step(state, b);
            if state == 4 {
                return (Some(i + 1), 4);
            }
        }
        (None, state)
    }

    #[test]
    fn head_end_search_agrees_with_the_automaton() {
        // Every string of up to 8 bytes over an alphabet that makes near misses, from every
        // carried state.
        let alphabet = [b'\r', b'\n', b'a'];
        for len in 0..=8_u32 {
            for mut code in 0..3_usize.pow(len) {
                let mut data = Vec::new();
                for _ in 0..len {
                    data.push(alphabet[code % 3]);
                    code /= 3;
                }
                for run in 0..=3 {
                    assert_eq!(find_head_end(run, &data), automaton(run, &data), "{run} {data:?}");
                }
            }
        }
        let head = b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\nbody\r\n\r\n";
        assert_eq!(find_head_end(0, head), (Some(50), 4));
        for split in 0..head.len() {
            let (found, run) = find_head_end(0, &head[..split]);
            let expected = match found {
                Some(end) => end,
                None => split + find_head_end(run, &head[split..]).0.unwrap(),
            };
            assert_eq!(expected, 50, "split at {split}");
        }
    }

    #[cfg(feature = "ledger")]
    #[test]
    fn head_end_is_found_across_writes() {
        let state = IoState::new();
        state.begin_attempt();
        state.on_write(b"GET / HTTP/1.1\r\nHost: a\r");
        state.on_write(b"\n\r");
        state.on_write(b"\nbody");
        let a = state.attempt();
        assert_eq!(a.written, 31);
        assert_eq!(a.head_end, Some(27));
    }
}
