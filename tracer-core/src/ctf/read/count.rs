//! Counting events per class, fast: every stream file is mapped and its packets listed (one
//! task per file), then the packets are cut into runs of about equal size and walked on
//! `threads` threads with the compiled op lists, which read only event ids, lengths and tags.

use super::exec::{run, tagged_header, Cursor, Regs, Stop};
use super::layout::{CountPlan, Layout};
use super::mmap::Mapping;
use super::stream::{self, PacketSpan, StreamScan};
use super::{discover, ReadError, Trace};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Events of one event class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassCount {
    /// The trace directory.
    pub trace: PathBuf,
    /// Stream class id.
    pub stream_id: u64,
    /// Event class id.
    pub id: u64,
    /// Event name.
    pub name: String,
    /// Declared log level.
    pub loglevel: Option<i64>,
    /// `model.emf.uri` (tracer-core's call site).
    pub emf_uri: Option<String>,
    /// Events read.
    pub count: u64,
}

/// What [`count`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every declared event class of every trace (count 0 included), by trace, stream class
    /// and id.
    pub classes: Vec<ClassCount>,
    /// Events read, all classes.
    pub events: u64,
    /// Events the tracer discarded (from the packet contexts' `events_discarded`).
    pub lost: u64,
    /// What could not be read; the rest was counted.
    pub errors: Vec<ReadError>,
}

/// Counts the events of every trace under `root` on `threads` threads (0: one per CPU).
pub fn count(root: &Path, threads: usize) -> Counts {
    let (dirs, mut errors) = discover(root);
    if dirs.is_empty() {
        errors.push(ReadError::new(
            root,
            0,
            "no CTF trace here (no directory holds a `metadata` file)".into(),
        ));
    }
    let mut traces = Vec::new();
    for d in dirs {
        match Trace::open(&d) {
            Ok(t) => traces.push(t),
            Err(e) => errors.push(e),
        }
    }
    let mut c = count_traces(&traces, threads);
    errors.append(&mut c.errors);
    c.errors = errors;
    c
}

/// Runs `f` on every item on up to `threads` threads; results in item order.
fn parallel<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let workers = threads.clamp(1, items.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    mine.push((i, f(item)));
                }
                out.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
            });
        }
    });
    let mut v = out.into_inner().unwrap_or_else(|e| e.into_inner());
    v.sort_unstable_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, r)| r).collect()
}

/// A mapped and scanned stream file.
struct Scanned {
    trace: usize,
    file: PathBuf,
    map: Mapping,
    scan: StreamScan,
}

/// Consecutive packets of one stream file, walked by one task.
struct Run {
    file: usize,
    packets: std::ops::Range<usize>,
}

/// Counts the events of `traces` on `threads` threads (0: one per CPU).
pub fn count_traces(traces: &[Trace], threads: usize) -> Counts {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let files: Vec<(usize, &Path)> = traces
        .iter()
        .enumerate()
        .flat_map(|(t, tr)| tr.stream_files().iter().map(move |f| (t, f.as_path())))
        .collect();
    let mut errors = Vec::new();
    let scanned: Vec<Scanned> = parallel(&files, threads, |&(t, f)| {
        let map = Mapping::open(f).map_err(|e| ReadError::new(f, 0, format!("cannot map: {e}")))?;
        let scan = stream::scan(&traces[t].layout, f, map.bytes());
        Ok(Scanned {
            trace: t,
            file: f.to_path_buf(),
            map,
            scan,
        })
    })
    .into_iter()
    .filter_map(|r: Result<Scanned, ReadError>| r.map_err(|e| errors.push(e)).ok())
    .collect();

    // Runs of about 1/8 of a thread's share, so threads finishing early find more work.
    let total: u64 = scanned.iter().map(|s| s.map.bytes().len() as u64).sum();
    let target = (total / (threads as u64 * 8)).max(1 << 20);
    let mut runs = Vec::new();
    for (fi, s) in scanned.iter().enumerate() {
        let mut start = 0;
        let mut bytes = 0u64;
        for (pi, p) in s.scan.packets.iter().enumerate() {
            bytes += (p.content_end / 8).saturating_sub(p.offset);
            if bytes >= target {
                runs.push(Run {
                    file: fi,
                    packets: start..pi + 1,
                });
                start = pi + 1;
                bytes = 0;
            }
        }
        if start < s.scan.packets.len() {
            runs.push(Run {
                file: fi,
                packets: start..s.scan.packets.len(),
            });
        }
    }
    let results = parallel(&runs, threads, |r| {
        let s = &scanned[r.file];
        let layout = &traces[s.trace].layout;
        let mut counts = vec![0u64; layout.classes.len()];
        let mut regs = Regs::new(layout);
        let mut errs = Vec::new();
        for p in &s.scan.packets[r.packets.clone()] {
            if let Err((at, m)) = count_packet(layout, s.map.bytes(), p, &mut regs, &mut counts) {
                errs.push(ReadError::new(&s.file, at, m));
            }
        }
        (s.trace, counts, errs)
    });

    let mut per_trace: Vec<Vec<u64>> = traces
        .iter()
        .map(|t| vec![0; t.layout.classes.len()])
        .collect();
    let mut lost = 0u64;
    for s in &scanned {
        lost += s.scan.lost();
        errors.extend(s.scan.errors.iter().cloned());
    }
    for (t, counts, errs) in results {
        for (acc, n) in per_trace[t].iter_mut().zip(counts) {
            *acc += n;
        }
        errors.extend(errs);
    }
    let mut classes = Vec::new();
    for (t, tr) in traces.iter().enumerate() {
        for (c, n) in tr.classes().iter().zip(&per_trace[t]) {
            classes.push(ClassCount {
                trace: tr.dir().to_path_buf(),
                stream_id: c.stream_id,
                id: c.id,
                name: c.name.clone(),
                loglevel: c.loglevel,
                emf_uri: c.emf_uri.clone(),
                count: *n,
            });
        }
    }
    classes.sort_by(|a, b| (&a.trace, a.stream_id, a.id).cmp(&(&b.trace, b.stream_id, b.id)));
    errors.sort_by(|a, b| (&a.file, a.offset).cmp(&(&b.file, b.offset)));
    Counts {
        events: classes.iter().map(|c| c.count).sum(),
        classes,
        lost,
        errors,
    }
}

