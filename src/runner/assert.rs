//! Asserts of one response specification: the implicit ones (version, status,
//! header lines, body) and then each `[Asserts]` line, in Hurl's order.
//!
//! Every assert gives an [`AssertResult`]; an evaluation error (a bad JSON body,
//! an undefined variable) is a failed result with a `message`, so one response
//! reports all its failures. Implicit asserts carry plain values (`404`,
//! `HTTP/2`, the header text), as Hurl prints them ("actual value is <404>");
//! explicit ones carry Hurl's typed form (`integer <404>`).

use std::borrow::Cow;
use std::path::Path;

use crate::runner::body;
use crate::runner::error::{EvalError, EvalErrorKind};
use crate::runner::filter::apply_filters;
use crate::runner::predicate::{eval_predicate, read_operand_file};
use crate::runner::query::{QueryContext, eval_query};
use crate::runner::template::{graphql_document, render, render_json};
use crate::scenario::ast::{
    self, Assert, BodyKind, BytesLiteral, KeyValue, ResponseSectionKind, Span, StatusSpec,
    VersionSpec,
};
use crate::transport::request::HttpVersion;

/// The outcome of one assert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertResult {
    /// What to underline: the status code, the header line, the assert line, or the error's place.
    pub span: Span,
    /// Whether the assert holds.
    pub success: bool,
    /// The value found, when the assert could be evaluated.
    pub actual: Option<Cow<'static, str>>,
    /// What was expected, when known.
    pub expected: Option<Cow<'static, str>>,
    /// The evaluation error, when the assert could not be evaluated.
    pub message: Option<String>,
    /// An implicit assert (version, status, header line or body) rather than an `[Asserts]` line.
    pub implicit: bool,
}

impl AssertResult {
    fn compared(
        span: Span,
        success: bool,
        actual: impl Into<Cow<'static, str>>,
        expected: impl Into<Cow<'static, str>>,
        implicit: bool,
    ) -> AssertResult {
        AssertResult {
            span,
            success,
            actual: Some(actual.into()),
            expected: Some(expected.into()),
            message: None,
            implicit,
        }
    }

    fn error(error: &EvalError, fallback: Span, implicit: bool) -> AssertResult {
        AssertResult {
            span: if error.span == Span::default() { fallback } else { error.span },
            success: false,
            actual: None,
            expected: None,
            message: Some(error.to_string()),
            implicit,
        }
    }
}

/// Evaluates every assert of a response specification, implicit ones first.
pub fn eval_asserts(
    spec: &ast::Response,
    ctx: &QueryContext<'_>,
    file_root: &Path,
) -> Vec<AssertResult> {
    let mut results = eval_status_asserts(spec, ctx);
    push_other_asserts(spec, ctx, file_root, &mut results);
    results
}

/// The implicit version and status asserts: Hurl checks them before captures.
pub fn eval_status_asserts(spec: &ast::Response, ctx: &QueryContext<'_>) -> Vec<AssertResult> {
    let mut results = Vec::with_capacity(count(spec));
    push_status_asserts(spec, ctx, &mut results);
    results
}

/// How many results [`eval_asserts`] gives for `spec`: room for all of them at once.
pub fn count(spec: &ast::Response) -> usize {
    let status = usize::from(version_text(spec.version.value).is_some())
        + usize::from(matches!(spec.status.value, StatusSpec::Code(_)));
    let asserts: usize = spec
        .sections
        .iter()
        .map(|section| match &section.kind {
            ResponseSectionKind::Asserts(asserts) => asserts.len(),
            _ => 0,
        })
        .sum();
    status + spec.headers.len() + usize::from(spec.body.is_some()) + asserts
}

/// [`eval_status_asserts`], appended to `results`.
fn push_status_asserts(
    spec: &ast::Response,
    ctx: &QueryContext<'_>,
    results: &mut Vec<AssertResult>,
) {
    if let Some(expected) = version_text(spec.version.value) {
        let actual = ctx.response.version.as_str();
        let success = match spec.version.value {
            VersionSpec::Http10 => ctx.response.version == HttpVersion::Http10,
            VersionSpec::Http11 => ctx.response.version == HttpVersion::Http11,
            VersionSpec::Http2 => ctx.response.version == HttpVersion::Http2,
            VersionSpec::Http3 => ctx.response.version == HttpVersion::Http3,
            VersionSpec::Any => true,
        };
        results.push(AssertResult::compared(spec.version.span, success, actual, expected, true));
    }
    if let StatusSpec::Code(code) = spec.status.value {
        results.push(AssertResult::compared(
            spec.status.span,
            ctx.response.status == code,
            status_text(ctx.response.status),
            status_text(code),
            true,
        ));
    }
}

