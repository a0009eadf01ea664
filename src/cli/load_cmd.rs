//! `shakedown load`: flags into a load plan and run settings, the live view, the summary, the
//! result document and the exit code. The engine is `load`; this file only wires and prints.

use std::io::IsTerminal;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::cli::args::{LoadArgs, ShardArgs, ShardModeArg, TransportRetryMode};
use crate::cli::output::{Printer, UsageError, redact, write_atomically};
use crate::cli::test_cmd::{duration_flag, split_definition};
use crate::exit_code;
use crate::load::engine::{self, Live, LoadObserver, Script};
use crate::load::metrics::Aggregate;
use crate::load::plan::{self, Model, Plan};
use crate::load::result::{LoadResult, RunFacts};
use crate::load::shard::{Shard, ShardMode};
use crate::load::threshold::{Threshold, Verdict};
use crate::report::human;
use crate::retry::RetryPolicy;
use crate::runner::execute::{self, RunSettings};
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::scenario;
use crate::scenario::ast::DurationUnit;
use crate::transport::client::ClientSettings;

/// Runs `shakedown load`.
pub fn run(args: &LoadArgs, printer: &mut Printer) -> u8 {
    let prepared = match prepare(args) {
        Ok(prepared) => prepared,
        Err(Prepare::Usage(error)) => {
            printer.error(&format!("error: {error}"));
            return exit_code::USAGE;
        }
        Err(Prepare::InputText(text)) => {
            printer.error(&text);
            return exit_code::INPUT;
        }
    };
    let Prepared { scripts, settings, plan, shard, thresholds, secrets } = prepared;
    let threads = args.threads.unwrap_or(1);
    if threads == 0 || threads > 64 {
        printer.error("error: --threads must be 1..=64");
        return exit_code::USAGE;
    }
    let files: Vec<String> = scripts.iter().map(|s| s.path.display().to_string()).collect();
    let model = describe(&plan);
    printer.err(&format!(
        "load: {model}, {} file(s){}, up to {} requests",
        files.len(),
        shard.map(|s| format!(", shard {s}")).unwrap_or_default(),
        plan.max_requests
    ));
    let tick = match &args.live_interval {
        Some(text) => match duration_flag(text, DurationUnit::Second, "--live-interval") {
            Ok(d) if d >= Duration::from_millis(50) => d,
            Ok(_) => {
                printer.error("error: --live-interval must be at least 50ms");
                return exit_code::USAGE;
            }
            Err(e) => {
                printer.error(&format!("error: {e}"));
                return exit_code::USAGE;
            }
        },
        None => Duration::from_secs(1),
    };
    let mut view = LiveView {
        printer,
        quiet: args.quiet,
        tty: std::io::stderr().is_terminal(),
        printed: false,
        secrets: &secrets,
    };
    let outcome = match engine::run(
        &plan,
        scripts,
        settings,
        &ClientSettings::default(),
        &mut view,
        tick,
        threads,
    ) {
        Ok(outcome) => outcome,
        Err(e) => {
            printer.error(&format!("error: {e}"));
            return exit_code::RUNTIME;
        }
    };
    let started: DateTime<Utc> = outcome.started.into();
    let facts = RunFacts {
        shard,
        model,
        files,
        started: started.to_rfc3339_opts(SecondsFormat::Millis, true),
        elapsed: outcome.elapsed,
        vus_max: outcome.vus_max,
        interrupted: outcome.interrupted,
        thresholds: thresholds.iter().map(|t| t.text.clone()).collect(),
    };
    let verdicts: Vec<Verdict> =
        thresholds.iter().map(|t| t.evaluate(&outcome.aggregate, outcome.elapsed)).collect();
    let result = LoadResult::new(&outcome.aggregate, facts, verdicts.clone());
    for line in summary(&outcome.aggregate, &result, &verdicts) {
        printer.err(&redact(&line, &secrets));
    }
    let mut code = finish_code(&verdicts, outcome.interrupted);
    if let Some(path) = &args.out {
        code = exit_code::combine([code, write_result(&result, path, &secrets, printer)]);
    }
    code
}

/// The exit code of a finished (or merged) run: interrupted, thresholds, else success.
pub(crate) fn finish_code(verdicts: &[Verdict], interrupted: bool) -> u8 {
    if interrupted {
        exit_code::INTERRUPTED
    } else if verdicts.iter().any(|v| !v.passed) {
        exit_code::THRESHOLD
    } else {
        exit_code::SUCCESS
    }
}

