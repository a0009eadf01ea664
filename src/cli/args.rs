//! The command-line grammar: clap derive types for every subcommand.
//!
//! `shakedown test` accepts Hurl's flags with Hurl's meaning, so that scripts
//! written around `hurl --test` keep their verdicts. Flags that name a Hurl
//! feature shakedown does not have are still declared, so that using one is a
//! clear usage error naming the flag rather than clap's generic "unexpected
//! argument" (see [`TestArgs::unsupported_flags`] and the one table of
//! unsupported features, `settings::unsupported`).

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Is this HTTP service ready to deploy?
#[derive(Debug, Parser)]
#[command(
    name = "shakedown",
    version,
    about,
    long_about = None,
    propagate_version = true,
    args_override_self = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run .hurl files against a running service (Hurl-compatible flags).
    Test(Box<TestArgs>),
    /// Parse .hurl files, or a suite file and its scenarios, and list what would run.
    Check(CheckArgs),
    /// Run a suite (`shakedown.toml`): start the servers, run the layers, one verdict.
    Run(Box<RunArgs>),
    /// Repeat .hurl files or a suite in a seeded shuffled order; per entry: failure rate (95% Wilson interval), causes.
    Hunt(Box<HuntArgs>),
    /// Print the diagnoses of a stored JSON report again, grouped by cause, with counts and hints.
    Explain(ExplainArgs),
    /// Run a loopback fault-injecting proxy in front of a service (see docs/proxy.md).
    Proxy(ProxyArgs),
    /// Run .hurl files (or a suite, its servers started) under load: a closed (--vus, --stages) or
    /// open (--rate, with --stages ramping) model, thresholds.
    Load(Box<LoadArgs>),
    /// Merge the results of shards (`--shard M/N`) into one: load results (judging their
    /// thresholds), or the JSON reports of `test`/`run` shards (JSON, JUnit, HTML out).
    Merge(MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout: `shakedown man > shakedown.1`.
    Man,
    /// Internal: the orphan supervisor of one launched server (see `server`).
    #[command(name = "__supervise", hide = true)]
    Supervise(SuperviseArgs),
}

/// `shakedown hunt [FILES|DIR]... [--runs N | --until-fail] [--duration D] [--seed S]`:
/// `test`'s flags plus how long to hunt; or `shakedown hunt SUITE.toml ...` with the flags
/// `run` shares with `test` (see `cli::hunt_cmd`).
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// How many runs of all the files (default 20; at most 100000).
    #[arg(long, value_name = "N")]
    pub runs: Option<u64>,
    /// Stop after the first run in which something failed (still bounded by --runs and --duration).
    #[arg(long)]
    pub until_fail: bool,
    /// Stop starting runs after this long (default and maximum: 10m).
    #[arg(long = "duration", value_name = "DURATION")]
    pub hunt_duration: Option<String>,
    /// The seed of the shuffled orders (default: random, printed); replays a hunt.
    #[arg(long = "seed", value_name = "S")]
    pub hunt_seed: Option<u64>,
    /// Keep the files in the given order in every run (the default shuffles them).
    #[arg(long)]
    pub no_shuffle: bool,
    /// Accepted for clarity: shuffling is the default.
    #[arg(long, conflicts_with = "no_shuffle")]
    pub shuffle: bool,
    /// The files (or one suite file, `shakedown.toml`) and every flag of `shakedown test`.
    #[command(flatten)]
    pub test: TestArgs,
}

/// `shakedown proxy --listen ADDR --upstream ADDR [--fault SPEC]...`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Where to listen, a loopback IP:PORT (port 0: a free port, printed).
    #[arg(long, value_name = "IP:PORT")]
    pub listen: String,
    /// Where to forward, a loopback IP:PORT.
    #[arg(long, value_name = "IP:PORT")]
    pub upstream: String,
    /// A fault, TYPE[:key=value,...], e.g. reset_peer:toxicity=0.1,per=request (repeatable).
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
    /// A fault plan file (docs/proxy.md), before the --fault faults; its `seed` is used unless --seed is given.
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// The seed of every toxicity roll (default: random, printed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Stop after this long (a bare number is seconds); default: until SIGINT or SIGTERM.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Serve the control API (GET/POST /faults, DELETE /faults/NAME, GET /log) on a loopback IP:PORT.
    #[arg(long, value_name = "IP:PORT")]
    pub control: Option<String>,
    /// At exit, write the injected-fault log (the JSON of GET /log) to this file.
    #[arg(long = "log", value_name = "PATH")]
    pub log: Option<PathBuf>,
}

