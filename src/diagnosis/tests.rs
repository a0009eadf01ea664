//! The classifier on synthetic facts: one row per cause, and the ambiguous cases that
//! must stay `unknown`.

use std::time::Duration;

use super::*;
use crate::transport::facts::{
    AttemptFacts, ConnectionFacts, ConnectionId, DiscardedConnection, End, ErrorKind, FailureFacts,
    Framing, Operation, OsError, Phase,
};
use ErrorKind::{ConnectionReset, Eof};
use Phase::AwaitResponse;

fn connection(reused: bool, idle_ms: u64, addr: &str) -> ConnectionFacts {
    ConnectionFacts {
        id: ConnectionId(1),
        reused,
        reuse_count: u32::from(reused),
        age: Duration::from_millis(idle_ms + 5),
        idle: reused.then(|| Duration::from_millis(idle_ms)),
        idle_eof_seen_before_checkout: false,
        last_connection_header: None,
        last_keep_alive_timeout: None,
        http2: false,
        tls: false,
        remote_addr: addr.parse().unwrap(),
        local_addr: None,
    }
}

/// Facts of an attempt on a connection (`reused`, `idle_ms`), failed or not.
fn facts(
    reused: bool,
    idle_ms: u64,
    failure: Option<(Phase, ErrorKind)>,
    written: u64,
    total: u64,
    read: u64,
    status: Option<u16>,
) -> AttemptFacts {
    let mut f = AttemptFacts::new();
    f.connection = Some(connection(reused, idle_ms, "127.0.0.1:8080"));
    f.bytes_written = written;
    f.bytes_total = Some(total);
    f.bytes_read = read;
    f.status = status;
    f.ended_with = End::Clean;
    if let Some((phase, kind)) = failure {
        f.phase_reached = phase;
        f.ended_with = if kind == ErrorKind::Eof { End::Fin } else { End::Rst };
        f.error = Some(Box::new(FailureFacts {
            phase,
            kind,
            os: (kind == ErrorKind::ConnectionReset).then(|| OsError::from_errno(104)),
            operation: Operation::Read,
            message: String::new(),
        }));
    }
    f
}

fn diagnose(f: &AttemptFacts) -> Option<Diagnosis> {
    diagnose_attempt(&Observation {
        facts: f,
        method: "POST",
        url: "http://127.0.0.1:8080/x",
        learned_idle_limit: None,
        server_exit: None,
        kernel: None,
    })
}

