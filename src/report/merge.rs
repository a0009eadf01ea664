//! `shakedown merge` of `shakedown.report/v1` shard reports (from `test --shard M/N` and
//! `run --shard M/N`): pure, texts in, one combined [`Report`] out.
//!
//! The rules are load merge's (`load::result::merge`): every shard 1..N present once (a
//! duplicate index keeps the first and says which was ignored, a missing index is an
//! error naming it), every shard agreeing on N. The files are concatenated and sorted by
//! path (stable: a file repeated by `--repeat` keeps its order), and the ledger and the
//! diagnoses follow them; totals, the exit code and the verdict are computed again from
//! the combined files with the rule of a single run ([`exit_code()`], [`verdict`]). Under
//! `shakedown run`, every shard ran every layer on its own servers: a layer is reported
//! once, with the worst outcome of the shards, the files of all of them, and a command
//! layer's command and test cases from the first shard where it ended worst; `servers[]`
//! lists every shard's servers, in shard order. [`junit_suites`] rebuilds the JUnit
//! document of the combined report for `report::junit::write_suites`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::exit_code;
use crate::load::shard::{CompleteShards, Shard, ShardSet, ShardSetError};
use crate::report::junit::{self, Case, CaseResult, Problem, Rerun, RerunKind, Suite, case};
use crate::report::model::{
    AttemptDto, EntryDto, FileDto, LearnedLimitDto, LedgerDto, MergedShardDto, ReadError, Report,
    TotalsDto,
};
use crate::report::source::FailedAssert;
use crate::report::suite::{LayerCountsDto, LayerDto};

/// Why shard reports cannot be merged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    /// A file is not a report.
    #[error("{0}: {1}")]
    NotAReport(String, ReadError),
    /// A report has no `run.shard`.
    #[error("{0}: this report is not a shard (no `run.shard`); run with --shard M/N")]
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
    /// `test` and `run` reports mixed.
    #[error("{test} is a `shakedown test` report but {run} is a `shakedown run` report")]
    Mixed {
        /// A `test` report.
        test: String,
        /// A `run` report.
        run: String,
    },
    /// Nothing given.
    #[error("no report given")]
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

/// The combined report and what the merge noticed.
#[derive(Debug)]
pub struct Merged {
    /// The combined document.
    pub report: Report,
    /// The exit code a single run with these results would have had.
    pub code: u8,
    /// The reports used, in shard order: (index, name).
    pub used: Vec<(u64, String)>,
    /// Indexes given twice: (index, the name ignored, the name kept).
    pub duplicates: Vec<(u64, String, String)>,
    /// Things worth saying (shards that ran with different options, checkpoints).
    pub notes: Vec<String>,
}

/// Merges the shard reports `inputs` (name, text); `command_line` is the merge's own.
pub fn merge(inputs: &[(String, String)], command_line: &[String]) -> Result<Merged, MergeError> {
    let mut shards = ShardSet::default();
    let mut kinds: (Option<String>, Option<String>) = (None, None);
    for (name, text) in inputs {
        let report = Report::parse(text).map_err(|e| MergeError::NotAReport(name.clone(), e))?;
        let shard = report.run.shard.clone().ok_or_else(|| MergeError::NotAShard(name.clone()))?;
        let kind = if report.suite.is_some() { &mut kinds.1 } else { &mut kinds.0 };
        kind.get_or_insert_with(|| name.clone());
        if let (Some(test), Some(run)) = &kinds {
            return Err(MergeError::Mixed { test: test.clone(), run: run.clone() });
        }
        shards.add(name, Shard { index: shard.index, total: shard.total }, report)?;
    }
    let CompleteShards { by_index, duplicates, .. } = shards.complete()?;
    let used: Vec<(u64, String)> =
        by_index.iter().map(|(index, (name, _))| (*index, name.clone())).collect();
    let shards: Vec<(String, Report)> = by_index.into_values().collect();
    let mut notes = Vec::new();
    let report = combine(&shards, &used, command_line, &mut notes);
    let code = exit_code(&report);
    Ok(Merged { report, code, used, duplicates, notes })
}

