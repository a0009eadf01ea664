//! Effective options of one entry: the run's defaults overlaid with `[Options]`.
//!
//! Every option applies to its own entry only, except `variable`, which stays
//! defined for the following entries (Hurl's rule). Option values are templated, so
//! they are parsed here, when the entry runs, by the same typed parsers the command
//! line uses (`crate::settings`). An option that shakedown does not support is a
//! named runtime error when the entry runs, never a silent no-op; the one table is
//! `settings::unsupported`, which `docs/hurl-coverage.md` lists.

use std::path::PathBuf;
use std::time::Duration;

use crate::runner::error::EvalError;
use crate::runner::template;
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::scenario::ast::{
    BoolOption, CountOption, DurationOption, DurationUnit, EntryOption, OptionName, OptionValue,
    Span, VariableValue,
};
use crate::settings::{ConnectTo, Header, ResolveRule, unsupported};
use crate::settings::{parse_duration, to_duration};
use crate::transport::request::{HttpVersionPreference, IpVersion};

/// The options in force for one entry.
#[derive(Clone, Debug)]
pub struct EntryOptions {
    /// Follow redirects.
    pub location: bool,
    /// Follow redirects and keep credentials across hosts.
    pub location_trusted: bool,
    /// Maximum redirects; `None` means unlimited.
    pub max_redirs: Option<u64>,
    /// Skip certificate verification.
    pub insecure: bool,
    /// Extra CA files.
    pub cacert: Option<PathBuf>,
    /// Client certificate.
    pub cert: Option<PathBuf>,
    /// Client key.
    pub key: Option<PathBuf>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Timeout for one request.
    pub max_time: Duration,
    /// The largest response body kept, in bytes (`--max-filesize`).
    pub max_filesize: u64,
    /// Hurl `retry`: re-runs of a failing entry; `None` means unlimited.
    pub retry: Option<u64>,
    /// Time between Hurl retries.
    pub retry_interval: Duration,
    /// Iterations of the entry; `None` means forever.
    pub repeat: Option<u64>,
    /// Sleep before each request.
    pub delay: Duration,
    /// Skip the entry.
    pub skip: bool,
    /// Ask for and decode compressed responses.
    pub compressed: bool,
    /// HTTP version.
    pub http_version: HttpVersionPreference,
    /// Address family.
    pub ip_version: IpVersion,
    /// Extra headers (`[Options] header`).
    pub headers: Vec<Header>,
    /// Basic auth `user:password`.
    pub user: Option<String>,
    /// `--resolve` rules.
    pub resolve: Vec<ResolveRule>,
    /// `--connect-to` rules.
    pub connect_to: Vec<ConnectTo>,
    /// Write the response body here.
    pub output: Option<PathBuf>,
    /// Verbose output for this entry.
    pub verbose: bool,
    /// Very verbose output for this entry.
    pub very_verbose: bool,
    /// Where Basic credentials may come from when the entry gives none (`--netrc`).
    pub netrc: Option<Netrc>,
    /// Send the URL path as written, dot segments included (`--path-as-is`).
    pub path_as_is: bool,
    /// Sign with AWS SigV4 instead of Basic auth: `aws:amz:REGION:SERVICE` (`--aws-sigv4`).
    pub aws_sigv4: Option<String>,
    /// Read response bodies at most this many bytes per second (`--limit-rate`).
    pub limit_rate: Option<u64>,
}

/// A netrc source for Basic credentials, as curl reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Netrc {
    /// The file; `None` is `$HOME/.netrc`.
    pub file: Option<PathBuf>,
    /// A missing file, or no entry for the host, is not an error (`--netrc-optional`).
    pub optional: bool,
}

