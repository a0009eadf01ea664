//! Bodies: JSON with templates, raw XML, multiline and oneline strings, and bytes literals.

use base64::Engine;

use crate::scenario::ast::{
    Body, BodyKind, BytesLiteral, JsonValue, MultilineKind, MultilineString, Span, Spanned,
    Template, TemplateElement,
};
use crate::scenario::diagnostic::ParseDiagnostic;
use crate::scenario::did_you_mean::did_you_mean;
use crate::scenario::parse::cursor::{PResult, Parser};
use crate::scenario::parse::strings::{StrKind, raw_template};
use crate::scenario::parse::xml::scan_xml;
use crate::scenario::position::work;

/// How deep JSON may nest, as in Hurl (it also keeps the parser's stack bounded).
const MAX_JSON_DEPTH: usize = 128;

impl Parser<'_> {
    /// A body at the cursor, with its line terminator.
    pub(super) fn body(&mut self) -> PResult<Body> {
        let start = self.pos;
        let kind = match self.peek() {
            Some('<') => BodyKind::Xml(self.xml()?),
            Some('`') if self.starts_with("```") => BodyKind::Multiline(self.multiline_string()?),
            Some('`') => BodyKind::Oneline(self.template(StrKind::Backtick)?),
            _ => {
                if let Some(bytes) = self.bytes_literal()? {
                    BodyKind::Bytes(bytes)
                } else {
                    BodyKind::Json(
                        self.json_value(0).map_err(|diag| self.unterminated_json(start, diag))?,
                    )
                }
            }
        };
        let span = Span::new(start, self.pos);
        self.expect_lt()?;
        Ok(Body { kind, span })
    }

    /// A JSON error at the end of the input means the body was never closed: point at its start.
    fn unterminated_json(&self, start: usize, diag: ParseDiagnostic) -> ParseDiagnostic {
        if self.eof() && !diag.message.starts_with("unterminated") {
            return ParseDiagnostic::new(
                "unterminated JSON",
                self.char_span(start),
                "this JSON value is never closed",
            )
            .with_help("check that every `{`, `[` and `\"` is closed");
        }
        diag
    }

    fn xml(&mut self) -> PResult<Spanned<String>> {
        let start = self.pos;
        match scan_xml(self.src, start) {
            Ok(end) => {
                self.pos = end;
                let text = self.src.get(start..end).unwrap_or("").to_owned();
                Ok(Spanned { value: text, span: Span::new(start, end) })
            }
            Err(err) => {
                let at = err.at.min(self.src.len());
                let span = self.char_span(at);
                Err(ParseDiagnostic::new("invalid XML body", span, err.message)
                    .with_help("an XML body is one well-formed element, optionally after a prolog"))
            }
        }
    }

    /// `base64,…;`, `hex,…;` or `file,…;` at the cursor, if one starts here.
    pub(super) fn bytes_literal(&mut self) -> PResult<Option<BytesLiteral>> {
        let start = self.pos;
        if self.eat("base64,") {
            let content_start = self.pos;
            let (content, _) = self.read_while(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | ' ' | '\t' | '\n' | '\r')
            });
            let content_end = self.pos;
            if !self.eat(";") {
                let end = start + self.src.get(start..self.pos).unwrap_or("").trim_end().len();
                return Err(ParseDiagnostic::new(
                    "unterminated base64 literal",
                    Span::new(start, end),
                    "expected `;`",
                )
                .with_help("write `base64,<data>;`"));
            }
            let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| {
                    ParseDiagnostic::new(
                        "invalid base64",
                        Span::new(content_start, content_end),
                        "not valid base64",
                    )
                })?;
            return Ok(Some(BytesLiteral::Base64(Spanned {
                value: bytes,
                span: Span::new(start, self.pos),
            })));
        }
        if self.eat("hex,") {
            // Hurl allows spaces around the digits: `hex, 4865;`.
            self.skip_sp();
            let content_start = self.pos;
            let (content, _) = self.read_while(|c| c.is_ascii_hexdigit());
            self.skip_sp();
            if !self.eat(";") {
                return Err(ParseDiagnostic::new(
                    "invalid hex literal",
                    self.char_span(self.pos),
                    "expected a hex digit or `;`",
                )
                .with_help("write `hex,<even number of hex digits>;`"));
            }
            let bytes = hex::decode(content).map_err(|_| {
                ParseDiagnostic::new(
                    "invalid hex literal",
                    Span::new(content_start, content_start + content.len()),
                    "odd number of hex digits",
                )
            })?;
            return Ok(Some(BytesLiteral::Hex(Spanned {
                value: bytes,
                span: Span::new(start, self.pos),
            })));
        }
        if self.eat("file,") {
            let filename = self.filename_and_semicolon(
                ("unterminated file literal", "expected `;`"),
                "write `file,<path>;`; escape spaces in the path with `\\ `",
            )?;
            return Ok(Some(BytesLiteral::File(filename)));
        }
        Ok(None)
    }

    /// After `file,`: the file name and the `;` that ends it (bodies, predicate values,
    /// multipart files). `unterminated` is the message and label when the `;` is missing.
    pub(super) fn filename_and_semicolon(
        &mut self,
        unterminated: (&str, &str),
        help: &str,
    ) -> PResult<Template> {
        self.skip_sp();
        let filename = self.template(StrKind::Filename)?;
        if filename.span.start == filename.span.end {
            return Err(ParseDiagnostic::new(
                "missing filename",
                self.char_span(self.pos),
                "expected a file name",
            ));
        }
        self.skip_sp();
        if !self.eat(";") {
            let (message, label) = unterminated;
            return Err(
                ParseDiagnostic::new(message, self.char_span(self.pos), label).with_help(help)
            );
        }
        Ok(filename)
    }

    /// A ```` ``` ```` string at the cursor.
    pub(super) fn multiline_string(&mut self) -> PResult<MultilineString> {
        let start = self.pos;
        self.eat("```");
        let (hint, hint_span) =
            self.read_while(|c| c.is_ascii_alphanumeric() || c == ',' || c == '_');
        let hint = hint.to_owned();
        self.skip_sp();
        if !self.at_newline() {
            // ```text``` on one line.
            let line_end = self.line_end(self.pos);
            let closed = self.src.get(start + 3..line_end).is_some_and(|s| s.contains("```"));
            if closed {
                self.pos = start + 3;
                return self.oneline_fenced(start);
            }
            return Err(ParseDiagnostic::new(
                "invalid multiline string",
                self.rest_of_line_span(self.pos),
                "expected the end of the line",
            )
            .with_help("the content of a multiline string starts on the line after ```"));
        }
        let kind = match hint.as_str() {
            "" => MultilineKind::Text,
            "json" => MultilineKind::Json,
            "xml" => MultilineKind::Xml,
            "graphql" => MultilineKind::Graphql { variables: None },
            other if other.split(',').any(|part| part == "escape") => {
                return Err(ParseDiagnostic::new(
                    "unsupported multiline hint `escape`",
                    hint_span,
                    "removed in Hurl 8",
                )
                .with_help("remove `escape`: multiline strings are sent as written"));
            }
            other if other.contains(',') => {
                return Err(ParseDiagnostic::new(
                    "unsupported multiline attribute",
                    hint_span,
                    "attributes were removed in Hurl 8",
                )
                .with_help("write only the type after ```: json, xml or graphql"));
            }
            other => {
                let diag = ParseDiagnostic::new(
                    "invalid multiline string type",
                    hint_span,
                    format!("unknown type `{other}`"),
                );
                return Err(match did_you_mean(other, &["json", "xml", "graphql"]) {
                    Some(s) => diag.with_help(format!("did you mean `{s}`?")),
                    None => diag.with_help("valid types are json, xml and graphql"),
                });
            }
        };
        self.skip_line();
        let is_graphql = matches!(kind, MultilineKind::Graphql { .. });
        let Some((content_end, variables_start)) = self.find_fence(is_graphql) else {
            // Everything up to the end of the file belongs to the string: no follow-on errors.
            self.pos = self.src.len();
            return Err(ParseDiagnostic::new(
                "unterminated multiline string",
                Span::new(start, start + 3),
                "opened here",
            )
            .with_help("close it with ``` on its own line"));
        };
        let value = raw_template(self, content_end).inspect_err(|_| {
            // The end is known: skip the whole string so its lines are not read as Hurl.
            self.pos = if variables_start.is_some() { content_end } else { content_end + 3 };
        })?;
        let kind = match variables_start {
            Some(at) => {
                self.pos = at;
                self.eat("variables");
                self.skip_sp();
                if self.peek() != Some('{') {
                    return Err(ParseDiagnostic::new(
                        "invalid GraphQL variables",
                        self.char_span(self.pos),
                        "expected a JSON object",
                    ));
                }
                let variables = self.json_value(0)?;
                while matches!(self.peek(), Some(' ' | '\t' | '\r' | '\n')) {
                    self.bump();
                }
                if !self.starts_with("```") {
                    return Err(ParseDiagnostic::new(
                        "unterminated multiline string",
                        self.char_span(self.pos),
                        "expected ``` after the variables",
                    ));
                }
                MultilineKind::Graphql { variables: Some(variables) }
            }
            None => kind,
        };
        self.eat("```");
        Ok(MultilineString { kind, value, span: Span::new(start, self.pos) })
    }

    /// Where the content ends: the next ```` ``` ````, or a `variables` line for GraphQL.
    fn find_fence(&self, graphql: bool) -> Option<(usize, Option<usize>)> {
        let mut at = self.pos;
        loop {
            let rest = self.src.get(at..)?;
            work::charge(1);
            if rest.starts_with("```") {
                return Some((at, None));
            }
            let line_start = at == self.pos || self.byte_at(at.checked_sub(1)?) == Some(b'\n');
            if graphql && line_start && rest.starts_with("variables") {
                let after =
                    rest.get("variables".len()..).unwrap_or("").trim_start_matches([' ', '\t']);
                if after.starts_with('{') {
                    return Some((at, Some(at)));
                }
            }
            let c = rest.chars().next()?;
            at += c.len_utf8();
        }
    }

    /// ```` ```text``` ```` on one line; the cursor is after the opening fence.
    fn oneline_fenced(&mut self, start: usize) -> PResult<MultilineString> {
        let line_end = self.line_end(self.pos);
        work::charge(line_end.saturating_sub(self.pos));
        let close =
            self.src.get(self.pos..line_end).and_then(|s| s.find("```")).map(|i| self.pos + i);
        let Some(close) = close else {
            return Err(ParseDiagnostic::new(
                "unterminated multiline string",
                Span::new(start, start + 3),
                "opened here",
            )
            .with_help("close it with ```"));
        };
        let value = raw_template(self, close)?;
        self.eat("```");
        Ok(MultilineString { kind: MultilineKind::Text, value, span: Span::new(start, self.pos) })
    }

    fn skip_json_ws(&mut self) {
        while let Some(c) = self.peek() {
            if matches!(c, ' ' | '\t' | '\r' | '\n') {
                self.bump();
            } else {
                break;
            }
        }
    }

    /// A JSON value with templates.
    pub(super) fn json_value(&mut self, depth: usize) -> PResult<JsonValue> {
        if depth >= MAX_JSON_DEPTH {
            return Err(ParseDiagnostic::new(
                "invalid JSON",
                self.char_span(self.pos),
                format!("maximum nesting depth of {MAX_JSON_DEPTH} exceeded"),
            ));
        }
        let start = self.pos;
        match self.peek() {
            Some('{') if self.starts_with("{{") => Ok(JsonValue::Placeholder(self.placeholder()?)),
            Some('{') => self.json_object(depth),
            Some('[') => self.json_array(depth),
            Some('"') => Ok(JsonValue::String(self.json_string()?)),
            Some(c) if c == '-' || c.is_ascii_digit() => self.json_number(),
            _ => {
                if self.eat_word("true") {
                    Ok(JsonValue::Bool(Spanned { value: true, span: Span::new(start, self.pos) }))
                } else if self.eat_word("false") {
                    Ok(JsonValue::Bool(Spanned { value: false, span: Span::new(start, self.pos) }))
                } else if self.eat_word("null") {
                    Ok(JsonValue::Null(Span::new(start, self.pos)))
                } else {
                    Err(ParseDiagnostic::new("invalid JSON", self.char_span(start), "expected a JSON value")
                        .with_help("a value is an object, an array, a string, a number, true, false, null or `{{name}}`"))
                }
            }
        }
    }

    fn json_object(&mut self, depth: usize) -> PResult<JsonValue> {
        let start = self.pos;
        self.bump();
        let mut members = Vec::new();
        self.skip_json_ws();
        if self.eat("}") {
            return Ok(JsonValue::Object { members, span: Span::new(start, self.pos) });
        }
        loop {
            self.skip_json_ws();
            if self.peek() != Some('"') {
                return Err(self.json_unclosed(start, "expected a key in double quotes", '}'));
            }
            let key = self.json_string()?;
            self.skip_json_ws();
            if !self.eat(":") {
                return Err(ParseDiagnostic::new(
                    "invalid JSON",
                    self.char_span(self.pos),
                    "expected `:`",
                ));
            }
            self.skip_json_ws();
            let value = self.json_value(depth + 1)?;
            members.push((key, value));
            self.skip_json_ws();
            if self.eat(",") {
                self.reject_trailing_comma('}')?;
                continue;
            }
            if self.eat("}") {
                return Ok(JsonValue::Object { members, span: Span::new(start, self.pos) });
            }
            return Err(self.json_unclosed(start, "expected `,` or `}`", '}'));
        }
    }

    fn json_array(&mut self, depth: usize) -> PResult<JsonValue> {
        let start = self.pos;
        self.bump();
        let mut elements = Vec::new();
        self.skip_json_ws();
        if self.eat("]") {
            return Ok(JsonValue::Array { elements, span: Span::new(start, self.pos) });
        }
        loop {
            self.skip_json_ws();
            elements.push(self.json_value(depth + 1)?);
            self.skip_json_ws();
            if self.eat(",") {
                self.reject_trailing_comma(']')?;
                continue;
            }
            if self.eat("]") {
                return Ok(JsonValue::Array { elements, span: Span::new(start, self.pos) });
            }
            return Err(self.json_unclosed(start, "expected `,` or `]`", ']'));
        }
    }

    /// After a `,`: a closing bracket next means a trailing comma.
    fn reject_trailing_comma(&mut self, close: char) -> PResult<()> {
        let comma = self.pos.saturating_sub(1);
        let save = self.pos;
        self.skip_json_ws();
        let trailing = self.peek() == Some(close);
        self.pos = save;
        if trailing {
            return Err(ParseDiagnostic::new(
                "invalid JSON",
                Span::new(comma, comma + 1),
                "trailing comma is not allowed",
            )
            .with_help("remove the comma"));
        }
        Ok(())
    }

    fn json_unclosed(&self, open: usize, label: &str, close: char) -> ParseDiagnostic {
        if self.eof() {
            return ParseDiagnostic::new(
                "unterminated JSON",
                self.char_span(open),
                format!("this is never closed with `{close}`"),
            );
        }
        ParseDiagnostic::new("invalid JSON", self.char_span(self.pos), label.to_owned())
    }

    /// A JSON string with templates; JSON escapes are resolved.
    fn json_string(&mut self) -> PResult<Template> {
        let start = self.pos;
        self.bump();
        let mut elements = Vec::new();
        let mut text = String::new();
        loop {
            if self.starts_with("{{") {
                if !text.is_empty() {
                    elements.push(TemplateElement::Literal(std::mem::take(&mut text)));
                }
                elements.push(TemplateElement::Placeholder(self.placeholder()?));
                continue;
            }
            let Some(c) = self.peek() else {
                return Err(ParseDiagnostic::new(
                    "unterminated JSON string",
                    self.char_span(start),
                    "missing the closing `\"`",
                ));
            };
            if c == '\n' {
                return Err(ParseDiagnostic::new(
                    "unterminated JSON string",
                    Span::new(start, self.pos),
                    "missing the closing `\"`",
                ));
            }
            self.bump();
            match c {
                '"' => break,
                '\\' => text.push(self.json_escape()?),
                other => text.push(other),
            }
        }
        if !text.is_empty() {
            elements.push(TemplateElement::Literal(text));
        }
        Ok(Template { elements, delimiter: Some('"'), span: Span::new(start, self.pos) })
    }

    fn json_escape(&mut self) -> PResult<char> {
        let start = self.pos.saturating_sub(1);
        let invalid = |p: &Parser<'_>| {
            ParseDiagnostic::new(
                "invalid escape sequence",
                Span::new(start, p.pos.max(start)),
                "not a JSON escape",
            )
            .with_help("valid JSON escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        };
        let c = match self.peek() {
            Some(c) if c != '\n' && c != '\r' => c,
            _ => return Err(invalid(self)),
        };
        self.bump();
        let unescaped = match c {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let high = self.json_hex4().ok_or_else(|| invalid(self))?;
                let unicode_error = |p: &Parser<'_>| {
                    ParseDiagnostic::new("invalid unicode literal", Span::new(start, p.pos), "not a valid code point")
                        .with_help("a surrogate pair is a high `\\uD800`–`\\uDBFF` then a low `\\uDC00`–`\\uDFFF`")
                };
                if (0xD800..0xDC00).contains(&high) {
                    if !self.eat("\\u") {
                        return Err(unicode_error(self));
                    }
                    let low = self.json_hex4().ok_or_else(|| invalid(self))?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(unicode_error(self));
                    }
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    return char::from_u32(code).ok_or_else(|| unicode_error(self));
                }
                return char::from_u32(high).ok_or_else(|| unicode_error(self));
            }
            _ => return Err(invalid(self)),
        };
        Ok(unescaped)
    }

    fn json_hex4(&mut self) -> Option<u32> {
        let digits = self.src.get(self.pos..self.pos + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    fn json_number(&mut self) -> PResult<JsonValue> {
        let start = self.pos;
        self.eat("-");
        let (int, _) = self.read_while(|c| c.is_ascii_digit());
        let mut valid = !int.is_empty();
        if self.eat(".") {
            let (frac, _) = self.read_while(|c| c.is_ascii_digit());
            valid &= !frac.is_empty();
        }
        if matches!(self.peek_byte(), Some(b'e' | b'E')) {
            self.pos += 1;
            if !self.eat("-") {
                self.eat("+");
            }
            let (exp, _) = self.read_while(|c| c.is_ascii_digit());
            valid &= !exp.is_empty();
        }
        let span = Span::new(start, self.pos);
        if !valid {
            return Err(ParseDiagnostic::new("invalid JSON number", span, "not a number"));
        }
        let text = self.src.get(start..self.pos).unwrap_or("").to_owned();
        Ok(JsonValue::Number(Spanned { value: text, span }))
    }
}