/// The combined document of shards already checked.
fn combine(
    shards: &[(String, Report)],
    used: &[(u64, String)],
    command_line: &[String],
    notes: &mut Vec<String>,
) -> Report {
    let Some((first_name, first)) = shards.first() else {
        return empty_report(command_line);
    };
    let mut files: Vec<FileDto> = Vec::new();
    let mut ledger: Vec<LedgerDto> = Vec::new();
    let mut diagnoses = Vec::new();
    let mut limits: BTreeMap<String, LearnedLimitDto> = BTreeMap::new();
    let mut run = first.run.clone();
    run.command_line = command_line.to_vec();
    run.shard = None;
    run.merged_from = Some(
        used.iter()
            .map(|(index, path)| MergedShardDto { path: path.clone(), index: *index })
            .collect(),
    );
    run.retry_budget = Default::default();
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    let mut partial = false;
    let mut checkpoint = None;
    for (name, shard) in shards {
        files.extend(shard.files.iter().cloned());
        ledger.extend(shard.ledger.iter().cloned());
        diagnoses.extend(shard.diagnoses.iter().cloned());
        for limit in &shard.run.learned_idle_limits {
            let kept = limits.entry(limit.origin.clone()).or_insert_with(|| limit.clone());
            if limit.idle_limit_ms < kept.idle_limit_ms {
                *kept = limit.clone();
            }
        }
        run.retry_budget.requests += shard.run.retry_budget.requests;
        run.retry_budget.retries += shard.run.retry_budget.retries;
        run.retry_budget.exhausted |= shard.run.retry_budget.exhausted;
        if shard.run.options != first.run.options || shard.run.policy != first.run.policy {
            notes.push(format!(
                "{name} ran with other options or another retry policy than {first_name}; the merged report shows {first_name}'s"
            ));
        }
        if let Ok(start) = DateTime::parse_from_rfc3339(&shard.run.started_at) {
            let start = start.with_timezone(&Utc);
            let end = start + Duration::from_millis(shard.run.duration_ms);
            span = Some(match span {
                None => (start, end),
                Some((s, e)) => (s.min(start), e.max(end)),
            });
        }
        partial |= shard.partial;
        if shard.checkpoint == Some(true) {
            notes.push(format!(
                "{name} is a checkpoint: that shard never finished (killed?); its results are partial"
            ));
        }
        checkpoint = match (checkpoint, shard.checkpoint) {
            (Some(a), Some(b)) => Some(a || b),
            (a, b) => a.or(b),
        };
    }
    if let Some((start, end)) = span {
        run.started_at = start.to_rfc3339_opts(SecondsFormat::Millis, true);
        run.duration_ms = u64::try_from((end - start).num_milliseconds()).unwrap_or(0);
    }
    run.learned_idle_limits = limits.into_values().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    ledger.sort_by(|a, b| a.file.cmp(&b.file));
    diagnoses.sort_by(|a, b| a.file.cmp(&b.file));
    let mut totals = TotalsDto::of_files(&files);
    let (layers, servers) = if first.suite.is_some() {
        let layers = merge_layers(shards, notes);
        totals.layers = Some(layer_counts(&layers));
        let servers =
            shards.iter().flat_map(|(_, s)| s.servers.iter().flatten().cloned()).collect();
        (Some(layers), Some(servers))
    } else {
        (None, None)
    };
    let mut report = Report {
        schema: crate::report::json::SCHEMA.to_owned(),
        outcome: String::new(),
        partial,
        totals,
        run,
        files,
        ledger,
        diagnoses,
        checkpoint,
        suite: first.suite.clone(),
        layers,
        servers,
        faults: merge_faults(shards),
    };
    report.outcome = verdict(exit_code(&report), &report.files).to_owned();
    report
}

fn empty_report(command_line: &[String]) -> Report {
    Report {
        schema: crate::report::json::SCHEMA.to_owned(),
        outcome: "passed".to_owned(),
        partial: false,
        totals: TotalsDto::default(),
        run: crate::report::model::RunDto {
            shakedown_version: env!("CARGO_PKG_VERSION").to_owned(),
            hurl_version: crate::report::json::HURL_VERSION.to_owned(),
            command_line: command_line.to_vec(),
            options: crate::report::json::options_json(&Default::default()),
            policy: crate::report::json::policy_json(&Default::default(), false),
            started_at: DateTime::<Utc>::from(SystemTime::UNIX_EPOCH)
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            duration_ms: 0,
            seed: None,
            learned_idle_limits: Vec::new(),
            retry_budget: Default::default(),
            shard: None,
            merged_from: Some(Vec::new()),
        },
        files: Vec::new(),
        ledger: Vec::new(),
        diagnoses: Vec::new(),
        checkpoint: None,
        suite: None,
        layers: None,
        servers: None,
        faults: None,
    }
}

/// The shards' `faults` sections in one: the first plan, every shard's proxies and injected
/// faults in shard order, the counts added up.
fn merge_faults(shards: &[(String, Report)]) -> Option<crate::report::faults::FaultsSection> {
    let mut sections = shards.iter().filter_map(|(_, s)| s.faults.as_ref());
    let mut merged = sections.next()?.clone();
    for section in sections {
        merged.proxies.extend(section.proxies.iter().cloned());
        merged.injected.extend(section.injected.iter().cloned());
        let (m, c) = (&mut merged.counts, &section.counts);
        m.injected += c.injected;
        m.absorbed += c.absorbed;
        m.failed += c.failed;
        m.prevented += c.prevented;
        m.never_met += c.never_met;
    }
    Some(merged)
}

