//! The one renderer of diagnostics: a title, `file:line:column`, the source
//! lines, a caret under the exact span, a label and a help, in Hurl's style.
//!
//! Everything that shows a problem in a user's file goes through
//! [`Renderer`]: `.hurl` parse errors ([`ParseDiagnostic`], [`render_plain`]),
//! runtime failures (`report::human`) and suite errors (`suite::render`).
//! Columns count characters, as Hurl prints them and as the JSON report
//! writes them ([`shown_position`]).
//!
//! miette draws the snippet, but never sees the whole file: the renderer cuts
//! an excerpt first (the span's lines and their context, each long line
//! windowed around the span), so that no input can make miette format a
//! padding past its limit (it panics past column 65,535), and so that one
//! diagnostic costs time in the size of its excerpt, not of the file.
//! A list prints at most [`MAX_RENDERED`] diagnostics, then how many more.

use std::borrow::Cow;
use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use crate::scenario::ast::Span;
use crate::scenario::position::{LineIndex, work};

/// The most diagnostics of one list that are drawn; the rest are counted.
pub const MAX_RENDERED: usize = 100;
/// A line longer than this many characters is shown as a window around the span.
const MAX_LINE_CHARS: usize = 160;
/// In a window, the characters shown before the span.
const WINDOW_BEFORE: usize = 40;
/// In a window, the characters shown in all.
const WINDOW_CHARS: usize = 120;
/// A span over more lines than this is underlined on its first line only.
const MAX_SPAN_LINES: usize = 12;
/// A title, label or help longer than this many characters is cut.
const MAX_TEXT_CHARS: usize = 2_000;

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

    /// The diagnostic as a snippet to render.
    pub fn snippet(&self) -> Snippet<'_> {
        Snippet {
            span: self.span,
            title: &self.message,
            label: &self.label,
            help: self.help.as_deref(),
        }
    }
}

/// What to draw: a span of the source with a title, a label and a help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snippet<'a> {
    /// The byte range to underline (clamped to the source and to character boundaries).
    pub span: Span,
    /// The title line (`× title`).
    pub title: &'a str,
    /// The text beside the caret.
    pub label: &'a str,
    /// The `help:` line, if any.
    pub help: Option<&'a str>,
}

/// How snippets look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    /// ANSI colours.
    pub color: bool,
    /// Source lines shown before and after the span's lines.
    pub context_lines: usize,
    /// The width help texts are wrapped at.
    pub width: usize,
}

/// Renders snippets of one source; build it once per file (it indexes the text).
#[derive(Debug)]
pub struct Renderer<'s> {
    name: &'s str,
    source: &'s str,
    index: LineIndex,
    look: Look,
}

