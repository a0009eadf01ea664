//! The classifier: from one attempt's facts to a [`Diagnosis`], or none for a clean exchange.

use std::time::Duration;

use crate::diagnosis::{Cause, Confidence, Diagnosis, Executed, KernelDelta};
use crate::transport::facts::{
    AttemptFacts, ConnectionFacts, DiscardedConnection, End, ErrorKind, FailureFacts, Framing,
    Phase,
};

/// A connection idle this long, through something that is not loopback, may have been
/// dropped by a NAT or load balancer on the way (AWS ALB: 60 s; cloud NATs: minutes).
const MIDDLEBOX_IDLE: Duration = Duration::from_secs(30);
/// With no idle limit known, a reused connection that failed after less idle time than
/// this is not called a keep-alive race: servers' idle timeouts are counted in seconds
/// (a few hundred milliseconds at the very least), so a reset after a few milliseconds
/// of idleness has another cause, and the diagnosis says `unknown` rather than guess.
const KEEPALIVE_RACE_MIN_IDLE: Duration = Duration::from_millis(50);

/// What the classifier reads about one attempt, beyond the transport's facts.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    /// The attempt's facts.
    pub facts: &'a AttemptFacts,
    /// The method sent.
    pub method: &'a str,
    /// The URL sent.
    pub url: &'a str,
    /// The idle limit shakedown had learned for the origin, and where it came from
    /// (`keep_alive_header`, `observed_idle_close`).
    pub learned_idle_limit: Option<(Duration, &'a str)>,
    /// How the server under test ended, when it exited during the attempt.
    pub server_exit: Option<&'a str>,
    /// How the host's TCP counters moved around the attempt (Linux), when they were read.
    pub kernel: Option<&'a KernelDelta>,
}

/// Whether the facts may call for a diagnosis: `false` for the common clean exchange, so
/// that callers can skip gathering more evidence (counters, learned limits) for it.
/// A `true` may still yield no diagnosis; a `false` never hides one.
pub fn may_need_diagnosis(facts: &AttemptFacts) -> bool {
    !facts.discarded.is_empty()
        || facts.error.is_some()
        || facts.early_response_after_write_error
        || facts.complete_then_reset
        || facts.ended_with == End::Rst
        || facts.bytes_total.is_some_and(|total| facts.bytes_written < total)
}

/// The diagnosis of one attempt: `None` for an exchange that ended as it should.
pub fn diagnose_attempt(obs: &Observation<'_>) -> Option<Diagnosis> {
    let facts = obs.facts;
    let mut evidence = Evidence::of(obs);
    if let Some(exit) = obs.server_exit {
        evidence.push(format!("the server process exited: {exit}"));
        return Some(Diagnosis {
            cause: Cause::ServerCrashed,
            confidence: Confidence::High,
            summary: "the server process exited during this request".to_owned(),
            evidence: evidence.0,
            may_have_executed: executed(facts),
            hint: format!(
                "the service under test crashed ({exit}): read its stderr above and fix the crash; a retry cannot fix it, and shakedown never retries over one"
            ),
        });
    }
    match &facts.error {
        None => diagnose_success(obs, evidence),
        // shakedown's own limit (`--max-filesize`) stopped the read: the error says exactly
        // that, and nothing about the connection needs explaining.
        Some(failure) if failure.kind == ErrorKind::BodyTooLarge => None,
        Some(failure) => Some(diagnose_failure(obs, failure, evidence)),
    }
}

