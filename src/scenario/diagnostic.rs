//! Parse errors as diagnostics in Hurl's style: position, snippet, caret, help.
//!
//! [`ParseDiagnostic`] is plain data; [`ParseDiagnostic::to_report`] and
//! [`render_plain`] turn it into a miette report whose `file:line:col` counts
//! columns in characters, as Hurl prints them.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use crate::scenario::ast::Span;
use crate::scenario::position::LineIndex;

/// One problem found while parsing a `.hurl` file.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseDiagnostic {
    /// What is wrong, as a short sentence fragment.
    pub message: String,
    /// Where: the exact text to underline.
    pub span: Span,
    /// The label under the caret.
    pub label: String,
    /// A suggestion, e.g. "did you mean `retry`?".
    pub help: Option<String>,
}

impl ParseDiagnostic {
    /// A diagnostic without help text.
    pub fn new(
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> ParseDiagnostic {
        ParseDiagnostic { message: message.into(), span, label: label.into(), help: None }
    }

    /// The same diagnostic with a help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> ParseDiagnostic {
        self.help = Some(help.into());
        self
    }

    /// The diagnostic as a miette report over the named source.
    pub fn to_report(&self, file_name: &str, source: &str) -> miette::Report {
        miette::Report::new(self.to_diagnostic(file_name, source))
    }

    fn to_diagnostic(&self, file_name: &str, source: &str) -> HurlDiagnostic {
        let len = source.len();
        let mut start = self.span.start.min(len);
        let mut end = self.span.end.clamp(start, len);
        // An empty span at the very end would point after the last line: show it at the end of that line.
        if start == len && end == len {
            let trimmed = source.trim_end_matches(['\n', '\r']).len();
            start = trimmed;
            end = trimmed;
        }
        // miette draws no caret for an empty span at a line end: underline the char before it.
        let at_line_end = matches!(source.as_bytes().get(start), None | Some(b'\n' | b'\r'));
        if start == end
            && at_line_end
            && let Some(previous) = source.get(..start).and_then(|s| s.chars().next_back())
            && previous != '\n'
        {
            start -= previous.len_utf8();
        }
        HurlDiagnostic {
            message: self.message.clone(),
            source: HurlSource::new(file_name, source),
            label: LabeledSpan::new(Some(self.label.clone()), start, end - start),
            help: self.help.clone(),
        }
    }
}

/// Renders every diagnostic with miette's no-colour unicode theme, one after the other.
pub fn render_plain(diags: &[ParseDiagnostic], file_name: &str, source: &str) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false)
        .with_context_lines(0);
    let mut out = String::new();
    for diag in diags {
        let diagnostic = diag.to_diagnostic(file_name, source);
        if handler.render_report(&mut out, &diagnostic).is_err() {
            out.push_str(&diag.message);
            out.push('\n');
        }
    }
    out
}

/// The miette form of a [`ParseDiagnostic`].
#[derive(Debug)]
struct HurlDiagnostic {
    message: String,
    source: HurlSource,
    label: LabeledSpan,
    help: Option<String>,
}

impl fmt::Display for HurlDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HurlDiagnostic {}

impl Diagnostic for HurlDiagnostic {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}

/// A named source whose span contents report columns in characters.
///
/// miette counts columns in bytes; Hurl counts characters, so the column is
/// recomputed with [`LineIndex`].
#[derive(Debug)]
struct HurlSource {
    name: String,
    text: String,
    index: LineIndex,
}

impl HurlSource {
    fn new(name: &str, text: &str) -> HurlSource {
        HurlSource { name: name.to_owned(), text: text.to_owned(), index: LineIndex::new(text) }
    }
}

impl SourceCode for HurlSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if context_lines_before > 0 || context_lines_after > 0 {
            return self.text.read_span(span, context_lines_before, context_lines_after);
        }
        // Without context, show whole lines (miette would start at the span) and count
        // the column in characters (miette counts bytes).
        let start = span.offset().min(self.text.len());
        let end = (start + span.len()).min(self.text.len());
        let before = self.text.get(..start).ok_or(MietteError::OutOfBounds)?;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let after = self.text.get(end..).ok_or(MietteError::OutOfBounds)?;
        let line_end = after.find('\n').map_or(self.text.len(), |i| end + i);
        let line_end =
            if line_end > line_start && self.text.as_bytes().get(line_end - 1) == Some(&b'\r') {
                line_end - 1
            } else {
                line_end
            };
        let data = self.text.get(line_start..line_end).ok_or(MietteError::OutOfBounds)?;
        let (line, column) = self.index.line_col(&self.text, start);
        let line_count = data.matches('\n').count();
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data.as_bytes(),
            SourceSpan::from((line_start, line_end - line_start)),
            line.saturating_sub(1),
            column.saturating_sub(1),
            line_count,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_position_in_characters() {
        let source = "GET http://é/\nété: x\nHTTP 20x\n";
        let start = source.find("20x").unwrap();
        let diag = ParseDiagnostic::new(
            "invalid status code",
            Span::new(start, start + 3),
            "not a number",
        )
        .with_help("write a three-digit status or `*`");
        let text = render_plain(&[diag], "f.hurl", source);
        assert!(text.contains("f.hurl:3:6"), "{text}");
        assert!(text.contains("not a number"), "{text}");
        assert!(text.contains("help: write a three-digit status"), "{text}");
        let start = source.find(": x").unwrap();
        let diag = ParseDiagnostic::new("x", Span::new(start, start + 1), "here");
        let text = render_plain(&[diag], "f.hurl", source);
        assert!(text.contains("f.hurl:2:4"), "{text}");
    }

    #[test]
    fn report_renders_with_context_lines_too() {
        let source = "GET http://é\n[Options]\nretri: 3\n";
        let start = source.find("retri").unwrap();
        let diag = ParseDiagnostic::new("invalid option", Span::new(start, start + 5), "here")
            .with_help("did you mean `retry`?");
        let report = diag.to_report("f.hurl", source);
        let mut out = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, report.as_ref())
            .unwrap();
        assert!(out.contains("f.hurl:3:1"), "{out}");
        assert!(out.contains("[Options]"), "{out}");
        assert!(out.contains("did you mean `retry`?"), "{out}");
    }

    #[test]
    fn report_has_the_message() {
        let diag = ParseDiagnostic::new("invalid option", Span::new(0, 1), "here");
        let report = diag.to_report("f.hurl", "x");
        assert_eq!(report.to_string(), "invalid option");
    }
}
