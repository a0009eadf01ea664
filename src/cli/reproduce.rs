//! `shakedown explain REPORT.json --reproduce`: a fault plan (the format of `suite::faults`)
//! that makes each diagnosed cause of a stored report happen again in front of the locally
//! launched server, so a fix (a server setting, a client idle limit) can be shown to make
//! the failure go away, and the plan kept as a regression layer.
//!
//! Reads only what it needs of `shakedown.report/v1`: the causes of `diagnoses[]`, the
//! idle time and bytes read of each failed attempt in `ledger[]`, the learned idle limits,
//! the number of requests, and the seed of a `faults` section. The mapping, cause by cause:
//!
//! | cause | fault |
//! |---|---|
//! | `keepalive_race`, `middlebox_idle` | `idle_close`, `mode = "rst"`, `idle` = the learned idle limit when it is below the idle seen, else half the shortest idle seen |
//! | `stale_connection_replaced` | `idle_close`, `mode = "fin"` (the same idle rule) |
//! | `unread_request_body` | `unread_body_reset` |
//! | `abortive_close` | `reset_peer` after the fewest response bytes seen, per request, at the rate seen |
//! | `backlog_overflow` | `accept_backlog` |
//! | `timeout` | `timeout` (a black hole), per request, at the rate seen |
//!
//! `connect_refused`, `server_crashed`, `close_delimited_unknown` and `unknown` cannot be
//! made by a proxy in front of a running server; the plan lists them in a comment, with why.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

/// The parts of a report the plan is made from.
#[derive(Debug, Default, Deserialize)]
pub struct ReportFacts {
    #[serde(default)]
    diagnoses: Vec<CauseOnly>,
    #[serde(default)]
    ledger: Vec<LedgerFacts>,
    #[serde(default)]
    run: RunFacts,
    #[serde(default)]
    faults: Option<SeedOnly>,
}

#[derive(Debug, Deserialize)]
struct CauseOnly {
    cause: String,
}

#[derive(Debug, Default, Deserialize)]
struct LedgerFacts {
    #[serde(default)]
    connection: Option<ConnectionFacts>,
    #[serde(default)]
    bytes: BytesFacts,
    #[serde(default)]
    diagnoses: Vec<CauseOnly>,
}

#[derive(Debug, Default, Deserialize)]
struct ConnectionFacts {
    #[serde(default)]
    idle_ms: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct BytesFacts {
    #[serde(default)]
    read: u64,
}

#[derive(Debug, Default, Deserialize)]
struct RunFacts {
    #[serde(default)]
    learned_idle_limits: Vec<LearnedLimit>,
    #[serde(default)]
    retry_budget: Option<RequestsOnly>,
}

#[derive(Debug, Deserialize)]
struct LearnedLimit {
    idle_limit_ms: u64,
}

#[derive(Debug, Deserialize)]
struct RequestsOnly {
    #[serde(default)]
    requests: u64,
}

#[derive(Debug, Deserialize)]
struct SeedOnly {
    seed: u64,
}

/// What the report says about one cause.
#[derive(Debug, Default)]
struct Seen {
    count: usize,
    /// Idle times of the failed attempts (ms).
    idle_ms: Vec<u64>,
    /// Response bytes read by the failed attempts.
    bytes_read: Vec<u64>,
}

/// Why a cause has no fault, for the plan's comment.
fn not_reproducible(cause: &str) -> &'static str {
    match cause {
        "connect_refused" => {
            "the proxy always accepts: stop the server or close its listener to see it"
        }
        "server_crashed" => "the server process died: a proxy cannot kill it",
        "close_delimited_unknown" => {
            "the server's own framing (a body delimited by the close): a proxy does not change it"
        }
        _ => "the evidence does not single out a cause, so there is nothing precise to inject",
    }
}

