//! The hand-over protocol between a stream's writer and the consumer, one sub-buffer at a time.
//!
//! Each sub-buffer has a [`SlotControl`] whose `state` word packs `seq << 3 | HELD | phase`:
//! `seq` is the sub-buffer's logical number in the stream (slot index = `seq % count`), `phase`
//! is FREE, WRITING or COMMITTED, and HELD means the consumer is reading the bytes. Transitions:
//!
//! ```text
//! writer:   FREE(old) ──store──▶ WRITING(seq) ──fetch_add──▶ COMMITTED(seq)
//!           COMMITTED(old), not HELD ──CAS──▶ FREE(seq) ──▶ WRITING(seq)     (overwrite mode)
//! consumer: WRITING/COMMITTED(seq) ──CAS──▶ …|HELD ──▶ FREE(seq) or back to not HELD
//! ```
//!
//! Memory-ordering argument. (1) The writer fills control words and data before the Release
//! store/RMW that publishes WRITING, a commit offset or COMMITTED; the consumer's Acquire loads
//! of `state`/`commit` therefore see every byte it is allowed to read. (2) The consumer's
//! Release when it un-holds or frees a slot pairs with the writer's Acquire load/CAS before it
//! reuses the memory, so the consumer's reads happen-before the writer's next writes. (3) The
//! writer never writes bytes below the published `commit` of a WRITING sub-buffer, and never
//! reopens a HELD one (its CAS expects HELD clear), so the consumer reads stable bytes without
//! stopping the writer. (4) Only the writer changes the phase and only the consumer changes
//! HELD; the one RMW each side uses (`fetch_add` on the phase, `fetch_and` on HELD) preserves
//! the other side's bit, and every plain store happens in a state the other side cannot touch.
//! The loom tests in `tests/loom.rs` check exactly these transitions.

use super::config::Mode;
use crate::sync::{AtomicU64, Ordering::*};

const PHASE_MASK: u64 = 0b11;
const FREE: u64 = 0;
const WRITING: u64 = 1;
const COMMITTED: u64 = 2;
const HELD: u64 = 0b100;
const SEQ_SHIFT: u32 = 3;

/// Control words of one sub-buffer, shared by the writer and the consumer. `#[repr(C)]` and
/// pointer-free so it can live in a shared mapping; one cache line so neighbouring slots do not
/// false-share.
#[repr(C, align(64))]
#[derive(Debug)]
pub struct SlotControl {
    state: AtomicU64,
    /// Bytes of complete events at the start of the sub-buffer.
    commit: AtomicU64,
    /// Clock value of the first event (the packet's `timestamp_begin`).
    ts_begin: AtomicU64,
    /// Clock value of the last event, final once COMMITTED.
    ts_end: AtomicU64,
    /// Events in the sub-buffer, final once COMMITTED.
    events: AtomicU64,
    /// Events the consumer already wrote out from this sub-buffer by partial flushes.
    emitted: AtomicU64,
    /// CPU the writer ran on when it opened the sub-buffer (informational).
    cpu: AtomicU64,
    /// Events the stream had lost when the sub-buffer was opened, including those it
    /// overwrote: the packet's `events_discarded`, so a loss is reported by the first packet
    /// after it.
    lost_before: AtomicU64,
}

/// Outcome of [`SlotControl::open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// The sub-buffer is the writer's.
    Opened,
    /// The sub-buffer is the writer's; its unconsumed events were overwritten and are lost.
    Overwrote {
        /// Events lost with the old content.
        lost_events: u64,
    },
    /// Every sub-buffer holds unconsumed data (or is being read): the event must be dropped.
    Full,
}

/// What the consumer found in a slot it asked for with [`SlotControl::hold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The sub-buffer is not written yet (or not committed, when partial reads are not wanted).
    NotReady,
    /// The wanted sub-buffer was overwritten before the consumer got to it.
    Overwritten,
    /// The consumer holds the sub-buffer; `committed` says whether the writer has sealed it.
    Held {
        /// True when the writer closed the sub-buffer (its `ts_end` and `events` are final).
        committed: bool,
    },
}

/// The snapshot the consumer reads from a held slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotView {
    /// Bytes of complete events.
    pub commit: u64,
    /// First event's clock value.
    pub ts_begin: u64,
    /// Last event's clock value (meaningful only once committed).
    pub ts_end: u64,
    /// Event count (meaningful only once committed).
    pub events: u64,
    /// Events already written out by partial flushes.
    pub emitted: u64,
    /// CPU the sub-buffer was opened on.
    pub cpu: u32,
    /// Events the stream lost before this sub-buffer.
    pub lost_before: u64,
}

impl SlotControl {
    /// A slot that has never been written, ready for sub-buffer `seq`.
    pub fn new(initial_seq: u64) -> Self {
        SlotControl {
            state: AtomicU64::new(initial_seq << SEQ_SHIFT | FREE),
            commit: AtomicU64::new(0),
            ts_begin: AtomicU64::new(0),
            ts_end: AtomicU64::new(0),
            events: AtomicU64::new(0),
            emitted: AtomicU64::new(0),
            cpu: AtomicU64::new(0),
            lost_before: AtomicU64::new(0),
        }
    }

