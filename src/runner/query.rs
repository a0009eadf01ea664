//! The 18 queries: what a capture or an assert reads from a response.
//!
//! [`eval_query`] is a pure function of the response, the effective URL, the
//! redirects followed and the variables. `None` means "no value" (a missing
//! header, a JSONPath with no match), which `exists` tests and captures reject.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use sha2::Digest;

use crate::runner::body;
use crate::runner::error::{EvalError, EvalErrorKind};
use crate::runner::template::{render, render_cow};
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::runner::xpath::Document;
use crate::scenario::ast::{
    CertificateAttribute, CookieAttribute, Query, QueryKind, RegexValue, Span,
};
use crate::transport::request::{HttpVersion, Response};

/// What a query can read.
#[derive(Clone, Copy, Debug)]
pub struct QueryContext<'a> {
    /// The final response.
    pub response: &'a Response,
    /// The final effective URL.
    pub url: &'a str,
    /// The redirects followed to reach it, in order.
    pub redirects: &'a [Redirect],
    /// The variables in scope.
    pub variables: &'a Variables,
}

/// One redirect step: where the server sent the client, and with which status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The `Location` target, resolved to an absolute URL.
    pub url: String,
    /// The redirect status (301, 302, ...).
    pub status: u16,
}

/// Evaluates a query against a response.
pub fn eval_query(query: &Query, ctx: &QueryContext<'_>) -> Result<Option<Value>, EvalError> {
    let at = |e: EvalError| relocate(e, query.span);
    let response = ctx.response;
    match &query.kind {
        QueryKind::Status => Ok(Some(Value::Integer(i64::from(response.status)))),
        QueryKind::Version => Ok(Some(Value::String(version_string(response.version).to_owned()))),
        QueryKind::Url => Ok(Some(Value::String(ctx.url.to_owned()))),
        QueryKind::Ip => Ok(response.remote_addr.map(|a| Value::String(a.ip().to_string()))),
        QueryKind::Header(name) => {
            let name = render(name, ctx.variables)?;
            let mut values: Vec<Value> = response
                .headers_named(name.as_str())
                .map(|v| Value::String(v.to_owned()))
                .collect();
            Ok(match values.len() {
                0 => None,
                1 => values.pop(),
                _ => Some(Value::List(values)),
            })
        }
        QueryKind::Cookie(path) => {
            let name = render(&path.name, ctx.variables)?;
            let attribute = path.attribute.as_ref().map_or(CookieAttribute::Value, |a| a.value);
            match response_cookie(response, &name).and_then(|c| c.attribute(attribute)) {
                // Hurl: an `Expires` that is not a date is an error, not text.
                Some(Value::String(text)) if attribute == CookieAttribute::Expires => {
                    Err(EvalError::new(EvalErrorKind::InvalidCookieExpires(text), query.span))
                }
                value => Ok(value),
            }
        }
        QueryKind::Body => body::text(response).map(|t| Some(Value::String(t))).map_err(at),
        QueryKind::Bytes => body::decompressed(response).map(|b| Some(Value::Bytes(b))).map_err(at),
        QueryKind::RawBytes => Ok(Some(Value::Bytes(response.body.to_vec()))),
        QueryKind::Sha256 => {
            let data = body::decompressed_cow(response).map_err(at)?;
            Ok(Some(Value::Bytes(sha2::Sha256::digest(&data).to_vec())))
        }
        QueryKind::Md5 => {
            let data = body::decompressed_cow(response).map_err(at)?;
            Ok(Some(Value::Bytes(md5::Md5::digest(&data).to_vec())))
        }
        QueryKind::Jsonpath(expr) => {
            let text = render_cow(expr, ctx.variables)?;
            let path = parse_jsonpath(&text, expr.span)?;
            let body = body::text_cow(response).map_err(at)?;
            let json = parsed_json(response, &body)
                .ok_or_else(|| EvalError::new(EvalErrorKind::InvalidJson, query.span))?;
            Ok(eval_jsonpath(&path, &json, true))
        }
        QueryKind::Xpath(expr) => {
            let text = render(expr, ctx.variables)?;
            let doc = parsed_document(response).map_err(at)?;
            doc.eval(&text).map(Some).map_err(|e| relocate(e, expr.span))
        }
        QueryKind::Regex(regex) => {
            let re = compile_regex(regex, ctx.variables)?;
            let body = body::text_cow(response).map_err(at)?;
            Ok(first_capture(&re, &body))
        }
        QueryKind::Variable(name) => {
            let name = render(name, ctx.variables)?;
            Ok(ctx.variables.get(&name).cloned())
        }
        QueryKind::Duration => Ok(Some(Value::Integer(
            i64::try_from(response.duration.as_millis()).unwrap_or(i64::MAX),
        ))),
        QueryKind::Certificate(attribute) => {
            let der = response
                .peer_certificate
                .as_deref()
                .ok_or_else(|| EvalError::new(EvalErrorKind::NoCertificate, query.span))?;
            certificate_attribute(der, *attribute).map(Some).map_err(at)
        }
        QueryKind::Redirects => Ok(Some(Value::List(
            ctx.redirects
                .iter()
                .map(|r| {
                    Value::Object(vec![
                        ("location".to_owned(), Value::String(r.url.clone())),
                        ("status".to_owned(), Value::Integer(i64::from(r.status))),
                    ])
                })
                .collect(),
        ))),
    }
}