/// Writes a result document; the exit code of the attempt.
pub(crate) fn write_result(
    result: &LoadResult,
    path: &std::path::Path,
    secrets: &[String],
    printer: &mut Printer,
) -> u8 {
    let text = match serde_json::to_string_pretty(result) {
        Ok(text) => redact(&text, secrets),
        Err(e) => {
            printer.error(&format!("error: cannot serialize the result: {e}"));
            return exit_code::RUNTIME;
        }
    };
    match write_atomically(path, format!("{text}\n").as_bytes()) {
        Ok(()) => exit_code::SUCCESS,
        Err(e) => {
            printer.error(&format!("error: cannot write {}: {e}", path.display()));
            exit_code::RUNTIME
        }
    }
}

/// The end summary, as lines.
pub(crate) fn summary(
    aggregate: &Aggregate,
    result: &LoadResult,
    verdicts: &[Verdict],
) -> Vec<String> {
    let c = &aggregate.counters;
    let l = &result.latency.summary;
    let mut out = vec![
        format!(
            "requests: {} in {:.1}s ({:.1}/s), {} error(s), {} iteration(s) ({} failed, {} dropped, {} interrupted), max {} VU(s)",
            c.requests,
            result.elapsed_ms as f64 / 1000.0,
            result.rps,
            c.errors,
            c.iterations,
            c.iterations_failed,
            c.dropped_iterations,
            c.interrupted_iterations,
            result.vus_max,
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
            c.asserts, c.assert_failures
        ),
    ];
    if !result.errors_by_class.is_empty() {
        out.push(format!("errors by cause: {}", counts(&result.errors_by_class)));
    }
    if c.retries > 0 {
        out.push(format!("retries by cause: {}", counts(&result.retries_by_cause)));
    }
    out.push(format!("status codes: {}", counts(&result.status_codes)));
    for request in &result.requests_by_name {
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
    for v in verdicts {
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

fn counts<K: std::fmt::Display>(map: &std::collections::BTreeMap<K, u64>) -> String {
    map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

fn us(value: u64) -> String {
    if value >= 1_000_000 {
        format!("{:.2}s", value as f64 / 1e6)
    } else if value >= 1_000 {
        format!("{:.2}ms", value as f64 / 1e3)
    } else {
        format!("{value}µs")
    }
}

/// The model as a sentence (also written to the result document).
fn describe(plan: &Plan) -> String {
    match &plan.model {
        Model::Closed { start_vus, stages }
            if stages.len() == 1 && stages[0].target == *start_vus =>
        {
            format!("closed model, {start_vus} VU(s) for {:?}", plan.length())
        }
        Model::Closed { start_vus, stages } => format!(
            "closed model, from {start_vus} VU(s) through stages {}",
            stages
                .iter()
                .map(|s| format!("{:?}:{}", s.duration, s.target))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Model::Open { rate, max_vus, stages } if stages.is_empty() => {
            format!("open model, {rate:.3}/s for {:?} with at most {max_vus} VU(s)", plan.length())
        }
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

struct LiveView<'a> {
    printer: &'a mut Printer,
    quiet: bool,
    tty: bool,
    printed: bool,
    secrets: &'a [String],
}

impl LoadObserver for LiveView<'_> {
    fn tick(&mut self, live: &Live) {
        if self.quiet {
            return;
        }
        let errors = if live.errors.is_empty() { "none".to_owned() } else { counts(&live.errors) };
        let line = format!(
            "[{:>6.1}s] {:>9.1} req/s  {} requests  p50 {} p95 {} p99 {}  active {}  dropped {}  assert failures {}  errors: {}",
            live.elapsed.as_secs_f64(),
            live.rate,
            live.requests,
            us(live.p50_us),
            us(live.p95_us),
            us(live.p99_us),
            live.active_vus,
            live.dropped,
            live.assert_failures,
            errors
        );
        let line = redact(&line, self.secrets);
        // On a terminal the view rewrites its one line; elsewhere (CI logs) each tick is a line.
        if self.tty && self.printed {
            self.printer.err(&format!("\x1b[1A\x1b[2K{line}"));
        } else {
            self.printer.err(&line);
        }
        self.printed = true;
    }
}

enum Prepare {
    Usage(UsageError),
    InputText(String),
}

impl From<UsageError> for Prepare {
    fn from(error: UsageError) -> Prepare {
        Prepare::Usage(error)
    }
}

struct Prepared {
    scripts: Vec<Script>,
    settings: RunSettings,
    plan: Plan,
    shard: Option<Shard>,
    thresholds: Vec<Threshold>,
    secrets: Vec<String>,
}

/// The load flags as [`plan::Options`], each parsed (the model is checked by `Options::plan`).
pub(crate) fn load_options(args: &LoadArgs) -> Result<plan::Options, UsageError> {
    let seconds = |text: &str, flag: &str| duration_flag(text, DurationUnit::Second, flag);
    let stages = match &args.stages {
        Some(text) => {
            let parse = |t: &str| duration_flag(t, DurationUnit::Second, "--stages").ok();
            Some(plan::parse_stages(text, &parse).map_err(|e| UsageError(e.to_string()))?)
        }
        None => None,
    };
    let rate = match &args.rate {
        Some(text) => Some(plan::parse_rate(text).map_err(|e| UsageError(e.to_string()))?),
        None => None,
    };
    Ok(plan::Options {
        vus: args.vus,
        stages,
        rate,
        max_vus: args.max_vus,
        duration: args.duration.as_deref().map(|t| seconds(t, "--duration")).transpose()?,
        max_requests: args.max_requests,
        graceful_stop: args
            .graceful_stop
            .as_deref()
            .map(|t| seconds(t, "--graceful-stop"))
            .transpose()?,
    })
}

/// Resolves the shard flags and the environment.
pub(crate) fn resolve_shard(args: &ShardArgs) -> Result<Option<(Shard, ShardMode)>, UsageError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let shard = Shard::resolve(args.shard.as_deref(), args.shard_total, &env)
        .map_err(|e| UsageError(e.to_string()))?;
    let mode = match args.shard_mode {
        Some(ShardModeArg::Slice) => ShardMode::Slice,
        _ => ShardMode::Hash,
    };
    Ok(shard.map(|s| (s, mode)))
}

fn prepare(args: &LoadArgs) -> Result<Prepared, Prepare> {
    if let Some(suite) = args.files.iter().find(|f| f.extension().is_some_and(|e| e == "toml")) {
        return Err(UsageError(format!(
            "{}: load mode on a suite file is not supported yet: give the .hurl files (the servers must already run)",
            suite.display()
        ))
        .into());
    }
    let files = crate::cli::files::collect(&args.files, &[])?;
    if files.is_empty() {
        return Err(UsageError("no .hurl file to run".to_owned()).into());
    }
    let mut scripts = Vec::new();
    let mut problems = String::new();
    for path in files {
        let source = std::fs::read_to_string(&path).map_err(|e| {
            Prepare::InputText(format!("error: cannot read {}: {e}", path.display()))
        })?;
        let (file, diagnostics) = scenario::parse(&source);
        if diagnostics.is_empty() {
            scripts.push(Script::new(path, file, source));
        } else {
            problems.push_str(&human::parse_diagnostics(
                &path.display().to_string(),
                &source,
                &diagnostics,
                human::Style::Plain,
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Prepare::InputText(problems.trim_end().to_owned()));
    }

    let seconds = |text: &str, flag: &str| duration_flag(text, DurationUnit::Second, flag);
    let options = load_options(args)?;
    let mut plan = options.plan().map_err(|e| UsageError(e.to_string()))?;
    let shard = resolve_shard(&args.shard)?.map(|(shard, _)| shard);
    if let Some(shard) = shard {
        plan = plan.for_shard(shard);
    }
    let thresholds = args
        .thresholds
        .iter()
        .map(|t| Threshold::parse(t).map_err(|e| UsageError(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;

    let mut variables = Variables::default();
    for (name, value) in std::env::vars() {
        if let Some(name) = name.strip_prefix("HURL_VARIABLE_") {
            variables.insert(name.to_owned(), execute::typed_variable(&value));
        }
    }
    for definition in &args.variables {
        let (name, value) = split_definition(definition, "--variable")?;
        variables.insert(name, execute::typed_variable(&value));
    }
    for definition in &args.secrets {
        let (name, value) = split_definition(definition, "--secret")?;
        variables.insert_secret(name, Value::String(value));
    }
    let secrets = variables.secrets();
    let mut settings = RunSettings { variables, ..RunSettings::default() };
    let d = &mut settings.defaults;
    d.connect_timeout = Duration::from_secs(10);
    d.max_time = Duration::from_secs(60);
    if let Some(text) = &args.connect_timeout {
        d.connect_timeout = seconds(text, "--connect-timeout")?;
    }
    if let Some(text) = &args.max_time {
        d.max_time = seconds(text, "--max-time")?;
    }
    d.insecure = args.insecure;
    settings.no_keepalive = args.transport.no_keepalive;
    settings.attempt_headers = args.transport.attempt_headers;
    settings.strict_framing = args.transport.strict_framing;
    settings.retry_policy = RetryPolicy {
        enabled: args.transport.transport_retry != Some(TransportRetryMode::Off),
        idempotency_key_header: args.transport.idempotency_key_header.clone(),
        ..RetryPolicy::default()
    };
    if let Some(methods) = &args.transport.retry_methods {
        settings.retry_policy.idempotent_methods = methods
            .iter()
            .map(|m| m.trim().to_ascii_uppercase())
            .filter(|m| !m.is_empty())
            .collect();
    }
    Ok(Prepared { scripts, settings, plan, shard, thresholds, secrets })
}
