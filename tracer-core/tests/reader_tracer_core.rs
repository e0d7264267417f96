//! The reader on traces tracer-core writes: per-call-site counts equal what was emitted and
//! what babeltrace2 reads, every event's timestamp and values equal babeltrace2's, and lost
//! events equal the session's count and babeltrace2's discarded-event messages.

mod reader_common;

use reader_common::*;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tracer_core::ctf::read::{count, Trace, Value};
use tracer_core::{trace_enum, tracepoint, ChannelConfig, EventRule, Session};

/// Sessions record every enabled call site of the process: tests must not overlap.
static SERIAL: Mutex<()> = Mutex::new(());

#[derive(Clone, Copy, Debug)]
enum Mood {
    Calm,
    Busy = 5,
}
trace_enum!(Mood as u8 { Calm, Busy });

/// Emits event `i` of thread `t`: even indices at one call site, odd ones at another, and
/// every tenth a second event with fields of every other kind.
fn emit(t: u32, i: u32) {
    let name = format!("t{t}-{i}");
    if i.is_multiple_of(2) {
        tracepoint!(reader, step, thread = t, index = i, name = &name);
    } else {
        tracepoint!(reader, step, thread = t, index = i, name = &name);
    }
    if i.is_multiple_of(10) {
        let seq: Vec<i16> = (0..(i % 5) as i16).map(|k| k - 2).collect();
        tracepoint!(
            reader,
            mixed,
            small = -(i as i8 & 0x3f),
            wide = u64::MAX - u64::from(i),
            ratio = f64::from(i) / 3.0,
            single = i as f32 * 0.5,
            flag = i.is_multiple_of(20),
            trio = [i, i + 1, i + 2],
            seq = &seq[..],
            mood = if i.is_multiple_of(30) {
                Mood::Busy
            } else {
                Mood::Calm
            }
        );
    }
}

fn record(
    name: &str,
    cfg: ChannelConfig,
    threads: u32,
    per_thread: u32,
) -> (std::path::PathBuf, u64) {
    let dir = temp_dir(name);
    let session = Session::create(name, &dir).unwrap();
    let ch = session.add_channel("chan", cfg).unwrap();
    session
        .enable_event(ch, EventRule::new("reader:*"))
        .unwrap();
    session.start().unwrap();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || (0..per_thread).for_each(|i| emit(t, i)));
        }
    });
    let stats = session.destroy().unwrap();
    (dir, stats.lost_events)
}

#[test]
fn counts_per_call_site_and_values_match_the_emitter_and_babeltrace2() {
    if !babeltrace_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cfg = ChannelConfig {
        subbuf_size: 64 * 1024,
        subbuf_count: 16,
        ..Default::default()
    };
    let (threads, per_thread) = (3u32, 5_000u32);
    let (dir, lost) = record("own", cfg, threads, per_thread);
    assert_eq!(lost, 0, "the buffers hold everything");

    let c = count(&dir, 2);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.lost, 0);
    let per_site: BTreeMap<String, u64> = c
        .classes
        .iter()
        .filter(|k| k.count > 0)
        .map(|k| (k.emf_uri.clone().unwrap(), k.count))
        .fold(BTreeMap::new(), |mut m, (u, n)| {
            *m.entry(u).or_default() += n;
            m
        });
    // Three call sites: the two `step` ones take half of the indices each, `mixed` a tenth.
    let mut counts: Vec<u64> = per_site.values().copied().collect();
    counts.sort_unstable();
    let half = u64::from(threads * per_thread / 2);
    assert_eq!(counts, [u64::from(threads * per_thread / 10), half, half]);
    for uri in per_site.keys() {
        assert!(
            uri.starts_with("callsite?file=tracer-core/tests/reader_tracer_core.rs&line=")
                && uri.ends_with("&func=reader_tracer_core%3A%3Aemit"),
            "{uri}"
        );
    }
    assert_eq!(c.events, babeltrace_event_count(&dir));

    // Event by event: timestamps, names, call sites, levels and every value.
    let ours = our_events(&dir);
    let theirs = babeltrace_events(&dir);
    assert_same_events(&ours, &theirs);

    // Timestamps come in order, in nanoseconds since the epoch (the clock has an offset).
    let trace = Trace::open(&dir).unwrap();
    let mut prev = i64::MIN;
    let mut mixed = 0;
    for e in trace.events(|c| c.name == "reader:mixed") {
        let e = e.unwrap();
        assert!(e.timestamp_ns >= prev);
        prev = e.timestamp_ns;
        if e.class.name == "reader:mixed" {
            mixed += 1;
            assert!(matches!(e.payload("ratio"), Some(Value::Float(_))));
            assert_eq!(
                e.payload("trio")
                    .map(|v| matches!(v, Value::Array(a) if a.len() == 3)),
                Some(true)
            );
        } else {
            assert!(
                e.fields.is_none(),
                "payloads only for the classes asked for"
            );
        }
    }
    assert_eq!(mixed, threads * per_thread / 10);
    assert!(
        prev > 1_600_000_000 * 1_000_000_000,
        "epoch-based timestamps: {prev}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lost_events_match_the_session_and_babeltrace2() {
    if !babeltrace_available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cfg = ChannelConfig {
        subbuf_size: 4096,
        subbuf_count: 2,
        ..Default::default()
    };
    let (dir, lost) = record("lossy", cfg, 2, 20_000);
    assert!(lost > 0, "an 8 KiB ring cannot hold 40 000 events");
    let c = count(&dir, 2);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.lost, lost);
    let records = babeltrace_records(&dir);
    let discarded: u64 = records
        .iter()
        .filter(|r| r["kind"] == "discarded_events")
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(c.lost, discarded);
    let events = records.iter().filter(|r| r["kind"] == "event").count() as u64;
    assert_eq!(c.events, events);
    assert_eq!(c.events + c.lost, 2 * 20_000 + 2 * 2_000);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a live viewer does: the metadata's bytes and each packet's bytes, held in memory,
