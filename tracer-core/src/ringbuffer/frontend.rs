//! The writer's fast path: reserve room for an event in the open sub-buffer, write its header
//! and payload in place, commit. Never blocks, never allocates, no atomic read-modify-write;
//! everything else (switching sub-buffers, full buffers) is in the cold [`StreamWriter::switch`].
//!
//! A stream has one writer at a time, so the reserve position, the previous timestamp and the
//! event count are plain fields of [`StreamWriter`] (thread-local); only the commit offset, the
//! slot state, the lost counter and the in-event flag are shared with the consumer (see
//! `slot.rs` for the ordering argument of the first two, and [`StreamWriter::enter_event`]
//! for the last).

use super::slot::{Open, SlotControl};
use super::Stream;
use crate::ctf::header::{header_len, write_header};
use crate::field::PayloadWriter;
use std::sync::atomic::{compiler_fence, AtomicU64, Ordering::*};
use std::sync::Arc;

/// The writing end of a stream, owned by one thread.
#[derive(Debug)]
pub struct StreamWriter {
    stream: Arc<Stream>,
    /// Channel identity this writer was created for (a channel slot can be reused).
    pub(crate) channel_uid: u64,
    seq: u64,
    open: bool,
    data: *mut u8,
    slot: *const SlotControl,
    /// The stream header's `in_event` flag.
    in_event: *const AtomicU64,
    pos: usize,
    subbuf_size: usize,
    prev_ts: u64,
    events: u64,
    /// Bytes and time of the event between `reserve` and `commit`.
    pending: (usize, u64),
    /// The process that adopted the stream: a forked child must not touch its parent's
    /// shared buffers when it drops the writer it inherited.
    pid: u32,
}

impl StreamWriter {
    /// Becomes the writer of `stream` if no thread is. The sequence continues where the last
    /// writer stopped, so a stream outlives the threads that write to it.
    pub fn adopt(stream: Arc<Stream>, channel_uid: u64) -> Option<Self> {
        let h = stream.ring.header();
        h.owner.compare_exchange(0, 1, Acquire, Relaxed).ok()?;
        let seq = h.next_seq.load(Relaxed);
        let prev_ts = h.last_ts.load(Relaxed);
        let subbuf_size = stream.ring.subbuf_size();
        Some(StreamWriter {
            slot: stream.ring.slot(seq),
            in_event: &h.in_event,
            data: stream.ring.subbuf_ptr(seq),
            stream,
            channel_uid,
            seq,
            open: false,
            pos: 0,
            subbuf_size,
            prev_ts,
            events: 0,
            pending: (0, 0),
            pid: std::process::id(),
        })
    }

    /// Flags the stream as being written, before the caller reads the clock for an event;
    /// the flag falls when the event is committed or dropped. Two plain stores per event, no
    /// fence: the recorder pairs them with a `membarrier` of its own (see
    /// [`crate::membarrier`]) when it needs to know that no event older than a time can still
    /// appear in this stream.
    #[inline(always)]
    pub fn enter_event(&self) {
        // SAFETY: `in_event` points into the mapping that `self.stream` keeps alive.
        unsafe { &*self.in_event }.store(1, Relaxed);
        // The clock read that follows must not be moved above the store by the compiler; the
        // CPU may do so, which the recorder's barrier accounts for.
        compiler_fence(SeqCst);
    }

    #[inline(always)]
    fn leave_event(&mut self) {
        // Release: the commit offset (or the lost count) before the flag falls.
        // SAFETY: as in `enter_event`.
        unsafe { &*self.in_event }.store(0, Release);
    }

