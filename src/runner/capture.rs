//! Captures of one response specification: `name: query filters... [redact]`.
//!
//! Each `[Captures]` line is evaluated against the response with the variables
//! in scope, the ones captured on earlier lines of the same response included
//! (`data2: variable "data1"`, as in Hurl). A capture whose query or filters
//! give no value is an error, as in Hurl.

use crate::runner::error::{EvalError, EvalErrorKind};
use crate::runner::filter::apply_filters;
use crate::runner::query::{QueryContext, eval_query};
use crate::runner::template::render;
use crate::runner::value::Value;
use crate::scenario::ast::{self, Capture, ResponseSectionKind};

/// A captured variable.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedValue {
    /// The variable name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// Marked `redact`: the value is a secret.
    pub redact: bool,
}

/// Evaluates every capture of a response specification, in order; the first error stops.
pub fn eval_captures(
    spec: &ast::Response,
    ctx: &QueryContext<'_>,
) -> Result<Vec<CapturedValue>, EvalError> {
    let mut out: Vec<CapturedValue> = Vec::new();
    let mut scope: Option<crate::runner::variables::Variables> = None;
    for section in &spec.sections {
        if let ResponseSectionKind::Captures(captures) = &section.kind {
            for capture in captures {
                let captured = match &scope {
                    None => eval_capture(capture, ctx)?,
                    Some(variables) => eval_capture(capture, &QueryContext { variables, ..*ctx })?,
                };
                scope
                    .get_or_insert_with(|| ctx.variables.clone())
                    .insert(captured.name.clone(), captured.value.clone());
                out.push(captured);
            }
        }
    }
    Ok(out)
}

/// Evaluates one capture line.
pub fn eval_capture(capture: &Capture, ctx: &QueryContext<'_>) -> Result<CapturedValue, EvalError> {
    let name = render(&capture.name, ctx.variables)?;
    let value = eval_query(&capture.query, ctx)?;
    let value = apply_filters(&capture.filters, value, ctx.variables)?;
    let value = value
        .ok_or_else(|| EvalError::new(EvalErrorKind::CaptureNoValue(name.clone()), capture.span))?;
    if capture.redact && !matches!(value, Value::String(_)) {
        // Hurl: secrets are strings, so that they can be found and redacted in any output.
        return Err(EvalError::new(
            EvalErrorKind::SecretNotString(value.type_name()),
            capture.name.span,
        ));
    }
    Ok(CapturedValue { name, value, redact: capture.redact })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::test_support::{S, context, filter, query, response, tpl};
    use crate::runner::variables::Variables;
    use crate::scenario::ast::{
        FilterKind, QueryKind, ResponseSection, Span, Spanned, StatusSpec, VersionSpec,
    };

    fn capture(name: &str, kind: QueryKind, filters: Vec<ast::Filter>, redact: bool) -> Capture {
        Capture { name: tpl(name), query: query(kind), filters, redact, span: Span::new(3, 9) }
    }

    fn spec(captures: Vec<Capture>) -> ast::Response {
        ast::Response {
            version: Spanned { value: VersionSpec::Any, span: S },
            status: Spanned { value: StatusSpec::Any, span: S },
            headers: Vec::new(),
            sections: vec![ResponseSection {
                kind: ResponseSectionKind::Captures(captures),
                name: Spanned { value: "Captures".to_owned(), span: S },
                span: S,
            }],
            body: None,
            span: S,
        }
    }

    #[test]
    fn captures_values_in_order() {
        let r = response(
            &[("Content-Type", "application/json"), ("X-Token", "abc")],
            br#"{"id": "123", "items": [1, 2, 3]}"#,
        );
        let vars = Variables::new();
        let s = spec(vec![
            capture("id", QueryKind::Jsonpath(tpl("$.id")), vec![filter(FilterKind::ToInt)], false),
            capture("token", QueryKind::Header(tpl("X-Token")), vec![], true),
            capture(
                "n",
                QueryKind::Jsonpath(tpl("$.items")),
                vec![filter(FilterKind::Count)],
                false,
            ),
        ]);
        let got = eval_captures(&s, &context(&r, &[], &vars)).unwrap();
        assert_eq!(
            got,
            vec![
                CapturedValue { name: "id".into(), value: Value::Integer(123), redact: false },
                CapturedValue {
                    name: "token".into(),
                    value: Value::String("abc".into()),
                    redact: true
                },
                CapturedValue { name: "n".into(), value: Value::Integer(3), redact: false },
            ]
        );
    }

    #[test]
    fn missing_value_is_an_error() {
        let r = response(&[("Content-Type", "application/json")], br#"{"id": 1}"#);
        let vars = Variables::new();
        let s = spec(vec![capture("x", QueryKind::Jsonpath(tpl("$.missing")), vec![], false)]);
        let err = eval_captures(&s, &context(&r, &[], &vars)).unwrap_err();
        assert_eq!(err.to_string(), "capture `x` has no value");
        assert_eq!(err.span, Span::new(3, 9));
        let s = spec(vec![capture("x", QueryKind::Body, vec![filter(FilterKind::ToInt)], false)]);
        let err = eval_captures(&s, &context(&r, &[], &vars)).unwrap_err();
        assert_eq!(err.to_string(), "filter `toInt` cannot convert string <{\"id\": 1}>");
    }
}