/// The implicit header and body asserts, then the `[Asserts]` lines (after captures).
pub fn eval_other_asserts(
    spec: &ast::Response,
    ctx: &QueryContext<'_>,
    file_root: &Path,
) -> Vec<AssertResult> {
    let mut results = Vec::with_capacity(count(spec));
    push_other_asserts(spec, ctx, file_root, &mut results);
    results
}

/// [`eval_other_asserts`], appended to `results` (which [`count`] can size for both halves).
pub fn push_other_asserts(
    spec: &ast::Response,
    ctx: &QueryContext<'_>,
    file_root: &Path,
    results: &mut Vec<AssertResult>,
) {
    for header in &spec.headers {
        results.push(implicit_header(header, ctx));
    }
    if let Some(body) = &spec.body {
        results.push(implicit_body(body, ctx, file_root));
    }
    for section in &spec.sections {
        if let ResponseSectionKind::Asserts(asserts) = &section.kind {
            results.extend(asserts.iter().map(|a| explicit(a, ctx, file_root)));
        }
    }
}

/// Evaluates one `[Asserts]` line: query, filters, predicate.
pub fn eval_assert(assert: &Assert, ctx: &QueryContext<'_>, file_root: &Path) -> AssertResult {
    explicit(assert, ctx, file_root)
}

fn explicit(assert: &Assert, ctx: &QueryContext<'_>, file_root: &Path) -> AssertResult {
    let outcome = eval_query(&assert.query, ctx)
        .and_then(|value| apply_filters(&assert.filters, value, ctx.variables))
        .and_then(|value| {
            eval_predicate(&assert.predicate, value.as_ref(), ctx.variables, file_root)
        });
    match outcome {
        Ok(o) => AssertResult::compared(assert.span, o.success, o.actual, o.expected, false),
        Err(e) => AssertResult::error(&e, assert.span, false),
    }
}

/// A status code's decimal text: borrowed from [`STATUS_DIGITS`] for every code from 100 to
/// 999 (all that HTTP allows), so a status assert allocates nothing.
fn status_text(code: u16) -> Cow<'static, str> {
    if let Some(at) = code.checked_sub(100).map(|n| usize::from(n) * 3)
        && let Some(Ok(text)) = STATUS_DIGITS.get(at..at + 3).map(std::str::from_utf8)
    {
        return Cow::Borrowed(text);
    }
    Cow::Owned(code.to_string())
}

/// "100101102…999": the three digits of every code from 100 to 999, in order.
static STATUS_DIGITS: [u8; 2700] = status_digits();

const fn status_digits() -> [u8; 2700] {
    let mut out = [0u8; 2700];
    let mut code = 100;
    while code < 1000 {
        let at = (code - 100) * 3;
        out[at] = b'0' + (code / 100) as u8;
        out[at + 1] = b'0' + (code / 10 % 10) as u8;
        out[at + 2] = b'0' + (code % 10) as u8;
        code += 1;
    }
    out
}

fn version_text(version: VersionSpec) -> Option<&'static str> {
    match version {
        VersionSpec::Any => None,
        VersionSpec::Http10 => Some("HTTP/1.0"),
        VersionSpec::Http11 => Some("HTTP/1.1"),
        VersionSpec::Http2 => Some("HTTP/2"),
        VersionSpec::Http3 => Some("HTTP/3"),
    }
}

/// `Name: value` under the status line: some header of that name has exactly that value.
///
/// As Hurl: with several values, `actual` is the matching one, or all of them as a list;
/// a missing header is an error underlined at the name, a wrong value at the value.
fn implicit_header(header: &KeyValue, ctx: &QueryContext<'_>) -> AssertResult {
    let rendered = render(&header.key, ctx.variables)
        .and_then(|name| Ok((name, render(&header.value, ctx.variables)?)));
    let (name, expected) = match rendered {
        Ok(pair) => pair,
        Err(e) => return AssertResult::error(&e, header.span, true),
    };
    let values: Vec<&str> = ctx.response.headers_named(name.as_str()).collect();
    let found = values.iter().any(|v| *v == expected);
    let actual = match values.as_slice() {
        [] => {
            let error = EvalError::new(EvalErrorKind::HeaderNotFound(name), header.key.span);
            let mut result = AssertResult::error(&error, header.span, true);
            result.expected = Some(expected.into());
            return result;
        }
        [one] => (*one).to_owned(),
        _ if found => expected.clone(),
        many => {
            let quoted: Vec<String> = many.iter().map(|v| format!("\"{v}\"")).collect();
            format!("[{}]", quoted.join(", "))
        }
    };
    let span = if header.value.span == Span::default() { header.span } else { header.value.span };
    AssertResult::compared(span, found, actual, expected, true)
}

