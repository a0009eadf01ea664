//! `shakedown load`'s flags into validated settings, once, before anything runs: the
//! load options (`load::plan::Options`, over a suite's `[load]`), the shard, the
//! thresholds, the files read and parsed, and the runner's settings through the one
//! shared conversion (`cli::edge::common_settings`, `cli::definitions::read`; a suite's
//! `[run]` under them). Every malformed value is a usage error naming the flag.

use std::time::Duration;

use crate::cli::args::LoadArgs;
use crate::cli::definitions::{self, Environment};
use crate::cli::edge::{self, CommonFlags, duration_flag, resolve_shard};
use crate::cli::output::UsageError;
use crate::load::engine::Script;
use crate::load::plan::{self, Plan};
use crate::load::scripts::{self, ScriptsError};
use crate::load::shard::Shard;
use crate::load::threshold::Threshold;
use crate::report::human;
use crate::runner::execute::RunSettings;
use crate::scenario::ast::DurationUnit;
use crate::session::setup;
use crate::session::{CommonSettings, FlakyResult, LoadedSuite, SUITE_TIMEOUTS, SessionSettings};

/// `--threads` and `--live-interval`, checked before anything starts.
pub(crate) struct Common {
    pub(crate) threads: u64,
    pub(crate) tick: Duration,
}

pub(crate) fn common_flags(args: &LoadArgs) -> Result<Common, UsageError> {
    let threads = args.threads.unwrap_or(1);
    if threads == 0 || threads > 64 {
        return Err(UsageError("--threads must be 1..=64".to_owned()));
    }
    let tick = match &args.live_interval {
        Some(text) => {
            let d = duration_flag(text, DurationUnit::Second, "--live-interval")?;
            if d < Duration::from_millis(50) {
                return Err(UsageError("--live-interval must be at least 50ms".to_owned()));
            }
            d
        }
        None => Duration::from_secs(1),
    };
    Ok(Common { threads, tick })
}

pub(crate) struct SuiteReady {
    pub(crate) settings: SessionSettings,
    pub(crate) plan: Plan,
    pub(crate) shard: Option<Shard>,
    pub(crate) thresholds: Vec<Threshold>,
    pub(crate) secrets: Vec<String>,
}

/// The command line over the suite's `[load]` (model, bounds, thresholds) and `[run]`
/// (transport options).
pub(crate) fn suite_settings(
    args: &LoadArgs,
    loaded: &LoadedSuite,
) -> Result<SuiteReady, UsageError> {
    let suite = &loaded.suite;
    let table = suite.load();
    let from_suite = table.map(|t| t.options().clone()).unwrap_or_default();
    let options = load_options(args)?.over(&from_suite);
    let mut plan = options.plan().map_err(|e| match e {
        plan::PlanError::NoModel => {
            UsageError(format!("{e}, or a [load] table with one in {}", loaded.path.display()))
        }
        e => UsageError(e.to_string()),
    })?;
    let shard = resolve_shard(&args.shard)?.map(|(shard, _)| shard);
    if let Some(shard) = shard {
        plan = plan.for_shard(shard);
    }
    // The command line's thresholds replace the table's, as every option does.
    let thresholds = if args.thresholds.is_empty() {
        table.map(|t| t.thresholds().to_vec()).unwrap_or_default()
    } else {
        parse_thresholds(&args.thresholds)?
    };
    let mut base = RunSettings::default();
    common(args)?.over(suite.run()).apply(&mut base, Some(SUITE_TIMEOUTS));
    base.defaults.insecure = args.insecure;
    let definitions = definitions::read(&args.definitions, Environment::Read)?;
    let secrets = definitions.secret_values();
    let settings = SessionSettings {
        base,
        cli_variables: definitions.variables,
        secrets: definitions.secrets,
        jobs: 1,
        flaky_result: FlakyResult::Pass,
        reports: Vec::new(),
        layers: Vec::new(),
        deadline: None,
        run_dir: setup::run_dir(&suite.dir().join(".shakedown"), "load"),
        fail_fast: false,
        keep_going: false,
        command_line: std::env::args().collect(),
        // The fault plan (`--faults` or `[faults]`) is read by `load_cmd`, as `run` reads it.
        faults: None,
        // A load shard is a fraction of the load, not of the files: no report shard.
        shard: None,
    };
    Ok(SuiteReady { settings, plan, shard, thresholds, secrets })
}

fn parse_thresholds(texts: &[String]) -> Result<Vec<Threshold>, UsageError> {
    texts.iter().map(|t| Threshold::parse(t).map_err(|e| UsageError(e.to_string()))).collect()
}

pub(crate) enum Prepare {
    Usage(UsageError),
    InputText(String),
}

impl From<UsageError> for Prepare {
    fn from(error: UsageError) -> Prepare {
        Prepare::Usage(error)
    }
}

pub(crate) struct Prepared {
    pub(crate) scripts: Vec<Script>,
    pub(crate) settings: RunSettings,
    pub(crate) plan: Plan,
    pub(crate) shard: Option<Shard>,
    pub(crate) thresholds: Vec<Threshold>,
    pub(crate) secrets: Vec<String>,
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

pub(crate) fn prepare(args: &LoadArgs) -> Result<Prepared, Prepare> {
    let files = crate::cli::files::collect(&args.files, &[])?;
    if files.is_empty() {
        return Err(UsageError("no .hurl file to run".to_owned()).into());
    }
    let scripts = scripts::read(files).map_err(|error| match error {
        ScriptsError::Unreadable(path, e) => {
            Prepare::InputText(format!("error: cannot read {}: {e}", path.display()))
        }
        ScriptsError::Invalid(files) => {
            let mut problems = String::new();
            for (path, source, diagnostics) in &files {
                let name = path.display().to_string();
                let style = human::Style::Plain;
                problems.push_str(&human::parse_diagnostics(&name, source, diagnostics, style));
            }
            Prepare::InputText(problems.trim_end().to_owned())
        }
    })?;
    let options = load_options(args)?;
    let mut plan = options.plan().map_err(|e| UsageError(e.to_string()))?;
    let shard = resolve_shard(&args.shard)?.map(|(shard, _)| shard);
    if let Some(shard) = shard {
        plan = plan.for_shard(shard);
    }
    let thresholds = parse_thresholds(&args.thresholds)?;
    let definitions = definitions::read(&args.definitions, Environment::Read)?;
    let secrets = definitions.secret_values();
    let mut settings =
        RunSettings { variables: definitions.into_variables(), ..RunSettings::default() };
    common(args)?.apply(&mut settings, Some(SUITE_TIMEOUTS));
    settings.defaults.insecure = args.insecure;
    Ok(Prepared { scripts, settings, plan, shard, thresholds, secrets })
}

/// The shared flags (timeouts, transport), validated.
fn common(args: &LoadArgs) -> Result<CommonSettings, UsageError> {
    edge::common_settings(&CommonFlags {
        connect_timeout: args.connect_timeout.as_deref(),
        max_time: args.max_time.as_deref(),
        max_filesize: None,
        transport: &args.transport,
    })
}
