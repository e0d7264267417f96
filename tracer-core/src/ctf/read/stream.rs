//! Packets of one stream file: where each starts, what its header and context say, where its
//! events are. The list comes from the stream's index file (`index/NAME.idx`, LTTng's CTF
//! index) when there is a consistent one, else from following `packet_size` from packet to
//! packet. A packet that cannot be read (bad magic, impossible sizes) is reported and skipped:
//! with an index the next entry says where the next packet is; without one the reader looks
//! for the next packet magic that starts a readable packet.

use super::exec::{run, Cursor, PacketRegs, Regs, Stop};
use super::layout::Layout;
use super::ReadError;
use crate::ctf::packet::CTF_MAGIC;
use std::path::{Path, PathBuf};

/// One packet of a stream file.
#[derive(Clone, Debug)]
pub(crate) struct PacketSpan {
    /// Byte offset of the packet in the file.
    pub offset: u64,
    /// Bit position of its first event.
    pub events: u64,
    /// Bit position where its content ends (or the file, if it is cut short).
    pub content_end: u64,
    /// Stream class index.
    pub stream: usize,
    pub ctx: PacketRegs,
    /// The file ends before the packet does.
    pub truncated: bool,
    next: u64,
}

/// The packets of a stream file and what was wrong with it.
pub(crate) struct StreamScan {
    pub packets: Vec<PacketSpan>,
    pub errors: Vec<ReadError>,
}

/// Reads the packet header and context at byte `off`.
fn read_packet(layout: &Layout, data: &[u8], off: u64) -> Result<PacketSpan, String> {
    let file_bits = data.len() as u64 * 8;
    let start = off * 8;
    let mut regs = Regs::new(layout);
    let mut c = Cursor::new(data, start, file_bits);
    let cut = |what: &str, s: Stop| match s {
        Stop::Overrun => format!("{what} cut short by the end of the file"),
        Stop::Bad(m) => format!("{what}: {m}"),
    };
    run(&layout.packet_header_ops, &mut c, &mut regs).map_err(|s| cut("packet header", s))?;
    if let Some(m) = regs.packet.magic {
        if m != u64::from(CTF_MAGIC) {
            return Err(format!(
                "bad packet magic {m:#010x} (expected {CTF_MAGIC:#010x})"
            ));
        }
    }
    let stream = layout
        .stream_index(regs.packet.stream_id)
        .ok_or_else(|| format!("packet of unknown stream class {:?}", regs.packet.stream_id))?;
    run(
        &layout.streams[stream].packet_context_ops,
        &mut c,
        &mut regs,
    )
    .map_err(|s| cut("packet context", s))?;
    if c.pos > c.end {
        return Err("packet context cut short by the end of the file".into());
    }
    let p = regs.packet;
    let avail = file_bits - start;
    let packet_bits = p.packet_size.or(p.content_size).unwrap_or(avail);
    let content_bits = p.content_size.unwrap_or(packet_bits);
    if packet_bits == 0 || !packet_bits.is_multiple_of(8) || content_bits > packet_bits {
        return Err(format!(
            "impossible packet sizes: content_size {content_bits} bits, packet_size {packet_bits} bits"
        ));
    }
    if c.pos - start > content_bits {
        return Err(format!(
            "content_size {content_bits} bits is smaller than the packet header and context ({} bits)",
            c.pos - start
        ));
    }
    Ok(PacketSpan {
        offset: off,
        events: c.pos,
        content_end: start + content_bits.min(avail),
        stream,
        ctx: p,
        truncated: packet_bits > avail,
        next: off + packet_bits / 8,
    })
}

/// The first offset at or after `from` where a readable packet starts.
fn resync(layout: &Layout, data: &[u8], from: u64) -> Option<u64> {
    if !layout.has_magic {
        return None;
    }
    let magic = if layout.big_endian {
        CTF_MAGIC.to_be_bytes()
    } else {
        CTF_MAGIC.to_le_bytes()
    };
    let rest = data.get(from as usize..)?;
    memchr::memmem::find_iter(rest, &magic)
        .map(|i| from + i as u64)
        .find(|&o| read_packet(layout, data, o).is_ok())
}

/// One entry of a CTF index: where a packet starts and how long it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IndexEntry {
    offset: u64,
    bytes: u64,
}

const INDEX_MAGIC: u32 = 0xC1F1_DCC1;

/// The index file of a stream file, if there is one.
fn index_path(file: &Path) -> Option<PathBuf> {
    let name = file.file_name()?.to_str()?;
    Some(file.parent()?.join("index").join(format!("{name}.idx")))
}

