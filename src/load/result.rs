//! The result document of a load run, `shakedown.load/v1`: self-describing, so shards merge.
//!
//! It holds the counters, the summaries people read, and the raw histograms (base64 V2) that
//! `shakedown merge` adds up. [`LoadResult::aggregate`] reads a document back into an
//! [`Aggregate`], and [`merge`] checks a set of shard results and combines them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::load::histogram::{HistogramError, Latency, Summary};
use crate::load::metrics::{Aggregate, AttemptClass, Counters, PHASES, RequestStats};
use crate::load::shard::{CompleteShards, Shard, ShardSet, ShardSetError};
use crate::load::threshold::{Threshold, ThresholdError, Verdict};

/// The schema name.
pub const SCHEMA: &str = "shakedown.load/v1";

/// A histogram with its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistogramDoc {
    /// Percentiles in µs.
    #[serde(flatten)]
    pub summary: Summary,
    /// HdrHistogram V2 encoding, base64.
    pub hdr: String,
}

impl HistogramDoc {
    fn of(h: &Latency) -> HistogramDoc {
        HistogramDoc { summary: h.summary(), hdr: h.encode() }
    }
}

/// One request name × outcome class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestDoc {
    /// `file:line METHOD url-template`.
    pub name: String,
    /// `ok`, `failed` or `error`.
    pub outcome: String,
    /// Attempts.
    pub count: u64,
    /// Status codes.
    pub status_codes: BTreeMap<String, u64>,
    /// Transport errors by class.
    pub errors: BTreeMap<String, u64>,
    /// Latency.
    pub latency: HistogramDoc,
    /// Phases: queue, connect, tls, send, wait, receive.
    pub phases: BTreeMap<String, HistogramDoc>,
}

/// The shard that wrote a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardDoc {
    /// 1-based.
    pub index: u64,
    /// N.
    pub total: u64,
}

/// The document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The shard that wrote it, if sharded; a merged result has none.
    pub shard: Option<ShardDoc>,
    /// The shards a merged result was made of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// `closed` or `open`, with its parameters, as a sentence.
    pub model: String,
    /// The files iterated.
    pub files: Vec<String>,
    /// Wall-clock start (RFC 3339).
    pub started: String,
    /// Elapsed milliseconds (for a merge: the longest shard's).
    pub elapsed_ms: u64,
    /// Requests per second over `elapsed_ms`.
    pub rps: f64,
    /// The most VUs at once (summed over shards).
    pub vus_max: u64,
    /// Stopped by a signal.
    pub interrupted: bool,
    /// Counters.
    pub iterations: u64,
    /// Iterations whose file did not pass.
    pub iterations_failed: u64,
    /// Starts dropped because no VU was free.
    pub dropped_iterations: u64,
    /// Iterations cut off at the end.
    pub interrupted_iterations: u64,
    /// Attempts.
    pub requests: u64,
    /// Attempts that failed in the transport.
    pub errors: u64,
    /// Asserts evaluated.
    pub asserts: u64,
    /// Asserts that failed.
    pub assert_failures: u64,
    /// Transport retries.
    pub retries: u64,
    /// Retries by the cause retried.
    pub retries_by_cause: BTreeMap<String, u64>,
    /// Retries by the rule that allowed them.
    pub retries_by_rule: BTreeMap<String, u64>,
    /// Transport errors by class.
    pub errors_by_class: BTreeMap<String, u64>,
    /// Status codes.
    pub status_codes: BTreeMap<String, u64>,
    /// Latency of every attempt.
    pub latency: HistogramDoc,
    /// Iteration durations.
    pub iteration_duration: HistogramDoc,
    /// Per request name × outcome.
    pub requests_by_name: Vec<RequestDoc>,
    /// Thresholds as written (evaluated again after a merge).
    pub thresholds: Vec<String>,
    /// Their verdicts on this document's numbers.
    pub threshold_results: Vec<Verdict>,
    /// The fault plan the load ran under (a suite's `[faults]`), and what it injected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<LoadFaults>,
}

/// The fault plan of a load on a suite and what its proxies injected, counted (a load keeps no
/// attempt, so the faults are not reconciled one by one as in a run's report).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadFaults {
    /// The seed of every roll.
    pub seed: u64,
    /// Where the plan came from.
    pub source: String,
    /// The plan's faults, as written.
    pub plan: Vec<String>,
    /// Connections the proxies accepted.
    pub connections: u64,
    /// Faults injected, by type (`reset_peer`, ...).
    pub injected: BTreeMap<String, u64>,
    /// Injected faults the proxies' logs could not keep (counted nowhere else).
    pub log_dropped: u64,
}

