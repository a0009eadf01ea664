//! The TAP report (Test Anything Protocol, version 13): one test line per file,
//! appended to an existing report as Hurl's `--report-tap` does.

use crate::runner::outcome::FileOutcome;

/// An existing TAP report that cannot be appended to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TapError {
    /// The first line is not `TAP version 13`.
    #[error("invalid TAP header <{0}>")]
    Header(String),
    /// A line is neither a plan nor an `ok`/`not ok` test line.
    #[error("invalid TAP line <{0}>")]
    Line(String),
}

/// The TAP text for `existing` (a report already on disk, if any) followed by `files`.
pub fn merge(existing: Option<&str>, files: &[FileOutcome]) -> Result<String, TapError> {
    let mut tests = existing.map(parse).transpose()?.unwrap_or_default();
    tests
        .extend(files.iter().map(|file| (file.outcome.is_pass(), file.path.display().to_string())));
    let mut out = format!("TAP version 13\n1..{}\n", tests.len());
    for (i, (ok, name)) in tests.iter().enumerate() {
        let status = if *ok { "ok" } else { "not ok" };
        out.push_str(&format!("{status} {} - {name}\n", i + 1));
    }
    Ok(out)
}

/// The tests of an existing report: (passed, name).
fn parse(text: &str) -> Result<Vec<(bool, String)>, TapError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else { return Ok(Vec::new()) };
    if header.trim() != "TAP version 13" {
        return Err(TapError::Header(header.to_owned()));
    }
    let mut tests = Vec::new();
    for line in lines {
        let line = line.trim();
        if line.starts_with("1..") || line.starts_with('#') {
            continue;
        }
        let (ok, rest) = if let Some(rest) = line.strip_prefix("not ok ") {
            (false, rest)
        } else if let Some(rest) = line.strip_prefix("ok ") {
            (true, rest)
        } else {
            return Err(TapError::Line(line.to_owned()));
        };
        let name = rest.split_once(" - ").map_or("", |(_, name)| name);
        tests.push((ok, name.to_owned()));
    }
    Ok(tests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_renumbers() {
        let existing = "TAP version 13\n1..2\nok 1 - a.hurl\nnot ok 2 - b.hurl\n";
        assert_eq!(
            parse(existing).unwrap(),
            [(true, "a.hurl".to_owned()), (false, "b.hurl".to_owned())]
        );
        assert_eq!(merge(Some(existing), &[]).unwrap(), existing);
        assert_eq!(merge(None, &[]).unwrap(), "TAP version 13\n1..0\n");
        assert_eq!(
            merge(Some("I'm not a TAP file!"), &[]),
            Err(TapError::Header("I'm not a TAP file!".to_owned()))
        );
    }
}
