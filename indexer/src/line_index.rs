//! Byte offsets to editor positions and back.
//!
//! The index keeps byte offsets; editors speak lines and UTF-16 code units (the LSP default).
//! A `LineIndex` is built once per text and converts both ways without rescanning the file.

/// A zero-based line and UTF-16 column, as LSP counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub utf16_col: u32,
}

#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset where each line starts; the first is 0.
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        LineIndex { line_starts }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The zero-based line containing `offset`.
    pub fn line_of(&self, offset: u32) -> u32 {
        (self.line_starts.partition_point(|&s| s <= offset) - 1) as u32
    }

    /// The position of a byte offset. An offset inside a multi-byte character counts the
    /// characters before it; an offset past the end clamps to the end.
    pub fn position(&self, text: &str, offset: u32) -> Position {
        let offset = (offset as usize).min(text.len()) as u32;
        let line = self.line_of(offset);
        let start = self.line_starts[line as usize] as usize;
        let utf16_col = text[start..]
            .char_indices()
            .take_while(|&(i, _)| start + i < offset as usize)
            .map(|(_, c)| c.len_utf16() as u32)
            .sum();
        Position { line, utf16_col }
    }

    /// The byte offset of a position. A column past the line's end clamps to the end of the
    /// line; a line past the end clamps to the end of the text.
    pub fn offset(&self, text: &str, pos: Position) -> u32 {
        let Some(&start) = self.line_starts.get(pos.line as usize) else {
            return text.len() as u32;
        };
        let end = self
            .line_starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |&e| e as usize - 1);
        let line = &text[start as usize..end];
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= pos.utf16_col {
                return start + i as u32;
            }
            units += c.len_utf16() as u32;
        }
        end as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs_and_multibyte_chars() {
        // 'é' is 2 bytes / 1 unit, '😀' is 4 bytes / 2 units.
        let text = "ab\n/* é😀 */ trace_x();\nz";
        let idx = LineIndex::new(text);
        let off = text.find("trace_x").unwrap() as u32;
        let pos = idx.position(text, off);
        assert_eq!(
            pos,
            Position {
                line: 1,
                utf16_col: 10
            }
        );
        assert_eq!(idx.offset(text, pos), off);
    }

    #[test]
    fn clamps_out_of_range() {
        let text = "abc\nd";
        let idx = LineIndex::new(text);
        assert_eq!(
            idx.position(text, 99),
            Position {
                line: 1,
                utf16_col: 1
            }
        );
        assert_eq!(
            idx.offset(
                text,
                Position {
                    line: 0,
                    utf16_col: 99
                }
            ),
            3
        );
        assert_eq!(
            idx.offset(
                text,
                Position {
                    line: 9,
                    utf16_col: 0
                }
            ),
            5
        );
    }

    #[test]
    fn line_of_every_offset() {
        let text = "a\n\nbc\n";
        let idx = LineIndex::new(text);
        let lines: Vec<u32> = (0..=text.len() as u32).map(|o| idx.line_of(o)).collect();
        assert_eq!(lines, [0, 0, 1, 2, 2, 2, 3]);
    }
}
