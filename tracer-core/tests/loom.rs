//! Model checks of the writer/consumer hand-over protocol (`ringbuffer::slot`) with loom: every
//! interleaving of one writer and the consumer over a 2-sub-buffer ring, in both modes, with
//! partial reads of open sub-buffers. The sub-buffer bytes are loom cells, so a read racing
//! with a write fails the test (making `commit` Relaxed does); the checks also require that
//! every event is either read once, in order, or counted lost. (Overwrite mode may drop even
//! the newest event: the writer does not wait for a sub-buffer the consumer is reading.)
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p tracer-core --test loom --release`
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use loom::sync::Arc;
use tracer_core::ringbuffer::config::Mode;
use tracer_core::ringbuffer::slot::{Hold, Open, SlotControl};

const SLOTS: usize = 2;
const CAP: usize = 2;

struct Ring {
    slots: Vec<SlotControl>,
    data: Vec<Vec<UnsafeCell<u64>>>,
    done: AtomicBool,
    lost: AtomicU64,
}

impl Ring {
    fn new() -> Self {
        Ring {
            slots: (0..SLOTS as u64).map(SlotControl::new).collect(),
            data: (0..SLOTS)
                .map(|_| (0..CAP).map(|_| UnsafeCell::new(0)).collect())
                .collect(),
            done: AtomicBool::new(false),
            lost: AtomicU64::new(0),
        }
    }
    fn slot(&self, seq: u64) -> &SlotControl {
        &self.slots[seq as usize % SLOTS]
    }
}

/// The frontend's logic with the ring above: events 1..=total, CAP per sub-buffer.
fn writer(ring: &Ring, mode: Mode, total: u64) {
    let (mut seq, mut open, mut pos, mut lost) = (0u64, false, 0usize, 0u64);
    for ev in 1..=total {
        if !open || pos == CAP {
            if open {
                ring.slot(seq).close(ev, pos as u64);
                seq += 1;
                open = false;
            }
            match ring.slot(seq).open(seq, mode, ev, 0, lost) {
                Open::Full => {
                    lost += 1;
                    continue;
                }
                Open::Overwrote { lost_events } => lost += lost_events,
                Open::Opened => {}
            }
            open = true;
            pos = 0;
        }
        ring.data[seq as usize % SLOTS][pos].with_mut(|p| unsafe { *p = ev });
        pos += 1;
        ring.slot(seq).commit(pos as u64);
    }
    if open {
        ring.slot(seq).close(total, pos as u64);
    }
    ring.lost.store(lost, Relaxed);
    ring.done.store(true, Release);
}

/// The consumer's logic: takes sealed sub-buffers, and open ones too when `partial`.
struct Reader {
    expected: u64,
    from: usize,
    got: Vec<u64>,
}

impl Reader {
    fn drain(&mut self, ring: &Ring, partial: bool) {
        loop {
            let seq = self.expected;
            let slot = ring.slot(seq);
            match slot.hold(seq, partial) {
                Hold::NotReady => return,
                Hold::Overwritten => {
                    self.expected += 1;
                    self.from = 0;
                }
                Hold::Held { committed } => {
                    let v = slot.view();
                    let to = v.commit as usize;
                    for k in self.from..to {
                        let val = ring.data[seq as usize % SLOTS][k].with(|p| unsafe { *p });
                        self.got.push(val);
                    }
                    let read = (to - self.from) as u64;
                    if committed {
                        slot.release_consumed(seq);
                        self.expected += 1;
                        self.from = 0;
                    } else {
                        self.from = to;
                        if !slot.release_partial(v.emitted + read) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

fn check(mode: Mode, total: u64, partial: bool) {
    // Three preemptions per execution reach every pairwise race between the two threads'
    // protocol steps (the slot is switched twice in 5 events) and keep a run to seconds;
    // LOOM_MAX_PREEMPTIONS overrides it for a deeper search.
    let mut model = loom::model::Builder::new();
    if model.preemption_bound.is_none() {
        model.preemption_bound = Some(3);
    }
    model.check(move || {
        let ring = Arc::new(Ring::new());
        // Both threads start with an RMW on a shared word: loom 0.7 stops exploring when a new
        // thread's first operation is a load (tokio-rs/loom#392), which our writer's and
        // consumer's first operations are.
        let started = Arc::new(AtomicU64::new(0));
        let w = {
            let (ring, started) = (ring.clone(), started.clone());
            loom::thread::spawn(move || {
                started.fetch_add(1, Relaxed);
                writer(&ring, mode, total)
            })
        };
        started.fetch_add(1, Relaxed);
        let mut r = Reader {
            expected: 0,
            from: 0,
            got: Vec::new(),
        };
        // Two passes at arbitrary points of the writer's progress, then the final flush.
        for _ in 0..2 {
            r.drain(&ring, partial);
        }
        w.join().unwrap();
        assert!(ring.done.load(Acquire));
        r.drain(&ring, true);
        let lost = ring.lost.load(Relaxed);
        assert!(
            r.got.windows(2).all(|w| w[0] < w[1]),
            "out of order or doubled: {:?}",
            r.got
        );
        assert!(
            r.got.iter().all(|&v| (1..=total).contains(&v)),
            "garbage read: {:?}",
            r.got
        );
        assert_eq!(
            r.got.len() as u64 + lost,
            total,
            "read {:?}, lost {lost}",
            r.got
        );
    });
}

#[test]
fn discard_hand_over() {
    check(Mode::Discard, 5, false);
}

#[test]
fn discard_hand_over_with_partial_reads() {
    check(Mode::Discard, 5, true);
}

#[test]
fn overwrite_hand_over() {
    check(Mode::Overwrite, 5, false);
}

#[test]
fn overwrite_hand_over_with_partial_reads() {
    check(Mode::Overwrite, 5, true);
}
