//! The index as the `index` command prints it: one JSON document with a fixed shape that
//! scripts rely on, and the human summary.
//!
//! An instance (`DEFINE_EVENT`) reports its class's fields and format when it has none of its
//! own, so every event row is complete without a second lookup.

use std::collections::HashSet;

use indexer::{EventDecl, Field, Param, WorkspaceIndex};
use serde::Serialize;

#[derive(Serialize)]
pub struct IndexReport {
    pub files: usize,
    pub events: Vec<EventRow>,
    pub classes: Vec<ClassRow>,
    pub sites: Vec<SiteRow>,
}

#[derive(Serialize)]
pub struct EventRow {
    pub name: String,
    pub system: Option<String>,
    pub dialect: &'static str,
    #[serde(rename = "macro")]
    pub macro_name: String,
    pub class: Option<String>,
    pub file: String,
    pub line: u32,
    pub params: Vec<Param>,
    pub fields: Vec<FieldRow>,
    pub format: Option<String>,
    pub condition: Option<String>,
}

#[derive(Serialize)]
pub struct FieldRow {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Serialize)]
pub struct ClassRow {
    pub name: String,
    pub system: Option<String>,
    pub file: String,
    pub line: u32,
}

#[derive(Serialize)]
pub struct SiteRow {
    pub event: String,
    pub system: Option<String>,
    pub form: &'static str,
    pub file: String,
    pub line: u32,
    pub function: Option<String>,
    pub args: u32,
    /// Internal: whether a declaration was found (the JSON keeps the documented keys only).
    #[serde(skip)]
    pub resolved: bool,
}

/// Totals for the summary line.
pub struct Totals {
    pub events: usize,
    pub distinct_events: usize,
    pub classes: usize,
    pub sites: usize,
    pub unresolved: usize,
}

impl IndexReport {
    pub fn totals(&self) -> Totals {
        let distinct: HashSet<(&Option<String>, &str)> = self
            .events
            .iter()
            .map(|e| (&e.system, e.name.as_str()))
            .collect();
        Totals {
            events: self.events.len(),
            distinct_events: distinct.len(),
            classes: self.classes.len(),
            sites: self.sites.len(),
            unresolved: self.sites.iter().filter(|s| !s.resolved).count(),
        }
    }
}

fn fields(fields: &[Field]) -> Vec<FieldRow> {
    fields
        .iter()
        .map(|f| FieldRow {
            name: f.name.clone(),
            ty: f.ty.clone(),
        })
        .collect()
}

/// Builds the report of a whole workspace (paths as the workspace holds them).
pub fn index_report(ws: &WorkspaceIndex, files: usize) -> IndexReport {
    let mut report = IndexReport {
        files,
        events: Vec::new(),
        classes: Vec::new(),
        sites: Vec::new(),
    };
    for (path, entry) in ws.files() {
        let line = |offset: u32| entry.lines.line_of(offset) + 1;
        for e in &entry.index.events {
            report
                .events
                .push(event_row(ws, path, e, line(e.name_range.start)));
        }
        for c in &entry.index.classes {
            report.classes.push(ClassRow {
                name: c.name.clone(),
                system: c.system.clone(),
                file: path.to_string(),
                line: line(c.name_range.start),
            });
        }
        for s in &entry.index.sites {
            let resolved = ws.resolve(s);
            if resolved.is_none() && !ws.is_probable_tracepoint(s) {
                continue;
            }
            let (event, system) = match &resolved {
                Some(r) => (r.event.clone(), r.system().map(str::to_string)),
                None => (s.event.clone(), s.provider.clone()),
            };
            report.sites.push(SiteRow {
                event,
                system,
                form: resolved.as_ref().map_or(s.form, |r| r.form).as_str(),
                file: path.to_string(),
                line: line(s.name_range.start),
                function: s.function.clone(),
                args: s.args,
                resolved: resolved.is_some(),
            });
        }
    }
    report
}

fn event_row(ws: &WorkspaceIndex, path: &str, e: &EventDecl, line: u32) -> EventRow {
    let class = ws.class_of(path, e).map(|(_, c)| c);
    let own = &e.payload;
    let params = match (own.params.is_empty(), class) {
        (true, Some(c)) => c.payload.params.clone(),
        _ => own.params.clone(),
    };
    let field_list = match (own.fields.is_empty(), class) {
        (true, Some(c)) => fields(&c.payload.fields),
        _ => fields(&own.fields),
    };
    let format = own
        .format
        .clone()
        .or_else(|| class.and_then(|c| c.payload.format.clone()));
    EventRow {
        name: e.name.clone(),
        system: e.system.clone(),
        dialect: e.dialect.as_str(),
        macro_name: e.macro_name.clone(),
        class: e.class.clone(),
        file: path.to_string(),
        line,
        params,
        fields: field_list,
        format,
        condition: e.condition.clone(),
    }
}
