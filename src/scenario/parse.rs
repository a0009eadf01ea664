//! The recursive-descent parser for the Hurl grammar: file, entries, request
//! and response lines, headers, and the error recovery between them. The
//! sub-parsers live in `parse/`: `sections` (section lines), `query` (queries,
//! filters, predicates), `options`, `body` (JSON, multiline, bytes), `xml`
//! (the end of a raw XML body), `strings` (templates and escapes), `cursor`.
//!
//! The parser works line by line at the top: each line is classified (method
//! line, section header, response line, other) and handed to the matching
//! sub-parser. An error inside a section line skips that line only;
//! an error in a multi-line construct resynchronises at the next line that
//! starts (at column 1) an entry, a section or a response, so one mistake gives
//! one diagnostic.

mod body;
mod cursor;
mod options;
mod query;
mod sections;
mod strings;
mod xml;

use crate::scenario::ast::QUERY_NAMES;
use crate::scenario::ast::{
    Body, Entry, HurlFile, KeyValue, Request, RequestSection, Response, ResponseSection, Span,
    Spanned, StatusSpec, Template, TemplateElement, VersionSpec,
};
use crate::scenario::diagnostic::ParseDiagnostic;
use crate::scenario::position::work;
use cursor::{PResult, Parser};
use strings::{StrKind, is_key_char};

/// Parses a whole `.hurl` file.
///
/// Spans index into `source` itself; a leading UTF-8 BOM is skipped, not removed.
/// Never panics; every problem found is returned as a diagnostic, in file order.
pub fn parse(source: &str) -> (HurlFile, Vec<ParseDiagnostic>) {
    let mut parser = Parser::new(source);
    parser.eat("\u{feff}");
    let mut file = HurlFile::default();
    // Room for the entries at once: an entry is large, and a file of thousands of them
    // would otherwise be regrown and copied a dozen times.
    file.entries.reserve_exact(estimated_entries(source));
    loop {
        parser.skip_blank_lines();
        if parser.eof() {
            break;
        }
        let before = parser.pos;
        if let Some(entry) = parser.entry() {
            file.entries.push(entry);
        }
        if parser.pos == before {
            parser.skip_line();
        }
    }
    let mut diags = parser.diags;
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    (file, diags)
}

/// About how many entries `source` holds, from above: the lines that start at column 1
/// with an uppercase word and a space or tab (a method line; `HTTP` lines excluded). Only
/// sizes the entry list: a guess, never a decision (`parse` decides what an entry is).
fn estimated_entries(source: &str) -> usize {
    // A plain byte loop: `str::split` costs more per (short) line than the scan itself.
    let mut rest = source.as_bytes();
    let mut count = 0;
    loop {
        let word = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
        if word > 0 && matches!(rest.get(word), Some(b' ' | b'\t')) && !rest.starts_with(b"HTTP") {
            count += 1;
        }
        match rest.iter().position(|&b| b == b'\n') {
            Some(end) => rest = rest.get(end + 1..).unwrap_or_default(),
            None => return count,
        }
    }
}

/// The section names of the grammar, aliases included.
const SECTION_NAMES: [&str; 11] = [
    "Query",
    "QueryStringParams",
    "Form",
    "FormParams",
    "Multipart",
    "MultipartFormData",
    "Cookies",
    "BasicAuth",
    "Options",
    "Captures",
    "Asserts",
];

/// The methods of RFC 9110 and RFC 5789, suggested for a lowercase method.
const STANDARD_METHODS: [&str; 9] =
    ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/// What a line starts, judged from its first characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineKind {
    Eof,
    Method,
    Section,
    Response,
    Other,
}

/// Where a run of lines stands: headers first, then sections, then the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Headers,
    Sections,
    AfterBody,
}

/// Whether the lines belong to a request or to a response specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Request,
    Response,
}

/// Headers, sections and body of a request or a response, before they are typed.
struct Parts {
    headers: Vec<KeyValue>,
    request_sections: Vec<RequestSection>,
    response_sections: Vec<ResponseSection>,
    body: Option<Body>,
}

