//! The filters of Hurl 8.1: value transformations chained after a query.
//!
//! [`apply_filters`] runs them in order. A filter that gets no value fails; a
//! filter that finds nothing (`jsonpath`, `regex`, `urlQueryParam` without a
//! match) gives no value, which only `exists` accepts. Semantics follow
//! <https://hurl.dev/docs/filters.html>.

use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::runner::body::decode_text;
use crate::runner::error::{EvalError, EvalErrorKind};
use crate::runner::query::{compile_regex, eval_jsonpath, first_capture, parse_jsonpath};
use crate::runner::template::render;
use crate::runner::value::Value;
use crate::runner::variables::Variables;
use crate::runner::xpath::Document;
use crate::scenario::ast::{Filter, FilterKind, Span};

/// What `urlEncode` leaves alone besides letters and digits (as Hurl: `/` stays).
const URL_ENCODE_SET: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// Applies filters in order to a query's value.
pub fn apply_filters(
    filters: &[Filter],
    value: Option<Value>,
    variables: &Variables,
) -> Result<Option<Value>, EvalError> {
    let mut value = value;
    for filter in filters {
        let Some(input) = value else {
            return Err(EvalError::new(
                EvalErrorKind::FilterMissingInput(filter.kind.keyword()),
                filter.span,
            ));
        };
        value = apply_filter(filter, input, variables)?;
    }
    Ok(value)
}

