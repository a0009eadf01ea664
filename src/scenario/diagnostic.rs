//! Parse errors as diagnostics in Hurl's style: position, snippet, caret, help.

use crate::scenario::ast::Span;

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
