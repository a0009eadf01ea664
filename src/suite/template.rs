//! Argv and env strings with placeholders (`{port}`, `{servers.NAME.url}`, …).
//!
//! A [`Template`] is parsed once by `resolve`, which also checks that every
//! placeholder names something that exists when the command starts. Ports are
//! only known once servers are launched, so the caller substitutes them later
//! with [`Template::render`].
//!
//! Grammar: `{` NAME `}` is a placeholder; `{{` and `}}` are literal braces;
//! any other `{` or `}` is an error.

use std::fmt;
use std::ops::Range;

use toml::Spanned;

/// Something a template refers to, substituted when the command starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `{port}`: the port of the server this command belongs to (in a layer's
    /// command or reset: the main server's).
    Port,
    /// `{url}`: the base URL of that server, such as `http://127.0.0.1:8000`.
    Url,
    /// `{servers.NAME.port}`: the port of the named server.
    ServerPort(String),
    /// `{servers.NAME.url}`: the base URL of the named server.
    ServerUrl(String),
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Port => f.write_str("{port}"),
            Self::Url => f.write_str("{url}"),
            Self::ServerPort(name) => write!(f, "{{servers.{name}.port}}"),
            Self::ServerUrl(name) => write!(f, "{{servers.{name}.url}}"),
        }
    }
}

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Text copied as is (braces already unescaped).
    Literal(String),
    /// A placeholder, with the byte range of `{...}` in the suite file.
    Placeholder(Spanned<Placeholder>),
}

/// A string from the suite file, split into literal text and placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    span: Range<usize>,
}

/// A placeholder that the caller's lookup could not fill.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no value for placeholder `{placeholder}`")]
pub struct UnresolvedPlaceholder {
    /// The placeholder.
    pub placeholder: Placeholder,
    /// Where it is written in the suite file.
    pub span: Range<usize>,
}

impl Template {
    pub(crate) fn new(parts: Vec<Part>, span: Range<usize>) -> Self {
        Self { parts, span }
    }

    /// The pieces, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The byte range of the whole string in the suite file (quotes included).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Every placeholder used, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &Spanned<Placeholder>> {
        self.parts.iter().filter_map(|part| match part {
            Part::Placeholder(p) => Some(p),
            Part::Literal(_) => None,
        })
    }

    /// The text when the template has no placeholder.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Placeholder(_) => return None,
            }
        }
        Some(out)
    }

    /// Substitutes every placeholder with what `lookup` returns for it.
    pub fn render(
        &self,
        lookup: impl Fn(&Placeholder) -> Option<String>,
    ) -> Result<String, UnresolvedPlaceholder> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Placeholder(p) => match lookup(p.get_ref()) {
                    Some(value) => out.push_str(&value),
                    None => {
                        return Err(UnresolvedPlaceholder {
                            placeholder: p.get_ref().clone(),
                            span: p.span(),
                        });
                    }
                },
            }
        }
        Ok(out)
    }
}

/// A piece found by [`scan`], before placeholder names are checked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RawPart {
    /// Literal text.
    Literal(String),
    /// The text between `{` and `}`, and the byte range of `{...}` in the value.
    Name(String, Range<usize>),
}

/// A brace error, with its byte range in the value.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// A `{` with no `}` after it.
    Unclosed(Range<usize>),
    /// A `}` that closes nothing.
    Unmatched(Range<usize>),
}

/// Splits `value` into literals and `{names}`; offsets are into `value`.
pub(crate) fn scan(value: &str) -> Result<Vec<RawPart>, ScanError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let Some(len) = value[i + 1..]
                    .find(['}', '{'])
                    .filter(|&n| value.as_bytes()[i + 1 + n] == b'}')
                else {
                    return Err(ScanError::Unclosed(i..i + 1));
                };
                let end = i + 1 + len;
                if !literal.is_empty() {
                    parts.push(RawPart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(RawPart::Name(value[i + 1..end].to_owned(), i..end + 1));
                while chars.peek().is_some_and(|&(j, _)| j <= end) {
                    chars.next();
                }
            }
            '}' => return Err(ScanError::Unmatched(i..i + 1)),
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(RawPart::Literal(literal));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> RawPart {
        RawPart::Literal(s.to_owned())
    }

    #[test]
    fn scans_placeholders_and_escapes() {
        assert_eq!(
            scan("127.0.0.1:{port}").unwrap(),
            [lit("127.0.0.1:"), RawPart::Name("port".to_owned(), 10..16)]
        );
        assert_eq!(scan("{{x}} {{").unwrap(), [lit("{x} {")]);
        assert_eq!(scan("").unwrap(), []);
        assert_eq!(
            scan("{a}{b}").unwrap(),
            [RawPart::Name("a".to_owned(), 0..3), RawPart::Name("b".to_owned(), 3..6)]
        );
    }

    #[test]
    fn reports_stray_braces() {
        assert_eq!(scan("a{port").unwrap_err(), ScanError::Unclosed(1..2));
        assert_eq!(scan("a{b{c}").unwrap_err(), ScanError::Unclosed(1..2));
        assert_eq!(scan("a}b").unwrap_err(), ScanError::Unmatched(1..2));
    }

    #[test]
    fn renders_with_lookup() {
        let t = Template::new(
            vec![
                Part::Literal("--port=".to_owned()),
                Part::Placeholder(Spanned::new(3..9, Placeholder::Port)),
            ],
            0..12,
        );
        assert_eq!(t.render(|_| Some("8080".to_owned())).unwrap(), "--port=8080");
        assert_eq!(t.as_literal(), None);
        let err = t.render(|_| None).unwrap_err();
        assert_eq!(err.placeholder, Placeholder::Port);
        assert_eq!(err.span, 3..9);
        assert_eq!(err.to_string(), "no value for placeholder `{port}`");
    }
}
