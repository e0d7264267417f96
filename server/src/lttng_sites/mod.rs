//! LTTng-UST events on their call sites. An LTTng trace names no call site, but with the `ip`
//! context every event carries the return address of its probe call, and the statedump's
//! `lttng_ust_statedump:bin_info` events say where each object of each process was mapped.
//! [`locate`] reads those (contexts only for the events, payloads only for the statedump),
//! maps each (process, address) to an object and an address in it, and asks the object's DWARF
//! ([`binaries`]) for the line of the `tracepoint()` call. Traces without `ip` are not read at
//! all: their per-class counts are all there is.

mod binaries;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tracer_core::ctf::metadata::EnvValue;
use tracer_core::ctf::read::{Counts, Decode, EventClass, Trace, Value};

use binaries::{Binaries, Mapped};

/// An event class of a trace: (trace directory, stream class id, event class id), as in
/// [`tracer_core::ctf::read::ClassCount`].
pub type ClassKey = (PathBuf, u64, u64);

/// Events per call site (file as the DWARF names it, 1-based line), per event class.
#[derive(Debug, Default)]
pub struct Located {
    pub sites: BTreeMap<ClassKey, BTreeMap<(String, u32), u64>>,
    /// Why some events could not be located (they stay on every site of their event).
    pub errors: Vec<String>,
}

const BIN_INFO: &str = "lttng_ust_statedump:bin_info";
const BUILD_ID: &str = "lttng_ust_statedump:build_id";
/// Objects loaded with `dlopen` (when the application preloads `liblttng-ust-dl`).
const LIB_LOAD: &str = "lttng_ust_lib:load";
const LIB_BUILD_ID: &str = "lttng_ust_lib:build_id";

/// Locates the events of every trace in `counts` that has the `ip` context.
pub fn locate(counts: &Counts) -> Located {
    let mut dirs: Vec<&Path> = counts.classes.iter().map(|c| c.trace.as_path()).collect();
    dirs.sort_unstable();
    dirs.dedup();
    let bin_infos = |dir: &Path| {
        counts
            .classes
            .iter()
            .filter(|c| c.trace == dir && (c.name == BIN_INFO || c.name == LIB_LOAD))
            .map(|c| c.count)
            .sum::<u64>()
    };
    let passes: Vec<Pass> = dirs
        .par_iter()
        .filter_map(|dir| read_addresses(dir, bin_infos(dir)))
        .collect();
    let mut out = Located::default();
    let mut binaries = Binaries::default();
    for pass in passes {
        pass.resolve(&mut binaries, &mut out);
    }
    out.errors.extend(binaries.problems());
    out
}

/// What one pass over a trace found: the mapped objects per process, and the events per
/// (process, address, class).
struct Pass {
    dir: PathBuf,
    objects: HashMap<Option<i64>, Vec<Mapped>>,
    hits: HashMap<(Option<i64>, u64, u64, u64), u64>,
    /// A note instead of locations (the trace has `ip` but nothing to map it with).
    note: Option<String>,
}

/// Whether LTTng's own events (statedump, `lttng_ust_lib`, …): no tracepoint of the sources.
fn lttng_internal(c: &EventClass) -> bool {
    c.name.starts_with("lttng_ust_")
}