    /// Writer: claims the slot for sub-buffer `seq`, whose first event has clock value
    /// `ts_begin`, on a stream that lost `lost_so_far` events until now. Never waits: a slot the
    /// consumer still needs is reported [`Open::Full`].
    pub fn open(&self, seq: u64, mode: Mode, ts_begin: u64, cpu: u32, lost_so_far: u64) -> Open {
        let cur = self.state.load(Acquire);
        let mut lost_events = 0;
        match (cur & PHASE_MASK, cur & HELD != 0) {
            (FREE, _) => {}
            (COMMITTED, false) if mode == Mode::Overwrite => {
                // Take the slot away from the consumer first (FREE cannot be held), then reset
                // the control words, so the consumer never sees new state with old words.
                if self
                    .state
                    .compare_exchange(cur, seq << SEQ_SHIFT | FREE, Acquire, Relaxed)
                    .is_err()
                {
                    return Open::Full;
                }
                let events = self.events.load(Relaxed);
                lost_events = events.saturating_sub(self.emitted.load(Relaxed));
            }
            _ => return Open::Full,
        }
        self.commit.store(0, Relaxed);
        self.ts_begin.store(ts_begin, Relaxed);
        self.ts_end.store(ts_begin, Relaxed);
        self.events.store(0, Relaxed);
        self.emitted.store(0, Relaxed);
        self.cpu.store(u64::from(cpu), Relaxed);
        self.lost_before.store(lost_so_far + lost_events, Relaxed);
        self.state.store(seq << SEQ_SHIFT | WRITING, Release);
        if lost_events > 0 {
            Open::Overwrote { lost_events }
        } else {
            Open::Opened
        }
    }

    /// Writer: publishes that the first `bytes` bytes hold complete events. A plain store on
    /// x86; the Release makes the event bytes visible before the offset.
    #[inline(always)]
    pub fn commit(&self, bytes: u64) {
        self.commit.store(bytes, Release);
    }

    /// Writer: seals the sub-buffer. `fetch_add` moves WRITING to COMMITTED without clearing a
    /// HELD bit the consumer may have set meanwhile.
    pub fn close(&self, ts_end: u64, events: u64) {
        self.ts_end.store(ts_end, Relaxed);
        self.events.store(events, Relaxed);
        self.state.fetch_add(COMMITTED - WRITING, Release);
    }

    /// Consumer: takes sub-buffer `seq` for reading. WRITING sub-buffers are taken only when
    /// `partial` is set (flushes at stop and on the switch timer).
    pub fn hold(&self, seq: u64, partial: bool) -> Hold {
        loop {
            let cur = self.state.load(Acquire);
            let have = cur >> SEQ_SHIFT;
            if have > seq {
                return Hold::Overwritten;
            }
            let phase = cur & PHASE_MASK;
            if have < seq || phase == FREE || (phase == WRITING && !partial) {
                return Hold::NotReady;
            }
            // A failed CAS means the writer moved: sealed it (retry takes it) or overwrote it
            // (retry reports it).
            if self
                .state
                .compare_exchange(cur, cur | HELD, Acquire, Relaxed)
                .is_ok()
            {
                return Hold::Held {
                    committed: phase == COMMITTED,
                };
            }
        }
    }

    /// Consumer: reads the control words of a held slot.
    pub fn view(&self) -> SlotView {
        // Acquire: a commit offset published after the hold still covers complete events.
        let commit = self.commit.load(Acquire);
        SlotView {
            commit,
            ts_begin: self.ts_begin.load(Relaxed),
            ts_end: self.ts_end.load(Relaxed),
            events: self.events.load(Relaxed),
            emitted: self.emitted.load(Relaxed),
            cpu: self.cpu.load(Relaxed) as u32,
            lost_before: self.lost_before.load(Relaxed),
        }
    }

    /// Snapshot: the sub-buffer whose data the slot holds (being written or sealed), if any.
    pub fn written_seq(&self) -> Option<u64> {
        let cur = self.state.load(Acquire);
        matches!(cur & PHASE_MASK, WRITING | COMMITTED).then_some(cur >> SEQ_SHIFT)
    }

    /// Snapshot: gives a held slot back without consuming anything.
    pub fn unhold(&self) {
        self.state.fetch_and(!HELD, Release);
    }

    /// Consumer: done with a committed sub-buffer; the writer may reuse it.
    pub fn release_consumed(&self, seq: u64) {
        self.state.store(seq << SEQ_SHIFT | FREE, Release);
    }

    /// Consumer: done with part of a sub-buffer it wrote out `emitted` events of so far. Returns
    /// whether the writer sealed it in the meantime (then the rest can be taken at once).
    pub fn release_partial(&self, emitted: u64) -> bool {
        self.emitted.store(emitted, Relaxed);
        let prev = self.state.fetch_and(!HELD, Release);
        prev & PHASE_MASK == COMMITTED
    }
}