/// `shakedown completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `shakedown __supervise`: takes its order on stdin.
#[derive(Debug, Args)]
pub struct SuperviseArgs {
    /// Must be empty.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<std::ffi::OsString>,
}

/// `shakedown run [SUITE]`.
///
/// Timeouts default shorter than in `test`: connect 10 s, per request 60 s.
/// The command line overrides the suite's `[run]` table.
#[derive(Debug, Args)]
#[command(
    next_help_heading = "Run",
    after_help = "The suite file (every key of shakedown.toml, its type and default, placeholders, \
when servers start and stop relative to layers, isolation and reset, the run folder and the \
reports) is documented in docs/suite.md of shakedown's source repository."
)]
pub struct RunArgs {
    /// The suite file, or a folder holding `shakedown.toml` (default: `shakedown.toml` in the
    /// current folder or the nearest parent that has one).
    pub suite: Option<PathBuf>,
    /// Run only this layer (repeatable; in the suite's order).
    #[arg(long = "layer", value_name = "NAME")]
    pub layers: Vec<String>,
    /// Run only the scenario files this glob matches, as the shell would expand it from the
    /// current folder (repeatable): their layers run, with the suite's servers and variables;
    /// command layers run only if --layer names them.
    #[arg(long = "file", value_name = "GLOB")]
    pub files: Vec<String>,
    /// Run every layer even after one failed.
    #[arg(long)]
    pub keep_going: bool,
    /// Stop a scenario layer at its first failed file.
    #[arg(long)]
    pub fail_fast: bool,
    /// Where each run gets its own timestamped folder (default: .shakedown/ beside the suite).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// A time limit for the whole run (a bare number is seconds).
    #[arg(long, value_name = "DURATION")]
    pub deadline: Option<String>,
    /// Number of scenario files run in parallel (default 1).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// `--variable`, `--variables-file`, `--secret`, `--secrets-file`.
    #[command(flatten)]
    pub definitions: DefinitionArgs,
    /// Also write a report: junit=PATH, json=PATH or html=PATH (repeatable). The run folder always
    /// gets report.json.
    #[arg(long = "report", value_name = "FORMAT=PATH", help_heading = "Reports")]
    pub reports: Vec<String>,

    /// `--color[=WHEN]`, `--no-color`.
    #[command(flatten)]
    pub colors: ColorArgs,
    /// Print each request and response line, and every attempt.
    #[arg(long, short = 'v', help_heading = "Output")]
    pub verbose: bool,

    /// Connect timeout (default 10 s in `run`; a bare number is seconds).
    #[arg(long, value_name = "DURATION", help_heading = "HTTP")]
    pub connect_timeout: Option<String>,
    /// Maximum time for one request (default 60 s in `run`; a bare number is seconds).
    #[arg(long, short = 'm', value_name = "DURATION", help_heading = "HTTP")]
    pub max_time: Option<String>,
    /// Fail a response whose body is larger than BYTES (default 64 MiB, docs/limits.md).
    #[arg(long, value_name = "BYTES", help_heading = "HTTP")]
    pub max_filesize: Option<u64>,

    /// How transport failures are handled.
    #[command(flatten)]
    pub transport: TransportArgs,
    /// Which shard of the scenario files this run is (`--shard M/N`): every shard starts the
    /// servers and runs every layer, with its part of each scenario layer's files.
    #[command(flatten)]
    pub shard: ShardArgs,

    /// `--faults PLAN`, `--fault-seed N`.
    #[command(flatten)]
    pub faults: FaultArgs,
}