/// How bad a layer's outcome is, worst first.
fn layer_rank(outcome: &str) -> u8 {
    match outcome {
        "interrupted" => 0,
        "error" => 1,
        "failed" => 2,
        "not_run" => 3,
        "flaky" => 4,
        "passed" => 5,
        _ => 1,
    }
}

/// One layer per name, in the first shard's order: the worst outcome, every shard's files.
fn merge_layers(shards: &[(String, Report)], notes: &mut Vec<String>) -> Vec<LayerDto> {
    let mut names: Vec<String> = Vec::new();
    for (_, shard) in shards {
        for layer in shard.layers.iter().flatten() {
            if !names.contains(&layer.name) {
                names.push(layer.name.clone());
            }
        }
    }
    names
        .iter()
        .filter_map(|name| {
            let all: Vec<&LayerDto> = shards
                .iter()
                .filter_map(|(_, s)| s.layers.iter().flatten().find(|l| &l.name == name))
                .collect();
            let worst = all.iter().min_by_key(|l| layer_rank(&l.outcome))?;
            let mut layer = (*worst).clone();
            layer.started_at = all.iter().map(|l| l.started_at.clone()).min().unwrap_or_default();
            layer.duration_ms = all.iter().map(|l| l.duration_ms).fold(0.0, f64::max);
            layer.files = all.iter().flat_map(|l| l.files.iter().cloned()).collect();
            layer.files.sort();
            layer.not_run_files =
                all.iter().flat_map(|l| l.not_run_files.iter().cloned()).collect();
            layer.not_run_files.sort();
            if all.iter().any(|l| l.load.is_some()) {
                merge_load(&mut layer, shards, notes);
            }
            Some(layer)
        })
        .collect()
}

/// A load layer: each shard ran its fraction of the load, so the result is the shards'
/// results added up (`load::result::merge_docs`) with the thresholds judged on the sum, and
/// the layer's outcome is what that sum decides. When a shard has no result for the layer
/// (it failed before its load ran) the worst shard's layer stands, and a note says why.
fn merge_load(layer: &mut LayerDto, shards: &[(String, Report)], notes: &mut Vec<String>) {
    // Every shard ran all of the layer's files (sorted already).
    layer.files.dedup();
    let docs: Vec<(String, crate::load::result::LoadResult)> = shards
        .iter()
        .filter_map(|(name, shard)| {
            let found = shard.layers.iter().flatten().find(|l| l.name == layer.name)?;
            Some((name.clone(), (**found.load.as_ref()?).clone()))
        })
        .collect();
    let result = crate::load::result::merge_docs(docs)
        .map_err(|e| e.to_string())
        .and_then(|merged| merged.result(&[]).map_err(|e| format!("in a shard's result: {e}")));
    match result {
        Ok(result) => {
            let (outcome, note) = crate::load::summary::layer_outcome(&result);
            (layer.outcome, layer.note) = (outcome.to_owned(), note);
            layer.load = Some(Box::new(result));
        }
        Err(e) => notes.push(format!(
            "load layer {}: its results are not merged ({e}); the report shows the worst shard's",
            layer.name
        )),
    }
}

fn layer_counts(layers: &[LayerDto]) -> LayerCountsDto {
    let mut counts = LayerCountsDto { total: layers.len(), ..LayerCountsDto::default() };
    for layer in layers {
        match layer.outcome.as_str() {
            "passed" => counts.passed += 1,
            "flaky" => counts.flaky += 1,
            "failed" => counts.failed += 1,
            "interrupted" => counts.interrupted += 1,
            "not_run" => counts.not_run += 1,
            _ => counts.error += 1,
        }
    }
    counts
}

/// The exit code a single run with this report's results has: every file's code (as
/// `session::file_exit_code`), a failed command layer (6), a layer or server that could
/// not start (3), and an interrupted run (130) or one past its deadline (3), combined
/// by `exit_code::combine`.
pub fn exit_code(report: &Report) -> u8 {
    let flaky_fails = report.run.policy.flaky_result == "fail";
    let mut codes: Vec<u8> = report
        .files
        .iter()
        .map(|file| match file.outcome.as_str() {
            "passed" | "skipped" => exit_code::SUCCESS,
            "flaky" if flaky_fails => exit_code::FLAKY,
            "flaky" => exit_code::SUCCESS,
            "failed" => exit_code::ASSERT,
            _ if file.error.as_ref().is_some_and(|e| e.kind == "parse") => exit_code::INPUT,
            _ => exit_code::RUNTIME,
        })
        .collect();
    for layer in report.layers.iter().flatten() {
        codes.push(match (layer.kind.as_str(), layer.outcome.as_str()) {
            (_, "interrupted") => exit_code::INTERRUPTED,
            ("command", "failed" | "error") if layer.command.is_some() => exit_code::COMMAND_LAYER,
            ("load", "failed") => exit_code::THRESHOLD,
            (_, "error") => exit_code::RUNTIME,
            _ => exit_code::SUCCESS,
        });
    }
    if report.servers.iter().flatten().any(|s| s.start_error.is_some()) {
        codes.push(exit_code::RUNTIME);
    }
    if report.checkpoint == Some(true) {
        codes.push(exit_code::INTERRUPTED);
    }
    if report.partial {
        codes.push(if report.outcome == "error" {
            exit_code::RUNTIME
        } else {
            exit_code::INTERRUPTED
        });
    }
    exit_code::combine(codes)
}

