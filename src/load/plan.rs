//! What a load run does: the model (closed VUs with stages, or an open arrival rate), its bounds,
//! and the fraction of it a shard runs. Pure: parsed from text, checked once.

use std::time::Duration;

use crate::load::shard::Shard;

/// Default `--duration`.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(30);
/// Default `--max-requests`.
pub const DEFAULT_MAX_REQUESTS: u64 = 1_000_000;
/// Default `--max-vus` of the open model.
pub const DEFAULT_MAX_VUS: u64 = 100;
/// The most VUs a run may ask for (each holds a transport client).
pub const MAX_VUS: u64 = 10_000;
/// The highest arrival rate, per second.
pub const MAX_RATE: f64 = 1_000_000.0;

/// One stage of a closed model: ramp linearly to `target` VUs over `duration`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stage {
    /// How long the ramp lasts.
    pub duration: Duration,
    /// VUs at its end.
    pub target: u64,
}

/// The load model.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    /// N VUs loop (k6 `ramping-vus`); a constant count is one stage that starts at its target.
    Closed {
        /// VUs at the start.
        start_vus: u64,
        /// The ramps, in order.
        stages: Vec<Stage>,
    },
    /// Iterations start at a fixed rate whatever the responses (k6 `constant-arrival-rate`).
    Open {
        /// Starts per second.
        rate: f64,
        /// The VU pool: a start that finds none free is dropped.
        max_vus: u64,
    },
}

/// A checked load plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The model.
    pub model: Model,
    /// The run stops starting iterations after this long.
    pub duration: Duration,
    /// The run stops starting iterations after this many requests.
    pub max_requests: u64,
    /// How long in-flight iterations may finish after the end.
    pub graceful_stop: Duration,
}

/// A load flag that does not make sense.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    /// Neither or both of `--vus`/`--stages` and `--rate`.
    #[error("give a closed model (--vus N or --stages) or an open one (--rate R/s), not both")]
    ModelConflict,
    /// A malformed stage.
    #[error("invalid stage `{0}`: expected DURATION:TARGET, e.g. 10s:5")]
    Stage(String),
    /// A malformed rate.
    #[error("invalid rate `{0}`: expected a positive number per second, e.g. 200/s, 50, 3000/m")]
    Rate(String),
    /// A number out of range.
    #[error("{0}")]
    Range(String),
}

/// Parses `--stages 10s:5,20s:20`, with durations parsed by `parse_duration`.
pub fn parse_stages(
    text: &str,
    parse_duration: &dyn Fn(&str) -> Option<Duration>,
) -> Result<Vec<Stage>, PlanError> {
    let mut stages = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (d, t) = part.split_once(':').ok_or_else(|| PlanError::Stage(part.to_owned()))?;
        let duration = parse_duration(d.trim()).ok_or_else(|| PlanError::Stage(part.to_owned()))?;
        let target: u64 = t.trim().parse().map_err(|_| PlanError::Stage(part.to_owned()))?;
        if target > MAX_VUS {
            return Err(PlanError::Range(format!("stage `{part}`: at most {MAX_VUS} VUs")));
        }
        stages.push(Stage { duration, target });
    }
    if stages.is_empty() {
        return Err(PlanError::Stage(text.to_owned()));
    }
    Ok(stages)
}

/// Parses `--rate`: `200`, `200/s`, `3000/m`, `10/1s`.
pub fn parse_rate(text: &str) -> Result<f64, PlanError> {
    let bad = || PlanError::Rate(text.to_owned());
    let (n, unit) = text.split_once('/').unwrap_or((text, "s"));
    let n: f64 = n.trim().parse().map_err(|_| bad())?;
    let per = match unit.trim() {
        "s" | "1s" | "sec" => 1.0,
        "m" | "1m" | "min" => 60.0,
        "h" | "1h" => 3600.0,
        _ => return Err(bad()),
    };
    let rate = n / per;
    if !rate.is_finite() || rate <= 0.0 || rate > MAX_RATE {
        return Err(bad());
    }
    Ok(rate)
}

impl Plan {
    /// The total time of the plan: the stages' sum for a staged closed model, else `duration`.
    pub fn length(&self) -> Duration {
        match &self.model {
            Model::Closed { stages, .. }
                if stages.len() > 1 || stages.iter().any(|s| s.duration > Duration::ZERO) =>
            {
                stages.iter().map(|s| s.duration).sum::<Duration>().min(self.duration)
            }
            _ => self.duration,
        }
    }