thread_local! {
    // The last non-empty response body parsed for XPath, with its document: a response with
    // many `xpath` asserts is parsed once (Hurl does the same). Holding the body's
    // `Bytes` keeps its memory alive, so the pointer cannot be reused by another body.
    static PARSED: RefCell<Option<(bytes::Bytes, Rc<Document>)>> = const { RefCell::new(None) };
}

/// The response body as an XPath document (HTML or XML by its content type), parsed once.
fn parsed_document(response: &Response) -> Result<Rc<Document>, EvalError> {
    let cached = PARSED.with(|cell| {
        cell.borrow().as_ref().and_then(|(body, doc)| {
            // Empty bodies may share one static pointer: never cached.
            (!body.is_empty()
                && body.as_ptr() == response.body.as_ptr()
                && body.len() == response.body.len())
            .then(|| doc.clone())
        })
    });
    if let Some(doc) = cached {
        return Ok(doc);
    }
    let text = body::text_cow(response)?;
    let doc = Rc::new(if body::is_html(response) {
        Document::parse_html(&text)?
    } else {
        Document::parse_xml(&text)?
    });
    PARSED.with(|cell| *cell.borrow_mut() = Some((response.body.clone(), doc.clone())));
    Ok(doc)
}

thread_local! {
    // The last response body parsed as JSON, with its value: the `jsonpath` asserts and
    // captures of one response parse its body once. Keyed by the body itself (its `Bytes`,
    // held, so the pointer cannot be reused by another body), as `PARSED` is for XPath: every
    // response is parsed, even one whose text equals the last one's.
    static LAST_JSON: RefCell<Option<(bytes::Bytes, Rc<serde_json::Value>)>> =
        const { RefCell::new(None) };
}

/// `response`'s body text `text` parsed as JSON (`None`: not JSON), once per response.
fn parsed_json(response: &Response, text: &str) -> Option<Rc<serde_json::Value>> {
    let body = &response.body;
    let kept = LAST_JSON.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|(kept, _)| {
                // Empty bodies may share one static pointer: never kept.
                !kept.is_empty() && kept.as_ptr() == body.as_ptr() && kept.len() == body.len()
            })
            .map(|(_, json)| Rc::clone(json))
    });
    if kept.is_some() {
        return kept;
    }
    let json = Rc::new(serde_json::from_str::<serde_json::Value>(text).ok()?);
    if !body.is_empty() {
        LAST_JSON.with(|last| *last.borrow_mut() = Some((body.clone(), Rc::clone(&json))));
    }
    Some(json)
}

/// The version as Hurl's `version` query gives it: `1.0`, `1.1`, `2`, `3`.
pub fn version_string(version: HttpVersion) -> &'static str {
    match version {
        HttpVersion::Http10 => "1.0",
        HttpVersion::Http11 => "1.1",
        HttpVersion::Http2 => "2",
        HttpVersion::Http3 => "3",
    }
}

/// How many compiled expressions each worker thread keeps (a file rarely has more).
const COMPILED_CACHE_SIZE: usize = 512;

thread_local! {
    // Compiling a JSONPath or a regex costs more than evaluating it, and a file
    // evaluates the same few expressions on every entry and every repeat. The
    // cache is per thread (each file worker has its own) and bounded.
    static JSONPATHS: RefCell<HashMap<String, Rc<serde_json_path::JsonPath>>> = RefCell::new(HashMap::new());
    static REGEXES: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
}

