//! Turning byte offsets into the 1-based line and column Hurl prints, in constant time.
//!
//! Columns count characters, not bytes, as Hurl's `reader::Pos` does.
//! [`LineIndex`] is built in one pass over the text; a lookup is a binary search
//! for the line plus a count of at most one block of bytes, so reporting every
//! error of a file costs time linear in the file, however long its lines are.
//! [`decode`] turns a file's bytes into text, or names its first invalid byte.
//! [`work`] is the meter the linear-cost tests read.

use crate::scenario::ast::Span;
use crate::scenario::diagnostic::ParseDiagnostic;

/// A deterministic measure of work, for tests that check that cost grows linearly
/// with the input (never wall-clock time).
///
/// The scanning loops of the parser's cursor, this index, the renderer and the
/// suite's resolver [`work::charge`] what they scan (bytes, steps, lookups). In
/// a normal build `charge` does nothing; under `cfg(test)` it adds to a
/// per-thread counter that `work::measure` reads.
pub(crate) mod work {
    #[cfg(test)]
    use std::cell::Cell;

    #[cfg(test)]
    thread_local! {
        static UNITS: Cell<u64> = const { Cell::new(0) };
    }

    /// Adds `units` of work (bytes scanned, steps taken) to this thread's meter.
    #[inline]
    pub(crate) fn charge(units: usize) {
        #[cfg(test)]
        UNITS.with(|meter| meter.set(meter.get().saturating_add(units as u64)));
        #[cfg(not(test))]
        let _ = units;
    }

    /// Runs `f` and returns its result with the work it charged.
    #[cfg(test)]
    pub(crate) fn measure<R>(f: impl FnOnce() -> R) -> (R, u64) {
        let before = UNITS.with(Cell::get);
        let result = f();
        (result, UNITS.with(Cell::get).saturating_sub(before))
    }
}

/// Bytes per block of the character-count table.
const BLOCK: usize = 256;

/// An index of line starts of one source text, and of character counts.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// `chars_before_block[k]`: the number of characters in the first `k * BLOCK` bytes.
    chars_before_block: Vec<usize>,
    /// The length of the indexed text, in bytes.
    len: usize,
}

/// Whether `byte` starts a character (is not a UTF-8 continuation byte).
fn starts_char(byte: u8) -> bool {
    byte & 0xC0 != 0x80
}

impl LineIndex {
    /// Indexes `source`, in one pass.
    pub fn new(source: &str) -> LineIndex {
        work::charge(source.len());
        let bytes = source.as_bytes();
        let mut line_starts = vec![0];
        let mut chars_before_block = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut chars = 0;
        for (k, block) in bytes.chunks(BLOCK).enumerate() {
            chars_before_block.push(chars);
            for (i, &byte) in block.iter().enumerate() {
                if byte == b'\n' {
                    line_starts.push(k * BLOCK + i + 1);
                }
            }
            chars += block.iter().filter(|&&b| starts_char(b)).count();
        }
        chars_before_block.push(chars);
        LineIndex { line_starts, chars_before_block, len: bytes.len() }
    }

    /// The number of characters in `source[..offset]` (a char boundary), in constant time.
    fn chars_before(&self, source: &str, offset: usize) -> usize {
        let offset = offset.min(source.len());
        let block = offset / BLOCK;
        let counted = self.chars_before_block.get(block).copied().unwrap_or(0);
        let rest = source.as_bytes().get(block * BLOCK..offset).unwrap_or_default();
        work::charge(rest.len());
        counted + rest.iter().filter(|&&b| starts_char(b)).count()
    }

    /// The 0-based line of `offset`.
    fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(exact) => exact,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// The 1-based line and character column of `offset` in `source`.
    ///
    /// `source` must be the text this index was built from.
    pub fn line_col(&self, source: &str, offset: usize) -> (usize, usize) {
        debug_assert_eq!(source.len(), self.len, "the index of another text");
        let line = self.line_of(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let end = offset.min(source.len()).max(start);
        let mut column = self.chars_before(source, end) - self.chars_before(source, start);
        // Hurl strips a leading BOM before parsing: it takes no column.
        if start == 0 && end >= 3 && source.starts_with('\u{feff}') {
            column = column.saturating_sub(1);
        }
        (line + 1, column + 1)
    }

    /// The 1-based line of `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.line_of(offset) + 1
    }

    /// The number of lines (a text ending with `\n` has an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte range of 0-based line `line`, without its `\n` (nor a `\r` before it).
    pub fn line_range(&self, source: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.line_starts.get(line).copied().unwrap_or(source.len()).min(source.len());
        let mut end = self
            .line_starts
            .get(line + 1)
            .map_or(source.len(), |next| next.saturating_sub(1))
            .clamp(start, source.len());
        if end > start && source.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end
    }

    /// The number of characters in `source[range]` (char boundaries), in constant time.
    pub fn char_len(&self, source: &str, range: std::ops::Range<usize>) -> usize {
        self.chars_before(source, range.end).saturating_sub(self.chars_before(source, range.start))
    }
}

