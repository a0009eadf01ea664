//! The `faults` section of a `shakedown run` report with a fault plan: every fault the
//! proxies injected, the ledger attempt that met it and what became of it, and the counts.
//!
//! Typed DTOs (`Serialize` and `Deserialize`), built by `session::faults` from the proxies'
//! logs and the run's outcome tree. Every injected fault has exactly one `outcome`:
//! `absorbed` (the transaction that met it got its response: directly, or through a retry),
//! `failed` (the transaction failed), `prevented` (the client replaced the connection before
//! writing on it) or `never_met` (no request met it), so the four counts add up to
//! `injected`.

use serde::{Deserialize, Serialize};

/// `faults`: the plan, the proxies and every injected fault.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultsSection {
    /// The seed of every roll.
    pub seed: u64,
    /// Where the plan came from (`[faults]` in the suite, or a plan file).
    pub source: String,
    /// The faults of the plan, one line each.
    pub plan: Vec<String>,
    /// One proxy per fronted server start.
    pub proxies: Vec<ProxyDto>,
    /// The counts of `injected[]` by outcome.
    pub counts: FaultCountsDto,
    /// Every injected fault, proxy by proxy, in log order.
    pub injected: Vec<InjectedFaultDto>,
}

/// One fault proxy of the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyDto {
    /// The server it fronted (`main`, `main-w1`, `NAME`).
    pub server: String,
    /// Its listening address (what the scenarios were pointed at).
    pub listen: String,
    /// The server's own address.
    pub upstream: String,
    /// Connections it accepted.
    pub connections: u64,
    /// Injected faults not kept in its log (over its bound): unaccounted for.
    pub dropped: u64,
}

/// How the injected faults ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCountsDto {
    /// Faults injected (the sum of the four below).
    pub injected: u64,
    /// The transaction got its response anyway.
    pub absorbed: u64,
    /// The transaction failed.
    pub failed: u64,
    /// The client replaced the connection before writing on it.
    pub prevented: u64,
    /// No request met the fault.
    pub never_met: u64,
}

impl FaultCountsDto {
    /// Counts one outcome.
    pub fn add(&mut self, outcome: FaultOutcome) {
        self.injected += 1;
        match outcome {
            FaultOutcome::Absorbed => self.absorbed += 1,
            FaultOutcome::Failed => self.failed += 1,
            FaultOutcome::Prevented => self.prevented += 1,
            FaultOutcome::NeverMet => self.never_met += 1,
        }
    }

    /// The terminal's line: `faults: 12 injected: 9 absorbed, 2 failed, 1 prevented, 0 never met`.
    pub fn line(&self, seed: u64) -> String {
        format!(
            "faults: {} injected: {} absorbed, {} failed, {} prevented, {} never met (seed {seed})",
            self.injected, self.absorbed, self.failed, self.prevented, self.never_met
        )
    }
}

/// What became of one injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultOutcome {
    /// The transaction that met it got its response (directly or through a retry).
    Absorbed,
    /// The transaction that met it failed.
    Failed,
    /// The client replaced the connection before writing on it.
    Prevented,
    /// No request met it.
    NeverMet,
}

impl FaultOutcome {
    /// `absorbed`, `failed`, `prevented` or `never_met`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultOutcome::Absorbed => "absorbed",
            FaultOutcome::Failed => "failed",
            FaultOutcome::Prevented => "prevented",
            FaultOutcome::NeverMet => "never_met",
        }
    }
}

/// One injected fault and the attempt that met it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InjectedFaultDto {
    /// The proxy's server.
    pub server: String,
    /// Its position in that proxy's log, from 1.
    pub seq: u64,
    /// The proxy's connection number (from 1, in accept order).
    pub connection: u64,
    /// The request on that connection, when a request's bytes met the fault.
    pub request: Option<u64>,
    /// The fault's name in the plan.
    pub fault: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The stream it acted on.
    pub stream: String,
    /// What the proxy did (`reset`, `close`, ...).
    pub action: String,
    /// Milliseconds since that proxy started.
    pub at_ms: f64,
    /// Bytes forwarded on the stream before it acted.
    pub bytes: u64,
    /// The proxy's detail.
    pub detail: String,
    /// What became of it.
    pub outcome: FaultOutcome,
    /// The attempt that met it (or, for `prevented`, the attempt whose checkout replaced the
    /// connection).
    pub met_by: Option<MetByDto>,
}

/// A ledger attempt, by file, entry and attempt number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetByDto {
    /// The scenario file.
    pub file: String,
    /// The entry's index in the file (from 1).
    pub entry: usize,
    /// The entry's line.
    pub line: usize,
    /// The method sent.
    pub method: String,
    /// The URL sent.
    pub url: String,
    /// The attempt's number within its poll (from 1).
    pub attempt: usize,
    /// The client's connection id (`facts.connection.id` in the ledger).
    pub connection: u64,
    /// Whether that attempt failed (then it is in `ledger[]`).
    pub failed: bool,
    /// The diagnosed cause of that attempt, if any.
    pub cause: Option<String>,
    /// Whether the request may have been executed (`no`, `yes`, `unknown`), from the diagnosis.
    pub may_have_executed: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_the_section_round_trips() {
        let mut counts = FaultCountsDto::default();
        for o in [
            FaultOutcome::Absorbed,
            FaultOutcome::Failed,
            FaultOutcome::Prevented,
            FaultOutcome::NeverMet,
            FaultOutcome::Absorbed,
        ] {
            counts.add(o);
        }
        assert_eq!(counts.injected, 5);
        assert_eq!(counts.absorbed + counts.failed + counts.prevented + counts.never_met, 5);
        assert_eq!(
            counts.line(7),
            "faults: 5 injected: 2 absorbed, 1 failed, 1 prevented, 1 never met (seed 7)"
        );
        let section = FaultsSection {
            seed: 7,
            counts,
            injected: vec![InjectedFaultDto {
                server: "main".into(),
                seq: 1,
                connection: 1,
                request: None,
                fault: "f".into(),
                kind: "reset_peer".into(),
                stream: "downstream".into(),
                action: "reset".into(),
                at_ms: 1.5,
                bytes: 0,
                detail: String::new(),
                outcome: FaultOutcome::NeverMet,
                met_by: None,
            }],
            ..FaultsSection::default()
        };
        let text = serde_json::to_string(&section).unwrap();
        assert!(text.contains("\"type\":\"reset_peer\"") && text.contains("\"never_met\""));
        let back: FaultsSection = serde_json::from_str(&text).unwrap();
        assert_eq!(back, section);
    }
}
