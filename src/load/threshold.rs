//! Thresholds: aggregate pass/fail criteria on a load run (`p95<300ms`, `error_rate<1%`,
//! `resets==0`, `rps>100`), evaluated on the final (or merged) aggregate. Assert failures alone
//! never fail a load run; a crossed threshold does.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::diagnosis::Cause;
use crate::load::metrics::Aggregate;

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// One parsed threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// As written.
    pub text: String,
    metric: Metric,
    op: Op,
    /// In the metric's unit: µs for latencies, a fraction for rates, a count, or per second.
    value: f64,
}

#[derive(Clone, Debug, PartialEq)]
enum Metric {
    /// A latency quantile (0..=1) of every request.
    Quantile(f64),
    /// Mean, min or max latency.
    Mean,
    Max,
    /// Failed attempts (transport errors) / attempts.
    ErrorRate,
    /// Failed asserts / asserts.
    AssertFailureRate,
    /// Requests per second over the run.
    Rps,
    /// A counter: `requests`, `errors`, `dropped`, `retries`, `assert_failures`, `iterations`.
    Counter(String),
    /// Transport errors of one class (`resets`, `timeouts`, `refused`, `cause.X`, `errors.X`).
    ErrorClass(String),
}

/// A threshold that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThresholdError {
    /// Not `METRIC OP VALUE`.
    #[error(
        "invalid threshold `{0}`: expected METRIC OP VALUE, e.g. p95<300ms, p99<1s, error_rate<1%, resets==0, rps>100"
    )]
    Syntax(String),
    /// `cause.X` where X is not a cause of the diagnosis vocabulary.
    #[error("invalid threshold `{text}`: `{cause}` is not a diagnosed cause{}", did_you_mean(.cause))]
    UnknownCause {
        /// As written.
        text: String,
        /// The cause named.
        cause: String,
    },
}

/// "; did you mean `X`?" and the list of causes.
fn did_you_mean(cause: &str) -> String {
    let names: Vec<&str> = Cause::ALL.iter().map(|c| c.as_str()).collect();
    let best = crate::scenario::did_you_mean::did_you_mean(cause, &names)
        .map(|b| format!("; did you mean `{b}`?"))
        .unwrap_or_default();
    format!("{best} (causes: {})", names.join(", "))
}

/// The verdict on one threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// As written.
    pub threshold: String,
    /// The value observed, in the metric's unit (µs, fraction, count, per second).
    pub observed: f64,
    /// Whether it held.
    pub passed: bool,
    /// The unit of `observed`: `us`, `ratio`, `count` or `per_second`.
    #[serde(default)]
    pub unit: String,
}

impl Threshold {
    /// Parses one threshold.
    pub fn parse(text: &str) -> Result<Threshold, ThresholdError> {
        let bad = || ThresholdError::Syntax(text.to_owned());
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let ops = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        let (at, token, op) = ops
            .iter()
            .filter_map(|(token, op)| compact.find(token).map(|at| (at, *token, *op)))
            .min_by_key(|(at, token, _)| (*at, usize::MAX - token.len()))
            .ok_or_else(bad)?;
        let name = &compact[..at];
        let value = &compact[at + token.len()..];
        let metric = match name {
            "error_rate" | "http_req_failed" => Metric::ErrorRate,
            "assert_failure_rate" | "checks_failed" => Metric::AssertFailureRate,
            "rps" => Metric::Rps,
            "mean" | "avg" => Metric::Mean,
            "max" => Metric::Max,
            "p50" | "med" => Metric::Quantile(0.5),
            "requests" | "errors" | "dropped" | "retries" | "assert_failures" | "iterations"
            | "interrupted" => Metric::Counter(name.to_owned()),
            "resets" => Metric::ErrorClass("reset".to_owned()),
            "timeouts" => Metric::ErrorClass("timeout".to_owned()),
            "refused" => Metric::ErrorClass("refused".to_owned()),
            _ => {
                if let Some(cause) = name.strip_prefix("cause.") {
                    if cause.is_empty() {
                        return Err(bad());
                    }
                    if Cause::parse(cause).is_none() {
                        return Err(ThresholdError::UnknownCause {
                            text: text.trim().to_owned(),
                            cause: cause.to_owned(),
                        });
                    }
                    Metric::ErrorClass(format!("cause.{cause}"))
                } else if let Some(class) = name.strip_prefix("errors.") {
                    if class.is_empty() {
                        return Err(bad());
                    }
                    Metric::ErrorClass(class.to_owned())
                } else if let Some(q) = quantile(name) {
                    Metric::Quantile(q)
                } else {
                    return Err(bad());
                }
            }
        };
        let value = match metric {
            Metric::Quantile(_) | Metric::Mean | Metric::Max => {
                latency_us(value).ok_or_else(bad)?
            }
            Metric::ErrorRate | Metric::AssertFailureRate => match value.strip_suffix('%') {
                Some(pct) => pct.parse::<f64>().map_err(|_| bad())? / 100.0,
                None => value.parse::<f64>().map_err(|_| bad())?,
            },
            _ => value.trim_end_matches("/s").parse::<f64>().map_err(|_| bad())?,
        };
        if !value.is_finite() {
            return Err(bad());
        }
        Ok(Threshold { text: text.trim().to_owned(), metric, op, value })
    }

