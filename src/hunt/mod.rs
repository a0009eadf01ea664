//! `hunt`'s pure part: the seeded shuffle of each run's order, the per-entry tally of
//! repeated runs (attempts, failures, flaky passes, causes from attempt diagnoses), the
//! first failing run, and the 95% Wilson interval of each entry's failure rate.
//!
//! No I/O and no clock: `session::hunt_files` (or `Session::hunt` for a suite) runs the
//! files and feeds their outcomes here; `render` words the report that `cli` prints.

use std::collections::BTreeMap;

use crate::runner::outcome::{EntryFailure, EntryOutcome, FileOutcome, Outcome};

mod render;
pub use render::{first_failure_line, report};

/// A small, stable PRNG (SplitMix64): the same seed gives the same orders on every
/// platform and every version of shakedown, so a printed seed replays a hunt.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound` (`bound` > 0); the tiny modulo bias does not matter here.
    fn below(&mut self, bound: usize) -> usize {
        let bound = u64::try_from(bound).unwrap_or(u64::MAX).max(1);
        usize::try_from(self.next_u64() % bound).unwrap_or(0)
    }
}

/// The order of `len` files for one run: `0..len` shuffled (Fisher–Yates) with `rng`.
pub fn shuffled_order(len: usize, rng: &mut Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        let j = rng.below(i + 1);
        order.swap(i, j);
    }
    order
}

/// The 95% Wilson score interval of `failures` out of `n` (z = 1.96), as fractions;
/// `None` when `n` is 0.
pub fn wilson(failures: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let z = 1.96_f64;
    // Counts are far below 2^52: exact as f64.
    let (k, n) = (failures.min(n) as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// What a hunt saw of one entry over all runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryStats {
    /// `file:line METHOD url-template`.
    pub label: String,
    /// Runs in which the entry ran (not skipped).
    pub runs: u64,
    /// Transport attempts, over all runs.
    pub attempts: u64,
    /// Runs in which the entry failed (failed or error).
    pub failures: u64,
    /// Runs in which the entry passed only after a transport retry.
    pub flaky: u64,
    /// Diagnosed causes seen (by name), each counted once per run of the entry.
    pub causes: BTreeMap<&'static str, u64>,
}

impl EntryStats {
    /// The failure rate's 95% Wilson interval.
    pub fn interval(&self) -> Option<(f64, f64)> {
        wilson(self.failures, self.runs)
    }
}

/// The first failure of a hunt: where to replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstFailure {
    /// The run number (from 1).
    pub run: u64,
    /// The entry that failed first in that run (or the file, if no entry ran).
    pub label: String,
}

/// The tally of a hunt: one [`EntryStats`] per entry in first-seen order.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// The entries, in the order first seen.
    pub entries: Vec<EntryStats>,
    /// Runs finished.
    pub runs: u64,
    /// The first failing run, if any.
    pub first_failure: Option<FirstFailure>,
    index: BTreeMap<String, usize>,
}

impl Tally {
    /// Adds one file's outcome from run `run` (from 1).
    pub fn record(&mut self, run: u64, file: &FileOutcome) {
        let path = file.path.display().to_string();
        let mut failed_here = None;
        for entry in &file.entries {
            if entry.outcome == Outcome::Skipped {
                continue;
            }
            let label = format!("{path}:{} {} {}", entry.line, entry.method, entry.url_template);
            let slot = match self.index.get(&label) {
                Some(&slot) => slot,
                None => {
                    self.entries.push(EntryStats { label: label.clone(), ..EntryStats::default() });
                    let slot = self.entries.len() - 1;
                    self.index.insert(label.clone(), slot);
                    slot
                }
            };
            let Some(stats) = self.entries.get_mut(slot) else { continue };
            stats.runs += 1;
            stats.attempts += u64::try_from(entry.attempt_count()).unwrap_or(u64::MAX);
            match entry.outcome {
                Outcome::Failed | Outcome::Error | Outcome::Interrupted => {
                    stats.failures += 1;
                    failed_here.get_or_insert(label);
                }
                Outcome::Flaky => stats.flaky += 1,
                Outcome::Passed | Outcome::Skipped => {}
            }
            for cause in causes_of(entry) {
                *stats.causes.entry(cause).or_insert(0) += 1;
            }
        }
        if failed_here.is_none() && !file.outcome.is_pass() {
            failed_here = Some(path);
        }
        if self.first_failure.is_none()
            && let Some(label) = failed_here
        {
            self.first_failure = Some(FirstFailure { run, label });
        }
    }
}

/// The distinct causes diagnosed in one run of an entry: its attempts' diagnoses and the
/// diagnosis of its transport failure.
fn causes_of(entry: &EntryOutcome) -> Vec<&'static str> {
    let mut causes = Vec::new();
    for poll in entry.iterations.iter().flat_map(|i| &i.polls) {
        for diagnosis in poll.attempts.iter().flat_map(|a| &a.diagnoses) {
            causes.push(diagnosis.cause.as_str());
        }
        if let Some(EntryFailure::Transport(failed)) = &poll.failure
            && let Some(diagnosis) = &failed.diagnosis
        {
            causes.push(diagnosis.cause.as_str());
        }
    }
    causes.sort_unstable();
    causes.dedup();
    causes
}

#[cfg(test)]
mod tests;