/// A file that is not valid UTF-8: where its first invalid byte is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// The text with every invalid sequence replaced by U+FFFD; identical to
    /// the file up to [`InvalidUtf8::offset`], so positions there are the file's.
    pub lossy: String,
    /// The byte offset of the first invalid byte.
    pub offset: usize,
    /// That byte.
    pub byte: u8,
    /// Its 1-based line.
    pub line: usize,
    /// Its 1-based column, in characters.
    pub column: usize,
}

impl InvalidUtf8 {
    /// "invalid UTF-8 at line 3, column 7 (byte 0xFF)".
    pub fn message(&self) -> String {
        format!(
            "invalid UTF-8 at line {}, column {} (byte 0x{:02X})",
            self.line, self.column, self.byte
        )
    }

    /// The byte range, in [`InvalidUtf8::lossy`], of the replacement character
    /// shown for the first invalid byte.
    pub fn lossy_span(&self) -> std::ops::Range<usize> {
        self.offset..(self.offset + '\u{fffd}'.len_utf8()).min(self.lossy.len())
    }

    /// The problem as a parse diagnostic over [`InvalidUtf8::lossy`].
    pub fn diagnostic(&self) -> ParseDiagnostic {
        let span = self.lossy_span();
        ParseDiagnostic::new(
            "the file is not valid UTF-8",
            Span::new(span.start, span.end),
            format!("byte 0x{:02X} is not UTF-8", self.byte),
        )
        .with_help("save the file as UTF-8")
    }
}

/// A file's bytes as text, or where its first invalid UTF-8 byte is.
///
/// # Errors
///
/// [`InvalidUtf8`] when `bytes` is not UTF-8, naming the first invalid byte's
/// line and character column (as Hurl counts them: a leading BOM takes no column).
pub fn decode(bytes: Vec<u8>) -> Result<String, Box<InvalidUtf8>> {
    work::charge(bytes.len());
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let byte = bytes.get(offset).copied().unwrap_or(0);
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let (line, column) = LineIndex::new(&lossy).line_col(&lossy, offset);
            Err(Box::new(InvalidUtf8 { lossy, offset, byte, line, column }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_character_columns_are_one_based() {
        let src = "GET http://a\nHTTP 200\né x\n";
        let index = LineIndex::new(src);
        assert_eq!(index.line_col(src, 0), (1, 1));
        assert_eq!(index.line_col(src, 13), (2, 1));
        assert_eq!(index.line_col(src, 18), (2, 6));
        // "é" is two bytes but one column.
        let x = src.find('x').unwrap();
        assert_eq!(index.line_col(src, x), (3, 3));
        assert_eq!(index.line(x), 3);
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_range(src, 2), 22..26);
        assert_eq!(index.line_range(src, 3), 27..27);
        assert_eq!(index.line_range(src, 9), 27..27);
    }

    #[test]
    fn a_leading_bom_takes_no_column() {
        let src = "\u{feff}GET http://a\n";
        let index = LineIndex::new(src);
        assert_eq!(index.line_col(src, 3), (1, 1));
        assert_eq!(index.line_col(src, 7), (1, 5));
    }

    #[test]
    fn columns_count_characters_across_blocks() {
        // Multi-byte characters straddling block boundaries, on one long line.
        let src = format!("{}x\n{}y", "é".repeat(1000), "🙂a".repeat(300));
        let index = LineIndex::new(&src);
        let x = src.find('x').unwrap();
        assert_eq!(index.line_col(&src, x), (1, 1001));
        let y = src.find('y').unwrap();
        assert_eq!(index.line_col(&src, y), (2, 601));
        assert_eq!(index.char_len(&src, 0..x), 1000);
        // Past the end: the end.
        assert_eq!(index.line_col(&src, src.len() + 5), (2, 602));
    }

    #[test]
    fn line_ranges_drop_a_carriage_return() {
        let src = "a\r\nbc\r\n";
        let index = LineIndex::new(src);
        assert_eq!(index.line_range(src, 0), 0..1);
        assert_eq!(index.line_range(src, 1), 3..5);
    }

    #[test]
    fn invalid_utf8_names_the_first_bad_byte() {
        assert_eq!(decode(b"GET http://a\n".to_vec()).unwrap(), "GET http://a\n");
        let error = decode(b"GET http://a\nHTTP \xc3\xa9\xff 200\xfe\n".to_vec()).unwrap_err();
        assert_eq!((error.line, error.column, error.offset, error.byte), (2, 7, 20, 0xff));
        assert_eq!(error.message(), "invalid UTF-8 at line 2, column 7 (byte 0xFF)");
        let diag = error.diagnostic();
        assert_eq!(diag.label, "byte 0xFF is not UTF-8");
        assert_eq!(error.lossy.get(diag.span.start..diag.span.end), Some("\u{fffd}"));
        assert!(error.lossy.starts_with("GET http://a\nHTTP é\u{fffd} 200"));
        // A truncated sequence at the very end.
        let error = decode(b"ab\xe2\x82".to_vec()).unwrap_err();
        assert_eq!((error.line, error.column, error.byte), (1, 3, 0xe2));
    }
}
