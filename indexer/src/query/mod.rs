//! Questions an editor asks of the workspace index: what is at this offset, where is it
//! declared, where is it used, what may be typed here, what is wrong in this file, how to
//! rename it. Answers are plain data (paths and byte ranges); the server turns them into LSP.

pub mod completion;
pub mod counts;
pub mod diagnostics;
mod fuzzy;
pub mod rename;

pub use fuzzy::fuzzy_score;

use std::collections::{HashSet, VecDeque};

use crate::model::{Dialect, EventClass, EventDecl, ProbeSite, TextRange, WrapperMacro};
use crate::workspace::WorkspaceIndex;

/// A range in a file of the workspace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileRange {
    pub path: String,
    pub range: TextRange,
}

impl FileRange {
    fn new(path: &str, range: TextRange) -> FileRange {
        FileRange {
            path: path.to_string(),
            range,
        }
    }
}

/// What is under the cursor.
#[derive(Clone, Copy, Debug)]
pub enum Hit<'w> {
    /// A probe site (its name, or the `tracepoint` callee).
    Site(&'w ProbeSite),
    /// The name of a declared event.
    EventName(&'w EventDecl),
    /// The class argument of an instance (`DEFINE_EVENT(class, …)`).
    ClassRef(&'w EventDecl),
    /// The wrapper macro's name at a use that declares this event.
    WrapperUse(&'w EventDecl),
    /// The name of a declared class.
    Class(&'w EventClass),
    /// The name in a wrapper's `#define`.
    Wrapper(&'w WrapperMacro),
}

impl WorkspaceIndex {
    /// What is at byte `offset` of `path` (an offset just past a name still counts).
    pub fn hit(&self, path: &str, offset: u32) -> Option<Hit<'_>> {
        let idx = &self.file(path)?.index;
        for s in &idx.sites {
            let callee_end = s.full_range.start + s.callee.len() as u32;
            let on_callee = s.full_range.start <= offset && offset <= callee_end;
            if s.name_range.contains(offset) || (s.via_wrapper.is_none() && on_callee) {
                return Some(Hit::Site(s));
            }
        }
        for e in &idx.events {
            if e.class_range.is_some_and(|r| r.contains(offset)) {
                return Some(Hit::ClassRef(e));
            }
            if e.name_range.contains(offset) {
                return Some(Hit::EventName(e));
            }
            if let Some(w) = &e.via_wrapper {
                let start = e.full_range.start;
                if start <= offset && offset <= start + w.len() as u32 {
                    return Some(Hit::WrapperUse(e));
                }
            }
        }
        if let Some(c) = idx.classes.iter().find(|c| c.name_range.contains(offset)) {
            return Some(Hit::Class(c));
        }
        idx.wrappers
            .iter()
            .find(|w| w.name_range.contains(offset))
            .map(Hit::Wrapper)
    }

    /// The declarations a hit is about: a site's event, or every declaration of the event
    /// named (all `#if` branches).
    pub fn decls_of(&self, hit: Hit<'_>) -> Vec<(&str, &EventDecl)> {
        match hit {
            Hit::Site(s) => self.resolve(s).map(|r| r.decls).unwrap_or_default(),
            Hit::EventName(e) | Hit::WrapperUse(e) => self
                .declarations(&e.name)
                .into_iter()
                .filter(|(_, d)| d.system == e.system && d.dialect == e.dialect)
                .collect(),
            Hit::ClassRef(_) | Hit::Class(_) | Hit::Wrapper(_) => Vec::new(),
        }
    }

    /// Go to definition: a site's declarations; an instance's class; a wrapper use's
    /// `#define`; a declaration itself.
    pub fn definition(&self, path: &str, offset: u32) -> Vec<FileRange> {
        let Some(hit) = self.hit(path, offset) else {
            return Vec::new();
        };
        match hit {
            Hit::Site(_) => self
                .decls_of(hit)
                .into_iter()
                .map(|(p, d)| FileRange::new(p, d.name_range))
                .collect(),
            // A Rust-for-Linux declaration is the Rust face of the C `TRACE_EVENT` of the
            // same name.
            Hit::EventName(e) if e.dialect == Dialect::Rfl => {
                let c_side: Vec<FileRange> = self
                    .declarations(&e.name)
                    .into_iter()
                    .filter(|(_, d)| d.dialect == Dialect::Kernel)
                    .map(|(p, d)| FileRange::new(p, d.name_range))
                    .collect();
                if c_side.is_empty() {
                    vec![FileRange::new(path, e.name_range)]
                } else {
                    c_side
                }
            }
            Hit::EventName(e) | Hit::ClassRef(e) => match self.class_of(path, e) {
                Some((p, c)) => vec![FileRange::new(p, c.name_range)],
                None => vec![FileRange::new(path, e.name_range)],
            },
            Hit::WrapperUse(e) => e
                .via_wrapper
                .as_deref()
                .and_then(|w| self.find_wrapper(path, w))
                .map(|(p, w)| vec![FileRange::new(p, w.name_range)])
                .unwrap_or_default(),
            Hit::Class(c) => vec![FileRange::new(path, c.name_range)],
            Hit::Wrapper(w) => vec![FileRange::new(path, w.name_range)],
        }
    }

    /// Every probe site that refers to one of `decls`.
    pub fn sites_of(&self, decls: &[(&str, &EventDecl)]) -> Vec<(&str, &ProbeSite)> {
        let mut names: Vec<&str> = Vec::new();
        for (_, d) in decls {
            names.push(&d.name);
            // `trace_foo_enabled()` is filed under `foo` until resolution says otherwise.
            for suffix in ["_enabled", "_rcuidle"] {
                if let Some(base) = d.name.strip_suffix(suffix) {
                    names.push(base);
                }
            }
        }
        names.sort();
        names.dedup();
        let mut out = Vec::new();
        for name in names {
            for (p, s) in self.sites_named(name) {
                let refers = self.resolve(s).is_some_and(|r| {
                    r.decls
                        .iter()
                        .any(|(_, rd)| decls.iter().any(|(_, d)| std::ptr::eq(*rd, *d)))
                });
                if refers {
                    out.push((p, s));
                }
            }
        }
        out.sort_by_key(|(p, s)| (*p, s.full_range.start));
        out
    }

    /// Find references: every site of the event at the cursor, and its declarations when
    /// `include_declaration`.
    pub fn references(&self, path: &str, offset: u32, include_declaration: bool) -> Vec<FileRange> {
        let Some(hit) = self.hit(path, offset) else {
            return Vec::new();
        };
        let decls = self.decls_of(hit);
        let mut out: Vec<FileRange> = self
            .sites_of(&decls)
            .into_iter()
            .map(|(p, s)| FileRange::new(p, s.name_range))
            .collect();
        if include_declaration {
            out.extend(decls.iter().map(|(p, d)| FileRange::new(p, d.name_range)));
        }
        out
    }

    /// The `#define` of wrapper `name` as seen from `path`: its own, else one in the files it
    /// includes (breadth first).
    pub fn find_wrapper(&self, path: &str, name: &str) -> Option<(&str, &WrapperMacro)> {
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([self.file_key(path)?]);
        while let Some(p) = queue.pop_front() {
            if !seen.insert(p) {
                continue;
            }
            let entry = self.file(p)?;
            if let Some(w) = entry.index.wrappers.iter().find(|w| w.name == name) {
                return Some((p, w));
            }
            for inc in &entry.index.includes {
                if let Some(target) = self.resolve_include(p, inc) {
                    queue.push_back(target);
                }
            }
        }
        None
    }

    /// Every event declaration of the workspace, in path order.
    pub fn all_events(&self) -> impl Iterator<Item = (&str, &EventDecl)> {
        self.files()
            .flat_map(|(p, e)| e.index.events.iter().map(move |d| (p, d)))
    }

    /// The parameters of an event's prototype: its own, else its class's.
    pub fn prototype<'w>(&'w self, path: &str, decl: &'w EventDecl) -> &'w [crate::model::Param] {
        if decl.payload.params.is_empty() {
            if let Some((_, class)) = self.class_of(path, decl) {
                return &class.payload.params;
            }
        }
        &decl.payload.params
    }
}
