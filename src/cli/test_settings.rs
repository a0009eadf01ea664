//! `shakedown test`'s flags into validated settings, once, before anything runs (also
//! `hunt`'s, which takes the same flags): the files (globs, `--shard`, `--repeat`), the
//! runner's defaults, the reports and the worker count. Every malformed value is a
//! usage error naming the flag (`cli::edge`).

use std::path::PathBuf;

use crate::cli::args::{ErrorFormat, TestArgs};
use crate::cli::definitions::{self, Environment};
use crate::cli::edge::{self, CommonFlags, duration_flag};
use crate::cli::output::UsageError;
use crate::runner::cookies::CookieStore;
use crate::runner::execute::RunSettings;
use crate::runner::options::Netrc;
use crate::scenario::ast::DurationUnit;
use crate::session::{FlakyResult, STDIN_PATH};
use crate::transport::request::{HttpVersionPreference, IpVersion};

/// A report to write at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReportTarget {
    Junit(PathBuf),
    Json(PathBuf),
    Html(PathBuf),
    /// `--report-tap FILE`: appended to an existing TAP report.
    Tap(PathBuf),
    /// `--report-json DIR`: DIR/report.json in Hurl's layout, appended to.
    HurlJson(PathBuf),
    /// `--curl FILE`: one curl command line per request sent.
    Curl(PathBuf),
}

/// A `test` command line, validated (also `hunt`'s, which takes the same flags).
pub(crate) struct Prepared {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) settings: RunSettings,
    pub(crate) reports: Vec<ReportTarget>,
    pub(crate) jobs: usize,
    pub(crate) flaky_result: FlakyResult,
}