/// The fault plan of a suite's servers (`run` and `load` of a suite; docs/proxy.md).
#[derive(Debug, Args, Default)]
pub struct FaultArgs {
    /// Put a fault proxy in front of the suite's servers, with this fault plan (instead of the
    /// suite's `[faults]`; docs/proxy.md).
    #[arg(long = "faults", value_name = "PLAN", help_heading = "Faults")]
    pub plan: Option<PathBuf>,
    /// The seed of the fault plan's rolls (default: the plan's `seed`, else random).
    #[arg(long, value_name = "N", help_heading = "Faults")]
    pub fault_seed: Option<u64>,
}

/// Which shard of a split run this process is (`test`, `run` and `load`).
#[derive(Debug, Args, Default)]
pub struct ShardArgs {
    /// Run shard M of N (1-based). Default: from JOB_COMPLETION_INDEX (0-based) or
    /// SLURM_ARRAY_TASK_ID, with the total from --shard-total, SHAKEDOWN_SHARD_TOTAL or
    /// SLURM_ARRAY_TASK_COUNT. In `load`, a shard runs M/N of the load (VUs, rate), not a subset of files.
    #[arg(long, value_name = "M/N", help_heading = "Sharding")]
    pub shard: Option<String>,
    /// The number of shards, when the index comes from the environment.
    #[arg(long, value_name = "N", help_heading = "Sharding")]
    pub shard_total: Option<u64>,
    /// How `test` splits files: by a stable hash of the path (default) or round-robin.
    #[arg(long, value_enum, value_name = "MODE", help_heading = "Sharding")]
    pub shard_mode: Option<ShardModeArg>,
}

/// `--shard-mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShardModeArg {
    /// A stable hash of the file path: adding a file does not move the others.
    Hash,
    /// Round-robin over the sorted files: even shard sizes.
    Slice,
}

/// `shakedown load [FILE|DIR]...`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Load")]
pub struct LoadArgs {
    /// Files or directories (searched recursively for *.hurl); each iteration runs one whole file.
    /// Or one suite file (shakedown.toml): its servers are started and stopped, its `[load]`
    /// table gives the files and options (the command line wins).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Closed model: this many virtual users loop over the files.
    #[arg(long, value_name = "N")]
    pub vus: Option<u64>,
    /// Ramps: DURATION:TARGET,... e.g. 10s:5,20s:20: of the VUs (closed model, from --vus,
    /// default 0), or with --rate of the arrival rate (10s:200 ramps to 200/s in 10 s).
    #[arg(long, value_name = "STAGES")]
    pub stages: Option<String>,
    /// Open model: iterations started per second (e.g. 200/s), latency from the intended start.
    #[arg(long, value_name = "R/s")]
    pub rate: Option<String>,
    /// Open model: the VU pool; a start that finds none free is dropped (default 100).
    #[arg(long, value_name = "N")]
    pub max_vus: Option<u64>,
    /// Stop starting iterations after this long (default 30s; a bare number is seconds).
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Stop starting iterations after this many requests (default 1000000).
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// How long iterations in flight at the end may finish (default 5s).
    #[arg(long, value_name = "DURATION")]
    pub graceful_stop: Option<String>,
    /// A pass/fail criterion on the whole run (repeatable): p95<300ms, p99<1s, error_rate<1%,
    /// resets==0, rps>100, ... Crossing one exits with 7.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Write the result document (shakedown.load/v1, mergeable) to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Seconds between live lines (default 1).
    #[arg(long, value_name = "DURATION")]
    pub live_interval: Option<String>,
    /// No live view, only the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Client threads, each running its fraction of the load (default 1: when the service under
    /// test shares the machine, leave it the other cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<u64>,

    /// `--variable`, `--variables-file`, `--secret`, `--secrets-file`.
    #[command(flatten)]
    pub definitions: DefinitionArgs,
    /// Connect timeout (default 10 s; a bare number is seconds).
    #[arg(long, value_name = "DURATION", help_heading = "HTTP")]
    pub connect_timeout: Option<String>,
    /// Maximum time for one request (default 60 s; a bare number is seconds).
    #[arg(long, short = 'm', value_name = "DURATION", help_heading = "HTTP")]
    pub max_time: Option<String>,
    /// Do not verify TLS certificates.
    #[arg(long, short = 'k', help_heading = "HTTP")]
    pub insecure: bool,
    /// `--color[=WHEN]`, `--no-color`.
    #[command(flatten)]
    pub colors: ColorArgs,

