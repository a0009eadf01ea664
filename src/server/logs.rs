//! Capture of a server's stdout and stderr: timestamped, redacted lines written to
//! `NAME.stdout.log` / `NAME.stderr.log`, with a bounded copy kept in memory.
//!
//! One tokio task per stream drains the pipe as fast as the server writes, so a
//! chatty server never blocks on a full pipe. In memory each stream keeps
//! - the last [`TAIL_LINES`] lines, for error messages and crash reports;
//! - the first [`REPORT_CAP_BYTES`] of lines, for the report (the rest is only on disk).
//!
//! Secrets are replaced by `***` once, on the raw bytes as they arrive, before
//! anything is split, stored or written: a secret that arrives across two reads,
//! or that contains a newline, is recognised (the redactor holds back the last
//! bytes that could begin one until the next read or the end of the stream). Then
//! a line longer than [`MAX_LINE_BYTES`] is split, and bytes that are not UTF-8 are
//! replaced.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use regex::Regex;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::sync::{oneshot, watch};

/// How many lines of each stream error messages quote.
pub const TAIL_LINES: usize = 40;
/// How many bytes of each stream the report gets; the log files have everything.
pub const REPORT_CAP_BYTES: usize = 1 << 20;
/// Lines longer than this are split, so one runaway line cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// One captured line, redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// When shakedown read it.
    pub at: SystemTime,
    /// The text without its newline.
    pub text: String,
}

/// What the report gets of one stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamLog {
    /// The log file, which has every line.
    pub path: PathBuf,
    /// The first lines, up to [`REPORT_CAP_BYTES`].
    pub lines: Vec<LogLine>,
    /// Lines past the cap (on disk only).
    pub omitted_lines: u64,
    /// Bytes past the cap (on disk only).
    pub omitted_bytes: u64,
    /// The first error writing the log file, if any (capture in memory goes on).
    pub write_error: Option<String>,
}

/// Both streams of a server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerLogs {
    /// Standard output.
    pub stdout: StreamLog,
    /// Standard error.
    pub stderr: StreamLog,
}

/// The first stdout line that matched the readiness pattern, with its named groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StdoutMatch {
    /// The `url` group, if the pattern has one and it matched.
    pub(crate) url: Option<String>,
    /// The `port` group, if the pattern has one and it matched.
    pub(crate) port: Option<String>,
    /// When the capture task read the line, to measure how fast readiness noticed.
    pub(crate) seen: tokio::time::Instant,
}

/// Replaces secret values with `***`.
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    pub(crate) fn new(secrets: &[String]) -> Self {
        let mut secrets: Vec<String> = secrets.iter().filter(|s| !s.is_empty()).cloned().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// Redacts the start of `raw` onto `out` and returns how many bytes of `raw` it
    /// consumed: everything, at the end of the stream; otherwise all but a tail that
    /// the next read could still complete into a secret.
    pub(crate) fn redact_stream(&self, raw: &[u8], at_eof: bool, out: &mut Vec<u8>) -> usize {
        let longest = self.secrets.first().map_or(0, String::len);
        if longest == 0 {
            out.extend_from_slice(raw);
            return raw.len();
        }
        let mut first = [false; 256];
        for secret in &self.secrets {
            if let Some(&b) = secret.as_bytes().first() {
                first[usize::from(b)] = true;
            }
        }
        // Held back: the first of the last `longest - 1` positions from which the rest
        // of `raw` could still grow into a secret. A secret starting before it is
        // either fully visible or impossible, and a line that ends in no possible
        // secret start is not held back at all.
        let safe = if at_eof {
            raw.len()
        } else {
            (raw.len().saturating_sub(longest - 1)..raw.len())
                .find(|&i| self.secrets.iter().any(|s| s.as_bytes().starts_with(&raw[i..])))
                .unwrap_or(raw.len())
        };
        let mut i = 0;
        while i < safe {
            let found = first[usize::from(raw[i])]
                .then(|| self.secrets.iter().find(|s| raw[i..].starts_with(s.as_bytes())))
                .flatten();
            match found {
                Some(secret) => {
                    out.extend_from_slice(b"***");
                    i += secret.len();
                }
                None => {
                    out.push(raw[i]);
                    i += 1;
                }
            }
        }
        i
    }

    pub(crate) fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), "***"));
            }
        }
        out
    }
}