impl Default for EntryOptions {
    fn default() -> EntryOptions {
        EntryOptions {
            location: false,
            location_trusted: false,
            max_redirs: Some(50),
            insecure: false,
            cacert: None,
            cert: None,
            key: None,
            connect_timeout: Duration::from_secs(300),
            max_time: Duration::from_secs(300),
            max_filesize: crate::transport::DEFAULT_MAX_FILESIZE,
            retry: Some(0),
            retry_interval: Duration::from_millis(1000),
            repeat: Some(1),
            delay: Duration::ZERO,
            skip: false,
            compressed: false,
            http_version: HttpVersionPreference::Default,
            ip_version: IpVersion::Any,
            headers: Vec::new(),
            user: None,
            resolve: Vec::new(),
            connect_to: Vec::new(),
            output: None,
            verbose: false,
            very_verbose: false,
            netrc: None,
            path_as_is: false,
            aws_sigv4: None,
            limit_rate: None,
        }
    }
}

/// An option could not be applied.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionError {
    /// What is wrong.
    pub message: String,
    /// The option's span.
    pub span: Span,
}

impl From<EvalError> for OptionError {
    fn from(error: EvalError) -> OptionError {
        OptionError { message: error.to_string(), span: error.span }
    }
}

/// Options that parse but that shakedown does not support, with the reason (from the
/// one table, `settings::unsupported`).
pub fn unsupported_reason(name: OptionName) -> Option<&'static str> {
    unsupported::option(name).map(|u| u.reason)
}

/// Applies an entry's `[Options]` over `base`, defining `variable` options in `variables`.
pub fn apply(
    base: &EntryOptions,
    options: &[EntryOption],
    variables: &mut Variables,
) -> Result<EntryOptions, OptionError> {
    let mut out = base.clone();
    for option in options {
        let name = option.name.value;
        if let Some(feature) = unsupported::option(name) {
            let (message, span) = unsupported::option_error(option, feature);
            return Err(OptionError { message, span });
        }
        match name {
            OptionName::Variable => {
                if let OptionValue::Variable(def) = &option.value {
                    let value = match &def.value {
                        VariableValue::Null => Value::Null,
                        VariableValue::Bool(b) => Value::Bool(*b),
                        VariableValue::Integer(i) => Value::Integer(*i),
                        VariableValue::Float(f) => Value::Float(f.value),
                        VariableValue::String(t) => Value::String(template::render(t, variables)?),
                    };
                    variables.insert(def.name.value.clone(), value);
                }
            }
            OptionName::Location => out.location = bool_value(option, variables)?,
            OptionName::LocationTrusted => {
                out.location_trusted = bool_value(option, variables)?;
                out.location |= out.location_trusted;
            }
            OptionName::MaxRedirs => out.max_redirs = count_value(option, variables)?,
            OptionName::Insecure => out.insecure = bool_value(option, variables)?,
            OptionName::CaCert => out.cacert = Some(PathBuf::from(text_value(option, variables)?)),
            OptionName::Cert => out.cert = Some(PathBuf::from(text_value(option, variables)?)),
            OptionName::Key => out.key = Some(PathBuf::from(text_value(option, variables)?)),
            OptionName::ConnectTimeout => {
                out.connect_timeout = duration_value(option, variables, DurationUnit::Second)?;
            }
            OptionName::MaxTime => {
                out.max_time = duration_value(option, variables, DurationUnit::Second)?;
            }
            OptionName::Retry => out.retry = count_value(option, variables)?,
            OptionName::RetryInterval => {
                out.retry_interval = duration_value(option, variables, DurationUnit::Millisecond)?;
            }
            OptionName::Repeat => out.repeat = count_value(option, variables)?,
            OptionName::Delay => {
                out.delay = duration_value(option, variables, DurationUnit::Millisecond)?;
            }
            OptionName::Skip => out.skip = bool_value(option, variables)?,
            OptionName::Compressed => out.compressed = bool_value(option, variables)?,
            OptionName::Http10 => {
                set_version(&mut out, option, variables, HttpVersionPreference::Http10)?;
            }
            OptionName::Http11 => {
                set_version(&mut out, option, variables, HttpVersionPreference::Http11)?;
            }
            OptionName::Http2 => {
                set_version(&mut out, option, variables, HttpVersionPreference::Http2)?;
            }
            OptionName::Http2PriorKnowledge => {
                set_version(
                    &mut out,
                    option,
                    variables,
                    HttpVersionPreference::Http2PriorKnowledge,
                )?;
            }
            OptionName::Ipv4 if bool_value(option, variables)? => {
                out.ip_version = IpVersion::V4;
            }
            OptionName::Ipv6 if bool_value(option, variables)? => {
                out.ip_version = IpVersion::V6;
            }
            OptionName::Header => {
                let text = text_value(option, variables)?;
                let header =
                    Header::parse(&text).map_err(|e| value_error(option, &text, &e.to_string()))?;
                out.headers.push(header);
            }
            OptionName::User => out.user = Some(text_value(option, variables)?),
            OptionName::Resolve => {
                let text = text_value(option, variables)?;
                let rule = ResolveRule::parse(&text)
                    .map_err(|e| value_error(option, &text, &e.to_string()))?;
                out.resolve.push(rule);
            }
            OptionName::ConnectTo => {
                let text = text_value(option, variables)?;
                let rule = ConnectTo::parse(&text)
                    .map_err(|e| value_error(option, &text, &e.to_string()))?;
                out.connect_to.push(rule);
            }
            OptionName::Output => out.output = Some(PathBuf::from(text_value(option, variables)?)),
            OptionName::Verbose => out.verbose = bool_value(option, variables)?,
            OptionName::VeryVerbose => {
                out.very_verbose = bool_value(option, variables)?;
                out.verbose |= out.very_verbose;
            }
            OptionName::Netrc => {
                out.netrc =
                    bool_value(option, variables)?.then_some(Netrc { file: None, optional: false });
            }
            OptionName::NetrcOptional => {
                out.netrc =
                    bool_value(option, variables)?.then_some(Netrc { file: None, optional: true });
            }
            OptionName::NetrcFile => {
                out.netrc = Some(Netrc {
                    file: Some(PathBuf::from(text_value(option, variables)?)),
                    optional: false,
                });
            }
            OptionName::PathAsIs => out.path_as_is = bool_value(option, variables)?,
            OptionName::AwsSigv4 => out.aws_sigv4 = Some(text_value(option, variables)?),
            OptionName::LimitRate => out.limit_rate = count_value(option, variables)?,
            OptionName::Verbosity => {
                let level = text_value(option, variables)?;
                out.verbose = matches!(level.as_str(), "verbose" | "debug");
                out.very_verbose = level == "debug";
            }
            _ => {}
        }
    }
    Ok(out)
}