/// What the document describes besides the aggregate.
#[derive(Clone, Debug, Default)]
pub struct RunFacts {
    /// The shard.
    pub shard: Option<Shard>,
    /// The model, as a sentence.
    pub model: String,
    /// The files.
    pub files: Vec<String>,
    /// Wall-clock start.
    pub started: String,
    /// Elapsed.
    pub elapsed: Duration,
    /// Most VUs at once.
    pub vus_max: u64,
    /// Stopped by a signal.
    pub interrupted: bool,
    /// Thresholds as written.
    pub thresholds: Vec<String>,
}

fn stringify<K: ToString>(map: &BTreeMap<K, u64>) -> BTreeMap<String, u64> {
    map.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

impl LoadResult {
    /// Builds the document.
    pub fn new(aggregate: &Aggregate, facts: RunFacts, verdicts: Vec<Verdict>) -> LoadResult {
        let c = &aggregate.counters;
        let seconds = facts.elapsed.as_secs_f64();
        LoadResult {
            schema: SCHEMA.to_owned(),
            shard: facts.shard.map(|s| ShardDoc { index: s.index, total: s.total }),
            merged_from: Vec::new(),
            model: facts.model,
            files: facts.files,
            started: facts.started,
            elapsed_ms: u64::try_from(facts.elapsed.as_millis()).unwrap_or(u64::MAX),
            rps: if seconds > 0.0 {
                (c.requests as f64 / seconds * 10.0).round() / 10.0
            } else {
                0.0
            },
            vus_max: facts.vus_max,
            interrupted: facts.interrupted,
            iterations: c.iterations,
            iterations_failed: c.iterations_failed,
            dropped_iterations: c.dropped_iterations,
            interrupted_iterations: c.interrupted_iterations,
            requests: c.requests,
            errors: c.errors,
            asserts: c.asserts,
            assert_failures: c.assert_failures,
            retries: c.retries,
            retries_by_cause: aggregate.retries_by_cause.clone(),
            retries_by_rule: aggregate.retries_by_rule.clone(),
            errors_by_class: aggregate.errors_by_class(),
            status_codes: stringify(&aggregate.status_codes()),
            latency: HistogramDoc::of(&aggregate.latency),
            iteration_duration: HistogramDoc::of(&aggregate.iteration),
            requests_by_name: aggregate
                .requests
                .iter()
                .flat_map(|(name, by_class)| by_class.iter().map(move |(c, s)| (name, c, s)))
                .map(|(name, class, stats)| RequestDoc {
                    name: name.clone(),
                    outcome: class.as_str().to_owned(),
                    count: stats.count,
                    status_codes: stringify(&stats.status_codes),
                    errors: stats.errors.clone(),
                    latency: HistogramDoc::of(&stats.latency),
                    phases: PHASES
                        .iter()
                        .zip(&stats.phases)
                        .map(|(name, h)| ((*name).to_owned(), HistogramDoc::of(h)))
                        .collect(),
                })
                .collect(),
            thresholds: facts.thresholds,
            threshold_results: verdicts,
            faults: None,
        }
    }

    /// Reads the aggregate back (histograms decoded; counters as written).
    pub fn aggregate(&self) -> Result<Aggregate, HistogramError> {
        let mut requests = BTreeMap::new();
        for doc in &self.requests_by_name {
            let class = AttemptClass::parse(&doc.outcome).unwrap_or(AttemptClass::Error);
            let mut stats = RequestStats {
                count: doc.count,
                latency: Latency::decode(&doc.latency.hdr)?,
                status_codes: doc
                    .status_codes
                    .iter()
                    .filter_map(|(k, v)| k.parse::<u16>().ok().map(|k| (k, *v)))
                    .collect(),
                errors: doc.errors.clone(),
                ..RequestStats::default()
            };
            for (name, h) in PHASES.iter().zip(stats.phases.iter_mut()) {
                if let Some(phase) = doc.phases.get(*name) {
                    *h = Latency::decode(&phase.hdr)?;
                }
            }
            let by_class: &mut BTreeMap<AttemptClass, RequestStats> =
                requests.entry(doc.name.clone()).or_default();
            by_class.entry(class).or_default().add(&stats);
        }
        Ok(Aggregate {
            counters: Counters {
                iterations: self.iterations,
                iterations_failed: self.iterations_failed,
                dropped_iterations: self.dropped_iterations,
                interrupted_iterations: self.interrupted_iterations,
                requests: self.requests,
                errors: self.errors,
                asserts: self.asserts,
                assert_failures: self.assert_failures,
                retries: self.retries,
            },
            requests,
            latency: Latency::decode(&self.latency.hdr)?,
            iteration: Latency::decode(&self.iteration_duration.hdr)?,
            retries_by_cause: self.retries_by_cause.clone(),
            retries_by_rule: self.retries_by_rule.clone(),
        })
    }
}

/// A set of shard results that cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A file is not a load result.
    #[error("{0}: not a {SCHEMA} document: {1}")]
    NotAResult(String, String),
    /// A result has no shard.
    #[error("{0}: this result is not a shard (no `shard`); run with --shard M/N")]
    NotAShard(String),
    /// Shards disagree on N.
    #[error("the shards disagree on the total: {0}")]
    Totals(String),
    /// Shards missing.
    #[error("shard(s) missing: {missing} of {total}")]
    Missing {
        /// Which.
        missing: String,
        /// N.
        total: u64,
    },
    /// A histogram does not decode.
    #[error("{0}: {1}")]
    Histogram(String, HistogramError),
    /// Nothing given.
    #[error("no result file given")]
    Empty,
}

