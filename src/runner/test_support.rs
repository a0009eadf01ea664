//! Test-only constructors for AST nodes and responses, so runner tests can be
//! written without the parser.

use std::time::Duration;

use crate::runner::query::{QueryContext, Redirect};
use crate::runner::variables::Variables;
use crate::scenario::ast::{
    Expr, ExprKind, Filter, FilterKind, JsonValue, Placeholder, Predicate, PredicateFunc,
    PredicateValue, Query, QueryKind, RegexValue, Span, Spanned, Template, TemplateElement,
};
use crate::transport::request::{HttpVersion, Response};

pub(crate) const S: Span = Span { start: 0, end: 0 };

pub(crate) fn tpl(text: &str) -> Template {
    Template::literal(text, S)
}

pub(crate) fn tpl_var(prefix: &str, name: &str) -> Template {
    Template {
        elements: vec![
            TemplateElement::Literal(prefix.to_owned()),
            TemplateElement::Placeholder(placeholder(name)),
        ],
        delimiter: Some('"'),
        span: S,
    }
}

pub(crate) fn placeholder(name: &str) -> Placeholder {
    Placeholder { expr: placeholder_expr(ExprKind::Variable(name.to_owned())), span: S }
}

pub(crate) fn placeholder_expr(kind: ExprKind) -> Expr {
    Expr { kind, span: S }
}

pub(crate) fn json_placeholder(name: &str) -> JsonValue {
    JsonValue::Placeholder(placeholder(name))
}

pub(crate) fn regex_lit(pattern: &str) -> RegexValue {
    RegexValue::Literal(Spanned { value: pattern.to_owned(), span: S })
}

pub(crate) fn query(kind: QueryKind) -> Query {
    Query { kind, span: S }
}

pub(crate) fn filter(kind: FilterKind) -> Filter {
    Filter { kind, span: S }
}

pub(crate) fn pred(func: PredicateFunc) -> Predicate {
    Predicate { not: false, func, span: S }
}

pub(crate) fn not_pred(func: PredicateFunc) -> Predicate {
    Predicate { not: true, func, span: S }
}

pub(crate) fn pv_str(s: &str) -> PredicateValue {
    PredicateValue::String(tpl(s))
}

pub(crate) fn pv_int(i: i64) -> PredicateValue {
    PredicateValue::Integer(Spanned { value: i, span: S })
}

pub(crate) fn response(headers: &[(&str, &str)], body: &[u8]) -> Response {
    Response {
        version: HttpVersion::Http11,
        status: 200,
        headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        body: bytes::Bytes::copy_from_slice(body),
        remote_addr: None,
        peer_certificate: None,
        duration: Duration::from_millis(12),
    }
}

pub(crate) fn context<'a>(
    response: &'a Response,
    redirects: &'a [Redirect],
    variables: &'a Variables,
) -> QueryContext<'a> {
    QueryContext { response, url: "http://localhost:8000/final?x=1", redirects, variables }
}
