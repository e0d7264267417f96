//! Loading a directory tree into a [`WorkspaceIndex`]: a .gitignore-aware parallel walk, a
//! prefilter that skips files which cannot hold tracepoints, and parallel indexing.
//!
//! The indexer is pure; this module owns the I/O and the threads. Indexing runs in two passes:
//! every file alone, then again the few files whose `#include`s import wrapper macros.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use indexer::{FileIndex, Language, WorkspaceIndex};
use rayon::prelude::*;

/// What a load did, for summaries and benchmarks.
#[derive(Clone, Debug, Default)]
pub struct LoadStats {
    pub files_walked: usize,
    pub files_indexed: usize,
    pub bytes_read: u64,
    /// Files that could not be read, with the reason (kept going without them).
    pub errors: Vec<String>,
    pub elapsed: Duration,
}

/// Progress of a load, called from worker threads: (files done, files total).
pub type Progress<'p> = &'p (dyn Fn(usize, usize) + Sync);

/// How the loaded files are named in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKeys {
    /// Relative to the root, `/`-separated (the CLI's reports).
    Relative,
    /// Absolute, as the file system names them (the language server's URIs).
    Absolute,
}

/// Walks `root`, indexes every C source that may hold tracepoints, and returns the index.
pub fn load_tree(
    root: &Path,
    keys: PathKeys,
    progress: Progress<'_>,
) -> Result<(WorkspaceIndex, LoadStats)> {
    let mut ws = WorkspaceIndex::new();
    let stats = load_into(&mut ws, root, keys, progress)?;
    Ok((ws, stats))
}

/// Like [`load_tree`], adding to an existing index (one call per workspace folder).
pub fn load_into(
    ws: &mut WorkspaceIndex,
    root: &Path,
    keys: PathKeys,
    progress: Progress<'_>,
) -> Result<LoadStats> {
    let started = Instant::now();
    if !root.is_dir() {
        bail!(
            "{}: not a directory (give the root of a source tree)",
            root.display()
        );
    }
    let paths = walk(root);
    let total = paths.len();
    let done = AtomicUsize::new(0);
    let errors = Mutex::new(Vec::new());
    let bytes = AtomicUsize::new(0);
    let indexed: Vec<(String, Arc<str>, FileIndex)> = paths
        .par_iter()
        .filter_map(|path| {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(256) || n == total {
                progress(n, total);
            }
            let data = match std::fs::read(path) {
                Ok(d) => d,
                Err(e) => {
                    let mut errors = errors.lock().unwrap_or_else(|p| p.into_inner());
                    errors.push(format!("{}: {e}", path.display()));
                    return None;
                }
            };
            bytes.fetch_add(data.len(), Ordering::Relaxed);
            let language = path.to_str().and_then(Language::of_path)?;
            if !indexer::may_contain_tracepoints(language, &data) {
                return None;
            }
            let rel = match keys {
                PathKeys::Relative => relative(root, path),
                PathKeys::Absolute => path.to_string_lossy().into_owned(),
            };
            let text: Arc<str> = match String::from_utf8(data) {
                Ok(s) => Arc::from(s),
                Err(e) => Arc::from(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            };
            let index = indexer::index_file(&rel, &text, &[]);
            Some((rel, text, index))
        })
        .collect();

    let files_indexed = indexed.len();
    for (rel, text, index) in indexed {
        ws.insert_indexed(&rel, text, index);
    }
    let second_pass: Vec<(Arc<str>, Arc<str>, FileIndex)> = ws
        .files_needing_imports()
        .into_par_iter()
        .map(|(path, text, imports)| {
            let index = indexer::index_file(&path, &text, &imports);
            (path, text, index)
        })
        .collect();
    for (path, text, index) in second_pass {
        ws.insert_indexed(&path, text, index);
    }
    Ok(LoadStats {
        files_walked: total,
        files_indexed,
        bytes_read: bytes.into_inner() as u64,
        errors: errors.into_inner().unwrap_or_else(|p| p.into_inner()),
        elapsed: started.elapsed(),
    })
}

/// Every source file under `root` the indexer reads, in a stable order.
fn walk(root: &Path) -> Vec<PathBuf> {
    let found = Mutex::new(Vec::new());
    ignore::WalkBuilder::new(root)
        .follow_links(false)
        .build_parallel()
        .run(|| {
            let mut batch = Batch {
                local: Vec::new(),
                found: &found,
            };
            Box::new(move |entry| {
                if let Ok(entry) = entry {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    if is_file && entry.path().to_str().and_then(Language::of_path).is_some() {
                        batch.push(entry.into_path());
                    }
                }
                ignore::WalkState::Continue
            })
        });
    let mut paths = found.into_inner().unwrap_or_else(|p| p.into_inner());
    paths.sort();
    paths
}

/// One walker thread's paths, handed to the shared list in batches (and the rest on drop, when
/// the walker thread ends) so the lock is rarely taken.
struct Batch<'f> {
    local: Vec<PathBuf>,
    found: &'f Mutex<Vec<PathBuf>>,
}

impl Batch<'_> {
    fn push(&mut self, path: PathBuf) {
        self.local.push(path);
        if self.local.len() >= 512 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        found.append(&mut self.local);
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}
