//! Contract stub (replaced by the evaluation work): asserts.

use std::path::Path;

use crate::runner::query::QueryContext;
use crate::scenario::ast::{self, Span};

/// The result of one assert.
#[derive(Clone, Debug, PartialEq)]
pub struct AssertResult {
    /// What to underline.
    pub span: Span,
    /// Whether it passed.
    pub success: bool,
    /// The actual value.
    pub actual: Option<String>,
    /// The expected value.
    pub expected: Option<String>,
    /// An evaluation error.
    pub message: Option<String>,
    /// An implicit assert (status line, header line, body).
    pub implicit: bool,
}

/// Evaluates every assert of a response spec.
pub fn eval_asserts(
    spec: &ast::Response,
    context: &QueryContext<'_>,
    _file_root: &Path,
) -> Vec<AssertResult> {
    let mut results = Vec::new();
    if let ast::StatusSpec::Code(code) = spec.status.value {
        results.push(AssertResult {
            span: spec.status.span,
            success: code == context.response.status,
            actual: Some(context.response.status.to_string()),
            expected: Some(code.to_string()),
            message: None,
            implicit: true,
        });
    }
    results
}
