//! Contract stub (replaced by the evaluation work): captures.

use crate::runner::error::EvalError;
use crate::runner::query::QueryContext;
use crate::runner::value::Value;
use crate::scenario::ast;

/// A captured variable.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedValue {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// Whether it is a secret.
    pub redact: bool,
}

/// Evaluates the captures of a response spec.
pub fn eval_captures(
    _spec: &ast::Response,
    _context: &QueryContext<'_>,
) -> Result<Vec<CapturedValue>, EvalError> {
    Ok(Vec::new())
}