/// The deepest nesting of `(` and `[` a JSONPath may have: `serde_json_path`'s
/// parser recurses (a stack overflow past a few thousand levels).
const MAX_JSONPATH_NESTING: usize = 64;
/// The deepest nesting of `[` a JSONPath may have: the parser backtracks, and its
/// time doubles with each filter nested in a filter (20 levels: seconds).
const MAX_JSONPATH_BRACKETS: usize = 10;

/// Whether `expr` nests deeper than the parser can take, in one linear scan
/// (quoted strings are skipped).
fn jsonpath_too_deep(expr: &str) -> bool {
    let mut open: Vec<char> = Vec::new();
    let mut brackets = 0usize;
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                while let Some(inner) = chars.next() {
                    if inner == '\\' {
                        chars.next();
                    } else if inner == c {
                        break;
                    }
                }
            }
            '(' | '[' => {
                open.push(c);
                brackets += usize::from(c == '[');
                if open.len() > MAX_JSONPATH_NESTING || brackets > MAX_JSONPATH_BRACKETS {
                    return true;
                }
            }
            ')' | ']' => brackets -= usize::from(open.pop() == Some('[')),
            _ => {}
        }
    }
    false
}

/// Parses an RFC 9535 JSONPath expression (memoised per thread); one nested too
/// deeply for the parser is invalid.
pub(crate) fn parse_jsonpath(
    expr: &str,
    span: Span,
) -> Result<Rc<serde_json_path::JsonPath>, EvalError> {
    // The last one first: a sequential file asks for the same path again and again.
    let last = LAST_JSONPATH.with(|last| {
        last.borrow().as_ref().filter(|(text, _)| text == expr).map(|(_, path)| Rc::clone(path))
    });
    if let Some(path) = last {
        return Ok(path);
    }
    let path = parse_jsonpath_cached(expr, span)?;
    LAST_JSONPATH.with(|last| *last.borrow_mut() = Some((expr.to_owned(), Rc::clone(&path))));
    Ok(path)
}

thread_local! {
    static LAST_JSONPATH: RefCell<Option<(String, Rc<serde_json_path::JsonPath>)>> =
        const { RefCell::new(None) };
}

/// [`parse_jsonpath`] through the per-thread map.
fn parse_jsonpath_cached(
    expr: &str,
    span: Span,
) -> Result<Rc<serde_json_path::JsonPath>, EvalError> {
    if let Some(path) = JSONPATHS.with(|cache| cache.borrow().get(expr).cloned()) {
        return Ok(path);
    }
    if jsonpath_too_deep(expr) {
        return Err(EvalError::new(EvalErrorKind::InvalidJsonpath(expr.to_owned()), span));
    }
    let path = Rc::new(
        serde_json_path::JsonPath::parse(expr)
            .map_err(|_| EvalError::new(EvalErrorKind::InvalidJsonpath(expr.to_owned()), span))?,
    );
    JSONPATHS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= COMPILED_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(expr.to_owned(), Rc::clone(&path));
    });
    Ok(path)
}

/// Runs a JSONPath and shapes the result as Hurl does.
///
/// With coercion (Hurl's default): no match → `None`, one match → that value,
/// several → a list. Without (`no-jsonpath-coercion`): always the list of matches.
pub fn eval_jsonpath(
    path: &serde_json_path::JsonPath,
    json: &serde_json::Value,
    coerce: bool,
) -> Option<Value> {
    let nodes = path.query(json).all();
    if !coerce {
        return Some(Value::List(nodes.into_iter().map(Value::from_json).collect()));
    }
    match nodes.as_slice() {
        [] => None,
        [one] => Some(Value::from_json(one)),
        many => Some(Value::List(many.iter().map(|v| Value::from_json(v)).collect())),
    }
}

/// Compiles a regex argument (a rendered template or a `/literal/`).
pub(crate) fn compile_regex(
    regex: &RegexValue,
    variables: &Variables,
) -> Result<regex::Regex, EvalError> {
    let (pattern, span) = match regex {
        RegexValue::Template(t) => (render(t, variables)?, t.span),
        RegexValue::Literal(lit) => (lit.value.clone(), lit.span),
    };
    if let Some(re) = REGEXES.with(|cache| cache.borrow().get(&pattern).cloned()) {
        return Ok(re);
    }
    let re = regex::Regex::new(&pattern)
        .map_err(|_| EvalError::new(EvalErrorKind::InvalidRegex(pattern.clone()), span))?;
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= COMPILED_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(pattern, re.clone());
    });
    Ok(re)
}