/// The diagnosis of a pooled connection that checkout found closed and replaced before
/// writing a byte; `None` when shakedown retired it on its own idle limit.
pub fn diagnose_replaced(
    discarded: &DiscardedConnection,
    learned_idle_limit: Option<(Duration, &str)>,
) -> Option<Diagnosis> {
    let how = match discarded.reason {
        "idle_eof" => "the server closed it (FIN) while it was idle".to_owned(),
        "idle_error" => match discarded.os {
            Some(os) => format!("the server reset it ({os}) while it was idle"),
            None => "the connection failed while it was idle".to_owned(),
        },
        "closed" | "closed_at_send" => {
            "it was found closed by the server when the request was about to be sent".to_owned()
        }
        _ => return None,
    };
    let mut evidence = vec![
        format!("pooled connection {} had been idle {}", discarded.id, secs(discarded.idle)),
        how,
        "no byte of the request was written on it; a fresh connection carried the request"
            .to_owned(),
    ];
    if let Some(after) = discarded.closed_after_idle {
        evidence.push(format!("closed after {} idle", secs(after)));
    }
    if let Some((limit, source)) = learned_idle_limit {
        evidence.push(format!("idle limit now kept for this origin: {} ({source})", secs(limit)));
    }
    let server_limit = discarded.closed_after_idle.unwrap_or(discarded.idle);
    if discarded.reason == "idle_error" {
        // A server's idle timeout closes with a FIN; a reset of an idle connection is an
        // abortive close (SO_LINGER 0) or a close with data unread.
        return Some(Diagnosis {
            cause: Cause::StaleConnectionReplaced,
            confidence: Confidence::High,
            summary: format!(
                "replaced pooled connection {} that the server had reset after ~{} idle",
                discarded.id,
                secs(server_limit)
            ),
            evidence,
            may_have_executed: Executed::No,
            hint: "nothing failed: shakedown reconnected before sending; but the server resets connections instead of closing them (SO_LINGER 0, or unread data): clients that reuse them see ECONNRESET, so make it close gracefully".to_owned(),
        });
    }
    Some(Diagnosis {
        cause: Cause::StaleConnectionReplaced,
        confidence: Confidence::High,
        summary: format!(
            "replaced pooled connection {} that the server had closed after ~{} idle",
            discarded.id,
            secs(server_limit)
        ),
        evidence,
        may_have_executed: Executed::No,
        hint: format!(
            "nothing failed: the server closes idle keep-alive connections after ~{}, and shakedown reconnected before sending; a client without this check would hit the keep-alive race, so keep clients' idle limits below ~{} (or have the server announce `Keep-Alive: timeout=N`)",
            secs(server_limit),
            secs(server_limit)
        ),
    })
}

fn diagnose_success(obs: &Observation<'_>, mut evidence: Evidence) -> Option<Diagnosis> {
    let facts = obs.facts;
    let status = facts.status.map_or_else(|| "a response".to_owned(), |s| s.to_string());
    let short_write = facts.bytes_total.is_some_and(|total| facts.bytes_written < total);
    let h2 = facts.connection.as_ref().is_some_and(|c| c.http2);
    if (short_write && !h2) || facts.early_response_after_write_error {
        let unread = facts.bytes_total.map(|t| t.saturating_sub(facts.bytes_written));
        let confidence = if short_write && !h2 { Confidence::High } else { Confidence::Medium };
        if facts.early_response_after_write_error {
            evidence
                .push("writing the request body failed after the server had answered".to_owned());
        }
        let unread_text = unread.map_or_else(
            || "the request body".to_owned(),
            |n| format!("{} of the request body", bytes(n)),
        );
        return Some(Diagnosis {
            cause: Cause::UnreadRequestBody,
            confidence,
            summary: format!(
                "the server answered {status} before reading the whole request and closed the connection with {unread_text} unread (the kernel then resets it)"
            ),
            evidence: evidence.0,
            may_have_executed: Executed::Yes,
            hint: format!(
                "the server answered {status} and closed with {unread_text} unread: it must read (drain) the body before closing, or reject with `Connection: close` before the client sends it (`Expect: 100-continue`); other clients see ECONNRESET here, and a blind retry replays the request"
            ),
        });
    }
    if facts.complete_then_reset {
        if facts.request_body_bytes > 0 {
            return Some(Diagnosis {
                cause: Cause::UnreadRequestBody,
                confidence: Confidence::Medium,
                summary: format!(
                    "the server answered {status} completely, then reset the connection; the request carried a {} body it may not have read",
                    bytes(facts.request_body_bytes)
                ),
                evidence: evidence.0,
                may_have_executed: Executed::Yes,
                hint: "a server that closes with request bytes unread makes the kernel send RST instead of FIN: read (drain) the request body before closing; clients that read after the answer see ECONNRESET".to_owned(),
            });
        }
        return Some(Diagnosis {
            cause: Cause::AbortiveClose,
            confidence: Confidence::Medium,
            summary: format!(
                "the server answered {status} completely, then reset the connection (an abortive close)"
            ),
            evidence: evidence.0,
            may_have_executed: Executed::Yes,
            hint: "the server (or a proxy) closes with RST instead of FIN after answering, e.g. SO_LINGER 0: close gracefully (shut down the write side, then close), and send `Connection: close` when the connection will not be reused".to_owned(),
        });
    }
    if facts.framing == Some(Framing::CloseDelimited) && facts.ended_with == End::Rst {
        return Some(Diagnosis {
            cause: Cause::CloseDelimitedUnknown,
            confidence: Confidence::High,
            summary: format!(
                "the {status} response was framed by the connection's close, and the close was a reset: its completeness cannot be proven"
            ),
            evidence: evidence.0,
            may_have_executed: Executed::Yes,
            hint: "make the server frame its responses (`Content-Length`, or chunked over HTTP/1.1) or close gracefully; `--strict-framing` fails such responses".to_owned(),
        });
    }
    None
}

