//! The reader on damaged traces: a truncated packet keeps its complete events, a packet with
//! a bad magic is reported and skipped (by searching for the next packet, or through the index
//! file), a corrupt event loses the rest of its packet only, metadata garbage is reported with
//! its line, a stream file of random bytes is reported while the other streams are counted —
//! every error naming the file and byte offset. Then thousands of random mutations of a valid
//! trace, none of which may panic (`READER_FUZZ_ROUNDS=N` runs N of them instead of 2000).

mod reader_common;

use reader_common::temp_dir;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use tracer_core::ctf::read::{count, Counts, Trace};
use tracer_core::{tracepoint, ChannelConfig, EventRule, Session};

/// Records a one-stream trace of `events` events (a string and a sequence each) in 4 KiB
/// packets, once per size, and gives its directory.
fn pristine(events: u32) -> PathBuf {
    static TRACES: OnceLock<Mutex<Vec<(u32, PathBuf)>>> = OnceLock::new();
    let traces = TRACES.get_or_init(|| Mutex::new(Vec::new()));
    // Held while recording too: sessions record every enabled call site of the process.
    let mut traces = traces.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, d)) = traces.iter().find(|(n, _)| *n == events) {
        return d.clone();
    }
    let dir = temp_dir(&format!("pristine-{events}"));
    let session = Session::create("corrupt", &dir).unwrap();
    let cfg = ChannelConfig {
        subbuf_size: 4096,
        subbuf_count: 64,
        ..Default::default()
    };
    let ch = session.add_channel("chan", cfg).unwrap();
    session
        .enable_event(ch, EventRule::new("corrupt:*"))
        .unwrap();
    session.start().unwrap();
    std::thread::spawn(move || {
        for i in 0..events {
            let word = format!("w{}", "x".repeat((i % 9) as usize));
            let seq: Vec<u16> = (0..(i % 4) as u16).collect();
            tracepoint!(corrupt, ev, index = i, word = &word, seq = &seq[..]);
        }
    })
    .join()
    .unwrap();
    assert_eq!(session.destroy().unwrap().lost_events, 0);
    traces.push((events, dir.clone()));
    dir
}

/// A copy of trace `src` in a fresh directory, its stream file `chan_0` replaced by `stream`.
fn variant(src: &Path, name: &str, stream: &[u8]) -> PathBuf {
    let d = temp_dir(name);
    std::fs::copy(src.join("metadata"), d.join("metadata")).unwrap();
    std::fs::write(d.join("chan_0"), stream).unwrap();
    d
}

/// (offset, length) of each packet of one of our stream files (packet_size is at byte 56).
fn packets(stream: &[u8]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut off = 0;
    while off < stream.len() {
        let bits = u64::from_le_bytes(stream[off + 56..off + 64].try_into().unwrap());
        let len = (bits / 8) as usize;
        v.push((off, len));
        off += len;
    }
    v
}

fn count1(dir: &Path) -> Counts {
    count(dir, 1)
}

struct Fixture {
    dir: PathBuf,
    stream: Vec<u8>,
    packets: Vec<(usize, usize)>,
    total: u64,
}

fn fixture() -> Fixture {
    let dir = pristine(3_000);
    let stream = std::fs::read(dir.join("chan_0")).unwrap();
    let packets = packets(&stream);
    assert!(packets.len() >= 8, "{} packets", packets.len());
    let c = count1(&dir);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.events, 3_000);
    Fixture {
        dir,
        stream,
        packets,
        total: c.events,
    }
}

impl Fixture {
    /// Events in the stream cut after `len` bytes (packets entirely before the cut).
    fn events_before(&self, len: usize, name: &str) -> u64 {
        let d = variant(&self.dir, name, &self.stream[..len]);
        let c = count1(&d);
        let _ = std::fs::remove_dir_all(&d);
        c.events
    }
}

#[test]
fn a_truncated_last_packet_keeps_its_complete_events() {
    let f = fixture();
    let &(last, len) = f.packets.last().unwrap();
    let before_last = f.events_before(last, "cut-at-last");
    assert!(before_last < f.total);

    // One byte short: only the last event is lost.
    let d = variant(&f.dir, "cut-1", &f.stream[..last + len - 1]);
    let c = count1(&d);
    assert_eq!(c.events, f.total - 1);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    let e = &c.errors[0];
    assert_eq!((e.file.clone(), e.offset), (d.join("chan_0"), last as u64));
    assert!(e.message.contains("truncated packet"), "{e}");

    // Cut in the middle: some of its events are kept, never more as the cut moves back.
    let mut prev = f.total;
    for cut in (last + 100..last + len).rev().step_by(97) {
        std::fs::write(d.join("chan_0"), &f.stream[..cut]).unwrap();
        let c = count1(&d);
        assert!(c.events <= prev && c.events >= before_last, "cut {cut}");
        assert_eq!(c.errors.len(), 1);
        prev = c.events;
    }

    // Cut inside the packet header: the packet is gone, the error says where.
    std::fs::write(d.join("chan_0"), &f.stream[..last + 10]).unwrap();
    let c = count1(&d);
    assert_eq!(c.events, before_last);
    assert_eq!(c.errors[0].offset, last as u64);
    assert!(c.errors[0].message.contains("cut short"), "{}", c.errors[0]);
    let _ = std::fs::remove_dir_all(&d);
}

/// Writes an LTTng-style CTF index (big-endian; 7 fields per entry) for `packets`.
fn write_index(dir: &Path, packets: &[(usize, usize)]) {
    let mut idx = Vec::new();
    for v in [0xC1F1_DCC1u32, 1, 0, 56] {
        idx.extend(v.to_be_bytes());
    }
    for &(off, len) in packets {
        for v in [off as u64, len as u64 * 8, len as u64 * 8, 0, 0, 0, 0] {
            idx.extend(v.to_be_bytes());
        }
    }
    std::fs::create_dir_all(dir.join("index")).unwrap();
    std::fs::write(dir.join("index/chan_0.idx"), idx).unwrap();
}

