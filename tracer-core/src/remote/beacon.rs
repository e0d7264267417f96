//! Beacons: "stream S of this trace will have no event older than T", what a live viewer
//! needs to move past a stream that is quiet (the LTTng live protocol's INACTIVE index).
//!
//! The recorder proves them (see `docs/tracer-core.md`, "Idle streams") and writes the latest
//! one of each stream to `<trace>/.beacons/<stream>`; the relay does the same for streams it
//! receives, and its viewer side reads them. A beacon is written after every packet it
//! follows, so a reader that reads the beacon *before* looking for packets never misses a
//! packet older than it. The directory is hidden (trace readers skip it, babeltrace2 reads
//! no sub-directory) and removed when the trace is complete.
//!
//! File: 24 bytes, little-endian `u64`s: the clock value, the stream class id, and a check
//! word, so a read racing a rewrite is refused rather than misread.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The beacons' directory inside a trace directory.
pub const DIR: &str = ".beacons";

const CHECK: u64 = 0x5452_4143_4542_434e;

/// The latest beacon of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beacon {
    /// Clock value: the stream has nothing older to come.
    pub ts: u64,
    /// The stream's class (its `stream_id` in packet headers).
    pub class: u64,
}

fn file(trace_dir: &Path, stream: &str) -> PathBuf {
    trace_dir.join(DIR).join(stream)
}

impl Beacon {
    fn encode(&self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&self.ts.to_le_bytes());
        b[8..16].copy_from_slice(&self.class.to_le_bytes());
        b[16..].copy_from_slice(&(self.ts ^ self.class.rotate_left(32) ^ CHECK).to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Beacon> {
        let word = |i: usize| Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?));
        let (ts, class, check) = (word(0)?, word(8)?, word(16)?);
        (b.len() == 24 && check == ts ^ class.rotate_left(32) ^ CHECK)
            .then_some(Beacon { ts, class })
    }

    /// Replaces `stream`'s beacon in `trace_dir`. `stream` is a file name of the trace (the
    /// callers check names that come from the network).
    pub fn write(&self, trace_dir: &Path, stream: &str) -> std::io::Result<()> {
        let path = file(trace_dir, stream);
        match std::fs::write(&path, self.encode()) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(trace_dir.join(DIR))?;
                std::fs::write(&path, self.encode())
            }
            r => r,
        }
    }

    /// `stream`'s latest beacon, if it has a whole one.
    pub fn read(trace_dir: &Path, stream: &str) -> Option<Beacon> {
        Beacon::decode(&std::fs::read(file(trace_dir, stream)).ok()?)
    }
}

/// What the consumers of one recording (one per traced process) share to give beacons that
/// hold across processes: a viewer follows every trace of the recording together, so a
/// process may only say "nothing older than T" once every other process has written what
/// it has up to T (its *proven* time), and a stream that appears (its first packet) must be
/// announced by a packet, not a beacon: babeltrace2 2.0 learns of new streams only from the
/// flags of an index that points at a packet.
#[derive(Debug, Default)]
pub(crate) struct Horizon {
    state: Mutex<HorizonState>,
}

#[derive(Debug, Default)]
struct HorizonState {
    /// Per process: nothing of it older than this is still to be written.
    proven: HashMap<u64, u64>,
    next_id: u64,
    /// Streams that wrote their first packet so far.
    births: u64,
}

impl Horizon {
    fn state(&self) -> std::sync::MutexGuard<'_, HorizonState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A process joins before it is told to record: none of its events is older than now.
    pub(crate) fn join(&self) -> u64 {
        let now = crate::clock::now_fenced();
        let mut st = self.state();
        st.next_id += 1;
        let id = st.next_id;
        st.proven.insert(id, now);
        id
    }

    /// The process's trace is complete.
    pub(crate) fn leave(&self, id: u64) {
        self.state().proven.remove(&id);
    }

    /// A stream of the recording wrote its first packet.
    pub(crate) fn born(&self) {
        self.state().births += 1;
    }

    /// Raises process `id`'s proven time to `proven` (never lowers it) and returns the least
    /// proven time of the other processes (`u64::MAX` when alone) and the births so far.
    pub(crate) fn update(&self, id: u64, proven: Option<u64>) -> (u64, u64) {
        let mut st = self.state();
        if let (Some(t), Some(p)) = (proven, st.proven.get_mut(&id)) {
            *p = (*p).max(t);
        }
        let others = st
            .proven
            .iter()
            .filter(|(k, _)| **k != id)
            .map(|(_, t)| *t)
            .min()
            .unwrap_or(u64::MAX);
        (others, st.births)
    }
}

/// Removes a trace's beacons (it is complete: readers need none).
pub fn remove_all(trace_dir: &Path) {
    let _ = std::fs::remove_dir_all(trace_dir.join(DIR));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beacon_reads_back_and_a_damaged_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("beacon-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let b = Beacon {
            ts: 123_456_789,
            class: 2,
        };
        b.write(&dir, "chan_0").unwrap();
        assert_eq!(Beacon::read(&dir, "chan_0"), Some(b));
        assert_eq!(Beacon::read(&dir, "chan_1"), None);
        let later = Beacon {
            ts: 200_000_000,
            class: 2,
        };
        later.write(&dir, "chan_0").unwrap();
        assert_eq!(Beacon::read(&dir, "chan_0"), Some(later));
        // Half of an old beacon and half of a new one, or a cut file: no beacon.
        let mut torn = b.encode();
        torn[..8].copy_from_slice(&later.ts.to_le_bytes());
        std::fs::write(file(&dir, "chan_0"), torn).unwrap();
        assert_eq!(Beacon::read(&dir, "chan_0"), None);
        std::fs::write(file(&dir, "chan_0"), &later.encode()[..20]).unwrap();
        assert_eq!(Beacon::read(&dir, "chan_0"), None);
        remove_all(&dir);
        assert!(!dir.join(DIR).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_process_is_held_back_by_the_others_proven_times() {
        crate::clock::trace_clock();
        let h = Horizon::default();
        let a = h.join();
        assert_eq!(h.update(a, Some(10)), (u64::MAX, 0));
        let b = h.join();
        let (others, _) = h.update(a, None);
        assert!(others > 10, "b joined now, after a's events up to 10");
        h.update(b, Some(5));
        assert_eq!(
            h.update(a, Some(20)).0,
            others,
            "a proven time never goes back"
        );
        h.update(b, Some(others + 100));
        h.born();
        assert_eq!(h.update(a, None), (others + 100, 1));
        h.leave(b);
        assert_eq!(h.update(a, None).0, u64::MAX);
    }
}
