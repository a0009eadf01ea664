//! A load run's end, in values and text: the result judged by its thresholds
//! ([`judge`]), the exit code it asks for ([`finish_code`]), and the summary lines
//! ([`summary`]; `shakedown load`, `merge` and a load layer under `run` print them).
//! Pure: `cli` prints.

use chrono::{DateTime, SecondsFormat, Utc};

use super::engine::RunOutcome;
use super::result::{LoadResult, RunFacts};
use super::shard::Shard;
use super::threshold::{Threshold, Verdict};
use crate::exit_code;

/// What a run was: its model, shard and files.
pub struct RunDescription<'a> {
    /// The model, as `Plan::describe` words it.
    pub model: String,
    /// The shard this process ran.
    pub shard: Option<Shard>,
    /// The files, as shown.
    pub files: &'a [String],
    /// The thresholds to judge.
    pub thresholds: &'a [Threshold],
}

/// The result document of a finished run, its thresholds judged.
pub fn judge(run: &RunDescription<'_>, outcome: &RunOutcome) -> LoadResult {
    let started: DateTime<Utc> = outcome.started.into();
    let facts = RunFacts {
        shard: run.shard,
        model: run.model.clone(),
        files: run.files.to_vec(),
        started: started.to_rfc3339_opts(SecondsFormat::Millis, true),
        elapsed: outcome.elapsed,
        vus_max: outcome.vus_max,
        interrupted: outcome.interrupted,
        thresholds: run.thresholds.iter().map(|t| t.text.clone()).collect(),
    };
    let verdicts: Vec<Verdict> =
        run.thresholds.iter().map(|t| t.evaluate(&outcome.aggregate, outcome.elapsed)).collect();
    LoadResult::new(&outcome.aggregate, facts, verdicts)
}

/// How a load layer ended, from its result (one shard's, or the shards' merged): interrupted,
/// failed by the thresholds it crossed, or passed; with the note that says why.
pub fn layer_outcome(result: &LoadResult) -> (&'static str, Option<String>) {
    let crossed = result.threshold_results.iter().filter(|v| !v.passed).count();
    if result.interrupted {
        ("interrupted", Some("the load was interrupted".to_owned()))
    } else if crossed > 0 {
        ("failed", Some(format!("{crossed} threshold(s) crossed")))
    } else {
        ("passed", None)
    }
}

/// The exit code of a finished (or merged) run: interrupted, thresholds, else success.
pub fn finish_code(verdicts: &[Verdict], interrupted: bool) -> u8 {
    if interrupted {
        exit_code::INTERRUPTED
    } else if verdicts.iter().any(|v| !v.passed) {
        exit_code::THRESHOLD
    } else {
        exit_code::SUCCESS
    }
}

/// The end summary, as lines (also printed for a load layer under `shakedown run`).
pub fn summary(result: &LoadResult) -> Vec<String> {
    let r = result;
    let l = &result.latency.summary;
    let mut out = vec![
        format!(
            "requests: {} in {:.1}s ({:.1}/s), {} error(s), {} iteration(s) ({} failed, {} dropped, {} interrupted), max {} VU(s)",
            r.requests,
            r.elapsed_ms as f64 / 1000.0,
            r.rps,
            r.errors,
            r.iterations,
            r.iterations_failed,
            r.dropped_iterations,
            r.interrupted_iterations,
            r.vus_max,
        ),
        format!(
            "latency: p50 {} p90 {} p95 {} p99 {} max {}",
            us(l.p50_us),
            us(l.p90_us),
            us(l.p95_us),
            us(l.p99_us),
            us(l.max_us)
        ),
        format!(
            "asserts: {} evaluated, {} failed (counted, not fatal)",
            r.asserts, r.assert_failures
        ),
    ];
    if !r.errors_by_class.is_empty() {
        out.push(format!("errors by cause: {}", counts(&r.errors_by_class)));
    }
    if r.retries > 0 {
        out.push(format!("retries by cause: {}", counts(&r.retries_by_cause)));
    }
    if let Some(f) = &r.faults {
        let injected = if f.injected.is_empty() { "none".to_owned() } else { counts(&f.injected) };
        out.push(format!(
            "faults injected: {injected} over {} proxied connection(s) (seed {})",
            f.connections, f.seed
        ));
    }
    out.push(format!("status codes: {}", counts(&r.status_codes)));
    for request in &r.requests_by_name {
        let s = &request.latency.summary;
        out.push(format!(
            "  {} [{}] {} p50 {} p95 {} p99 {}",
            request.name,
            request.outcome,
            request.count,
            us(s.p50_us),
            us(s.p95_us),
            us(s.p99_us)
        ));
    }
    for v in &r.threshold_results {
        let observed = match v.unit.as_str() {
            "us" => us(v.observed.max(0.0).round() as u64),
            "ratio" => format!("{:.3}%", v.observed * 100.0),
            "per_second" => format!("{:.1}/s", v.observed),
            _ => format!("{}", v.observed),
        };
        out.push(format!(
            "threshold {}: {} (observed {observed})",
            v.threshold,
            if v.passed { "passed" } else { "CROSSED" },
        ));
    }
    out
}

/// `k=v, ...`.
pub fn counts<K: std::fmt::Display>(map: &std::collections::BTreeMap<K, u64>) -> String {
    map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// Microseconds, in the unit that reads best.
pub fn us(value: u64) -> String {
    if value >= 1_000_000 {
        format!("{:.2}s", value as f64 / 1e6)
    } else if value >= 1_000 {
        format!("{:.2}ms", value as f64 / 1e3)
    } else {
        format!("{value}µs")
    }
}