/// The verdict of a run whose combined exit code is `code`: the rule of
/// `session::verdict`, read from the files' outcomes in the report.
pub fn verdict(code: u8, files: &[FileDto]) -> &'static str {
    let any = |outcome: &str| files.iter().any(|f| f.outcome == outcome);
    if code == exit_code::INTERRUPTED || any("interrupted") {
        return "interrupted";
    }
    match code {
        exit_code::SUCCESS | exit_code::FLAKY if any("flaky") => "flaky",
        exit_code::SUCCESS => "passed",
        exit_code::ASSERT | exit_code::COMMAND_LAYER | exit_code::FLAKY => "failed",
        _ => "error",
    }
}

// ---- JUnit of a read-back report ----

fn at(text: &str) -> Option<SystemTime> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| SystemTime::from(t.with_timezone(&Utc)))
}

fn from_ms(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default()
}

/// Writes the JUnit document of the JSON report `document` (`test`'s, `run`'s or a
/// checkpoint's: see [`layer_junit_suites`] for `current`).
pub fn write_junit(
    document: &[u8],
    current: Option<&str>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let report: Report = serde_json::from_slice(document).map_err(std::io::Error::other)?;
    junit::write_suites(&layer_junit_suites(&report, current), out)
}

/// The JUnit suites of a report: one per file for `test`, one per layer for `run`, as
/// the run that wrote it built them (through [`write_junit`]).
pub fn junit_suites(report: &Report) -> Vec<Suite> {
    layer_junit_suites(report, None)
}

/// The JUnit suites of a report, files of no finished layer (a checkpoint during a layer)
/// forming a suite named after `current`, the layer running ("unfinished layer" when
/// unknown). A partial report says so in every suite's properties (`partial = true`).
///
/// A suite run's JUnit document is always built here, from the report model it writes
/// as JSON, so that a merged report's JUnit is the single run's.
pub fn layer_junit_suites(report: &Report, current: Option<&str>) -> Vec<Suite> {
    let mut ledger = report.ledger.iter().peekable();
    let mut cases_of = |file: &FileDto| {
        file_cases(file, &mut |attempt, entry| {
            let record = ledger.next_if(|r| {
                r.file == file.path && r.entry.index == entry.index && r.attempt.n == attempt.n
            });
            record.and_then(|r| r.decision.as_ref()).map(|d| d.rule.clone())
        })
    };
    let Some(layers) = &report.layers else {
        return report
            .files
            .iter()
            .map(|file| Suite {
                name: file.path.clone(),
                timestamp: file_started(file),
                time: Some(Duration::from_millis(file.duration_ms)),
                cases: cases_of(file),
                properties: Vec::new(),
            })
            .collect();
    };
    let mut cases_by_file: Vec<(String, Vec<Case>, bool)> =
        report.files.iter().map(|f| (f.path.clone(), cases_of(f), false)).collect();
    let mut suites: Vec<Suite> = layers
        .iter()
        .map(|layer| {
            let not_run = layer.outcome == "not_run";
            let why = layer.note.clone().unwrap_or_else(|| "not run".to_owned());
            let mut cases = Vec::new();
            if layer.kind == "command" {
                cases.push(command_case(layer, not_run, &why));
                for testcase in layer.testcases.iter().flatten() {
                    cases.push(read_back(&layer.name, testcase));
                }
            } else if let Some(load) = &layer.load {
                cases = load_cases(layer, load);
            } else {
                for path in &layer.files {
                    if let Some((_, file_cases, used)) =
                        cases_by_file.iter_mut().find(|(p, _, used)| !*used && p == path)
                    {
                        *used = true;
                        cases.append(file_cases);
                    }
                }
                for path in &layer.not_run_files {
                    cases.push(case(path, path, CaseResult::Skipped(why.clone())));
                }
                if not_run && cases.is_empty() {
                    cases.push(case("layer", &layer.name, CaseResult::Skipped(why.clone())));
                }
            }
            junit::add_layer_error(&mut cases, &layer.name, &layer.outcome, &why);
            Suite {
                name: layer.name.clone(),
                timestamp: if not_run { None } else { at(&layer.started_at) },
                time: (!not_run).then(|| from_ms(layer.duration_ms)),
                cases,
                properties: Vec::new(),
            }
        })
        .collect();
    let rest: Vec<Case> = cases_by_file
        .into_iter()
        .filter(|(_, _, used)| !*used)
        .flat_map(|(_, cases, _)| cases)
        .collect();
    if !rest.is_empty() {
        suites.push(Suite {
            name: current.unwrap_or("unfinished layer").to_owned(),
            timestamp: None,
            time: None,
            cases: rest,
            properties: Vec::new(),
        });
    }
    if report.partial {
        for suite in &mut suites {
            suite.properties.push(("partial".to_owned(), "true".to_owned()));
        }
    }
    suites
}

