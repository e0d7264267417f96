//! Sub-buffer memory of one stream: a single mapping that holds a `#[repr(C)]` header, one
//! [`SlotControl`] per sub-buffer and the sub-buffers themselves, addressed by offsets only.
//!
//! Nothing in the mapping points to the heap, so the same layout is a shared mapping (a sealed
//! memfd) when a recorder in another process consumes the stream: it finds the committed data
//! even after the traced program died. The mapping is populated up front so the writer's first pass over the buffer takes no
//! page faults.

use super::config::ChannelConfig;
use super::slot::SlotControl;
use crate::shm::Mapping;
use crate::sync::{
    AtomicU64,
    Ordering::{Acquire, Relaxed},
};
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

/// `"TCRB"`: marks a stream mapping (checked by a recorder attaching to it).
pub const STREAM_MAGIC: u32 = 0x5443_5242;
/// Version of the mapping layout below.
pub const LAYOUT_VERSION: u32 = 2;

/// Start of a stream mapping.
#[repr(C, align(64))]
#[derive(Debug)]
pub struct StreamHeader {
    /// [`STREAM_MAGIC`].
    pub magic: u32,
    /// [`LAYOUT_VERSION`].
    pub layout_version: u32,
    /// Bytes per sub-buffer.
    pub subbuf_size: u32,
    /// Number of sub-buffers.
    pub subbuf_count: u32,
    /// Offset of the first sub-buffer from the start of the mapping.
    pub data_offset: u64,
    /// Events lost so far (dropped when full, overwritten, or emitted re-entrantly); only the
    /// stream's writer adds to it.
    pub lost: AtomicU64,
    /// 1 while a thread owns the stream as its writer, 0 when it can be adopted.
    pub owner: AtomicU64,
    /// Sequence number of the next sub-buffer to open, saved when a writer gives the stream up
    /// so the thread that adopts it continues the sequence.
    pub next_seq: AtomicU64,
    /// Clock value of the last event written, saved with `next_seq`: the adopting writer
    /// never writes an earlier time (clocks of two CPUs may differ by a few ticks).
    pub last_ts: AtomicU64,
    /// 1 from before the writer reads the clock for an event until that event is committed
    /// or dropped, else 0: what lets the recorder prove that a quiet stream has no event in
    /// flight before a time (see [`RingBuffer::writer_in_event`]).
    pub in_event: AtomicU64,
}

const PAGE: usize = 4096;

/// One stream's mapping. The writer and the consumer access it concurrently through the
/// [`SlotControl`] protocol; this type only hands out addresses.
#[derive(Debug)]
pub struct RingBuffer {
    mem: Mapping,
    subbuf_size: usize,
    subbuf_count: usize,
    data_offset: usize,
}

/// Offset of the first sub-buffer and total length of a stream mapping for `cfg`.
fn layout(subbuf_size: usize, n: usize) -> io::Result<(usize, usize)> {
    let ctl = std::mem::size_of::<StreamHeader>() + n * std::mem::size_of::<SlotControl>();
    let data_offset = ctl.div_ceil(PAGE) * PAGE;
    let len = n
        .checked_mul(subbuf_size)
        .and_then(|d| d.checked_add(data_offset))
        .ok_or_else(|| io::Error::other("ring buffer size overflows"))?;
    Ok((data_offset, len))
}

impl RingBuffer {
    /// Maps and initialises a stream in private memory for a (validated) configuration.
    pub fn new(cfg: &ChannelConfig) -> io::Result<Self> {
        let (data_offset, len) = layout(cfg.subbuf_size, cfg.subbuf_count)?;
        Ok(Self::init(Mapping::anonymous(len)?, cfg, data_offset))
    }

    /// Like [`RingBuffer::new`], in a sealed memfd whose descriptor
    /// ([`RingBuffer::shared_fd`]) a recorder in another process maps with
    /// [`RingBuffer::attach`].
    pub fn new_shared(cfg: &ChannelConfig) -> io::Result<Self> {
        let (data_offset, len) = layout(cfg.subbuf_size, cfg.subbuf_count)?;
        let mem = Mapping::memfd(c"tracer-stream", len, true)?;
        Ok(Self::init(mem, cfg, data_offset))
    }

