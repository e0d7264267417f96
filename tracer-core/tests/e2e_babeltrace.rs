//! End to end: record events of every field type from several threads in each buffer mode,
//! read the trace back with babeltrace2 (the reference CTF reader), and compare every event,
//! value, per-stream timestamp order, call site and lost-event count with what was emitted.
//!
//! Needs `babeltrace2` and `python3-bt2`. Without them the test is skipped with a loud message,
//! unless `CI` is set, where a missing reader is a failure.

mod reader_common;

use reader_common::{babeltrace_available, babeltrace_records};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;
use tracer_core::{trace_enum, tracepoint, ChannelConfig, EventRule, LogLevel, Mode, Session};

/// Sessions record every enabled call site of the process, so tests that count events must not
/// overlap.
static SERIAL: Mutex<()> = Mutex::new(());

fn trace_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tracer-core-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs babeltrace2's CLI (must succeed without a warning) and the Python reader.
fn read_trace(dir: &Path) -> Vec<Value> {
    let cli = Command::new("babeltrace2")
        .args(["-c", "sink.utils.counter"])
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(cli.status.success(), "babeltrace2 failed: {stderr}");
    assert!(
        !stderr.contains("WARNING") && !stderr.contains("ERROR"),
        "babeltrace2 complained: {stderr}"
    );
    babeltrace_records(dir)
}

#[derive(Clone, Copy, Debug)]
enum Color {
    Red,
    Green = 7,
    Blue = -3,
}
trace_enum!(Color as i16 { Red, Green, Blue });

const COLORS: [Color; 3] = [Color::Red, Color::Green, Color::Blue];

/// Emits event `i` of thread `t`, alternating between two call sites of the same event. The
/// values are a function of (t, i) so the checker can recompute them.
fn emit(t: u32, i: u32) {
    let text = format!("t{t}-i{i}{}", "x".repeat((i % 5) as usize));
    let seq: Vec<i32> = (0..(i % 4) as i32).map(|k| k - i as i32).collect();
    let color = COLORS[(i % 3) as usize];
    if i.is_multiple_of(2) {
        tracepoint!(
            e2e,
            every_type,
            thread = t,
            index = i,
            a_i8 = -(i as i8 & 0x7f),
            a_i16 = -(i as i16),
            a_i32 = -(i as i32) * 1000,
            a_i64 = -(i as i64) << 33,
            a_u8 = i as u8,
            a_u16 = i as u16,
            a_u64 = (i as u64) << 40,
            a_f32 = i as f32 * 0.25,
            a_f64 = i as f64 / 8.0,
            flag = i.is_multiple_of(3),
            text = &text,
            arr = [i as u16, 1, 2],
            seq = &seq[..],
            color = color
        );
    } else {
        tracepoint!(
            e2e,
            every_type,
            thread = t,
            index = i,
            a_i8 = -(i as i8 & 0x7f),
            a_i16 = -(i as i16),
            a_i32 = -(i as i32) * 1000,
            a_i64 = -(i as i64) << 33,
            a_u8 = i as u8,
            a_u16 = i as u16,
            a_u64 = (i as u64) << 40,
            a_f32 = i as f32 * 0.25,
            a_f64 = i as f64 / 8.0,
            flag = i.is_multiple_of(3),
            text = &text,
            arr = [i as u16, 1, 2],
            seq = &seq[..],
            color = color
        );
    }
    // Filtered out by the log-level threshold of every session below.
    tracepoint!(e2e, noisy, level: Debug, index = i);
}

