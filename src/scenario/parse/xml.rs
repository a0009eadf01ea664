//! Finding where a raw XML body ends: a scan of one well-formed element.
//!
//! The grammar leaves the end of an XML body undefined (Hurl asks libxml2's
//! SAX parser). This scan accepts a prolog (XML declaration, comments,
//! processing instructions, a doctype), then exactly one element with nested
//! elements, attributes, text, comments, CDATA sections and processing
//! instructions, and checks that end tags match start tags. It does not
//! validate entities or namespaces.

use crate::scenario::position::work;

/// Why the scan failed, and where.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct XmlError {
    /// Byte offset of the problem.
    pub(super) at: usize,
    /// A label for the caret.
    pub(super) message: String,
}

fn error(at: usize, message: impl Into<String>) -> XmlError {
    XmlError { at, message: message.into() }
}

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    /// Skips past `terminator`, or fails with `what` at `start`.
    fn skip_past(&mut self, terminator: &str, start: usize, what: &str) -> Result<(), XmlError> {
        let found = self.rest().find(terminator);
        work::charge(found.map_or(self.rest().len(), |i| i + terminator.len()));
        match found {
            Some(i) => {
                self.pos += i + terminator.len();
                Ok(())
            }
            None => Err(error(start, format!("unterminated {what}"))),
        }
    }

    fn name(&mut self) -> Result<&str, XmlError> {
        let start = self.pos;
        let first = self.rest().chars().next();
        if !first.is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':') {
            return Err(error(start, "expected a tag name"));
        }
        while let Some(c) = self.rest().chars().next() {
            if c.is_whitespace() || matches!(c, '/' | '>' | '=' | '<' | '"' | '\'') {
                break;
            }
            self.pos += c.len_utf8();
        }
        Ok(self.src.get(start..self.pos).unwrap_or(""))
    }

    /// Comments, processing instructions and doctype before the root element.
    fn prolog(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            let start = self.pos;
            if self.rest().starts_with("<?") {
                self.skip_past("?>", start, "processing instruction")?;
            } else if self.rest().starts_with("<!--") {
                self.skip_past("-->", start, "comment")?;
            } else if self.rest().starts_with("<!DOCTYPE") {
                self.doctype(start)?;
            } else {
                return Ok(());
            }
        }
    }

    fn doctype(&mut self, start: usize) -> Result<(), XmlError> {
        let mut depth = 0usize;
        let mut quote: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match (quote, b) {
                (Some(q), _) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'[') => depth += 1,
                (None, b']') => depth = depth.saturating_sub(1),
                (None, b'>') if depth == 0 => return Ok(()),
                _ => {}
            }
        }
        Err(error(start, "unterminated doctype"))
    }

    /// A start tag after its `<`; returns the name and whether it is empty (`/>`).
    fn start_tag(&mut self, open: usize) -> Result<(String, bool), XmlError> {
        let name = self.name()?.to_owned();
        loop {
            let before_ws = self.pos;
            self.skip_ws();
            match self.peek() {
                Some(b'>') => {
                    self.pos += 1;
                    return Ok((name, false));
                }
                Some(b'/') => {
                    self.pos += 1;
                    if self.peek() != Some(b'>') {
                        return Err(error(self.pos, "expected `>` after `/`"));
                    }
                    self.pos += 1;
                    return Ok((name, true));
                }
                None => return Err(error(open, format!("unterminated start tag `<{name}`"))),
                Some(_) => {
                    if self.pos == before_ws {
                        return Err(error(self.pos, "expected a space before the attribute"));
                    }
                    self.attribute()?;
                }
            }
        }
    }

    fn attribute(&mut self) -> Result<(), XmlError> {
        self.name().map_err(|e| error(e.at, "expected an attribute name"))?;
        self.skip_ws();
        if self.peek() != Some(b'=') {
            return Err(error(self.pos, "expected `=` after the attribute name"));
        }
        self.pos += 1;
        self.skip_ws();
        let Some(quote @ (b'"' | b'\'')) = self.peek() else {
            return Err(error(self.pos, "expected a quoted attribute value"));
        };
        let start = self.pos;
        self.pos += 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == quote {
                return Ok(());
            }
            if b == b'<' {
                return Err(error(self.pos - 1, "`<` is not allowed in an attribute value"));
            }
        }
        Err(error(start, "unterminated attribute value"))
    }
}

