//! Translation between LSP's world (URIs, UTF-16 positions) and the index's (paths, byte
//! offsets). Nothing here decides anything.

use indexer::{FileEntry, FileRange, LineIndex, TextRange, WorkspaceIndex};
use tower_lsp_server::ls_types::{Location, Position, Range, Uri};

/// The index key of a `file:` URI (its absolute path).
pub fn path_of(uri: &Uri) -> Option<String> {
    Some(uri.to_file_path()?.to_string_lossy().into_owned())
}

pub fn uri_of(path: &str) -> Option<Uri> {
    Uri::from_file_path(path)
}

pub fn offset(entry: &FileEntry, pos: Position) -> u32 {
    offset_in(&entry.text, &entry.lines, pos)
}

pub fn offset_in(text: &str, lines: &LineIndex, pos: Position) -> u32 {
    lines.offset(
        text,
        indexer::Position {
            line: pos.line,
            utf16_col: pos.character,
        },
    )
}

pub fn position(entry: &FileEntry, offset: u32) -> Position {
    let p = entry.lines.position(&entry.text, offset);
    Position::new(p.line, p.utf16_col)
}

pub fn range(entry: &FileEntry, r: TextRange) -> Range {
    Range::new(position(entry, r.start), position(entry, r.end))
}

pub fn location(ws: &WorkspaceIndex, fr: &FileRange) -> Option<Location> {
    let entry = ws.file(&fr.path)?;
    Some(Location::new(uri_of(&fr.path)?, range(entry, fr.range)))
}