fn check_fields(f: &Value) -> (u32, u32) {
    let t = f["thread"].as_u64().unwrap() as u32;
    let i = f["index"].as_u64().unwrap() as u32;
    let text = format!("t{t}-i{i}{}", "x".repeat((i % 5) as usize));
    let seq: Vec<i64> = (0..(i % 4) as i64).map(|k| k - i as i64).collect();
    let color = COLORS[(i % 3) as usize];
    let label = format!("{color:?}");
    let expected = serde_json::json!({
        "thread": t, "index": i,
        "a_i8": -(i as i8 & 0x7f), "a_i16": -(i as i16), "a_i32": -(i as i32) * 1000, "a_i64": -(i as i64) << 33,
        "a_u8": i as u8, "a_u16": i as u16, "a_u64": (i as u64) << 40,
        "a_f32": i as f32 as f64 * 0.25, "a_f64": i as f64 / 8.0,
        "flag": {"enum": u8::from(i.is_multiple_of(3)), "labels": [if i.is_multiple_of(3) { "true" } else { "false" }]},
        "text": text, "arr": [i as u16, 1, 2],
        "_seq_length": seq.len(), "seq": seq,
        "color": {"enum": color as i64, "labels": [label]},
    });
    assert_eq!(f, &expected, "payload of thread {t} event {i}");
    (t, i)
}

struct Outcome {
    /// (thread, index) of every event read, in stream order, per stream.
    per_stream: BTreeMap<String, Vec<(u32, u32)>>,
    /// Discarded events babeltrace2 reports per stream.
    discarded: BTreeMap<String, u64>,
    /// Events per call-site URI.
    per_site: HashMap<String, u64>,
    /// Packets per stream.
    packets: BTreeMap<String, u64>,
}

fn record(name: &str, cfg: ChannelConfig, threads: u32, per_thread: u32) -> Option<Outcome> {
    record_paced(name, cfg, threads, per_thread, 0)
}

/// Like `record`, with a 1 ms pause every `pause_every` events (0: never), so a switch timer
/// cuts sub-buffers that are still being written.
fn record_paced(
    name: &str,
    cfg: ChannelConfig,
    threads: u32,
    per_thread: u32,
    pause_every: u32,
) -> Option<Outcome> {
    if !babeltrace_available() {
        return None;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = trace_dir(name);
    let session = Session::create(name, &dir).unwrap();
    let ch = session.add_channel("chan", cfg).unwrap();
    session
        .enable_event(ch, EventRule::new("e2e:*").max_level(LogLevel::Info))
        .unwrap();
    session
        .enable_event(ch, EventRule::new("e2e:every_type"))
        .unwrap();
    session.start().unwrap();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for i in 0..per_thread {
                    emit(t, i);
                    if pause_every > 0 && i % pause_every == pause_every - 1 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            });
        }
    });
    let stats = session.destroy().unwrap();
    let out = read_outcome(&dir);
    assert_eq!(
        stats.lost_events,
        out.discarded.values().sum::<u64>(),
        "session stats vs trace"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Some(out)
}

