//! The lexer and recursive-descent parser for the Hurl grammar.

use crate::scenario::ast::{HurlFile, Span};
use crate::scenario::diagnostic::ParseDiagnostic;

/// Parses a whole `.hurl` file.
///
/// Spans index into `source` itself; a leading UTF-8 BOM is skipped, not removed.
pub fn parse(source: &str) -> (HurlFile, Vec<ParseDiagnostic>) {
    let diagnostic = ParseDiagnostic {
        message: "the parser is not written yet".to_owned(),
        span: Span::new(0, source.len().min(1)),
        label: "here".to_owned(),
        help: None,
    };
    (HurlFile::default(), vec![diagnostic])
}
