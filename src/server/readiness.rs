//! Waiting until a launched server is ready, or knowing at once that it never will be.
//!
//! Probes start every [`FIRST_POLL`] and the pause doubles up to [`MAX_POLL`], so a
//! ready server is seen within about 20 ms. Every wait races the probe against the
//! direct child's exit, so a server that dies during start-up fails the launch the
//! moment it exits, not at the timeout.
//!
//! The HTTP probe is a trait, [`HttpProbe`], so that the caller can route it through
//! the instrumented transport. Until then [`RawHttpProbe`] sends one minimal
//! HTTP/1.1 `GET` over a plain TCP connection (no TLS: launched servers listen on
//! loopback) and reads only the status line.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::ExitStatus;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Child;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::logs::StdoutMatch;
use super::spec::Readiness;

/// The first pause between probes.
pub const FIRST_POLL: Duration = Duration::from_millis(2);
/// The longest pause between probes.
pub const MAX_POLL: Duration = Duration::from_millis(20);
/// No single probe may take longer than this (a server that accepts and then stalls).
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends the readiness `GET` and returns the response status, or why there is none.
pub trait HttpProbe: Send + Sync {
    /// `GET path` from the server at `addr`; `Err` carries a short reason such as
    /// "connection refused", which ends up in [`LaunchError::NotReady`](super::LaunchError::NotReady).
    fn get<'a>(
        &'a self,
        addr: SocketAddr,
        path: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>>;
}

/// The built-in probe: one HTTP/1.1 request over a fresh connection, `Connection: close`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawHttpProbe;

