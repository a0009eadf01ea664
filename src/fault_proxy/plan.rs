//! Fault plans (pure): the faults a proxy injects, their parameters and their validation.
//!
//! One validator serves both spellings of a fault: the command line's
//! `TYPE:key=value,...` ([`Fault::parse_spec`]) and the control API's Toxiproxy-like JSON
//! (`{"name", "type", "stream", "toxicity", "per", "attributes": {...}}`, see
//! [`Fault::from_parts`]). Every value is checked here, so the I/O side never meets an invalid
//! fault: rates are positive, slices are non-empty, durations are bounded (10 minutes).

use std::fmt;

/// The longest delay any fault may ask for, in milliseconds (10 minutes).
pub const MAX_MS: u64 = 600_000;

/// Which way the bytes a fault acts on flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Client → server (requests).
    Upstream,
    /// Server → client (responses). Toxiproxy's default.
    Downstream,
}

impl Stream {
    /// `upstream` or `downstream`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Upstream => "upstream",
            Stream::Downstream => "downstream",
        }
    }
}

/// What a toxicity roll is drawn for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Once per connection, when it is accepted (Toxiproxy's behaviour).
    Connection,
    /// Once per HTTP/1.1 request on the connection (counted by the proxy's own framing parser).
    Request,
}

impl Scope {
    /// `connection` or `request`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Connection => "connection",
            Scope::Request => "request",
        }
    }
}

/// How `idle_close` closes an idle keep-alive connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseMode {
    /// A FIN once the connection has been idle: the client's pool can see it before reuse.
    Fin,
    /// Nothing while idle, then an RST as soon as the next request arrives: the request was
    /// written and is lost, as when a server closes with the request already buffered.
    Rst,
}

/// A fault and its parameters. Durations are milliseconds unless the name says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Delay every chunk by `latency` ± `jitter`.
    Latency {
        /// Base delay.
        latency_ms: u64,
        /// Maximum deviation either way (drawn from the connection's seeded generator).
        jitter_ms: u64,
    },
    /// Throttle to `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy).
    Bandwidth {
        /// Kilobytes per second, at least 1.
        rate_kb: u64,
    },
    /// Delay the close (FIN) by `delay` after the source closed.
    SlowClose {
        /// The delay.
        delay_ms: u64,
    },
    /// A black hole: drop every byte; close the connection after `timeout` (0: never).
    Timeout {
        /// When to close, 0 = keep it open until the client gives up.
        timeout_ms: u64,
    },
    /// On the first byte (or after `bytes` bytes), wait `timeout`, then reset (RST) the client.
    ResetPeer {
        /// The wait before the reset.
        timeout_ms: u64,
        /// Let this many bytes of the scope through first.
        after_bytes: Option<u64>,
    },
    /// Split the data into segments of `average_size` ± `size_variation` bytes, `delay` µs apart.
    Slicer {
        /// Mean segment size, at least 1.
        average_size: u64,
        /// Maximum deviation, below `average_size`.
        size_variation: u64,
        /// Pause between segments, in microseconds.
        delay_us: u64,
    },
    /// Close the connection (FIN) once `bytes` bytes of the scope went through.
    LimitData {
        /// The byte budget.
        bytes: u64,
    },
    /// Close a keep-alive connection once it has been idle `idle` after a complete response.
    IdleClose {
        /// The idle time.
        idle_ms: u64,
        /// FIN, or RST when the next request arrives.
        mode: CloseMode,
    },
    /// Answer a request that carries a body, then reset the connection (the server "left the
    /// body unread"): the client gets the whole response, then `ECONNRESET`.
    UnreadBodyReset,
    /// After `after` accepted connections, stop accepting for `hold`, so connections queue in
    /// the kernel's backlog; then accept each queued one and reset it.
    AcceptBacklog {
        /// Connections accepted normally first.
        after: u64,
        /// How long connections queue.
        hold_ms: u64,
    },
}