/// Applies one filter to a value.
pub fn apply_filter(
    filter: &Filter,
    input: Value,
    variables: &Variables,
) -> Result<Option<Value>, EvalError> {
    let span = filter.span;
    let keyword = filter.kind.keyword();
    let invalid = |v: &Value| {
        EvalError::new(EvalErrorKind::FilterInvalidInput { filter: keyword, input: v.repr() }, span)
    };
    let cannot = |v: &Value| {
        EvalError::new(EvalErrorKind::FilterConversion { filter: keyword, input: v.repr() }, span)
    };
    let out = match (&filter.kind, &input) {
        (FilterKind::Count, Value::List(items)) => Value::Integer(len(items.len())),
        (FilterKind::Count, Value::Nodeset(n)) => Value::Integer(len(*n)),
        (FilterKind::Count, Value::Bytes(b)) => Value::Integer(len(b.len())),
        (FilterKind::Nth { index }, Value::List(items)) => {
            let size = items.len();
            let i =
                if *index < 0 { i64::try_from(size).unwrap_or(i64::MAX) + index } else { *index };
            usize::try_from(i).ok().and_then(|i| items.get(i)).cloned().ok_or_else(|| {
                EvalError::new(EvalErrorKind::IndexOutOfBounds { index: *index, size }, span)
            })?
        }
        (FilterKind::First, Value::List(items)) => items
            .first()
            .cloned()
            .ok_or_else(|| EvalError::new(EvalErrorKind::EmptyList("first"), span))?,
        (FilterKind::Last, Value::List(items)) => items
            .last()
            .cloned()
            .ok_or_else(|| EvalError::new(EvalErrorKind::EmptyList("last"), span))?,
        (FilterKind::Jsonpath { expr }, _) => {
            let json = match &input {
                Value::String(text) => serde_json::from_str(text)
                    .map_err(|_| EvalError::new(EvalErrorKind::InvalidJson, span))?,
                Value::List(_) | Value::Object(_) => {
                    input.to_json().ok_or_else(|| invalid(&input))?
                }
                _ => return Err(invalid(&input)),
            };
            let text = render(expr, variables)?;
            let path = parse_jsonpath(&text, expr.span)?;
            return Ok(eval_jsonpath(&path, &json, true));
        }
        (FilterKind::Xpath { expr }, Value::String(text)) => {
            let expr_text = render(expr, variables)?;
            let doc = Document::parse_html(text)?;
            doc.eval(&expr_text).map_err(|mut e| {
                e.span = expr.span;
                e
            })?
        }
        (FilterKind::Regex { pattern }, Value::String(text)) => {
            let re = compile_regex(pattern, variables)?;
            return Ok(first_capture(&re, text));
        }
        (FilterKind::Replace { old, new }, Value::String(text)) => {
            let old = render(old, variables)?;
            let new = render(new, variables)?;
            Value::String(text.replace(&old, &new))
        }
        (FilterKind::ReplaceRegex { pattern, new }, Value::String(text)) => {
            let re = compile_regex(pattern, variables)?;
            let new = render(new, variables)?;
            Value::String(re.replace_all(text, new.as_str()).into_owned())
        }
        (FilterKind::Split { separator }, Value::String(text)) => {
            let separator = render(separator, variables)?;
            Value::List(
                text.split(separator.as_str()).map(|s| Value::String(s.to_owned())).collect(),
            )
        }
        (FilterKind::ToInt, Value::Integer(_) | Value::BigInteger(_)) => input,
        (FilterKind::ToInt, Value::Float(f)) => {
            if f.is_finite() && f.abs() < 9.2e18 {
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "toInt truncates, and the range is checked"
                )]
                let i = f.trunc() as i64;
                Value::Integer(i)
            } else {
                return Err(cannot(&input));
            }
        }
        (FilterKind::ToInt, Value::String(s)) => {
            Value::Integer(s.parse::<i64>().map_err(|_| cannot(&input))?)
        }
        (FilterKind::ToFloat, Value::Float(_)) => input,
        (FilterKind::ToFloat, Value::Integer(i)) => {
            #[expect(
                clippy::cast_precision_loss,
                reason = "toFloat converts as Hurl does, losing precision past 2^53"
            )]
            let f = *i as f64;
            Value::Float(f)
        }
        (FilterKind::ToFloat, Value::String(s) | Value::BigInteger(s)) => {
            let f = s.trim().parse::<f64>().map_err(|_| cannot(&input))?;
            if f.is_finite() { Value::Float(f) } else { return Err(cannot(&input)) }
        }
        (FilterKind::ToString, Value::String(_)) => input,
        (FilterKind::ToString, _) => Value::String(input.render().ok_or_else(|| cannot(&input))?),
        (FilterKind::ToHex, Value::Bytes(b)) => Value::String(hex::encode(b)),
        (FilterKind::ToDate { format }, Value::String(text)) => {
            let format = render(format, variables)?;
            Value::Date(parse_date(text, &format).ok_or_else(|| cannot(&input))?)
        }
        (FilterKind::DateFormat { format }, Value::Date(date)) => {
            let format_text = render(format, variables)?;
            Value::String(format_date(date, &format_text, format.span)?)
        }
        (FilterKind::DaysAfterNow, Value::Date(date)) => {
            Value::Integer((*date - Utc::now()).num_days())
        }
        (FilterKind::DaysBeforeNow, Value::Date(date)) => {
            Value::Integer((Utc::now() - *date).num_days())
        }
        (FilterKind::Base64Decode, Value::String(text)) => {
            Value::Bytes(base64_decode(text, false).ok_or_else(|| cannot(&input))?)
        }
        (FilterKind::Base64UrlSafeDecode, Value::String(text)) => {
            Value::Bytes(base64_decode(text, true).ok_or_else(|| cannot(&input))?)
        }
        (FilterKind::Base64Encode, Value::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (FilterKind::Base64UrlSafeEncode, Value::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
        }
        (FilterKind::UrlEncode, Value::String(text)) => {
            Value::String(percent_encoding::utf8_percent_encode(text, URL_ENCODE_SET).to_string())
        }
        (FilterKind::UrlDecode, Value::String(text)) => Value::String(
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map_err(|_| cannot(&input))?
                .into_owned(),
        ),
        (FilterKind::UrlQueryParam { param }, Value::String(text)) => {
            let param = render(param, variables)?;
            // As Hurl, only absolute http(s) URLs (`localhost:8000/x` would parse with scheme `localhost`).
            let url = url::Url::parse(text)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| invalid(&input))?;
            return Ok(url
                .query_pairs()
                .find(|(k, _)| *k == param)
                .map(|(_, v)| Value::String(v.into_owned())));
        }
        (FilterKind::HtmlEscape, Value::String(text)) => Value::String(html_escape(text)),
        (FilterKind::HtmlUnescape, Value::String(text)) => Value::String(html_unescape(text)),
        (FilterKind::Utf8Decode, Value::Bytes(b)) => {
            Value::String(String::from_utf8(b.clone()).map_err(|_| cannot(&input))?)
        }
        (FilterKind::Utf8Encode, Value::String(text)) => Value::Bytes(text.as_bytes().to_vec()),
        (FilterKind::CharsetDecode { encoding }, Value::Bytes(b)) => {
            let label = render(encoding, variables)?;
            let text = decode_text(b, &label).map_err(|mut e| {
                e.span = encoding.span;
                e
            })?;
            Value::String(text)
        }
        (FilterKind::Location, Value::Object(members)) => members
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| invalid(&input))?,
        _ => return Err(invalid(&input)),
    };
    Ok(Some(out))
}

fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Parses a date with a strftime format, as UTC. As in Hurl, a parsed offset (`%z`) is
/// ignored: the wall-clock time is taken as UTC. A date-only format gives midnight UTC
/// (where Hurl fails).
fn parse_date(text: &str, format: &str) -> Option<DateTime<Utc>> {
    // A format that reads an offset gives that instant in UTC, as Hurl 8 does
    // (checked against hurl 8.0.1: `"2024-03-15T12:30:00+02:00" toDate "%+"` is 10:30 UTC).
    if let Ok(date) = DateTime::parse_from_str(text, format) {
        return Some(date.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
        return Some(naive.and_utc());
    }
    NaiveDate::parse_from_str(text, format).ok()?.and_hms_opt(0, 0, 0).map(|n| n.and_utc())
}

/// Formats a date with a strftime format, rejecting formats chrono cannot render
/// (chrono's `Display` would panic on them).
fn format_date(date: &DateTime<Utc>, format: &str, span: Span) -> Result<String, EvalError> {
    use chrono::format::{Item, StrftimeItems};
    use std::fmt::Write;
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(EvalError::new(EvalErrorKind::InvalidDateFormat(format.to_owned()), span));
    }
    let mut out = String::new();
    write!(out, "{}", date.format_with_items(items.into_iter()))
        .map_err(|_| EvalError::new(EvalErrorKind::InvalidDateFormat(format.to_owned()), span))?;
    Ok(out)
}

/// Decodes base64 with or without padding (standard or URL-safe alphabet).
fn base64_decode(text: &str, url_safe: bool) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if url_safe { &base64::alphabet::URL_SAFE } else { &base64::alphabet::STANDARD };
    GeneralPurpose::new(alphabet, config).decode(text.trim()).ok()
}