/// The body after the response specification: JSON compared as JSON values, text exactly, bytes exactly.
fn implicit_body(body: &ast::Body, ctx: &QueryContext<'_>, file_root: &Path) -> AssertResult {
    match implicit_body_check(body, ctx, file_root) {
        Ok((success, actual, expected)) => {
            AssertResult::compared(body.span, success, actual, expected, true)
        }
        Err(e) => AssertResult::error(&e, body.span, true),
    }
}

fn implicit_body_check(
    body: &ast::Body,
    ctx: &QueryContext<'_>,
    file_root: &Path,
) -> Result<(bool, String, String), EvalError> {
    let compare_text = |expected: String| -> Result<(bool, String, String), EvalError> {
        let actual = body::text(ctx.response)?;
        Ok((actual == expected, actual, expected))
    };
    let compare_bytes = |expected: &[u8]| -> Result<(bool, String, String), EvalError> {
        let actual = body::decompressed_cow(ctx.response)?;
        Ok((*actual == *expected, bytes_text(&actual), bytes_text(expected)))
    };
    match &body.kind {
        BodyKind::Json(json) => {
            let expected = render_json(json, ctx.variables)?;
            let actual = body::text(ctx.response)?;
            let parsed_expected = serde_json::from_str::<serde_json::Value>(&expected).ok();
            let parsed_actual = serde_json::from_str::<serde_json::Value>(&actual).ok();
            let success = match (parsed_actual, parsed_expected) {
                (Some(a), Some(e)) => a == e,
                _ => actual == expected,
            };
            Ok((success, actual, expected))
        }
        BodyKind::Xml(xml) => compare_text(xml.value.clone()),
        BodyKind::Multiline(m) => compare_text(graphql_document(m, ctx.variables)?),
        BodyKind::Oneline(t) => compare_text(render(t, ctx.variables)?),
        BodyKind::Bytes(BytesLiteral::Base64(b) | BytesLiteral::Hex(b)) => compare_bytes(&b.value),
        BodyKind::Bytes(BytesLiteral::File(name)) => {
            let name_text = render(name, ctx.variables)?;
            let expected = read_operand_file(file_root, &name_text, name.span)?;
            compare_bytes(&expected)
        }
    }
}

