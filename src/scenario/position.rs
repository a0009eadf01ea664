//! Turning byte offsets into the 1-based line and column Hurl prints.
//!
//! Columns count characters, not bytes, as Hurl's `reader::Pos` does.

/// An index of line starts of one source text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `source`.
    pub fn new(source: &str) -> LineIndex {
        let mut line_starts = vec![0];
        for (offset, byte) in source.bytes().enumerate() {
            if byte == b'\n' {
                line_starts.push(offset + 1);
            }
        }
        LineIndex { line_starts }
    }

    /// The 1-based line and character column of `offset` in `source`.
    pub fn line_col(&self, source: &str, offset: usize) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(exact) => exact,
            Err(next) => next.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let end = offset.min(source.len());
        let column =
            source.get(start..end).map_or(end.saturating_sub(start), |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// The 1-based line of `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(exact) => exact + 1,
            Err(next) => next,
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
    }
}