impl<'s> Renderer<'s> {
    /// A renderer for `source`, shown as `name`.
    pub fn new(name: &'s str, source: &'s str, look: Look) -> Renderer<'s> {
        Renderer { name, source, index: LineIndex::new(source), look }
    }

    /// The 1-based line and character column printed for `span`.
    pub fn position(&self, span: Span) -> (usize, usize) {
        shown_position(&self.index, self.source, span)
    }

    /// The span of 1-based line `line`, without its trailing white space.
    pub fn line_span(&self, line: usize) -> Span {
        let range = self.index.line_range(self.source, line.saturating_sub(1));
        let text = self.source.get(range.clone()).unwrap_or_default();
        Span::new(range.start, range.start + text.trim_end().len())
    }

    /// One snippet, ending with a newline.
    pub fn render(&self, snippet: &Snippet<'_>) -> String {
        self.render_as(snippet, miette::Severity::Error)
    }

    /// One snippet drawn as a warning (`⚠` instead of `×`), ending with a newline: a
    /// problem that does not stop anything (say, `shakedown check`'s warnings).
    pub fn render_warning(&self, snippet: &Snippet<'_>) -> String {
        self.render_as(snippet, miette::Severity::Warning)
    }

    fn render_as(&self, snippet: &Snippet<'_>, severity: miette::Severity) -> String {
        let excerpt = self.excerpt(snippet.span);
        let (line, column) = (excerpt.line + 1, excerpt.column + 1);
        let title = cut(snippet.title);
        let label = cut(snippet.label);
        let help = snippet.help.map(cut);
        let diagnostic = Drawn {
            title: &title,
            label: LabeledSpan::new(
                Some(label.clone().into_owned()),
                excerpt.span.0,
                excerpt.span.1,
            ),
            help: help.as_deref(),
            excerpt,
            severity,
        };
        let theme = if self.look.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        // Any context count above 0 makes miette ask for the whole excerpt (see `Excerpt`).
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(self.look.width)
            .with_links(false)
            .with_context_lines(1);
        let mut out = String::new();
        if handler.render_report(&mut out, &diagnostic).is_err() {
            let word = if severity == miette::Severity::Warning { "warning" } else { "error" };
            out = format!("{word}: {title}\n  --> {}:{line}:{column}\n  {label}\n", self.name);
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        work::charge(out.len());
        out
    }

    /// Every snippet, `separator` between two; past [`MAX_RENDERED`], only a count.
    pub fn render_all<'a>(
        &self,
        snippets: impl IntoIterator<Item = Snippet<'a>>,
        separator: &str,
    ) -> String {
        let mut out = String::new();
        let mut more = 0usize;
        for (i, snippet) in snippets.into_iter().enumerate() {
            if i >= MAX_RENDERED {
                more += 1;
                continue;
            }
            if i > 0 {
                out.push_str(separator);
            }
            out.push_str(&self.render(&snippet));
        }
        if more > 0 {
            out.push_str(separator);
            out.push_str(&more_line(more));
            out.push('\n');
        }
        out
    }

    /// The lines to show for `span`, windowed, with the span inside them.
    fn excerpt(&self, span: Span) -> Excerpt {
        let (source, index) = (self.source, &self.index);
        let (start, end) = shown_span(source, span);
        let (line, column) = index.line_col(source, start);
        let first = line - 1;
        let mut last = if end > start { index.line(end - 1) - 1 } else { first };
        let first_range = index.line_range(source, first);
        let long = |l: usize| index.char_len(source, index.line_range(source, l)) > MAX_LINE_CHARS;
        let mut end = end;
        // A span over many lines, or over long ones, is underlined on its first line.
        if last > first && (last - first >= MAX_SPAN_LINES || (first..=last).any(long)) {
            end = end.min(first_range.end).max(start);
            last = first;
        }
        let lo = first.saturating_sub(self.look.context_lines);
        let mut hi = (last + self.look.context_lines).min(index.line_count().saturating_sub(1));
        // The empty "line" after a final newline is no context.
        if hi > last && source.ends_with('\n') && hi + 1 == index.line_count() {
            hi -= 1;
        }
        let mut text = String::new();
        let mut shown = (0, 0);
        for l in lo..=hi {
            if l > lo {
                text.push('\n');
            }
            let range = index.line_range(source, l);
            let line_text = source.get(range.clone()).unwrap_or_default();
            if l == first && long(l) {
                // A window around the span's start.
                let before = source.get(range.start..start.max(range.start)).unwrap_or_default();
                let from = before
                    .char_indices()
                    .rev()
                    .take(WINDOW_BEFORE)
                    .last()
                    .map_or(start, |(i, _)| range.start + i);
                let rest = source.get(from..range.end).unwrap_or_default();
                let to = rest.char_indices().nth(WINDOW_CHARS).map_or(range.end, |(i, _)| from + i);
                if from > range.start {
                    text.push('…');
                }
                let at = text.len();
                text.push_str(source.get(from..to).unwrap_or_default());
                if to < range.end {
                    text.push('…');
                }
                let s = start.clamp(from, to);
                shown = (at + (s - from), end.clamp(s, to) - s);
            } else if long(l) {
                let to = line_text
                    .char_indices()
                    .nth(MAX_LINE_CHARS)
                    .map_or(line_text.len(), |(i, _)| i);
                text.push_str(line_text.get(..to).unwrap_or(line_text));
                text.push('…');
            } else {
                let at = text.len();
                text.push_str(line_text);
                if l == first {
                    let s = start.clamp(range.start, range.end);
                    shown.0 = at + (s - range.start);
                }
                if l == last {
                    let e = end.clamp(range.start, range.end);
                    let end_in_text = at + (e - range.start);
                    shown.1 = end_in_text.saturating_sub(shown.0);
                }
            }
        }
        // miette drops an empty last line unless a newline follows it.
        if text.is_empty() || text.ends_with('\n') {
            text.push('\n');
        }
        work::charge(text.len());
        Excerpt {
            name: self.name.to_owned(),
            text,
            span: shown,
            first_line: lo,
            line: line - 1,
            column: column - 1,
        }
    }
}