impl FaultKind {
    /// The Toxiproxy-style type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            FaultKind::Latency { .. } => "latency",
            FaultKind::Bandwidth { .. } => "bandwidth",
            FaultKind::SlowClose { .. } => "slow_close",
            FaultKind::Timeout { .. } => "timeout",
            FaultKind::ResetPeer { .. } => "reset_peer",
            FaultKind::Slicer { .. } => "slicer",
            FaultKind::LimitData { .. } => "limit_data",
            FaultKind::IdleClose { .. } => "idle_close",
            FaultKind::UnreadBodyReset => "unread_body_reset",
            FaultKind::AcceptBacklog { .. } => "accept_backlog",
        }
    }

    /// The attributes as (key, value) pairs, in the spelling [`Fault::from_parts`] reads.
    pub fn attributes(&self) -> Vec<(&'static str, AttrValue)> {
        use AttrValue::{Number, Text};
        match self {
            FaultKind::Latency { latency_ms, jitter_ms } => {
                vec![("latency", Number(*latency_ms)), ("jitter", Number(*jitter_ms))]
            }
            FaultKind::Bandwidth { rate_kb } => vec![("rate", Number(*rate_kb))],
            FaultKind::SlowClose { delay_ms } => vec![("delay", Number(*delay_ms))],
            FaultKind::Timeout { timeout_ms } => vec![("timeout", Number(*timeout_ms))],
            FaultKind::ResetPeer { timeout_ms, after_bytes } => {
                let mut v = vec![("timeout", Number(*timeout_ms))];
                if let Some(b) = after_bytes {
                    v.push(("bytes", Number(*b)));
                }
                v
            }
            FaultKind::Slicer { average_size, size_variation, delay_us } => vec![
                ("average_size", Number(*average_size)),
                ("size_variation", Number(*size_variation)),
                ("delay", Number(*delay_us)),
            ],
            FaultKind::LimitData { bytes } => vec![("bytes", Number(*bytes))],
            FaultKind::IdleClose { idle_ms, mode } => vec![
                ("idle", Number(*idle_ms)),
                (
                    "mode",
                    Text(match mode {
                        CloseMode::Fin => "fin",
                        CloseMode::Rst => "rst",
                    }),
                ),
            ],
            FaultKind::UnreadBodyReset => Vec::new(),
            FaultKind::AcceptBacklog { after, hold_ms } => {
                vec![("after", Number(*after)), ("hold", Number(*hold_ms))]
            }
        }
    }

    /// Whether a toxicity roll may be per request (false for `accept_backlog`, which acts on
    /// connections before any byte).
    pub fn takes_scope(&self) -> bool {
        !matches!(self, FaultKind::AcceptBacklog { .. })
    }

    /// Whether the fault acts on one stream (false: on the connection or the listener).
    pub fn has_stream(&self) -> bool {
        !matches!(
            self,
            FaultKind::IdleClose { .. }
                | FaultKind::UnreadBodyReset
                | FaultKind::AcceptBacklog { .. }
        )
    }
}

/// An attribute value as shown by the control API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrValue {
    /// A number.
    Number(u64),
    /// A word.
    Text(&'static str),
}

/// One fault of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Unique in its plan (default `TYPE_STREAM`, as Toxiproxy); also keys the seeded rolls.
    pub name: String,
    /// What it does.
    pub kind: FaultKind,
    /// The bytes it acts on. For the faults that act on the whole connection it is
    /// `Downstream`: the client is the one who sees them.
    pub stream: Stream,
    /// Probability, 0.0..=1.0, that a roll hits.
    pub toxicity: f64,
    /// What a roll is drawn for.
    pub scope: Scope,
}

