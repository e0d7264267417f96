//! Renders a file's index as compact text for snapshot fixtures, and finds `$0` cursor marks.

use indexer::{index_file, FileIndex, LineIndex, TextRange, WrapperMacro};

/// Indexes `src` as a C header and renders every event, class, site and wrapper one per line.
#[allow(dead_code)]
pub fn show(src: &str) -> String {
    show_with(src, &[])
}

pub fn show_with(src: &str, imports: &[WrapperMacro]) -> String {
    let idx = index_file("t.h", src, imports);
    render(src, &idx)
}

/// Indexes `src` as the file `path` (its extension picks the language).
#[allow(dead_code)] // Each test binary uses its own subset of these helpers.
pub fn show_file(path: &str, src: &str) -> String {
    render(src, &index_file(path, src, &[]))
}

fn at(src: &str, lines: &LineIndex, r: TextRange) -> String {
    let p = lines.position(src, r.start);
    format!("{}:{}", p.line + 1, p.utf16_col + 1)
}

pub fn render(src: &str, idx: &FileIndex) -> String {
    let lines = LineIndex::new(src);
    let mut out = String::new();
    for c in &idx.classes {
        out += &format!(
            "class {}:{} {} {} @{}\n",
            c.system.as_deref().unwrap_or("-"),
            c.name,
            c.dialect.as_str(),
            c.macro_name,
            at(src, &lines, c.name_range),
        );
        payload(&mut out, &c.payload);
    }
    for e in &idx.events {
        out += &format!(
            "event {}:{} {} {}{}{}{}{}{} @{}\n",
            e.system.as_deref().unwrap_or("-"),
            e.name,
            e.dialect.as_str(),
            e.macro_name,
            e.class
                .as_ref()
                .map(|c| format!(" class={c}"))
                .unwrap_or_default(),
            e.map
                .as_ref()
                .map(|c| format!(" map={c}"))
                .unwrap_or_default(),
            e.loglevel
                .as_ref()
                .map(|c| format!(" level={c}"))
                .unwrap_or_default(),
            e.via_wrapper
                .as_ref()
                .map(|c| format!(" via={c}"))
                .unwrap_or_default(),
            e.condition
                .as_ref()
                .map(|c| format!(" if[{c}]"))
                .unwrap_or_default(),
            at(src, &lines, e.name_range),
        );
        payload(&mut out, &e.payload);
    }
    for s in &idx.sites {
        out += &format!(
            "site {}{} {} {} args={} fn={}{} @{}\n",
            s.provider
                .as_ref()
                .map(|p| format!("{p}:"))
                .unwrap_or_default(),
            s.event,
            s.form.as_str(),
            s.callee,
            s.args,
            s.function.as_deref().unwrap_or("-"),
            s.via_wrapper
                .as_ref()
                .map(|c| format!(" via={c}"))
                .unwrap_or_default(),
            at(src, &lines, s.name_range),
        );
    }
    for w in &idx.wrappers {
        out += &format!(
            "wrapper {}({}) @{}\n",
            w.name,
            w.params.join(", "),
            at(src, &lines, w.name_range)
        );
    }
    if !idx.trace_functions.is_empty() {
        out += &format!("trace functions: {}\n", idx.trace_functions.join(" "));
    }
    out
}

fn payload(out: &mut String, p: &indexer::Payload) {
    if !p.params.is_empty() {
        let ps: Vec<String> = p
            .params
            .iter()
            .map(|p| format!("{}|{}", p.ty, p.name))
            .collect();
        *out += &format!("  params: {}\n", ps.join(", "));
    }
    if !p.fields.is_empty() {
        let fs: Vec<String> = p
            .fields
            .iter()
            .map(|f| format!("{} {}", f.ty, f.name))
            .collect();
        *out += &format!("  fields: {}\n", fs.join(", "));
    }
    if let Some(f) = &p.format {
        *out += &format!("  format: {f}\n");
    }
}