/// Reads an index: a big-endian header (magic 0xC1F1DCC1, major, minor, entry size) and
/// entries whose first two fields are the packet's offset (bytes) and size (bits).
fn read_index(bytes: &[u8], file_len: u64) -> Result<Vec<IndexEntry>, (u64, String)> {
    let be32 = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|w| u32::from_be_bytes(w.try_into().unwrap_or_default()))
    };
    if be32(0) != Some(INDEX_MAGIC) {
        return Err((0, "bad index magic (expected 0xc1f1dcc1)".into()));
    }
    let entry_len = be32(12).unwrap_or(0) as usize;
    if entry_len < 16 {
        return Err((12, format!("index entry size {entry_len} is too small")));
    }
    let mut out: Vec<IndexEntry> = Vec::new();
    for (i, e) in bytes[16..].chunks_exact(entry_len).enumerate() {
        let at = (16 + i * entry_len) as u64;
        let offset = u64::from_be_bytes(e[..8].try_into().unwrap_or_default());
        let bits = u64::from_be_bytes(e[8..16].try_into().unwrap_or_default());
        let prev_end = out.last().map_or(0, |p| p.offset + p.bytes);
        if bits == 0 || bits % 8 != 0 || offset < prev_end || offset >= file_len {
            return Err((
                at,
                format!(
                    "index entry {i} (offset {offset}, {bits} bits) does not fit the stream file"
                ),
            ));
        }
        out.push(IndexEntry {
            offset,
            bytes: bits / 8,
        });
    }
    Ok(out)
}

/// Lists the packets of stream file `file` (mapped as `data`).
pub(crate) fn scan(layout: &Layout, file: &Path, data: &[u8]) -> StreamScan {
    let mut s = StreamScan {
        packets: Vec::new(),
        errors: Vec::new(),
    };
    let len = data.len() as u64;
    let mut off = 0u64;
    if let Some(idx) = index_path(file) {
        if let Ok(bytes) = std::fs::read(&idx) {
            match read_index(&bytes, len) {
                Ok(entries) => {
                    for e in &entries {
                        match read_packet(layout, data, e.offset) {
                            Ok(p) if p.next == e.offset + e.bytes || p.truncated => {
                                off = p.next.min(len);
                                s.push(file, p);
                            }
                            Ok(p) => s.errors.push(ReadError::new(
                                file,
                                e.offset,
                                format!(
                                    "packet_size says {} bytes, the index says {}; packet skipped",
                                    p.next - p.offset,
                                    e.bytes
                                ),
                            )),
                            Err(m) => s.errors.push(ReadError::new(
                                file,
                                e.offset,
                                format!("{m}; packet skipped (the index gives the next one)"),
                            )),
                        }
                        off = off.max(e.offset + e.bytes);
                    }
                }
                Err((at, m)) => s.errors.push(ReadError::new(
                    &idx,
                    at,
                    format!("{m}; index ignored, packets found from their headers"),
                )),
            }
        }
    }
    // Without an index, or past its last entry (a trace still being written).
    s.follow_headers(layout, file, data, off);
    s
}

/// Lists the packets of `data` from their headers alone (no index file is looked for): the
/// packets a live viewer received, `file` naming where they come from in errors.
pub(crate) fn scan_headers(layout: &Layout, file: &Path, data: &[u8]) -> StreamScan {
    let mut s = StreamScan {
        packets: Vec::new(),
        errors: Vec::new(),
    };
    s.follow_headers(layout, file, data, 0);
    s
}

impl StreamScan {
    /// Lists packets from `off` on by following their sizes, resynchronising after a bad one.
    fn follow_headers(&mut self, layout: &Layout, file: &Path, data: &[u8], mut off: u64) {
        let s = self;
        let len = data.len() as u64;
        while off < len && !s.packets.last().is_some_and(|p| p.truncated) {
            match read_packet(layout, data, off) {
                Ok(p) => {
                    off = p.next;
                    s.push(file, p);
                }
                Err(m) => {
                    let next = resync(layout, data, off + 1);
                    let tail = match next {
                        Some(n) => format!("; skipped to the next packet, at offset {n}"),
                        None => "; the rest of the stream file is skipped".into(),
                    };
                    s.errors
                        .push(ReadError::new(file, off, format!("{m}{tail}")));
                    match next {
                        Some(n) => off = n,
                        None => break,
                    }
                }
            }
        }
    }
}

impl StreamScan {
    fn push(&mut self, file: &Path, p: PacketSpan) {
        if p.truncated {
            self.errors.push(ReadError::new(
                file,
                p.offset,
                format!(
                    "truncated packet: it declares {} bytes, the file ends {} bytes after its start; its complete events are kept",
                    p.next - p.offset,
                    (p.content_end / 8).saturating_sub(p.offset)
                ),
            ));
        }
        self.packets.push(p);
    }

    /// Events the stream lost: `events_discarded` is a count from the start of the stream, so
    /// the losses are its increases from 0 to the last packet (a counter of N bits wraps at
    /// 2^N). babeltrace2 reports the same increases, except that it shows the first packet's
    /// own count (losses before any packet was written) as an unknown number.
    pub fn lost(&self) -> u64 {
        let mut prev = 0u64;
        let mut lost = 0u64;
        for (v, bits) in self.packets.iter().filter_map(|p| p.ctx.discarded) {
            let mask = if bits >= 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            };
            lost = lost.wrapping_add(v.wrapping_sub(prev) & mask);
            prev = v;
        }
        lost
    }
}