    /// How transport failures are handled.
    #[command(flatten)]
    pub transport: TransportArgs,
    /// Which shard this is.
    #[command(flatten)]
    pub shard: ShardArgs,
    /// `--faults PLAN`, `--fault-seed N` (with a suite file).
    #[command(flatten)]
    pub faults: FaultArgs,
}

/// `shakedown merge RESULT...`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' result files (shakedown.load/v1 from `load`, or shakedown.report/v1 from
    /// `test` and `run`; not both), or directories holding them (*.json).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// More thresholds to judge the merged numbers by (those the shards recorded apply too).
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Write the merged document to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Reports of `test`/`run` shards: write the combined JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub report_junit: Option<PathBuf>,
    /// Reports of `test`/`run` shards: write the combined HTML report to this file.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// `--color[=WHEN]`, `--no-color`.
    #[command(flatten)]
    pub colors: ColorArgs,
}

/// `shakedown check FILE...`, `shakedown check [SUITE]` or `shakedown check PLAN.toml`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories (searched recursively for *.hurl), or one suite file (*.toml;
    /// default: `shakedown.toml` in the current folder or the nearest parent that has one),
    /// or one fault plan file (docs/proxy.md).
    pub files: Vec<PathBuf>,
    /// `--variable`, `--variables-file`, `--secret`, `--secrets-file`.
    #[command(flatten)]
    pub definitions: DefinitionArgs,
    /// `--color[=WHEN]`, `--no-color`.
    #[command(flatten)]
    pub colors: ColorArgs,
}

/// `shakedown explain REPORT.json`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A JSON report written by `--report json=PATH` (or a `shakedown run` report.json).
    pub report: PathBuf,
    /// Only this cause (e.g. `keepalive_race`).
    #[arg(long)]
    pub cause: Option<String>,
    /// Also print the evidence of every diagnosis.
    #[arg(long)]
    pub evidence: bool,
    /// Write a fault plan that reproduces each diagnosed cause (to stdout, or --out).
    #[arg(long)]
    pub reproduce: bool,
    /// With --reproduce: write the plan to this file.
    #[arg(long, value_name = "PATH", requires = "reproduce")]
    pub out: Option<PathBuf>,
}

/// The variables and secrets a command is given (`test`, `run`, `hunt`, `load`, `check`;
/// read by `cli::definitions`).
#[derive(Debug, Args, Default)]
pub struct DefinitionArgs {
    /// Define a variable: name=value (repeatable); in a suite, over its `[variables]`.
    #[arg(long = "variable", value_name = "NAME=VALUE")]
    pub variables: Vec<String>,
    /// Define variables from a file of name=value lines (repeatable).
    #[arg(long = "variables-file", value_name = "FILE")]
    pub variables_files: Vec<PathBuf>,
    /// Define a secret variable, redacted from all output: name=value (repeatable).
    #[arg(long = "secret", value_name = "NAME=VALUE")]
    pub secrets: Vec<String>,
    /// Define secrets from a file of name=value lines (repeatable).
    #[arg(long = "secrets-file", value_name = "FILE")]
    pub secrets_files: Vec<PathBuf>,
}

/// `--color[=WHEN]` and `--no-color`, shared by every subcommand that prints.
#[derive(Clone, Copy, Debug, Args)]
pub struct ColorArgs {
    /// Colour: `--color` or `--color=always`, `--color=never`, `--color=auto` (the default:
    /// on a terminal unless NO_COLOR is set).
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "always",
        overrides_with = "no_color",
        help_heading = "Output"
    )]
    pub color: Option<ColorWhen>,
    /// Do not colorize output.
    #[arg(long, help_heading = "Output")]
    pub no_color: bool,
}

impl ColorArgs {
    /// The choice; `None` lets the printer look at the terminal and NO_COLOR.
    pub fn choice(self) -> Option<bool> {
        match (self.no_color, self.color) {
            (true, _) | (false, Some(ColorWhen::Never)) => Some(false),
            (false, Some(ColorWhen::Always)) => Some(true),
            (false, Some(ColorWhen::Auto) | None) => None,
        }
    }
}