    /// Records one event of class `id` at clock value `ts` with a payload of `payload_len`
    /// bytes written by `fill`. Returns false (and counts the event lost) when it was dropped.
    #[inline(always)]
    pub fn write(
        &mut self,
        id: u32,
        ts: u64,
        payload_len: usize,
        fill: &impl Fn(&mut PayloadWriter<'_>),
    ) -> bool {
        let Some(payload) = self.reserve(id, ts, payload_len) else {
            return false;
        };
        // SAFETY: `reserve` returned `payload_len` writable bytes that are ours until commit.
        let buf = unsafe { std::slice::from_raw_parts_mut(payload, payload_len) };
        let mut w = PayloadWriter::new(buf);
        fill(&mut w);
        self.commit(w.is_complete())
    }

    /// Writes the header of an event of class `id` at `ts` and returns where its `payload_len`
    /// payload bytes go; they stay the writer's until [`StreamWriter::commit`]. `None` when the
    /// event is dropped (counted lost; the in-event flag falls).
    #[inline(always)]
    pub fn reserve(&mut self, id: u32, ts: u64, payload_len: usize) -> Option<*mut u8> {
        // Readers need non-decreasing times within a stream; a thread that migrated to a CPU
        // whose counter lags by a few ticks gets its previous time instead.
        let ts = ts.max(self.prev_ts);
        let mut hlen = header_len(id, ts - self.prev_ts);
        if !self.open || self.pos + hlen + payload_len > self.subbuf_size {
            if !self.switch(ts, header_len(id, 0) + payload_len) {
                self.leave_event();
                return None;
            }
            hlen = header_len(id, 0);
        }
        // SAFETY: the slot is open and ours: bytes from `pos` to the end of the sub-buffer are
        // beyond the published commit offset, so the consumer does not read them, and
        // `pos + hlen + payload_len <= subbuf_size` was checked above (or by `switch`, which
        // resets `pos`).
        let head = unsafe { std::slice::from_raw_parts_mut(self.data.add(self.pos), hlen) };
        write_header(head, hlen, id, ts);
        self.pending = (hlen + payload_len, ts);
        // SAFETY: in bounds, as above.
        Some(unsafe { self.data.add(self.pos + hlen) })
    }

    /// Publishes the event [`StreamWriter::reserve`] began, or drops it (counted lost) when
    /// its payload is not `complete`; either way the in-event flag falls. Returns whether it
    /// was recorded.
    #[inline(always)]
    pub fn commit(&mut self, complete: bool) -> bool {
        if !complete {
            self.lose(1);
            self.leave_event();
            return false;
        }
        let (total, ts) = self.pending;
        self.pos += total;
        self.prev_ts = ts;
        self.events += 1;
        // SAFETY: `slot` points into the mapping that `self.stream` keeps alive.
        unsafe { &*self.slot }.commit(self.pos as u64);
        self.leave_event();
        true
    }

    /// Seals the open sub-buffer (if any) and opens the next one for an event of `needed`
    /// bytes at time `ts`. False when the event cannot be recorded (counted lost).
    #[cold]
    #[inline(never)]
    fn switch(&mut self, ts: u64, needed: usize) -> bool {
        if needed > self.subbuf_size {
            self.lose(1);
            return false;
        }
        if self.open {
            self.seal();
        }
        let slot = self.stream.ring.slot(self.seq);
        // SAFETY: sched_getcpu has no preconditions.
        let cpu = unsafe { libc::sched_getcpu() }.max(0) as u32;
        let lost_so_far = self.stream.ring.lost();
        match slot.open(self.seq, self.stream.mode, ts, cpu, lost_so_far) {
            Open::Full => {
                self.lose(1);
                return false;
            }
            Open::Overwrote { lost_events } => self.lose(lost_events),
            Open::Opened => {}
        }
        self.slot = slot;
        self.data = self.stream.ring.subbuf_ptr(self.seq);
        self.open = true;
        self.pos = 0;
        self.prev_ts = ts;
        self.events = 0;
        true
    }

    /// Hands the open sub-buffer to the consumer and wakes it.
    fn seal(&mut self) {
        // SAFETY: `slot` points into the mapping that `self.stream` keeps alive.
        unsafe { &*self.slot }.close(self.prev_ts, self.events);
        self.open = false;
        self.seq += 1;
        self.events = 0;
        self.stream.notifier.wake();
    }

    fn lose(&self, n: u64) {
        // An atomic add although only this thread writes: a signal handler running a
        // tracepoint on this thread may add concurrently.
        self.stream.ring.header().lost.fetch_add(n, Relaxed);
    }
}

impl Drop for StreamWriter {
    /// The thread exits or moves to another channel: seal what it wrote and free the stream
    /// for adoption.
    fn drop(&mut self) {
        if self.pid != std::process::id() {
            return;
        }
        if self.open {
            self.seal();
        }
        self.leave_event();
        let h = self.stream.ring.header();
        h.next_seq.store(self.seq, Relaxed);
        h.last_ts.store(self.prev_ts, Relaxed);
        h.owner.store(0, Release);
    }
}

// SAFETY: the raw pointers point into the mapping owned by `stream` (an `Arc`), which is
// `Send + Sync`; moving the writer to another thread moves its exclusive writer role with it.
unsafe impl Send for StreamWriter {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ringbuffer::backend::RingBuffer;
    use crate::ringbuffer::config::{ChannelConfig, Mode};
    use crate::ringbuffer::notify::Notifier;
    use crate::ringbuffer::slot::Hold;

