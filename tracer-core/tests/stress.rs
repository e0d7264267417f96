//! Many threads hammering tiny buffers: streams are switched, filled, dropped from, adopted by
//! later threads and flushed while rules change under the writers. The trace is decoded with
//! the crate's own CTF pieces (no external reader needed) and every event must be intact,
//! in order per thread, and either present or counted lost.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use tracer_core::ctf::header::read_header;
use tracer_core::ctf::packet::{CTF_MAGIC, PACKET_PREFIX_LEN};
use tracer_core::{registry, tracepoint, ChannelConfig, EventRule, Mode, Session};

static SERIAL: Mutex<()> = Mutex::new(());

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

struct Decoded {
    /// (thread, index) per stream file, in file order.
    events: HashMap<String, Vec<(u32, u64)>>,
    /// Final `events_discarded` per stream file.
    discarded: HashMap<String, u64>,
}

/// Decodes every stream file of `dir`, where all events are `stress:ev` (u32 thread, u64
/// index).
fn decode(dir: &Path) -> Decoded {
    let (classes, _) = registry::classes();
    let id_of = |name: &str| -> Vec<u32> {
        classes
            .iter()
            .filter(|c| c.site.full_name() == name)
            .map(|c| c.id)
            .collect()
    };
    let ev_ids = id_of("stress:ev");
    let mut d = Decoded {
        events: HashMap::new(),
        discarded: HashMap::new(),
    };
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("chan_") {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        let (mut pos, mut last_discarded, mut last_end) = (0, 0, 0);
        let evs = d.events.entry(name.clone()).or_default();
        while pos < bytes.len() {
            let p = &bytes[pos..];
            assert_eq!(
                u32::from_le_bytes(p[..4].try_into().unwrap()),
                CTF_MAGIC,
                "{name}@{pos}"
            );
            let (begin, end) = (u64_at(p, 32), u64_at(p, 40));
            let size = (u64_at(p, 48) / 8) as usize;
            let discarded = u64_at(p, 72);
            assert!(
                begin <= end && begin >= last_end,
                "{name}@{pos}: packet times {begin} {end} after {last_end}"
            );
            assert!(
                discarded >= last_discarded,
                "{name}@{pos}: events_discarded decreases"
            );
            (last_discarded, last_end) = (discarded, end);
            let mut clock = begin;
            let mut at = PACKET_PREFIX_LEN;
            while at < size {
                let (id, payload) = read_header(&p[..size], at, &mut clock).expect("header");
                assert!(
                    clock >= begin && clock <= end,
                    "{name}: event time outside its packet"
                );
                assert!(ev_ids.contains(&id), "{name}: unknown event id {id}");
                let t = u32::from_le_bytes(p[payload..payload + 4].try_into().unwrap());
                evs.push((t, u64_at(p, payload + 4)));
                at = payload + 12;
            }
            assert_eq!(at, size, "{name}: events overrun the packet");
            pos += size;
        }
        d.discarded.insert(name, last_discarded);
    }
    d
}

fn run(mode: Mode, waves: u32, threads_per_wave: u32, per_thread: u64) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!(
        "tracer-core-stress-{}-{mode:?}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let session = Session::create("stress", &dir).unwrap();
    let cfg = ChannelConfig {
        subbuf_size: 4096,
        subbuf_count: 4,
        mode,
        ..Default::default()
    };
    let ch = session.add_channel("chan", cfg).unwrap();
    session
        .enable_event(ch, EventRule::new("stress:ev"))
        .unwrap();
    session.start().unwrap();
    let stop_toggling = AtomicBool::new(false);
    std::thread::scope(|s| {
        // Rules change all the time: every change recomputes (and re-stores) every call
        // site's mask while the writers run.
        s.spawn(|| {
            while !stop_toggling.load(Ordering::Relaxed) {
                session
                    .enable_event(ch, EventRule::new("stress:never"))
                    .unwrap();
                session.disable_event(ch, "stress:never").unwrap();
            }
        });
        for wave in 0..waves {
            std::thread::scope(|w| {
                for k in 0..threads_per_wave {
                    let t = wave * threads_per_wave + k;
                    w.spawn(move || {
                        for i in 0..per_thread {
                            tracepoint!(stress, ev, thread = t, index = i);
                        }
                    });
                }
            });
        }
        stop_toggling.store(true, Ordering::Relaxed);
    });
    let stats = session.destroy().unwrap();
    let d = decode(&dir);
    let _ = std::fs::remove_dir_all(&dir);

    let total = u64::from(waves * threads_per_wave) * per_thread;
    let read: u64 = d.events.values().map(|v| v.len() as u64).sum();
    let discarded: u64 = d.discarded.values().sum();
    assert_eq!(
        read + discarded,
        total,
        "read {read} + discarded {discarded}"
    );
    assert_eq!(
        stats.lost_events, discarded,
        "session stats vs packet contexts"
    );
    let mut per_thread_seen: HashMap<u32, Vec<u64>> = HashMap::new();
    for evs in d.events.values() {
        for &(t, i) in evs {
            per_thread_seen.entry(t).or_default().push(i);
        }
    }
    for (t, idx) in &per_thread_seen {
        assert!(
            idx.windows(2).all(|w| w[0] < w[1]),
            "thread {t}: out of order or doubled"
        );
        assert!(
            idx.iter().all(|&i| i < per_thread),
            "thread {t}: garbage index"
        );
    }
    // Streams are reused across waves: never more streams than threads alive at once (+ the
    // preallocated ones, one per CPU).
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        d.events.len() <= threads_per_wave as usize + cpus + 1,
        "{} streams",
        d.events.len()
    );
    if mode == Mode::Overwrite {
        assert!(per_thread_seen
            .values()
            .any(|idx| idx.last() == Some(&(per_thread - 1))));
    }
}

#[test]
fn many_threads_discard_mode() {
    run(Mode::Discard, 3, 8, 20_000);
}

#[test]
fn many_threads_overwrite_mode() {
    run(Mode::Overwrite, 3, 8, 20_000);
}