/// When to colour the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless the NO_COLOR environment variable is set.
    Auto,
    /// Always (a flag beats NO_COLOR).
    Always,
    /// Never.
    Never,
}

/// How transport failures are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TransportRetryMode {
    /// Retry only where the rules call a repeat safe.
    Safe,
    /// Never retry a transport failure.
    Off,
}

/// The transport flags that `test` and `run` share.
#[derive(Debug, Args)]
pub struct TransportArgs {
    /// Retry transport failures only where safe (default), or never.
    #[arg(long, value_enum, value_name = "MODE", help_heading = "Transport")]
    pub transport_retry: Option<TransportRetryMode>,
    /// Methods considered idempotent for transport retries (default GET,HEAD,OPTIONS,TRACE).
    #[arg(long, value_name = "METHODS", value_delimiter = ',', help_heading = "Transport")]
    pub retry_methods: Option<Vec<String>>,
    /// A request carrying this header may be retried (the server honours it).
    #[arg(long, value_name = "NAME", help_heading = "Transport")]
    pub idempotency_key_header: Option<String>,
    /// Never reuse a connection.
    #[arg(long, help_heading = "Transport")]
    pub no_keepalive: bool,
    /// Fail a close-delimited response that ended with a reset.
    #[arg(long, help_heading = "Transport")]
    pub strict_framing: bool,
    /// Add X-Shakedown-Attempt and X-Shakedown-Txn-Id to every request.
    #[arg(long, help_heading = "Transport")]
    pub attempt_headers: bool,
    /// What a pass that needed a transport retry counts as.
    #[arg(long, value_enum, value_name = "RESULT", help_heading = "Transport")]
    pub flaky_result: Option<FlakyResult>,
}

/// Hurl's `--error-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    /// The failure snippets only.
    Short,
    /// The failure snippets, then the response's status line, headers and body.
    Long,
}

/// What a flaky pass counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlakyResult {
    /// A flaky pass passes (with a warning).
    Pass,
    /// A flaky pass fails the run (exit code 5).
    Fail,
}

/// `shakedown test [FILE|DIR]...`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Run")]
pub struct TestArgs {
    /// Files or directories (searched recursively for *.hurl).
    pub files: Vec<PathBuf>,

    /// `--variable`, `--variables-file`, `--secret`, `--secrets-file`.
    #[command(flatten)]
    pub definitions: DefinitionArgs,

    /// Number of files run in parallel (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Run files in parallel (the default in test mode; accepted for Hurl compatibility).
    #[arg(long)]
    pub parallel: bool,
    /// Test mode (accepted for Hurl compatibility; always on).
    #[arg(long)]
    pub test: bool,
    /// Stop at the first failed file.
    #[arg(long)]
    pub fail_fast: bool,
    /// Continue running entries of a file after an assert failure.
    #[arg(long)]
    pub continue_on_error: bool,
    /// Ignore all asserts.
    #[arg(long = "ignore-asserts", alias = "no-assert")]
    pub ignore_asserts: bool,
    /// Run from this 1-based entry on.
    #[arg(long, value_name = "N")]
    pub from_entry: Option<usize>,
    /// Run up to this 1-based entry.
    #[arg(long, value_name = "N")]
    pub to_entry: Option<usize>,
    /// Re-run a failing entry up to N times (-1: unlimited), as Hurl's --retry.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub retry: Option<i64>,
    /// Time between Hurl retries (default 1000 ms; a bare number is ms).
    #[arg(long, value_name = "DURATION")]
    pub retry_interval: Option<String>,
    /// Repeat each file N times (-1: forever).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub repeat: Option<i64>,
    /// Delay before each request (a bare number is ms).
    #[arg(long, value_name = "DURATION")]
    pub delay: Option<String>,

    /// Input: a glob of files to run (repeatable).
    #[arg(long, value_name = "PATTERN", help_heading = "Input")]
    pub glob: Vec<String>,
    /// Root directory for `file,` bodies and multipart files.
    #[arg(long, value_name = "DIR", help_heading = "Input")]
    pub file_root: Option<PathBuf>,

