//! Templates and the grammar's string kinds: key strings, value strings,
//! quoted and backtick strings, filenames, with their escapes and `{{placeholders}}`.

use crate::scenario::ast::{
    Expr, ExprKind, Function, Placeholder, Span, Template, TemplateElement,
};
use crate::scenario::diagnostic::ParseDiagnostic;
use crate::scenario::parse::cursor::{PResult, Parser};
use crate::scenario::position::work;

/// The string kinds of the grammar; each has its own stop chars and escapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StrKind {
    /// `key-string`: header names, keys, capture names.
    Key,
    /// `value-string`: up to a comment or the end of the line.
    Value,
    /// `"quoted"`.
    Quoted,
    /// `` `oneline` ``.
    Backtick,
    /// `filename`: up to `;`, `#`, a space or the end of the line.
    Filename,
    /// `filename-password` (the `cert` option): a filename where `\:` escapes the separator.
    FilenamePassword,
}

impl StrKind {
    fn escapes(self) -> &'static str {
        match self {
            StrKind::Key => "#:\\bfnrtu",
            StrKind::Value => "#\\bfnrtu",
            StrKind::Quoted => "\"\\bfnrtu",
            StrKind::Backtick => "`#\\bfnrtu",
            StrKind::Filename => ";# {}\\bfnrtu",
            StrKind::FilenamePassword => ";# {}:\\bfnrtu",
        }
    }

    fn escapes_help(self) -> String {
        let list: Vec<String> = self
            .escapes()
            .chars()
            .map(|c| if c == 'u' { "\\u{…}".to_owned() } else { format!("\\{c}") })
            .collect();
        format!("valid escapes here are {}", list.join(" "))
    }
}

/// Chars a key string may hold without escaping.
pub(super) fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '@' | '$')
}

/// Builds a template from literal text and placeholders.
struct Builder {
    elements: Vec<TemplateElement>,
    text: String,
}

impl Builder {
    fn new() -> Builder {
        Builder { elements: Vec::new(), text: String::new() }
    }

    /// Adds an element; the first one gets room for itself only (most templates are one
    /// literal, allocated once rather than grown to four).
    fn push(&mut self, element: TemplateElement) {
        if self.elements.capacity() == 0 {
            self.elements.reserve_exact(1);
        }
        self.elements.push(element);
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            self.push(TemplateElement::Literal(text));
        }
    }

    fn placeholder(&mut self, placeholder: Placeholder) {
        self.flush();
        self.push(TemplateElement::Placeholder(placeholder));
    }

    fn finish(mut self, delimiter: Option<char>, span: Span) -> Template {
        self.flush();
        Template { elements: self.elements, delimiter, span }
    }
}