/// Why a fault is invalid. Rendered once by the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `--fault` text without a type.
    #[error(
        "`{0}` is not a fault: write TYPE or TYPE:key=value,... (e.g. reset_peer:toxicity=0.1)"
    )]
    Syntax(String),
    /// An unknown fault type.
    #[error("unknown fault type `{0}`; known: {KNOWN}")]
    UnknownType(String),
    /// A key this fault does not take.
    #[error("fault `{fault}` has no parameter `{key}`; it takes: {takes}")]
    UnknownKey {
        /// The fault type.
        fault: &'static str,
        /// The key.
        key: String,
        /// The keys it takes.
        takes: String,
    },
    /// A key given twice.
    #[error("parameter `{0}` is given twice")]
    DuplicateKey(String),
    /// A bad value.
    #[error("parameter `{key}` = `{value}`: {expected}")]
    BadValue {
        /// The key.
        key: String,
        /// The value as given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// Two faults with one name.
    #[error("a fault named `{0}` already exists")]
    DuplicateName(String),
    /// No fault with this name.
    #[error("no fault named `{0}`")]
    NoSuchFault(String),
}

const KNOWN: &str = "latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, idle_close, unread_body_reset, accept_backlog";

/// Every fault type, in the documentation's order.
pub const FAULT_TYPES: &[&str] = &[
    "latency",
    "bandwidth",
    "slow_close",
    "timeout",
    "reset_peer",
    "slicer",
    "limit_data",
    "idle_close",
    "unread_body_reset",
    "accept_backlog",
];

/// The keys every fault takes (accept_backlog: not `stream` or `per`).
const COMMON: &[&str] = &["name", "stream", "toxicity", "per"];

/// The parameters of a fault type besides the common `name`, `stream`, `toxicity` and `per`.
pub fn parameters(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "latency" => &["latency", "jitter"],
        "bandwidth" => &["rate"],
        "slow_close" => &["delay"],
        "timeout" => &["timeout"],
        "reset_peer" => &["timeout", "bytes"],
        "slicer" => &["average_size", "size_variation", "delay"],
        "limit_data" => &["bytes"],
        "idle_close" => &["idle", "mode"],
        "unread_body_reset" => &[],
        "accept_backlog" => &["after", "hold"],
        _ => return None,
    })
}

/// Reads the named parameters of one fault.
struct Params<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl Params<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn number(&self, key: &str, default: Option<u64>, max: u64) -> Result<u64, PlanError> {
        match self.get(key) {
            None => default.ok_or_else(|| PlanError::BadValue {
                key: key.to_owned(),
                value: String::new(),
                expected: "is required".to_owned(),
            }),
            Some(text) => match text.trim().parse::<u64>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(PlanError::BadValue {
                    key: key.to_owned(),
                    value: text.to_owned(),
                    expected: format!("expected a whole number from 0 to {max}"),
                }),
            },
        }
    }

    fn ms(&self, key: &str, default: Option<u64>) -> Result<u64, PlanError> {
        self.number(key, default, MAX_MS)
    }
}