    /// Write a report: junit=PATH, json=PATH, html=PATH or tap=PATH (repeatable).
    #[arg(long = "report", value_name = "FORMAT=PATH", help_heading = "Reports")]
    pub reports: Vec<String>,
    /// Write a JUnit report (Hurl's spelling of --report junit=PATH).
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub report_junit: Option<PathBuf>,
    /// Hurl's JSON report: DIR/report.json, an array of files, appended to.
    #[arg(long, value_name = "DIR", help_heading = "Reports")]
    pub report_json: Option<PathBuf>,
    /// Hurl's HTML report: DIR/index.html, one self-contained page (same as --report html=DIR/index.html).
    #[arg(long, value_name = "DIR", help_heading = "Reports")]
    pub report_html: Option<PathBuf>,
    /// A TAP (version 13) report of the files, appended to an existing one.
    #[arg(long, value_name = "FILE", help_heading = "Reports")]
    pub report_tap: Option<PathBuf>,

    /// Print a JSON result per file on stdout.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    /// Do not write the last response body (`--output`); `[Options] output` still applies.
    #[arg(long, help_heading = "Output")]
    pub no_output: bool,
    /// How failures are printed: `short` (the default) or `long` (with the response).
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output")]
    pub error_format: Option<ErrorFormat>,
    /// Write the curl command line of every request sent to FILE.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub curl: Option<PathBuf>,
    /// Include the response headers in the output.
    #[arg(long, short = 'i', help_heading = "Output")]
    pub include: bool,
    /// Write the last response body to FILE ('-' for stdout).
    #[arg(long, short = 'o', value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// `--color[=WHEN]`, `--no-color`.
    #[command(flatten)]
    pub colors: ColorArgs,
    /// Print each request and response line, and every attempt.
    #[arg(long, short = 'v', help_heading = "Output")]
    pub verbose: bool,
    /// Verbose, plus headers and bodies.
    #[arg(long, help_heading = "Output")]
    pub very_verbose: bool,

    /// Follow redirects.
    #[arg(long, short = 'L', help_heading = "HTTP")]
    pub location: bool,
    /// Follow redirects, sending credentials to other hosts too.
    #[arg(long, help_heading = "HTTP")]
    pub location_trusted: bool,
    /// Maximum number of redirects (default 50; -1: unlimited).
    #[arg(long, value_name = "N", allow_negative_numbers = true, help_heading = "HTTP")]
    pub max_redirs: Option<i64>,
    /// Skip TLS certificate verification.
    #[arg(long, short = 'k', help_heading = "HTTP")]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE", help_heading = "HTTP")]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM).
    #[arg(long, short = 'E', value_name = "FILE", help_heading = "HTTP")]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM).
    #[arg(long, value_name = "FILE", help_heading = "HTTP")]
    pub key: Option<PathBuf>,
    /// Connect timeout (default 300 s; a bare number is seconds).
    #[arg(long, value_name = "DURATION", help_heading = "HTTP")]
    pub connect_timeout: Option<String>,
    /// Maximum time for one request (default 300 s; a bare number is seconds).
    #[arg(long, short = 'm', value_name = "DURATION", help_heading = "HTTP")]
    pub max_time: Option<String>,
    /// Fail a response whose body is larger than BYTES (default 64 MiB, docs/limits.md).
    #[arg(long, value_name = "BYTES", help_heading = "HTTP")]
    pub max_filesize: Option<u64>,
    /// Add a header to every request (repeatable).
    #[arg(long, short = 'H', value_name = "HEADER", help_heading = "HTTP")]
    pub header: Vec<String>,
    /// Basic authentication user:password for every request.
    #[arg(long, short = 'u', value_name = "USER:PASSWORD", help_heading = "HTTP")]
    pub user: Option<String>,
    /// User-Agent header.
    #[arg(long, short = 'A', value_name = "NAME", help_heading = "HTTP")]
    pub user_agent: Option<String>,
    /// Read cookies from a Netscape cookie file.
    #[arg(long, short = 'b', value_name = "FILE", help_heading = "HTTP")]
    pub cookie: Option<PathBuf>,
    /// Write the cookies of the last file run to a Netscape cookie file.
    #[arg(long, short = 'c', value_name = "FILE", help_heading = "HTTP")]
    pub cookie_jar: Option<PathBuf>,
    /// Do not keep cookies between entries.
    #[arg(long, help_heading = "HTTP")]
    pub no_cookie_store: bool,
    /// Ask for a compressed response and decompress it.
    #[arg(long, help_heading = "HTTP")]
    pub compressed: bool,
    /// Use HTTP/1.0.
    #[arg(long = "http1.0", short = '0', help_heading = "HTTP")]
    pub http10: bool,
    /// Use HTTP/1.1.
    #[arg(long = "http1.1", help_heading = "HTTP")]
    pub http11: bool,
    /// Use HTTP/2 (ALPN over TLS).
    #[arg(long = "http2", help_heading = "HTTP")]
    pub http2: bool,
    /// Use HTTP/2 without negotiation.
    #[arg(long = "http2-prior-knowledge", help_heading = "HTTP")]
    pub http2_prior_knowledge: bool,
    /// Resolve only to IPv4 addresses.
    #[arg(long, short = '4', help_heading = "HTTP")]
    pub ipv4: bool,
    /// Resolve only to IPv6 addresses.
    #[arg(long, short = '6', help_heading = "HTTP")]
    pub ipv6: bool,
    /// Resolve HOST:PORT to ADDR (repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR", help_heading = "HTTP")]
    pub resolve: Vec<String>,
    /// Connect to HOST2:PORT2 for HOST1:PORT1 (repeatable).
    #[arg(long, value_name = "HOST1:PORT1:HOST2:PORT2", help_heading = "HTTP")]
    pub connect_to: Vec<String>,
    /// Send the URL path as written, without normalising `..`.
    #[arg(long, help_heading = "HTTP")]
    pub path_as_is: bool,