#[test]
fn cause_table() {
    use Confidence::{High, Low, Medium};
    use ErrorKind::{Refused, Timeout};
    use Executed::{No, Unknown, Yes};
    use Phase::{Connect, ReadBody, ReadHeaders};
    let reset_mid_body = facts(false, 0, Some((ReadBody, ConnectionReset)), 90, 90, 500, Some(200));
    let mut early = facts(false, 0, None, 4_000_000, 8_000_000, 161, Some(413));
    early.framing = Some(Framing::ContentLength);
    let mut complete_then_reset = facts(false, 0, None, 90, 90, 200, Some(200));
    complete_then_reset.complete_then_reset = true;
    let mut post_then_reset = complete_then_reset.clone();
    post_then_reset.request_body_bytes = 40;
    let mut close_delimited = facts(false, 0, None, 90, 90, 200, Some(200));
    close_delimited.framing = Some(Framing::CloseDelimited);
    close_delimited.ended_with = End::Rst;
    let mut refused = facts(false, 0, Some((Connect, Refused)), 0, 90, 0, None);
    refused.connection = None;
    refused.bytes_total = None;
    let mut timed_out = facts(false, 0, Some((AwaitResponse, Timeout)), 90, 90, 0, None);
    timed_out.ended_with = End::Timeout;
    let rows: Vec<(&str, AttemptFacts, Cause, Confidence, Executed)> = vec![
        (
            "reused, written, reset unread",
            facts(true, 300, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None),
            Cause::KeepaliveRace,
            Medium,
            Unknown,
        ),
        (
            "reused, written, EOF",
            facts(true, 300, Some((AwaitResponse, Eof)), 90, 90, 0, None),
            Cause::KeepaliveRace,
            Medium,
            Unknown,
        ),
        ("early answer, body cut short", early, Cause::UnreadRequestBody, High, Yes),
        ("complete then RST, a body", post_then_reset, Cause::UnreadRequestBody, Medium, Yes),
        ("complete then RST, no body", complete_then_reset, Cause::AbortiveClose, Medium, Yes),
        ("reset mid-body", reset_mid_body, Cause::AbortiveClose, High, Yes),
        (
            "reset mid-headers",
            facts(false, 0, Some((ReadHeaders, ConnectionReset)), 90, 90, 20, None),
            Cause::AbortiveClose,
            High,
            Yes,
        ),
        ("close-delimited then RST", close_delimited, Cause::CloseDelimitedUnknown, High, Yes),
        ("refused", refused, Cause::ConnectRefused, High, No),
        ("response timeout", timed_out, Cause::Timeout, High, Unknown),
        (
            "fresh, reset before any response byte",
            facts(false, 0, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None),
            Cause::Unknown,
            Low,
            Unknown,
        ),
        (
            "fresh, FIN mid-body",
            facts(false, 0, Some((ReadBody, Eof)), 90, 90, 300, Some(200)),
            Cause::Unknown,
            Low,
            Yes,
        ),
    ];
    for (name, f, cause, confidence, executed) in rows {
        assert!(may_need_diagnosis(&f), "{name}: the shortcut must not hide it");
        let d = diagnose(&f).unwrap_or_else(|| panic!("{name}: no diagnosis"));
        assert_eq!(
            (d.cause, d.confidence, d.may_have_executed),
            (cause, confidence, executed),
            "{name}: {d:#?}"
        );
        assert!(!d.hint.is_empty() && !d.evidence.is_empty(), "{name}");
        assert!(!d.line().contains("GIL"), "{name}");
    }
}

#[test]
fn a_clean_exchange_has_no_diagnosis() {
    let mut f = facts(true, 10, None, 90, 90, 200, Some(200));
    f.framing = Some(Framing::ContentLength);
    assert_eq!(diagnose(&f), None);
    assert!(!may_need_diagnosis(&f));
    f.framing = Some(Framing::CloseDelimited);
    f.ended_with = End::Fin;
    assert_eq!(diagnose(&f), None);
}

#[test]
fn evidence_names_the_facts() {
    let f = facts(true, 300, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None);
    let d = diagnose(&f).unwrap();
    let all = d.evidence.join("\n");
    for needle in ["await_response", "ECONNRESET", "reused", "300 ms idle", "90 of 90", "read: 0"] {
        assert!(all.contains(needle), "{needle} missing from {all}");
    }
}

#[test]
fn a_known_idle_limit_raises_keepalive_race_confidence_and_names_it() {
    let mut f = facts(true, 4_200, Some((AwaitResponse, Eof)), 90, 90, 0, None);
    if let Some(c) = f.connection.as_mut() {
        c.last_keep_alive_timeout = Some(Duration::from_secs(5));
    }
    let d = diagnose(&f).unwrap();
    assert_eq!((d.cause, d.confidence), (Cause::KeepaliveRace, Confidence::High));
    assert!(d.hint.contains("~5.00 s") && d.hint.contains("4.20 s"), "{}", d.hint);
    assert!(d.evidence.iter().any(|e| e.contains("timeout=5")), "{:?}", d.evidence);
}

#[test]
fn a_reset_after_a_few_milliseconds_of_idleness_is_not_called_a_keepalive_race() {
    // No idle limit known, 2 ms idle: no server's idle timeout is that short.
    let f = facts(true, 2, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None);
    let d = diagnose(&f).unwrap();
    assert_eq!((d.cause, d.confidence), (Cause::Unknown, Confidence::Low));
    assert!(
        d.evidence.iter().any(|e| e.contains("too short for an idle timeout")),
        "{:?}",
        d.evidence
    );
    // A limit of 5 s announced, 200 ms idle: far from it, so not a race either.
    let mut f = facts(true, 200, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None);
    if let Some(c) = f.connection.as_mut() {
        c.last_keep_alive_timeout = Some(Duration::from_secs(5));
    }
    assert_eq!(diagnose(&f).unwrap().cause, Cause::Unknown);
    // 300 ms idle with no limit known stays a (medium-confidence) keep-alive race.
    let f = facts(true, 300, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None);
    assert_eq!(diagnose(&f).unwrap().cause, Cause::KeepaliveRace);
}

