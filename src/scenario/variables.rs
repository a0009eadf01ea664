//! Which variables a file uses and defines, in the order the runner evaluates them.
//!
//! [`events`] walks a parsed file entry by entry as `runner::execute` runs it: an
//! entry's `[Options]` first (a `variable: name=value` line defines `name` for the
//! options after it, the request and every later entry), then the request, then the
//! response's `[Captures]` (each defines its name for what follows), then the
//! response's headers, `[Asserts]` and body, which run after the captures.
//! A `{{name}}` placeholder is a use; a function (`{{newUuid}}`) is not.
//!
//! `shakedown check` replays these events against the names the suite provides to
//! flag a use that nothing defines. Pure: it reads the tree and nothing else.

use crate::scenario::ast::{
    Body, BodyKind, BoolOption, BytesLiteral, CountOption, DurationOption, Entry, EntryOption,
    ExprKind, Filter, FilterKind, HurlFile, JsonValue, KeyValue, MultilineKind, MultilineString,
    MultipartParam, OptionValue, Placeholder, PredicateFunc, PredicateValue, Query, QueryKind,
    RegexValue, RequestSectionKind, ResponseSectionKind, Span, Template, TemplateElement,
    VariableValue,
};

/// One step of a file's evaluation that concerns variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VariableEvent<'a> {
    /// `{{name}}`, with the span of the whole placeholder.
    Use {
        /// The variable read.
        name: &'a str,
        /// From `{{` to `}}`.
        span: Span,
    },
    /// A capture or an `[Options]` `variable` defines `name` from here on.
    Define {
        /// The variable set (a capture whose name is itself a template is skipped).
        name: String,
    },
}

/// Every use and definition of a variable in `file`, in evaluation order.
pub fn events(file: &HurlFile) -> Vec<VariableEvent<'_>> {
    let mut walk = Walk { out: Vec::new() };
    for entry in &file.entries {
        walk.entry(entry);
    }
    walk.out
}

struct Walk<'a> {
    out: Vec<VariableEvent<'a>>,
}

impl<'a> Walk<'a> {
    fn entry(&mut self, entry: &'a Entry) {
        let request = &entry.request;
        // `[Options]` are applied before the request is rendered, wherever they stand.
        for section in &request.sections {
            if let RequestSectionKind::Options(options) = &section.kind {
                for option in options {
                    self.option(option);
                }
            }
        }
        self.template(&request.url);
        self.key_values(&request.headers);
        for section in &request.sections {
            match &section.kind {
                RequestSectionKind::Query(lines)
                | RequestSectionKind::Form(lines)
                | RequestSectionKind::Cookies(lines) => self.key_values(lines),
                RequestSectionKind::Multipart(params) => {
                    for param in params {
                        match param {
                            MultipartParam::Field(line) => self.key_value(line),
                            MultipartParam::File(file) => {
                                self.template(&file.key);
                                self.template(&file.filename);
                                if let Some(content_type) = &file.content_type {
                                    self.template(content_type);
                                }
                            }
                        }
                    }
                }
                RequestSectionKind::BasicAuth(line) => {
                    if let Some(line) = line {
                        self.key_value(line);
                    }
                }
                RequestSectionKind::Options(_) => {}
            }
        }
        if let Some(body) = &request.body {
            self.body(body);
        }
        let Some(response) = &entry.response else { return };
        // Captures run before the asserts, which may use them.
        for section in &response.sections {
            if let ResponseSectionKind::Captures(captures) = &section.kind {
                for capture in captures {
                    self.template(&capture.name);
                    self.query(&capture.query);
                    self.filters(&capture.filters);
                    if let Some(name) = capture.name.as_literal() {
                        self.out.push(VariableEvent::Define { name });
                    }
                }
            }
        }
        self.key_values(&response.headers);
        for section in &response.sections {
            if let ResponseSectionKind::Asserts(asserts) = &section.kind {
                for assert in asserts {
                    self.query(&assert.query);
                    self.filters(&assert.filters);
                    self.predicate(&assert.predicate.func);
                }
            }
        }
        if let Some(body) = &response.body {
            self.body(body);
        }
    }

    fn option(&mut self, option: &'a EntryOption) {
        match &option.value {
            OptionValue::Bool(BoolOption::Placeholder(p))
            | OptionValue::Count(CountOption::Placeholder(p))
            | OptionValue::Natural(CountOption::Placeholder(p))
            | OptionValue::Duration(DurationOption::Placeholder(p)) => self.placeholder(p),
            OptionValue::Template(t) => self.template(t),
            OptionValue::Variable(definition) => {
                if let VariableValue::String(t) = &definition.value {
                    self.template(t);
                }
                self.out.push(VariableEvent::Define { name: definition.name.value.clone() });
            }
            OptionValue::Bool(BoolOption::Literal(_))
            | OptionValue::Count(CountOption::Literal(_))
            | OptionValue::Natural(CountOption::Literal(_))
            | OptionValue::Duration(DurationOption::Literal { .. }) => {}
        }
    }

    fn key_values(&mut self, lines: &'a [KeyValue]) {
        for line in lines {
            self.key_value(line);
        }
    }

    fn key_value(&mut self, line: &'a KeyValue) {
        self.template(&line.key);
        self.template(&line.value);
    }

    fn body(&mut self, body: &'a Body) {
        match &body.kind {
            BodyKind::Json(value) => self.json(value),
            BodyKind::Xml(_) => {}
            BodyKind::Multiline(text) => self.multiline(text),
            BodyKind::Oneline(t) => self.template(t),
            BodyKind::Bytes(bytes) => self.bytes(bytes),
        }
    }

    fn multiline(&mut self, text: &'a MultilineString) {
        self.template(&text.value);
        if let MultilineKind::Graphql { variables: Some(variables) } = &text.kind {
            self.json(variables);
        }
    }