/// "and 3 more error(s)": the line closing a list cut at [`MAX_RENDERED`].
pub fn more_line(more: usize) -> String {
    format!("… and {more} more error(s), not shown")
}

/// The byte range a snippet underlines for `span`: clamped to `source` and to
/// character boundaries; an empty span at the end of the file moves to the end
/// of the last line, and one at a line end onto the character before it
/// (miette draws no caret for an empty span there).
fn shown_span(source: &str, span: Span) -> (usize, usize) {
    let len = source.len();
    let mut start = floor_char_boundary(source, span.start);
    let mut end = floor_char_boundary(source, span.end.max(start));
    if start == len && end == len {
        let trimmed = source.trim_end_matches(['\n', '\r']).len();
        work::charge(len - trimmed);
        start = trimmed;
        end = trimmed;
    }
    let at_line_end = matches!(source.as_bytes().get(start), None | Some(b'\n' | b'\r'));
    if start == end
        && at_line_end
        && let Some(previous) = source.get(..start).and_then(|s| s.chars().next_back())
        && previous != '\n'
    {
        start -= previous.len_utf8();
    }
    (start, end)
}

/// The 1-based line and character column a snippet of `span` prints: the one
/// the JSON report writes too. `index` is `source`'s.
pub fn shown_position(index: &LineIndex, source: &str, span: Span) -> (usize, usize) {
    index.line_col(source, shown_span(source, span).0)
}

/// The nearest character boundary at or before `index`, within `source`.
fn floor_char_boundary(source: &str, index: usize) -> usize {
    let mut index = index.min(source.len());
    while !source.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// `text`, cut after [`MAX_TEXT_CHARS`] characters.
fn cut(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        None => Cow::Borrowed(text),
        Some((at, _)) => {
            let rest = text.len() - at;
            Cow::Owned(format!("{}… ({rest} more bytes)", text.get(..at).unwrap_or_default()))
        }
    }
}

/// Renders every diagnostic with no colour and no context lines, one after the other.
pub fn render_plain(diags: &[ParseDiagnostic], file_name: &str, source: &str) -> String {
    let look = Look { color: false, context_lines: 0, width: 100 };
    Renderer::new(file_name, source, look)
        .render_all(diags.iter().map(ParseDiagnostic::snippet), "")
}

/// The lines miette draws, with the real line and column of the span.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    /// The span within `text`: offset and length.
    span: (usize, usize),
    /// The 0-based line number of the first line of `text`.
    first_line: usize,
    /// The 0-based line and character column of the span's start in the file.
    line: usize,
    column: usize,
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        _span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let lines = self.text.matches('\n').count();
        // With context, miette wants the lines to draw; without, the position for the header.
        let (line, column) = if context_lines_before > 0 || context_lines_after > 0 {
            (self.first_line, 0)
        } else {
            (self.line, self.column)
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            self.text.as_bytes(),
            SourceSpan::from((0, self.text.len())),
            line,
            column,
            lines,
        )))
    }
}

/// One snippet as miette sees it.
#[derive(Debug)]
struct Drawn<'a> {
    title: &'a str,
    label: LabeledSpan,
    help: Option<&'a str>,
    excerpt: Excerpt,
    severity: miette::Severity,
}

impl fmt::Display for Drawn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title)
    }
}

impl std::error::Error for Drawn<'_> {}