#[test]
fn a_long_idle_reset_through_a_non_loopback_peer_may_be_a_middlebox() {
    let mut f = facts(true, 90_000, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None);
    f.connection = Some(connection(true, 90_000, "10.0.0.7:443"));
    let d = diagnose(&f).unwrap();
    assert_eq!((d.cause, d.confidence), (Cause::MiddleboxIdle, Confidence::Low));
    // On loopback there is no middlebox: the same facts are the keep-alive race.
    f.connection = Some(connection(true, 90_000, "127.0.0.1:443"));
    assert_eq!(diagnose(&f).unwrap().cause, Cause::KeepaliveRace);
}

#[test]
fn a_server_exit_overrides_everything() {
    let f = facts(false, 0, Some((AwaitResponse, Eof)), 90, 90, 0, None);
    let d = diagnose_attempt(&Observation {
        facts: &f,
        method: "POST",
        url: "http://127.0.0.1:8080/x",
        learned_idle_limit: None,
        server_exit: Some("server `api` (pid 7) exited with status 99"),
        kernel: None,
    })
    .unwrap();
    assert_eq!((d.cause, d.may_have_executed), (Cause::ServerCrashed, Executed::Unknown));
    assert!(d.evidence.iter().any(|e| e.contains("status 99")), "{:?}", d.evidence);
}

#[test]
fn replaced_connections_are_prevention_not_failures() {
    let discarded = DiscardedConnection {
        id: ConnectionId(3),
        idle: Duration::from_millis(450),
        reason: "idle_eof",
        closed_after_idle: Some(Duration::from_millis(300)),
        os: None,
    };
    let d =
        diagnose_replaced(&discarded, Some((Duration::from_millis(150), "observed_idle_close")))
            .unwrap();
    assert_eq!(d.cause, Cause::StaleConnectionReplaced);
    assert!(d.cause.is_prevention());
    assert_eq!((d.confidence, d.may_have_executed), (Confidence::High, Executed::No));
    assert!(d.summary.contains("300 ms"), "{}", d.summary);
    // Retired by shakedown's own idle limit: nothing to diagnose.
    let own = DiscardedConnection { reason: "idle_timeout", closed_after_idle: None, ..discarded };
    assert_eq!(diagnose_replaced(&own, None), None);
}

#[test]
fn names_round_trip() {
    for cause in Cause::ALL {
        assert_eq!(Cause::parse(cause.as_str()), Some(cause));
        assert_eq!(Cause::ALL[cause.index()], cause);
    }
    assert_eq!(Cause::parse("gil"), None);
}

#[test]
fn reproducible_needs_two_alike_failures() {
    let a =
        facts(false, 0, Some((Phase::AwaitResponse, ErrorKind::ConnectionReset)), 9, 9, 0, None);
    let b = facts(false, 0, Some((Phase::AwaitResponse, ErrorKind::Eof)), 9, 9, 0, None);
    assert_eq!(reproducible([&a, &a, &a]), Some(3));
    assert_eq!(reproducible([&a]), None);
    assert_eq!(reproducible([&a, &b]), None);
    assert_eq!(reproducible(std::iter::empty()), None);
}

#[test]
fn sentences() {
    let failure = crate::transport::TransportFailure {
        kind: ErrorKind::ConnectionReset,
        phase: Phase::AwaitResponse,
        os: Some(OsError::from_errno(104)),
        operation: Operation::Read,
        message: String::new(),
        reused: Some(false),
        idle: None,
    };
    let one = entry_failure_sentence(Some(&failure), None, &[]);
    assert_eq!(
        one,
        "connection reset by peer (ECONNRESET, errno 104) while waiting for the response on a fresh connection"
    );
    assert!(entry_failure_sentence(Some(&failure), Some(3), &[]).contains("all 3 attempts"));
    assert_eq!(entry_failure_sentence(None, None, &["w".to_owned()]), "w (--strict-framing)");
    let mut f = AttemptFacts::new();
    f.complete_then_reset = true;
    assert!(framing_warning(&f).is_some_and(|w| w.contains("complete by its framing")));
}