/// Scans one XML document starting at `start` (on a `<`); returns the offset after the root element.
pub(super) fn scan_xml(src: &str, start: usize) -> Result<usize, XmlError> {
    let mut scanner = Scanner { src, pos: start };
    scanner.prolog()?;
    if scanner.peek() != Some(b'<') {
        return Err(error(scanner.pos, "expected the root element"));
    }
    let mut stack: Vec<(String, usize)> = Vec::new();
    loop {
        let at = scanner.pos;
        let Some(b) = scanner.peek() else {
            let (name, open) = stack.last().cloned().unwrap_or_default();
            return Err(error(open, format!("element `<{name}>` is never closed")));
        };
        if b != b'<' {
            // Text: up to the next markup. A line of Hurl in the text means the element
            // was never closed; stopping there keeps recovery linear.
            let text_end = scanner.rest().find('<').map_or(src.len(), |i| scanner.pos + i);
            work::charge(text_end.saturating_sub(scanner.pos));
            let text = src.get(scanner.pos..text_end).unwrap_or("");
            let hurl_line = text
                .match_indices('\n')
                .any(|(i, _)| looks_like_hurl_line(text.get(i + 1..).unwrap_or("")));
            if hurl_line {
                let (name, open) = stack.last().cloned().unwrap_or_default();
                return Err(error(open, format!("element `<{name}>` is never closed")));
            }
            scanner.pos = text_end;
            continue;
        }
        let rest = scanner.rest();
        if rest.starts_with("<!--") {
            scanner.skip_past("-->", at, "comment")?;
        } else if rest.starts_with("<![CDATA[") {
            scanner.skip_past("]]>", at, "CDATA section")?;
        } else if rest.starts_with("<?") {
            scanner.skip_past("?>", at, "processing instruction")?;
        } else if rest.starts_with("<!") {
            return Err(error(at, "unexpected `<!` in content"));
        } else if rest.starts_with("</") {
            scanner.pos += 2;
            let name = scanner.name()?.to_owned();
            scanner.skip_ws();
            if scanner.peek() != Some(b'>') {
                return Err(error(scanner.pos, "expected `>` to close the end tag"));
            }
            scanner.pos += 1;
            match stack.pop() {
                Some((open, _)) if open == name => {}
                Some((open, _)) => {
                    return Err(error(at, format!("expected `</{open}>`, found `</{name}>`")));
                }
                None => return Err(error(at, "end tag without a start tag")),
            }
            if stack.is_empty() {
                return Ok(scanner.pos);
            }
        } else {
            scanner.pos += 1;
            let (name, empty) = scanner.start_tag(at)?;
            if empty {
                if stack.is_empty() {
                    return Ok(scanner.pos);
                }
            } else {
                stack.push((name, at));
            }
        }
    }
}

/// Whether `line` starts like a request line (`GET http…`), a response line or a section header.
fn looks_like_hurl_line(line: &str) -> bool {
    let method_len = line.bytes().take_while(u8::is_ascii_uppercase).count();
    let after = line.get(method_len..).unwrap_or("");
    let request = method_len > 0 && after.starts_with(' ') && !after.trim_start().starts_with(':');
    let response =
        line.starts_with("HTTP/") || line.starts_with("HTTP ") || line.starts_with("HTTP\n");
    let section = line.starts_with('[')
        && line.get(1..).and_then(|l| l.split_once(']')).is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic())
        });
    request || response || section
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(src: &str) -> Result<usize, XmlError> {
        scan_xml(src, 0)
    }

    #[test]
    fn finds_the_end_of_the_root_element() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a x='1' y=\"a>b\"><b/><![CDATA[</a>]]><?pi x?><!-- </a> -->t</a>";
        assert_eq!(end(&format!("{doc}\nHTTP 200")), Ok(doc.len()));
        assert_eq!(end("<a/> trailing"), Ok(4));
        assert_eq!(end("<é>x</é>"), Ok("<é>x</é>".len()));
    }

    #[test]
    fn rejects_malformed_documents() {
        assert!(end("<a><b></a>").is_err());
        assert!(end("<a>").is_err());
        assert!(end("<a x=1></a>").is_err());
        assert!(end("<!-- x").is_err());
        assert!(end("< a/>").is_err());
        assert!(end("<a><![CDATA[x</a>").is_err());
        assert_eq!(end("<a>\ntext\nGET http://b\n</a>").map_err(|e| e.at), Err(0));
        assert_eq!(end("<a>\nGET: not hurl\n</a>"), Ok(22));
    }
}