impl Diagnostic for Drawn<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.excerpt)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(context_lines: usize) -> Look {
        Look { color: false, context_lines, width: 100 }
    }

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
    fn golden_with_context_and_multibyte_characters() {
        let source = "GET http://é\n[Options]\nretri: 3\nHTTP 200\n";
        let start = source.find("retri").unwrap();
        let diag = ParseDiagnostic::new("invalid option", Span::new(start, start + 5), "here")
            .with_help("did you mean `retry`?");
        let text = Renderer::new("f.hurl", source, plain(1)).render(&diag.snippet());
        let expected = "  × invalid option
   ╭─[f.hurl:3:1]
 2 │ [Options]
 3 │ retri: 3
   · ──┬──
   ·   ╰── here
 4 │ HTTP 200
   ╰────
  help: did you mean `retry`?
";
        assert_eq!(text, expected);
    }

    #[test]
    fn golden_of_a_span_past_column_65535() {
        let source = format!("GET http://a/{}é bad\n", "x".repeat(70_000));
        let start = source.find("bad").unwrap();
        let diag = ParseDiagnostic::new("invalid thing", Span::new(start, start + 3), "this");
        let text = render_plain(&[diag], "f.hurl", &source);
        let expected = format!(
            "  × invalid thing
   ╭─[f.hurl:1:70016]
 1 │ …{}é bad
   ·                                          ─┬─
   ·                                           ╰── this
   ╰────
",
            "x".repeat(38)
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn a_span_over_a_long_line_is_cut_at_the_window() {
        let source = format!("a\n{}\nb\n", "y".repeat(100_000));
        let diag = ParseDiagnostic::new("long", Span::new(0, source.len()), "all of it");
        let text = Renderer::new("f.hurl", &source, plain(2)).render(&diag.snippet());
        assert!(text.contains("f.hurl:1:1"), "{text}");
        assert!(text.len() < 2_000, "{text}");
    }

    #[test]
    fn long_context_lines_are_cut() {
        let source = format!("{}\nHTTP 2x0\n{}\n", "a".repeat(80_000), "b".repeat(80_000));
        let start = source.find("2x0").unwrap();
        let diag = ParseDiagnostic::new("bad", Span::new(start, start + 3), "here");
        let text = Renderer::new("f.hurl", &source, plain(1)).render(&diag.snippet());
        assert!(text.contains("f.hurl:2:6"), "{text}");
        assert!(text.contains(&format!(" 1 │ {}…", "a".repeat(MAX_LINE_CHARS))), "{text}");
        assert!(text.len() < 2_000, "{text}");
    }

    #[test]
    fn a_list_is_capped_with_a_count() {
        let source = "x\n".repeat(150);
        let diags: Vec<ParseDiagnostic> = (0..150)
            .map(|i| ParseDiagnostic::new("bad", Span::new(2 * i, 2 * i + 1), "x"))
            .collect();
        let text = render_plain(&diags, "f.hurl", &source);
        assert_eq!(text.matches("× bad").count(), MAX_RENDERED);
        assert!(text.ends_with("… and 50 more error(s), not shown\n"), "{text}");
        assert!(text.contains("f.hurl:100:1"), "{text}");
        assert!(!text.contains("f.hurl:101:1"), "{text}");
    }

    #[test]
    fn empty_spans_at_line_and_file_ends_get_a_caret() {
        let source = "GET http://a\nHTTP\n";
        let diag = ParseDiagnostic::new("missing", Span::new(17, 17), "a status");
        let text = render_plain(std::slice::from_ref(&diag), "f.hurl", source);
        assert!(text.contains("f.hurl:2:4"), "{text}");
        assert!(text.contains('┬'), "{text}");
        let index = LineIndex::new(source);
        assert_eq!(shown_position(&index, source, diag.span), (2, 4));
        let diag = ParseDiagnostic::new("missing", Span::new(18, 18), "a status");
        assert!(render_plain(&[diag], "f.hurl", source).contains("f.hurl:2:4"));
        for (start, end) in [(0, 0), (100, 200), (5, 2), (0, 18)] {
            let diag = ParseDiagnostic::new("any", Span::new(start, end), "here");
            assert!(render_plain(&[diag], "f.hurl", source).contains("any"));
        }
        let diag = ParseDiagnostic::new("empty", Span::new(0, 0), "here");
        assert!(render_plain(&[diag], "f.hurl", "").contains("f.hurl:1:1"));
    }

    #[test]
    fn long_texts_are_cut() {
        let label = "z".repeat(10_000);
        let diag = ParseDiagnostic::new("bad", Span::new(0, 1), label);
        let text = render_plain(&[diag], "f.hurl", "x\n");
        assert!(text.contains("… (8000 more bytes)"), "{text}");
        assert!(text.len() < 3_000);
    }
}