fn bytes_text(bytes: &[u8]) -> String {
    format!("hex, {};", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::test_support::{
        S, context, pred, pv_int, pv_str, query, response, tpl, tpl_var,
    };
    use crate::runner::value::Value;
    use crate::runner::variables::Variables;
    use crate::scenario::ast::{
        Body, JsonValue, PredicateFunc, QueryKind, ResponseSection, Spanned,
    };

    fn spec(version: VersionSpec, status: StatusSpec) -> ast::Response {
        ast::Response {
            version: Spanned { value: version, span: Span::new(0, 4) },
            status: Spanned { value: status, span: Span::new(5, 8) },
            headers: Vec::new(),
            sections: Vec::new(),
            body: None,
            span: S,
        }
    }

    fn header(name: &str, value: ast::Template) -> KeyValue {
        KeyValue { key: tpl(name), value, span: Span::new(10, 20) }
    }

    fn asserts(lines: Vec<Assert>) -> ResponseSection {
        ResponseSection {
            kind: ResponseSectionKind::Asserts(lines),
            name: Spanned { value: "Asserts".to_owned(), span: S },
            span: S,
        }
    }

    fn assert_line(kind: QueryKind, func: PredicateFunc, span: Span) -> Assert {
        Assert { query: query(kind), filters: Vec::new(), predicate: pred(func), span }
    }

    fn eval(spec: &ast::Response, r: &crate::transport::request::Response) -> Vec<AssertResult> {
        let mut vars = Variables::new();
        vars.insert("ct", Value::String("json".to_owned()));
        vars.insert("id", Value::Integer(1));
        eval_asserts(spec, &context(r, &[], &vars), Path::new("/nonexistent"))
    }

    #[test]
    fn implicit_version_status_and_headers() {
        let mut r =
            response(&[("Content-Type", "application/json"), ("Vary", "A"), ("Vary", "B")], b"{}");
        r.status = 404;
        let mut s = spec(VersionSpec::Http2, StatusSpec::Code(200));
        s.headers.push(header("content-type", tpl_var("application/", "ct")));
        s.headers.push(header("Vary", tpl("B")));
        s.headers.push(header("Vary", tpl("C")));
        s.headers.push(header("X-Missing", tpl("1")));
        s.headers.push(header("X-Bad", tpl_var("", "undefined")));
        let results = eval(&s, &r);
        let summary: Vec<_> = results
            .iter()
            .map(|a| {
                (
                    a.success,
                    a.actual.as_deref().map(str::to_owned),
                    a.expected.as_deref().map(str::to_owned),
                    a.message.clone(),
                    a.implicit,
                )
            })
            .collect();
        let some = |x: &str| Some(x.to_owned());
        assert_eq!(
            summary,
            vec![
                (false, some("HTTP/1.1"), some("HTTP/2"), None, true),
                (false, some("404"), some("200"), None, true),
                (true, some("application/json"), some("application/json"), None, true),
                (true, some("B"), some("B"), None, true),
                (false, some(r#"["A", "B"]"#), some("C"), None, true),
                (false, None, some("1"), some("header `X-Missing` not found"), true),
                (false, None, None, some("undefined variable `undefined`"), true),
            ]
        );
        assert_eq!(results[1].span, Span::new(5, 8));
        let any = spec(VersionSpec::Any, StatusSpec::Any);
        assert!(eval(&any, &r).is_empty());
        let ok = spec(VersionSpec::Http11, StatusSpec::Code(404));
        assert!(eval(&ok, &r).iter().all(|a| a.success));
    }

    #[test]
    fn implicit_bodies() {
        let r = response(&[("Content-Type", "application/json")], br#"{ "id": 1, "tags": ["a"] }"#);
        let mut s = spec(VersionSpec::Any, StatusSpec::Any);
        let json = |id: JsonValue| JsonValue::Object {
            members: vec![
                (
                    tpl("tags"),
                    JsonValue::Array { elements: vec![JsonValue::String(tpl("a"))], span: S },
                ),
                (tpl("id"), id),
            ],
            span: S,
        };
        s.body = Some(
            Body {
                kind: BodyKind::Json(json(crate::runner::test_support::json_placeholder("id"))),
                span: S,
            }
            .into(),
        );
        assert!(eval(&s, &r)[0].success);
        s.body = Some(
            Body {
                kind: BodyKind::Json(json(JsonValue::Number(Spanned {
                    value: "2".into(),
                    span: S,
                }))),
                span: S,
            }
            .into(),
        );
        let result = &eval(&s, &r)[0];
        assert!(!result.success);
        assert_eq!(result.expected.as_deref(), Some(r#"{"tags":["a"],"id":2}"#));

        let text = response(&[], b"Hello World!");
        s.body = Some(Body { kind: BodyKind::Oneline(tpl("Hello World!")), span: S }.into());
        assert!(eval(&s, &text)[0].success);
        s.body = Some(Body { kind: BodyKind::Oneline(tpl("Hello")), span: S }.into());
        assert!(!eval(&s, &text)[0].success);
        s.body = Some(
            Body {
                kind: BodyKind::Bytes(BytesLiteral::Hex(Spanned {
                    value: b"Hello World!".to_vec(),
                    span: S,
                })),
                span: S,
            }
            .into(),
        );
        assert!(eval(&s, &text)[0].success);
        s.body = Some(
            Body { kind: BodyKind::Bytes(BytesLiteral::File(tpl("missing.bin"))), span: S }.into(),
        );
        assert_eq!(
            eval(&s, &text)[0].message.as_deref(),
            Some("file `missing.bin` can not be read")
        );
    }

    #[test]
    fn explicit_asserts_in_order() {
        let r = response(&[("Content-Type", "application/json")], br#"{"count": 2}"#);
        let mut s = spec(VersionSpec::Any, StatusSpec::Code(200));
        s.sections.push(asserts(vec![
            assert_line(
                QueryKind::Jsonpath(tpl("$.count")),
                PredicateFunc::Equal(pv_int(2)),
                Span::new(30, 40),
            ),
            assert_line(
                QueryKind::Jsonpath(tpl("$.count")),
                PredicateFunc::Equal(pv_int(3)),
                Span::new(41, 50),
            ),
            assert_line(QueryKind::Xpath(tpl("//a")), PredicateFunc::Exists, Span::new(51, 60)),
            assert_line(
                QueryKind::Header(tpl("X")),
                PredicateFunc::Equal(pv_str("y")),
                Span::new(61, 70),
            ),
        ]));
        let results = eval(&s, &r);
        assert_eq!(results.len(), 5);
        assert!(results[0].implicit && results[0].success);
        assert!(results[1].success && !results[1].implicit);
        assert_eq!(
            (results[2].success, results[2].actual.as_deref(), results[2].expected.as_deref()),
            (false, Some("integer <2>"), Some("integer <3>"))
        );
        assert_eq!(results[3].message.as_deref(), Some("invalid XML body"));
        assert_eq!(results[3].span, Span::new(51, 60));
        assert_eq!(results[4].actual.as_deref(), Some("none"));
    }

    #[test]
    fn status_text_is_the_code_in_decimal_for_any_code() {
        for code in [0, 42, 99, 100, 200, 404, 999, 1000, u16::MAX] {
            assert_eq!(status_text(code), code.to_string(), "{code}");
        }
        assert!(matches!(status_text(503), Cow::Borrowed("503")));
    }
}