/// The first capture group of the first match; no value when the regex has no group
/// (as Hurl 8, checked against hurl 8.0.1).
pub(crate) fn first_capture(re: &regex::Regex, text: &str) -> Option<Value> {
    let captures = re.captures(text)?;
    let m = captures.get(1)?;
    Some(Value::String(m.as_str().to_owned()))
}

/// Gives an error without a precise place the span of the query.
fn relocate(mut error: EvalError, span: Span) -> EvalError {
    if error.span == Span::default() {
        error.span = span;
    }
    error
}

/// A cookie from a `Set-Cookie` header.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ResponseCookie {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) attributes: Vec<(String, Option<String>)>,
}

impl ResponseCookie {
    pub(crate) fn parse(header: &str) -> Option<ResponseCookie> {
        let mut parts = header.split(';');
        let (name, value) = parts.next()?.split_once('=')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let attributes = parts
            .filter(|p| !p.trim().is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim().to_owned(), Some(v.trim().to_owned())),
                None => (p.trim().to_owned(), None),
            })
            .collect();
        Some(ResponseCookie { name: name.to_owned(), value: value.trim().to_owned(), attributes })
    }

    fn get(&self, name: &str) -> Option<&Option<String>> {
        self.attributes.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    fn attribute(&self, attribute: CookieAttribute) -> Option<Value> {
        let text = |name: &str| self.get(name).cloned().flatten().map(Value::String);
        let flag = |name: &str| self.get(name).map(|_| Value::Unit);
        match attribute {
            CookieAttribute::Value => Some(Value::String(self.value.clone())),
            // Hurl gives `Expires` as a date (checked against hurl 8.0.1); an
            // unparseable one stays text here and is an error in `eval_query`.
            CookieAttribute::Expires => self.get("Expires").cloned().flatten().map(|v| {
                chrono::DateTime::parse_from_rfc2822(&v.replace('-', " "))
                    .map(|d| Value::Date(d.with_timezone(&chrono::Utc)))
                    .unwrap_or(Value::String(v))
            }),
            CookieAttribute::MaxAge => self
                .get("Max-Age")
                .cloned()
                .flatten()
                .and_then(|v| v.parse().ok())
                .map(Value::Integer),
            CookieAttribute::Domain => text("Domain"),
            CookieAttribute::Path => text("Path"),
            CookieAttribute::Secure => flag("Secure"),
            CookieAttribute::HttpOnly => flag("HttpOnly"),
            CookieAttribute::SameSite => text("SameSite"),
        }
    }
}

fn response_cookie(response: &Response, name: &str) -> Option<ResponseCookie> {
    response.headers_named("Set-Cookie").filter_map(ResponseCookie::parse).find(|c| c.name == name)
}

fn certificate_attribute(der: &[u8], attribute: CertificateAttribute) -> Result<Value, EvalError> {
    let invalid = |e: String| EvalError::new(EvalErrorKind::InvalidCertificate(e), Span::default());
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| invalid(e.to_string()))?;
    let date = |t: x509_parser::time::ASN1Time| {
        DateTime::<Utc>::from_timestamp(t.timestamp(), 0)
            .map(Value::Date)
            .ok_or_else(|| invalid("date out of range".to_owned()))
    };
    match attribute {
        CertificateAttribute::Subject => Ok(Value::String(cert.subject().to_string())),
        CertificateAttribute::Issuer => Ok(Value::String(cert.issuer().to_string())),
        CertificateAttribute::StartDate => date(cert.validity().not_before),
        CertificateAttribute::ExpireDate => date(cert.validity().not_after),
        CertificateAttribute::SerialNumber => Ok(Value::String(cert.raw_serial_as_string())),
        CertificateAttribute::SubjectAltName => {
            let san = cert.subject_alternative_name().map_err(|e| invalid(e.to_string()))?;
            let names: Vec<String> = san
                .map(|ext| ext.value.general_names.iter().map(general_name).collect())
                .unwrap_or_default();
            Ok(Value::String(names.join(", ")))
        }
        CertificateAttribute::Value => Ok(Value::String(pem(der))),
    }
}

