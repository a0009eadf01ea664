//! The Linux TCP counters that corroborate a diagnosis, parsed from the text of
//! `/proc/net/netstat` and `/proc/net/snmp` (the caller reads the files).
//!
//! The counters are host-wide (per network namespace): other traffic moves them too, so
//! their deltas are evidence, never proof, and the evidence says so.

use std::time::Duration;

/// The counters read, as `(section, name)` of the `/proc` tables.
pub const COUNTERS: [(&str, &str); 8] = [
    ("TcpExt", "ListenOverflows"),
    ("TcpExt", "ListenDrops"),
    ("TcpExt", "TCPAbortOnClose"),
    ("TcpExt", "TCPAbortOnData"),
    ("TcpExt", "TCPAbortOnLinger"),
    ("TcpExt", "TCPAbortOnTimeout"),
    ("Tcp", "OutRsts"),
    ("Tcp", "EstabResets"),
];

/// One reading of [`COUNTERS`]; `None` for a counter the kernel does not have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelCounters(pub [Option<u64>; COUNTERS.len()]);

/// How the counters moved between two readings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelDelta {
    /// The time between the readings.
    pub window: Duration,
    /// Each counter that moved, `Section.Name` and by how much.
    pub changes: Vec<(String, u64)>,
}

impl KernelCounters {
    /// Parses the two files' texts. Each table is a header line of names and a line of
    /// values under the same `Section:` prefix.
    pub fn parse(netstat: &str, snmp: &str) -> KernelCounters {
        let mut out = KernelCounters::default();
        for text in [netstat, snmp] {
            let mut lines = text.lines();
            while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
                let (Some((section, names)), Some((value_section, values))) =
                    (names.split_once(':'), values.split_once(':'))
                else {
                    continue;
                };
                if section != value_section {
                    continue;
                }
                for (name, value) in names.split_whitespace().zip(values.split_whitespace()) {
                    let wanted = COUNTERS.iter().position(|(s, n)| *s == section && *n == name);
                    if let (Some(i), Ok(value)) = (wanted, value.parse::<u64>())
                        && let Some(slot) = out.0.get_mut(i)
                    {
                        *slot = Some(value);
                    }
                }
            }
        }
        out
    }

    /// Whether any counter was found.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    /// How the counters moved from `self` to `later`, over `window`.
    pub fn delta(&self, later: &KernelCounters, window: Duration) -> KernelDelta {
        let changes = COUNTERS
            .iter()
            .zip(self.0.iter().zip(later.0.iter()))
            .filter_map(|((section, name), (before, after))| {
                let moved = after.zip(*before).map(|(a, b)| a.saturating_sub(b))?;
                (moved > 0).then(|| (format!("{section}.{name}"), moved))
            })
            .collect();
        KernelDelta { window, changes }
    }
}

impl KernelDelta {
    /// How much `name` (`Section.Name`) moved.
    pub fn moved(&self, name: &str) -> u64 {
        self.changes.iter().find(|(n, _)| n == name).map_or(0, |(_, d)| *d)
    }

    /// The evidence line.
    pub fn describe(&self) -> String {
        let window = crate::diagnosis::classify::secs(self.window);
        if self.changes.is_empty() {
            return format!(
                "kernel TCP counters over the last {window}: no abort, overflow or reset counted (host-wide)"
            );
        }
        let changes: Vec<String> = self.changes.iter().map(|(n, d)| format!("{n} +{d}")).collect();
        format!(
            "kernel TCP counters over the last {window} (host-wide: other traffic adds noise): {}",
            changes.join(", ")
        )
    }
}
