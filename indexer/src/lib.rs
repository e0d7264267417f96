//! The tracepoint indexer: C and Rust sources (and DTrace provider scripts) in, a tracepoint
//! model out.
//!
//! Architecture invariant: this crate is pure. It takes `(path, text)` pairs and returns plain
//! data with byte ranges; it never touches the file system, spawns no threads, and knows
//! nothing of LSP. Callers (the server, the CLI) own I/O and parallelism.

mod c;
mod dscript;
mod lex;
mod line_index;
pub mod model;
mod prefilter;
pub mod query;
mod rust;
mod workspace;

pub use line_index::{LineIndex, Position};
pub use model::*;
pub use prefilter::may_contain_tracepoints;
pub use query::{FileRange, Hit};
pub use workspace::{FileEntry, ResolvedSite, WorkspaceIndex};

/// The language of a source file, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    C,
    Rust,
    /// A DTrace provider script (`provider p { probe e(int); };`), as the `usdt` crate reads.
    DScript,
}

impl Language {
    pub fn of_path(path: &str) -> Option<Language> {
        let ext = path.rsplit_once('.')?.1;
        match ext {
            "c" | "h" | "cc" | "cpp" | "cxx" | "hh" | "hpp" | "hxx" | "tp" => Some(Language::C),
            "rs" => Some(Language::Rust),
            "d" => Some(Language::DScript),
            _ => None,
        }
    }
}

/// Indexes one file, given the wrapper macros of the headers it includes (see
/// [`WorkspaceIndex::imports_for`]). Never panics, whatever the text.
pub fn index_file(path: &str, text: &str, imports: &[WrapperMacro]) -> FileIndex {
    match Language::of_path(path) {
        Some(Language::C) => c::index_c(text, imports),
        Some(Language::Rust) => rust::index_rust(text),
        Some(Language::DScript) => dscript::index_dscript(text),
        None => FileIndex::default(),
    }
}