pub(crate) fn prepare(args: &TestArgs) -> Result<Prepared, UsageError> {
    edge::unsupported_flag(args.unsupported_flags())?;
    let mut files = crate::cli::files::collect(&args.files, &args.glob)?;
    if files.is_empty() && args.files.is_empty() && args.glob.is_empty() {
        // Hurl reads one file from standard input when none is named.
        files.push(PathBuf::from(STDIN_PATH));
    }
    if files.is_empty() {
        return Err(UsageError(
            "no .hurl file to run: give files, directories or --glob".to_owned(),
        ));
    }
    // A file named twice runs twice, as with Hurl (no dedup).
    // A shard runs its part of the files (a stable hash of the path by default); an empty
    // part is a run of nothing, not an error: the other shards have the files.
    if let Some((shard, mode)) = edge::resolve_shard(&args.shard)? {
        files = files
            .into_iter()
            .enumerate()
            .filter(|(position, path)| shard.owns(path, *position, mode))
            .map(|(_, path)| path)
            .collect();
    }
    // Hurl's --repeat repeats the whole sequence of files.
    match args.repeat {
        None | Some(1) => {}
        Some(n) if n >= 0 => {
            files = files
                .iter()
                .cycle()
                .take(files.len() * usize::try_from(n).unwrap_or(0))
                .cloned()
                .collect();
        }
        Some(_) => {
            return Err(UsageError(
                "--repeat -1 (forever) is not supported: give a count so the run ends by itself"
                    .to_owned(),
            ));
        }
    }

    let variables = definitions::read(&args.definitions, Environment::Read)?.into_variables();
    let mut settings = RunSettings { variables, ..RunSettings::default() };
    let common = edge::common_settings(&CommonFlags {
        connect_timeout: args.connect_timeout.as_deref(),
        max_time: args.max_time.as_deref(),
        max_filesize: args.max_filesize,
        transport: &args.transport,
    })?;
    // Hurl's timeouts (300 s) where none is given.
    common.apply(&mut settings, None);
    let defaults = &mut settings.defaults;
    defaults.location = args.location || args.location_trusted;
    defaults.location_trusted = args.location_trusted;
    if let Some(max) = args.max_redirs {
        defaults.max_redirs = u64::try_from(max).ok();
    }
    defaults.insecure = args.insecure;
    defaults.cacert.clone_from(&args.cacert);
    defaults.cert.clone_from(&args.cert);
    defaults.key.clone_from(&args.key);
    if let Some(retry) = args.retry {
        defaults.retry = u64::try_from(retry).ok();
    }
    if let Some(text) = &args.retry_interval {
        defaults.retry_interval =
            duration_flag(text, DurationUnit::Millisecond, "--retry-interval")?;
    }
    if let Some(text) = &args.delay {
        defaults.delay = duration_flag(text, DurationUnit::Millisecond, "--delay")?;
    }
    defaults.compressed = args.compressed;
    defaults.http_version = if args.http2_prior_knowledge {
        HttpVersionPreference::Http2PriorKnowledge
    } else if args.http2 {
        HttpVersionPreference::Http2
    } else if args.http11 {
        HttpVersionPreference::Http11
    } else if args.http10 {
        HttpVersionPreference::Http10
    } else {
        HttpVersionPreference::Default
    };
    defaults.ip_version = match (args.ipv4, args.ipv6) {
        (true, false) => IpVersion::V4,
        (false, true) => IpVersion::V6,
        _ => IpVersion::Any,
    };
    defaults.user.clone_from(&args.user);
    defaults.resolve = edge::resolve_flags(&args.resolve)?;
    defaults.connect_to = edge::connect_to_flags(&args.connect_to)?;
    defaults.verbose = args.verbose || args.very_verbose;
    defaults.very_verbose = args.very_verbose;
    defaults.path_as_is = args.path_as_is;
    defaults.aws_sigv4.clone_from(&args.aws_sigv4);
    defaults.limit_rate = args.limit_rate;
    defaults.netrc = if args.netrc_file.is_some() || args.netrc || args.netrc_optional {
        Some(Netrc { file: args.netrc_file.clone(), optional: args.netrc_optional })
    } else {
        None
    };

    settings.file_root.clone_from(&args.file_root);
    settings.continue_on_error = args.continue_on_error;
    settings.ignore_asserts = args.ignore_asserts;
    settings.from_entry = args.from_entry;
    settings.to_entry = args.to_entry;
    settings.extra_headers = edge::header_flags(&args.header)?;
    settings.user_agent.clone_from(&args.user_agent);
    settings.no_cookie_store = args.no_cookie_store;
    if let Some(path) = &args.cookie {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("cannot read cookie file {}: {e}", path.display())))?;
        let mut store = CookieStore::default();
        let bad = store.read_netscape(&text);
        if let Some(line) = bad.first() {
            return Err(UsageError(format!(
                "{}:{line}: not a Netscape cookie line",
                path.display()
            )));
        }
        settings.initial_cookies = store;
    }
    // The last response is written (`--output`) or printed (`--error-format long`) whole.
    settings.keep_bodies =
        (args.output.is_some() && !args.no_output) || args.error_format == Some(ErrorFormat::Long);

    use crate::settings::ReportFormat;
    let writes = [ReportFormat::Junit, ReportFormat::Json, ReportFormat::Html, ReportFormat::Tap];
    let mut reports: Vec<ReportTarget> = edge::report_flags(&args.reports, "test", &writes)?
        .into_iter()
        .map(|spec| match spec.format {
            ReportFormat::Junit => ReportTarget::Junit(spec.path),
            ReportFormat::Json => ReportTarget::Json(spec.path),
            ReportFormat::Html => ReportTarget::Html(spec.path),
            ReportFormat::Tap => ReportTarget::Tap(spec.path),
        })
        .collect();
    if let Some(path) = &args.report_junit {
        reports.push(ReportTarget::Junit(path.clone()));
    }
    if let Some(path) = &args.report_tap {
        reports.push(ReportTarget::Tap(path.clone()));
    }
    if let Some(dir) = &args.report_json {
        reports.push(ReportTarget::HurlJson(dir.join("report.json")));
    }
    if let Some(path) = &args.curl {
        reports.push(ReportTarget::Curl(path.clone()));
    }
    if let Some(dir) = &args.report_html {
        reports.push(ReportTarget::Html(dir.join("index.html")));
    }

    let jobs = match args.jobs {
        Some(0) => return Err(UsageError("--jobs must be at least 1".to_owned())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    };
    Ok(Prepared { files, settings, reports, jobs, flaky_result: common.flaky_result() })
}