    fn init(mem: Mapping, cfg: &ChannelConfig, data_offset: usize) -> Self {
        let n = cfg.subbuf_count;
        let base = mem.as_ptr();
        // SAFETY: the mapping is fresh, zeroed, page-aligned (so aligned for the 64-byte
        // headers) and large enough for the header and `n` slots (`layout`); nobody else can
        // see it yet.
        unsafe {
            base.cast::<StreamHeader>().write(StreamHeader {
                magic: STREAM_MAGIC,
                layout_version: LAYOUT_VERSION,
                subbuf_size: cfg.subbuf_size as u32,
                subbuf_count: n as u32,
                data_offset: data_offset as u64,
                lost: AtomicU64::new(0),
                owner: AtomicU64::new(0),
                next_seq: AtomicU64::new(0),
                last_ts: AtomicU64::new(0),
                in_event: AtomicU64::new(0),
            });
            let slots = base
                .add(std::mem::size_of::<StreamHeader>())
                .cast::<SlotControl>();
            for i in 0..n {
                slots.add(i).write(SlotControl::new(i as u64));
            }
        }
        RingBuffer {
            mem,
            subbuf_size: cfg.subbuf_size,
            subbuf_count: n,
            data_offset,
        }
    }

    /// Maps a stream another process created for a channel of shape `cfg`. The sizes come
    /// from `cfg` (what the recorder asked for), never from the shared header, and the header
    /// must agree with them; the memfd must be sealed and exactly as large as the layout.
    pub fn attach(fd: OwnedFd, cfg: &ChannelConfig) -> io::Result<Self> {
        let (data_offset, len) = layout(cfg.subbuf_size, cfg.subbuf_count)?;
        let mem = Mapping::map_fd(fd, Some(len))?;
        // SAFETY: the mapping holds at least a header (checked length); the fields read are
        // plain integers whatever their value.
        let h = unsafe { &*mem.as_ptr().cast::<StreamHeader>() };
        if h.magic != STREAM_MAGIC
            || h.layout_version != LAYOUT_VERSION
            || h.subbuf_size as usize != cfg.subbuf_size
            || h.subbuf_count as usize != cfg.subbuf_count
            || h.data_offset as usize != data_offset
        {
            return Err(io::Error::other(
                "shared stream header does not match the channel",
            ));
        }
        Ok(RingBuffer {
            mem,
            subbuf_size: cfg.subbuf_size,
            subbuf_count: cfg.subbuf_count,
            data_offset,
        })
    }

