//! Queries, filters, predicates and predicate values: the parts of captures and asserts.

use crate::scenario::ast::{
    BytesLiteral, CertificateAttribute, CookieAttribute, CookiePath, FILTER_NAMES, Filter,
    FilterKind, FloatLiteral, PREDICATE_NAMES, Predicate, PredicateFunc, PredicateValue,
    QUERY_NAMES, Query, QueryKind, RegexValue, Span, Spanned, Template, TemplateElement,
};
use crate::scenario::diagnostic::ParseDiagnostic;
use crate::scenario::did_you_mean::did_you_mean;
use crate::scenario::parse::cursor::{PResult, Parser};
use crate::scenario::parse::strings::StrKind;

const CERTIFICATE_ATTRIBUTES: [&str; 7] = [
    "Subject",
    "Issuer",
    "Start-Date",
    "Expire-Date",
    "Serial-Number",
    "Subject-Alt-Name",
    "Value",
];

const COOKIE_ATTRIBUTES: [&str; 8] =
    ["Value", "Expires", "Max-Age", "Domain", "Path", "Secure", "HttpOnly", "SameSite"];

fn unknown(what: &str, name: &str, span: Span, candidates: &[&str]) -> ParseDiagnostic {
    let diag =
        ParseDiagnostic::new(format!("invalid {what}"), span, format!("unknown {what} `{name}`"));
    match did_you_mean(name, candidates) {
        Some(suggestion) => diag.with_help(format!("did you mean `{suggestion}`?")),
        None => diag.with_help(format!("valid {what} names are: {}", candidates.join(", "))),
    }
}

/// The span of a predicate value.
fn value_span(value: &PredicateValue) -> Span {
    match value {
        PredicateValue::String(t) => t.span,
        PredicateValue::MultilineString(m) => m.span,
        PredicateValue::Integer(v) => v.span,
        PredicateValue::BigInteger(v) => v.span,
        PredicateValue::Float(v) => v.span,
        PredicateValue::Bool(v) => v.span,
        PredicateValue::Null(span) => *span,
        PredicateValue::Bytes(BytesLiteral::Base64(b) | BytesLiteral::Hex(b)) => b.span,
        PredicateValue::Bytes(BytesLiteral::File(t)) => t.span,
        PredicateValue::Placeholder(p) => p.span,
        PredicateValue::Regex(r) => r.span,
    }
}

/// Rejects operands a predicate cannot take (the grammar types them per predicate).
fn check_operand(name: &str, value: &PredicateValue) -> PResult<()> {
    use PredicateValue as V;
    let (ok, expected) = match name {
        "startsWith" | "endsWith" => (
            matches!(
                value,
                V::String(_)
                    | V::MultilineString(_)
                    | V::Placeholder(_)
                    | V::Bytes(BytesLiteral::Hex(_) | BytesLiteral::Base64(_))
            ),
            "a string, hex,…; or base64,…;",
        ),
        "matches" => (
            matches!(value, V::String(_) | V::Regex(_) | V::Placeholder(_)),
            "a string or a /regex/",
        ),
        ">" | ">=" | "<" | "<=" => (
            matches!(
                value,
                V::Integer(_) | V::BigInteger(_) | V::Float(_) | V::String(_) | V::Placeholder(_)
            ),
            "a number or a string",
        ),
        _ => (
            !matches!(value, V::Regex(_)),
            "a value that is not a regex (regexes go with `matches`)",
        ),
    };
    if ok {
        return Ok(());
    }
    Err(ParseDiagnostic::new(
        "invalid predicate value",
        value_span(value),
        format!("`{name}` expects {expected}"),
    ))
}

