//! The per-thread half of the fast path: finds the calling thread's stream in each channel the
//! call site is enabled in, flags it as in an event, reads the clock, and hands the event to
//! [`StreamWriter::write`]. The flag comes before the clock read (that is what lets the
//! recorder prove a stream quiet, [`StreamWriter::enter_event`]), so each channel's stream
//! reads its own time, as LTTng's channels do; an event is nearly always in one channel.
//!
//! A thread's writers live in a thread-local table indexed by channel slot. A `busy` flag makes
//! the table exclusively ours for the duration of an event; a tracepoint hit from a signal
//! handler that interrupted one (the only way to re-enter on the same thread) finds the flag
//! set and is counted lost rather than corrupting the half-written event.

use crate::clock;
use crate::field::PayloadWriter;
use crate::registry::{CallSite, SiteState, CHANNEL_BITS, MAX_CHANNELS};
use crate::ringbuffer::frontend::StreamWriter;
use crate::session;
use std::cell::{Cell, UnsafeCell};
use std::sync::atomic::{compiler_fence, fence, AtomicU64, Ordering::*};

struct ThreadWriters {
    busy: Cell<bool>,
    writers: UnsafeCell<Vec<Option<StreamWriter>>>,
}

thread_local! {
    static WRITERS: ThreadWriters = const {
        ThreadWriters { busy: Cell::new(false), writers: UnsafeCell::new(Vec::new()) }
    };
}

/// Events that could not reach any stream: emitted re-entrantly from a signal handler, during
/// thread teardown, or when a stream could not be allocated.
static LOST_UNATTRIBUTED: AtomicU64 = AtomicU64::new(0);

/// Events lost outside any stream (they are not in any packet's `events_discarded`).
pub fn lost_unattributed() -> u64 {
    LOST_UNATTRIBUTED.load(Relaxed)
}

/// Counts events of `mask`'s channels as lost outside any stream.
pub(crate) fn lose(mask: u64) {
    LOST_UNATTRIBUTED.fetch_add(u64::from(mask.count_ones()), Relaxed);
}

/// Records one event of `site` in every channel of `mask`; `fill` writes the `payload_len`
/// payload bytes. Called by `tracepoint!` once its mask test passed.
#[inline]
pub fn emit<F: Fn(&mut PayloadWriter<'_>)>(
    site: &CallSite,
    mask: u64,
    payload_len: usize,
    fill: F,
) {
    // Pairs with the Release that published the mask, so the id read below is the registered
    // one. Free on x86 (a compiler barrier).
    fence(Acquire);
    let id = site.id();
    let mask = mask & CHANNEL_BITS;
    if WRITERS
        .try_with(|t| t.emit(id, mask, payload_len, &fill))
        .is_err()
    {
        lose(mask);
    }
}

impl ThreadWriters {
    #[inline(always)]
    fn emit(
        &self,
        id: u32,
        mut mask: u64,
        payload_len: usize,
        fill: &impl Fn(&mut PayloadWriter<'_>),
    ) {
        if self.busy.replace(true) {
            lose(mask);
            return;
        }
        // Keep the flag store before the buffer writes as seen from a signal handler.
        compiler_fence(SeqCst);
        // SAFETY: `busy` was false, so no other frame on this thread is using the table (a
        // re-entrant call returns above), and the table is thread-local.
        let writers = unsafe { &mut *self.writers.get() };
        while mask != 0 {
            let slot = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let uid = session::channel_uid(slot);
            let w = match writers.get_mut(slot) {
                Some(Some(w)) if w.channel_uid == uid => w,
                _ => match attach(writers, slot, uid) {
                    Some(w) => w,
                    None => {
                        lose(1);
                        continue;
                    }
                },
            };
            w.enter_event();
            w.write(id, clock::now(), payload_len, fill);
        }
        compiler_fence(SeqCst);
        self.busy.set(false);
    }
}

/// First event of this thread in channel `slot` (or the slot now holds another channel):
/// adopt or create a stream. Allocates, so it stays off the fast path.
#[cold]
#[inline(never)]
fn attach(
    writers: &mut Vec<Option<StreamWriter>>,
    slot: usize,
    uid: u64,
) -> Option<&mut StreamWriter> {
    if writers.len() < MAX_CHANNELS {
        writers.resize_with(MAX_CHANNELS, || None);
    }
    let entry = writers.get_mut(slot)?;
    // Release the old stream first so the new channel's streams can be adopted by others.
    *entry = None;
    *entry = session::writer_for(slot, uid);
    entry.as_mut()
}

/// An event of a C call site between [`reserve`] and [`commit`]: what the C API keeps in the
/// private words of `struct tracer_emit`. While it is pending, the thread's `busy` flag stays
/// set, so a signal handler's tracepoint on this thread is counted lost instead of writing
/// into the half-written event.
///
/// It points at the reserving thread's table and at the writer holding the reserved space, so
/// [`commit`] needs no thread-local lookup (in `libtracer.so` that is a `__tls_get_addr`
/// call). Both stay valid until the last commit: the table is the thread's own and the thread
/// cannot exit inside the event (commits come from the reserving thread, `abi.h`), and `busy`
/// keeps every other frame of the thread away from the table, so no writer is replaced or
/// moved (only [`attach`] does that, and only under `busy` of the event that then points at
/// the new writer).
#[repr(C)]
#[derive(Debug)]
pub struct Pending {
    /// Channels still to write, after the one reserved in.
    mask: u64,
    /// The reserving thread's table; null when no event is pending.
    table: *const ThreadWriters,
    /// The writer holding the reserved space; null when no event is pending.
    writer: *mut StreamWriter,
    id: u32,
    /// Payload bytes (at most `u32::MAX`, checked by [`reserve`]).
    len: u32,
}

impl Default for Pending {
    /// No event pending: a commit does nothing.
    fn default() -> Self {
        Pending {
            mask: 0,
            table: std::ptr::null(),
            writer: std::ptr::null_mut(),
            id: 0,
            len: 0,
        }
    }
}

impl Pending {
    /// Payload bytes of the event.
    pub fn len(&self) -> u64 {
        u64::from(self.len)
    }