#[test]
fn a_packet_with_a_bad_magic_is_skipped_with_or_without_an_index() {
    let f = fixture();
    let (p3, l3) = f.packets[3];
    let in_p3 = f.events_before(p3 + l3, "to-p4") - f.events_before(p3, "to-p3");
    let mut bad = f.stream.clone();
    bad[p3..p3 + 4].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());

    let d = variant(&f.dir, "bad-magic", &bad);
    let c = count1(&d);
    assert_eq!(c.events, f.total - in_p3);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    let e = &c.errors[0];
    assert_eq!((e.file.clone(), e.offset), (d.join("chan_0"), p3 as u64));
    assert!(e.message.contains("bad packet magic 0xdeadbeef"), "{e}");
    assert!(
        e.message
            .contains(&format!("next packet, at offset {}", p3 + l3)),
        "{e}"
    );

    write_index(&d, &f.packets);
    let c = count1(&d);
    assert_eq!(c.events, f.total - in_p3);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    assert!(
        c.errors[0].message.contains("the index gives the next one"),
        "{}",
        c.errors[0]
    );
    // The event iterator skips the same packet and says so.
    let t = Trace::open(&d).unwrap();
    let (mut ok, mut errs) = (0u64, 0);
    for e in t.events(|_| true) {
        match e {
            Ok(_) => ok += 1,
            Err(_) => errs += 1,
        }
    }
    assert_eq!((ok, errs), (f.total - in_p3, 1));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_corrupt_event_loses_the_rest_of_its_packet_only() {
    let f = fixture();
    let (p2, l2) = f.packets[2];
    let in_p2 = f.events_before(p2 + l2, "to-p3b") - f.events_before(p2, "to-p2");
    // The first event of the packet is right after the 84-byte header and context: make its
    // header the 13-byte form with an id no class has.
    let mut bad = f.stream.clone();
    bad[p2 + 84] = 63;
    bad[p2 + 85..p2 + 89].copy_from_slice(&999u32.to_le_bytes());
    let d = variant(&f.dir, "bad-event", &bad);
    let c = count1(&d);
    assert_eq!(c.events, f.total - in_p2);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    assert_eq!(c.errors[0].offset, (p2 + 84) as u64);
    assert!(
        c.errors[0].message.contains("unknown event id 999"),
        "{}",
        c.errors[0]
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn metadata_garbage_is_reported_with_its_file_line_and_offset() {
    let f = fixture();
    let meta = std::fs::read_to_string(f.dir.join("metadata")).unwrap();
    let at = meta.match_indices('\n').nth(4).unwrap().0 + 1; // start of line 6
    let broken = format!("{}@@ garbage @@\n{}", &meta[..at], &meta[at..]);
    let d = variant(&f.dir, "bad-meta", &f.stream);
    std::fs::write(d.join("metadata"), broken).unwrap();
    let e = Trace::open(&d).err().unwrap();
    assert_eq!((e.file.clone(), e.offset), (d.join("metadata"), at as u64));
    assert!(e.message.starts_with("line 6: "), "{e}");
    let c = count1(&d);
    assert_eq!(c.events, 0);
    assert_eq!(c.errors, vec![e]);
    let _ = std::fs::remove_dir_all(&d);
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn a_stream_file_of_random_bytes_is_reported_and_the_others_counted() {
    let f = fixture();
    let d = variant(&f.dir, "random-stream", &f.stream);
    let mut rng = Rng(0x5EED);
    let noise: Vec<u8> = (0..10_000).map(|_| rng.next() as u8).collect();
    std::fs::write(d.join("chan_9"), noise).unwrap();
    let c = count1(&d);
    assert_eq!(c.events, f.total);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    let e = &c.errors[0];
    assert_eq!((e.file.clone(), e.offset), (d.join("chan_9"), 0));
    assert!(e.message.contains("bad packet magic"), "{e}");
    assert!(
        e.message.contains("rest of the stream file is skipped"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn random_mutations_of_a_trace_never_panic() {
    let src = pristine(300);
    let stream = std::fs::read(src.join("chan_0")).unwrap();
    let meta = std::fs::read(src.join("metadata")).unwrap();
    let d = variant(&src, "fuzz", &stream);
    let mut rng = Rng(0x000C_7F18);
    let rounds = std::env::var("READER_FUZZ_ROUNDS").map_or(2_000, |r| r.parse().unwrap());
    for round in 0..rounds {
        let (mut s, mut m) = (stream.clone(), meta.clone());
        let target = if round % 5 == 0 { &mut m } else { &mut s };
        match rng.below(4) {
            // A few bytes flipped.
            0 | 1 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(target.len());
                    target[i] ^= 1 << rng.below(8);
                }
            }
            // A byte replaced by an extreme value (lengths, ids, sizes).
            2 => {
                let i = rng.below(target.len());
                target[i] = [0, 0xff, 0x7f, 0x80][rng.below(4)];
            }
            // Cut anywhere.
            _ => {
                let n = rng.below(target.len());
                target.truncate(n);
            }
        }
        std::fs::write(d.join("chan_0"), &s).unwrap();
        std::fs::write(d.join("metadata"), &m).unwrap();
        count(&d, 1 + round % 2);
        if let Ok(t) = Trace::open(&d) {
            // Bounded: every item moves forward in the file.
            assert!(
                t.events(|_| true).take(10_000).count() < 10_000,
                "round {round}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}