/// Formats a time as `2026-12-01T18:00:00.123Z`, the prefix of every log file line.
pub fn timestamp(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The in-memory side of one stream, shared by the capture task and the handle.
#[derive(Debug, Default)]
struct StreamState {
    tail: VecDeque<String>,
    report: Vec<LogLine>,
    report_bytes: usize,
    omitted_lines: u64,
    omitted_bytes: u64,
    write_error: Option<String>,
}

impl StreamState {
    fn push(&mut self, line: LogLine) {
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.text.clone());
        let len = line.text.len() + 1;
        if self.omitted_lines == 0 && self.report_bytes + len <= REPORT_CAP_BYTES {
            self.report_bytes += len;
            self.report.push(line);
        } else {
            self.omitted_lines += 1;
            self.omitted_bytes += len as u64;
        }
    }
}

/// A running capture of one stream.
#[derive(Debug)]
pub(crate) struct Capture {
    path: PathBuf,
    state: Arc<Mutex<StreamState>>,
    /// Becomes `true` when the pipe reached end of file (every writer closed it).
    eof: watch::Receiver<bool>,
}

impl Capture {
    /// Opens `path` for appending, so a restarted server keeps its earlier lines.
    pub(crate) async fn open(path: &Path) -> std::io::Result<tokio::fs::File> {
        tokio::fs::OpenOptions::new().create(true).append(true).open(path).await
    }

    /// Starts draining `reader` into `file` (opened with [`Capture::open`]), after a
    /// `banner` line that separates this launch from earlier ones in the file.
    pub(crate) fn start<R>(
        reader: R,
        file: tokio::fs::File,
        path: &Path,
        redactor: Arc<Redactor>,
        matcher: Option<(Regex, oneshot::Sender<StdoutMatch>)>,
        banner: &str,
    ) -> Self
    where
        R: AsyncRead + Unpin + Send + 'static,
    {
        let state = Arc::new(Mutex::new(StreamState::default()));
        let (eof_tx, eof) = watch::channel(false);
        let task_state = Arc::clone(&state);
        let banner = format!("{} {}\n", timestamp(SystemTime::now()), redactor.redact(banner));
        tokio::spawn(async move {
            let mut out = BufWriter::new(file);
            if let Err(e) = out.write_all(banner.as_bytes()).await {
                task_state.lock().unwrap_or_else(PoisonError::into_inner).write_error =
                    Some(e.to_string());
            }
            pump(reader, out, &task_state, &redactor, matcher).await;
            let _ = eof_tx.send(true);
        });
        Self { path: path.to_path_buf(), state, eof }
    }

    /// The last [`TAIL_LINES`] lines.
    pub(crate) fn tail(&self) -> Vec<String> {
        self.lock().tail.iter().cloned().collect()
    }

    /// A copy of what the report gets.
    pub(crate) fn snapshot(&self) -> StreamLog {
        let state = self.lock();
        StreamLog {
            path: self.path.clone(),
            lines: state.report.clone(),
            omitted_lines: state.omitted_lines,
            omitted_bytes: state.omitted_bytes,
            write_error: state.write_error.clone(),
        }
    }

