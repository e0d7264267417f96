//! Event counts from a trace, put on the probe sites of the workspace.
//!
//! A count either knows its call site (our traces: the file and line the compiler named, or an
//! LTTng event whose `ip` resolved through DWARF) or only its event (an LTTng trace). Located
//! counts go to the indexed site on that line of the file whose path shares the longest
//! suffix with the trace's path — the trace has the build directory's view (absolute, or
//! relative to where the compiler ran), the workspace its own. Counts of an event go to every
//! site of the event, marked as shared. Counts that match nothing are returned, not dropped.

use std::collections::HashMap;

use crate::model::{ProbeSite, TextRange};
use crate::workspace::WorkspaceIndex;

/// One thing a trace counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceCount {
    /// Provider / `TRACE_SYSTEM` (`hello_world` in `hello_world:greeting`).
    pub provider: String,
    /// Event name.
    pub event: String,
    /// The call site as the trace names it: file and 1-based line.
    pub location: Option<(String, u32)>,
    /// Events.
    pub count: u64,
    /// Events per second over the last second (0 for an imported trace).
    pub rate: f64,
    /// Events its streams lost.
    pub lost: u64,
    /// A few of the latest payloads, formatted, newest last.
    pub payloads: Vec<String>,
    /// Unix time (ns) of the first and the last event, when known.
    pub first_ns: Option<i128>,
    /// See `first_ns`.
    pub last_ns: Option<i128>,
}

/// Counts on one probe site of the workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteCount {
    /// Workspace path of the file.
    pub path: String,
    /// Zero-based line of the site's name.
    pub line: u32,
    /// The site's name range.
    pub name_range: TextRange,
    /// `provider:event` as counted.
    pub event: String,
    pub count: u64,
    pub rate: f64,
    pub lost: u64,
    /// True when the trace located all these events on this site; false when the count
    /// includes events located nowhere, whose total every site of the event shows (shared
    /// with `shared_by - 1` other sites).
    pub exact: bool,
    pub shared_by: usize,
    pub payloads: Vec<String>,
    pub first_ns: Option<i128>,
    pub last_ns: Option<i128>,
}

/// Counts of every site, plus what matched no site.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attribution {
    /// Sorted by path and line.
    pub sites: Vec<SiteCount>,
    /// Counts per `provider:event` over everything counted (code lenses on declarations).
    pub events: HashMap<String, u64>,
    /// Counts no indexed site took.
    pub unmatched: Vec<TraceCount>,
}

