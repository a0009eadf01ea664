//! The injected-fault log: one record per fault the proxy injected, in order, kept in memory
//! (bounded) for the control API and, later, for reconciling faults with the client's ledger.

use std::sync::Mutex;
use std::time::Duration;

use super::plan::Stream;

/// The most records kept; later ones are counted in [`LogSnapshot::dropped`].
pub const MAX_RECORDS: usize = 100_000;

/// One injected fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injected {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The connection, numbered from 1 in accept order.
    pub connection: u64,
    /// The request on that connection (from 1) whose bytes met the fault; `None` when none
    /// did (a FIN on an idle connection, a reset before any byte).
    pub request: Option<u64>,
    /// The fault's name in the plan.
    pub fault: String,
    /// Its type (`reset_peer`, ...).
    pub kind: &'static str,
    /// The stream it acted on.
    pub stream: Stream,
    /// The action taken (`reset`, `close`, `delay`, `drop`, `throttle`, `slice`, `queue_reset`).
    pub action: &'static str,
    /// Time since the proxy started.
    pub at: Duration,
    /// Bytes forwarded on that stream of the connection before the fault acted.
    pub bytes: u64,
    /// A short human detail (e.g. `idle 100 ms after request 1`).
    pub detail: String,
}

/// A copy of the log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogSnapshot {
    /// The records, in order.
    pub records: Vec<Injected>,
    /// Records not kept because the log was full.
    pub dropped: u64,
}

/// The shared log.
#[derive(Debug, Default)]
pub struct FaultLog {
    inner: Mutex<LogSnapshot>,
}

impl FaultLog {
    /// Appends a record, numbering it.
    pub fn push(&self, mut record: Injected) {
        let mut log = match self.inner.lock() {
            Ok(log) => log,
            Err(poisoned) => poisoned.into_inner(),
        };
        if log.records.len() >= MAX_RECORDS {
            log.dropped += 1;
            return;
        }
        record.seq = log.records.len() as u64 + 1;
        log.records.push(record);
    }

    /// A copy of everything so far.
    pub fn snapshot(&self) -> LogSnapshot {
        match self.inner.lock() {
            Ok(log) => log.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// How many records (kept or dropped).
    pub fn len(&self) -> u64 {
        let log = match self.inner.lock() {
            Ok(log) => log,
            Err(poisoned) => poisoned.into_inner(),
        };
        log.records.len() as u64 + log.dropped
    }

    /// Whether nothing was injected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_numbered_in_order() {
        let log = FaultLog::default();
        assert!(log.is_empty());
        for c in 1..=3 {
            log.push(Injected {
                seq: 0,
                connection: c,
                request: Some(1),
                fault: "r".into(),
                kind: "reset_peer",
                stream: Stream::Downstream,
                action: "reset",
                at: Duration::ZERO,
                bytes: 0,
                detail: String::new(),
            });
        }
        let snap = log.snapshot();
        assert_eq!(snap.records.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(snap.records[2].connection, 3);
        assert_eq!(log.len(), 3);
    }
}
