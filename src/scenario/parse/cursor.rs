//! The cursor over the source shared by every part of the parser: peeking,
//! advancing, line ends, comments and error construction.
//!
//! Positions are byte offsets into the source; the cursor only ever stops on
//! char boundaries, because it advances by whole chars or over ASCII bytes.

use crate::scenario::ast::Span;
use crate::scenario::diagnostic::ParseDiagnostic;
use crate::scenario::position::work;

/// The result of a sub-parser: a value, or the diagnostic that stopped it.
pub(super) type PResult<T> = Result<T, ParseDiagnostic>;

/// Parser state: the source, the position and the diagnostics recorded so far.
pub(super) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) pos: usize,
    pub(super) diags: Vec<ParseDiagnostic>,
    /// The end of the last content ended by a line terminator (comments and blank lines excluded).
    pub(super) content_end: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(src: &'a str) -> Parser<'a> {
        Parser { src, pos: 0, diags: Vec::new(), content_end: 0 }
    }

    /// The text from the cursor on.
    pub(super) fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(super) fn peek_byte(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    pub(super) fn byte_at(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(at).copied()
    }

    pub(super) fn eof(&self) -> bool {
        self.pos >= self.src.len()
    }

    /// Advances over one char and returns it.
    pub(super) fn bump(&mut self) -> Option<char> {
        work::charge(1);
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    pub(super) fn starts_with(&self, text: &str) -> bool {
        work::charge(text.len());
        self.rest().starts_with(text)
    }

    /// Advances over `text` if the source continues with it.
    pub(super) fn eat(&mut self, text: &str) -> bool {
        if self.starts_with(text) {
            self.pos += text.len();
            true
        } else {
            false
        }
    }

    /// Skips spaces and tabs; returns how many were skipped.
    pub(super) fn skip_sp(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek_byte(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        work::charge(self.pos - start);
        self.pos - start
    }

    /// Whether `at` is a line end: end of input, `\n` or `\r\n`.
    pub(super) fn is_newline_at(&self, at: usize) -> bool {
        match self.byte_at(at) {
            None | Some(b'\n') => true,
            Some(b'\r') => self.byte_at(at + 1) == Some(b'\n'),
            Some(_) => false,
        }
    }

    pub(super) fn at_newline(&self) -> bool {
        self.is_newline_at(self.pos)
    }

    /// The end of the line's content from `from` (before `\r\n` or `\n`).
    pub(super) fn line_end(&self, from: usize) -> usize {
        let end = self.find_newline(from).map_or(self.src.len(), |i| from + i);
        work::charge(end.saturating_sub(from));
        if end > from && self.byte_at(end - 1) == Some(b'\r') { end - 1 } else { end }
    }

    /// The start of the line after the one holding `from` (or the end of input).
    pub(super) fn next_line_start(&self, from: usize) -> usize {
        let next = self.find_newline(from).map_or(self.src.len(), |i| from + i + 1);
        work::charge(next.saturating_sub(from));
        next
    }

    /// Where the next `\n` is, counted from `from`. Most searches start at or near a line
    /// end (after a request line, a header, a section name): the first bytes are looked at
    /// one by one, and only a longer line pays for `memchr`'s setup.
    fn find_newline(&self, from: usize) -> Option<usize> {
        let bytes = self.src.as_bytes().get(from..).unwrap_or_default();
        let head = bytes.len().min(NEAR);
        if let Some(i) = bytes.get(..head).and_then(|b| b.iter().position(|&b| b == b'\n')) {
            return Some(i);
        }
        // `\n` is ASCII, so the text from `from` is a `str` and its `find` is `memchr`.
        self.src.get(from..).and_then(|rest| rest.find('\n'))
    }

    /// Moves to the start of the next line.
    pub(super) fn skip_line(&mut self) {
        self.pos = self.next_line_start(self.pos);
    }

    /// The span of the char at `at`, empty at a line end.
    pub(super) fn char_span(&self, at: usize) -> Span {
        if self.is_newline_at(at) {
            return Span::new(at, at);
        }
        let len = self.src.get(at..).and_then(|s| s.chars().next()).map_or(0, char::len_utf8);
        Span::new(at, at + len)
    }

    /// From `at` to the end of its line's content.
    pub(super) fn rest_of_line_span(&self, at: usize) -> Span {
        Span::new(at, self.line_end(at).max(at))
    }

    /// `lt`: spaces, an optional comment, then a newline (consumed) or the end of input.
    pub(super) fn expect_lt(&mut self) -> PResult<()> {
        // Trailing spaces may already be consumed (value strings read them, then trim them).
        let mut content_end = self.pos;
        while content_end > 0 && matches!(self.byte_at(content_end - 1), Some(b' ' | b'\t')) {
            content_end -= 1;
        }
        work::charge(self.pos - content_end);
        self.skip_sp();
        if self.peek_byte() == Some(b'#') {
            self.pos = self.line_end(self.pos);
        }
        if self.at_newline() {
            self.skip_line();
            self.content_end = self.content_end.max(content_end);
            return Ok(());
        }
        let span = self.rest_of_line_span(self.pos);
        Err(ParseDiagnostic::new("unexpected text", span, "expected the end of the line")
            .with_help("remove this text, or start a comment with `#`"))
    }

    /// Whether the line from the cursor holds only spaces and an optional comment.
    pub(super) fn at_blank_line(&self) -> bool {
        let mut at = self.pos;
        while matches!(self.byte_at(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        work::charge(at - self.pos);
        self.byte_at(at) == Some(b'#') || self.is_newline_at(at)
    }

    /// `lt*`: skips blank and comment lines (and spaces at the start of the next line).
    pub(super) fn skip_blank_lines(&mut self) {
        while !self.eof() && self.at_blank_line() {
            self.skip_line();
        }
    }

    /// Reads a run of chars satisfying `accept`.
    pub(super) fn read_while(&mut self, accept: impl Fn(char) -> bool) -> (&'a str, Span) {
        let start = self.pos;
        loop {
            // ASCII, the common case, without decoding a char.
            let c = match self.peek_byte() {
                None => break,
                Some(b) if b.is_ascii() => char::from(b),
                Some(_) => match self.peek() {
                    Some(c) => c,
                    None => break,
                },
            };
            if !accept(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        work::charge(self.pos - start);
        (self.src.get(start..self.pos).unwrap_or(""), Span::new(start, self.pos))
    }

    /// Reads a run of bytes satisfying `accept`, which accepts only ASCII bytes (so the run
    /// ends on a char boundary): [`Parser::read_while`] without decoding chars.
    pub(super) fn read_while_ascii(&mut self, accept: impl Fn(u8) -> bool) -> (&'a str, Span) {
        let start = self.pos;
        let bytes = self.src.as_bytes().get(start..).unwrap_or_default();
        let len = bytes.iter().take_while(|&&b| b.is_ascii() && accept(b)).count();
        self.pos = start + len;
        work::charge(len);
        (self.src.get(start..self.pos).unwrap_or(""), Span::new(start, self.pos))
    }

    /// Records a diagnostic.
    pub(super) fn report(&mut self, diag: ParseDiagnostic) {
        self.diags.push(diag);
    }
}

/// How many bytes [`Parser::find_newline`] looks at one by one before it calls `memchr`.
const NEAR: usize = 32;

/// Chars of a keyword: letters, digits, `-`, `.`, `_`.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The near-then-`memchr` search finds what `str::find` finds, on both sides of the
    /// near window, from every start (multi-byte chars included).
    #[test]
    fn find_newline_agrees_with_str_find() {
        let mut sources = vec![String::new(), "\n".to_owned(), "no newline".to_owned()];
        for len in [0, 1, NEAR - 1, NEAR, NEAR + 1, 3 * NEAR] {
            sources.push(format!("{}\nnext", "é".repeat(len)));
            sources.push(format!("{}\r\n{}\n", "a".repeat(len), "b".repeat(len)));
        }
        for src in &sources {
            let parser = Parser::new(src);
            for from in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
                let expected = src.get(from..).and_then(|rest| rest.find('\n'));
                assert_eq!(parser.find_newline(from), expected, "{src:?} from {from}");
                assert_eq!(
                    parser.next_line_start(from),
                    expected.map_or(src.len(), |i| from + i + 1),
                    "{src:?} from {from}"
                );
            }
        }
    }
}
