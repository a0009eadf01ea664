//! What a load run does: the model (closed VUs with stages, or an open arrival rate, constant or
//! ramping through stages), its bounds, and the fraction of it a shard runs; the arrival schedule
//! of the open model ([`Arrivals`]). Pure: parsed from text, checked once.
//!
//! The options come from the command line, a suite's `[load]` table or a load layer
//! ([`Options`]); [`Options::over`] layers them (the command line wins) and [`Options::plan`]
//! checks them into a [`Plan`], the one place the rules live.

use std::time::Duration;

use crate::load::shard::Shard;

/// Default `--duration`.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(30);
/// Default `--max-requests`.
pub const DEFAULT_MAX_REQUESTS: u64 = 1_000_000;
/// Default `--max-vus` of the open model.
pub const DEFAULT_MAX_VUS: u64 = 100;
/// Default `--graceful-stop`.
pub const DEFAULT_GRACEFUL_STOP: Duration = Duration::from_secs(5);
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

/// One stage of a ramping open model: the arrival rate ramps linearly to `target` per second
/// over `duration` (k6 `ramping-arrival-rate`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateStage {
    /// How long the ramp lasts.
    pub duration: Duration,
    /// Starts per second at its end (0 allowed: a ramp down).
    pub target: f64,
}

/// A stage as written, before the model says what its target counts: `DURATION:TARGET`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageSpec {
    /// How long the ramp lasts.
    pub duration: Duration,
    /// VUs (closed model) or starts per second (open model).
    pub target: f64,
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
    /// Iterations start at a rate whatever the responses: constant (k6 `constant-arrival-rate`)
    /// when `stages` is empty, else ramping from `rate` through the stages (k6
    /// `ramping-arrival-rate`).
    Open {
        /// Starts per second at the start.
        rate: f64,
        /// The VU pool: a start that finds none free is dropped.
        max_vus: u64,
        /// The ramps of the rate, in order (empty: constant).
        stages: Vec<RateStage>,
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

/// A load option that does not make sense.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    /// Both `--vus` and `--rate`.
    #[error("give a closed model (--vus N or --stages) or an open one (--rate R/s), not both")]
    ModelConflict,
    /// No model at all.
    #[error(
        "give a load model: --vus N (closed), --stages 10s:5,20s:20 (closed, ramping) or --rate R/s (open; with --stages, ramping)"
    )]
    NoModel,
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

/// Parses `--stages 10s:5,20s:20` (targets may be rates: `10s:200/s`), with durations parsed by
/// `parse_duration`. What a target counts is the model's to check ([`Options::plan`]).
pub fn parse_stages(
    text: &str,
    parse_duration: &dyn Fn(&str) -> Option<Duration>,
) -> Result<Vec<StageSpec>, PlanError> {
    let mut stages = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || PlanError::Stage(part.to_owned());
        let (d, t) = part.split_once(':').ok_or_else(bad)?;
        let duration = parse_duration(d.trim()).ok_or_else(bad)?;
        let target = rate_value(t.trim()).ok_or_else(bad)?;
        stages.push(StageSpec { duration, target });
    }
    if stages.is_empty() {
        return Err(PlanError::Stage(text.to_owned()));
    }
    Ok(stages)
}

/// Parses `--rate`: `200`, `200/s`, `3000/m`, `10/1s`.
pub fn parse_rate(text: &str) -> Result<f64, PlanError> {
    match rate_value(text) {
        Some(rate) if rate > 0.0 && rate <= MAX_RATE => Ok(rate),
        _ => Err(PlanError::Rate(text.to_owned())),
    }
}

/// A number per second, minute or hour, as per second; `None` unless finite and not negative.
fn rate_value(text: &str) -> Option<f64> {
    let (n, unit) = text.split_once('/').unwrap_or((text, "s"));
    let n: f64 = n.trim().parse().ok()?;
    let per = match unit.trim() {
        "s" | "1s" | "sec" => 1.0,
        "m" | "1m" | "min" => 60.0,
        "h" | "1h" => 3600.0,
        _ => return None,
    };
    let rate = n / per;
    (rate.is_finite() && rate >= 0.0).then_some(rate)
}

