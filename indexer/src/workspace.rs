//! The workspace index: every file's [`FileIndex`], kept current by per-file changes, and the
//! cross-file answers built on them — which declaration a site refers to, which class an
//! instance uses, which wrappers a file imports through its `#include`s.
//!
//! Name tables are updated incrementally: changing one file removes its old contributions and
//! adds its new ones, so an edit costs the file's size, not the workspace's.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::line_index::LineIndex;
use crate::model::{Dialect, EventClass, EventDecl, FileIndex, ProbeSite, SiteForm, WrapperMacro};

/// A file of the workspace as the index holds it.
#[derive(Debug)]
pub struct FileEntry {
    pub text: Arc<str>,
    pub index: FileIndex,
    pub lines: LineIndex,
}

/// (file, position in that file's list).
type Loc = (Arc<str>, u32);

#[derive(Default, Debug)]
pub struct WorkspaceIndex {
    files: BTreeMap<Arc<str>, FileEntry>,
    events_by_name: HashMap<String, Vec<Loc>>,
    classes_by_name: HashMap<String, Vec<Loc>>,
    sites_by_name: HashMap<String, Vec<Loc>>,
    /// How many files define a `trace_*` function or macro of each name.
    trace_functions: HashMap<String, u32>,
    /// File name (after the last `/`) to paths, for resolving `#include`s by suffix.
    by_basename: HashMap<String, Vec<Arc<str>>>,
}

/// What a probe site refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedSite<'w> {
    /// The event name after resolution (`trace_foo_enabled` may name `foo` or `foo_enabled`).
    pub event: String,
    pub form: SiteForm,
    /// Every declaration of the event (several when `#if` branches declare it more than once).
    pub decls: Vec<(&'w str, &'w EventDecl)>,
}

impl ResolvedSite<'_> {
    pub fn system(&self) -> Option<&str> {
        self.decls.first().and_then(|(_, d)| d.system.as_deref())
    }
}

/// `trace_*` helpers of the kernel that are not tracepoints, for workspaces that do not hold
/// the headers defining them.
const KNOWN_NON_TRACEPOINTS: &[&str] = &[
    "trace_printk",
    "trace_puts",
    "trace_dump_stack",
    "trace_handle_return",
    "trace_seq_",
    "trace_array_",
    "trace_event_",
    "trace_hardirqs_",
];