fn diagnose_failure(
    obs: &Observation<'_>,
    failure: &FailureFacts,
    mut evidence: Evidence,
) -> Diagnosis {
    let facts = obs.facts;
    let verdict = executed(facts);
    let conn = facts.connection.as_ref();
    let reused = conn.is_some_and(|c| c.reused);
    let connection_failure =
        matches!(failure.kind, ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::Eof);
    let no_response = facts.bytes_read == 0 && facts.status.is_none();
    if failure.kind == ErrorKind::Refused {
        return Diagnosis {
            cause: Cause::ConnectRefused,
            confidence: Confidence::High,
            summary: "the connection was refused: nothing listens there".to_owned(),
            evidence: evidence.0,
            may_have_executed: Executed::No,
            hint: format!(
                "nothing accepts connections for {}: start the service first (or wait for it with `[Options] retry`), or check the host and port",
                obs.url
            ),
        };
    }
    let overflowed = obs
        .kernel
        .is_some_and(|k| k.moved("TcpExt.ListenOverflows") + k.moved("TcpExt.ListenDrops") > 0);
    // Only a connect that timed out: a full accept queue drops the SYN (no RST unless
    // `tcp_abort_on_overflow`), so a reset is never read as an overflow on counters alone.
    if overflowed && failure.kind == ErrorKind::Timeout && failure.phase == Phase::Connect {
        return Diagnosis {
            cause: Cause::BacklogOverflow,
            confidence: Confidence::Low,
            summary: "the connect timed out while the kernel counted listen-queue overflows".to_owned(),
            evidence: evidence.0,
            may_have_executed: verdict,
            hint: "the server's accept queue may be full: accept faster (more workers), raise the backlog (`listen(1024)`, `net.core.somaxconn`), or lower the client's concurrency; the counters are host-wide, so confirm with `nstat -az TcpExtListenOverflows` while only this service runs".to_owned(),
        };
    }
    if failure.kind == ErrorKind::Timeout {
        let connecting = failure.phase <= Phase::Tls;
        return Diagnosis {
            cause: Cause::Timeout,
            confidence: Confidence::High,
            summary: format!("a time limit expired while {}", failure.phase.describe()),
            evidence: evidence.0,
            may_have_executed: verdict,
            hint: if connecting {
                "the server did not accept the connection in time: it is down, overloaded (a full accept backlog), or a firewall drops the packets; raise `--connect-timeout` only if it is slow on purpose".to_owned()
            } else {
                "the server did not answer completely within the time limit: it is slow or stuck on this request (look at its log at this time); raise `--max-time` / `[Options] max-time` only if it is slow on purpose".to_owned()
            },
        };
    }
    if reused
        && connection_failure
        && no_response
        && matches!(failure.phase, Phase::Write | Phase::AwaitResponse)
    {
        let idle = conn.and_then(|c| c.idle).unwrap_or_default();
        let loopback = conn.is_some_and(|c| c.remote_addr.ip().is_loopback());
        if !loopback && idle >= MIDDLEBOX_IDLE && failure.kind != ErrorKind::Eof {
            return Diagnosis {
                cause: Cause::MiddleboxIdle,
                confidence: Confidence::Low,
                summary: format!(
                    "a connection idle for {} was reset when reused, with no close seen before",
                    secs(idle)
                ),
                evidence: evidence.0,
                may_have_executed: verdict,
                hint: format!(
                    "something between client and server (NAT, load balancer, firewall) may drop connections idle for {}: keep the client's idle limit below the middlebox's idle timeout, or enable TCP keepalive",
                    secs(idle)
                ),
            };
        }
        // Idle far shorter than any idle timeout (the known one, or any plausible one):
        // not a keep-alive race. Fall through to `unknown`, saying why.
        if keepalive_race_too_short(obs) {
            evidence.push(format!(
                "the connection had been idle only {}: far too short for an idle timeout, so not a keep-alive race",
                secs(idle)
            ));
        }
    }
    if reused
        && connection_failure
        && no_response
        && matches!(failure.phase, Phase::Write | Phase::AwaitResponse)
        && !keepalive_race_too_short(obs)
    {
        let idle = conn.and_then(|c| c.idle).unwrap_or_default();
        let announced = conn.and_then(|c| c.last_keep_alive_timeout);
        let limit = announced.or(obs.learned_idle_limit.map(|(l, _)| l));
        let confidence = match limit {
            Some(limit) if idle * 2 >= limit => Confidence::High,
            _ => Confidence::Medium,
        };
        evidence.push(
            "no response byte arrived: the server most likely closed before reading the request, but that is not proof"
                .to_owned(),
        );
        let hint = match limit {
            Some(limit) => format!(
                "the server closes idle keep-alive connections after ~{} while this client reused one after {}; lower the client's idle limit below the server's or raise the server's keep-alive timeout; only idempotent requests may be retried",
                secs(limit),
                secs(idle)
            ),
            None => format!(
                "the server closed this keep-alive connection after {} idle just as the request went out: its keep-alive timeout is shorter than the client's idle limit; raise the server's keep-alive timeout or have it announce `Keep-Alive: timeout=N`, and lower the client's idle limit; only idempotent requests may be retried",
                secs(idle)
            ),
        };
        return Diagnosis {
            cause: Cause::KeepaliveRace,
            confidence,
            summary: format!(
                "the server closed the reused keep-alive connection (idle {}) as the request was sent",
                secs(idle)
            ),
            evidence: evidence.0,
            may_have_executed: verdict,
            hint,
        };
    }
    let response_started = facts.status.is_some() || facts.bytes_read > 0;
    if response_started
        && matches!(failure.kind, ErrorKind::ConnectionReset | ErrorKind::BrokenPipe)
    {
        return Diagnosis {
            cause: Cause::AbortiveClose,
            confidence: Confidence::High,
            summary: format!(
                "the server reset the connection after {} of its response had arrived",
                bytes(facts.bytes_read)
            ),
            evidence: evidence.0,
            may_have_executed: Executed::Yes,
            hint: "the server (or a proxy) aborted the connection in the middle of its answer (SO_LINGER 0, a killed worker, a proxy timeout): look at the server's log at this time".to_owned(),
        };
    }
    let (summary, hint) = if response_started {
        (
            format!(
                "the server closed the connection before its response was complete ({} read)",
                bytes(facts.bytes_read)
            ),
            "a worker that died or a wrong Content-Length both look like this: look at the server's log at this time".to_owned(),
        )
    } else if connection_failure {
        (
            format!(
                "the connection ended ({}) before any response byte arrived",
                failure.kind.describe()
            ),
            "an abortive close (SO_LINGER 0), a listener closed with connections still queued, or a server process that exited all look like this: look at the server's log and its kernel counters (`nstat -az TcpExtListenOverflows TcpExtTCPAbortOnClose`) at this time".to_owned(),
        )
    } else {
        (
            format!("{} while {}", failure.kind.describe(), failure.phase.describe()),
            "the error message above says what failed; no connection-level cause fits it"
                .to_owned(),
        )
    };
    Diagnosis {
        cause: Cause::Unknown,
        confidence: Confidence::Low,
        summary,
        evidence: evidence.0,
        may_have_executed: verdict,
        hint,
    }
}