/// The load options as given, every one optional: the command line's flags, a suite's `[load]`
/// table, or a load layer's `load = { ... }`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// `--vus`: closed model (with `stages`: the VUs at the start).
    pub vus: Option<u64>,
    /// `--stages`: ramps of the VUs (closed) or of the rate (with `rate`).
    pub stages: Option<Vec<StageSpec>>,
    /// `--rate`: open model, starts per second (with `stages`: the rate at the start).
    pub rate: Option<f64>,
    /// `--max-vus`: the open model's VU pool.
    pub max_vus: Option<u64>,
    /// `--duration`: given explicitly (a staged run otherwise lasts its stages).
    pub duration: Option<Duration>,
    /// `--max-requests`.
    pub max_requests: Option<u64>,
    /// `--graceful-stop`.
    pub graceful_stop: Option<Duration>,
}

impl Options {
    /// These options over `base` (the command line over a suite's table): the model options
    /// (`vus`, `stages`, `rate`, `max_vus`) as one group, so a model given here replaces the
    /// base's whole model; the bounds one by one.
    pub fn over(&self, base: &Options) -> Options {
        let model_here = self.vus.is_some() || self.stages.is_some() || self.rate.is_some();
        let model = if model_here { self } else { base };
        Options {
            vus: model.vus,
            stages: model.stages.clone(),
            rate: model.rate,
            max_vus: if model_here { self.max_vus } else { self.max_vus.or(base.max_vus) },
            duration: self.duration.or(base.duration),
            max_requests: self.max_requests.or(base.max_requests),
            graceful_stop: self.graceful_stop.or(base.graceful_stop),
        }
    }