/// Counts the events of packets held in memory — one or more whole packets of a stream of
/// `trace`, as a live viewer receives them — into `counts`, by index in [`Trace::classes`]
/// (`counts` grows to the number of classes). `file` and `offset` say where the bytes come
/// from: errors name that file and the byte offset in it. Returns what could not be read;
/// the rest is counted. Events the stream discarded are in the packet contexts, which a live
/// viewer also receives in each packet's index.
pub fn count_packets(
    trace: &Trace,
    file: &Path,
    offset: u64,
    data: &[u8],
    counts: &mut Vec<u64>,
) -> Vec<ReadError> {
    let layout = &trace.layout;
    if counts.len() < layout.classes.len() {
        counts.resize(layout.classes.len(), 0);
    }
    let scan = stream::scan_headers(layout, file, data);
    let mut errors = scan.errors;
    let mut regs = Regs::new(layout);
    for p in &scan.packets {
        if let Err((at, m)) = count_packet(layout, data, p, &mut regs, counts) {
            errors.push(ReadError::new(file, at, m));
        }
    }
    for e in &mut errors {
        e.offset += offset;
    }
    errors
}

/// Counts the complete events of one packet into `counts` (by class index). On an event it
/// cannot walk, stops and says where (byte offset) and why; in a truncated packet, running
/// into the end of the file is expected and not an error.
fn count_packet(
    layout: &Layout,
    data: &[u8],
    p: &PacketSpan,
    regs: &mut Regs,
    counts: &mut [u64],
) -> Result<(), (u64, String)> {
    let sl = &layout.streams[p.stream];
    let mut c = Cursor::new(data, p.events, p.content_end);
    while c.pos < c.end {
        let start = c.pos;
        let id = match &sl.header_fast {
            Some(h) => tagged_header(h, &mut c, regs),
            None => {
                regs.event_id = 0;
                run(&sl.header_count, &mut c, regs).map(|()| regs.event_id)
            }
        };
        let walked = id.and_then(|id| {
            let ci = match sl.count_plans.get(id as usize) {
                Some((ci, plan)) if *ci != u32::MAX => {
                    match plan {
                        CountPlan::Fixed(n) => c.skip(*n)?,
                        CountPlan::FixedThenString(n) => {
                            c.skip(*n)?;
                            c.string()?;
                        }
                        CountPlan::Ops(ops) => run(ops, &mut c, regs)?,
                    }
                    *ci as usize
                }
                _ => {
                    let ci = sl
                        .by_id
                        .get(id)
                        .ok_or_else(|| Stop::Bad(format!("unknown event id {id}")))?;
                    run(&layout.class_layouts[ci].ops, &mut c, regs)?;
                    ci
                }
            };
            if c.pos > c.end {
                return Err(Stop::Overrun);
            }
            Ok(ci)
        });
        match walked {
            Ok(ci) => counts[ci] += 1,
            Err(Stop::Overrun) if p.truncated => return Ok(()),
            Err(s) => return Err((start / 8, event_error(s, p))),
        }
    }
    Ok(())
}

/// The message for an event that could not be walked; the rest of its packet is skipped.
pub(crate) fn event_error(s: Stop, p: &PacketSpan) -> String {
    match s {
        Stop::Overrun => format!(
            "event runs past the end of the packet content (packet at offset {}, content ends at offset {}); rest of the packet skipped",
            p.offset,
            p.content_end / 8
        ),
        Stop::Bad(m) => format!("{m} (packet at offset {}); rest of the packet skipped", p.offset),
    }
}
