//! The server's state, in one place: the workspace index, the open documents, the options.
//!
//! Every change is applied synchronously under the locks (indexing one file takes
//! milliseconds), so a handler that applies an edit before its first `.await` guarantees that
//! every later request sees it. Open documents always win over the disk: when the background
//! load finishes, their text is applied on top of what it read.
//!
//! Lock order: the open documents or the counts, then the index. Never take the documents or
//! the counts while holding the index (asking for the attribution while holding an index read
//! lock would take a second read lock, which can deadlock behind a waiting writer).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use indexer::query::counts::{Attribution, TraceCount};
use indexer::query::diagnostics::DiagnosticOptions;
use indexer::{Language, LineIndex, WorkspaceIndex};
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use super::convert;
use super::recording::LineCount;

#[derive(Default)]
pub struct World {
    index: RwLock<WorkspaceIndex>,
    /// Open documents: path to current text.
    docs: Mutex<HashMap<String, Arc<str>>>,
    pub diagnostics: RwLock<DiagnosticOptions>,
    /// Set once every workspace folder has been indexed.
    pub ready: AtomicBool,
    /// Counts of the current recording or imported trace.
    traces: Mutex<Traces>,
    /// Bumped whenever the index is written: an attribution computed before is stale.
    index_generation: AtomicU64,
    /// The `tracer/counts` lines last sent per document.
    sent: Mutex<HashMap<String, Vec<LineCount>>>,
}

/// The counts the editor shows, and where they land on the index: computed once per change
/// of the counts or of the index, not for every inlay-hint, code-lens and hover request.
#[derive(Default)]
struct Traces {
    counts: Vec<TraceCount>,
    attribution: Option<(u64, Arc<Attribution>)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl World {
    pub fn read(&self) -> RwLockReadGuard<'_, WorkspaceIndex> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, WorkspaceIndex> {
        let guard = self.index.write().unwrap_or_else(|p| p.into_inner());
        self.index_generation.fetch_add(1, Ordering::AcqRel);
        guard
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn open(&self, path: &str, text: String) {
        let text: Arc<str> = Arc::from(text);
        lock(&self.docs).insert(path.to_string(), text.clone());
        self.write().set_file(path, text);
    }

    /// Applies LSP content changes (incremental or whole) to an open document.
    pub fn change(&self, path: &str, changes: Vec<TextDocumentContentChangeEvent>) {
        let mut docs = lock(&self.docs);
        let Some(current) = docs.get(path) else {
            return;
        };
        let mut text = current.to_string();
        for change in changes {
            match change.range {
                Some(range) => {
                    let lines = LineIndex::new(&text);
                    let start = convert::offset_in(&text, &lines, range.start) as usize;
                    let end = (convert::offset_in(&text, &lines, range.end) as usize).max(start);
                    text.replace_range(start..end, &change.text);
                }
                None => text = change.text,
            }
        }
        let text: Arc<str> = Arc::from(text);
        docs.insert(path.to_string(), text.clone());
        self.write().set_file(path, text);
    }

    /// A closed document goes back to what the disk holds.
    pub fn close(&self, path: &str) {
        lock(&self.docs).remove(path);
        self.reload_from_disk(path);
    }

    /// A file changed on disk (watcher): re-read it unless it is open in the editor.
    pub fn changed_on_disk(&self, path: &str) {
        if !lock(&self.docs).contains_key(path) {
            self.reload_from_disk(path);
        }
    }

    fn reload_from_disk(&self, path: &str) {
        let Some(language) = Language::of_path(path) else {
            return;
        };
        match std::fs::read(Path::new(path)) {
            Ok(data) if indexer::may_contain_tracepoints(language, &data) => {
                let text = String::from_utf8(data)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                self.write().set_file(path, Arc::from(text));
            }
            _ => self.write().remove_file(path),
        }
    }

    /// Installs the result of the background load, with the open documents on top.
    pub fn install(&self, mut loaded: WorkspaceIndex) {
        let docs = lock(&self.docs);
        for (path, text) in docs.iter() {
            loaded.set_file(path, text.clone());
        }
        *self.write() = loaded;
        self.ready.store(true, Ordering::Release);
    }

    /// Replaces the counts the editor shows.
    pub fn set_trace_counts(&self, counts: Vec<TraceCount>) {
        *lock(&self.traces) = Traces {
            counts,
            attribution: None,
        };
    }

    /// The counts on the index's probe sites now. Lock order: the counts, then the index.
    pub fn attribution(&self) -> Arc<Attribution> {
        let generation = self.index_generation.load(Ordering::Acquire);
        let mut traces = lock(&self.traces);
        if let Some((g, a)) = &traces.attribution {
            if *g == generation {
                return a.clone();
            }
        }
        let a = Arc::new(if traces.counts.is_empty() {
            Attribution::default()
        } else {
            self.read().attribute_counts(&traces.counts)
        });
        traces.attribution = Some((generation, a.clone()));
        a
    }

    /// `tracer/counts` lines per document.
    pub fn counts_by_path(&self) -> HashMap<String, Vec<LineCount>> {
        let mut out: HashMap<String, Vec<LineCount>> = HashMap::new();
        for s in &self.attribution().sites {
            out.entry(s.path.clone()).or_default().push(LineCount {
                line: s.line,
                count: s.count,
                rate: (s.rate * 10.0).round() / 10.0,
            });
        }
        out
    }

    /// The documents whose `tracer/counts` lines changed since the last call (empty lines for
    /// documents that no longer have counts), remembered as sent.
    pub fn take_changed_counts(&self) -> Vec<(String, Vec<LineCount>)> {
        let now = self.counts_by_path();
        let mut sent = lock(&self.sent);
        let mut changed: Vec<(String, Vec<LineCount>)> = now
            .iter()
            .filter(|(p, l)| sent.get(*p) != Some(l))
            .map(|(p, l)| (p.clone(), l.clone()))
            .collect();
        changed.extend(
            sent.keys()
                .filter(|p| !now.contains_key(*p))
                .map(|p| (p.clone(), Vec::new())),
        );
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        *sent = now;
        changed
    }

    pub fn open_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = lock(&self.docs).keys().cloned().collect();
        paths.sort();
        paths
    }
}