    /// Checks the options into a plan.
    pub fn plan(&self) -> Result<Plan, PlanError> {
        let duration = self.duration.unwrap_or(DEFAULT_DURATION);
        if duration.is_zero() {
            return Err(PlanError::Range("--duration must be more than 0".to_owned()));
        }
        let max_requests = self.max_requests.unwrap_or(DEFAULT_MAX_REQUESTS);
        if max_requests == 0 {
            return Err(PlanError::Range("--max-requests must be at least 1".to_owned()));
        }
        let model = match (self.rate, self.vus, &self.stages) {
            (Some(_), Some(_), _) => return Err(PlanError::ModelConflict),
            (Some(rate), None, stages) => {
                let max_vus = self.max_vus.unwrap_or(DEFAULT_MAX_VUS);
                if max_vus == 0 || max_vus > MAX_VUS {
                    return Err(PlanError::Range(format!("--max-vus must be 1..={MAX_VUS}")));
                }
                let stages = stages
                    .iter()
                    .flatten()
                    .map(|s| {
                        if s.target > MAX_RATE {
                            return Err(PlanError::Range(format!(
                                "a stage's rate is at most {MAX_RATE}/s"
                            )));
                        }
                        Ok(RateStage { duration: s.duration, target: s.target })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Model::Open { rate, max_vus, stages }
            }
            (None, vus, stages) if vus.is_some() || stages.is_some() => {
                let start_vus = vus.unwrap_or(0);
                if start_vus > MAX_VUS {
                    return Err(PlanError::Range(format!("--vus must be at most {MAX_VUS}")));
                }
                if self.max_vus.is_some() {
                    return Err(PlanError::Range(
                        "--max-vus belongs to the open model (--rate)".to_owned(),
                    ));
                }
                let stages = match stages {
                    Some(stages) => stages
                        .iter()
                        .map(|s| {
                            if s.target.fract() != 0.0 || s.target > MAX_VUS as f64 {
                                return Err(PlanError::Range(format!(
                                    "a stage's target is a whole number of VUs, at most {MAX_VUS}"
                                )));
                            }
                            Ok(Stage { duration: s.duration, target: s.target as u64 })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    None => vec![Stage { duration: Duration::ZERO, target: start_vus }],
                };
                Model::Closed { start_vus, stages }
            }
            _ => return Err(PlanError::NoModel),
        };
        let mut plan = Plan {
            model,
            duration,
            max_requests,
            graceful_stop: self.graceful_stop.unwrap_or(DEFAULT_GRACEFUL_STOP),
        };
        let staged: Duration = match &plan.model {
            Model::Closed { stages, .. } => stages.iter().map(|s| s.duration).sum(),
            Model::Open { stages, .. } => stages.iter().map(|s| s.duration).sum(),
        };
        if self.duration.is_none() && !staged.is_zero() {
            // Stages say how long the run is; --duration still caps it when given.
            plan.duration = staged;
        }
        Ok(plan)
    }
}

impl Plan {
    /// The total time of the plan: the stages' sum for a staged model, capped by `duration`;
    /// else `duration`.
    pub fn length(&self) -> Duration {
        let staged: Duration = match &self.model {
            Model::Closed { stages, .. } => stages.iter().map(|s| s.duration).sum(),
            Model::Open { stages, .. } => stages.iter().map(|s| s.duration).sum(),
        };
        if staged.is_zero() { self.duration } else { staged.min(self.duration) }
    }

    /// The model as a sentence (also written to the result document).
    pub fn describe(&self) -> String {
        match &self.model {
            Model::Closed { start_vus, stages }
                if stages.len() == 1 && stages[0].target == *start_vus =>
            {
                format!("closed model, {start_vus} VU(s) for {:?}", self.length())
            }
            Model::Closed { start_vus, stages } => format!(
                "closed model, from {start_vus} VU(s) through stages {}",
                stages
                    .iter()
                    .map(|s| format!("{:?}:{}", s.duration, s.target))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Model::Open { rate, max_vus, stages } if stages.is_empty() => format!(
                "open model, {rate:.3}/s for {:?} with at most {max_vus} VU(s)",
                self.length()
            ),
            Model::Open { rate, max_vus, stages } => format!(
                "open model, from {rate:.3}/s through stages {} with at most {max_vus} VU(s)",
                stages
                    .iter()
                    .map(|s| format!("{:?}:{}/s", s.duration, s.target))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
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

    /// The open model's arrival schedule (`None` for a closed model).
    pub fn arrivals(&self) -> Option<Arrivals> {
        match &self.model {
            Model::Open { rate, stages, .. } => Some(Arrivals::new(*rate, stages)),
            Model::Closed { .. } => None,
        }
    }

    /// The fraction of this plan that `shard` runs (k6 execution segments): VUs split as
    /// `floor(M·V/N) − floor((M−1)·V/N)`, so the shards sum exactly, and rates proportionally.
    /// Bounds (`max_requests`) are split the same way; durations are not.
    pub fn for_shard(&self, shard: Shard) -> Plan {
        let part = |v: u64| shard.part_of(v);
        let n = shard.total as f64;
        let model = match &self.model {
            Model::Closed { start_vus, stages } => Model::Closed {
                start_vus: part(*start_vus),
                stages: stages
                    .iter()
                    .map(|s| Stage { duration: s.duration, target: part(s.target) })
                    .collect(),
            },
            Model::Open { rate, max_vus, stages } => Model::Open {
                rate: rate / n,
                max_vus: part(*max_vus).max(1),
                stages: stages
                    .iter()
                    .map(|s| RateStage { duration: s.duration, target: s.target / n })
                    .collect(),
            },
        };
        Plan { model, max_requests: part(self.max_requests), ..self.clone() }
    }
}

/// When the open model's iterations start: start `k` (0-based) is due when the number of
/// arrivals so far, the integral of the rate from the run's start, reaches `k`. A constant rate
/// `R` gives `k / R`; a linear ramp from `r0` to `r1` over `T` gives the root of
/// `r0·t + (r1 − r0)·t² / 2T = m` in its stage. So a stage holds exactly the starts `k` with
/// `N(stage start) ≤ k < N(stage end)`, and the schedule ends with the last stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrivals {
    /// Constant: the rate, with no end.
    constant: Option<f64>,
    /// Ramping: per stage, (start offset, length, rate at start, rate at end, arrivals before).
    ramps: Vec<Ramp>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Ramp {
    at: f64,
    length: f64,
    from: f64,
    to: f64,
    before: f64,
}

impl Ramp {
    fn arrivals(&self) -> f64 {
        (self.from + self.to) / 2.0 * self.length
    }
}

impl Arrivals {
    /// The schedule of a rate `rate` ramped through `stages` (constant if there are none).
    pub fn new(rate: f64, stages: &[RateStage]) -> Arrivals {
        if stages.is_empty() {
            return Arrivals { constant: Some(rate), ramps: Vec::new() };
        }
        let (mut at, mut from, mut before) = (0.0, rate, 0.0);
        let mut ramps = Vec::new();
        for stage in stages {
            let ramp =
                Ramp { at, length: stage.duration.as_secs_f64(), from, to: stage.target, before };
            before += ramp.arrivals();
            at += ramp.length;
            from = stage.target;
            ramps.push(ramp);
        }
        Arrivals { constant: None, ramps }
    }

    /// When start `k` is due, from the run's start; `None` once the stages are over.
    pub fn at(&self, k: u64) -> Option<Duration> {
        let k = k as f64;
        if let Some(rate) = self.constant {
            return (rate > 0.0).then(|| Duration::from_secs_f64(k / rate));
        }
        let ramp = self.ramps.iter().find(|r| k < r.before + r.arrivals())?;
        let m = k - ramp.before;
        // r0·t + a·t² = m with a = (r1 − r0) / 2T, in the form that stays exact when a → 0.
        let a = (ramp.to - ramp.from) / (2.0 * ramp.length.max(1e-12));
        let root = (ramp.from * ramp.from + 4.0 * a * m).max(0.0).sqrt();
        let t = if m <= 0.0 { 0.0 } else { 2.0 * m / (ramp.from + root) };
        let t = if t.is_finite() { t.clamp(0.0, ramp.length) } else { ramp.length };
        Some(Duration::from_secs_f64(ramp.at + t))
    }

    /// How many starts the schedule holds before `elapsed` (rounded up: start `k` is due at
    /// `N = k`). For a constant rate, `ceil(R · elapsed)`.
    pub fn due_before(&self, elapsed: Duration) -> u64 {
        let t = elapsed.as_secs_f64();
        let n = match self.constant {
            Some(rate) => rate * t,
            None => {
                let mut n = 0.0;
                for ramp in &self.ramps {
                    if t >= ramp.at + ramp.length {
                        n = ramp.before + ramp.arrivals();
                        continue;
                    }
                    let x = (t - ramp.at).max(0.0);
                    let a = (ramp.to - ramp.from) / (2.0 * ramp.length.max(1e-12));
                    n = ramp.before + ramp.from * x + a * x * x;
                    break;
                }
                n
            }
        };
        // Rounding noise must not add a start: 4.9999999 and 5.0000001 are 5.
        let rounded = n.round();
        let n = if (n - rounded).abs() < 1e-6 { rounded } else { n };
        n.ceil().max(0.0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Option<Duration> {
        text.strip_suffix('s').and_then(|n| n.parse().ok()).map(Duration::from_secs)
    }

    fn stages(text: &str) -> Vec<StageSpec> {
        parse_stages(text, &secs).unwrap()
    }

    #[test]
    fn stages_and_rates_parse() {
        let parsed = stages("10s:5, 20s:20");
        assert_eq!(parsed[1], StageSpec { duration: Duration::from_secs(20), target: 20.0 });
        assert_eq!(stages("10s:3000/m, 1s:0")[0].target, 50.0);
        assert_eq!(stages("1s:0")[0].target, 0.0);
        assert!(parse_stages("10s", &secs).is_err());
        assert!(parse_stages("", &secs).is_err());
        assert!(parse_stages("1s:-1", &secs).is_err());
        assert_eq!(parse_rate("200/s").unwrap(), 200.0);
        assert_eq!(parse_rate("50").unwrap(), 50.0);
        assert_eq!(parse_rate("3000/m").unwrap(), 50.0);
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-3").is_err());
        assert!(parse_rate("NaN").is_err());
        assert!(parse_rate("5/fortnight").is_err());
    }

    #[test]
    fn options_check_the_model_and_the_command_line_wins() {
        let closed = Options { vus: Some(3), ..Options::default() };
        let plan = closed.plan().unwrap();
        assert_eq!(plan.duration, DEFAULT_DURATION);
        assert!(matches!(plan.model, Model::Closed { start_vus: 3, .. }));
        let too_many = Options { stages: Some(stages("1s:99999999")), ..Options::default() };
        assert!(too_many.plan().is_err());
        let half = Options { stages: Some(stages("1s:2.5")), ..Options::default() };
        assert!(half.plan().is_err());
        let both = Options { vus: Some(1), rate: Some(5.0), ..Options::default() };
        assert_eq!(both.plan(), Err(PlanError::ModelConflict));
        assert_eq!(Options::default().plan(), Err(PlanError::NoModel));
        let pool = Options { vus: Some(1), max_vus: Some(4), ..Options::default() };
        assert!(pool.plan().is_err());

        // A suite's open model with a pool, under a command line that asks for VUs: the
        // command line's model replaces the suite's whole model (its pool included).
        let suite = Options {
            rate: Some(10.0),
            max_vus: Some(4),
            duration: Some(Duration::from_secs(9)),
            max_requests: Some(50),
            ..Options::default()
        };
        let cli = Options { vus: Some(2), max_requests: Some(7), ..Options::default() };
        let plan = cli.over(&suite).plan().unwrap();
        assert!(matches!(plan.model, Model::Closed { start_vus: 2, .. }));
        assert_eq!((plan.duration, plan.max_requests), (Duration::from_secs(9), 7));
        let plan = Options::default().over(&suite).plan().unwrap();
        assert!(matches!(plan.model, Model::Open { max_vus: 4, .. }));

        // Ramping rate: the stages say how long the run is.
        let ramp =
            Options { rate: Some(1.0), stages: Some(stages("2s:10,3s:0")), ..Options::default() };
        let plan = ramp.plan().unwrap();
        assert_eq!(plan.length(), Duration::from_secs(5));
        assert!(matches!(&plan.model, Model::Open { stages, .. } if stages.len() == 2));
    }

    #[test]
    fn ramps_are_linear_between_targets() {
        let plan = Plan {
            model: Model::Closed {
                start_vus: 0,
                stages: vec![
                    Stage { duration: Duration::from_secs(10), target: 10 },
                    Stage { duration: Duration::from_secs(10), target: 10 },
                    Stage { duration: Duration::from_secs(10), target: 0 },
                ],
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
    fn the_arrival_schedule_integrates_the_rate() {
        let constant = Arrivals::new(50.0, &[]);
        assert_eq!(constant.at(0), Some(Duration::ZERO));
        assert_eq!(constant.at(25), Some(Duration::from_millis(500)));
        assert_eq!(constant.due_before(Duration::from_secs(1)), 50);

        // 0 → 10/s over 1 s (5 starts), 10/s for 1 s (10), 10 → 0/s over 1 s (5).
        let s = |secs: u64, target: f64| RateStage { duration: Duration::from_secs(secs), target };
        let ramp = Arrivals::new(0.0, &[s(1, 10.0), s(1, 10.0), s(1, 0.0)]);
        assert_eq!(ramp.at(0), Some(Duration::ZERO));
        // N(t) = 5t² on the first ramp: start 1 at √0.2 s.
        let first = ramp.at(1).unwrap().as_secs_f64();
        assert!((first - 0.2f64.sqrt()).abs() < 1e-9, "{first}");
        assert_eq!(ramp.at(5), Some(Duration::from_secs(1)));
        assert_eq!(ramp.at(10), Some(Duration::from_millis(1500)));
        assert!(ramp.at(19).is_some());
        assert_eq!(ramp.at(20), None, "the schedule ends with its stages");
        let secs = Duration::from_secs;
        let counts: Vec<u64> = [(0, 1), (1, 2), (2, 3)]
            .iter()
            .map(|&(a, b)| ramp.due_before(secs(b)) - ramp.due_before(secs(a)))
            .collect();
        assert_eq!(counts, [5, 10, 5]);
        // Starts are due in order.
        let times: Vec<Duration> = (0..20).filter_map(|k| ramp.at(k)).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
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
        let stages = vec![RateStage { duration: Duration::from_secs(1), target: 40.0 }];
        let open = Plan { model: Model::Open { rate: 100.0, max_vus: 10, stages }, ..plan };
        let part = open.for_shard(Shard { index: 2, total: 4 });
        let quarter = vec![RateStage { duration: Duration::from_secs(1), target: 10.0 }];
        assert_eq!(part.model, Model::Open { rate: 25.0, max_vus: 3, stages: quarter });
    }
}