    /// Waits up to `within` for the end of the stream; `true` if it came.
    ///
    /// The end comes when every process holding the pipe has exited, so after the
    /// direct child exits this is quick unless a grandchild still holds it.
    pub(crate) async fn wait_eof(&self, within: Duration) -> bool {
        let mut eof = self.eof.clone();
        tokio::time::timeout(within, eof.wait_for(|done| *done)).await.is_ok_and(|r| r.is_ok())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StreamState> {
        // A panic while holding the lock leaves consistent data (each push is
        // complete or absent), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads until end of file, line by line, storing and writing each line.
async fn pump<R, W>(
    mut reader: R,
    mut out: W,
    state: &Mutex<StreamState>,
    redactor: &Redactor,
    mut matcher: Option<(Regex, oneshot::Sender<StdoutMatch>)>,
) where
    R: AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut chunk = vec![0_u8; 16 * 1024];
    // Raw bytes not yet redacted (the possible start of a secret), then redacted
    // bytes not yet cut into lines.
    let mut raw: Vec<u8> = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut searched = 0;
    let mut write_ok = true;
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => 0,
            Ok(n) => n,
        };
        let at_eof = n == 0;
        raw.extend_from_slice(&chunk[..n]);
        let consumed = redactor.redact_stream(&raw, at_eof, &mut pending);
        raw.drain(..consumed);
        let mut lines = Vec::new();
        // Only the newly redacted bytes can hold a newline not yet seen.
        let mut from = searched.min(pending.len());
        while let Some(i) = pending[from..].iter().position(|&b| b == b'\n').map(|i| i + from) {
            from = 0;
            let mut line: Vec<u8> = pending.drain(..=i).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push(line);
        }
        while pending.len() >= MAX_LINE_BYTES {
            lines.push(pending.drain(..MAX_LINE_BYTES).collect());
        }
        if at_eof && !pending.is_empty() {
            lines.push(std::mem::take(&mut pending));
        }
        searched = pending.len();
        let at = SystemTime::now();
        let mut text_out = String::new();
        // Readiness is announced only once its line is on disk, so whoever reacts to
        // it (a report, a test) finds the line in the log file.
        let mut announce = None;
        for raw in lines {
            let text = String::from_utf8_lossy(&raw).into_owned();
            if let Some((re, _)) = &matcher
                && let Some(caps) = re.captures(&text)
            {
                let found = StdoutMatch {
                    url: caps.name("url").map(|m| m.as_str().to_owned()),
                    port: caps.name("port").map(|m| m.as_str().to_owned()),
                    seen: tokio::time::Instant::now(),
                };
                if let Some((_, tx)) = matcher.take() {
                    announce = Some((tx, found));
                }
            }
            text_out.push_str(&timestamp(at));
            text_out.push(' ');
            text_out.push_str(&text);
            text_out.push('\n');
            state.lock().unwrap_or_else(PoisonError::into_inner).push(LogLine { at, text });
        }
        if write_ok && !text_out.is_empty() {
            let written = async {
                out.write_all(text_out.as_bytes()).await?;
                out.flush().await
            };
            if let Err(e) = written.await {
                write_ok = false;
                state.lock().unwrap_or_else(PoisonError::into_inner).write_error =
                    Some(e.to_string());
            }
        }
        if let Some((tx, found)) = announce {
            let _ = tx.send(found);
        }
        if at_eof {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_longest_secret_first() {
        let r = Redactor::new(&["abc".to_owned(), "abcdef".to_owned(), String::new()]);
        assert_eq!(r.redact("x abcdef y abc z"), "x *** y *** z");
        assert_eq!(r.redact("nothing"), "nothing");
    }

    #[test]
    fn the_stream_redactor_holds_back_only_a_possible_secret_start() {
        let r = Redactor::new(&["s3cr3t".to_owned()]);
        let mut out = Vec::new();
        // Nothing here can begin the secret: all of it goes out before the next read.
        assert_eq!(r.redact_stream(b"ready\n", false, &mut out), 6);
        // `s3c` may be the start of the secret: it waits for more bytes.
        assert_eq!(r.redact_stream(b"key s3c", false, &mut out), 4);
        assert_eq!(r.redact_stream(b"s3cr3t!", false, &mut out), 7);
        // At the end of the stream, a prefix is only a prefix.
        assert_eq!(r.redact_stream(b"s3c", true, &mut out), 3);
        assert_eq!(out, b"ready\nkey ***!s3c");
    }

    /// A secret cut by the reads, by the 64 KiB line split, or by a newline inside it.
    #[tokio::test]
    async fn pump_redacts_a_secret_across_reads_line_splits_and_newlines() {
        let secret = "s3cr3tXYZ".to_owned();
        let multi = "two\nlines".to_owned();
        let mut input = vec![b'a'; MAX_LINE_BYTES - 4];
        input.extend_from_slice(secret.as_bytes());
        input.extend_from_slice(b" and ");
        input.extend_from_slice(multi.as_bytes());
        input.extend_from_slice(b" end\n");
        // Delivered three bytes at a time, so every boundary falls inside a secret.
        let reader = tokio_test_reader(&input, 3);
        let mut out = Vec::new();
        let state = Mutex::new(StreamState::default());
        pump(reader, &mut out, &state, &Redactor::new(&[secret.clone(), multi.clone()]), None)
            .await;
        let text = String::from_utf8(out).unwrap();
        for needle in ["s3cr", "3tXYZ", "two\n", "lines"] {
            assert!(!text.contains(needle), "{needle} leaked");
        }
        assert_eq!(text.matches("***").count(), 2, "{}", &text[text.len() - 80..]);
        assert!(text.contains("and *** end"), "{}", &text[text.len() - 80..]);
        let stored: Vec<String> =
            state.lock().unwrap().report.iter().map(|l| l.text.clone()).collect();
        assert!(stored.iter().all(|l| !l.contains("s3cr") && !l.contains("3tXYZ")));
    }

    /// A reader that hands out `input` `step` bytes per read.
    fn tokio_test_reader(input: &[u8], step: usize) -> impl AsyncRead + Unpin {
        struct Stepped(Vec<u8>, usize, usize);
        impl AsyncRead for Stepped {
            fn poll_read(
                mut self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let (pos, step) = (self.1, self.2);
                let end = (pos + step).min(self.0.len()).min(pos + buf.remaining());
                buf.put_slice(&self.0[pos..end]);
                self.1 = end;
                std::task::Poll::Ready(Ok(()))
            }
        }
        Stepped(input.to_vec(), 0, step)
    }

    #[test]
    fn timestamps_are_utc_milliseconds() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_796_148_000_123);
        assert_eq!(timestamp(at), "2026-12-01T18:00:00.123Z");
    }

