//! Trace counts as the editor and the command line show them: the CTF reader's per-class
//! counts turned into [`TraceCount`]s (call site from our `model.emf.uri`, from the `ip`
//! context through DWARF for LTTng events that have it, none for other LTTng events), and
//! the `tracer-lsp counts` / `tracer-lsp annotate` commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indexer::query::counts::{Attribution, TraceCount};
use indexer::WorkspaceIndex;
use serde::Serialize;
use tracer_core::ctf::read::{self, Counts};

use crate::load;
use crate::lttng_sites::{self, Located};

/// Decodes `%XX` escapes.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The (file, line) of a tracer-core `model.emf.uri` (`callsite?file=…&line=…&func=…`).
pub fn callsite_of(uri: &str) -> Option<(String, u32)> {
    let query = uri.strip_prefix("callsite?")?;
    let mut file = None;
    let mut line = None;
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("file", v)) => file = Some(unescape(v)),
            Some(("line", v)) => line = v.parse().ok(),
            _ => {}
        }
    }
    Some((file?, line?))
}

/// `provider:event` split at the first colon (kernel events have no provider).
fn split_name(name: &str) -> (String, String) {
    match name.split_once(':') {
        Some((p, e)) => (p.to_owned(), e.to_owned()),
        None => (String::new(), name.to_owned()),
    }
}

/// An imported trace: the reader's counts and what they become in the editor.
pub struct Imported {
    /// Per class, with the events read and lost.
    pub counts: Counts,
    /// Per event, and per call site where the trace says (or DWARF does).
    pub traces: Vec<TraceCount>,
    /// What could not be read or located, one line each.
    pub errors: Vec<String>,
}

/// Reads every trace under `root`: counts per class, then call sites for the LTTng events
/// that have the `ip` context.
pub fn import(root: &Path) -> Imported {
    let counts = read::count(root, 0);
    let located = lttng_sites::locate(&counts);
    let traces = trace_counts(&counts, &located);
    let mut errors: Vec<String> = counts.errors.iter().map(|e| e.to_string()).collect();
    errors.extend(located.errors);
    Imported {
        counts,
        traces,
        errors,
    }
}

/// The reader's counts as trace counts (classes with no event left out): one per call site
/// the class's events were located on, and one without location for the rest.
pub fn trace_counts(counts: &Counts, located: &Located) -> Vec<TraceCount> {
    let mut out = Vec::new();
    for c in counts.classes.iter().filter(|c| c.count > 0) {
        let (provider, event) = split_name(&c.name);
        let count = |location, count| TraceCount {
            provider: provider.clone(),
            event: event.clone(),
            location,
            count,
            ..TraceCount::default()
        };
        let mut rest = c.count;
        let key = (c.trace.clone(), c.stream_id, c.id);
        for ((file, line), &n) in located.sites.get(&key).into_iter().flatten() {
            let n = n.min(rest);
            rest -= n;
            out.push(count(Some((file.clone(), *line)), n));
        }
        if rest > 0 {
            out.push(count(c.emf_uri.as_deref().and_then(callsite_of), rest));
        }
    }
    out
}

/// The counts of a recording, one per call site (summed over processes, with each process's
/// lost events, the latest payloads and the first and last times), sorted by place.
pub fn snapshot_counts(snap: &tracer_core::RecordingSnapshot) -> Vec<TraceCount> {
    let mut totals: std::collections::HashMap<(String, u32, String), TraceCount> =
        Default::default();
    for p in &snap.processes {
        for c in p.classes.iter().filter(|c| c.count > 0) {
            let s = &c.schema;
            let t = totals
                .entry((s.file.clone(), s.line, s.full_name()))
                .or_insert_with(|| TraceCount {
                    provider: s.provider.clone(),
                    event: s.event.clone(),
                    location: Some((s.file.clone(), s.line)),
                    ..TraceCount::default()
                });
            t.count += c.count;
            t.lost += p.lost;
            t.payloads.extend(c.payloads.iter().cloned());
            t.first_ns = Some(t.first_ns.map_or(c.first_ns, |f| f.min(c.first_ns)));
            t.last_ns = t.last_ns.max(Some(c.last_ns));
        }
    }
    let mut out: Vec<TraceCount> = totals.into_values().collect();
    out.sort_by(|a, b| (&a.location, &a.event).cmp(&(&b.location, &b.event)));
    out
}

#[derive(Serialize)]
struct EventJson {
    system: String,
    name: String,
    count: u64,
}

#[derive(Serialize)]
struct SiteJson {
    file: String,
    line: u32,
    event: String,
    count: u64,
    exact: bool,
}

#[derive(Serialize)]
struct CountsJson {
    events: Vec<EventJson>,
    sites: Vec<SiteJson>,
    lost: u64,
    errors: Vec<String>,
}

/// Counts per event over the whole trace, sorted by name.
fn event_totals(counts: &[TraceCount]) -> Vec<EventJson> {
    let mut totals: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for c in counts {
        *totals
            .entry((c.provider.clone(), c.event.clone()))
            .or_default() += c.count;
    }
    totals
        .into_iter()
        .map(|((system, name), count)| EventJson {
            system,
            name,
            count,
        })
        .collect()
}

fn sites_json(a: &Attribution) -> Vec<SiteJson> {
    a.sites
        .iter()
        .map(|s| SiteJson {
            file: s.path.clone(),
            line: s.line + 1,
            event: s.event.clone(),
            count: s.count,
            exact: s.exact,
        })
        .collect()
}

/// `tracer-lsp counts DIR --workspace WS [--json]`.
pub fn counts_command(trace: &Path, workspace: Option<&Path>, json: bool) -> Result<()> {
    if !trace.exists() {
        bail!("{}: no such trace directory", trace.display());
    }
    print_counts(import(trace), workspace, json)
}