    /// The memfd of a shared stream.
    pub fn shared_fd(&self) -> Option<BorrowedFd<'_>> {
        self.mem.fd()
    }

    /// The stream header.
    pub fn header(&self) -> &StreamHeader {
        // SAFETY: initialised in `new`, lives as long as the mapping.
        unsafe { &*self.mem.as_ptr().cast::<StreamHeader>() }
    }

    /// Control words of sub-buffer `seq`.
    #[inline(always)]
    pub fn slot(&self, seq: u64) -> &SlotControl {
        let i = seq as usize & (self.subbuf_count - 1);
        // SAFETY: `i < subbuf_count` and the slots were initialised in `new`.
        unsafe {
            &*self
                .mem
                .as_ptr()
                .add(std::mem::size_of::<StreamHeader>())
                .cast::<SlotControl>()
                .add(i)
        }
    }

    /// First byte of sub-buffer `seq`. Writing through it is only allowed to the writer that
    /// opened the slot, at and beyond the published commit offset.
    #[inline(always)]
    pub fn subbuf_ptr(&self, seq: u64) -> *mut u8 {
        let i = seq as usize & (self.subbuf_count - 1);
        // SAFETY: the offset stays inside the mapping (`data_offset + count * size <= len`).
        unsafe {
            self.mem
                .as_ptr()
                .add(self.data_offset + i * self.subbuf_size)
        }
    }

    /// Bytes `from..to` of sub-buffer `seq`, or `None` if the range is outside it.
    ///
    /// # Safety
    /// The caller must hold the slot (see [`SlotControl::hold`]) and `to` must not exceed the
    /// commit offset it read after holding it, so the writer cannot be writing these bytes.
    pub unsafe fn committed_bytes(&self, seq: u64, from: usize, to: usize) -> Option<&[u8]> {
        if from > to || to > self.subbuf_size {
            return None;
        }
        // SAFETY: in bounds (checked above); stable per the caller's contract.
        Some(unsafe { std::slice::from_raw_parts(self.subbuf_ptr(seq).add(from), to - from) })
    }

    /// Number of sub-buffers.
    pub fn subbuf_count(&self) -> usize {
        self.subbuf_count
    }

    /// Bytes per sub-buffer.
    pub fn subbuf_size(&self) -> usize {
        self.subbuf_size
    }

    /// Events lost so far on this stream.
    pub fn lost(&self) -> u64 {
        self.header().lost.load(Relaxed)
    }

    /// Whether the writer is between reading the clock for an event and committing it. Only
    /// meaningful right after [`crate::membarrier::fence_registered`] (see `docs/tracer-core.md`,
    /// "Idle streams"): then `false` means every event whose clock was read before the
    /// barrier is committed, so the commit offsets read next cover all of them.
    pub fn writer_in_event(&self) -> bool {
        self.header().in_event.load(Acquire) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ringbuffer::config::Mode;
    use crate::ringbuffer::slot::{Hold, Open};

    #[test]
    fn layout_is_offsets_in_one_mapping() {
        let cfg = ChannelConfig {
            subbuf_size: 4096,
            subbuf_count: 4,
            ..Default::default()
        };
        let rb = RingBuffer::new(&cfg).unwrap();
        assert_eq!(rb.header().magic, STREAM_MAGIC);
        assert_eq!(rb.header().data_offset % PAGE as u64, 0);
        // Slots wrap with the sequence number.
        assert!(std::ptr::eq(rb.slot(1), rb.slot(5)));
        assert_eq!(rb.subbuf_ptr(2) as usize - rb.subbuf_ptr(1) as usize, 4096);
        // SAFETY: no writer exists; the range is rejected before any memory is touched.
        assert!(unsafe { rb.committed_bytes(0, 0, 4097) }.is_none());
    }

    #[test]
    fn discard_mode_reports_full_until_consumed() {
        let cfg = ChannelConfig {
            subbuf_size: 4096,
            subbuf_count: 2,
            ..Default::default()
        };
        let rb = RingBuffer::new(&cfg).unwrap();
        for seq in 0..2 {
            assert_eq!(
                rb.slot(seq).open(seq, Mode::Discard, 10, 0, 0),
                Open::Opened
            );
            rb.slot(seq).commit(8);
            rb.slot(seq).close(11, 1);
        }
        assert_eq!(rb.slot(2).open(2, Mode::Discard, 12, 0, 0), Open::Full);
        assert_eq!(rb.slot(0).hold(0, false), Hold::Held { committed: true });
        assert_eq!(rb.slot(0).view().commit, 8);
        rb.slot(0).release_consumed(0);
        assert_eq!(rb.slot(2).open(2, Mode::Discard, 12, 0, 0), Open::Opened);
    }

    #[test]
    fn overwrite_mode_counts_and_consumer_sees_overwritten() {
        let cfg = ChannelConfig {
            subbuf_size: 4096,
            subbuf_count: 2,
            ..Default::default()
        };
        let rb = RingBuffer::new(&cfg).unwrap();
        for seq in 0..2 {
            rb.slot(seq).open(seq, Mode::Overwrite, 10, 0, 0);
            rb.slot(seq).close(11, 3);
        }
        assert_eq!(
            rb.slot(2).open(2, Mode::Overwrite, 12, 0, 0),
            Open::Overwrote { lost_events: 3 }
        );
        assert_eq!(rb.slot(0).hold(0, true), Hold::Overwritten);
        // A held sub-buffer is never overwritten: the writer reports full instead.
        assert_eq!(rb.slot(1).hold(1, false), Hold::Held { committed: true });
        assert_eq!(rb.slot(3).open(3, Mode::Overwrite, 13, 0, 0), Open::Full);
    }
}
