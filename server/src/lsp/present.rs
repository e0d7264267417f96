//! How index answers look in an editor: hover text, symbol trees, completion items,
//! diagnostics. Each function takes the index's plain data and returns LSP types.

use indexer::query::completion::{Candidate, CandidateKind};
use indexer::query::diagnostics::{Diagnostic as IndexDiagnostic, Severity};
use indexer::{EventClass, EventDecl, FileEntry, Hit, Payload, WorkspaceIndex};
use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Diagnostic, DiagnosticSeverity,
    DocumentSymbol, InsertTextFormat, NumberOrString, Range, SymbolKind, TextEdit,
};

use super::convert;

/// How a path is shown to a person: relative to the workspace folder that holds it.
pub struct Shown<'r>(pub &'r [std::path::PathBuf]);

impl Shown<'_> {
    fn path<'p>(&self, path: &'p str) -> std::borrow::Cow<'p, str> {
        for root in self.0 {
            if let Ok(rel) = std::path::Path::new(path).strip_prefix(root) {
                return rel.to_string_lossy().into_owned().into();
            }
        }
        path.into()
    }
}

/// Hover markdown for what is under the cursor, or `None` when there is nothing to say.
pub fn hover(ws: &WorkspaceIndex, shown: &Shown<'_>, path: &str, hit: Hit<'_>) -> Option<String> {
    match hit {
        Hit::Class(c) => Some(class_markdown(ws, shown, path, c)),
        Hit::Wrapper(w) => Some(format!(
            "**{}** — wrapper macro\n\n```c\n#define {}({}) {}\n```",
            w.name,
            w.name,
            w.params.join(", "),
            w.body.trim()
        )),
        Hit::ClassRef(e) => ws
            .class_of(path, e)
            .map(|(p, c)| class_markdown(ws, shown, p, c)),
        Hit::Site(_) | Hit::EventName(_) | Hit::WrapperUse(_) => {
            let decls = ws.decls_of(hit);
            let (decl_path, decl) = *decls.first()?;
            let sites = ws.sites_of(&decls).len();
            Some(event_markdown(
                ws,
                shown,
                decl_path,
                decl,
                decls.len(),
                sites,
            ))
        }
    }
}

fn event_markdown(
    ws: &WorkspaceIndex,
    shown: &Shown<'_>,
    path: &str,
    e: &EventDecl,
    decls: usize,
    sites: usize,
) -> String {
    let system = e.system.as_deref().unwrap_or("-");
    let mut md = format!(
        "**{system}:{}** — {} `{}`",
        e.name,
        e.dialect.as_str(),
        e.macro_name
    );
    if let Some(w) = &e.via_wrapper {
        md += &format!(" (through `{w}`)");
    }
    let class = ws.class_of(path, e);
    let params = ws.prototype(path, e);
    let proto: Vec<String> = params
        .iter()
        .map(|p| format!("{} {}", p.ty, p.name).trim().to_string())
        .collect();
    let call = match e.dialect {
        indexer::Dialect::Kernel => format!("trace_{}({})", e.name, proto.join(", ")),
        _ => format!("{}:{}({})", system, e.name, proto.join(", ")),
    };
    md += &format!("\n\n```c\n{call}\n```\n");
    if let Some((_, c)) = class {
        md += &format!("\nclass `{}`\n", c.name);
    }
    let payload = match class {
        Some((_, c)) if e.payload.fields.is_empty() => &c.payload,
        _ => &e.payload,
    };
    md += &payload_markdown(payload, e.payload.format.as_deref());
    if let Some(level) = &e.loglevel {
        md += &format!("\nlog level `{level}`\n");
    }
    if let Some(cond) = &e.condition {
        md += &format!("\nunder `#if {cond}`\n");
    }
    let line = ws
        .file(path)
        .map_or(0, |f| f.lines.line_of(e.name_range.start) + 1);
    let sites = match sites {
        1 => "1 call site".to_string(),
        n => format!("{n} call sites"),
    };
    md += &format!("\n{sites} · declared in `{}:{line}`", shown.path(path));
    if decls > 1 {
        md += &format!(" and {} more place(s)", decls - 1);
    }
    md
}

fn class_markdown(ws: &WorkspaceIndex, shown: &Shown<'_>, path: &str, c: &EventClass) -> String {
    let line = ws
        .file(path)
        .map_or(0, |f| f.lines.line_of(c.name_range.start) + 1);
    let proto: Vec<String> = c
        .payload
        .params
        .iter()
        .map(|p| format!("{} {}", p.ty, p.name).trim().to_string())
        .collect();
    format!(
        "**{}:{}** — event class `{}`\n\n```c\n({})\n```\n{}\ndeclared in `{}:{line}`",
        c.system.as_deref().unwrap_or("-"),
        c.name,
        c.macro_name,
        proto.join(", "),
        payload_markdown(&c.payload, None),
        shown.path(path)
    )
}

fn payload_markdown(p: &Payload, own_format: Option<&str>) -> String {
    let mut md = String::new();
    if !p.fields.is_empty() {
        md += "\n| field | type |\n|---|---|\n";
        for f in &p.fields {
            md += &format!("| `{}` | `{}` |\n", f.name, f.ty);
        }
    }
    if let Some(format) = own_format.or(p.format.as_deref()) {
        md += &format!("\nformat: `{}`\n", format.replace('`', "'"));
    }
    md
}