    fn stream(size: usize, count: usize, mode: Mode) -> Arc<Stream> {
        let cfg = ChannelConfig {
            subbuf_size: size,
            subbuf_count: count,
            mode,
            ..Default::default()
        };
        Arc::new(Stream {
            ring: RingBuffer::new(&cfg).unwrap(),
            id: 0,
            mode,
            notifier: Arc::new(Notifier::default()),
        })
    }

    fn u64_event(v: u64) -> impl Fn(&mut PayloadWriter<'_>) {
        move |w| w.put(&v.to_le_bytes())
    }

    #[test]
    fn events_are_packed_and_committed_in_place() {
        let s = stream(4096, 2, Mode::Discard);
        let mut w = StreamWriter::adopt(s.clone(), 1).unwrap();
        assert!(
            StreamWriter::adopt(s.clone(), 1).is_none(),
            "one writer per stream"
        );
        assert!(w.write(3, 100, 8, &u64_event(7)));
        assert!(w.write(3, 101, 8, &u64_event(8)));
        let slot = s.ring.slot(0);
        assert_eq!(slot.hold(0, true), Hold::Held { committed: false });
        let v = slot.view();
        assert_eq!((v.commit, v.ts_begin), (20, 100));
        // SAFETY: the slot is held and 20 is the commit offset read after holding it.
        let bytes = unsafe { s.ring.committed_bytes(0, 0, 20) }.unwrap();
        assert_eq!(&bytes[2..10], &7u64.to_le_bytes());
        slot.release_partial(0);
    }

    #[test]
    fn discard_mode_counts_what_does_not_fit() {
        let s = stream(4096, 2, Mode::Discard);
        let mut w = StreamWriter::adopt(s.clone(), 1).unwrap();
        // 2 + 1000 bytes per event: 4 per sub-buffer, 8 fit in the ring.
        let fill = |w: &mut PayloadWriter<'_>| w.put(&[0u8; 1000]);
        let kept = (0..20).filter(|&i| w.write(1, i, 1000, &fill)).count();
        assert_eq!(kept, 8);
        assert_eq!(s.ring.lost(), 12);
        // Too large for any sub-buffer: lost, not a panic.
        assert!(!w.write(1, 30, 5000, &|w: &mut PayloadWriter<'_>| w
            .put(&[0u8; 5000])));
        assert_eq!(s.ring.lost(), 13);
    }

    #[test]
    fn overwrite_mode_keeps_the_newest_and_counts_the_rest() {
        let s = stream(4096, 2, Mode::Overwrite);
        let mut w = StreamWriter::adopt(s.clone(), 1).unwrap();
        let fill = |w: &mut PayloadWriter<'_>| w.put(&[0u8; 1000]);
        assert!((0..20).all(|i| w.write(1, i, 1000, &fill)));
        // Sub-buffers 0..=2 were overwritten (4 events each); 3 is sealed, 4 is open.
        assert_eq!(s.ring.lost(), 12);
        assert_eq!(
            s.ring.slot(3).hold(3, false),
            Hold::Held { committed: true }
        );
    }

    #[test]
    fn a_lying_field_encoder_drops_its_event() {
        let s = stream(4096, 2, Mode::Discard);
        let mut w = StreamWriter::adopt(s.clone(), 1).unwrap();
        assert!(!w.write(1, 1, 4, &|w: &mut PayloadWriter<'_>| w.put(&[0u8; 2])));
        assert_eq!(s.ring.lost(), 1);
        assert!(w.write(1, 2, 2, &|w: &mut PayloadWriter<'_>| w.put(&[9u8; 2])));
    }

    #[test]
    fn dropping_the_writer_seals_and_the_next_one_continues() {
        let s = stream(4096, 4, Mode::Discard);
        let mut w = StreamWriter::adopt(s.clone(), 1).unwrap();
        w.write(1, 1, 8, &u64_event(1));
        drop(w);
        assert_eq!(
            s.ring.slot(0).hold(0, false),
            Hold::Held { committed: true }
        );
        let mut w = StreamWriter::adopt(s.clone(), 1).unwrap();
        w.write(1, 2, 8, &u64_event(2));
        assert_eq!(
            s.ring.slot(1).hold(1, true),
            Hold::Held { committed: false }
        );
    }
}