const NETSTAT: &str = "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPAbortOnClose TCPAbortOnData\n\
TcpExt: 0 3 4 10 20\n\
IpExt: InNoRoutes\n\
IpExt: 0\n";
const SNMP: &str =
    "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm OutRsts EstabResets\nTcp: 1 100 7\n";

#[test]
fn kernel_counters_parse_and_their_deltas_are_evidence() {
    let before = KernelCounters::parse(NETSTAT, SNMP);
    assert!(!before.is_empty());
    assert_eq!(before.0[0], Some(3));
    assert_eq!(before.0[6], Some(100));
    assert_eq!(before.0[4], None, "TCPAbortOnLinger is not in this table");
    let after = KernelCounters::parse(
        &NETSTAT.replace("0 3 4 10 20", "0 3 4 11 20"),
        &SNMP.replace("1 100 7", "1 102 7"),
    );
    let delta = before.delta(&after, Duration::from_millis(40));
    assert_eq!(delta.moved("TcpExt.TCPAbortOnClose"), 1);
    assert_eq!(delta.moved("Tcp.OutRsts"), 2);
    assert_eq!(delta.moved("TcpExt.ListenOverflows"), 0);
    let line = delta.describe();
    assert!(line.contains("TcpExt.TCPAbortOnClose +1, Tcp.OutRsts +2"), "{line}");
    assert!(line.contains("40 ms") && line.contains("noise"), "{line}");
    assert!(KernelCounters::parse("garbage", "").is_empty());
    let f = facts(true, 300, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None);
    let d = diagnose_attempt(&Observation {
        facts: &f,
        method: "GET",
        url: "http://127.0.0.1:8080/x",
        learned_idle_limit: None,
        server_exit: None,
        kernel: Some(&delta),
    })
    .unwrap();
    assert_eq!(d.cause, Cause::KeepaliveRace, "counters add evidence, they do not decide here");
    assert!(d.evidence.iter().any(|e| e.contains("TCPAbortOnClose +1")), "{:?}", d.evidence);
}

#[test]
fn listen_overflows_name_a_backlog_overflow_only_for_a_connect_timeout() {
    let before = KernelCounters::parse(NETSTAT, SNMP);
    let after = KernelCounters::parse(&NETSTAT.replace("0 3 4 10 20", "0 5 6 10 20"), SNMP);
    let delta = before.delta(&after, Duration::from_millis(40));
    let observe = |f: &AttemptFacts| {
        diagnose_attempt(&Observation {
            facts: f,
            method: "GET",
            url: "http://127.0.0.1:8080/x",
            learned_idle_limit: None,
            server_exit: None,
            kernel: Some(&delta),
        })
        .unwrap()
    };
    let mut connect = facts(false, 0, Some((Phase::Connect, ErrorKind::Timeout)), 0, 90, 0, None);
    connect.connection = None;
    let d = observe(&connect);
    assert_eq!((d.cause, d.confidence), (Cause::BacklogOverflow, Confidence::Low));
    // Host-wide counters moved by other traffic never turn a reset into an overflow.
    let fresh = facts(false, 0, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None);
    assert_eq!(observe(&fresh).cause, Cause::Unknown);
    let mut waiting = facts(false, 0, Some((AwaitResponse, ErrorKind::Timeout)), 90, 90, 0, None);
    waiting.ended_with = End::Timeout;
    assert_eq!(observe(&waiting).cause, Cause::Timeout);
    let reused = facts(true, 300, Some((AwaitResponse, ConnectionReset)), 90, 90, 0, None);
    assert_eq!(observe(&reused).cause, Cause::KeepaliveRace);
}
