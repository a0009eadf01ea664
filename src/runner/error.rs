//! Contract stub (replaced by the evaluation work): evaluation errors.

use std::fmt;

use crate::scenario::ast::Span;

/// An error while evaluating a template, query, filter or predicate.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// What went wrong.
    pub kind: EvalErrorKind,
    /// Where.
    pub span: Span,
}

/// The kinds of evaluation error.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalErrorKind {
    /// A variable is not defined.
    UndefinedVariable(String),
    /// Anything else.
    Other(String),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            EvalErrorKind::UndefinedVariable(name) => write!(f, "undefined variable `{name}`"),
            EvalErrorKind::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for EvalError {}