impl Parser<'_> {
    /// What the line at `at` starts; with `strict`, only at column 1.
    fn line_kind_at(&self, at: usize, strict: bool) -> LineKind {
        let mut i = at;
        if !strict {
            while matches!(self.byte_at(i), Some(b' ' | b'\t')) {
                i += 1;
            }
        }
        let Some(first) = self.byte_at(i) else { return LineKind::Eof };
        let rest = self.src.get(i..).unwrap_or("");
        if first == b'[' {
            let name_len = rest.bytes().skip(1).take_while(u8::is_ascii_alphabetic).count();
            if name_len > 0 && rest.as_bytes().get(name_len + 1) == Some(&b']') {
                let after = i + name_len + 2;
                if matches!(self.byte_at(after), Some(b' ' | b'\t' | b'#'))
                    || self.is_newline_at(after)
                {
                    return LineKind::Section;
                }
            }
            return LineKind::Other;
        }
        if rest.starts_with("HTTP") {
            let after = i + 4;
            match self.byte_at(after) {
                Some(b'/') => return LineKind::Response,
                Some(b' ' | b'\t') => {
                    let mut j = after;
                    while matches!(self.byte_at(j), Some(b' ' | b'\t')) {
                        j += 1;
                    }
                    if self.byte_at(j) != Some(b':') {
                        return LineKind::Response;
                    }
                }
                _ if self.is_newline_at(after) => return LineKind::Response,
                _ => {}
            }
        }
        let method_len = rest.bytes().take_while(u8::is_ascii_uppercase).count();
        if method_len > 0 {
            let mut j = i + method_len;
            if matches!(self.byte_at(j), Some(b' ' | b'\t')) {
                while matches!(self.byte_at(j), Some(b' ' | b'\t')) {
                    j += 1;
                }
                if self.byte_at(j) != Some(b':') && !self.is_newline_at(j) {
                    return LineKind::Method;
                }
            }
        }
        LineKind::Other
    }

    fn line_kind(&self) -> LineKind {
        self.line_kind_at(self.pos, false)
    }

    /// Skips to the next line that starts an entry at column 1.
    fn resync_entry(&mut self) {
        self.skip_line();
        while !self.eof()
            && self.line_kind_at(self.pos, true) != LineKind::Method
            && !self.looks_like_request_line()
        {
            self.skip_line();
        }
    }

    /// Skips to the next line that starts an entry, a section or a response at column 1.
    fn resync_in_entry(&mut self) {
        self.skip_line();
        while !self.eof()
            && self.line_kind_at(self.pos, true) == LineKind::Other
            && !self.looks_like_request_line()
        {
            self.skip_line();
        }
    }

    /// Where a node that began at `start` ends: after the last content read since, without
    /// the trailing comments and blank lines.
    fn node_end(&self, start: usize) -> usize {
        if self.content_end > start {
            return self.content_end;
        }
        let mut end = self.pos;
        while end > start && matches!(self.byte_at(end - 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            end -= 1;
        }
        end
    }

    /// One entry, or `None` after reporting why its request line is invalid.
    fn entry(&mut self) -> Option<Entry> {
        self.skip_sp();
        let start = self.pos;
        let Some((method, url)) = self.request_line() else {
            self.resync_entry();
            return None;
        };
        let line_span = Span::new(start, url.span.end.max(method.span.end));
        let parts = self.parts(Part::Request);
        let request = Request {
            method,
            url,
            headers: parts.headers,
            sections: parts.request_sections,
            body: parts.body.map(Box::new),
            line_span,
        };
        self.skip_blank_lines();
        let response = if self.line_kind() == LineKind::Response { self.response() } else { None };
        let end = self.node_end(start);
        Some(Entry { request, response, span: Span::new(start, end) })
    }

    /// `method sp url lt`; reports and returns `None` when it is invalid.
    fn request_line(&mut self) -> Option<(Spanned<String>, Template)> {
        let start = self.pos;
        let (word, word_span) = self.read_while(|c| c.is_alphanumeric() || c == '_' || c == '-');
        let fail = |parser: &mut Parser<'_>, diag: ParseDiagnostic| {
            parser.report(diag);
            None
        };
        if word.is_empty() {
            let span = self.rest_of_line_span(start);
            let span = if span.start == span.end { self.char_span(start) } else { span };
            let mut diag =
                ParseDiagnostic::new("expecting a request", span, "expected a method, e.g. `GET`");
            diag = match self.line_kind_at(start, false) {
                LineKind::Section => diag.with_help("sections belong to an entry: write the request line (e.g. `GET https://…`) before them"),
                LineKind::Response => diag.with_help("a response line comes after a request line"),
                _ => diag.with_help("an entry starts with a method and a URL, e.g. `GET https://example.org`"),
            };
            return fail(self, diag);
        }
        if !word.bytes().all(|b| b.is_ascii_uppercase()) {
            let diag = if word.starts_with("HTTP") {
                ParseDiagnostic::new(
                    "expecting a request",
                    word_span,
                    "expected a method, e.g. `GET`",
                )
                .with_help("a response line comes after a request line")
            } else {
                let upper = word.to_uppercase();
                let diag = ParseDiagnostic::new(
                    "invalid method",
                    word_span,
                    "methods are uppercase letters",
                );
                if STANDARD_METHODS.contains(&upper.as_str()) {
                    diag.with_help(format!("did you mean `{upper}`?"))
                } else {
                    diag.with_help("an entry starts with an uppercase method and a URL, e.g. `GET https://example.org`")
                }
            };
            return fail(self, diag);
        }
        let method = Spanned { value: word.to_owned(), span: word_span };
        if self.skip_sp() == 0 || self.at_newline() || self.peek_byte() == Some(b'#') {
            let diag = ParseDiagnostic::new(
                "missing URL",
                self.char_span(self.pos),
                "expected a space and a URL",
            )
            .with_help(format!("write `{} https://…`", method.value));
            return fail(self, diag);
        }
        let url_start = self.pos;
        let url = match self.template(StrKind::Value) {
            Ok(url) if url.span.start < url.span.end => url,
            Ok(_) => {
                let diag =
                    ParseDiagnostic::new("missing URL", self.char_span(self.pos), "expected a URL");
                return fail(self, diag);
            }
            Err(diag) => {
                // A bad escape or placeholder in the URL spoils only this line: keep the entry.
                self.report(diag);
                let span = self.rest_of_line_span(url_start);
                let text = self.src.get(span.start..span.end).unwrap_or("");
                self.skip_line();
                return Some((method, Template::literal(text, span)));
            }
        };
        let scheme_ok = match url.elements.first() {
            Some(TemplateElement::Literal(text)) => {
                text.starts_with("http://") || text.starts_with("https://")
            }
            Some(TemplateElement::Placeholder(_)) => true,
            None => false,
        };
        if !scheme_ok {
            self.report(
                ParseDiagnostic::new("invalid URL", self.char_span(url.span.start), "expecting http://, https:// or {{")
                    .with_help("write an absolute URL, e.g. `https://example.org/path`, or start with a placeholder"),
            );
        }
        if let Err(diag) = self.expect_lt() {
            self.report(diag);
            self.skip_line();
        }
        Some((method, url))
    }

    /// `version sp status lt` then headers, sections and body.
    fn response(&mut self) -> Option<Response> {
        self.skip_sp();
        let start = self.pos;
        let line = self.response_line();
        if line.is_err() {
            self.skip_line();
        }
        let parts = self.parts(Part::Response);
        let (version, status) = match line {
            Ok(line) => line,
            Err(diag) => {
                self.report(diag);
                return None;
            }
        };
        let end = self.node_end(start);
        Some(Response {
            version,
            status,
            headers: parts.headers,
            sections: parts.response_sections,
            body: parts.body.map(Box::new),
            span: Span::new(start, end),
        })
    }

    fn response_line(&mut self) -> PResult<(Spanned<VersionSpec>, Spanned<StatusSpec>)> {
        let start = self.pos;
        self.eat("HTTP");
        let version = if self.eat("/") {
            let (number, _) = self.read_while(|c| c.is_ascii_alphanumeric() || c == '.');
            match number {
                "1.0" => VersionSpec::Http10,
                "1.1" => VersionSpec::Http11,
                "2" => VersionSpec::Http2,
                "3" => VersionSpec::Http3,
                _ => {
                    return Err(ParseDiagnostic::new(
                        "invalid HTTP version",
                        Span::new(start, self.pos),
                        "unknown version",
                    )
                    .with_help("write `HTTP`, `HTTP/1.0`, `HTTP/1.1`, `HTTP/2` or `HTTP/3`"));
                }
            }
        } else {
            VersionSpec::Any
        };
        let version = Spanned { value: version, span: Span::new(start, self.pos) };
        let has_space = self.skip_sp() > 0;
        if !has_space || self.at_newline() || self.peek_byte() == Some(b'#') {
            let span = if has_space || self.at_newline() {
                Span::new(start, version.span.end)
            } else {
                self.char_span(self.pos)
            };
            return Err(ParseDiagnostic::new(
                "missing status code",
                span,
                "expected a status code after the version",
            )
            .with_help("write a status, e.g. `HTTP 200`, or `HTTP *` for any status"));
        }
        let status_start = self.pos;
        let status = if self.eat("*") {
            StatusSpec::Any
        } else {
            let (digits, span) = self.read_while(|c| !c.is_whitespace() && c != '#');
            let code = if digits.bytes().all(|b| b.is_ascii_digit()) {
                digits.parse::<u16>().ok()
            } else {
                None
            };
            match code {
                Some(code) => StatusSpec::Code(code),
                None => {
                    return Err(ParseDiagnostic::new(
                        "invalid status code",
                        span,
                        "expected a number or `*`",
                    )
                    .with_help("write a status, e.g. `HTTP 200`, or `HTTP *` for any status"));
                }
            }
        };
        let status = Spanned { value: status, span: Span::new(status_start, self.pos) };
        self.expect_lt()?;
        Ok((version, status))
    }

    /// The lines after a request or response line, up to the next entry or response.
    fn parts(&mut self, part: Part) -> Parts {
        let mut parts = Parts {
            headers: Vec::new(),
            request_sections: Vec::new(),
            response_sections: Vec::new(),
            body: None,
        };
        let mut stage = Stage::Headers;
        loop {
            self.skip_blank_lines();
            match self.line_kind() {
                LineKind::Eof | LineKind::Method => break,
                LineKind::Response if part == Part::Request => break,
                LineKind::Response => {
                    self.skip_sp();
                    let diag = ParseDiagnostic::new(
                        "unexpected response line",
                        self.rest_of_line_span(self.pos),
                        "a second response line",
                    )
                    .with_help(
                        "an entry has one response line; start a new entry with a request line",
                    );
                    self.report(diag);
                    self.resync_in_entry();
                }
                LineKind::Section => {
                    if stage == Stage::AfterBody {
                        self.skip_sp();
                        let diag = ParseDiagnostic::new(
                            "section after the body",
                            self.rest_of_line_span(self.pos),
                            "sections come before the body",
                        )
                        .with_help("move this section above the body");
                        self.report(diag);
                        self.resync_in_entry();
                        continue;
                    }
                    stage = Stage::Sections;
                    self.section(part, &mut parts);
                }
                LineKind::Other => {
                    self.skip_sp();
                    let line_start = self.pos;
                    if self.looks_like_request_line() {
                        // A misspelled request line starts the next entry, which reports it.
                        break;
                    }
                    if stage == Stage::Headers && self.looks_like_key_value() {
                        match self.key_value().and_then(|kv| self.expect_lt().map(|()| kv)) {
                            Ok(kv) => parts.headers.push(kv),
                            Err(diag) => {
                                self.report(diag);
                                self.skip_line();
                            }
                        }
                    } else if stage != Stage::AfterBody && self.is_body_start() {
                        stage = Stage::AfterBody;
                        match self.body() {
                            Ok(body) => parts.body = Some(body),
                            Err(diag) => {
                                self.report(diag);
                                self.resync_in_entry();
                            }
                        }
                    } else {
                        self.report(self.unexpected_line(line_start, stage, part));
                        if stage == Stage::Headers {
                            // Header lines stand alone: the next one may be fine.
                            self.skip_line();
                        } else {
                            // After the body, one diagnostic covers the stray lines.
                            self.resync_in_entry();
                        }
                    }
                }
            }
        }
        parts
    }

    fn unexpected_line(&self, at: usize, stage: Stage, part: Part) -> ParseDiagnostic {
        let span = self.rest_of_line_span(at);
        let line = self.src.get(span.start..span.end).unwrap_or("");
        let first_word = line.split([' ', '\t']).next().unwrap_or("");
        match stage {
            Stage::Headers if part == Part::Response && QUERY_NAMES.contains(&first_word) => {
                ParseDiagnostic::new("assert outside [Asserts]", span, "this looks like an assert")
                    .with_help("write `[Asserts]` on the line before the asserts")
            }
            Stage::Headers => {
                let key_end = self
                    .src
                    .get(at..span.end)
                    .and_then(|l| l.find([' ', '\t']))
                    .map_or(span.end, |i| at + i);
                ParseDiagnostic::new("invalid header", Span::new(at, key_end.max(at)), "expected `name: value`")
                    .with_help("a header is `Name: value`; a body starts with `{`, `[`, `<`, `\"`, a backtick, `base64,`, `hex,` or `file,`")
            }
            Stage::Sections | Stage::AfterBody => {
                ParseDiagnostic::new("unexpected content", span, "not part of any section or body")
                    .with_help("start a new entry with a request line, or a section with `[Name]`")
            }
        }
    }

    /// Whether the line from the cursor is a request line with a method in the wrong case,
    /// e.g. `get https://…`: a word, spaces, and a URL or a placeholder.
    fn looks_like_request_line(&self) -> bool {
        let rest = self.rest();
        let word_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let Some(after) = rest.get(word_len..) else { return false };
        let url = after.trim_start_matches([' ', '\t']);
        word_len > 0
            && url.len() < after.len()
            && (url.starts_with("http://") || url.starts_with("https://") || url.starts_with("{{"))
    }

    /// Whether the cursor starts a body.
    fn is_body_start(&self) -> bool {
        let rest = self.rest();
        let Some(first) = rest.chars().next() else { return false };
        if matches!(first, '{' | '[' | '"' | '<' | '`' | '-') || first.is_ascii_digit() {
            return true;
        }
        if rest.starts_with("base64,") || rest.starts_with("hex,") || rest.starts_with("file,") {
            return true;
        }
        // Only `true`, `false` and `null` are left: no need to read the line for any other start.
        if !matches!(first, 't' | 'f' | 'n') {
            return false;
        }
        let line = self.src.get(self.pos..self.line_end(self.pos)).unwrap_or("");
        let word = line.split('#').next().unwrap_or("").trim_end();
        matches!(word, "true" | "false" | "null")
    }

    /// Whether the line from the cursor is `key-string sp* :`.
    fn looks_like_key_value(&self) -> bool {
        let mut rest = self.rest();
        let mut key_len = 0;
        loop {
            if rest.starts_with("{{") {
                // The closing `}}` on this line; scanning stops at the line end, so
                // a line of many placeholders is read once, not once per placeholder.
                let close = rest
                    .as_bytes()
                    .windows(2)
                    .take_while(|w| w.first() != Some(&b'\n'))
                    .position(|w| w == b"}}");
                let Some(close) = close else { return false };
                work::charge(close + 2);
                rest = rest.get(close + 2..).unwrap_or("");
                key_len += 1;
                continue;
            }
            work::charge(1);
            let mut chars = rest.chars();
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some(c) if c != '\n' => {
                        rest = rest.get(1 + c.len_utf8()..).unwrap_or("");
                        key_len += 1;
                    }
                    _ => return false,
                },
                Some(c) if is_key_char(c) => {
                    rest = rest.get(c.len_utf8()..).unwrap_or("");
                    key_len += 1;
                }
                _ => break,
            }
        }
        key_len > 0 && rest.trim_start_matches([' ', '\t']).starts_with(':')
    }
}

#[cfg(test)]
mod tests;