    /// How transport failures are handled.
    #[command(flatten)]
    pub transport: TransportArgs,
    /// Which shard of the files this run is (`--shard M/N`).
    #[command(flatten)]
    pub shard: ShardArgs,

    /// Out of scope: shakedown talks to the service directly.
    #[arg(long, short = 'x', value_name = "PROXY", hide = true)]
    pub proxy: Option<String>,
    /// Out of scope.
    #[arg(long, value_name = "HOSTS", hide = true)]
    pub noproxy: Option<String>,
    /// Out of scope.
    #[arg(long, value_name = "PATH", hide = true)]
    pub unix_socket: Option<String>,
    /// Out of scope.
    #[arg(long, hide = true, action = ArgAction::SetTrue)]
    pub ntlm: bool,
    /// Out of scope.
    #[arg(long, hide = true, action = ArgAction::SetTrue)]
    pub negotiate: bool,
    /// Out of scope.
    #[arg(long, hide = true, action = ArgAction::SetTrue)]
    pub digest: bool,
    /// Out of scope.
    #[arg(long = "http3", hide = true, action = ArgAction::SetTrue)]
    pub http3: bool,
    /// Sign requests with AWS SigV4 (`aws:amz:REGION:SERVICE`), keys from --user.
    #[arg(long, value_name = "PROVIDER", help_heading = "HTTP")]
    pub aws_sigv4: Option<String>,
    /// Read Basic credentials from ~/.netrc (the host's `machine` entry is required).
    #[arg(long, short = 'n', help_heading = "HTTP")]
    pub netrc: bool,
    /// Read Basic credentials from this netrc file.
    #[arg(long, value_name = "FILE", help_heading = "HTTP")]
    pub netrc_file: Option<PathBuf>,
    /// Like --netrc, but a missing file or host is not an error.
    #[arg(long, help_heading = "HTTP")]
    pub netrc_optional: bool,
    /// Read response bodies at most this many bytes per second.
    #[arg(long, value_name = "BYTES_PER_SECOND", help_heading = "HTTP")]
    pub limit_rate: Option<u64>,
    /// Out of scope.
    #[arg(long, value_name = "HASHES", hide = true)]
    pub pinnedpubkey: Option<String>,
}