impl HttpProbe for RawHttpProbe {
    fn get<'a>(
        &'a self,
        addr: SocketAddr,
        path: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>> {
        Box::pin(async move {
            let mut stream = connect(addr).await?;
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: shakedown-readiness\r\nAccept: */*\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await.map_err(|e| describe_io(&e))?;
            let mut head = Vec::new();
            let mut buf = [0_u8; 512];
            while !head.windows(2).any(|w| w == b"\r\n") {
                let n = stream.read(&mut buf).await.map_err(|e| describe_io(&e))?;
                if n == 0 {
                    return Err("connection closed before a status line".to_owned());
                }
                head.extend_from_slice(&buf[..n]);
                if head.len() > 8 * 1024 {
                    return Err("status line longer than 8 KiB".to_owned());
                }
            }
            parse_status_line(&head)
        })
    }
}

/// What the readiness wait found.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The check passed.
    Ready(ReadyProbe),
    /// The direct child exited first.
    Exited(ExitStatus),
    /// The timeout passed; the reason the last probe failed.
    TimedOut(String),
}

/// Facts about the probe that passed.
#[derive(Debug, Default)]
pub(crate) struct ReadyProbe {
    /// How many probes ran, the successful one included (1 for stdout readiness).
    pub(crate) probes: u32,
    /// From the start of the last failed probe to the end of the successful one: the
    /// server became ready somewhere in this window, so it bounds the detection latency.
    /// For stdout readiness: from reading the line to noticing the match.
    pub(crate) window: Duration,
    /// The stdout match, for stdout readiness.
    pub(crate) stdout: Option<StdoutMatch>,
}

/// Waits for `readiness` while watching `child`.
pub(crate) async fn wait(
    child: &mut Child,
    readiness: &Readiness,
    addr: Option<SocketAddr>,
    http: &dyn HttpProbe,
    stdout_match: Option<oneshot::Receiver<StdoutMatch>>,
    started: Instant,
) -> Outcome {
    let deadline = started + readiness.timeout();
    match (readiness, addr, stdout_match) {
        (Readiness::Stdout { regex, .. }, _, Some(rx)) => {
            wait_stdout(child, rx, deadline, regex).await
        }
        (Readiness::Tcp { .. }, Some(addr), _) => {
            poll(child, deadline, started, || async move { connect(addr).await.map(drop) }).await
        }
        (Readiness::Http { path, status, .. }, Some(addr), _) => {
            let want = *status;
            poll(child, deadline, started, || async move {
                match http.get(addr, path).await {
                    Ok(got) if got == want => Ok(()),
                    Ok(got) => Err(format!("status {got}, waiting for {want}")),
                    Err(e) => Err(e),
                }
            })
            .await
        }
        // `launch` validates the spec first; these arms only keep the match total.
        (Readiness::Stdout { .. }, _, None) => {
            Outcome::TimedOut("no stdout matcher was installed".to_owned())
        }
        (Readiness::Tcp { .. } | Readiness::Http { .. }, None, _) => {
            Outcome::TimedOut("no address to probe".to_owned())
        }
    }
}

async fn wait_stdout(
    child: &mut Child,
    mut rx: oneshot::Receiver<StdoutMatch>,
    deadline: Instant,
    regex: &str,
) -> Outcome {
    let mut last = format!("no stdout line matched `{regex}`");
    let mut stdout_open = true;
    loop {
        tokio::select! {
            biased;
            status = child.wait() => return exited(status),
            found = &mut rx, if stdout_open => match found {
                Ok(m) => {
                    return Outcome::Ready(ReadyProbe {
                        probes: 1,
                        window: m.seen.elapsed(),
                        stdout: Some(m),
                    });
                }
                Err(_) => {
                    stdout_open = false;
                    last = format!("stdout closed before a line matched `{regex}`");
                }
            },
            () = tokio::time::sleep_until(deadline) => return Outcome::TimedOut(last),
        }
    }
}

async fn poll<F, Fut>(child: &mut Child, deadline: Instant, started: Instant, probe: F) -> Outcome
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut pause = FIRST_POLL;
    let mut probes = 0_u32;
    let mut last_error = "no probe completed before the deadline".to_owned();
    let mut last_failed_start = started;
    loop {
        let probe_start = Instant::now();
        if probes > 0 && probe_start >= deadline {
            return Outcome::TimedOut(last_error);
        }
        probes += 1;
        let limit = deadline.min(probe_start + PROBE_TIMEOUT);
        tokio::select! {
            biased;
            status = child.wait() => return exited(status),
            result = tokio::time::timeout_at(limit, probe()) => match result {
                Ok(Ok(())) => {
                    return Outcome::Ready(ReadyProbe {
                        probes,
                        window: last_failed_start.elapsed(),
                        stdout: None,
                    });
                }
                Ok(Err(e)) => last_error = e,
                // Cut short by the deadline: the previous failure says more.
                Err(_) if limit == deadline && probes > 1 => {}
                Err(_) => last_error = format!("probe timed out after {:?}", limit - probe_start),
            },
        }
        last_failed_start = probe_start;
        let now = Instant::now();
        if now >= deadline {
            return Outcome::TimedOut(last_error);
        }
        tokio::select! {
            biased;
            status = child.wait() => return exited(status),
            () = tokio::time::sleep_until(deadline.min(now + pause)) => {}
        }
        pause = (pause * 2).min(MAX_POLL);
    }
}

fn exited(status: std::io::Result<ExitStatus>) -> Outcome {
    match status {
        Ok(status) => Outcome::Exited(status),
        // Waiting on our own child only fails if something else reaped it.
        Err(e) => Outcome::TimedOut(format!("could not wait for the server: {e}")),
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "readiness probes of launched servers are plain loopback connects (TCP, or one HTTP/1.1 GET); they test the server, not the transport, and are not part of any scenario"
)]
async fn connect(addr: SocketAddr) -> Result<TcpStream, String> {
    TcpStream::connect(addr).await.map_err(|e| describe_io(&e))
}

/// "connection refused" rather than "Connection refused (os error 111)".
fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "connection refused".to_owned(),
        K::ConnectionReset => "connection reset".to_owned(),
        K::ConnectionAborted => "connection aborted".to_owned(),
        K::TimedOut => "connect timed out".to_owned(),
        K::UnexpectedEof => "connection closed".to_owned(),
        _ => e.to_string(),
    }
}

fn parse_status_line(head: &[u8]) -> Result<u16, String> {
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") && code.len() == 3 => {
            code.parse().map_err(|_| format!("bad status line `{line}`"))
        }
        _ => Err(format!("not an HTTP response: `{line}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_lines() {
        assert_eq!(parse_status_line(b"HTTP/1.1 200 OK\r\n"), Ok(200));
        assert_eq!(parse_status_line(b"HTTP/1.0 503 Service Unavailable\r\nX: y"), Ok(503));
        assert_eq!(parse_status_line(b"HTTP/1.1 204\r\n"), Ok(204));
        assert!(parse_status_line(b"SSH-2.0-OpenSSH\r\n").is_err());
        assert!(parse_status_line(b"HTTP/1.1 2000 OK\r\n").is_err());
    }
}