impl Parser<'_> {
    /// A string of `kind` from the cursor; the delimiters of quoted kinds are consumed.
    pub(super) fn template(&mut self, kind: StrKind) -> PResult<Template> {
        let start = self.pos;
        let delimiter = match kind {
            StrKind::Quoted => Some('"'),
            StrKind::Backtick => Some('`'),
            _ => None,
        };
        if let Some(open) = delimiter {
            if self.peek() != Some(open) {
                return Err(ParseDiagnostic::new(
                    format!("expecting `{open}`"),
                    self.char_span(self.pos),
                    "a quoted string starts here",
                ));
            }
            self.bump();
        }
        let mut builder = Builder::new();
        // Spaces at the end of a value string are not part of it.
        let mut trailing_spaces = 0usize;
        loop {
            if self.starts_with("{{") {
                builder.placeholder(self.placeholder()?);
                trailing_spaces = 0;
                continue;
            }
            // The common case, a run of plain ASCII (a URL, a header value): taken whole, not
            // char by char. Plain bytes are never a stop, an escape, a delimiter or a brace.
            let plain = self.plain_run(kind);
            if plain > 0 {
                let end = self.pos + plain;
                builder.text.push_str(self.src.get(self.pos..end).unwrap_or(""));
                work::charge(plain);
                self.pos = end;
                trailing_spaces = 0;
                continue;
            }
            let c = self.peek();
            if let Some(close) = delimiter {
                if c == Some(close) {
                    self.bump();
                    break;
                }
                if self.at_newline() {
                    let what = if close == '"' { "string" } else { "backtick string" };
                    return Err(ParseDiagnostic::new(
                        format!("unterminated {what}"),
                        Span::new(start, self.pos),
                        format!("missing the closing `{close}`"),
                    )
                    .with_help(format!("close the string with `{close}` on the same line")));
                }
            }
            let Some(c) = c else { break };
            if delimiter.is_none() && self.stops(kind, c) {
                break;
            }
            if c == '\\' {
                let unescaped = self.escape(kind)?;
                builder.text.push(unescaped);
                trailing_spaces = 0;
                continue;
            }
            self.bump();
            builder.text.push(c);
            if kind == StrKind::Value && (c == ' ' || c == '\t') {
                trailing_spaces += 1;
            } else {
                trailing_spaces = 0;
            }
        }
        let mut end = self.pos;
        if trailing_spaces > 0 {
            let keep = builder.text.len().saturating_sub(trailing_spaces);
            builder.text.truncate(keep);
            end = end.saturating_sub(trailing_spaces);
        }
        Ok(builder.finish(delimiter, Span::new(start, end)))
    }

    /// How many bytes from the cursor are plain ASCII for a string of `kind`: letters,
    /// digits, `_ - .`, and outside keys and filename-passwords also `/ : ? = & % + , ! * ( ) ~`.
    /// No kind stops at, escapes, or delimits with any of them (`stops`, `escape`).
    fn plain_run(&self, kind: StrKind) -> usize {
        let punctuation = !matches!(kind, StrKind::Key | StrKind::FilenamePassword);
        let plain = |b: &&u8| {
            b.is_ascii_alphanumeric()
                || matches!(**b, b'_' | b'-' | b'.')
                || (punctuation
                    && matches!(
                        **b,
                        b'/' | b':'
                            | b'?'
                            | b'='
                            | b'&'
                            | b'%'
                            | b'+'
                            | b','
                            | b'!'
                            | b'*'
                            | b'('
                            | b')'
                            | b'~'
                    ))
        };
        self.src.as_bytes().get(self.pos..).unwrap_or_default().iter().take_while(plain).count()
    }

    fn stops(&self, kind: StrKind, c: char) -> bool {
        match kind {
            StrKind::Key => c != '\\' && !is_key_char(c),
            StrKind::Value => c == '#' || self.at_newline(),
            StrKind::Filename | StrKind::FilenamePassword => {
                matches!(c, ';' | '#' | ' ' | '\t') || self.at_newline()
            }
            StrKind::Quoted | StrKind::Backtick => false,
        }
    }

    /// One escape sequence at the cursor (which is on the backslash).
    fn escape(&mut self, kind: StrKind) -> PResult<char> {
        let start = self.pos;
        self.bump();
        let Some(c) = self.peek() else {
            return Err(ParseDiagnostic::new(
                "invalid escape sequence",
                Span::new(start, self.pos),
                "nothing to escape",
            )
            .with_help(kind.escapes_help()));
        };
        let allowed = kind.escapes().contains(c);
        if !allowed || c == '\n' || c == '\r' {
            let end = if c == '\n' || c == '\r' { self.pos } else { self.pos + c.len_utf8() };
            return Err(ParseDiagnostic::new(
                "invalid escape sequence",
                Span::new(start, end),
                "unknown escape",
            )
            .with_help(kind.escapes_help()));
        }
        self.bump();
        let unescaped = match c {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => return self.unicode_escape(start),
            other => other,
        };
        Ok(unescaped)
    }

    /// The `{hex}` part of `\u{hex}`.
    fn unicode_escape(&mut self, start: usize) -> PResult<char> {
        let invalid = |end: usize| {
            ParseDiagnostic::new(
                "invalid unicode escape",
                Span::new(start, end),
                "expected `\\u{hex digits}`",
            )
            .with_help("write a code point in hexadecimal, e.g. `\\u{2764}`")
        };
        if !self.eat("{") {
            return Err(invalid(self.pos));
        }
        let (digits, _) = self.read_while(|c| c.is_ascii_hexdigit());
        if digits.is_empty() || digits.len() > 6 || !self.eat("}") {
            return Err(invalid(self.pos));
        }
        u32::from_str_radix(digits, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| invalid(self.pos))
    }

    /// `{{ expr }}` at the cursor.
    pub(super) fn placeholder(&mut self) -> PResult<Placeholder> {
        let start = self.pos;
        self.eat("{{");
        self.skip_sp();
        let (name, name_span) =
            self.read_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let starts_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !starts_ok {
            let span = if name.is_empty() { self.char_span(self.pos) } else { name_span };
            return Err(ParseDiagnostic::new("invalid placeholder", span, "expected a variable name")
                .with_help("a placeholder is `{{name}}`, `{{newUuid}}` or `{{newDate}}`; names start with a letter"));
        }
        self.skip_sp();
        if !self.eat("}}") {
            let span = if self.at_newline() {
                Span::new(start, self.pos)
            } else {
                self.char_span(self.pos)
            };
            return Err(ParseDiagnostic::new("unterminated placeholder", span, "expected `}}`")
                .with_help("close the placeholder with `}}`"));
        }
        let kind = match name {
            "newUuid" => ExprKind::Function(Function::NewUuid),
            "newDate" => ExprKind::Function(Function::NewDate),
            "getEnv" => {
                return Err(ParseDiagnostic::new(
                    "reserved name",
                    name_span,
                    "`getEnv` is reserved",
                )
                .with_help(
                    "Hurl 8.1 reserves `getEnv` without defining it; use another variable name",
                ));
            }
            other => ExprKind::Variable(other.to_owned()),
        };
        Ok(Placeholder { expr: Expr { kind, span: name_span }, span: Span::new(start, self.pos) })
    }

    /// A key string; it must not be empty.
    pub(super) fn key_string(&mut self) -> PResult<Template> {
        let key = self.template(StrKind::Key)?;
        if key.span.start == key.span.end {
            return Err(ParseDiagnostic::new(
                "expecting a key",
                self.char_span(self.pos),
                "not a valid key character",
            )
            .with_help(
                "keys are made of letters, digits and `_ - . [ ] @ $`; escape others with `\\`",
            ));
        }
        Ok(key)
    }
}

/// Parses `text` as a raw template: literal text and `{{placeholders}}`, no escapes.
///
/// Used for multiline strings, whose content is sent as written.
pub(super) fn raw_template(parser: &mut Parser<'_>, end: usize) -> PResult<Template> {
    let start = parser.pos;
    let mut builder = Builder::new();
    while parser.pos < end {
        if parser.starts_with("{{") {
            builder.placeholder(parser.placeholder()?);
            continue;
        }
        let Some(c) = parser.bump() else { break };
        builder.text.push(c);
    }
    Ok(builder.finish(None, Span::new(start, parser.pos)))
}