impl WorkspaceIndex {
    pub fn new() -> WorkspaceIndex {
        WorkspaceIndex::default()
    }

    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.get(path)
    }

    /// `path` as the index stores it (borrowed for as long as the index).
    pub fn file_key(&self, path: &str) -> Option<&str> {
        self.files.get_key_value(path).map(|(k, _)| k.as_ref())
    }

    pub fn files(&self) -> impl Iterator<Item = (&str, &FileEntry)> {
        self.files.iter().map(|(p, e)| (p.as_ref(), e))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Sets a file's text: indexes it with the wrappers its includes import, and re-indexes the
    /// files that include it when its wrappers changed.
    pub fn set_file(&mut self, path: &str, text: Arc<str>) {
        let old_wrappers = self.files.get(path).map(|e| e.index.wrappers.clone());
        let first = crate::index_file(path, &text, &[]);
        let imports = self.imports_for(path, &first.includes, &text);
        let index = if imports.is_empty() {
            first
        } else {
            crate::index_file(path, &text, &imports)
        };
        let wrappers_changed = old_wrappers.as_ref() != Some(&index.wrappers)
            && !(old_wrappers.is_none() && index.wrappers.is_empty());
        self.insert_indexed(path, text, index);
        if wrappers_changed {
            let includers = self.includers_of(path);
            self.reindex(includers);
        }
    }

    pub fn remove_file(&mut self, path: &str) {
        let had_wrappers = self
            .files
            .get(path)
            .is_some_and(|e| !e.index.wrappers.is_empty());
        // Found before the file goes: afterwards their includes no longer resolve to it.
        let includers = if had_wrappers {
            self.includers_of(path)
        } else {
            Vec::new()
        };
        self.detach(path);
        self.reindex(includers);
    }

    /// Stores a file indexed elsewhere (callers that index many files in parallel use this,
    /// then [`WorkspaceIndex::files_needing_imports`] for a second pass).
    pub fn insert_indexed(&mut self, path: &str, text: Arc<str>, index: FileIndex) {
        self.detach(path);
        let key: Arc<str> = Arc::from(path);
        for (i, e) in index.events.iter().enumerate() {
            push_loc(&mut self.events_by_name, &e.name, &key, i);
        }
        for (i, c) in index.classes.iter().enumerate() {
            push_loc(&mut self.classes_by_name, &c.name, &key, i);
        }
        for (i, s) in index.sites.iter().enumerate() {
            push_loc(&mut self.sites_by_name, &s.event, &key, i);
        }
        for f in &index.trace_functions {
            *self.trace_functions.entry(f.clone()).or_default() += 1;
        }
        self.by_basename
            .entry(basename(path).to_string())
            .or_default()
            .push(key.clone());
        let lines = LineIndex::new(&text);
        self.files.insert(key, FileEntry { text, index, lines });
    }

    fn detach(&mut self, path: &str) {
        let Some(old) = self.files.remove(path) else {
            return;
        };
        let idx = &old.index;
        for e in &idx.events {
            remove_loc(&mut self.events_by_name, &e.name, path);
        }
        for c in &idx.classes {
            remove_loc(&mut self.classes_by_name, &c.name, path);
        }
        for s in &idx.sites {
            remove_loc(&mut self.sites_by_name, &s.event, path);
        }
        for f in &idx.trace_functions {
            if let Some(n) = self.trace_functions.get_mut(f) {
                *n -= 1;
                if *n == 0 {
                    self.trace_functions.remove(f);
                }
            }
        }
        if let Some(v) = self.by_basename.get_mut(basename(path)) {
            v.retain(|p| p.as_ref() != path);
        }
    }

    /// The workspace file an `#include` of `target` in `from` refers to: the path relative to
    /// the including file's directory if it exists, else the file whose path ends with
    /// `/target` and shares the longest directory prefix with `from`.
    pub fn resolve_include(&self, from: &str, target: &str) -> Option<&str> {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let relative = normalize(&format!("{dir}/{target}"));
        if let Some((p, _)) = self.files.get_key_value(relative.as_str()) {
            return Some(p);
        }
        let candidates = self.by_basename.get(basename(target))?;
        let suffix = format!("/{}", target.trim_start_matches("./"));
        candidates
            .iter()
            .filter(|p| p.ends_with(&suffix) || p.as_ref() == target)
            .max_by_key(|p| common_prefix_len(p, from))
            .map(|p| p.as_ref())
    }

    /// The wrapper macros `path` imports through its includes (and theirs, a few levels deep)
    /// that its `text` uses, directly or through another wrapper's body. Most files include
    /// the tracing framework's headers, whose internal wrappers they never use, and an import
    /// nobody uses would cost a second indexing of the file.
    pub fn imports_for(&self, path: &str, includes: &[String], text: &str) -> Vec<WrapperMacro> {
        let mut available: Vec<&WrapperMacro> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::from([path]);
        let mut frontier: Vec<(String, &str)> =
            includes.iter().map(|i| (i.clone(), path)).collect();
        for _depth in 0..4 {
            let mut next = Vec::new();
            for (target, from) in &frontier {
                let Some(file) = self.resolve_include(from, target) else {
                    continue;
                };
                if !seen.insert(file) {
                    continue;
                }
                let entry = &self.files[file];
                available.extend(entry.index.wrappers.iter());
                next.extend(entry.index.includes.iter().map(|i| (i.clone(), file)));
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        let mentions = |hay: &str, w: &WrapperMacro| {
            memchr::memmem::find(hay.as_bytes(), w.name.as_bytes()).is_some()
        };
        let mut used: Vec<bool> = available.iter().map(|w| mentions(text, w)).collect();
        let mut grew = used.iter().any(|&u| u);
        while grew {
            grew = false;
            for i in 0..available.len() {
                if !used[i]
                    && (0..available.len())
                        .any(|j| used[j] && mentions(&available[j].body, available[i]))
                {
                    used[i] = true;
                    grew = true;
                }
            }
        }
        available
            .into_iter()
            .zip(used)
            .filter(|&(_, u)| u)
            .map(|(w, _)| w.clone())
            .collect()
    }

    /// After a bulk [`WorkspaceIndex::insert_indexed`] without imports: every file that imports
    /// wrappers, with them, to index again.
    pub fn files_needing_imports(&self) -> Vec<(Arc<str>, Arc<str>, Vec<WrapperMacro>)> {
        self.files
            .iter()
            .filter(|(_, e)| !e.index.includes.is_empty())
            .filter_map(|(p, e)| {
                let imports = self.imports_for(p, &e.index.includes, &e.text);
                (!imports.is_empty()).then(|| (p.clone(), e.text.clone(), imports))
            })
            .collect()
    }

    fn includers_of(&self, path: &str) -> Vec<(Arc<str>, Arc<str>)> {
        self.files
            .iter()
            .filter(|(p, e)| {
                p.as_ref() != path
                    && e.index
                        .includes
                        .iter()
                        .any(|inc| self.resolve_include(p, inc) == Some(path))
            })
            .map(|(p, e)| (p.clone(), e.text.clone()))
            .collect()
    }

    fn reindex(&mut self, files: Vec<(Arc<str>, Arc<str>)>) {
        for (p, text) in files {
            let includes = self.files[&p].index.includes.clone();
            let imports = self.imports_for(&p, &includes, &text);
            let index = crate::index_file(&p, &text, &imports);
            self.insert_indexed(&p, text, index);
        }
    }

    /// Every declaration of an event named `name`, in path order.
    pub fn declarations(&self, name: &str) -> Vec<(&str, &EventDecl)> {
        self.lookup(&self.events_by_name, name, |e, i| e.index.events.get(i))
    }

    pub fn classes(&self, name: &str) -> Vec<(&str, &EventClass)> {
        self.lookup(&self.classes_by_name, name, |e, i| e.index.classes.get(i))
    }

    /// Every site whose spelled event name is `name` (resolve them to be sure of the event).
    pub fn sites_named(&self, name: &str) -> Vec<(&str, &ProbeSite)> {
        self.lookup(&self.sites_by_name, name, |e, i| e.index.sites.get(i))
    }

    fn lookup<'w, T>(
        &'w self,
        table: &'w HashMap<String, Vec<Loc>>,
        name: &str,
        get: impl Fn(&'w FileEntry, usize) -> Option<&'w T>,
    ) -> Vec<(&'w str, &'w T)> {
        let Some(locs) = table.get(name) else {
            return Vec::new();
        };
        let mut out: Vec<(&str, &T)> = locs
            .iter()
            .filter_map(|(p, i)| {
                let (key, entry) = self.files.get_key_value(p.as_ref())?;
                Some((key.as_ref(), get(entry, *i as usize)?))
            })
            .collect();
        out.sort_by_key(|(p, _)| *p);
        out
    }

    /// What a site refers to, or `None` when no declaration in the workspace matches.
    pub fn resolve(&self, site: &ProbeSite) -> Option<ResolvedSite<'_>> {
        let matching = |name: &str| -> Vec<(&str, &EventDecl)> {
            let decls = self.declarations(name);
            if let Some(p) = &site.provider {
                let named = |n: &Option<String>| n.as_deref() == Some(p.as_str());
                return decls
                    .into_iter()
                    .filter(|(_, d)| named(&d.system) || named(&d.module))
                    .collect();
            }
            // A provider-less call (`trace_X(`, a Rust-for-Linux call) names a kernel
            // tracepoint: its C and Rust declarations, else the lttng-modules probes on it.
            let (kernel, rest): (Vec<_>, Vec<_>) = decls
                .into_iter()
                .partition(|(_, d)| matches!(d.dialect, Dialect::Kernel | Dialect::Rfl));
            if kernel.is_empty() {
                rest.into_iter()
                    .filter(|(_, d)| d.dialect == Dialect::LttngModules)
                    .collect()
            } else {
                kernel
            }
        };
        let decls = matching(&site.event);
        if !decls.is_empty() {
            return Some(ResolvedSite {
                event: site.event.clone(),
                form: site.form,
                decls,
            });
        }
        // `trace_foo_enabled` where the event itself is `foo_enabled`.
        if matches!(site.form, SiteForm::Enabled | SiteForm::Rcuidle) {
            let full = site.callee.strip_prefix("trace_")?;
            let decls = matching(full);
            if !decls.is_empty() {
                return Some(ResolvedSite {
                    event: full.to_string(),
                    form: SiteForm::Call,
                    decls,
                });
            }
        }
        None
    }

    /// Whether an unresolved site still looks like a tracepoint: every provider-named form
    /// does; a `trace_NAME(` call does unless `trace_NAME` is a known function or macro.
    pub fn is_probable_tracepoint(&self, site: &ProbeSite) -> bool {
        if site.provider.is_some() {
            return true;
        }
        let callee = site.callee.as_str();
        !self.trace_functions.contains_key(callee)
            && !KNOWN_NON_TRACEPOINTS.iter().any(|k| {
                if k.ends_with('_') {
                    callee.starts_with(k)
                } else {
                    callee == *k
                }
            })
    }

    /// The class an instance uses: in the same file first, then in the files it includes,
    /// then anywhere with the same system, then anywhere (class names repeat across a tree).
    pub fn class_of(&self, path: &str, event: &EventDecl) -> Option<(&str, &EventClass)> {
        let name = event.class.as_deref()?;
        let classes = self.classes(name);
        if let Some(c) = classes.iter().find(|(p, _)| *p == path) {
            return Some(*c);
        }
        if let Some(entry) = self.files.get(path) {
            let included: HashSet<&str> = entry
                .index
                .includes
                .iter()
                .filter_map(|inc| self.resolve_include(path, inc))
                .collect();
            if let Some(c) = classes.iter().find(|(p, _)| included.contains(p)) {
                return Some(*c);
            }
        }
        classes
            .iter()
            .find(|(_, c)| c.system == event.system)
            .or(classes.first())
            .copied()
    }
}

fn push_loc(table: &mut HashMap<String, Vec<Loc>>, name: &str, path: &Arc<str>, i: usize) {
    table
        .entry(name.to_string())
        .or_default()
        .push((path.clone(), i as u32));
}

fn remove_loc(table: &mut HashMap<String, Vec<Loc>>, name: &str, path: &str) {
    if let Some(v) = table.get_mut(name) {
        v.retain(|(p, _)| p.as_ref() != path);
        if v.is_empty() {
            table.remove(name);
        }
    }
}

fn basename(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, b)| b)
}

fn common_prefix_len(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// Resolves `.` and `..` components of a `/`-separated path.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." if !parts.is_empty() => {}
            ".." if parts.last().is_some_and(|p| *p != ".." && !p.is_empty()) => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_relative_paths() {
        assert_eq!(normalize("a/b/../c/./d.h"), "a/c/d.h");
        assert_eq!(normalize("/x/y/../z.h"), "/x/z.h");
        assert_eq!(normalize("../z.h"), "../z.h");
    }
}