fn set_version(
    out: &mut EntryOptions,
    option: &EntryOption,
    variables: &Variables,
    version: HttpVersionPreference,
) -> Result<(), OptionError> {
    if bool_value(option, variables)? {
        out.http_version = version;
    }
    Ok(())
}

fn type_error(option: &EntryOption, expected: &str) -> OptionError {
    OptionError {
        message: format!("option `{}` expects {expected}", option.name.value),
        span: option.span,
    }
}

/// An option whose value does not parse: the option, the value and why.
fn value_error(option: &EntryOption, value: &str, why: &str) -> OptionError {
    OptionError {
        message: format!("invalid option `{}` <{value}>: {why}", option.name.value),
        span: option.span,
    }
}

fn bool_value(option: &EntryOption, variables: &Variables) -> Result<bool, OptionError> {
    match &option.value {
        OptionValue::Bool(BoolOption::Literal(b)) => Ok(b.value),
        OptionValue::Bool(BoolOption::Placeholder(p)) => {
            match template::eval_expr(&p.expr, variables)? {
                Value::Bool(b) => Ok(b),
                Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
                _ => Err(type_error(option, "a boolean")),
            }
        }
        _ => Err(type_error(option, "a boolean")),
    }
}

/// A count: `-1` (or any negative) means unlimited (`None`).
fn count_value(option: &EntryOption, variables: &Variables) -> Result<Option<u64>, OptionError> {
    let raw = match &option.value {
        OptionValue::Count(CountOption::Literal(n))
        | OptionValue::Natural(CountOption::Literal(n)) => n.value,
        OptionValue::Count(CountOption::Placeholder(p))
        | OptionValue::Natural(CountOption::Placeholder(p)) => {
            match template::eval_expr(&p.expr, variables)? {
                Value::Integer(i) => i,
                Value::String(s) => {
                    s.trim().parse().map_err(|_| type_error(option, "an integer"))?
                }
                _ => return Err(type_error(option, "an integer")),
            }
        }
        _ => return Err(type_error(option, "an integer")),
    };
    if raw < -1 {
        return Err(OptionError {
            message: format!(
                "option `{}` expects an integer >= -1, actual value is integer <{raw}>",
                option.name.value
            ),
            span: option.span,
        });
    }
    Ok(u64::try_from(raw).ok())
}

