//! Flag values into typed settings, once, before anything runs (the "low-args to
//! high-args" step): every malformed value is a [`UsageError`] (exit 1) that names the
//! flag and the value. The parsers themselves are `crate::settings`, shared with the
//! suite and with `[Options]`.

use std::time::Duration;

use crate::cli::output::UsageError;
use crate::scenario::ast::DurationUnit;
use crate::settings::{
    ConnectTo, DURATION_GRAMMAR, Header, ReportFormat, ReportSpec, ResolveRule, unsupported,
};

/// A duration flag; a bare number is in `bare_unit`.
pub(crate) fn duration_flag(
    text: &str,
    bare_unit: DurationUnit,
    flag: &str,
) -> Result<Duration, UsageError> {
    crate::settings::parse_duration(text, bare_unit).map_err(|e| {
        UsageError(format!("invalid {flag} <{text}>: {e}; expected {DURATION_GRAMMAR}"))
    })
}

/// `NAME=VALUE` (`--variable`, `--secret`).
pub(crate) fn split_definition(
    definition: &str,
    flag: &str,
) -> Result<(String, String), UsageError> {
    match definition.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(UsageError(format!("invalid {flag} <{definition}>: expected NAME=VALUE"))),
    }
}

/// `-H 'Name: value'`, each.
pub(crate) fn header_flags(lines: &[String]) -> Result<Vec<Header>, UsageError> {
    lines
        .iter()
        .map(|line| {
            Header::parse(line).map_err(|e| UsageError(format!("invalid --header <{line}>: {e}")))
        })
        .collect()
}

/// `--resolve HOST:PORT:ADDR`, each.
pub(crate) fn resolve_flags(rules: &[String]) -> Result<Vec<ResolveRule>, UsageError> {
    rules
        .iter()
        .map(|rule| {
            ResolveRule::parse(rule)
                .map_err(|e| UsageError(format!("invalid --resolve <{rule}>: {e}")))
        })
        .collect()
}

/// `--connect-to HOST1:PORT1:HOST2:PORT2`, each.
pub(crate) fn connect_to_flags(rules: &[String]) -> Result<Vec<ConnectTo>, UsageError> {
    rules
        .iter()
        .map(|rule| {
            ConnectTo::parse(rule)
                .map_err(|e| UsageError(format!("invalid --connect-to <{rule}>: {e}")))
        })
        .collect()
}

/// `--report FORMAT=PATH`, each, with the formats this command writes.
pub(crate) fn report_flags(
    specs: &[String],
    command: &str,
    writes: &[ReportFormat],
) -> Result<Vec<ReportSpec>, UsageError> {
    specs
        .iter()
        .map(|text| {
            let spec = ReportSpec::parse(text)
                .map_err(|e| UsageError(format!("invalid --report <{text}>: {e}")))?;
            if !writes.contains(&spec.format) {
                let names: Vec<&str> = writes.iter().map(|f| f.as_str()).collect();
                return Err(UsageError(format!(
                    "invalid --report <{text}>: `shakedown {command}` does not write {} reports (it writes {})",
                    spec.format.as_str(),
                    names.join(", ")
                )));
            }
            Ok(spec)
        })
        .collect()
}

/// The first flag given (by name, without dashes) that the unsupported-features table
/// refuses with a usage error.
pub(crate) fn unsupported_flag<'a>(
    given: impl IntoIterator<Item = &'a str>,
) -> Result<(), UsageError> {
    for name in given {
        if let Some(feature) = unsupported::flag(name)
            && feature.flag == unsupported::FlagRule::Usage
        {
            return Err(UsageError(format!(
                "`--{name}` is not supported by shakedown: {}",
                feature.explanation()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_need_a_name() {
        assert_eq!(
            split_definition("a=1=2", "--variable").ok(),
            Some(("a".to_owned(), "1=2".to_owned()))
        );
        assert!(split_definition("=1", "--variable").is_err());
        assert!(split_definition("novalue", "--variable").is_err());
    }

    #[test]
    fn every_error_names_the_flag_and_the_value() {
        let message = |r: Result<(), UsageError>| r.err().map(|e| e.0).unwrap_or_default();
        let m = message(duration_flag("5parsecs", DurationUnit::Second, "--max-time").map(|_| ()));
        assert!(m.starts_with("invalid --max-time <5parsecs>: unknown unit `parsecs`"), "{m}");
        let m = message(resolve_flags(&["nonsense".into()]).map(|_| ()));
        assert_eq!(m, "invalid --resolve <nonsense>: expected HOST:PORT:ADDR");
        let m = message(connect_to_flags(&["a:b".into()]).map(|_| ()));
        assert_eq!(m, "invalid --connect-to <a:b>: expected HOST1:PORT1:HOST2:PORT2");
        let m = message(header_flags(&["no colon".into()]).map(|_| ()));
        assert_eq!(m, "invalid --header <no colon>: expected `Name: value`");
        let m = message(report_flags(&["tap=x".into()], "run", &[ReportFormat::Json]).map(|_| ()));
        assert!(m.contains("`shakedown run` does not write tap reports"), "{m}");
        let m = message(unsupported_flag(["location", "proxy"]));
        assert!(m.starts_with("`--proxy` is not supported by shakedown: shakedown talks"), "{m}");
    }
}
