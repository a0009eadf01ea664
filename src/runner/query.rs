//! Contract stub (replaced by the evaluation work): queries.

use crate::runner::error::EvalError;
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::scenario::ast::Query;
use crate::transport::request::Response;

/// One redirect step followed.
#[derive(Clone, Debug, PartialEq)]
pub struct Redirect {
    /// The URL redirected to.
    pub url: String,
    /// The status of the redirecting response.
    pub status: u16,
}

/// What a query reads.
#[derive(Clone, Copy, Debug)]
pub struct QueryContext<'a> {
    /// The final response.
    pub response: &'a Response,
    /// The final effective URL.
    pub url: &'a str,
    /// The redirects followed.
    pub redirects: &'a [Redirect],
    /// The variables.
    pub variables: &'a Variables,
}

/// Evaluates a query.
pub fn eval_query(_query: &Query, context: &QueryContext<'_>) -> Result<Option<Value>, EvalError> {
    Ok(Some(Value::Integer(i64::from(context.response.status))))
}