fn general_name(name: &x509_parser::extensions::GeneralName<'_>) -> String {
    use x509_parser::extensions::GeneralName;
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::RFC822Name(mail) => format!("email:{mail}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        GeneralName::IPAddress(bytes) => {
            let ip = match bytes.len() {
                4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                _ => None,
            };
            match ip {
                Some(ip) => format!("IP Address:{ip}"),
                None => format!("IP Address:{}", hex::encode(bytes)),
            }
        }
        other => format!("{other:?}"),
    }
}

fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    #[test]
    fn jsonpaths_nested_too_deeply_are_refused_before_parsing() {
        assert!(!jsonpath_too_deep("$.a[?(@.b[?(@.c == '[[[[[[[[[[[[')])]"));
        assert!(!jsonpath_too_deep(&format!("$[?{}@.a{}]", "(".repeat(60), ")".repeat(60))));
        assert!(jsonpath_too_deep(&format!("$[?{}@.a{}]", "(".repeat(70), ")".repeat(70))));
        let filters = |n: usize| format!("${}.a{}", "[?(@".repeat(n), ")]".repeat(n));
        assert!(!jsonpath_too_deep(&filters(10)));
        assert!(jsonpath_too_deep(&filters(11)));
        assert!(jsonpath_too_deep(&"[".repeat(100_000)));
        let span = Span::new(0, 1);
        assert!(parse_jsonpath(&filters(100_000), span).is_err());
        assert!(parse_jsonpath(&filters(3), span).is_ok());
    }

    use super::*;
    use crate::runner::test_support::{context, query, regex_lit, response, tpl, tpl_var};
    use crate::scenario::ast::{CookiePath, Spanned};

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    fn run(kind: QueryKind, r: &Response) -> Result<Option<Value>, String> {
        let mut vars = Variables::new();
        vars.insert("field", s("name"));
        vars.insert("user", Value::Integer(7));
        let redirects = [
            Redirect { url: "http://localhost/step1".to_owned(), status: 301 },
            Redirect { url: "http://localhost/final".to_owned(), status: 302 },
        ];
        eval_query(&query(kind), &context(r, &redirects, &vars)).map_err(|e| e.to_string())
    }

    fn cookie(name: &str, attribute: Option<CookieAttribute>) -> QueryKind {
        QueryKind::Cookie(CookiePath {
            name: tpl(name),
            attribute: attribute.map(|value| Spanned { value, span: Span::default() }),
        })
    }

    #[test]
    fn response_line_queries() {
        let mut r = response(&[], b"");
        r.status = 404;
        r.version = HttpVersion::Http2;
        r.remote_addr = Some(SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(run(QueryKind::Status, &r), Ok(Some(Value::Integer(404))));
        assert_eq!(run(QueryKind::Version, &r), Ok(Some(s("2"))));
        assert_eq!(run(QueryKind::Url, &r), Ok(Some(s("http://localhost:8000/final?x=1"))));
        assert_eq!(run(QueryKind::Ip, &r), Ok(Some(s("127.0.0.1"))));
        assert_eq!(run(QueryKind::Duration, &r), Ok(Some(Value::Integer(12))));
        r.version = HttpVersion::Http11;
        assert_eq!(run(QueryKind::Version, &r), Ok(Some(s("1.1"))));
        assert_eq!(run(QueryKind::Variable(tpl("user")), &r), Ok(Some(Value::Integer(7))));
        assert_eq!(run(QueryKind::Variable(tpl("nope")), &r), Ok(None));
        let Ok(Some(Value::List(redirects))) = run(QueryKind::Redirects, &r) else { panic!() };
        assert_eq!(redirects.len(), 2);
    }

    #[test]
    fn header_queries() {
        let r = response(
            &[("Content-Type", "text/plain"), ("Vary", "Accept"), ("vary", "Origin")],
            b"",
        );
        assert_eq!(run(QueryKind::Header(tpl("content-type")), &r), Ok(Some(s("text/plain"))));
        assert_eq!(
            run(QueryKind::Header(tpl("Vary")), &r),
            Ok(Some(Value::List(vec![s("Accept"), s("Origin")])))
        );
        assert_eq!(run(QueryKind::Header(tpl("X-Missing")), &r), Ok(None));
    }

    #[test]
    fn cookie_queries() {
        let r = response(
            &[
                (
                    "Set-Cookie",
                    "LSID=DQAAAKEaem_vYg; Expires=Wed, 13 Jan 2021 22:23:01 GMT; Max-Age=3600; Domain=example.org; Path=/accounts; Secure; HttpOnly; SameSite=Lax",
                ),
                ("Set-Cookie", "plain=1"),
            ],
            b"",
        );
        let cases = [
            (cookie("LSID", None), Some(s("DQAAAKEaem_vYg"))),
            (cookie("LSID", Some(CookieAttribute::Value)), Some(s("DQAAAKEaem_vYg"))),
            (
                cookie("LSID", Some(CookieAttribute::Expires)),
                Some(Value::Date(
                    chrono::DateTime::parse_from_rfc3339("2021-01-13T22:23:01Z").unwrap().to_utc(),
                )),
            ),
            (cookie("LSID", Some(CookieAttribute::MaxAge)), Some(Value::Integer(3600))),
            (cookie("LSID", Some(CookieAttribute::Domain)), Some(s("example.org"))),
            (cookie("LSID", Some(CookieAttribute::Path)), Some(s("/accounts"))),
            (cookie("LSID", Some(CookieAttribute::Secure)), Some(Value::Unit)),
            (cookie("LSID", Some(CookieAttribute::HttpOnly)), Some(Value::Unit)),
            (cookie("LSID", Some(CookieAttribute::SameSite)), Some(s("Lax"))),
            (cookie("plain", Some(CookieAttribute::Secure)), None),
            (cookie("plain", Some(CookieAttribute::Expires)), None),
            (cookie("missing", None), None),
        ];
        for (kind, expected) in cases {
            assert_eq!(run(kind.clone(), &r), Ok(expected), "{kind:?}");
        }
        // Hurl: an Expires that is not a date is an error, not text.
        let bad = response(&[("Set-Cookie", "c=1; Expires=???; Path=/")], b"");
        assert_eq!(
            run(cookie("c", Some(CookieAttribute::Expires)), &bad),
            Err("could not parse Cookie Expires attribute value <???>".to_owned())
        );
    }

    #[test]
    fn an_xpath_body_is_parsed_once_per_response() {
        let r = response(&[("Content-Type", "text/html")], b"<html><body><p>a</p></body></html>");
        let first = parsed_document(&r).unwrap();
        let second = parsed_document(&r).unwrap();
        assert!(Rc::ptr_eq(&first, &second));
        let other =
            response(&[("Content-Type", "text/html")], b"<html><body><p>a</p></body></html>");
        assert!(!Rc::ptr_eq(&first, &parsed_document(&other).unwrap()));
        assert_eq!(run(QueryKind::Xpath(tpl("count(//p)")), &other), Ok(Some(Value::Float(1.0))));
    }

    #[test]
    fn body_queries() {
        let r = response(&[("Content-Type", "text/plain; charset=utf-8")], "Hello café".as_bytes());
        assert_eq!(run(QueryKind::Body, &r), Ok(Some(s("Hello café"))));
        assert_eq!(run(QueryKind::Bytes, &r), Ok(Some(Value::Bytes("Hello café".into()))));
        assert_eq!(run(QueryKind::RawBytes, &r), Ok(Some(Value::Bytes("Hello café".into()))));
        let r = response(&[], b"Hello World!");
        let sha = hex::decode("7f83b1657ff1fc53b92dc18148a1d65dfc2d4b1fa3d677284addd200126d9069")
            .unwrap();
        assert_eq!(run(QueryKind::Sha256, &r), Ok(Some(Value::Bytes(sha))));
        let md5 = hex::decode("ed076287532e86365e841e92bfc50d8c").unwrap();
        assert_eq!(run(QueryKind::Md5, &r), Ok(Some(Value::Bytes(md5))));
        let bad = response(&[], b"\xff\xfe");
        assert!(run(QueryKind::Body, &bad).is_err());
    }

    #[test]
    fn jsonpath_queries() {
        let r = response(
            &[("Content-Type", "application/json")],
            br#"{"success":false,"errors":[{"id":"error1"},{"id":"error2"}],"count":2,"ratio":0.5,"name":"Bob","big":18446744073709551615,"nothing":null}"#,
        );
        let jp = |e: &str| QueryKind::Jsonpath(tpl(e));
        let cases = [
            (jp("$.success"), Ok(Some(Value::Bool(false)))),
            (jp("$.count"), Ok(Some(Value::Integer(2)))),
            (jp("$.ratio"), Ok(Some(Value::Float(0.5)))),
            (jp("$.nothing"), Ok(Some(Value::Null))),
            (jp("$.big"), Ok(Some(Value::BigInteger("18446744073709551615".to_owned())))),
            (jp("$.errors[0].id"), Ok(Some(s("error1")))),
            (jp("$.errors[*].id"), Ok(Some(Value::List(vec![s("error1"), s("error2")])))),
            (jp("$.errors[?@.id=='error2'].id"), Ok(Some(s("error2")))),
            (jp("$.missing"), Ok(None)),
            (QueryKind::Jsonpath(tpl_var("$.", "field")), Ok(Some(s("Bob")))),
            (jp("$$bad"), Err("invalid jsonpath expression `$$bad`".to_owned())),
        ];
        for (kind, expected) in cases {
            assert_eq!(run(kind.clone(), &r), expected, "{kind:?}");
        }
        let not_json = response(&[], b"<html>");
        assert_eq!(run(jp("$.a"), &not_json), Err("invalid JSON body".to_owned()));
        let path = parse_jsonpath("$.errors[0].id", Span::default()).unwrap();
        let json = serde_json::json!({"errors": [{"id": "e"}]});
        assert_eq!(eval_jsonpath(&path, &json, false), Some(Value::List(vec![s("e")])));
        // The last path parsed is remembered apart from the map: alternating paths, and a
        // path asked again after another, still give their own queries.
        let json = serde_json::json!({"a": 1, "b": 2});
        for expr in ["$.a", "$.b", "$.a", "$.a", "$.b"] {
            let path = parse_jsonpath(expr, Span::default()).unwrap();
            let fresh = serde_json_path::JsonPath::parse(expr).unwrap();
            assert_eq!(eval_jsonpath(&path, &json, true), eval_jsonpath(&fresh, &json, true));
        }
        assert!(parse_jsonpath("$[", Span::default()).is_err());
        // The parsed body is kept for the same response only: another response is parsed
        // again (even with the same text), an invalid one is no JSON, and the kept one
        // gives its own value again.
        let texts = [r#"{"a":1}"#, r#"{"a":1}"#, r#"{"a":2}"#, "not json", r#"{"a":1}"#];
        let responses: Vec<Response> = texts.iter().map(|t| response(&[], t.as_bytes())).collect();
        for (text, r) in texts.iter().zip(&responses) {
            let fresh = serde_json::from_str::<serde_json::Value>(text).ok();
            assert_eq!(parsed_json(r, text).as_deref(), fresh.as_ref(), "{text}");
            assert_eq!(parsed_json(r, text).as_deref(), fresh.as_ref(), "{text}, kept");
        }
        let first = &responses[0];
        let kept = parsed_json(first, texts[0]);
        assert!(kept.is_some_and(|k| {
            LAST_JSON.with(|last| last.borrow().as_ref().is_some_and(|(_, j)| Rc::ptr_eq(j, &k)))
        }));
        let again = parsed_json(&responses[1], texts[1]);
        assert!(
            again.is_some_and(|a| !LAST_JSON.with(|last| last
                .borrow()
                .as_ref()
                .is_some_and(|(body, _)| body.as_ptr() == first.body.as_ptr()))
                && *a == serde_json::json!({"a": 1})),
            "a second response of the same text is parsed, not served from the first"
        );
        let path = parse_jsonpath("$.missing", Span::default()).unwrap();
        assert_eq!(eval_jsonpath(&path, &json, false), Some(Value::List(vec![])));
    }

    #[test]
    fn xpath_queries() {
        let html = response(
            &[("Content-Type", "text/html; charset=utf-8")],
            b"<html><head><title>T</title></head><body><p>a</p><p>b</p></body></html>",
        );
        assert_eq!(run(QueryKind::Xpath(tpl("string(//title)")), &html), Ok(Some(s("T"))));
        assert_eq!(run(QueryKind::Xpath(tpl("//p")), &html), Ok(Some(Value::Nodeset(2))));
        let xml =
            response(&[("Content-Type", "application/xml")], b"<users><user>a</user></users>");
        assert_eq!(run(QueryKind::Xpath(tpl("count(//user)")), &xml), Ok(Some(Value::Float(1.0))));
        assert_eq!(
            run(QueryKind::Xpath(tpl("???")), &xml),
            Err("xpath expression is invalid".to_owned())
        );
        let bad = response(&[("Content-Type", "application/xml")], b"<users>");
        assert_eq!(run(QueryKind::Xpath(tpl("//user")), &bad), Err("invalid XML body".to_owned()));
    }

    #[test]
    fn regex_queries() {
        let r = response(&[], b"Hello Bob, id=1234");
        let cases = [
            (QueryKind::Regex(regex_lit(r"id=(\d+)")), Ok(Some(s("1234")))),
            // No capture group: no value, as in Hurl.
            (QueryKind::Regex(RegexValue::Template(tpl(r"Hello \w+"))), Ok(None)),
            (QueryKind::Regex(regex_lit(r"nope(\d+)")), Ok(None)),
            (QueryKind::Regex(regex_lit("(")), Err("invalid regex `(`".to_owned())),
        ];
        for (kind, expected) in cases {
            assert_eq!(run(kind.clone(), &r), expected, "{kind:?}");
        }
    }

    #[test]
    fn certificate_queries() {
        let r = response(&[], b"");
        assert_eq!(
            run(QueryKind::Certificate(CertificateAttribute::Subject), &r),
            Err("no certificate was received".to_owned())
        );
        let mut r = response(&[], b"");
        r.peer_certificate = Some(vec![0x30, 0x01]);
        assert!(run(QueryKind::Certificate(CertificateAttribute::Subject), &r).is_err());

        // A self-signed test certificate (P-256), valid 2026-12-01T18:33:57Z to 2036-11-28T18:33:57Z.
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD.decode(TEST_CERT).unwrap();
        r.peer_certificate = Some(der.clone());
        let cert = |a| run(QueryKind::Certificate(a), &r).unwrap().unwrap();
        let date = |y, m, d| {
            use chrono::TimeZone;
            Value::Date(Utc.with_ymd_and_hms(y, m, d, 18, 33, 57).unwrap())
        };
        assert_eq!(cert(CertificateAttribute::Subject), s("C=US, O=Shakedown, CN=localhost"));
        assert_eq!(cert(CertificateAttribute::Issuer), s("C=US, O=Shakedown, CN=localhost"));
        assert_eq!(cert(CertificateAttribute::StartDate), date(2026, 12, 1));
        assert_eq!(cert(CertificateAttribute::ExpireDate), date(2036, 11, 28));
        assert_eq!(
            cert(CertificateAttribute::SerialNumber),
            s("1e:e8:b1:7f:1b:64:d8:d6:b3:de:87:01:03:d2:a4:f5:33:53:5a:b0")
        );
        assert_eq!(
            cert(CertificateAttribute::SubjectAltName),
            s("DNS:localhost, IP Address:127.0.0.1")
        );
        let Value::String(pem) = cert(CertificateAttribute::Value) else { panic!() };
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\nMIIB2jCCAYGgAwIBAgIUHuixfxtk"));
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
    }

    const TEST_CERT: &str = "MIIB2jCCAYGgAwIBAgIUHuixfxtk2Naz3ocBA9Kk9TNTWrAwCgYIKoZIzj0EAwIwNTELMAkGA1UEBhMCVVMxEjAQBgNVBAoMCVNoYWtlZG93bjESMBAGA1UEAwwJbG9jYWxob3N0MB4XDTI2MTIwMTE4MzM1N1oXDTM2MTEyODE4MzM1N1owNTELMAkGA1UEBhMCVVMxEjAQBgNVBAoMCVNoYWtlZG93bjESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXQzO7kBn5kwiQHQ39gm5gOkmlHb/aWSYECxiald7rrkFIhgyn448DsxA87+S2WuhAYDvAp/0sW7TlOvH/T2N6aNvMG0wHQYDVR0OBBYEFBdHx2yMbyso68N2nnPyc6sKbCwEMB8GA1UdIwQYMBaAFBdHx2yMbyso68N2nnPyc6sKbCwEMA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYIJbG9jYWxob3N0hwR/AAABMAoGCCqGSM49BAMCA0cAMEQCIB7eYVNLfKIXUdDLCvsh7g+Z4y7zcOqUEI8T/djZsWzJAiB3UqjpIqPm1A16xGFf8sD/RjhUTf9pzcH7Ec8qAKe27g==";
}
