//! What is wrong with the tracepoints of one file: sites of undeclared events, calls whose
//! argument count matches no prototype, events declared twice, events nobody fires.

use crate::model::{Dialect, SiteForm, TextRange};
use crate::workspace::WorkspaceIndex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Hint,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub range: TextRange,
    pub severity: Severity,
    /// A stable identifier (`undeclared-event`, `argument-count`, …).
    pub code: &'static str,
    pub message: String,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct DiagnosticOptions {
    /// Report events that no site fires (a hint; off by default).
    pub unused_events: bool,
}

impl WorkspaceIndex {
    pub fn diagnostics(&self, path: &str, options: DiagnosticOptions) -> Vec<Diagnostic> {
        let Some(entry) = self.file(path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for site in &entry.index.sites {
            let Some(resolved) = self.resolve(site) else {
                if self.is_probable_tracepoint(site) {
                    let name = match &site.provider {
                        Some(p) => format!("{p}:{}", site.event),
                        None => site.event.clone(),
                    };
                    out.push(Diagnostic {
                        range: site.name_range,
                        severity: Severity::Warning,
                        code: "undeclared-event",
                        message: format!("no declaration of event `{name}` in the workspace"),
                    });
                }
                continue;
            };
            let takes_payload = matches!(
                resolved.form,
                SiteForm::Call
                    | SiteForm::Rcuidle
                    | SiteForm::Tracepoint
                    | SiteForm::DoTracepoint
                    | SiteForm::Usdt
            );
            if !takes_payload || resolved.decls.iter().any(|(_, d)| d.implicit) {
                continue;
            }
            let counts: Vec<usize> = resolved
                .decls
                .iter()
                .map(|(p, d)| self.prototype(p, d).len())
                .collect();
            if !counts.contains(&(site.args as usize)) {
                let expected = counts
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ");
                let plural = if counts == [1] { "" } else { "s" };
                out.push(Diagnostic {
                    range: site.name_range,
                    severity: Severity::Error,
                    code: "argument-count",
                    message: format!(
                        "`{}` expects {expected} argument{plural} (its prototype), found {}",
                        resolved.event, site.args
                    ),
                });
            }
        }
        for decl in &entry.index.events {
            if decl.implicit {
                continue;
            }
            let twins: Vec<(&str, u32)> = self
                .declarations(&decl.name)
                .into_iter()
                .filter(|(_, d)| {
                    !std::ptr::eq(*d, decl)
                        && d.system == decl.system
                        && d.dialect == decl.dialect
                        && d.condition.is_none()
                        && decl.condition.is_none()
                })
                .filter_map(|(p, d)| Some((p, self.file(p)?.lines.line_of(d.name_range.start) + 1)))
                .collect();
            if let Some((p, line)) = twins.first() {
                out.push(Diagnostic {
                    range: decl.name_range,
                    severity: Severity::Warning,
                    code: "duplicate-event",
                    message: format!(
                        "event `{}:{}` is also declared at {p}:{line}, outside any #if alternative",
                        decl.system.as_deref().unwrap_or("-"),
                        decl.name
                    ),
                });
            }
            if options.unused_events
                && matches!(
                    decl.dialect,
                    Dialect::Kernel | Dialect::Ust | Dialect::Usdt | Dialect::Rfl
                )
                && self.sites_of(&[(path, decl)]).is_empty()
            {
                out.push(Diagnostic {
                    range: decl.name_range,
                    severity: Severity::Hint,
                    code: "unused-event",
                    message: format!("event `{}` is never fired in the workspace", decl.name),
                });
            }
        }
        out.sort_by_key(|d| d.range.start);
        out
    }
}