/// Document symbols: classes with their instances in the file as children, other events
/// with their fields, and wrapper macros.
pub fn document_symbols(entry: &FileEntry) -> Vec<DocumentSymbol> {
    let idx = &entry.index;
    let range = |r| convert::range(entry, r);
    let mut out = Vec::new();
    let event = |e: &EventDecl| {
        let fields: Vec<DocumentSymbol> = e
            .payload
            .fields
            .iter()
            .map(|f| {
                symbol(
                    f.name.clone(),
                    Some(f.ty.clone()),
                    SymbolKind::FIELD,
                    range(e.full_range),
                    range(e.full_range),
                    None,
                )
            })
            .collect();
        symbol(
            e.name.clone(),
            Some(format!(
                "{} {}",
                e.system.as_deref().unwrap_or("-"),
                e.macro_name
            )),
            SymbolKind::EVENT,
            range(e.full_range),
            range(e.name_range),
            (!fields.is_empty()).then_some(fields),
        )
    };
    for c in &idx.classes {
        let instances: Vec<DocumentSymbol> = idx
            .events
            .iter()
            .filter(|e| e.class.as_deref() == Some(c.name.as_str()))
            .map(event)
            .collect();
        out.push(symbol(
            c.name.clone(),
            Some(format!(
                "{} {}",
                c.system.as_deref().unwrap_or("-"),
                c.macro_name
            )),
            SymbolKind::CLASS,
            range(c.full_range),
            range(c.name_range),
            (!instances.is_empty()).then_some(instances),
        ));
    }
    for e in &idx.events {
        let under_class = e
            .class
            .as_deref()
            .is_some_and(|c| idx.classes.iter().any(|k| k.name == c));
        if !under_class {
            out.push(event(e));
        }
    }
    for w in &idx.wrappers {
        out.push(symbol(
            w.name.clone(),
            Some("wrapper macro".to_string()),
            SymbolKind::FUNCTION,
            range(w.full_range),
            range(w.name_range),
            None,
        ));
    }
    out.sort_by_key(|s| (s.range.start.line, s.range.start.character));
    out
}

#[allow(deprecated)] // `deprecated` is a required field of the struct.
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: Range,
    selection_range: Range,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children,
    }
}

pub fn completion_item(c: Candidate, replace: Range, snippets: bool) -> CompletionItem {
    let (text, format) = if snippets {
        (c.snippet, InsertTextFormat::SNIPPET)
    } else {
        (c.label.clone(), InsertTextFormat::PLAIN_TEXT)
    };
    CompletionItem {
        kind: Some(match c.kind {
            CandidateKind::Event => CompletionItemKind::EVENT,
            CandidateKind::Provider => CompletionItemKind::MODULE,
            CandidateKind::Class => CompletionItemKind::CLASS,
        }),
        detail: Some(c.detail),
        filter_text: Some(c.label.clone()),
        // Items arrive ranked; keep the order in clients that sort by label.
        sort_text: Some(format!(
            "{:05}",
            99_999u32.saturating_sub(c.score.min(99_999))
        )),
        insert_text_format: Some(format),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(replace, text))),
        label: c.label,
        ..CompletionItem::default()
    }
}

pub fn diagnostic(entry: &FileEntry, d: IndexDiagnostic) -> Diagnostic {
    Diagnostic {
        range: convert::range(entry, d.range),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Hint => DiagnosticSeverity::HINT,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("tracer-lsp".to_string()),
        message: d.message,
        ..Diagnostic::default()
    }
}

/// The inlay hint at the end of a probe-site line: `● 12,345 (3.2k/s)`.
pub fn count_label(count: u64, rate: f64, shared_by: usize) -> String {
    let mut s = format!("● {}", crate::thousands(count));
    if rate >= 0.05 {
        s.push_str(&format!(" ({}/s)", crate::record::short_rate(rate)));
    }
    if shared_by > 1 {
        s.push_str(&format!(" shared by {shared_by} sites"));
    }
    s
}

/// What hover adds on a site with counts: count, rate, lost, last payloads.
pub fn count_markdown(c: &indexer::query::counts::SiteCount) -> String {
    let mut s = format!(
        "\n\n---\n**Recorded:** {} events",
        crate::thousands(c.count)
    );
    if c.rate >= 0.05 {
        s.push_str(&format!(", {}/s", crate::record::short_rate(c.rate)));
    }
    if c.lost > 0 {
        s.push_str(&format!(
            ", {} lost in its stream",
            crate::thousands(c.lost)
        ));
    }
    if !c.exact {
        s.push_str(&format!(
            " (with the events the trace places on no call site, shown on all {} sites of the \
             event)",
            c.shared_by
        ));
    }
    if let (Some(first), Some(last)) = (c.first_ns, c.last_ns) {
        s.push_str(&format!(
            "\n\nfirst {}, last {} (UTC)",
            time_of_day(first),
            time_of_day(last)
        ));
    }
    if !c.payloads.is_empty() {
        s.push_str("\n\nLast payloads:\n```\n");
        for p in &c.payloads {
            s.push_str(p);
            s.push('\n');
        }
        s.push_str("```");
    }
    s
}

/// `HH:MM:SS.mmm` (UTC) of a Unix time in nanoseconds.
fn time_of_day(ns: i128) -> String {
    let ms = ns.div_euclid(1_000_000);
    let day_ms = ms.rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_of_day_are_utc_with_milliseconds() {
        assert_eq!(super::time_of_day(0), "00:00:00.000");
        assert_eq!(super::time_of_day(90_061_500_000_000), "01:01:01.500");
    }
}