    fn bytes(&mut self, bytes: &'a BytesLiteral) {
        if let BytesLiteral::File(t) = bytes {
            self.template(t);
        }
    }

    fn json(&mut self, value: &'a JsonValue) {
        match value {
            JsonValue::Object { members, .. } => {
                for (key, value) in members {
                    self.template(key);
                    self.json(value);
                }
            }
            JsonValue::Array { elements, .. } => {
                for element in elements {
                    self.json(element);
                }
            }
            JsonValue::String(t) => self.template(t),
            JsonValue::Placeholder(p) => self.placeholder(p),
            JsonValue::Number(_) | JsonValue::Bool(_) | JsonValue::Null(_) => {}
        }
    }

    fn query(&mut self, query: &'a Query) {
        match &query.kind {
            QueryKind::Header(t)
            | QueryKind::Xpath(t)
            | QueryKind::Jsonpath(t)
            | QueryKind::Variable(t) => self.template(t),
            QueryKind::Cookie(path) => self.template(&path.name),
            QueryKind::Regex(regex) => self.regex(regex),
            QueryKind::Status
            | QueryKind::Version
            | QueryKind::Url
            | QueryKind::Ip
            | QueryKind::Body
            | QueryKind::Duration
            | QueryKind::Bytes
            | QueryKind::RawBytes
            | QueryKind::Sha256
            | QueryKind::Md5
            | QueryKind::Certificate(_)
            | QueryKind::Redirects => {}
        }
    }

    fn regex(&mut self, regex: &'a RegexValue) {
        if let RegexValue::Template(t) = regex {
            self.template(t);
        }
    }

    fn filters(&mut self, filters: &'a [Filter]) {
        for filter in filters {
            match &filter.kind {
                FilterKind::CharsetDecode { encoding: t }
                | FilterKind::DateFormat { format: t }
                | FilterKind::Jsonpath { expr: t }
                | FilterKind::Split { separator: t }
                | FilterKind::ToDate { format: t }
                | FilterKind::UrlQueryParam { param: t }
                | FilterKind::Xpath { expr: t } => self.template(t),
                FilterKind::Regex { pattern } => self.regex(pattern),
                FilterKind::Replace { old, new } => {
                    self.template(old);
                    self.template(new);
                }
                FilterKind::ReplaceRegex { pattern, new } => {
                    self.regex(pattern);
                    self.template(new);
                }
                _ => {}
            }
        }
    }

    fn predicate(&mut self, func: &'a PredicateFunc) {
        let (PredicateFunc::Equal(value)
        | PredicateFunc::NotEqual(value)
        | PredicateFunc::GreaterThan(value)
        | PredicateFunc::GreaterThanOrEqual(value)
        | PredicateFunc::LessThan(value)
        | PredicateFunc::LessThanOrEqual(value)
        | PredicateFunc::StartsWith(value)
        | PredicateFunc::EndsWith(value)
        | PredicateFunc::Contains(value)
        | PredicateFunc::Includes(value)
        | PredicateFunc::Matches(value)) = func
        else {
            return;
        };
        match value {
            PredicateValue::String(t) => self.template(t),
            PredicateValue::MultilineString(text) => self.multiline(text),
            PredicateValue::Bytes(bytes) => self.bytes(bytes),
            PredicateValue::Placeholder(p) => self.placeholder(p),
            PredicateValue::Integer(_)
            | PredicateValue::BigInteger(_)
            | PredicateValue::Float(_)
            | PredicateValue::Bool(_)
            | PredicateValue::Null(_)
            | PredicateValue::Regex(_) => {}
        }
    }

    fn template(&mut self, template: &'a Template) {
        for element in &template.elements {
            if let TemplateElement::Placeholder(p) = element {
                self.placeholder(p);
            }
        }
    }

    fn placeholder(&mut self, placeholder: &'a Placeholder) {
        if let ExprKind::Variable(name) = &placeholder.expr.kind {
            self.out.push(VariableEvent::Use { name, span: placeholder.span });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(source: &str) -> Vec<String> {
        let (file, diagnostics) = crate::scenario::parse(source);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        events(&file)
            .into_iter()
            .map(|e| match e {
                VariableEvent::Use { name, span } => {
                    assert_eq!(&source[span.start..span.end], format!("{{{{{name}}}}}"));
                    format!("use {name}")
                }
                VariableEvent::Define { name } => format!("define {name}"),
            })
            .collect()
    }

    #[test]
    fn options_then_request_then_captures_then_asserts() {
        let source = "POST {{base_url}}/orders/{{id}}\nX-Token: {{token}}\n[Query]\nq: {{newUuid}}\n[Options]\nvariable: id={{seed}}\n{\"n\": {{count}}, \"s\": \"{{name}}\"}\nHTTP 201\nLocation: {{location}}\n[Asserts]\njsonpath \"$.id\" == {{order_id}}\n[Captures]\norder_id: jsonpath \"$.id\" replace \"{{a}}\" \"b\"\n";
        assert_eq!(
            trace(source),
            [
                "use seed",
                "define id",
                "use base_url",
                "use id",
                "use token",
                "use count",
                "use name",
                "use a",
                "define order_id",
                "use location",
                "use order_id",
            ]
        );
    }

    #[test]
    fn every_entry_in_order_and_graphql_variables() {
        let source = "GET {{u}}\nHTTP 200\n[Captures]\nx: header \"{{h}}\"\n\nPOST {{u}}\n```graphql\nquery { a(id: \"{{x}}\") }\nvariables {\"v\": {{y}}}\n```\n";
        assert_eq!(trace(source), ["use u", "use h", "define x", "use u", "use x", "use y"]);
    }
}