/// The plan's text: a commented TOML fault plan, readable by `suite::parse_fault_plan`.
/// With `only`, just that cause.
pub fn plan(report_name: &str, facts: &ReportFacts, only: Option<&str>) -> String {
    let mut seen: BTreeMap<&str, Seen> = BTreeMap::new();
    for d in facts.diagnoses.iter().filter(|d| only.is_none_or(|c| c == d.cause)) {
        seen.entry(d.cause.as_str()).or_default().count += 1;
    }
    for record in &facts.ledger {
        for d in record.diagnoses.iter().filter(|d| only.is_none_or(|c| c == d.cause)) {
            let entry = seen.entry(d.cause.as_str()).or_default();
            if let Some(idle) = record.connection.as_ref().and_then(|c| c.idle_ms) {
                entry.idle_ms.push(idle.max(0.0) as u64);
            }
            entry.bytes_read.push(record.bytes.read);
        }
    }
    let learned = facts.run.learned_idle_limits.iter().map(|l| l.idle_limit_ms).min();
    let requests = facts.run.retry_budget.as_ref().map_or(0, |b| b.requests);
    let seed = facts.faults.as_ref().map_or(1, |f| f.seed);

    let mut out = String::new();
    let _ = writeln!(out, "# A fault plan that reproduces the causes diagnosed in {report_name},");
    let _ = writeln!(out, "# written by `shakedown explain --reproduce` (docs/proxy.md).");
    let _ =
        writeln!(out, "# Run it: shakedown run --faults THIS_FILE (or paste it under [faults]).");
    let _ = writeln!(out, "seed = {seed}");
    let mut skipped: Vec<String> = Vec::new();
    let mut written = 0;
    for (cause, s) in &seen {
        let idle = idle_for(learned, &s.idle_ms);
        let rate = rate(s.count, requests);
        let body = match *cause {
            "keepalive_race" | "middlebox_idle" => {
                format!("type = \"idle_close\"\nidle = {idle}\nmode = \"rst\"\n")
            }
            "stale_connection_replaced" => {
                format!("type = \"idle_close\"\nidle = {idle}\nmode = \"fin\"\n")
            }
            "unread_request_body" => "type = \"unread_body_reset\"\n".to_owned(),
            "abortive_close" => format!(
                "type = \"reset_peer\"\nstream = \"downstream\"\nbytes = {}\nper = \"request\"\ntoxicity = {rate}\n",
                s.bytes_read.iter().copied().filter(|b| *b > 0).min().unwrap_or(1)
            ),
            "backlog_overflow" => "type = \"accept_backlog\"\nafter = 0\nhold = 1000\n".to_owned(),
            "timeout" => {
                format!("type = \"timeout\"\ntimeout = 0\nper = \"request\"\ntoxicity = {rate}\n")
            }
            other => {
                skipped.push(format!("# {other} ({}): {}", s.count, not_reproducible(other)));
                continue;
            }
        };
        written += 1;
        let _ = writeln!(out, "\n# {cause}: {} diagnosis(es) in the report", s.count);
        let _ = write!(out, "[[fault]]\nname = \"{cause}\"\n{body}");
    }
    if written == 0 {
        let _ = writeln!(out, "\n# No diagnosed cause can be reproduced by the fault proxy.");
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "\n# Not reproducible by a proxy in front of the server:");
        for line in skipped {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// The idle time of an `idle_close`: the learned idle limit when it is below every idle seen,
/// else half the shortest idle seen (so the next reuse surely comes after it), else 100 ms.
fn idle_for(learned: Option<u64>, seen: &[u64]) -> u64 {
    let shortest = seen.iter().copied().min();
    match (learned, shortest) {
        (Some(l), Some(s)) if l > 0 && l < s => l,
        (_, Some(s)) => (s / 2).max(1),
        (Some(l), None) if l > 0 => l,
        _ => 100,
    }
}

/// The share of requests a cause hit, as a toxicity (at least 0.01, at most 1).
fn rate(count: usize, requests: u64) -> String {
    if requests == 0 {
        return "1.0".to_owned();
    }
    let share = (count as f64 / requests as f64).clamp(0.01, 1.0);
    format!("{share:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault_proxy::plan::{CloseMode, FaultKind};

    #[test]
    fn each_cause_becomes_its_fault_and_the_plan_parses() {
        let report = serde_json::json!({
            "diagnoses": [
                {"cause": "keepalive_race"}, {"cause": "unread_request_body"},
                {"cause": "abortive_close"}, {"cause": "server_crashed"},
                {"cause": "backlog_overflow"}, {"cause": "connect_refused"},
            ],
            "ledger": [
                {"connection": {"idle_ms": 450.2}, "bytes": {"read": 0},
                 "diagnoses": [{"cause": "keepalive_race"}]},
                {"connection": {"idle_ms": null}, "bytes": {"read": 70},
                 "diagnoses": [{"cause": "abortive_close"}]},
            ],
            "run": {"learned_idle_limits": [], "retry_budget": {"requests": 50}},
            "faults": {"seed": 9},
        });
        let facts: ReportFacts = serde_json::from_value(report).unwrap();
        let text = plan("r.json", &facts, None);
        let def = crate::suite::parse_fault_plan(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert_eq!(def.seed(), Some(9));
        let kinds: Vec<(&str, &FaultKind)> =
            def.plan().faults().iter().map(|f| (f.name.as_str(), &f.kind)).collect();
        assert!(kinds.contains(&(
            "keepalive_race",
            &FaultKind::IdleClose { idle_ms: 225, mode: CloseMode::Rst }
        )));
        assert!(kinds.contains(&("unread_request_body", &FaultKind::UnreadBodyReset)));
        assert!(kinds.contains(&(
            "abortive_close",
            &FaultKind::ResetPeer { timeout_ms: 0, after_bytes: Some(70) }
        )));
        assert!(kinds.contains(&(
            "backlog_overflow",
            &FaultKind::AcceptBacklog { after: 0, hold_ms: 1000 }
        )));
        let abortive = def.plan().faults().iter().find(|f| f.name == "abortive_close").unwrap();
        assert_eq!(abortive.toxicity, 0.02);
        assert!(text.contains("# server_crashed (1): the server process died"), "{text}");
        assert!(text.contains("# connect_refused (1): the proxy always accepts"), "{text}");
    }

    fn facts_of_two() -> ReportFacts {
        serde_json::from_value(serde_json::json!({
            "diagnoses": [{"cause": "keepalive_race"}, {"cause": "unread_request_body"}],
        }))
        .unwrap()
    }

    #[test]
    fn the_idle_time_prefers_a_learned_limit_below_the_idle_seen() {
        assert_eq!(idle_for(Some(300), &[450, 600]), 300);
        assert_eq!(idle_for(Some(900), &[450]), 225);
        assert_eq!(idle_for(None, &[]), 100);
        assert_eq!(idle_for(Some(80), &[]), 80);
        let empty = plan("r.json", &ReportFacts::default(), None);
        let only = plan("r.json", &facts_of_two(), Some("unread_request_body"));
        assert!(only.contains("unread_body_reset") && !only.contains("idle_close"), "{only}");
        assert!(empty.contains("No diagnosed cause can be reproduced"), "{empty}");
        assert!(crate::suite::parse_fault_plan(&empty).is_ok());
    }
}
