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
            .filter(|c| c.full_name() == name)
            .map(|c| c.id())
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
            assert!(
                size >= PACKET_PREFIX_LEN && size <= p.len(),
                "bad packet size {size}"
            );
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

static HANDLER_RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

extern "C" fn on_sigusr1(_: libc::c_int) {
    HANDLER_RUNS.fetch_add(1, Ordering::Relaxed);
    tracepoint!(sig, handler, marker = 0xabu8);
}

/// A thread records events while signals hit it and the handler records events too: the
/// handler's events either land between the thread's events or, when the signal interrupted
/// one, are counted lost; the thread's own events are all intact.
#[test]
fn tracepoints_in_signal_handlers_never_corrupt_the_interrupted_event() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("tracer-core-signal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // SAFETY: installs a handler that only touches atomics and the tracer; the sigaction
    // struct is fully initialised.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
    }
    let session = Session::create("signal", &dir).unwrap();
    let big = ChannelConfig {
        subbuf_size: 1 << 20,
        subbuf_count: 16,
        ..Default::default()
    };
    let ch = session.add_channel("chan", big).unwrap();
    session.enable_event(ch, EventRule::new("sig:*")).unwrap();
    session.start().unwrap();
    let lost_before = tracer_core::lost_unattributed();
    const N: u64 = 300_000;
    let done = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            tracepoint!(sig, main, index = 0u64); // attach before the first signal
                                                  // SAFETY: pthread_self has no preconditions.
            tx.send(unsafe { libc::pthread_self() }).unwrap();
            for i in 1..N {
                tracepoint!(sig, main, index = i);
            }
            done.store(true, Ordering::Release);
        });
        let target = rx.recv().unwrap();
        while !done.load(Ordering::Acquire) {
            // SAFETY: the target thread is alive until `done` (it is joined by the scope
            // after this loop).
            unsafe { libc::pthread_kill(target, libc::SIGUSR1) };
            std::thread::sleep(std::time::Duration::from_micros(20));
        }
    });
    let stats = session.destroy().unwrap();
    assert_eq!(
        stats.lost_events, 0,
        "the buffers are large enough for everything"
    );
    let lost_in_handler = tracer_core::lost_unattributed() - lost_before;

    let (classes, _) = registry::classes();
    // Ids per name: `sig:main` has two call sites.
    let ids = |name: &str| -> Vec<u32> {
        classes
            .iter()
            .filter(|c| c.full_name() == name)
            .map(|c| c.id())
            .collect()
    };
    let (main_ids, handler_ids) = (ids("sig:main"), ids("sig:handler"));
    let (mut main_idx, mut handler_events) = (Vec::new(), 0u64);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("chan_")
        {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut pos = 0;
        while pos < bytes.len() {
            let p = &bytes[pos..];
            let size = (u64_at(p, 48) / 8) as usize;
            assert!(
                size >= PACKET_PREFIX_LEN && size <= p.len(),
                "bad packet size {size}"
            );
            let mut clock = u64_at(p, 32);
            let mut at = PACKET_PREFIX_LEN;
            while at < size {
                let (ev, payload) = read_header(&p[..size], at, &mut clock).expect("header");
                if main_ids.contains(&ev) {
                    main_idx.push(u64_at(p, payload));
                    at = payload + 8;
                } else {
                    assert!(handler_ids.contains(&ev), "unknown event id {ev}");
                    assert_eq!(p[payload], 0xab, "handler payload");
                    handler_events += 1;
                    at = payload + 1;
                }
            }
            pos += size;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        main_idx,
        (0..N).collect::<Vec<_>>(),
        "every event of the thread, in order"
    );
    let runs = HANDLER_RUNS.load(Ordering::Relaxed);
    assert!(runs > 0, "no signal was delivered");
    assert_eq!(
        handler_events + lost_in_handler,
        runs,
        "handler events recorded or counted lost"
    );
}
