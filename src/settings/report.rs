//! `--report FORMAT=PATH`, the one parser of `test` and `run`.

use std::path::PathBuf;

/// A report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// JUnit XML.
    Junit,
    /// shakedown's JSON report (`shakedown.report/v1`).
    Json,
    /// One self-contained HTML page.
    Html,
    /// TAP version 13.
    Tap,
}

impl ReportFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [ReportFormat; 4] =
        [ReportFormat::Junit, ReportFormat::Json, ReportFormat::Html, ReportFormat::Tap];

    /// The name written before `=`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Junit => "junit",
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
            ReportFormat::Tap => "tap",
        }
    }
}

/// `FORMAT=PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSpec {
    /// The format.
    pub format: ReportFormat,
    /// Where to write it.
    pub path: PathBuf,
}

/// Why a `--report` value does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// No `=`.
    #[error("expected FORMAT=PATH (junit, json, html or tap)")]
    NoEquals,
    /// Nothing after `=`.
    #[error("no path after `=`")]
    NoPath,
    /// A format we do not write.
    #[error("unknown report format `{0}`: expected junit, json, html or tap")]
    UnknownFormat(String),
}

impl ReportSpec {
    /// Parses `FORMAT=PATH`.
    pub fn parse(text: &str) -> Result<ReportSpec, ReportError> {
        let (format, path) = text.split_once('=').ok_or(ReportError::NoEquals)?;
        let format = ReportFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == format)
            .ok_or_else(|| ReportError::UnknownFormat(format.to_owned()))?;
        if path.is_empty() {
            return Err(ReportError::NoPath);
        }
        Ok(ReportSpec { format, path: PathBuf::from(path) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_equals_path() {
        let spec = ReportSpec::parse("junit=out/a=b.xml").unwrap();
        assert_eq!(spec.format, ReportFormat::Junit);
        assert_eq!(spec.path, PathBuf::from("out/a=b.xml"));
        for format in ReportFormat::ALL {
            let spec = ReportSpec::parse(&format!("{}=x", format.as_str())).unwrap();
            assert_eq!(spec.format, format);
        }
        assert_eq!(ReportSpec::parse("junit"), Err(ReportError::NoEquals));
        assert_eq!(ReportSpec::parse("json="), Err(ReportError::NoPath));
        assert_eq!(ReportSpec::parse("xml=a"), Err(ReportError::UnknownFormat("xml".into())));
    }
}