/// Reads a trace with babeltrace2 and checks every event's payload and per-stream time order.
fn read_outcome(dir: &Path) -> Outcome {
    let mut out = Outcome {
        per_stream: BTreeMap::new(),
        discarded: BTreeMap::new(),
        per_site: HashMap::new(),
        packets: BTreeMap::new(),
    };
    let mut last_cycles: HashMap<String, u64> = HashMap::new();
    for v in read_trace(dir) {
        let stream = v["stream"].as_str().unwrap().to_owned();
        match v["kind"].as_str() {
            Some("event") => {
                assert_eq!(v["name"], "e2e:every_type");
                assert_eq!(v["level"], LogLevel::DebugLine as u64);
                let cycles = v["cycles"].as_u64().unwrap();
                let prev = last_cycles.insert(stream.clone(), cycles).unwrap_or(0);
                assert!(
                    cycles >= prev,
                    "time goes back in stream {stream}: {prev} -> {cycles}"
                );
                let te = check_fields(&v["fields"]);
                out.per_stream.entry(stream).or_default().push(te);
                *out.per_site
                    .entry(v["uri"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
            Some("discarded_events") => {
                *out.discarded.entry(stream).or_default() += v["count"].as_u64().unwrap();
            }
            Some("discarded_packets") => {}
            Some("packet") => *out.packets.entry(stream).or_default() += 1,
            other => panic!("unexpected record {other:?}"),
        }
    }
    out
}

/// A thread keeps its stream for its whole life (a thread that starts after another one ended
/// may adopt that one's stream), so each thread's events are in one stream, in order. Returns
/// stream -> (threads in it, thread -> indices read).
fn by_stream(o: &Outcome) -> BTreeMap<String, BTreeMap<u32, Vec<u32>>> {
    let mut seen_in: HashMap<u32, String> = HashMap::new();
    let mut m: BTreeMap<String, BTreeMap<u32, Vec<u32>>> = BTreeMap::new();
    for (stream, evs) in &o.per_stream {
        for &(t, i) in evs {
            let first = seen_in.entry(t).or_insert_with(|| stream.clone());
            assert_eq!(first, stream, "thread {t} in two streams");
            m.entry(stream.clone())
                .or_default()
                .entry(t)
                .or_default()
                .push(i);
        }
    }
    for threads in m.values() {
        for (t, idx) in threads {
            assert!(
                idx.windows(2).all(|w| w[0] < w[1]),
                "thread {t}: out of order or doubled"
            );
        }
    }
    m
}

/// Read + discarded = emitted for every stream (each of its threads emitted `per_thread`).
fn check_accounting(o: &Outcome, per_thread: u32) -> u64 {
    let mut lost = 0;
    for (stream, threads) in by_stream(o) {
        let read: usize = threads.values().map(Vec::len).sum();
        let d = o.discarded.get(&stream).copied().unwrap_or(0);
        let emitted = u64::from(per_thread) * threads.len() as u64;
        assert_eq!(
            read as u64 + d,
            emitted,
            "stream {stream}: read + discarded = emitted"
        );
        lost += d;
    }
    lost
}

fn check_site_split(o: &Outcome) {
    // Two call sites, one per parity of the index: the per-site counts must be exact.
    let (mut even, mut odd) = (0u64, 0u64);
    for evs in o.per_stream.values() {
        for &(_, i) in evs {
            if i.is_multiple_of(2) {
                even += 1
            } else {
                odd += 1
            }
        }
    }
    let mut counts: Vec<(String, u64)> = o.per_site.clone().into_iter().collect();
    counts.sort();
    assert_eq!(counts.len(), 2, "two call sites expected: {counts:?}");
    for (uri, _) in &counts {
        assert!(
            uri.starts_with("callsite?file=tracer-core/tests/e2e_babeltrace.rs&line="),
            "{uri}"
        );
        assert!(uri.ends_with("&func=e2e_babeltrace%3A%3Aemit"), "{uri}");
    }
    let line = |u: &str| {
        u.split("line=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    let (first, second) = (&counts[0], &counts[1]);
    let (lo, hi) = if line(&first.0) < line(&second.0) {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!((lo.1, hi.1), (even, odd), "per-call-site counts");
}

/// Indices read per thread, whichever stream they are in.
fn threads(o: &Outcome) -> Vec<(u32, Vec<u32>)> {
    by_stream(o)
        .into_values()
        .flat_map(|t| t.into_iter())
        .collect()
}

#[test]
fn discard_mode_with_room_keeps_every_event() {
    // 2 MiB per thread holds all of its ~1.4 MB of events even if the consumer never runs.
    let cfg = ChannelConfig {
        subbuf_size: 512 * 1024,
        subbuf_count: 4,
        ..Default::default()
    };
    let Some(o) = record("discard-room", cfg, 4, 20_000) else {
        return;
    };
    let threads = threads(&o);
    assert_eq!(threads.len(), 4);
    assert!(
        threads.iter().all(|(_, idx)| idx.len() == 20_000),
        "every event of every thread"
    );
    assert_eq!(check_accounting(&o, 20_000), 0);
    check_site_split(&o);
}

#[test]
fn discard_mode_with_a_tiny_buffer_counts_every_lost_event() {
    let cfg = ChannelConfig {
        subbuf_size: 4096,
        subbuf_count: 2,
        ..Default::default()
    };
    let Some(o) = record("discard-tiny", cfg, 3, 20_000) else {
        return;
    };
    assert!(
        check_accounting(&o, 20_000) > 0,
        "a 8 KiB ring cannot hold 20 000 events"
    );
    for (t, idx) in threads(&o) {
        // Discard mode keeps the beginning.
        assert_eq!(idx[0], 0, "thread {t}");
    }
    check_site_split(&o);
}

#[test]
fn overwrite_mode_keeps_the_newest_events_and_counts_the_rest() {
    let cfg = ChannelConfig {
        subbuf_size: 4096,
        subbuf_count: 4,
        mode: Mode::Overwrite,
        ..Default::default()
    };
    let Some(o) = record("overwrite-tiny", cfg, 3, 20_000) else {
        return;
    };
    assert!(
        check_accounting(&o, 20_000) > 0,
        "a 16 KiB ring cannot hold 20 000 events"
    );
    let threads = threads(&o);
    assert_eq!(threads.len(), 3);
    for (t, idx) in threads {
        // A flight recorder keeps the end: the last sub-buffer (~58 events) is never
        // overwritten, though a few events may be dropped while the consumer reads the
        // sub-buffer the writer wants to reuse (it never waits).
        let last = *idx.last().unwrap();
        assert!(last >= 19_900, "thread {t} ends at {last}");
    }
    check_site_split(&o);
}

#[test]
fn live_switch_timer_cuts_open_sub_buffers_into_valid_packets() {
    // Sub-buffers large enough to never fill: everything reaches the trace through the switch
    // timer's partial flushes and the final one, each a packet that starts where the previous
    // one ended.
    let cfg = ChannelConfig {
        subbuf_size: 1 << 20,
        subbuf_count: 4,
        switch_timer: Some(Duration::from_millis(2)),
        ..Default::default()
    };
    let Some(o) = record_paced("live", cfg, 2, 3_000, 100) else {
        return;
    };
    assert_eq!(check_accounting(&o, 3_000), 0);
    let threads = threads(&o);
    assert_eq!(threads.len(), 2);
    assert!(
        threads.iter().all(|(_, idx)| idx.len() == 3_000),
        "every event of every thread"
    );
    assert!(
        o.packets.values().all(|&n| n > 10),
        "expected many timer packets: {:?}",
        o.packets
    );
    check_site_split(&o);
}

#[test]
fn snapshot_writes_the_latest_events_without_consuming_them() {
    if !babeltrace_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = trace_dir("snapshot");
    let session = Session::create_snapshot("snap", &dir).unwrap();
    let cfg = ChannelConfig {
        subbuf_size: 4096,
        subbuf_count: 4,
        mode: Mode::Overwrite,
        ..Default::default()
    };
    let ch = session.add_channel("chan", cfg).unwrap();
    session
        .enable_event(ch, EventRule::new("e2e:every_type"))
        .unwrap();
    session.start().unwrap();
    let run = |t: u32, from: u32, to: u32| {
        std::thread::spawn(move || (from..to).for_each(|i| emit(t, i)))
            .join()
            .unwrap()
    };
    run(0, 0, 20_000);
    let first = read_outcome(&session.snapshot().unwrap());
    // The second thread adopts the first one's stream; nothing was consumed in between, so
    // the second snapshot holds the first one's tail and all of the new events.
    run(1, 20_000, 20_100);
    let second = read_outcome(&session.snapshot().unwrap());
    session.destroy().unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    for (o, emitted, last) in [(&first, 20_000u64, 19_999u32), (&second, 20_100, 20_099)] {
        let mut idx: Vec<u32> = o.per_stream.values().flatten().map(|&(_, i)| i).collect();
        let read = idx.len() as u64;
        assert_eq!(
            read + o.discarded.values().sum::<u64>(),
            emitted,
            "read + overwritten"
        );
        assert!(
            read > 0 && read < 1_000,
            "a 16 KiB ring holds a few hundred events: {read}"
        );
        // No writer raced the snapshots: what is kept is exactly the newest events.
        idx.sort_unstable();
        let expected: Vec<u32> = (last + 1 - read as u32..=last).collect();
        assert_eq!(idx, expected);
    }
}