impl From<ShardSetError> for MergeError {
    fn from(error: ShardSetError) -> MergeError {
        match error {
            ShardSetError::Totals(which) => MergeError::Totals(which),
            ShardSetError::Missing { missing, total } => MergeError::Missing { missing, total },
            ShardSetError::Empty => MergeError::Empty,
        }
    }
}

/// The merged aggregate and what the merge noticed.
#[derive(Debug)]
pub struct Merged {
    /// The sum of the shards.
    pub aggregate: Aggregate,
    /// The facts of the merged run (no shard; the longest elapsed; the union of thresholds).
    pub facts: RunFacts,
    /// The files merged, by shard index.
    pub used: Vec<String>,
    /// Duplicates ignored: (index, the file ignored, the file kept).
    pub duplicates: Vec<(u64, String, String)>,
}

impl Merged {
    /// The merged document: the shards' thresholds and `extra` judged on the sum (which one
    /// shard alone cannot do), and the files it came from.
    pub fn result(&self, extra: &[Threshold]) -> Result<LoadResult, ThresholdError> {
        let mut facts = self.facts.clone();
        for t in extra {
            if !facts.thresholds.contains(&t.text) {
                facts.thresholds.push(t.text.clone());
            }
        }
        let thresholds =
            facts.thresholds.iter().map(|t| Threshold::parse(t)).collect::<Result<Vec<_>, _>>()?;
        let verdicts =
            thresholds.iter().map(|t| t.evaluate(&self.aggregate, facts.elapsed)).collect();
        let mut result = LoadResult::new(&self.aggregate, facts, verdicts);
        result.merged_from.clone_from(&self.used);
        Ok(result)
    }
}

/// Checks that every shard 1..N is present exactly once (a duplicate index keeps the first
/// file given and names the other), and adds the shards up.
pub fn merge(inputs: &[(String, String)]) -> Result<Merged, MergeError> {
    let mut docs = Vec::new();
    for (name, text) in inputs {
        let schema = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("schema").and_then(|s| s.as_str()).map(str::to_owned));
        if let Some(schema) = schema.filter(|s| s != SCHEMA) {
            return Err(MergeError::NotAResult(
                name.clone(),
                format!(
                    "schema `{schema}` (reports of `test` and `run` shards merge on their own, not with load results)"
                ),
            ));
        }
        let doc: LoadResult = serde_json::from_str(text)
            .map_err(|e| MergeError::NotAResult(name.clone(), e.to_string()))?;
        if doc.schema != SCHEMA {
            return Err(MergeError::NotAResult(name.clone(), format!("schema `{}`", doc.schema)));
        }
        docs.push((name.clone(), doc));
    }
    merge_docs(docs)
}

/// [`merge`] of documents already read: a load layer's result from each shard's `run` report.
pub fn merge_docs(docs: Vec<(String, LoadResult)>) -> Result<Merged, MergeError> {
    let mut shards = ShardSet::default();
    for (name, doc) in docs {
        let shard = doc.shard.as_ref().ok_or_else(|| MergeError::NotAShard(name.clone()))?;
        let shard = Shard { index: shard.index, total: shard.total };
        shards.add(&name, shard, doc)?;
    }
    let CompleteShards { total, by_index, duplicates } = shards.complete()?;
    let mut aggregate = Aggregate::default();
    let mut facts = RunFacts::default();
    let mut used = Vec::new();
    for (index, (name, doc)) in &by_index {
        let part = doc.aggregate().map_err(|e| MergeError::Histogram(name.clone(), e))?;
        aggregate.add(&part);
        facts.elapsed = facts.elapsed.max(Duration::from_millis(doc.elapsed_ms));
        facts.vus_max += doc.vus_max;
        facts.interrupted |= doc.interrupted;
        if *index == 1 {
            facts.model = format!("{total} shard(s); shard 1: {}", doc.model);
            facts.started = doc.started.clone();
        }
        for file in &doc.files {
            if !facts.files.contains(file) {
                facts.files.push(file.clone());
            }
        }
        for t in &doc.thresholds {
            if !facts.thresholds.contains(t) {
                facts.thresholds.push(t.clone());
            }
        }
        used.push(name.clone());
    }
    Ok(Merged { aggregate, facts, used, duplicates })
}