    #[test]
    fn keeps_a_tail_and_caps_the_report() {
        let mut s = StreamState::default();
        let big = "x".repeat(1000);
        for _ in 0..2000 {
            s.push(LogLine { at: SystemTime::UNIX_EPOCH, text: big.clone() });
        }
        assert_eq!(s.tail.len(), TAIL_LINES);
        assert_eq!(s.report.len(), REPORT_CAP_BYTES / 1001);
        assert_eq!(s.omitted_lines, 2000 - s.report.len() as u64);
    }

    #[tokio::test]
    async fn pump_splits_lines_redacts_and_matches() {
        let input: &[u8] = b"hello secret\r\nlisten on http://127.0.0.1:4242/ now\npartial";
        let mut out = Vec::new();
        let state = Mutex::new(StreamState::default());
        let (tx, rx) = oneshot::channel();
        let re = Regex::new(r"listen on (?P<url>\S+)").unwrap();
        pump(input, &mut out, &state, &Redactor::new(&["secret".to_owned()]), Some((re, tx))).await;
        let m = rx.await.unwrap();
        assert_eq!(m.url.as_deref(), Some("http://127.0.0.1:4242/"));
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().map(|l| &l[25..]).collect();
        assert_eq!(lines, ["hello ***", "listen on http://127.0.0.1:4242/ now", "partial"]);
        assert!(text.starts_with("20"));
        assert_eq!(state.lock().unwrap().tail.len(), 3);
    }
}