/// Escapes `&`, `<`, `>`, `"` and `'` (Python's `html.escape`, as Hurl).
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Replaces HTML5 named and numeric character references by their characters.
fn html_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match decode_reference(rest) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes one reference at the start of `s` (which starts with `&`): (text, bytes used).
fn decode_reference(s: &str) -> Option<(String, usize)> {
    let body = s.get(1..)?;
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, prefix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let end = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
        if end == 0 {
            return None;
        }
        let code = u32::from_str_radix(&digits[..end], radix).ok()?;
        let c = char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{FFFD}');
        let semicolon = usize::from(digits[end..].starts_with(';'));
        return Some((c.to_string(), 1 + prefix + end + semicolon));
    }
    // Longest named reference first (`&notin;` before `&not`).
    let end = body.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(body.len());
    let with_semicolon = body[end..].starts_with(';');
    let mut len = end;
    while len > 0 {
        let candidate = if len == end && with_semicolon {
            format!("{};", &body[..len])
        } else {
            body[..len].to_owned()
        };
        // The table also lists every prefix of a name, mapped to (0, 0).
        if let Some(&(a, b)) = html5ever::data::NAMED_ENTITIES.get(candidate.as_str())
            && a != 0
        {
            let mut decoded = String::new();
            decoded.extend(char::from_u32(a));
            if b != 0 {
                decoded.extend(char::from_u32(b));
            }
            return Some((decoded, 1 + candidate.len()));
        }
        len -= 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::runner::test_support::{filter, regex_lit, tpl};
    use crate::scenario::ast::RegexValue;

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    fn list(items: &[Value]) -> Value {
        Value::List(items.to_vec())
    }

    fn run(kind: FilterKind, input: Value) -> Result<Option<Value>, String> {
        apply_filters(&[filter(kind)], Some(input), &Variables::new()).map_err(|e| e.to_string())
    }

    fn ok(v: Value) -> Result<Option<Value>, String> {
        Ok(Some(v))
    }

    fn date(y: i32, m: u32, d: u32, h: u32, mi: u32, sec: u32) -> Value {
        Value::Date(Utc.with_ymd_and_hms(y, m, d, h, mi, sec).unwrap())
    }

    #[test]
    fn collection_filters() {
        let l = list(&[s("a"), s("b"), s("c")]);
        let cases = [
            (FilterKind::Count, l.clone(), ok(Value::Integer(3))),
            (FilterKind::Count, Value::Nodeset(2), ok(Value::Integer(2))),
            (FilterKind::Count, Value::Bytes(vec![1, 2, 3, 4]), ok(Value::Integer(4))),
            (
                FilterKind::Count,
                Value::Integer(1),
                Err("filter `count` got invalid input integer <1>".into()),
            ),
            (FilterKind::Nth { index: 1 }, l.clone(), ok(s("b"))),
            (FilterKind::Nth { index: -1 }, l.clone(), ok(s("c"))),
            (FilterKind::Nth { index: -3 }, l.clone(), ok(s("a"))),
            (
                FilterKind::Nth { index: 3 },
                l.clone(),
                Err("filter `nth` index 3 is out of bounds (size is 3)".into()),
            ),
            (
                FilterKind::Nth { index: -4 },
                l.clone(),
                Err("filter `nth` index -4 is out of bounds (size is 3)".into()),
            ),
            (FilterKind::First, l.clone(), ok(s("a"))),
            (FilterKind::First, list(&[]), Err("filter `first` got an empty list".into())),
            (FilterKind::Last, l.clone(), ok(s("c"))),
            (
                FilterKind::Last,
                s("abc"),
                Err("filter `last` got invalid input string <abc>".into()),
            ),
        ];
        for (kind, input, expected) in cases {
            assert_eq!(run(kind.clone(), input), expected, "{kind:?}");
        }
    }

    #[test]
    fn extraction_filters() {
        let json = s(r#"{"id":"123","items":[1,2]}"#);
        let cases = [
            (FilterKind::Jsonpath { expr: tpl("$.id") }, json.clone(), ok(s("123"))),
            (
                FilterKind::Jsonpath { expr: tpl("$.items") },
                json.clone(),
                ok(list(&[Value::Integer(1), Value::Integer(2)])),
            ),
            (FilterKind::Jsonpath { expr: tpl("$.nope") }, json.clone(), Ok(None)),
            (
                FilterKind::Jsonpath { expr: tpl("$.a") },
                s("not json"),
                Err("invalid JSON body".into()),
            ),
            (
                FilterKind::Xpath { expr: tpl("string(//a/@href)") },
                s(r#"<p><a href="/x">x</a></p>"#),
                ok(s("/x")),
            ),
            (
                FilterKind::Xpath { expr: tpl("???") },
                s("<p/>"),
                Err("xpath expression is invalid".into()),
            ),
            (FilterKind::Xpath { expr: tpl("//p") }, s(""), Err("invalid XML body".into())),
            (
                FilterKind::Xpath { expr: tpl("//p") },
                Value::Bytes(vec![1]),
                Err("filter `xpath` got invalid input bytes <01>".into()),
            ),
            (FilterKind::Regex { pattern: regex_lit(r"id=(\d+)") }, s("user id=42"), ok(s("42"))),
            (
                // No capture group: no value, as in Hurl.
                FilterKind::Regex { pattern: RegexValue::Template(tpl(r"\d+")) },
                s("user 42"),
                Ok(None),
            ),
            (FilterKind::Regex { pattern: regex_lit(r"(\d+)") }, s("none"), Ok(None)),
            (
                FilterKind::Regex { pattern: regex_lit(r"(\d+)") },
                Value::Integer(1),
                Err("filter `regex` got invalid input integer <1>".into()),
            ),
            (
                FilterKind::UrlQueryParam { param: tpl("x") },
                s("https://example.org?x=%C3%A9&y=2"),
                ok(s("é")),
            ),
            (FilterKind::UrlQueryParam { param: tpl("z") }, s("https://example.org?x=1"), Ok(None)),
            (
                FilterKind::UrlQueryParam { param: tpl("z") },
                s("not a url"),
                Err("filter `urlQueryParam` got invalid input string <not a url>".into()),
            ),
            (
                FilterKind::UrlQueryParam { param: tpl("text") },
                s("localhost:8000/api?text=1"),
                Err("filter `urlQueryParam` got invalid input string <localhost:8000/api?text=1>"
                    .into()),
            ),
            (
                FilterKind::UrlQueryParam { param: tpl("text") },
                s("http://localhost:8000/api/v1/doc?text=你好世界"),
                ok(s("你好世界")),
            ),
            (
                FilterKind::Location,
                Value::Object(vec![
                    ("location".into(), s("http://x/1")),
                    ("status".into(), Value::Integer(301)),
                ]),
                ok(s("http://x/1")),
            ),
            (
                FilterKind::Location,
                s("x"),
                Err("filter `location` got invalid input string <x>".into()),
            ),
        ];
        for (kind, input, expected) in cases {
            assert_eq!(run(kind.clone(), input), expected, "{kind:?}");
        }
    }

    #[test]
    fn string_filters() {
        let cases = [
            (FilterKind::Replace { old: tpl("\\"), new: tpl("/") }, s(r"C:\a\b"), ok(s("C:/a/b"))),
            (
                FilterKind::Replace { old: tpl("a"), new: tpl("b") },
                Value::Integer(1),
                Err("filter `replace` got invalid input integer <1>".into()),
            ),
            (
                FilterKind::ReplaceRegex { pattern: regex_lit(r"\s+"), new: tpl("-") },
                s("a  b c"),
                ok(s("a-b-c")),
            ),
            (
                FilterKind::ReplaceRegex {
                    pattern: regex_lit(r"(\w+)@(\w+)"),
                    new: tpl("$2 at $1"),
                },
                s("bob@host"),
                ok(s("host at bob")),
            ),
            (
                FilterKind::ReplaceRegex { pattern: regex_lit("("), new: tpl("") },
                s("x"),
                Err("invalid regex `(`".into()),
            ),
            (
                FilterKind::Split { separator: tpl(", ") },
                s("a, b, c"),
                ok(list(&[s("a"), s("b"), s("c")])),
            ),
            (
                FilterKind::Split { separator: tpl(",") },
                Value::Bool(true),
                Err("filter `split` got invalid input boolean <true>".into()),
            ),
            (
                FilterKind::HtmlEscape,
                s(r#"a > b & "c" 'd'"#),
                ok(s("a &gt; b &amp; &quot;c&quot; &#x27;d&#x27;")),
            ),
            (
                FilterKind::HtmlEscape,
                Value::Integer(1),
                Err("filter `htmlEscape` got invalid input integer <1>".into()),
            ),
            (
                FilterKind::HtmlUnescape,
                s("a &gt; b &amp;&amp; &quot;c&quot; &#x27;d&#39; &eacute;&notin;&not &unknown; &"),
                ok(s("a > b && \"c\" 'd' é∉¬ &unknown; &")),
            ),
            (
                FilterKind::HtmlUnescape,
                Value::Null,
                Err("filter `htmlUnescape` got invalid input null <null>".into()),
            ),
            (
                FilterKind::UrlEncode,
                s("https://mozilla.org/?x=шеллы"),
                ok(s("https%3A//mozilla.org/%3Fx%3D%D1%88%D0%B5%D0%BB%D0%BB%D1%8B")),
            ),
            (
                FilterKind::UrlEncode,
                Value::Integer(1),
                Err("filter `urlEncode` got invalid input integer <1>".into()),
            ),
            (
                FilterKind::UrlDecode,
                s("https://mozilla.org/?x=%D1%88%D0%B5%D0%BB%D0%BB%D1%8B"),
                ok(s("https://mozilla.org/?x=шеллы")),
            ),
            (
                FilterKind::UrlDecode,
                s("%FF"),
                Err("filter `urlDecode` cannot convert string <%FF>".into()),
            ),
        ];
        for (kind, input, expected) in cases {
            assert_eq!(run(kind.clone(), input), expected, "{kind:?}");
        }
    }

    #[test]
    fn conversion_filters() {
        let cases = [
            (FilterKind::ToInt, s("123"), ok(Value::Integer(123))),
            (FilterKind::ToInt, s("-7"), ok(Value::Integer(-7))),
            (FilterKind::ToInt, Value::Float(3.9), ok(Value::Integer(3))),
            (FilterKind::ToInt, Value::Integer(5), ok(Value::Integer(5))),
            (FilterKind::ToInt, s("abc"), Err("filter `toInt` cannot convert string <abc>".into())),
            (
                FilterKind::ToInt,
                Value::Bool(true),
                Err("filter `toInt` got invalid input boolean <true>".into()),
            ),
            (FilterKind::ToFloat, s("1.5"), ok(Value::Float(1.5))),
            (FilterKind::ToFloat, Value::Integer(2), ok(Value::Float(2.0))),
            (FilterKind::ToFloat, s("x"), Err("filter `toFloat` cannot convert string <x>".into())),
            (FilterKind::ToString, Value::Integer(42), ok(s("42"))),
            (FilterKind::ToString, Value::Float(1.0), ok(s("1.0"))),
            (FilterKind::ToString, Value::Bool(false), ok(s("false"))),
            (
                FilterKind::ToString,
                list(&[]),
                Err("filter `toString` cannot convert list <[]>".into()),
            ),
            (FilterKind::ToHex, Value::Bytes(vec![0xc4, 0xe3, 0xba]), ok(s("c4e3ba"))),
            (FilterKind::ToHex, s("x"), Err("filter `toHex` got invalid input string <x>".into())),
            (FilterKind::Base64Decode, s("YXBwbGU="), ok(Value::Bytes(b"apple".to_vec()))),
            (FilterKind::Base64Decode, s("YXBwbGU"), ok(Value::Bytes(b"apple".to_vec()))),
            (
                FilterKind::Base64Decode,
                s("!!"),
                Err("filter `base64Decode` cannot convert string <!!>".into()),
            ),
            (FilterKind::Base64Encode, Value::Bytes(b"apple".to_vec()), ok(s("YXBwbGU="))),
            (
                FilterKind::Base64Encode,
                Value::Integer(1),
                Err("filter `base64Encode` got invalid input integer <1>".into()),
            ),
            (
                FilterKind::Base64UrlSafeDecode,
                s("4pyTIMOgIGxhIG1vZGU"),
                ok(Value::Bytes("✓ à la mode".as_bytes().to_vec())),
            ),
            (
                FilterKind::Base64UrlSafeDecode,
                s("+/"),
                Err("filter `base64UrlSafeDecode` cannot convert string <+/>".into()),
            ),
            (
                FilterKind::Base64UrlSafeEncode,
                Value::Bytes("✓ à la mode".as_bytes().to_vec()),
                ok(s("4pyTIMOgIGxhIG1vZGU")),
            ),
            (
                FilterKind::Base64UrlSafeEncode,
                s("x"),
                Err("filter `base64UrlSafeEncode` got invalid input string <x>".into()),
            ),
            (FilterKind::Utf8Decode, Value::Bytes(vec![0xf0, 0x9f, 0x91, 0x8b]), ok(s("👋"))),
            (
                FilterKind::Utf8Decode,
                Value::Bytes(vec![0xff]),
                Err("filter `utf8Decode` cannot convert bytes <ff>".into()),
            ),
            (FilterKind::Utf8Encode, s("👋"), ok(Value::Bytes(vec![0xf0, 0x9f, 0x91, 0x8b]))),
            (
                FilterKind::Utf8Encode,
                Value::Integer(1),
                Err("filter `utf8Encode` got invalid input integer <1>".into()),
            ),
            (
                FilterKind::CharsetDecode { encoding: tpl("gb2312") },
                Value::Bytes(vec![0xc4, 0xe3, 0xba, 0xc3]),
                ok(s("你好")),
            ),
            (
                FilterKind::CharsetDecode { encoding: tpl("nope") },
                Value::Bytes(vec![1]),
                Err("invalid charset `nope`".into()),
            ),
        ];
        for (kind, input, expected) in cases {
            assert_eq!(run(kind.clone(), input), expected, "{kind:?}");
        }
    }

    #[test]
    fn date_filters() {
        let cases = [
            (
                FilterKind::ToDate { format: tpl("%Y-%m-%dT%H:%M:%S%.fZ") },
                s("2023-01-23T18:25:43.511Z"),
                ok(Value::Date(
                    Utc.with_ymd_and_hms(2023, 1, 23, 18, 25, 43).unwrap()
                        + chrono::Duration::milliseconds(511),
                )),
            ),
            (
                FilterKind::ToDate { format: tpl("%a, %d %b %Y %H:%M:%S GMT") },
                s("Wed, 13 Jan 2021 22:23:01 GMT"),
                ok(date(2021, 1, 13, 22, 23, 1)),
            ),
            (
                FilterKind::ToDate { format: tpl("%Y-%m-%d") },
                s("2023-01-23"),
                ok(date(2023, 1, 23, 0, 0, 0)),
            ),
            (
                FilterKind::ToDate { format: tpl("%Y-%m-%dT%H:%M:%S%z") },
                s("2023-01-23T20:25:43+0200"),
                // The offset is applied: the date is the instant in UTC, as in Hurl 8.
                ok(date(2023, 1, 23, 18, 25, 43)),
            ),
            (
                FilterKind::ToDate { format: tpl("%Y-%m-%d") },
                s("23/01/2023"),
                Err("filter `toDate` cannot convert string <23/01/2023>".into()),
            ),
            (
                FilterKind::DateFormat { format: tpl("%A") },
                date(2021, 1, 13, 22, 23, 1),
                ok(s("Wednesday")),
            ),
            (
                FilterKind::DateFormat { format: tpl("%Y-%m-%d %H:%M") },
                date(2021, 1, 13, 22, 23, 1),
                ok(s("2021-01-13 22:23")),
            ),
            (
                FilterKind::DateFormat { format: tpl("%Q") },
                date(2021, 1, 13, 22, 23, 1),
                Err("invalid date format `%Q`".into()),
            ),
            (
                FilterKind::DateFormat { format: tpl("%A") },
                s("2021"),
                Err("filter `dateFormat` got invalid input string <2021>".into()),
            ),
            (
                FilterKind::DaysAfterNow,
                Value::Date(Utc::now() + chrono::Duration::days(30) + chrono::Duration::hours(1)),
                ok(Value::Integer(30)),
            ),
            (
                FilterKind::DaysAfterNow,
                s("x"),
                Err("filter `daysAfterNow` got invalid input string <x>".into()),
            ),
            (
                FilterKind::DaysBeforeNow,
                Value::Date(Utc::now() - chrono::Duration::days(5) - chrono::Duration::hours(1)),
                ok(Value::Integer(5)),
            ),
            (
                FilterKind::DaysBeforeNow,
                Value::Integer(1),
                Err("filter `daysBeforeNow` got invalid input integer <1>".into()),
            ),
        ];
        for (kind, input, expected) in cases {
            assert_eq!(run(kind.clone(), input), expected, "{kind:?}");
        }
    }

    #[test]
    fn chains_and_missing_input() {
        let filters = [
            filter(FilterKind::Split { separator: tpl(",") }),
            filter(FilterKind::Nth { index: 1 }),
            filter(FilterKind::ToInt),
        ];
        let out = apply_filters(&filters, Some(s("1,22,3")), &Variables::new());
        assert_eq!(out, Ok(Some(Value::Integer(22))));
        let err = apply_filters(&filters, None, &Variables::new()).unwrap_err();
        assert_eq!(err.to_string(), "filter `split` has no input");
        assert_eq!(apply_filters(&[], None, &Variables::new()), Ok(None));
    }

    proptest::proptest! {
        #[test]
        fn html_unescape_never_panics(text in "(&|#|x|[a-zA-Z0-9]|;|é|\\PC){0,24}") {
            let _ = html_unescape(&text);
        }
    }
}