fn duration_value(
    option: &EntryOption,
    variables: &Variables,
    default_unit: DurationUnit,
) -> Result<Duration, OptionError> {
    match &option.value {
        OptionValue::Duration(DurationOption::Literal { value, unit, .. }) => {
            Ok(to_duration(*value, unit.unwrap_or(default_unit)))
        }
        OptionValue::Duration(DurationOption::Placeholder(p)) => {
            match template::eval_expr(&p.expr, variables)? {
                Value::Integer(i) if i >= 0 => Ok(to_duration(i.unsigned_abs(), default_unit)),
                Value::String(s) => parse_duration(&s, default_unit)
                    .map_err(|e| value_error(option, &s, &e.to_string())),
                _ => Err(type_error(option, "a duration")),
            }
        }
        _ => Err(type_error(option, "a duration")),
    }
}

fn text_value(option: &EntryOption, variables: &Variables) -> Result<String, OptionError> {
    match &option.value {
        OptionValue::Template(t) => Ok(template::render(t, variables)?),
        _ => Err(type_error(option, "text")),
    }
}

/// Whether a relative `path`, resolved against `root`, lands outside `root`
/// (`../x`; `../build/x` under `build` stays inside): Hurl refuses such output files.
pub fn escapes_root(root: &std::path::Path, path: &std::path::Path) -> bool {
    use std::path::Component;
    if path.is_absolute() {
        return false;
    }
    let normal = |p: &std::path::Path| {
        let mut out: Vec<std::ffi::OsString> = Vec::new();
        let mut above = 0usize;
        for component in p.components() {
            match component {
                Component::ParentDir => above += usize::from(out.pop().is_none()),
                Component::Normal(name) => out.push(name.to_owned()),
                _ => {}
            }
        }
        (above, out)
    };
    let (root_above, root_parts) = normal(root);
    let (above, parts) = normal(&root.join(path));
    above > root_above || !parts.starts_with(&root_parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_stay_under_the_root() {
        let p = std::path::Path::new;
        assert!(escapes_root(p("tests"), p("../build/x")));
        assert!(escapes_root(p("tests"), p("a/../../x")));
        assert!(!escapes_root(p("tests"), p("a/../x")));
        assert!(!escapes_root(p("build"), p("../build/x")));
        assert!(escapes_root(p(""), p("../x")));
        assert!(!escapes_root(p("tests"), p("/tmp/x")));
    }

    #[test]
    fn every_unsupported_option_has_a_reason_and_the_rest_none() {
        let unsupported: Vec<_> =
            OptionName::ALL.into_iter().filter(|n| unsupported_reason(*n).is_some()).collect();
        assert!(unsupported.contains(&OptionName::Http3));
        assert!(unsupported.contains(&OptionName::Ntlm));
        assert!(!unsupported.contains(&OptionName::Retry));
        assert!(!unsupported.contains(&OptionName::Location));
    }
}