/// count exactly what the reader counts from the files; damaged packets give errors that name
/// the file and an offset, never a panic.
#[test]
fn packets_held_in_memory_count_like_the_trace_files() {
    use tracer_core::ctf::packet::{PacketInfo, PACKET_PREFIX_LEN};
    use tracer_core::ctf::read::count_packets;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cfg = ChannelConfig {
        subbuf_size: 16 * 1024,
        subbuf_count: 64,
        ..Default::default()
    };
    let (dir, lost) = record("in-memory", cfg, 2, 3_000);
    assert_eq!(lost, 0);
    let files = count(&dir, 1);
    assert!(files.errors.is_empty(), "{:?}", files.errors);

    let metadata = std::fs::read(dir.join("metadata")).unwrap();
    let trace = Trace::from_metadata("live/trace", &metadata).unwrap();
    assert!(trace.stream_files().is_empty());
    let mut counts = Vec::new();
    let mut packets = 0;
    for f in Trace::open(&dir).unwrap().stream_files() {
        let bytes = std::fs::read(f).unwrap();
        let mut at = 0usize;
        while at + PACKET_PREFIX_LEN <= bytes.len() {
            let prefix: [u8; PACKET_PREFIX_LEN] =
                bytes[at..at + PACKET_PREFIX_LEN].try_into().unwrap();
            let end = at + PACKET_PREFIX_LEN + PacketInfo::decode(&prefix).unwrap().payload_len;
            let errors = count_packets(&trace, f, at as u64, &bytes[at..end], &mut counts);
            assert!(errors.is_empty(), "{errors:?}");
            packets += 1;
            at = end;
        }
    }
    assert!(packets > 2, "several packets per stream");
    let by_class: Vec<(String, u64)> = trace
        .classes()
        .iter()
        .zip(&counts)
        .map(|(c, n)| (c.emf_uri.clone().unwrap_or_default(), *n))
        .collect();
    let expected: Vec<(String, u64)> = files
        .classes
        .iter()
        .map(|c| (c.emf_uri.clone().unwrap_or_default(), c.count))
        .collect();
    assert_eq!(by_class, expected);

    // Damage: a cut packet keeps its complete events, garbage is an error with its offset.
    let f = &Trace::open(&dir).unwrap().stream_files()[0].clone();
    let bytes = std::fs::read(f).unwrap();
    for cut in [0, 1, 7, 40, bytes.len() / 3, bytes.len() - 1] {
        let mut c = Vec::new();
        let _ = count_packets(&trace, f, 100, &bytes[..cut], &mut c);
    }
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let errors = count_packets(&trace, f, 100, &garbage, &mut Vec::new());
    assert!(!errors.is_empty() && errors.iter().all(|e| e.offset >= 100 && &e.file == f));
    assert!(Trace::from_metadata("live/bad", b"trace { major = ; };").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