/// A live session's counts so far as trace counts (what `import` gives for a directory; the
/// call sites are our traces' `model.emf.uri`, LTTng events stay unlocated).
pub fn live_counts(counts: Counts) -> Imported {
    let traces = trace_counts(&counts, &Located::default());
    let errors = counts.errors.iter().map(|e| e.to_string()).collect();
    Imported {
        counts,
        traces,
        errors,
    }
}

/// `tracer-lsp counts --live URL --workspace WS [--json]`: follows the session until the
/// relay hangs it up (or Ctrl-C), then prints what `counts DIR` prints for its trace.
pub fn counts_live_command(url: &str, workspace: Option<&Path>, json: bool) -> Result<()> {
    use crate::relay::client::{Live, LiveUrl};
    let url = LiveUrl::parse(url).map_err(anyhow::Error::msg)?;
    let live = Live::attach(&url).map_err(anyhow::Error::msg)?;
    crate::record::catch_sigint();
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(std::time::Duration::from_millis(100));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let stop = || crate::record::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst);
    let (counts, ended) = live.follow(&stop, std::time::Duration::from_millis(250), &mut |c| {
        bar.set_message(format!(
            "{url}: {} events, {} lost",
            crate::thousands(c.events),
            crate::thousands(c.lost)
        ));
    });
    bar.finish_and_clear();
    let mut imported = live_counts(counts);
    if let Err(e) = &ended {
        imported.errors.push(e.clone());
    }
    print_counts(imported, workspace, json)?;
    ended.map_err(|e| anyhow::anyhow!("{e}; the counts above are what arrived before"))
}

fn print_counts(imported: Imported, workspace: Option<&Path>, json: bool) -> Result<()> {
    let Imported {
        counts,
        traces,
        errors,
    } = imported;
    let attribution = match workspace {
        Some(ws) => {
            let (index, _) = load::load_tree(ws, load::PathKeys::Relative, &|_, _| {})
                .with_context(|| format!("cannot index {}", ws.display()))?;
            index.attribute_counts(&traces)
        }
        None => Attribution::default(),
    };
    let mut out = std::io::stdout().lock();
    if json {
        let doc = CountsJson {
            events: event_totals(&traces),
            sites: sites_json(&attribution),
            lost: counts.lost,
            errors,
        };
        serde_json::to_writer(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    for e in event_totals(&traces) {
        let name = if e.system.is_empty() {
            e.name.clone()
        } else {
            format!("{}:{}", e.system, e.name)
        };
        writeln!(out, "{name:<48} {:>14}", crate::thousands(e.count))?;
    }
    for s in sites_json(&attribution) {
        let mark = if s.exact {
            ""
        } else {
            "  (shared: events with no call site count on every site of their event)"
        };
        writeln!(
            out,
            "{}:{}  {}  {}{mark}",
            s.file,
            s.line,
            s.event,
            crate::thousands(s.count)
        )?;
    }
    writeln!(
        out,
        "\n{} events, {} lost",
        crate::thousands(counts.events),
        crate::thousands(counts.lost)
    )?;
    for e in &errors {
        writeln!(out, "error: {e}")?;
    }
    Ok(())
}

/// The source lines of the probe sites of `files` (all files with sites when empty), with
/// their counts, like `git blame`.
pub fn print_annotated(
    ws: &WorkspaceIndex,
    a: &Attribution,
    files: &[PathBuf],
    out: &mut impl Write,
) -> Result<()> {
    let wanted = |path: &str| {
        files.is_empty()
            || files
                .iter()
                .any(|f| Path::new(path).ends_with(f) || f.ends_with(path))
    };
    let mut paths: Vec<&str> = ws
        .files()
        .filter(|(p, e)| !e.index.sites.is_empty() && wanted(p))
        .map(|(p, _)| p)
        .collect();
    paths.sort();
    for path in paths {
        let Some(entry) = ws.file(path) else {
            continue;
        };
        writeln!(out, "{path}")?;
        let mut lines: Vec<u32> = entry
            .index
            .sites
            .iter()
            .map(|s| entry.lines.line_of(s.name_range.start))
            .collect();
        lines.sort_unstable();
        lines.dedup();
        for line in lines {
            let on_line: Vec<_> = a
                .sites
                .iter()
                .filter(|s| s.path == path && s.line == line)
                .collect();
            let count: u64 = on_line.iter().map(|s| s.count).sum();
            let shared = on_line.iter().any(|s| !s.exact);
            let text = entry
                .text
                .lines()
                .nth(line as usize)
                .unwrap_or("")
                .trim_end();
            let mark = if shared { "*" } else { " " };
            writeln!(
                out,
                "{:>12}{mark} {:>5} │ {text}",
                crate::thousands(count),
                line + 1
            )?;
        }
        writeln!(out)?;
    }
    if a.sites.iter().any(|s| !s.exact) {
        writeln!(
            out,
            "* with the events the trace places on no call site, counted on every site of their event"
        )?;
    }
    for u in &a.unmatched {
        let place = u
            .location
            .as_ref()
            .map(|(f, l)| format!(" at {f}:{l}"))
            .unwrap_or_default();
        writeln!(
            out,
            "not in this workspace: {}:{}{place}  {}",
            u.provider,
            u.event,
            crate::thousands(u.count)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callsite_uris_decode() {
        assert_eq!(
            callsite_of("callsite?file=src/a%20b.c&line=7&func=m%3A%3Af"),
            Some(("src/a b.c".to_owned(), 7))
        );
        assert_eq!(callsite_of("http://x"), None);
        assert_eq!(
            callsite_of("callsite?file=%zz&line=1"),
            Some(("%zz".into(), 1))
        );
        assert_eq!(callsite_of("callsite?file=a%2"), None);
    }
}