/// Path components, without `.` and empty ones.
fn components(p: &str) -> Vec<&str> {
    p.split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// Number of trailing components two paths share.
fn common_suffix(a: &[&str], b: &[&str]) -> usize {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

impl WorkspaceIndex {
    /// Puts trace counts on the workspace's probe sites (see the module comment).
    pub fn attribute_counts(&self, counts: &[TraceCount]) -> Attribution {
        let mut by_file_name: HashMap<&str, Vec<&str>> = HashMap::new();
        for (path, entry) in self.files() {
            if !entry.index.sites.is_empty() {
                let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
                by_file_name.entry(name).or_default().push(path);
            }
        }
        let mut out = Attribution::default();
        let mut sites: HashMap<(String, u32), SiteCount> = HashMap::new();
        for c in counts {
            let full = format!("{}:{}", c.provider, c.event);
            *out.events.entry(full.clone()).or_default() += c.count;
            let placed = match &c.location {
                Some((file, line)) => self
                    .exact_site(&by_file_name, c, file, *line)
                    .map(|s| vec![s]),
                None => self.event_sites(c),
            };
            let Some(placed) = placed.filter(|p| !p.is_empty()) else {
                out.unmatched.push(c.clone());
                continue;
            };
            let shared_by = placed.len();
            for (path, site) in placed {
                let entry = match self.file(path) {
                    Some(e) => e,
                    None => continue,
                };
                let key = (path.to_owned(), site.name_range.start);
                let s = sites.entry(key).or_insert_with(|| SiteCount {
                    path: path.to_owned(),
                    line: entry.lines.line_of(site.name_range.start),
                    name_range: site.name_range,
                    event: full.clone(),
                    count: 0,
                    rate: 0.0,
                    lost: 0,
                    exact: c.location.is_some(),
                    shared_by,
                    payloads: Vec::new(),
                    first_ns: None,
                    last_ns: None,
                });
                // A site is exact only when all of its count was located on it.
                s.exact &= c.location.is_some();
                s.shared_by = s.shared_by.max(shared_by);
                s.first_ns = match (s.first_ns, c.first_ns) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                s.last_ns = s.last_ns.max(c.last_ns);
                s.count += c.count;
                s.rate += c.rate;
                s.lost += c.lost;
                s.payloads.extend(c.payloads.iter().cloned());
                let keep = s.payloads.len().saturating_sub(3);
                s.payloads.drain(..keep);
            }
        }
        out.sites = sites.into_values().collect();
        out.sites
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        out
    }

    /// The site a located count belongs to: in the file with the longest common path suffix,
    /// on its line, preferring the site of the same event when a line holds several.
    fn exact_site<'w>(
        &'w self,
        by_file_name: &HashMap<&str, Vec<&'w str>>,
        c: &TraceCount,
        file: &str,
        line: u32,
    ) -> Option<(&'w str, &'w ProbeSite)> {
        let want = components(file);
        let name = want.last()?;
        let mut best: Option<(usize, &str, &ProbeSite)> = None;
        for &path in by_file_name.get(name)? {
            let shared = common_suffix(&want, &components(path));
            let Some(entry) = self.file(path) else {
                continue;
            };
            let on_line: Vec<&ProbeSite> = entry
                .index
                .sites
                .iter()
                .filter(|s| {
                    let first = entry.lines.line_of(s.full_range.start) + 1;
                    let last = entry.lines.line_of(s.full_range.end) + 1;
                    (first..=last).contains(&line)
                })
                .collect();
            let site = on_line
                .iter()
                .find(|s| s.event == c.event)
                .or_else(|| (on_line.len() == 1).then(|| &on_line[0]));
            if let Some(site) = site {
                if best.is_none_or(|(n, _, _)| shared > n) {
                    best = Some((shared, path, site));
                }
            }
        }
        best.map(|(_, p, s)| (p, s))
    }

    /// Every site of a count's event (matched by provider through the site or its
    /// declaration).
    fn event_sites(&self, c: &TraceCount) -> Option<Vec<(&str, &ProbeSite)>> {
        let sites: Vec<(&str, &ProbeSite)> = self
            .sites_named(&c.event)
            .into_iter()
            .filter(|(_, s)| match &s.provider {
                Some(p) => *p == c.provider,
                None => self
                    .resolve(s)
                    .is_some_and(|r| r.system().is_none_or(|sys| sys == c.provider)),
            })
            .collect();
        Some(sites)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ws() -> WorkspaceIndex {
        let mut ws = WorkspaceIndex::new();
        ws.set_file(
            "/home/u/proj/src/tp.h",
            Arc::from(
                "TRACEPOINT_EVENT(app, greet, TP_ARGS(int, n), TP_FIELDS(ctf_integer(int, n, n)))\n",
            ),
        );
        ws.set_file(
            "/home/u/proj/src/main.c",
            Arc::from(
                "#include \"tp.h\"\nint main(void) {\n  tracepoint(app, greet, 1);\n\n  tracepoint(app, greet, 2);\n}\n",
            ),
        );
        ws.set_file(
            "/home/u/other/main.c",
            Arc::from("int f(void) {\n  tracepoint(app, greet, 9);\n}\n"),
        );
        ws
    }

    fn located(file: &str, line: u32, count: u64) -> TraceCount {
        TraceCount {
            provider: "app".into(),
            event: "greet".into(),
            location: Some((file.into(), line)),
            count,
            ..TraceCount::default()
        }
    }

    #[test]
    fn located_counts_land_on_the_line_of_the_longest_suffix_match() {
        let ws = ws();
        // As the compiler named them when run in the project: relative paths.
        let a = ws.attribute_counts(&[located("src/main.c", 3, 7), located("./src/main.c", 5, 2)]);
        let got: Vec<(&str, u32, u64, bool)> = a
            .sites
            .iter()
            .map(|s| (s.path.as_str(), s.line, s.count, s.exact))
            .collect();
        assert_eq!(
            got,
            [
                ("/home/u/proj/src/main.c", 2, 7, true),
                ("/home/u/proj/src/main.c", 4, 2, true)
            ]
        );
        assert_eq!(a.events["app:greet"], 9);
        // An absolute path of another checkout still finds the file by its suffix.
        let b = ws.attribute_counts(&[located("/build/x/other/main.c", 2, 1)]);
        assert_eq!(b.sites[0].path, "/home/u/other/main.c");
    }

    #[test]
    fn counts_without_a_site_are_shared_and_unknown_ones_listed() {
        let ws = ws();
        let shared = TraceCount {
            provider: "app".into(),
            event: "greet".into(),
            count: 30,
            ..TraceCount::default()
        };
        let stray = located("src/gone.c", 1, 4);
        let a = ws.attribute_counts(&[shared, stray.clone()]);
        assert_eq!(a.sites.len(), 3);
        assert!(a
            .sites
            .iter()
            .all(|s| s.count == 30 && !s.exact && s.shared_by == 3));
        assert_eq!(a.unmatched, [stray]);
    }

    #[test]
    fn a_site_with_located_and_shared_counts_is_not_exact() {
        // Some events of an LTTng trace located through DWARF, the others not.
        let rest = TraceCount {
            provider: "app".into(),
            event: "greet".into(),
            count: 5,
            ..TraceCount::default()
        };
        let a = ws().attribute_counts(&[located("src/main.c", 3, 7), rest]);
        let got: Vec<(u32, u64, bool, usize)> = a
            .sites
            .iter()
            .filter(|s| s.path.ends_with("proj/src/main.c"))
            .map(|s| (s.line, s.count, s.exact, s.shared_by))
            .collect();
        assert_eq!(got, [(2, 12, false, 3), (4, 5, false, 3)]);
        assert_eq!(a.events["app:greet"], 12);
    }

    #[test]
    fn a_line_without_a_site_is_unmatched() {
        let a = ws().attribute_counts(&[located("src/main.c", 4, 1)]);
        assert!(a.sites.is_empty());
        assert_eq!(a.unmatched.len(), 1);
    }
}