    /// True for an event without payload.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Reserves `len` payload bytes for an event of `site` in the first channel of `mask` that
/// takes it. Returns the payload address, or null when nothing is to be written (the event
/// was dropped and counted, or no channel takes it).
#[inline]
pub fn reserve(site: &SiteState, mask: u64, len: usize, p: &mut Pending) -> *mut u8 {
    fence(Acquire);
    let mask = mask & CHANNEL_BITS;
    p.writer = std::ptr::null_mut();
    // No sub-buffer holds more than 4 GiB; a saturated size from C must not overflow below.
    let Ok(len) = u32::try_from(len) else {
        lose(mask);
        return std::ptr::null_mut();
    };
    WRITERS
        .try_with(|t| {
            if t.busy.replace(true) {
                lose(mask);
                return std::ptr::null_mut();
            }
            compiler_fence(SeqCst);
            *p = Pending {
                mask,
                table: t,
                writer: std::ptr::null_mut(),
                id: site.id(),
                len,
            };
            t.next_reservation(p)
        })
        .unwrap_or_else(|_| {
            lose(mask);
            std::ptr::null_mut()
        })
}

/// Commits the reserved payload (dropped and counted when not `complete`) and reserves the
/// same length in the next channel: returns its address, or null when the event is done.
#[inline]
pub fn commit(p: &mut Pending, complete: bool) -> *mut u8 {
    if p.writer.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: a pending event's table and writer are valid and ours (see `Pending`).
    let (table, writer) = unsafe { (&*p.table, &mut *p.writer) };
    writer.commit(complete);
    if p.mask == 0 {
        // The common case, one channel: done without a call.
        return table.finish(p);
    }
    table.next_reservation(p)
}

impl ThreadWriters {
    /// Reserves in the next channel of `p.mask`; releases `busy` when there is none. Inlined
    /// into `reserve` (every event) and `commit` (events in several channels only).
    #[inline(always)]
    fn next_reservation(&self, p: &mut Pending) -> *mut u8 {
        // SAFETY: `busy` is set by our caller's event.
        let writers = unsafe { &mut *self.writers.get() };
        while p.mask != 0 {
            let slot = p.mask.trailing_zeros() as usize;
            p.mask &= p.mask - 1;
            let uid = session::channel_uid(slot);
            let w = match writers.get_mut(slot) {
                Some(Some(w)) if w.channel_uid == uid => Some(w),
                _ => attach(writers, slot, uid),
            };
            let Some(w) = w else {
                lose(1);
                continue;
            };
            w.enter_event();
            if let Some(payload) = w.reserve(p.id, clock::now(), p.len as usize) {
                p.writer = w;
                return payload;
            }
        }
        self.finish(p)
    }

    /// Ends the pending event: releases `busy`.
    #[inline(always)]
    fn finish(&self, p: &mut Pending) -> *mut u8 {
        p.writer = std::ptr::null_mut();
        compiler_fence(SeqCst);
        self.busy.set(false);
        std::ptr::null_mut()
    }
}