    /// Evaluates it on an aggregate that ran for `elapsed`.
    pub fn evaluate(&self, aggregate: &Aggregate, elapsed: Duration) -> Verdict {
        let c = &aggregate.counters;
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let observed = match &self.metric {
            Metric::Quantile(q) => aggregate.latency.quantile_us(*q) as f64,
            Metric::Mean => aggregate.latency.summary().mean_us as f64,
            Metric::Max => aggregate.latency.summary().max_us as f64,
            Metric::ErrorRate => ratio(c.errors, c.requests),
            Metric::AssertFailureRate => ratio(c.assert_failures, c.asserts),
            Metric::Rps => c.requests as f64 / elapsed.as_secs_f64().max(1e-9),
            Metric::Counter(name) => {
                (match name.as_str() {
                    "requests" => c.requests,
                    "errors" => c.errors,
                    "dropped" => c.dropped_iterations,
                    "retries" => c.retries,
                    "assert_failures" => c.assert_failures,
                    "interrupted" => c.interrupted_iterations,
                    _ => c.iterations,
                }) as f64
            }
            Metric::ErrorClass(class) => {
                aggregate.errors_by_class().get(class).copied().unwrap_or(0) as f64
            }
        };
        let passed = match self.op {
            Op::Lt => observed < self.value,
            Op::Le => observed <= self.value,
            Op::Gt => observed > self.value,
            Op::Ge => observed >= self.value,
            Op::Eq => observed == self.value,
            Op::Ne => observed != self.value,
        };
        let unit = match self.metric {
            Metric::Quantile(_) | Metric::Mean | Metric::Max => "us",
            Metric::ErrorRate | Metric::AssertFailureRate => "ratio",
            Metric::Rps => "per_second",
            Metric::Counter(_) | Metric::ErrorClass(_) => "count",
        };
        Verdict { threshold: self.text.clone(), observed, passed, unit: unit.to_owned() }
    }
}

/// `p95`, `p99`, `p99.9`, `p(95)`.
fn quantile(name: &str) -> Option<f64> {
    let digits = name.strip_prefix('p')?;
    let digits = digits.strip_prefix('(').and_then(|d| d.strip_suffix(')')).unwrap_or(digits);
    let pct: f64 = digits.parse().ok()?;
    (0.0..=100.0).contains(&pct).then_some(pct / 100.0)
}

/// `300ms`, `1s`, `250us`, `300` (milliseconds, as in k6) into microseconds.
fn latency_us(text: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = text.strip_suffix("us").or_else(|| text.strip_suffix("µs")) {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        (text, 1_000.0)
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_and_evaluate() {
        let mut aggregate = Aggregate::default();
        for v in 1..=100 {
            aggregate.latency.record_us(v * 1000);
        }
        aggregate.counters.requests = 100;
        aggregate.counters.errors = 2;
        let elapsed = Duration::from_secs(2);
        let check =
            |text: &str| Threshold::parse(text).unwrap().evaluate(&aggregate, elapsed).passed;
        assert!(check("p95<300ms"));
        assert!(!check("p95 < 90ms"));
        assert!(check("p(99)<=1s"));
        assert!(check("error_rate<3%"));
        assert!(!check("error_rate<1%"));
        assert!(check("resets==0"));
        assert!(check("rps>49"));
        assert!(!check("rps>50"));
        assert!(check("errors<=2"));
        assert!(check("cause.keepalive_race==0"));
        for bad in ["", "p95", "p95<abc", "latency<3", "p101<1s", "cause.<1", "rps>>1"] {
            assert!(Threshold::parse(bad).is_err(), "{bad}");
        }
        // Causes are the diagnosis's vocabulary; a typo is named, with the closest cause.
        assert!(Threshold::parse("cause.stale_connection_replaced<5").is_ok());
        let typo = Threshold::parse("cause.keepalive_rase==0").unwrap_err().to_string();
        assert!(typo.contains("did you mean `keepalive_race`?"), "{typo}");
    }
}