    /// The VUs wanted `elapsed` into a closed model (linear ramps between stage targets).
    pub fn target_vus(&self, elapsed: Duration) -> u64 {
        let Model::Closed { start_vus, stages } = &self.model else { return 0 };
        let mut from = *start_vus;
        let mut at = Duration::ZERO;
        for stage in stages {
            let end = at + stage.duration;
            if elapsed < end {
                let part = (elapsed - at).as_secs_f64() / stage.duration.as_secs_f64().max(1e-9);
                let span = stage.target as f64 - from as f64;
                return (from as f64 + span * part).round().max(0.0) as u64;
            }
            from = stage.target;
            at = end;
        }
        from
    }

    /// The fraction of this plan that `shard` runs (k6 execution segments): VUs split as
    /// `floor(M·V/N) − floor((M−1)·V/N)`, so the shards sum exactly, and rates proportionally.
    /// Bounds (`max_requests`) are split the same way; durations are not.
    pub fn for_shard(&self, shard: Shard) -> Plan {
        let part = |v: u64| shard.part_of(v);
        let model = match &self.model {
            Model::Closed { start_vus, stages } => Model::Closed {
                start_vus: part(*start_vus),
                stages: stages
                    .iter()
                    .map(|s| Stage { duration: s.duration, target: part(s.target) })
                    .collect(),
            },
            Model::Open { rate, max_vus } => {
                Model::Open { rate: rate / shard.total as f64, max_vus: part(*max_vus).max(1) }
            }
        };
        Plan { model, max_requests: part(self.max_requests), ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Option<Duration> {
        text.strip_suffix('s').and_then(|n| n.parse().ok()).map(Duration::from_secs)
    }

    #[test]
    fn stages_and_rates_parse() {
        let stages = parse_stages("10s:5, 20s:20", &secs).unwrap();
        assert_eq!(stages[1], Stage { duration: Duration::from_secs(20), target: 20 });
        assert!(parse_stages("10s", &secs).is_err());
        assert!(parse_stages("", &secs).is_err());
        assert!(parse_stages("1s:99999999", &secs).is_err());
        assert_eq!(parse_rate("200/s").unwrap(), 200.0);
        assert_eq!(parse_rate("50").unwrap(), 50.0);
        assert_eq!(parse_rate("3000/m").unwrap(), 50.0);
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-3").is_err());
        assert!(parse_rate("NaN").is_err());
        assert!(parse_rate("5/fortnight").is_err());
    }

    #[test]
    fn ramps_are_linear_between_targets() {
        let plan = Plan {
            model: Model::Closed {
                start_vus: 0,
                stages: parse_stages("10s:10,10s:10,10s:0", &secs).unwrap(),
            },
            duration: Duration::from_secs(600),
            max_requests: 10,
            graceful_stop: Duration::ZERO,
        };
        assert_eq!(plan.length(), Duration::from_secs(30));
        assert_eq!(plan.target_vus(Duration::ZERO), 0);
        assert_eq!(plan.target_vus(Duration::from_secs(5)), 5);
        assert_eq!(plan.target_vus(Duration::from_secs(15)), 10);
        assert_eq!(plan.target_vus(Duration::from_secs(25)), 5);
        assert_eq!(plan.target_vus(Duration::from_secs(99)), 0);
    }

    #[test]
    fn shards_sum_to_the_whole() {
        let plan = Plan {
            model: Model::Closed {
                start_vus: 7,
                stages: vec![Stage { duration: Duration::from_secs(1), target: 7 }],
            },
            duration: Duration::from_secs(1),
            max_requests: 1001,
            graceful_stop: Duration::ZERO,
        };
        let mut vus = 0;
        let mut requests = 0;
        for index in 1..=4 {
            let part = plan.for_shard(Shard { index, total: 4 });
            if let Model::Closed { start_vus, .. } = part.model {
                vus += start_vus;
            }
            requests += part.max_requests;
        }
        assert_eq!((vus, requests), (7, 1001));
        let open = Plan { model: Model::Open { rate: 100.0, max_vus: 10 }, ..plan };
        let part = open.for_shard(Shard { index: 2, total: 4 });
        assert_eq!(part.model, Model::Open { rate: 25.0, max_vus: 3 });
    }
}
