//! Sections: the `[Name]` header line and the lines under it (key-values,
//! multipart parameters, options, captures and asserts), with line-level recovery.

use crate::scenario::ast::{
    Assert, Capture, FileParam, KeyValue, MultipartParam, RequestSection, RequestSectionKind,
    ResponseSection, ResponseSectionKind, Span, Spanned, Template,
};
use crate::scenario::diagnostic::ParseDiagnostic;
use crate::scenario::did_you_mean::did_you_mean;
use crate::scenario::parse::cursor::{PResult, Parser};
use crate::scenario::parse::strings::StrKind;
use crate::scenario::parse::{LineKind, Part, Parts, SECTION_NAMES};

/// Pushes `item`; the first one gets room for itself only (a request or response has
/// one or two sections: allocated once, not grown to four).
fn push_one<T>(list: &mut Vec<T>, item: T) {
    if list.capacity() == 0 {
        list.reserve_exact(1);
    }
    list.push(item);
}

impl Parser<'_> {
    /// `key sp* : sp* value`, without the line terminator.
    pub(super) fn key_value(&mut self) -> PResult<KeyValue> {
        let start = self.pos;
        let key = self.key_colon()?;
        let value = self.template(StrKind::Value)?;
        let end = value.span.end.max(key.span.end);
        Ok(KeyValue { key, value, span: Span::new(start, end) })
    }

    /// A key string, spaces, `:` and spaces.
    fn key_colon(&mut self) -> PResult<Template> {
        let key = self.key_string()?;
        self.skip_sp();
        if !self.eat(":") {
            return Err(ParseDiagnostic::new(
                "expecting `:`",
                self.char_span(self.pos),
                "expected `:` after the name",
            )
            .with_help("write `name: value`; escape special characters in names with `\\`"));
        }
        self.skip_sp();
        Ok(key)
    }

    /// A `[Name]` line and the lines of its section.
    pub(super) fn section(&mut self, part: Part, parts: &mut Parts) {
        self.skip_sp();
        let start = self.pos;
        self.eat("[");
        let (name, name_span) = self.read_while(|c| c.is_ascii_alphabetic());
        let name = Spanned { value: name.to_owned(), span: name_span };
        self.eat("]");
        if let Err(diag) = self.expect_lt() {
            self.report(diag);
            self.skip_line();
        }
        let is_response_section = matches!(name.value.as_str(), "Captures" | "Asserts");
        let known = SECTION_NAMES.contains(&name.value.as_str());
        if !known {
            let diag = ParseDiagnostic::new(
                "invalid section",
                name.span,
                format!("unknown section `[{}]`", name.value),
            );
            let diag = match did_you_mean(&name.value, &SECTION_NAMES) {
                Some(s) => diag.with_help(format!("did you mean `[{s}]`?")),
                None => diag.with_help(format!(
                    "valid sections are {}",
                    SECTION_NAMES.map(|s| format!("[{s}]")).join(", ")
                )),
            };
            self.report(diag);
            self.resync_in_entry();
            return;
        }
        if is_response_section != (part == Part::Response) {
            let diag = if is_response_section {
                ParseDiagnostic::new(
                    "response section in a request",
                    name.span,
                    format!("`[{}]` checks a response", name.value),
                )
                .with_help(format!(
                    "write the response line (e.g. `HTTP 200`) before `[{}]`",
                    name.value
                ))
            } else {
                ParseDiagnostic::new(
                    "request section in a response",
                    name.span,
                    format!("`[{}]` belongs to the request", name.value),
                )
                .with_help(format!("move `[{}]` above the `HTTP` line", name.value))
            };
            self.report(diag);
            self.resync_in_entry();
            return;
        }
        fn canonical(n: &str) -> &str {
            match n {
                "QueryStringParams" => "Query",
                "FormParams" => "Form",
                "MultipartFormData" => "Multipart",
                other => other,
            }
        }
        let this = canonical(&name.value);
        let defined = parts
            .request_sections
            .iter()
            .map(|s| canonical(&s.name.value))
            .chain(parts.response_sections.iter().map(|s| canonical(&s.name.value)));
        if defined.into_iter().any(|n| n == this) {
            // Hurl rejects a section given twice in one request or response.
            self.report(
                ParseDiagnostic::new(
                    "duplicated section",
                    Span::new(start, name.span.end.saturating_add(1).min(self.src.len())),
                    format!("the section `[{}]` is already defined", name.value),
                )
                .with_help("merge the two sections into one"),
            );
        }
        match name.value.as_str() {
            "Captures" => {
                let kind = ResponseSectionKind::Captures(self.items(Parser::capture));
                let span = Span::new(start, self.node_end(start));
                push_one(&mut parts.response_sections, ResponseSection { kind, name, span });
            }
            "Asserts" => {
                let kind = ResponseSectionKind::Asserts(self.items(Parser::assert));
                let span = Span::new(start, self.node_end(start));
                push_one(&mut parts.response_sections, ResponseSection { kind, name, span });
            }
            other => {
                let kind = match other {
                    "Query" | "QueryStringParams" => {
                        RequestSectionKind::Query(self.items(Parser::key_value))
                    }
                    "Form" | "FormParams" => {
                        RequestSectionKind::Form(self.items(Parser::key_value))
                    }
                    "Multipart" | "MultipartFormData" => {
                        RequestSectionKind::Multipart(self.items(Parser::multipart_param))
                    }
                    "Cookies" => RequestSectionKind::Cookies(self.items(Parser::key_value)),
                    "BasicAuth" => {
                        let mut lines = self.items(Parser::key_value);
                        if let Some(extra) = lines.get(1) {
                            self.report(
                                ParseDiagnostic::new(
                                    "too many lines in [BasicAuth]",
                                    extra.span,
                                    "a second user",
                                )
                                .with_help("[BasicAuth] holds one `user: password` line"),
                            );
                        }
                        lines.truncate(1);
                        RequestSectionKind::BasicAuth(lines.pop())
                    }
                    _ => RequestSectionKind::Options(self.items(Parser::option)),
                };
                let span = Span::new(start, self.node_end(start));
                push_one(&mut parts.request_sections, RequestSection { kind, name, span });
            }
        }
    }

    /// The lines of a section, each read by `item` and ended by `lt`; a bad line is reported and skipped.
    fn items<T>(&mut self, item: fn(&mut Self) -> PResult<T>) -> Vec<T> {
        // Room for the usual one line, so a section of one line is allocated once.
        let mut items = Vec::with_capacity(1);
        loop {
            self.skip_blank_lines();
            if self.line_kind() != LineKind::Other {
                break;
            }
            let save = self.pos;
            self.skip_sp();
            if self.looks_like_request_line()
                || (self.is_body_start() && !self.looks_like_key_value())
            {
                self.pos = save;
                break;
            }
            match item(self).and_then(|value| self.expect_lt().map(|()| value)) {
                Ok(value) => items.push(value),
                Err(diag) => {
                    self.report(diag);
                    self.skip_line();
                }
            }
        }
        // Most sections hold one or two lines; a file of thousands of entries keeps them all.
        items.shrink_to_fit();
        items
    }

    fn multipart_param(&mut self) -> PResult<MultipartParam> {
        let start = self.pos;
        let key = self.key_colon()?;
        if !self.eat("file,") {
            let value = self.template(StrKind::Value)?;
            let end = value.span.end.max(key.span.end);
            return Ok(MultipartParam::Field(KeyValue { key, value, span: Span::new(start, end) }));
        }
        let filename = self.filename_and_semicolon(
            ("expecting `;`", "expected `;` after the file name"),
            "write `name: file,path; content/type`; escape spaces in the path with `\\ `",
        )?;
        self.skip_sp();
        let content_type = if self.at_newline() || self.peek_byte() == Some(b'#') {
            None
        } else {
            Some(self.template(StrKind::Value)?)
        };
        let end = content_type.as_ref().map_or(self.pos, |t| t.span.end);
        Ok(MultipartParam::File(FileParam {
            key,
            filename,
            content_type,
            span: Span::new(start, end),
        }))
    }

    fn capture(&mut self) -> PResult<Capture> {
        let start = self.pos;
        let name = self.key_colon()?;
        let query = self.query()?;
        let filters = self.filters()?;
        let mut end = self.pos;
        let save = self.pos;
        let mut redact = false;
        if self.skip_sp() > 0 {
            if self.eat_word("redact") {
                redact = true;
                end = self.pos;
            } else if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                return Err(self.filter_error());
            } else {
                self.pos = save;
            }
        }
        Ok(Capture { name, query, filters, redact, span: Span::new(start, end) })
    }

    fn assert(&mut self) -> PResult<Assert> {
        let start = self.pos;
        let query = self.query()?;
        let filters = self.filters()?;
        if self.skip_sp() == 0 || self.at_newline() || self.peek_byte() == Some(b'#') {
            return Err(ParseDiagnostic::new(
                "missing predicate",
                self.char_span(self.pos),
                "expected a predicate",
            )
            .with_help(
                "an assert is `query [filters] [not] predicate [value]`, e.g. `status == 200`",
            ));
        }
        let predicate = self.predicate()?;
        Ok(Assert { query, filters, predicate, span: Span::new(start, self.pos) })
    }
}
