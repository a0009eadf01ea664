//! Where a span of a scenario file stands (`file:line:column`) and the text of its
//! line, for reports that quote the assert that failed (JUnit, JSON, HTML).

use crate::runner::assert::AssertResult;
use crate::scenario::LineIndex;
use crate::scenario::ast::Span;

/// A failed assert, located and quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedAssert {
    /// 1-based line.
    pub line: usize,
    /// 1-based character column.
    pub column: usize,
    /// The assert's line as written, trimmed (`jsonpath "$.status" == "ok"`).
    pub text: String,
    /// What was expected, when known.
    pub expected: Option<String>,
    /// The value found, when the assert could be evaluated.
    pub actual: Option<String>,
    /// Why it could not be evaluated, if it could not.
    pub message: Option<String>,
}

impl FailedAssert {
    /// One line for people: `jsonpath "$.status" == "ok": expected "ok", actual "degraded"`.
    pub fn summary(&self) -> String {
        let mut line = self.text.clone();
        match (&self.expected, &self.actual, &self.message) {
            (_, _, Some(message)) => {
                line.push_str(": ");
                line.push_str(message);
            }
            (Some(expected), Some(actual), None) => {
                line.push_str(&format!(": expected {expected}, actual {actual}"));
            }
            (None, Some(actual), None) => line.push_str(&format!(": actual {actual}")),
            (Some(expected), None, None) => line.push_str(&format!(": expected {expected}")),
            (None, None, None) => {}
        }
        line
    }
}

/// The trimmed text of the line holding byte `offset` of `source`.
pub fn line_text(source: &str, offset: usize) -> String {
    let offset = offset.min(source.len());
    let start = source.get(..offset).and_then(|s| s.rfind('\n')).map_or(0, |i| i + 1);
    let end = source.get(offset..).and_then(|s| s.find('\n')).map_or(source.len(), |i| offset + i);
    source.get(start..end).unwrap_or_default().trim().to_owned()
}

/// `assert` located in `source`.
pub fn locate(source: &str, index: &LineIndex, assert: &AssertResult) -> FailedAssert {
    let Span { start, .. } = assert.span;
    let (line, column) = index.line_col(source, start);
    FailedAssert {
        line,
        column,
        text: line_text(source, start),
        expected: assert.expected.as_deref().map(str::to_owned),
        actual: assert.actual.as_deref().map(str::to_owned),
        message: assert.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_the_line_of_an_offset() {
        let source = "GET http://x\nHTTP 200\n[Asserts]\n  jsonpath \"$.a\" == 1  \n";
        let offset = source.find("jsonpath").unwrap();
        assert_eq!(line_text(source, offset), "jsonpath \"$.a\" == 1");
        assert_eq!(line_text(source, 0), "GET http://x");
        assert_eq!(line_text(source, source.len()), "");
        assert_eq!(line_text("", 5), "");
    }

    #[test]
    fn summary_says_expected_and_actual() {
        let failed = FailedAssert {
            line: 4,
            column: 1,
            text: "status == 200".to_owned(),
            expected: Some("200".to_owned()),
            actual: Some("404".to_owned()),
            message: None,
        };
        assert_eq!(failed.summary(), "status == 200: expected 200, actual 404");
    }
}