fn bad(key: &str, value: &str, expected: &str) -> PlanError {
    PlanError::BadValue {
        key: key.to_owned(),
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

impl Fault {
    /// Parses the command line's `TYPE` or `TYPE:key=value,key=value`.
    pub fn parse_spec(spec: &str) -> Result<Fault, PlanError> {
        let (kind, rest) = match spec.split_once(':') {
            Some((kind, rest)) => (kind.trim(), Some(rest)),
            None => (spec.trim(), None),
        };
        if kind.is_empty() {
            return Err(PlanError::Syntax(spec.to_owned()));
        }
        let mut pairs = Vec::new();
        for item in rest.into_iter().flat_map(|r| r.split(',')) {
            if item.trim().is_empty() {
                continue;
            }
            let (key, value) =
                item.split_once('=').ok_or_else(|| PlanError::Syntax(spec.to_owned()))?;
            pairs.push((key.trim(), value.trim()));
        }
        Fault::from_parts(kind, &pairs)
    }

    /// Builds a fault from its type and named parameters (the common keys `name`, `stream`,
    /// `toxicity`, `per`, and the type's own attributes), checking every value.
    pub fn from_parts(kind_name: &str, pairs: &[(&str, &str)]) -> Result<Fault, PlanError> {
        let own =
            parameters(kind_name).ok_or_else(|| PlanError::UnknownType(kind_name.to_owned()))?;
        let backlog = kind_name == "accept_backlog";
        let connection_wide = matches!(kind_name, "idle_close" | "unread_body_reset");
        for (i, (key, _)) in pairs.iter().enumerate() {
            let common_ok = COMMON.contains(key)
                && !(backlog && (*key == "stream" || *key == "per"))
                && !(connection_wide && *key == "stream");
            if !common_ok && !own.contains(key) {
                let mut takes: Vec<&str> = COMMON
                    .iter()
                    .copied()
                    .filter(|k| !(backlog && (*k == "stream" || *k == "per")))
                    .filter(|k| !(connection_wide && *k == "stream"))
                    .collect();
                takes.extend(own.iter().copied());
                return Err(PlanError::UnknownKey {
                    fault: own_name(kind_name),
                    key: (*key).to_owned(),
                    takes: takes.join(", "),
                });
            }
            if pairs[..i].iter().any(|(k, _)| k == key) {
                return Err(PlanError::DuplicateKey((*key).to_owned()));
            }
        }
        let p = Params { pairs: pairs.to_vec() };
        let kind = match kind_name {
            "latency" => FaultKind::Latency {
                latency_ms: p.ms("latency", Some(0))?,
                jitter_ms: p.ms("jitter", Some(0))?,
            },
            "bandwidth" => {
                let rate_kb = p.number("rate", None, 10_000_000)?;
                if rate_kb == 0 {
                    return Err(bad("rate", "0", "expected at least 1 (KB/s)"));
                }
                FaultKind::Bandwidth { rate_kb }
            }
            "slow_close" => FaultKind::SlowClose { delay_ms: p.ms("delay", Some(0))? },
            "timeout" => FaultKind::Timeout { timeout_ms: p.ms("timeout", Some(0))? },
            "reset_peer" => FaultKind::ResetPeer {
                timeout_ms: p.ms("timeout", Some(0))?,
                after_bytes: match p.get("bytes") {
                    Some(_) => Some(p.number("bytes", None, u64::MAX)?),
                    None => None,
                },
            },
            "slicer" => {
                let average_size = p.number("average_size", Some(64), 1 << 20)?;
                let size_variation = p.number("size_variation", Some(0), 1 << 20)?;
                if average_size == 0 {
                    return Err(bad("average_size", "0", "expected at least 1 byte"));
                }
                if size_variation >= average_size {
                    return Err(bad(
                        "size_variation",
                        &size_variation.to_string(),
                        "expected less than average_size",
                    ));
                }
                let delay_us = p.number("delay", Some(0), MAX_MS * 1000)?;
                FaultKind::Slicer { average_size, size_variation, delay_us }
            }
            "limit_data" => FaultKind::LimitData { bytes: p.number("bytes", None, u64::MAX)? },
            "idle_close" => FaultKind::IdleClose {
                idle_ms: p.ms("idle", None)?,
                mode: match p.get("mode").unwrap_or("fin") {
                    "fin" => CloseMode::Fin,
                    "rst" => CloseMode::Rst,
                    other => return Err(bad("mode", other, "expected fin or rst")),
                },
            },
            "unread_body_reset" => FaultKind::UnreadBodyReset,
            _ => FaultKind::AcceptBacklog {
                after: p.number("after", Some(0), u64::MAX)?,
                hold_ms: p.ms("hold", Some(1000))?,
            },
        };
        let stream = match p.get("stream") {
            None | Some("downstream") => Stream::Downstream,
            Some("upstream") => Stream::Upstream,
            Some(other) => return Err(bad("stream", other, "expected upstream or downstream")),
        };
        let toxicity = match p.get("toxicity") {
            None => 1.0,
            Some(text) => match text.trim().parse::<f64>() {
                Ok(t) if (0.0..=1.0).contains(&t) => t,
                _ => return Err(bad("toxicity", text, "expected a probability from 0.0 to 1.0")),
            },
        };
        let scope = match p.get("per") {
            None | Some("connection") => Scope::Connection,
            Some("request") => Scope::Request,
            Some(other) => return Err(bad("per", other, "expected connection or request")),
        };
        let name = match p.get("name") {
            Some(n) if valid_name(n) => n.to_owned(),
            Some(n) => {
                return Err(bad("name", n, "expected 1 to 64 letters, digits, `_`, `-` or `.`"));
            }
            None if kind.has_stream() => format!("{kind_name}_{}", stream.as_str()),
            None => kind_name.to_owned(),
        };
        Ok(Fault { name, kind, stream, toxicity, scope })
    }
}

fn own_name(kind: &str) -> &'static str {
    FAULT_TYPES.iter().copied().find(|k| *k == kind).unwrap_or("fault")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The faults a proxy injects, in the order they were added; names are unique.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    faults: Vec<Fault>,
}

impl FaultPlan {
    /// A plan from faults; fails on a repeated name.
    pub fn new(faults: Vec<Fault>) -> Result<FaultPlan, PlanError> {
        let mut plan = FaultPlan::default();
        for fault in faults {
            plan.add(fault)?;
        }
        Ok(plan)
    }

    /// The faults, in order.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// Adds a fault; fails if its name is taken.
    pub fn add(&mut self, fault: Fault) -> Result<(), PlanError> {
        if self.faults.iter().any(|f| f.name == fault.name) {
            return Err(PlanError::DuplicateName(fault.name));
        }
        self.faults.push(fault);
        Ok(())
    }

    /// Removes the fault named `name`.
    pub fn remove(&mut self, name: &str) -> Result<Fault, PlanError> {
        let at = self
            .faults
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| PlanError::NoSuchFault(name.to_owned()))?;
        Ok(self.faults.remove(at))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.name, self.kind.type_name())?;
        if self.kind.has_stream() {
            write!(f, ", {}", self.stream.as_str())?;
        }
        for (key, value) in self.kind.attributes() {
            match value {
                AttrValue::Number(n) => write!(f, ", {key}={n}")?,
                AttrValue::Text(t) => write!(f, ", {key}={t}")?,
            }
        }
        write!(f, ", toxicity={} per {})", self.toxicity, self.scope.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_type_takes_toxiproxy_defaults() {
        let f = Fault::parse_spec("reset_peer").unwrap();
        assert_eq!(f.name, "reset_peer_downstream");
        assert_eq!(f.kind, FaultKind::ResetPeer { timeout_ms: 0, after_bytes: None });
        assert_eq!(f.stream, Stream::Downstream);
        assert_eq!(f.toxicity, 1.0);
        assert_eq!(f.scope, Scope::Connection);
    }

    #[test]
    fn every_parameter_is_read() {
        let f = Fault::parse_spec(
            "reset_peer:toxicity=0.1,per=request,stream=upstream,timeout=20,bytes=5,name=r1",
        )
        .unwrap();
        assert_eq!(f.name, "r1");
        assert_eq!(f.kind, FaultKind::ResetPeer { timeout_ms: 20, after_bytes: Some(5) });
        assert_eq!(f.stream, Stream::Upstream);
        assert_eq!(f.toxicity, 0.1);
        assert_eq!(f.scope, Scope::Request);
        let f = Fault::parse_spec("latency:latency=100,jitter=10").unwrap();
        assert_eq!(f.kind, FaultKind::Latency { latency_ms: 100, jitter_ms: 10 });
        let f = Fault::parse_spec("idle_close:idle=50,mode=rst").unwrap();
        assert_eq!(f.kind, FaultKind::IdleClose { idle_ms: 50, mode: CloseMode::Rst });
        assert_eq!(f.name, "idle_close");
        let f = Fault::parse_spec("slicer:average_size=10,size_variation=3,delay=5").unwrap();
        assert_eq!(f.kind, FaultKind::Slicer { average_size: 10, size_variation: 3, delay_us: 5 });
        let f = Fault::parse_spec("accept_backlog:after=2,hold=30").unwrap();
        assert_eq!(f.kind, FaultKind::AcceptBacklog { after: 2, hold_ms: 30 });
        for spec in [
            "bandwidth:rate=5",
            "slow_close:delay=5",
            "timeout:timeout=0",
            "limit_data:bytes=10",
            "unread_body_reset",
        ] {
            let f = Fault::parse_spec(spec).unwrap();
            assert_eq!(spec.split(':').next(), Some(f.kind.type_name()));
        }
    }

    #[test]
    fn invalid_faults_are_named_errors() {
        let cases = [
            ("", "is not a fault"),
            ("reset", "unknown fault type `reset`"),
            ("reset_peer:toxcity=0.1", "has no parameter `toxcity`"),
            ("reset_peer:toxicity", "is not a fault"),
            ("reset_peer:toxicity=1.5", "probability"),
            ("reset_peer:toxicity=0.1,toxicity=0.2", "twice"),
            ("latency:latency=-1", "whole number"),
            ("latency:latency=999999999", "whole number from 0 to 600000"),
            ("bandwidth", "required"),
            ("bandwidth:rate=0", "at least 1"),
            ("slicer:average_size=4,size_variation=4", "less than average_size"),
            ("idle_close", "required"),
            ("idle_close:idle=5,mode=half", "fin or rst"),
            ("idle_close:idle=5,stream=upstream", "has no parameter `stream`"),
            ("accept_backlog:per=request", "has no parameter `per`"),
            ("reset_peer:stream=sideways", "upstream or downstream"),
            ("reset_peer:per=file", "connection or request"),
            ("reset_peer:name=a b", "letters"),
        ];
        for (spec, expected) in cases {
            let err = Fault::parse_spec(spec).unwrap_err().to_string();
            assert!(err.contains(expected), "{spec:?}: {err}");
        }
    }

    #[test]
    fn the_list_of_types_is_complete() {
        assert_eq!(KNOWN, FAULT_TYPES.join(", "));
        for kind in FAULT_TYPES {
            assert!(parameters(kind).is_some(), "{kind}");
        }
    }

    #[test]
    fn a_plan_keeps_names_unique() {
        let a = Fault::parse_spec("latency").unwrap();
        let err = FaultPlan::new(vec![a.clone(), a.clone()]).unwrap_err();
        assert_eq!(err, PlanError::DuplicateName("latency_downstream".into()));
        let mut plan = FaultPlan::new(vec![a]).unwrap();
        assert!(plan.remove("nope").is_err());
        assert_eq!(plan.remove("latency_downstream").unwrap().kind.type_name(), "latency");
        assert!(plan.faults().is_empty());
    }

    #[test]
    fn attributes_round_trip_through_from_parts() {
        for spec in [
            "latency:latency=3,jitter=1",
            "reset_peer:timeout=2,bytes=9,toxicity=0.5,per=request",
            "idle_close:idle=7,mode=rst",
            "accept_backlog:after=1,hold=2",
            "slicer:average_size=8,size_variation=2,delay=3",
        ] {
            let f = Fault::parse_spec(spec).unwrap();
            let attrs: Vec<(&str, String)> = f
                .kind
                .attributes()
                .into_iter()
                .map(|(k, v)| match v {
                    AttrValue::Number(n) => (k, n.to_string()),
                    AttrValue::Text(t) => (k, t.to_owned()),
                })
                .collect();
            let mut pairs: Vec<(&str, &str)> =
                attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let tox = f.toxicity.to_string();
            pairs.push(("toxicity", &tox));
            if f.kind.takes_scope() {
                pairs.push(("per", f.scope.as_str()));
            }
            pairs.push(("name", &f.name));
            if f.kind.has_stream() {
                pairs.push(("stream", f.stream.as_str()));
            }
            assert_eq!(Fault::from_parts(f.kind.type_name(), &pairs).unwrap(), f, "{spec}");
        }
    }
}