fn file_started(file: &FileDto) -> Option<SystemTime> {
    let first = file.entries.iter().flat_map(|e| &e.iterations).flat_map(|i| &i.polls);
    first.flat_map(|p| &p.attempts).next().and_then(|a| at(&a.started_at))
}

/// A parse error's message without its `file:line:column: ` prefix.
fn bare_message<'a>(path: &str, message: &'a str) -> &'a str {
    let strip = || -> Option<&'a str> {
        let rest = message.strip_prefix(path)?.strip_prefix(':')?;
        let (line, rest) = rest.split_once(':')?;
        let (column, rest) = rest.split_once(": ")?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (digits(line) && digits(column)).then_some(rest)
    };
    strip().unwrap_or(message)
}

fn file_cases(
    file: &FileDto,
    rule: &mut dyn FnMut(&AttemptDto, &EntryDto) -> Option<String>,
) -> Vec<Case> {
    let mut cases = Vec::with_capacity(file.entries.len() + 1);
    if let Some(error) = &file.error {
        let (ty, message) = if error.kind == "parse" {
            let bare: Vec<&str> =
                error.messages.iter().map(|m| bare_message(&file.path, m)).collect();
            ("parse error", bare.join("; "))
        } else {
            ("unreadable", error.messages.join("; "))
        };
        cases.push(case(
            &file.path,
            &file.path,
            CaseResult::Error(Problem {
                ty: ty.to_owned(),
                message: format!("{}: {message}", file.path),
                detail: String::new(),
            }),
        ));
    }
    for entry in &file.entries {
        cases.push(entry_case(file, entry, rule));
    }
    cases
}

fn describe_executed(value: &str) -> &'static str {
    use crate::diagnosis::Executed;
    match value {
        "no" => Executed::No.describe(),
        "yes" => Executed::Yes.describe(),
        _ => Executed::Unknown.describe(),
    }
}

