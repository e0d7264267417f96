//! Renaming an event across its declarations and every site: `trace_old(` becomes
//! `trace_new(` (prefix and `_enabled`/`_rcuidle` suffix kept), `tracepoint(p, old, …)` becomes
//! `tracepoint(p, new, …)`. A name built by a wrapper's `##` pasting cannot be renamed from
//! here, and the rename says so instead of producing a half-done edit.

use super::Hit;
use crate::model::TextRange;
use crate::workspace::WorkspaceIndex;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextEdit {
    pub path: String,
    pub range: TextRange,
    pub new_text: String,
}

impl WorkspaceIndex {
    /// The range of the name a rename at `offset` would change.
    pub fn prepare_rename(&self, path: &str, offset: u32) -> Result<TextRange, String> {
        match self.hit(path, offset) {
            Some(Hit::Site(s)) => Ok(s.name_range),
            Some(Hit::EventName(e)) => Ok(e.name_range),
            _ => Err("not on a tracepoint event name".to_string()),
        }
    }

    pub fn rename(&self, path: &str, offset: u32, new_name: &str) -> Result<Vec<TextEdit>, String> {
        let valid = !new_name.is_empty()
            && new_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!(
                "`{new_name}` is not a valid event name (letters, digits, `_`)"
            ));
        }
        let hit = match self.hit(path, offset) {
            Some(hit @ (Hit::Site(_) | Hit::EventName(_))) => hit,
            _ => return Err("not on a tracepoint event name".to_string()),
        };
        let decls = self.decls_of(hit);
        let Some((_, first)) = decls.first() else {
            return Err("the event has no declaration in the workspace".to_string());
        };
        let old = first.name.clone();
        let text_at = |p: &str, r: TextRange| -> Option<&str> {
            self.file(p)?.text.get(r.start as usize..r.end as usize)
        };
        let mut edits = Vec::new();
        for (p, d) in &decls {
            if text_at(p, d.name_range) != Some(old.as_str()) {
                return Err(format!(
                    "`{old}` is built by wrapper `{}` at {p}; rename it there by hand",
                    d.via_wrapper.as_deref().unwrap_or("?")
                ));
            }
            edits.push(TextEdit {
                path: p.to_string(),
                range: d.name_range,
                new_text: new_name.to_string(),
            });
        }
        for (p, s) in self.sites_of(&decls) {
            let written = text_at(p, s.name_range).unwrap_or_default();
            let new_text = if s.provider.is_some() {
                (written == old).then(|| new_name.to_string())
            } else {
                // `register_trace_prio_old`, `trace_old_enabled`: replace the name inside.
                written
                    .find(old.as_str())
                    .map(|at| format!("{}{new_name}{}", &written[..at], &written[at + old.len()..]))
            };
            let Some(new_text) = new_text.filter(|_| s.via_wrapper.is_none()) else {
                return Err(format!(
                    "the site at {p} spells `{old}` through a macro; rename it there by hand"
                ));
            };
            edits.push(TextEdit {
                path: p.to_string(),
                range: s.name_range,
                new_text,
            });
        }
        edits.sort();
        edits.dedup();
        Ok(edits)
    }
}
