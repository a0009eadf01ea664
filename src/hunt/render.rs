//! The hunt's tally as text: the final report (one block per entry: runs, attempts,
//! failures, the failure rate with its 95% Wilson interval, the causes; then the first
//! failure and how to replay it) and the first-failure line. Pure: `cli` prints it.

use super::Tally;

/// The line that names the first failure and the seed that replays it.
pub fn first_failure_line(run: u64, label: &str, seed: u64) -> String {
    format!("first failure: run {run} (seed {seed}): {label}")
}

/// The final report (stdout): one block per entry, then the first failure.
pub fn report(tally: &Tally, seed: u64, what: &str) -> String {
    let mut out = String::new();
    for entry in &tally.entries {
        out.push_str(&entry.label);
        out.push('\n');
        out.push_str(&format!(
            "  runs {}, attempts {}, failures {}, flaky passes {}\n",
            entry.runs, entry.attempts, entry.failures, entry.flaky
        ));
        if let Some((lo, hi)) = entry.interval() {
            let rate = entry.failures as f64 / entry.runs.max(1) as f64;
            // Rounded outwards, so the printed interval contains the exact one.
            out.push_str(&format!(
                "  failure rate {:.1}%, 95% Wilson interval {:.1}% to {:.1}%\n",
                rate * 100.0,
                (lo * 1000.0).floor() / 10.0,
                (hi * 1000.0).ceil() / 10.0
            ));
        }
        if !entry.causes.is_empty() {
            let causes: Vec<String> =
                entry.causes.iter().map(|(cause, n)| format!("{cause} ×{n}")).collect();
            out.push_str(&format!("  causes: {}\n", causes.join(", ")));
        }
    }
    match &tally.first_failure {
        Some(first) => {
            out.push_str(&first_failure_line(first.run, &first.label, seed));
            out.push_str(&format!(
                "\nreplay: shakedown hunt --seed {seed} (same {what} and flags)"
            ));
        }
        None => out.push_str(&format!("no failure in {} run(s) (seed {seed})", tally.runs)),
    }
    out
}