/// Whether a reused connection's idle time is far shorter than its idle limit (the one
/// announced or learned, else [`KEEPALIVE_RACE_MIN_IDLE`]): then no keep-alive race.
fn keepalive_race_too_short(obs: &Observation<'_>) -> bool {
    let conn = obs.facts.connection.as_ref();
    let idle = conn.and_then(|c| c.idle).unwrap_or_default();
    let announced = conn.and_then(|c| c.last_keep_alive_timeout);
    match announced.or(obs.learned_idle_limit.map(|(l, _)| l)) {
        Some(limit) => idle * 10 < limit,
        None => idle < KEEPALIVE_RACE_MIN_IDLE,
    }
}

/// Whether the server may have executed the request: it answered (yes), nothing of the
/// request can have reached it (no), or bytes were written and no answer came (unknown).
fn executed(facts: &AttemptFacts) -> Executed {
    if facts.status.is_some() {
        return Executed::Yes;
    }
    let before_write = facts.error.as_ref().is_some_and(|e| e.phase <= Phase::Checkout);
    if before_write || facts.bytes_written == 0 { Executed::No } else { Executed::Unknown }
}

/// The facts a diagnosis rests on, as short phrases.
struct Evidence(Vec<String>);

impl Evidence {
    fn of(obs: &Observation<'_>) -> Evidence {
        let facts = obs.facts;
        let mut items = Vec::new();
        if let Some(e) = &facts.error {
            let os = e.os.map(|os| format!(" ({os})")).unwrap_or_default();
            items.push(format!(
                "phase: {} ({}{os} while {})",
                e.phase.as_str(),
                e.kind.describe(),
                e.phase.describe()
            ));
        }
        if let Some(c) = &facts.connection {
            items.push(connection_phrase(c));
            if let Some(timeout) = c.last_keep_alive_timeout {
                items.push(format!(
                    "the server announced `Keep-Alive: timeout={}`",
                    timeout.as_secs()
                ));
            }
        } else {
            items.push("no connection was established".to_owned());
        }
        if let Some((limit, source)) = obs.learned_idle_limit {
            items.push(format!("learned idle limit for this origin: {} ({source})", secs(limit)));
        }
        match facts.bytes_total {
            Some(total) => {
                items.push(format!("request bytes written: {} of {}", facts.bytes_written, total));
            }
            None => items.push(format!("request bytes written: {}", facts.bytes_written)),
        }
        let status = facts.status.map(|s| format!(", status {s}")).unwrap_or_default();
        items.push(format!("response bytes read: {}{status}", facts.bytes_read));
        if let Some(framing) = facts.framing {
            let complete = match facts.body_complete {
                Some(true) => "complete",
                Some(false) => "incomplete",
                None => "completeness unknown",
            };
            items.push(format!("framing: {} (body {complete})", framing.as_str()));
        }
        let end_error = facts
            .socket_error
            .as_ref()
            .and_then(|s| s.os)
            .map(|os| format!(" ({os})"))
            .unwrap_or_default();
        items.push(format!("connection ended with: {}{end_error}", facts.ended_with.as_str()));
        if let Some(kernel) = obs.kernel {
            items.push(kernel.describe());
        }
        Evidence(items)
    }

    fn push(&mut self, item: String) {
        self.0.push(item);
    }
}

fn connection_phrase(c: &ConnectionFacts) -> String {
    match (c.reused, c.idle) {
        (true, Some(idle)) => format!(
            "connection {}: reused (use {}) after {} idle",
            c.id,
            c.reuse_count + 1,
            secs(idle)
        ),
        (true, None) => format!("connection {}: reused (use {})", c.id, c.reuse_count + 1),
        (false, _) => format!("connection {}: fresh", c.id),
    }
}

/// "1.20 s", "300 ms".
pub(crate) fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// "4.3 MB", "812 bytes".
pub(crate) fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} bytes"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}