fn entry_case(
    file: &FileDto,
    entry: &EntryDto,
    rule: &mut dyn FnMut(&AttemptDto, &EntryDto) -> Option<String>,
) -> Case {
    let polls: Vec<_> = entry.iterations.iter().flat_map(|i| &i.polls).collect();
    let attempts: Vec<&AttemptDto> = polls.iter().flat_map(|p| &p.attempts).collect();
    let failed: Vec<(&AttemptDto, Option<String>)> =
        attempts.iter().filter(|a| a.error.is_some()).map(|a| (*a, rule(a, entry))).collect();
    let rerun = |(attempt, rule): &(&AttemptDto, Option<String>), kind| {
        let error = attempt.error.clone().unwrap_or_default();
        Rerun {
            kind,
            ty: rule.clone().unwrap_or_else(|| "transport".to_owned()),
            message: match attempt.diagnoses.last() {
                Some(d) => format!("{}: {error}", d.cause),
                None => error,
            },
            detail: format!(
                "attempt {} at {} ({} ms): {} {}",
                attempt.n,
                attempt.started_at,
                from_ms(attempt.duration_ms).as_millis(),
                attempt.method,
                attempt.url
            ),
        }
    };
    let location = format!("{}:{}", file.path, entry.line);
    let (result, reruns) = match entry.outcome.as_str() {
        "passed" | "flaky" => {
            (CaseResult::Passed, failed.iter().map(|f| rerun(f, RerunKind::FlakyError)).collect())
        }
        "skipped" => (CaseResult::Skipped("skipped".to_owned()), Vec::new()),
        outcome => {
            let simple = |ty: &str, message: &str| Problem {
                ty: ty.to_owned(),
                message: format!("{location}: {message}"),
                detail: format!("{location}: {} {}\n{message}\n", entry.method, entry.url),
            };
            let last = polls.last();
            let problem = match last.and_then(|p| p.failure.as_ref()) {
                Some(f) if f.kind == "asserts" => {
                    let asserts: Vec<FailedAssert> = last
                        .map(|p| {
                            p.asserts
                                .iter()
                                .filter(|a| !a.success)
                                .map(|a| FailedAssert {
                                    line: a.line,
                                    column: a.column,
                                    text: a.text.clone(),
                                    expected: a.expected.clone(),
                                    actual: a.actual.clone(),
                                    message: a.message.clone(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    junit::assert_problem(&file.path, &asserts)
                }
                Some(f) if f.kind == "transport" => {
                    let cause = last
                        .and_then(|p| p.attempts.last())
                        .and_then(|a| a.diagnoses.last())
                        .map(|d| d.cause.clone());
                    match cause {
                        Some(cause) => simple("transport", &format!("{cause}: {}", f.message)),
                        None => simple("transport", &f.message),
                    }
                }
                Some(f) if f.kind == "server_crashed" => {
                    let (message, tail) = f.message.split_once('\n').unwrap_or((&f.message, ""));
                    let mut problem = simple("server crashed", message);
                    if !tail.is_empty() {
                        for line in tail.split('\n') {
                            problem.detail.push_str(line);
                            problem.detail.push('\n');
                        }
                    }
                    problem
                }
                Some(f) => simple(&f.kind, &f.message),
                None => simple("interrupted", "the run was interrupted"),
            };
            let mut runs: Vec<Rerun> =
                failed.iter().map(|f| rerun(f, RerunKind::RerunError)).collect();
            if problem.ty == "transport" {
                runs.pop();
            }
            let result = if outcome == "failed" {
                CaseResult::Failure(problem)
            } else {
                CaseResult::Error(problem)
            };
            (result, runs)
        }
    };
    let diagnoses: Vec<String> = attempts
        .iter()
        .flat_map(|a| a.diagnoses.iter().map(move |d| (a.n, d)))
        .map(|(n, d)| {
            format!(
                "attempt {n}: {} ({} confidence): {}; {}\nhint: {}",
                d.cause,
                d.confidence,
                d.summary,
                describe_executed(&d.may_have_executed),
                d.hint
            )
        })
        .collect();
    Case {
        name: format!("line {}: {} {}", entry.line, entry.method, entry.url_template),
        classname: file.path.clone(),
        time: Some(attempts.iter().map(|a| from_ms(a.duration_ms)).sum()),
        result,
        reruns,
        system_out: (!diagnoses.is_empty()).then(|| diagnoses.join("\n")),
        system_err: None,
    }
}

/// A command layer's command, as a test case (also for a single run's JUnit: `layer_junit_suites`).
fn command_case(layer: &LayerDto, not_run: bool, why: &str) -> Case {
    let Some(command) = &layer.command else {
        let result = if not_run {
            CaseResult::Skipped(why.to_owned())
        } else {
            CaseResult::Error(Problem {
                ty: "not started".to_owned(),
                message: format!("the command did not start: {why}"),
                detail: String::new(),
            })
        };
        return case("command", &layer.name, result);
    };
    let problem = if let Some(error) = &command.error {
        Some(("command error", error.clone()))
    } else if let Some(ms) = command.timed_out_ms {
        Some(("timeout", format!("the command timed out after {} s", ms / 1000.0)))
    } else if let Some(signal) = &command.signal {
        Some(("signal", format!("the command was killed by {signal}")))
    } else if let Some(code) = command.exit_code.filter(|c| *c != 0) {
        Some(("exit status", format!("the command exited with code {code}")))
    } else {
        command.junit_error.as_ref().map(|error| ("junit", error.clone()))
    };
    let result = match problem {
        Some((ty, message)) => CaseResult::Failure(Problem {
            ty: ty.to_owned(),
            message: command.description.clone().unwrap_or(message),
            detail: format!("stdout: {}\nstderr: {}\n", command.stdout_log, command.stderr_log),
        }),
        None => CaseResult::Passed,
    };
    let mut case = case("command", &layer.name, result);
    case.time = Some(from_ms(layer.duration_ms));
    if !command.stderr_tail.is_empty() && case.result != CaseResult::Passed {
        case.system_err = Some(command.stderr_tail.join("\n"));
    }
    case
}

/// A load layer's cases: one per threshold, which is what decides it (a passed `load`
/// case when it has none).
fn load_cases(layer: &LayerDto, load: &crate::load::result::LoadResult) -> Vec<Case> {
    let mut cases: Vec<Case> = load
        .threshold_results
        .iter()
        .map(|verdict| {
            let result = if verdict.passed {
                CaseResult::Passed
            } else {
                CaseResult::Failure(Problem {
                    ty: "threshold".to_owned(),
                    message: format!(
                        "threshold {} crossed (observed {} {})",
                        verdict.threshold, verdict.observed, verdict.unit
                    ),
                    detail: String::new(),
                })
            };
            case(&verdict.threshold, &layer.name, result)
        })
        .collect();
    if cases.is_empty() {
        cases.push(case("load", &layer.name, CaseResult::Passed));
    }
    cases
}

/// A test case of a command layer's own JUnit file.
fn read_back(layer: &str, testcase: &crate::report::suite::TestcaseDto) -> Case {
    let message = testcase.message.clone().unwrap_or_default();
    let problem =
        |ty: &str| Problem { ty: ty.to_owned(), message: message.clone(), detail: String::new() };
    let result = match testcase.outcome.as_str() {
        "failed" => CaseResult::Failure(problem("failure")),
        "error" => CaseResult::Error(problem("error")),
        "skipped" => CaseResult::Skipped(message.clone()),
        _ => CaseResult::Passed,
    };
    let mut case = case(&testcase.name, testcase.classname.as_deref().unwrap_or(layer), result);
    case.time = testcase.time_s.filter(|t| t.is_finite() && *t >= 0.0).map(Duration::from_secs_f64);
    case
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::runner::outcome::{FileError, FileOutcome, Outcome};

    fn dto(outcome: &str, parse_error: bool) -> FileDto {
        FileDto {
            path: "a.hurl".to_owned(),
            outcome: outcome.to_owned(),
            duration_ms: 0,
            error: parse_error.then(|| crate::report::model::FileErrorDto {
                kind: "parse".to_owned(),
                messages: Vec::new(),
            }),
            entries: Vec::new(),
        }
    }

    fn outcome_of(name: &str) -> Outcome {
        match name {
            "passed" => Outcome::Passed,
            "flaky" => Outcome::Flaky,
            "failed" => Outcome::Failed,
            "error" => Outcome::Error,
            "skipped" => Outcome::Skipped,
            _ => Outcome::Interrupted,
        }
    }

    /// The verdict and the file codes of a read-back report are the engine's
    /// (`session::verdict`, `session::file_exit_code`) for every pair of outcomes.
    #[test]
    fn the_verdict_and_the_codes_are_those_of_a_single_run() {
        let names = ["passed", "flaky", "failed", "error", "skipped", "interrupted"];
        for flaky_fails in [false, true] {
            for a in names {
                for b in names {
                    for parse in [false, true] {
                        let dtos = vec![dto(a, false), dto(b, parse && b == "error")];
                        let outcomes: Vec<FileOutcome> = dtos
                            .iter()
                            .map(|d| FileOutcome {
                                path: PathBuf::from(&d.path),
                                outcome: outcome_of(&d.outcome),
                                entries: Vec::new(),
                                file_error: d.error.as_ref().map(|_| FileError::Parse(Vec::new())),
                                started: SystemTime::UNIX_EPOCH,
                                duration: Duration::ZERO,
                                source: String::new(),
                            })
                            .collect();
                        let flaky = if flaky_fails {
                            crate::session::FlakyResult::Fail
                        } else {
                            crate::session::FlakyResult::Pass
                        };
                        let engine_code = exit_code::combine(
                            outcomes.iter().map(|f| crate::session::file_exit_code(f, flaky)),
                        );
                        let mut report = empty_report(&[]);
                        report.run.policy.flaky_result =
                            if flaky_fails { "fail" } else { "pass" }.to_owned();
                        report.files = dtos;
                        let code = exit_code(&report);
                        assert_eq!(code, engine_code, "{a} {b} {parse} {flaky_fails}");
                        assert_eq!(
                            verdict(code, &report.files),
                            crate::session::verdict(engine_code, &outcomes),
                            "{a} {b}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_checkpoint_or_a_partial_shard_makes_the_merge_interrupted_or_an_error() {
        let mut report = empty_report(&[]);
        report.files = vec![dto("passed", false)];
        assert_eq!(exit_code(&report), exit_code::SUCCESS);
        report.checkpoint = Some(true);
        assert_eq!(exit_code(&report), exit_code::INTERRUPTED);
        assert_eq!(verdict(exit_code(&report), &report.files), "interrupted");
        report.checkpoint = Some(false);
        report.partial = true;
        report.outcome = "error".to_owned();
        assert_eq!(exit_code(&report), exit_code::RUNTIME, "past the deadline");
    }

    #[test]
    fn a_parse_message_loses_only_its_position() {
        assert_eq!(bare_message("a.hurl", "a.hurl:4:19: expected a method"), "expected a method");
        assert_eq!(bare_message("a.hurl", "a.hurl:x:19: odd"), "a.hurl:x:19: odd");
        assert_eq!(bare_message("a.hurl", "b.hurl:4:19: other"), "b.hurl:4:19: other");
    }

    #[test]
    fn layers_merge_to_the_worst_outcome_with_every_shards_files() {
        let layer = |outcome: &str, files: &[&str]| LayerDto {
            name: "api".to_owned(),
            kind: "scenarios".to_owned(),
            outcome: outcome.to_owned(),
            started_at: "2026-01-01T00:00:00.000Z".to_owned(),
            duration_ms: 1.0,
            files: files.iter().map(|f| (*f).to_owned()).collect(),
            not_run_files: Vec::new(),
            note: None,
            command: None,
            testcases: None,
            load: None,
        };
        let shard = |l: LayerDto| {
            let mut report = empty_report(&[]);
            report.layers = Some(vec![l]);
            ("s".to_owned(), report)
        };
        let merged = merge_layers(
            &[shard(layer("passed", &["b.hurl"])), shard(layer("failed", &["a.hurl"]))],
            &mut Vec::new(),
        );
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].outcome, "failed");
        assert_eq!(merged[0].files, ["a.hurl", "b.hurl"]);
        assert_eq!(layer_counts(&merged).failed, 1);
    }

    fn layer(name: &str, kind: &str, outcome: &str) -> LayerDto {
        LayerDto {
            name: name.to_owned(),
            kind: kind.to_owned(),
            outcome: outcome.to_owned(),
            started_at: "1970-01-01T00:00:00.000Z".to_owned(),
            duration_ms: 3.0,
            files: Vec::new(),
            not_run_files: Vec::new(),
            note: None,
            command: None,
            testcases: None,
            load: None,
        }
    }

    #[test]
    fn a_load_layer_that_crossed_a_threshold_gives_the_threshold_code_as_in_one_run() {
        let mut report = empty_report(&[]);
        report.layers = Some(vec![layer("capacity", "load", "passed")]);
        assert_eq!(exit_code(&report), exit_code::SUCCESS);
        report.layers = Some(vec![layer("capacity", "load", "failed")]);
        assert_eq!(exit_code(&report), exit_code::THRESHOLD);
    }

    #[test]
    fn a_failed_command_layer_is_a_failure_with_its_stderr_tail_and_its_cases_read_back() {
        let mut unit = layer("unit", "command", "failed");
        unit.command = Some(crate::report::suite::CommandDto {
            argv: vec!["pytest".to_owned()],
            exit_code: Some(6),
            signal: None,
            timed_out_ms: None,
            error: None,
            stdout_log: "o.log".to_owned(),
            stderr_log: "e.log".to_owned(),
            junit: None,
            junit_error: None,
            description: None,
            stderr_tail: vec!["Traceback".to_owned()],
        });
        unit.testcases = Some(vec![crate::report::suite::TestcaseDto {
            name: "test_a".to_owned(),
            classname: Some("tests.a".to_owned()),
            time_s: Some(0.5),
            outcome: "failed".to_owned(),
            message: Some("boom".to_owned()),
        }]);
        let mut later = layer("api", "scenarios", "not_run");
        later.not_run_files = vec!["a.hurl".to_owned()];
        later.note = Some("an earlier layer failed".to_owned());
        let mut report = empty_report(&[]);
        report.layers = Some(vec![unit, later]);
        let suites = junit_suites(&report);
        assert_eq!(suites.len(), 2);
        let cases = &suites[0].cases;
        assert_eq!(cases.len(), 2);
        let CaseResult::Failure(problem) = &cases[0].result else { panic!("{cases:?}") };
        assert_eq!(problem.message, "the command exited with code 6");
        assert_eq!(problem.detail, "stdout: o.log\nstderr: e.log\n");
        assert_eq!(cases[0].system_err.as_deref(), Some("Traceback"));
        assert!(matches!(cases[1].result, CaseResult::Failure(_)));
        assert_eq!(cases[1].classname, "tests.a");
        assert_eq!(
            suites[1].cases[0].result,
            CaseResult::Skipped("an earlier layer failed".to_owned())
        );
        assert_eq!(suites[1].timestamp, None);
    }

    #[test]
    fn a_layer_that_failed_without_cases_gets_an_error_case_and_a_partial_report_says_so() {
        let mut api = layer("api", "scenarios", "error");
        api.note = Some("the main server did not start".to_owned());
        let mut report = empty_report(&[]);
        report.layers = Some(vec![api]);
        report.partial = true;
        let suites = layer_junit_suites(&report, Some("api"));
        assert_eq!(suites[0].properties, [("partial".to_owned(), "true".to_owned())]);
        let CaseResult::Error(problem) = &suites[0].cases[0].result else { panic!() };
        assert!(problem.message.contains("did not start"), "{problem:?}");
    }

    #[test]
    fn files_of_no_finished_layer_form_a_suite_named_after_the_running_layer() {
        let mut report = empty_report(&[]);
        report.layers = Some(Vec::new());
        report.files = vec![dto("error", true)];
        let suites = layer_junit_suites(&report, Some("api"));
        assert_eq!(suites.len(), 1);
        assert_eq!(suites[0].name, "api");
        assert_eq!(layer_junit_suites(&report, None)[0].name, "unfinished layer");
    }
}