impl TestArgs {
    /// The flags given (names without dashes) that are declared only to be refused: the
    /// reason, what to use instead and the exit code are in `settings::unsupported`.
    pub fn unsupported_flags(&self) -> Vec<&'static str> {
        let given = [
            ("proxy", self.proxy.is_some()),
            ("noproxy", self.noproxy.is_some()),
            ("unix-socket", self.unix_socket.is_some()),
            ("ntlm", self.ntlm),
            ("negotiate", self.negotiate),
            ("digest", self.digest),
            ("pinnedpubkey", self.pinnedpubkey.is_some()),
            ("http3", self.http3),
        ];
        given.into_iter().filter(|(_, given)| *given).map(|(name, _)| name).collect()
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn accepts_hurl_style_command_lines() {
        let valid: &[&[&str]] = &[
            &["shakedown", "test", "a.hurl"],
            &["shakedown", "test", "--test", "--jobs", "1", "--variable", "a=1", "dir"],
            &["shakedown", "test", "--retry", "-1", "--retry-interval", "100ms", "a.hurl"],
            &[
                "shakedown",
                "test",
                "--report",
                "junit=out.xml",
                "--report-junit",
                "j.xml",
                "a.hurl",
            ],
            &["shakedown", "test", "-L", "-k", "--max-redirs", "3", "--http1.1", "a.hurl"],
            &[
                "shakedown",
                "test",
                "--retry-methods",
                "GET,PUT",
                "--flaky-result",
                "fail",
                "a.hurl",
            ],
            &["shakedown", "check", "a.hurl"],
            &["shakedown", "run"],
            &["shakedown", "run", "s.toml", "--layer", "unit", "--layer", "it", "--keep-going"],
            &["shakedown", "run", "--deadline", "5m", "--jobs", "2", "--flaky-result", "fail"],
            &["shakedown", "__supervise"],
        ];
        for line in valid {
            assert!(Cli::try_parse_from(*line).is_ok(), "{line:?}");
        }
        let invalid: &[&[&str]] = &[
            &["shakedown"],
            &["shakedown", "test", "--jobs", "x"],
            &["shakedown", "test", "--transport-retry", "always"],
            &["shakedown", "test", "--no-such-flag"],
        ];
        for line in invalid {
            assert!(Cli::try_parse_from(*line).is_err(), "{line:?}");
        }
    }

    #[test]
    fn out_of_scope_flags_are_named() {
        let Ok(cli) = Cli::try_parse_from(["shakedown", "test", "--proxy", "p:1", "--http3", "a"])
        else {
            panic!("parses");
        };
        let Command::Test(args) = cli.command else { panic!("test") };
        assert_eq!(args.unsupported_flags(), ["proxy", "http3"]);
    }

    /// The flags of the unsupported-features table are declared, and every declared
    /// refused flag is in the table.
    #[test]
    fn refused_flags_are_the_tables() {
        use crate::settings::unsupported::{FlagRule, UNSUPPORTED};
        let command = Cli::command();
        let Some(test) = command.find_subcommand("test") else { panic!("test") };
        for feature in UNSUPPORTED.iter().filter(|u| u.flag != FlagRule::None) {
            assert!(
                test.get_arguments().any(|a| a.get_long() == Some(feature.name)),
                "--{} is in the table but not declared",
                feature.name
            );
        }
        let mut all = vec!["shakedown", "test"];
        let given = [
            "--proxy",
            "p",
            "--noproxy",
            "h",
            "--unix-socket",
            "s",
            "--ntlm",
            "--negotiate",
            "--digest",
            "--pinnedpubkey",
            "k",
            "--http3",
        ];
        all.extend(given);
        let Ok(cli) = Cli::try_parse_from(all) else { panic!("parses") };
        let Command::Test(args) = cli.command else { panic!("test") };
        let names = args.unsupported_flags();
        assert_eq!(names.len(), 8);
        for name in names {
            assert!(
                UNSUPPORTED.iter().any(|u| u.name == name && u.flag != FlagRule::None),
                "{name}"
            );
        }
    }
}