impl<'a> Parser<'a> {
    /// A keyword at the cursor: letters and digits, or a run of comparison symbols.
    fn keyword(&mut self) -> (&'a str, Span) {
        if matches!(self.peek_byte(), Some(b'=' | b'!' | b'<' | b'>')) {
            self.read_while_ascii(|b| matches!(b, b'=' | b'!' | b'<' | b'>'))
        } else {
            self.read_while_ascii(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
    }

    /// One or more spaces, required before an argument.
    fn require_sp(&mut self, what: &str) -> PResult<()> {
        if self.skip_sp() == 0 {
            return Err(ParseDiagnostic::new(
                format!("missing {what}"),
                self.char_span(self.pos),
                format!("expected a space and {what}"),
            ));
        }
        Ok(())
    }

    fn quoted_arg(&mut self, what: &str) -> PResult<Template> {
        self.require_sp(what)?;
        if self.peek() != Some('"') {
            return Err(ParseDiagnostic::new(
                format!("missing {what}"),
                self.char_span(self.pos),
                "expected a quoted string",
            )
            .with_help(format!("write {what} in double quotes")));
        }
        self.template(StrKind::Quoted)
    }

    /// A query, from its keyword to the end of its argument.
    pub(super) fn query(&mut self) -> PResult<Query> {
        let start = self.pos;
        let (name, name_span) = self.keyword();
        let kind = match name {
            "status" => QueryKind::Status,
            "version" => QueryKind::Version,
            "url" => QueryKind::Url,
            "ip" => QueryKind::Ip,
            "body" => QueryKind::Body,
            "duration" => QueryKind::Duration,
            "bytes" => QueryKind::Bytes,
            "rawbytes" => QueryKind::RawBytes,
            "sha256" => QueryKind::Sha256,
            "md5" => QueryKind::Md5,
            "redirects" => QueryKind::Redirects,
            "header" => QueryKind::Header(self.quoted_arg("a header name")?),
            "cookie" => QueryKind::Cookie(self.cookie_path()?),
            "xpath" => QueryKind::Xpath(self.quoted_arg("an XPath expression")?),
            "jsonpath" => QueryKind::Jsonpath(self.quoted_arg("a JSONPath expression")?),
            "regex" => QueryKind::Regex(self.regex_value()?),
            "variable" => QueryKind::Variable(self.quoted_arg("a variable name")?),
            "certificate" => QueryKind::Certificate(self.certificate_attribute()?),
            _ => {
                let span = if name.is_empty() { self.rest_of_line_span(start) } else { name_span };
                return Err(unknown("query", name, span, &QUERY_NAMES));
            }
        };
        Ok(Query { kind, span: Span::new(start, self.pos) })
    }

    fn certificate_attribute(&mut self) -> PResult<CertificateAttribute> {
        let value = self.quoted_arg("a certificate attribute")?;
        let text = value.as_literal().unwrap_or_default();
        let attribute = match text.as_str() {
            "Subject" => CertificateAttribute::Subject,
            "Issuer" => CertificateAttribute::Issuer,
            "Start-Date" => CertificateAttribute::StartDate,
            "Expire-Date" => CertificateAttribute::ExpireDate,
            "Serial-Number" => CertificateAttribute::SerialNumber,
            "Subject-Alt-Name" => CertificateAttribute::SubjectAltName,
            "Value" => CertificateAttribute::Value,
            _ => {
                return Err(unknown(
                    "certificate attribute",
                    &text,
                    value.span,
                    &CERTIFICATE_ATTRIBUTES,
                ));
            }
        };
        Ok(attribute)
    }

    /// `"name[Attribute]"`: the attribute is split off the end of the quoted template.
    fn cookie_path(&mut self) -> PResult<CookiePath> {
        let mut name = self.quoted_arg("a cookie name")?;
        let Some(TemplateElement::Literal(last)) = name.elements.last_mut() else {
            return Ok(CookiePath { name, attribute: None });
        };
        if !last.ends_with(']') {
            return Ok(CookiePath { name, attribute: None });
        }
        let Some(open) = last.rfind('[') else { return Ok(CookiePath { name, attribute: None }) };
        let attribute_text = last.get(open + 1..last.len() - 1).unwrap_or("").to_owned();
        // The literal text has no escapes in practice; locate the attribute in the source.
        let close_quote = name.span.end.saturating_sub(1);
        let attr_end = close_quote.saturating_sub(1);
        let attr_start = attr_end.saturating_sub(attribute_text.len());
        let attr_span = match self.src.get(attr_start..attr_end) {
            Some(text) if text == attribute_text => Span::new(attr_start, attr_end),
            _ => name.span,
        };
        // Attribute names are case-insensitive, as in Hurl (and in Set-Cookie).
        let attribute = match attribute_text.to_ascii_lowercase().as_str() {
            "value" => CookieAttribute::Value,
            "expires" => CookieAttribute::Expires,
            "max-age" => CookieAttribute::MaxAge,
            "domain" => CookieAttribute::Domain,
            "path" => CookieAttribute::Path,
            "secure" => CookieAttribute::Secure,
            "httponly" => CookieAttribute::HttpOnly,
            "samesite" => CookieAttribute::SameSite,
            _ => {
                return Err(unknown(
                    "cookie attribute",
                    &attribute_text,
                    attr_span,
                    &COOKIE_ATTRIBUTES,
                ));
            }
        };
        last.truncate(open);
        if last.is_empty() {
            name.elements.pop();
        }
        Ok(CookiePath { name, attribute: Some(Spanned { value: attribute, span: attr_span }) })
    }

    /// `"..."` or `/.../`, after the required space.
    fn regex_value(&mut self) -> PResult<RegexValue> {
        self.require_sp("a regex")?;
        match self.peek() {
            Some('"') => Ok(RegexValue::Template(self.template(StrKind::Quoted)?)),
            Some('/') => Ok(RegexValue::Literal(self.regex_literal()?)),
            _ => Err(ParseDiagnostic::new(
                "missing regex",
                self.char_span(self.pos),
                "expected `\"` or `/`",
            )
            .with_help("write the pattern as \"...\" or /.../")),
        }
    }

    /// `/pattern/` at the cursor; `\/` becomes `/`, other escapes are kept for the regex engine.
    pub(super) fn regex_literal(&mut self) -> PResult<Spanned<String>> {
        let start = self.pos;
        self.bump();
        let mut pattern = String::new();
        loop {
            if self.at_newline() {
                return Err(ParseDiagnostic::new(
                    "unterminated regex",
                    Span::new(start, self.pos),
                    "missing the closing `/`",
                )
                .with_help("close the regex with `/` on the same line; write `\\/` for a slash"));
            }
            match self.bump() {
                Some('/') => break,
                Some('\\') => {
                    if self.eat("/") {
                        pattern.push('/');
                    } else {
                        pattern.push('\\');
                    }
                }
                Some(c) => pattern.push(c),
                None => break,
            }
        }
        let span = Span::new(start, self.pos);
        if let Err(err) = regex::Regex::new(&pattern) {
            let detail = err.to_string();
            let last = detail.lines().last().unwrap_or("").trim().to_owned();
            return Err(ParseDiagnostic::new("invalid regex", span, last));
        }
        Ok(Spanned { value: pattern, span })
    }

    /// Filters after a query, each preceded by spaces; stops before anything that is not a filter.
    pub(super) fn filters(&mut self) -> PResult<Vec<Filter>> {
        let mut filters = Vec::new();
        loop {
            let save = self.pos;
            if self.skip_sp() == 0 {
                break;
            }
            let mut probe = self.pos;
            while let Some(b) = self.byte_at(probe) {
                if !(b.is_ascii_alphanumeric()) {
                    break;
                }
                probe += 1;
            }
            let word = self.src.get(self.pos..probe).unwrap_or("");
            if !FILTER_NAMES.contains(&word) {
                self.pos = save;
                break;
            }
            filters.push(self.filter()?);
        }
        Ok(filters)
    }

    fn filter(&mut self) -> PResult<Filter> {
        let start = self.pos;
        let (name, name_span) = self.keyword();
        let kind = match name {
            "base64Decode" => FilterKind::Base64Decode,
            "base64Encode" => FilterKind::Base64Encode,
            "base64UrlSafeDecode" => FilterKind::Base64UrlSafeDecode,
            "base64UrlSafeEncode" => FilterKind::Base64UrlSafeEncode,
            "charsetDecode" | "decode" => {
                FilterKind::CharsetDecode { encoding: self.quoted_arg("an encoding")? }
            }
            "count" => FilterKind::Count,
            "dateFormat" | "format" => {
                FilterKind::DateFormat { format: self.quoted_arg("a date format")? }
            }
            "daysAfterNow" => FilterKind::DaysAfterNow,
            "daysBeforeNow" => FilterKind::DaysBeforeNow,
            "first" => FilterKind::First,
            "htmlEscape" => FilterKind::HtmlEscape,
            "htmlUnescape" => FilterKind::HtmlUnescape,
            "jsonpath" => FilterKind::Jsonpath { expr: self.quoted_arg("a JSONPath expression")? },
            "last" => FilterKind::Last,
            "location" => FilterKind::Location,
            "nth" => FilterKind::Nth { index: self.nth_index()? },
            "regex" => FilterKind::Regex { pattern: self.regex_value()? },
            "replace" => {
                let old = self.quoted_arg("the text to replace")?;
                let new = self.quoted_arg("the replacement")?;
                FilterKind::Replace { old, new }
            }
            "replaceRegex" => {
                let pattern = self.regex_value()?;
                let new = self.quoted_arg("the replacement")?;
                FilterKind::ReplaceRegex { pattern, new }
            }
            "split" => FilterKind::Split { separator: self.quoted_arg("a separator")? },
            "toDate" => FilterKind::ToDate { format: self.quoted_arg("a date format")? },
            "toFloat" => FilterKind::ToFloat,
            "toHex" => FilterKind::ToHex,
            "toInt" => FilterKind::ToInt,
            "toString" => FilterKind::ToString,
            "urlDecode" => FilterKind::UrlDecode,
            "urlEncode" => FilterKind::UrlEncode,
            "urlQueryParam" => {
                FilterKind::UrlQueryParam { param: self.quoted_arg("a query parameter name")? }
            }
            "utf8Decode" => FilterKind::Utf8Decode,
            "utf8Encode" => FilterKind::Utf8Encode,
            "xpath" => FilterKind::Xpath { expr: self.quoted_arg("an XPath expression")? },
            _ => return Err(unknown("filter", name, name_span, &FILTER_NAMES)),
        };
        Ok(Filter { kind, span: Span::new(start, self.pos) })
    }

    /// The diagnostic for a word after the filters of a capture that is not a filter.
    pub(super) fn filter_error(&mut self) -> ParseDiagnostic {
        let (name, span) = self.keyword();
        let name = name.to_owned();
        let candidates: Vec<&str> = FILTER_NAMES.iter().copied().chain(["redact"]).collect();
        unknown("filter", &name, span, &candidates)
    }

    fn nth_index(&mut self) -> PResult<i64> {
        self.require_sp("an index")?;
        let start = self.pos;
        self.eat("-");
        let (digits, _) = self.read_while(|c| c.is_ascii_digit());
        let text = self.src.get(start..self.pos).unwrap_or("");
        if digits.is_empty() {
            return Err(ParseDiagnostic::new(
                "invalid index",
                self.char_span(start),
                "expected an integer",
            ));
        }
        text.parse::<i64>().map_err(|_| {
            ParseDiagnostic::new("invalid index", Span::new(start, self.pos), "integer too large")
        })
    }

    /// `[not] function [value]`, after the spaces that follow the filters.
    pub(super) fn predicate(&mut self) -> PResult<Predicate> {
        let start = self.pos;
        let mut not = false;
        let (first, _) = self.keyword();
        if first == "not" && matches!(self.peek_byte(), Some(b' ' | b'\t')) {
            not = true;
            self.skip_sp();
        } else {
            self.pos = start;
        }
        let func_start = self.pos;
        let (name, name_span) = self.keyword();
        let name = name.to_owned();
        let with_value = |parser: &mut Parser<'_>, make: fn(PredicateValue) -> PredicateFunc| {
            parser.predicate_operand(&name).map(make)
        };
        let func = match name.as_str() {
            "==" => with_value(self, PredicateFunc::Equal)?,
            "!=" => with_value(self, PredicateFunc::NotEqual)?,
            ">" => with_value(self, PredicateFunc::GreaterThan)?,
            ">=" => with_value(self, PredicateFunc::GreaterThanOrEqual)?,
            "<" => with_value(self, PredicateFunc::LessThan)?,
            "<=" => with_value(self, PredicateFunc::LessThanOrEqual)?,
            "startsWith" => with_value(self, PredicateFunc::StartsWith)?,
            "endsWith" => with_value(self, PredicateFunc::EndsWith)?,
            "contains" => with_value(self, PredicateFunc::Contains)?,
            "includes" => with_value(self, PredicateFunc::Includes)?,
            "matches" => with_value(self, PredicateFunc::Matches)?,
            "exists" => PredicateFunc::Exists,
            "isBoolean" => PredicateFunc::IsBoolean,
            "isCollection" => PredicateFunc::IsCollection,
            "isDate" => PredicateFunc::IsDate,
            "isEmpty" => PredicateFunc::IsEmpty,
            "isFloat" => PredicateFunc::IsFloat,
            "isInteger" => PredicateFunc::IsInteger,
            "isIpv4" => PredicateFunc::IsIpv4,
            "isIpv6" => PredicateFunc::IsIpv6,
            "isIsoDate" => PredicateFunc::IsIsoDate,
            "isList" => PredicateFunc::IsList,
            "isNumber" => PredicateFunc::IsNumber,
            "isObject" => PredicateFunc::IsObject,
            "isString" => PredicateFunc::IsString,
            "isUuid" => PredicateFunc::IsUuid,
            "" => {
                return Err(ParseDiagnostic::new(
                    "missing predicate",
                    self.char_span(func_start),
                    "expected a predicate",
                )
                .with_help(
                    "an assert is `query [filters] [not] predicate [value]`, e.g. `status == 200`",
                ));
            }
            _ => {
                let in_filters = did_you_mean(&name, &FILTER_NAMES);
                let in_predicates = did_you_mean(&name, &PREDICATE_NAMES);
                return Err(match (in_predicates, in_filters) {
                    (None, Some(_)) => unknown("filter", &name, name_span, &FILTER_NAMES),
                    _ => unknown("predicate", &name, name_span, &PREDICATE_NAMES),
                });
            }
        };
        Ok(Predicate { not, func, span: Span::new(start, self.pos) })
    }

    fn predicate_operand(&mut self, name: &str) -> PResult<PredicateValue> {
        if self.skip_sp() == 0 || self.at_newline() || self.peek_byte() == Some(b'#') {
            return Err(ParseDiagnostic::new(
                "missing predicate value",
                self.char_span(self.pos),
                format!("`{name}` needs a value"),
            )
            .with_help(
                "write a space and a value: a string in quotes, a number, true, false, null, ...",
            ));
        }
        let value = self.predicate_value()?;
        check_operand(name, &value)?;
        Ok(value)
    }

    /// A predicate value at the cursor.
    pub(super) fn predicate_value(&mut self) -> PResult<PredicateValue> {
        let start = self.pos;
        let value = match self.peek() {
            Some('"') => PredicateValue::String(self.template(StrKind::Quoted)?),
            Some('`') if self.starts_with("```") => {
                PredicateValue::MultilineString(self.multiline_string()?)
            }
            Some('`') => PredicateValue::String(self.template(StrKind::Backtick)?),
            Some('/') => PredicateValue::Regex(self.regex_literal()?),
            Some('{') if self.starts_with("{{") => PredicateValue::Placeholder(self.placeholder()?),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.number_value()?,
            _ => {
                if self.eat_word("true") {
                    PredicateValue::Bool(Spanned { value: true, span: Span::new(start, self.pos) })
                } else if self.eat_word("false") {
                    PredicateValue::Bool(Spanned { value: false, span: Span::new(start, self.pos) })
                } else if self.eat_word("null") {
                    PredicateValue::Null(Span::new(start, self.pos))
                } else if let Some(bytes) = self.bytes_literal()? {
                    PredicateValue::Bytes(bytes)
                } else {
                    let (word, span) = self.read_while(|c| !c.is_whitespace());
                    let span = if word.is_empty() { self.char_span(start) } else { span };
                    return Err(ParseDiagnostic::new("invalid predicate value", span, "not a value")
                        .with_help("a value is a string in quotes, a number, true, false, null, a `/regex/`, `{{name}}`, hex,…; base64,…; or file,…;"));
                }
            }
        };
        Ok(value)
    }

    /// `word` followed by something that cannot continue a word.
    pub(super) fn eat_word(&mut self, word: &str) -> bool {
        let after = self.pos + word.len();
        let boundary =
            self.byte_at(after).is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_'));
        if self.starts_with(word) && boundary {
            self.pos = after;
            true
        } else {
            false
        }
    }

    /// An integer or a float at the cursor.
    fn number_value(&mut self) -> PResult<PredicateValue> {
        let start = self.pos;
        if !self.eat("-") {
            self.eat("+");
        }
        let (int_digits, _) = self.read_while(|c| c.is_ascii_digit());
        let mut is_float = false;
        if self.peek_byte() == Some(b'.')
            && self.byte_at(self.pos + 1).is_some_and(|b| b.is_ascii_digit())
        {
            self.pos += 1;
            self.read_while(|c| c.is_ascii_digit());
            is_float = true;
        }
        if matches!(self.peek_byte(), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if !self.eat("-") {
                self.eat("+");
            }
            let (exp, _) = self.read_while(|c| c.is_ascii_digit());
            if exp.is_empty() {
                self.pos = save;
            } else {
                is_float = true;
            }
        }
        let span = Span::new(start, self.pos);
        let text = self.src.get(start..self.pos).unwrap_or("").to_owned();
        let word_continues = self.peek().is_some_and(|c| !c.is_whitespace() && c != '#');
        if int_digits.is_empty() || word_continues {
            let end = self.line_end(start);
            let (_, span) = {
                self.pos = start;
                self.read_while(|c| !c.is_whitespace())
            };
            let span = if span.start == span.end { Span::new(start, end) } else { span };
            return Err(ParseDiagnostic::new("invalid number", span, "not a number"));
        }
        if is_float {
            let value = text
                .parse::<f64>()
                .map_err(|_| ParseDiagnostic::new("invalid number", span, "not a float"))?;
            return Ok(PredicateValue::Float(Spanned {
                value: FloatLiteral { value, source: text },
                span,
            }));
        }
        match text.parse::<i64>() {
            Ok(value) => Ok(PredicateValue::Integer(Spanned { value, span })),
            Err(_) => Ok(PredicateValue::BigInteger(Spanned { value: text, span })),
        }
    }
}
