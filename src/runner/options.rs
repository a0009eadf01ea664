//! Effective options of one entry: the run's defaults overlaid with `[Options]`.
//!
//! Every option applies to its own entry only, except `variable`, which stays
//! defined for the following entries (Hurl's rule). An option that shakedown
//! does not support is a named runtime error when the entry runs, never a
//! silent no-op; `docs/hurl-coverage.md` lists them.

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
    /// Extra headers (`Name: value` lines).
    pub headers: Vec<String>,
    /// Basic auth `user:password`.
    pub user: Option<String>,
    /// `--resolve` entries.
    pub resolve: Vec<String>,
    /// `--connect-to` entries.
    pub connect_to: Vec<String>,
    /// Write the response body here.
    pub output: Option<PathBuf>,
    /// Verbose output for this entry.
    pub verbose: bool,
    /// Very verbose output for this entry.
    pub very_verbose: bool,
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

/// Options that parse but that shakedown does not support, with the reason.
pub fn unsupported_reason(name: OptionName) -> Option<&'static str> {
    match name {
        OptionName::AwsSigv4 | OptionName::Digest | OptionName::Negotiate | OptionName::Ntlm => {
            Some("only Basic authentication is supported")
        }
        OptionName::Netrc | OptionName::NetrcFile | OptionName::NetrcOptional => {
            Some(".netrc files are not read")
        }
        OptionName::Http3 => Some("HTTP/3 is not supported"),
        OptionName::Proxy => Some("shakedown talks to the service under test directly"),
        OptionName::UnixSocket => Some("only TCP connections are instrumented"),
        OptionName::LimitRate => Some("rate limiting is not supported"),
        OptionName::PinnedPubkey => Some("public key pinning is not supported"),
        OptionName::TlsMax | OptionName::TlsMin => Some("TLS version bounds are not supported yet"),
        OptionName::PathAsIs => Some("URLs are always normalised"),
        OptionName::FailWithBody => Some("fail-with-body has no meaning in test mode"),
        OptionName::NoHeader | OptionName::NoJsonpathCoercion => Some("not supported yet"),
        _ => None,
    }
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
        if let Some(reason) = unsupported_reason(name) {
            return Err(OptionError {
                message: format!("option `{name}` is not supported by shakedown: {reason}"),
                span: option.name.span,
            });
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
            OptionName::Header => out.headers.push(text_value(option, variables)?),
            OptionName::User => out.user = Some(text_value(option, variables)?),
            OptionName::Resolve => out.resolve.push(text_value(option, variables)?),
            OptionName::ConnectTo => out.connect_to.push(text_value(option, variables)?),
            OptionName::Output => out.output = Some(PathBuf::from(text_value(option, variables)?)),
            OptionName::Verbose => out.verbose = bool_value(option, variables)?,
            OptionName::VeryVerbose => {
                out.very_verbose = bool_value(option, variables)?;
                out.verbose |= out.very_verbose;
            }
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
                    .ok_or_else(|| type_error(option, "a duration such as 500ms or 2s")),
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

/// A duration of `value` in `unit`.
pub fn to_duration(value: u64, unit: DurationUnit) -> Duration {
    match unit {
        DurationUnit::Millisecond => Duration::from_millis(value),
        DurationUnit::Second => Duration::from_secs(value),
        DurationUnit::Minute => Duration::from_secs(value.saturating_mul(60)),
        DurationUnit::Hour => Duration::from_secs(value.saturating_mul(3600)),
    }
}

/// Parses `500`, `500ms`, `2s`, `1m`, `1h`; a bare number is in `default_unit`.
pub fn parse_duration(text: &str, default_unit: DurationUnit) -> Option<Duration> {
    let text = text.trim();
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let value: u64 = number.parse().ok()?;
    let unit = match unit {
        "" => default_unit,
        "ms" => DurationUnit::Millisecond,
        "s" => DurationUnit::Second,
        "m" => DurationUnit::Minute,
        "h" => DurationUnit::Hour,
        _ => return None,
    };
    Some(to_duration(value, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_hurl_units() {
        assert_eq!(
            parse_duration("500", DurationUnit::Millisecond),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_duration("3", DurationUnit::Second), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("2s", DurationUnit::Millisecond), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m", DurationUnit::Millisecond), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("1h", DurationUnit::Second), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2 s", DurationUnit::Second), None);
        assert_eq!(parse_duration("ms", DurationUnit::Second), None);
        assert_eq!(parse_duration("5d", DurationUnit::Second), None);
    }

    #[test]
    fn every_unsupported_option_has_a_reason_and_the_rest_none() {
        let unsupported: Vec<_> =
            OptionName::ALL.into_iter().filter(|n| unsupported_reason(*n).is_some()).collect();
        assert!(unsupported.contains(&OptionName::Http3));
        assert!(unsupported.contains(&OptionName::AwsSigv4));
        assert!(unsupported.contains(&OptionName::Ntlm));
        assert!(!unsupported.contains(&OptionName::Retry));
        assert!(!unsupported.contains(&OptionName::Location));
    }
}