/// Reads a trace's addresses, if it is a user-space trace whose events have the `ip` context.
fn read_addresses(dir: &Path, bin_infos: u64) -> Option<Pass> {
    let trace = Trace::open(dir).ok()?;
    // A kernel trace's addresses are the kernel's: no statedump maps them.
    let kernel = trace
        .env()
        .iter()
        .any(|(k, v)| k == "domain" && *v == EnvValue::Str("kernel".into()));
    if kernel {
        return None;
    }
    let with_ip = |c: &EventClass| !lttng_internal(c) && trace.context_fields(c).contains(&"ip");
    if !trace.classes().iter().any(|c| with_ip(c)) {
        return None;
    }
    let mut pass = Pass {
        dir: dir.to_path_buf(),
        objects: HashMap::new(),
        hits: HashMap::new(),
        note: None,
    };
    if bin_infos == 0 {
        pass.note = Some(format!(
            "{}: the events have the `ip` context but the trace has no `{BIN_INFO}` event to \
             map addresses to binaries (enable `lttng_ust_statedump:*`); counts stay on every \
             site of their event",
            dir.display()
        ));
        return Some(pass);
    }
    let decode = |c: &EventClass| match c.name.as_str() {
        BIN_INFO | BUILD_ID | LIB_LOAD | LIB_BUILD_ID => Decode::All,
        _ if with_ip(c) => Decode::Context,
        _ => Decode::Nothing,
    };
    let mut build_ids = Vec::new();
    // Read errors were reported by the count; the events that can be read are located.
    for e in trace.events_decoding(decode).flatten() {
        if e.fields.is_none() {
            continue;
        }
        let vpid = e.context("vpid").and_then(Value::as_i64);
        let int = |name: &str| e.payload(name).and_then(Value::as_u64);
        match e.class.name.as_str() {
            BIN_INFO | LIB_LOAD => {
                let (Some(baddr), Some(memsz), Some(path)) = (
                    int("baddr"),
                    int("memsz"),
                    e.payload("path").and_then(Value::as_str),
                ) else {
                    continue;
                };
                pass.objects.entry(vpid).or_default().push(Mapped {
                    baddr,
                    memsz,
                    path: path.to_owned(),
                    // `lttng_ust_lib:load` has no `is_pic`: what `dlopen` loads is a library.
                    is_pic: int("is_pic").is_none_or(|v| v != 0),
                    build_id: None,
                });
            }
            BUILD_ID | LIB_BUILD_ID => {
                let id = match e.payload("build_id") {
                    Some(Value::Array(bytes)) => bytes
                        .iter()
                        .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                        .collect::<Option<Vec<u8>>>(),
                    _ => None,
                };
                if let (Some(baddr), Some(id)) = (int("baddr"), id) {
                    build_ids.push((vpid, baddr, id));
                }
            }
            _ => {
                if let Some(ip) = e.context("ip").and_then(Value::as_u64) {
                    *pass
                        .hits
                        .entry((vpid, ip, e.class.stream_id, e.class.id))
                        .or_default() += 1;
                }
            }
        }
    }
    for (vpid, baddr, id) in build_ids {
        if let Some(o) = pass
            .objects
            .get_mut(&vpid)
            .and_then(|objs| objs.iter_mut().find(|o| o.baddr == baddr))
        {
            o.build_id = Some(id);
        }
    }
    Some(pass)
}

impl Pass {
    fn resolve(self, binaries: &mut Binaries, out: &mut Located) {
        if let Some(note) = self.note {
            out.errors.push(note);
            return;
        }
        let mut outside = 0u64;
        let mut ambiguous = 0u64;
        let mut hits: Vec<_> = self.hits.into_iter().collect();
        hits.sort_unstable();
        for ((vpid, ip, stream_id, id), n) in hits {
            // The statedump may be in a channel without `vpid`.
            let objects = self
                .objects
                .get(&vpid)
                .or_else(|| self.objects.get(&None))
                .map_or(&[][..], Vec::as_slice);
            let mut holding = objects.iter().filter(|o| o.contains(ip));
            let Some(object) = holding.next() else {
                outside += n;
                continue;
            };
            // Without `vpid`, several processes' objects may overlap: an address is only
            // located when a single object holds it.
            if holding.any(|o| o.path != object.path || o.baddr != object.baddr) {
                ambiguous += n;
                continue;
            }
            if let Some(line) = binaries.call_line(object, ip) {
                *out.sites
                    .entry((self.dir.clone(), stream_id, id))
                    .or_default()
                    .entry(line)
                    .or_default() += n;
            }
        }
        let dir = self.dir.display();
        if outside > 0 {
            out.errors.push(format!(
                "{dir}: {outside} events have an `ip` in no object the statedump listed; they \
                 stay on every site of their event"
            ));
        }
        if ambiguous > 0 {
            out.errors.push(format!(
                "{dir}: {ambiguous} events have an `ip` in objects of several processes (add the \
                 `vpid` context); they stay on every site of their event"
            ));
        }
    }
}
