//! Runs compiled layouts over stream bytes: the bit cursor, the register file that lengths,
//! tags, ids and clocks go through, the op interpreter (walking events without values) and the
//! value decoder. Nothing here panics on bad bytes: every read is bounded by the packet
//! content, every count by the bits left.

use super::layout::{Case, Count, IntNode, Layout, Node, Op, Role, TaggedHeader, NO_SLOT};
use super::value::Value;
use crate::ctf::first_nul;
use std::sync::Arc;

/// Why a walk stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The bytes end (packet content or file) inside the field being read.
    Overrun,
    /// The bytes contradict the metadata.
    Bad(String),
}

/// What the packet header and context said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PacketRegs {
    pub magic: Option<u64>,
    pub stream_id: Option<u64>,
    pub stream_instance_id: Option<u64>,
    pub ts_begin: Option<u64>,
    pub ts_end: Option<u64>,
    pub content_size: Option<u64>,
    pub packet_size: Option<u64>,
    /// Value and width in bits (the counter wraps at that width).
    pub discarded: Option<(u64, u32)>,
    pub seq_num: Option<u64>,
    pub cpu_id: Option<u64>,
}

/// The decoder's registers.
#[derive(Clone, Debug)]
pub(crate) struct Regs {
    pub slots: Vec<u64>,
    pub event_id: u64,
    pub clock: u64,
    pub packet: PacketRegs,
}

impl Regs {
    pub fn new(layout: &Layout) -> Self {
        Regs {
            slots: vec![0; layout.slots],
            event_id: 0,
            clock: 0,
            packet: PacketRegs::default(),
        }
    }

    #[inline]
    fn store(&mut self, slot: u16, role: Role, v: u64, bits: u32) {
        if slot != NO_SLOT {
            if let Some(s) = self.slots.get_mut(usize::from(slot)) {
                *s = v;
            }
        }
        match role {
            Role::None => {}
            Role::EventId => self.event_id = v,
            Role::Clock => {
                // CTF 1.8: an N-bit timestamp replaces the low N bits of the clock and adds
                // one wrap when they go down.
                if bits >= 64 {
                    self.clock = v;
                } else {
                    let mask = (1u64 << bits) - 1;
                    let mut c = (self.clock & !mask) | (v & mask);
                    if v & mask < self.clock & mask {
                        c = c.wrapping_add(1 << bits);
                    }
                    self.clock = c;
                }
            }
            Role::Magic => self.packet.magic = Some(v),
            Role::StreamId => self.packet.stream_id = Some(v),
            Role::StreamInstanceId => self.packet.stream_instance_id = Some(v),
            Role::TsBegin => self.packet.ts_begin = Some(v),
            Role::TsEnd => self.packet.ts_end = Some(v),
            Role::ContentSize => self.packet.content_size = Some(v),
            Role::PacketSize => self.packet.packet_size = Some(v),
            Role::Discarded => self.packet.discarded = Some((v, bits)),
            Role::SeqNum => self.packet.seq_num = Some(v),
            Role::CpuId => self.packet.cpu_id = Some(v),
        }
    }

    fn count(&self, c: Count) -> u64 {
        match c {
            Count::Fixed(n) => n,
            Count::Slot(s) => self.slots.get(usize::from(s)).copied().unwrap_or(0),
        }
    }

    fn option(&self, tag: u16, signed: bool, cases: &[Case]) -> Result<usize, Stop> {
        let raw = self.slots.get(usize::from(tag)).copied().unwrap_or(0);
        let v = if signed {
            i128::from(raw as i64)
        } else {
            i128::from(raw)
        };
        cases
            .iter()
            .find(|c| c.lo <= v && v <= c.hi)
            .map(|c| c.option as usize)
            .ok_or_else(|| Stop::Bad(format!("no variant option for tag value {v}")))
    }
}

/// A bit position in a byte slice, bounded by `end` (bits).
pub(crate) struct Cursor<'a> {
    pub data: &'a [u8],
    pub pos: u64,
    pub end: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8], pos: u64, end: u64) -> Self {
        Cursor {
            data,
            pos,
            end: end.min(data.len() as u64 * 8),
        }
    }

    #[inline]
    fn align(&mut self, a: u32) -> Result<(), Stop> {
        let a = u64::from(a);
        let p = self.pos.checked_add(a - 1).ok_or(Stop::Overrun)? & !(a - 1);
        self.pos = p;
        Ok(())
    }

    /// Reads `bits` (1..=64) bits; the sign is applied by the caller.
    #[inline(always)]
    pub fn read(&mut self, bits: u32, be: bool) -> Result<u64, Stop> {
        let end = self.pos + u64::from(bits);
        if end > self.end {
            return Err(Stop::Overrun);
        }
        let byte = (self.pos >> 3) as usize;
        let shift = (self.pos & 7) as u32;
        let d = self.data;
        let v = match (shift, bits, be) {
            (0, 8, _) => u64::from(d[byte]),
            (0, 16, false) => u64::from(u16::from_le_bytes([d[byte], d[byte + 1]])),
            (0, 32, false) => u64::from(u32::from_le_bytes(
                d[byte..byte + 4].try_into().unwrap_or_default(),
            )),
            (0, 64, false) => u64::from_le_bytes(d[byte..byte + 8].try_into().unwrap_or_default()),
            // Bit fields (compact event headers' tags and timestamps): one 8-byte load when the
            // data has 8 bytes there, instead of assembling the bytes one by one.
            (_, _, false) if bits > 0 && shift + bits <= 64 && byte + 8 <= d.len() => {
                let w = u64::from_le_bytes(d[byte..byte + 8].try_into().unwrap_or_default());
                (w >> shift) & (u64::MAX >> (64 - bits))
            }
            _ => {
                let n = (shift + bits).div_ceil(8) as usize;
                let bytes = &d[byte..byte + n];
                let mask = if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                };
                if be {
                    let acc = bytes.iter().fold(0u128, |a, &b| a << 8 | u128::from(b));
                    ((acc >> (n as u32 * 8 - shift - bits)) as u64) & mask
                } else {
                    let acc = bytes
                        .iter()
                        .rev()
                        .fold(0u128, |a, &b| a << 8 | u128::from(b));
                    ((acc >> shift) as u64) & mask
                }
            }
        };
        self.pos = end;
        Ok(v)
    }

    /// Moves past `bits` bits (checked against the end by the caller, as after [`run`]).
    #[inline(always)]
    pub(crate) fn skip(&mut self, bits: u64) -> Result<(), Stop> {
        self.pos = self.pos.checked_add(bits).ok_or(Stop::Overrun)?;
        Ok(())
    }

    /// Skips a NUL-terminated string at a byte-aligned position; returns its bytes.
    #[inline]
    pub(crate) fn string(&mut self) -> Result<&'a [u8], Stop> {
        if self.pos > self.end {
            return Err(Stop::Overrun);
        }
        let start = (self.pos >> 3) as usize;
        let rest = &self.data[start..(self.end >> 3) as usize];
        let n = first_nul(rest).ok_or(Stop::Overrun)?;
        self.pos = (start + n + 1) as u64 * 8;
        Ok(&rest[..n])
    }

    fn left(&self) -> u64 {
        self.end.saturating_sub(self.pos)
    }
}

/// Reads an event header through its table; returns the event id.
#[inline]
pub(crate) fn tagged_header(
    h: &TaggedHeader,
    c: &mut Cursor<'_>,
    r: &mut Regs,
) -> Result<u64, Stop> {
    if h.align > 1 {
        c.align(h.align)?;
    }
    c.pos = c.pos.checked_add(h.lead).ok_or(Stop::Overrun)?;
    let raw = sign(c.read(h.tag_bits, h.tag_be)?, h.tag_bits, h.tag_signed);
    if let Some(s) = r.slots.get_mut(usize::from(h.tag_slot)) {
        *s = raw;
    }
    let tag = if h.tag_signed {
        i128::from(raw as i64)
    } else {
        i128::from(raw)
    };
    for &(lo, hi, shape) in h.cases.iter() {
        if lo <= tag && tag <= hi {
            let mut id = if h.tag_is_id { raw } else { 0 };
            if let Some((off, bits, be)) = shape.id {
                let at = c.pos;
                c.pos += off;
                id = c.read(bits, be)?;
                c.pos = at;
            }
            c.pos += shape.len;
            return Ok(id);
        }
    }
    Err(Stop::Bad(format!(
        "no event header option for tag value {tag}"
    )))
}

#[inline]
fn sign(v: u64, bits: u32, signed: bool) -> u64 {
    if signed && bits < 64 {
        let s = 64 - bits;
        (((v << s) as i64) >> s) as u64
    } else {
        v
    }
}

/// Walks `ops` without building values. The position may pass `end` after a skip; callers
/// check it after the walk. Small enough to be inlined into the event loops; loops and
/// variants go through [`run_nested`].
#[inline]
pub(crate) fn run(ops: &[Op], c: &mut Cursor<'_>, r: &mut Regs) -> Result<(), Stop> {
    for op in ops {
        match op {
            Op::Skip(n) => c.skip(*n)?,
            Op::Align(a) => c.align(*a)?,
            Op::Read {
                bits,
                be,
                signed,
                slot,
                role,
            } => {
                let v = sign(c.read(*bits, *be)?, *bits, *signed);
                r.store(*slot, *role, v, *bits);
            }
            Op::Str => {
                c.string()?;
            }
            Op::SkipElems { count, stride } => {
                let bits = r.count(*count).checked_mul(*stride).ok_or(Stop::Overrun)?;
                c.pos = c.pos.checked_add(bits).ok_or(Stop::Overrun)?;
                if c.pos > c.end {
                    return Err(Stop::Overrun);
                }
            }
            Op::Loop { .. } | Op::Variant { .. } => run_nested(op, c, r)?,
        }
    }
    Ok(())
}

#[inline(never)]
fn run_nested(op: &Op, c: &mut Cursor<'_>, r: &mut Regs) -> Result<(), Stop> {
    match op {
        Op::Loop {
            count,
            min_elem,
            body,
        } => {
            let n = r.count(*count);
            check_count(n, *min_elem, c)?;
            for _ in 0..n {
                run(body, c, r)?;
                if c.pos > c.end {
                    return Err(Stop::Overrun);
                }
            }
        }
        Op::Variant {
            tag,
            signed,
            cases,
            options,
        } => {
            let o = r.option(*tag, *signed, cases)?;
            if let Some(ops) = options.get(o) {
                run(ops, c, r)?;
            }
        }
        _ => run(std::slice::from_ref(op), c, r)?,
    }
    Ok(())
}

/// Refuses element counts the bits left cannot hold (each element takes at least one bit of
/// the packet, even an empty one, for this purpose), so a corrupt length cannot make the
/// reader loop or allocate without bound.
fn check_count(n: u64, min_elem: u64, c: &Cursor<'_>) -> Result<(), Stop> {
    if n.saturating_mul(min_elem.max(1)) > c.left() {
        return Err(Stop::Overrun);
    }
    Ok(())
}

/// Decodes node `id` into a value, storing slots and roles like [`run`].
pub(crate) fn decode(
    nodes: &[Node],
    id: usize,
    c: &mut Cursor<'_>,
    r: &mut Regs,
) -> Result<Value, Stop> {
    match &nodes[id] {
        Node::Int(i) => int_value(i, c, r),
        Node::Float { bits, be, align } => {
            c.align(*align)?;
            let raw = c.read(*bits, *be)?;
            Ok(Value::Float(if *bits == 32 {
                f64::from(f32::from_bits(raw as u32))
            } else {
                f64::from_bits(raw)
            }))
        }
        Node::Str => {
            c.align(8)?;
            Ok(Value::Str(
                String::from_utf8_lossy(c.string()?).into_owned(),
            ))
        }
        Node::Struct { align, members } => {
            c.align(*align)?;
            let mut out = Vec::with_capacity(members.len());
            for (name, m) in members {
                out.push((name.clone(), decode(nodes, *m, c, r)?));
            }
            Ok(Value::Struct(out))
        }
        Node::Array {
            align,
            elem,
            len,
            text,
            min_elem,
        } => {
            c.align(*align)?;
            let n = r.count(*len);
            check_count(n, *min_elem, c)?;
            if *text {
                let bits = n * 8;
                if bits > c.left() {
                    return Err(Stop::Overrun);
                }
                let start = (c.pos >> 3) as usize;
                let bytes = &c.data[start..start + n as usize];
                c.pos += bits;
                let s = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
                return Ok(Value::Str(String::from_utf8_lossy(s).into_owned()));
            }
            let mut out = Vec::with_capacity(n.min(1 << 16) as usize);
            for _ in 0..n {
                out.push(decode(nodes, *elem, c, r)?);
            }
            Ok(Value::Array(out))
        }
        Node::Variant {
            tag,
            signed,
            cases,
            options,
        } => {
            let o = r.option(*tag, *signed, cases)?;
            match options.get(o) {
                Some((_, n)) => decode(nodes, *n, c, r),
                None => Err(Stop::Bad(format!("variant option {o} missing"))),
            }
        }
    }
}

fn int_value(i: &IntNode, c: &mut Cursor<'_>, r: &mut Regs) -> Result<Value, Stop> {
    c.align(i.align)?;
    let raw = c.read(i.bits, i.be)?;
    let v = sign(raw, i.bits, i.signed);
    r.store(i.slot, i.role, v, i.bits);
    if let Some(labels) = &i.labels {
        let wide = if i.signed {
            i128::from(v as i64)
        } else {
            i128::from(v)
        };
        let label: Option<Arc<str>> = labels
            .iter()
            .find(|m| m.lo <= wide && wide <= m.hi)
            .map(|m| m.label.clone());
        return Ok(Value::Enum { value: wide, label });
    }
    Ok(if i.signed {
        Value::Int(v as i64)
    } else {
        Value::UInt(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_fields_in_both_byte_orders() {
        // Little endian: bits fill from the least significant bit of each byte.
        let d = [0b1010_1101u8, 0b0000_0011, 0xff];
        let mut c = Cursor::new(&d, 0, 24);
        assert_eq!(c.read(3, false), Ok(0b101));
        assert_eq!(c.read(7, false), Ok(0b111_0101));
        // Big endian: from the most significant bit.
        let mut c = Cursor::new(&d, 0, 24);
        assert_eq!(c.read(3, true), Ok(0b101));
        assert_eq!(c.read(7, true), Ok(0b011_0100));
        assert_eq!(c.read(14, true), Ok(0b00_0011_1111_1111));
        assert_eq!(c.read(1, true), Err(Stop::Overrun));
        // Unaligned 64-bit reads span nine bytes.
        let d: Vec<u8> = (1..=9).collect();
        let mut c = Cursor::new(&d, 4, 72);
        let le = u128::from_le_bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(c.read(64, false), Ok((le >> 4) as u64));
        assert_eq!(sign(0b101, 3, true) as i64, -3);
    }

    #[test]
    fn first_nul_finds_the_first_zero_in_words_and_beyond() {
        for n in 0..80 {
            let mut b = vec![0x81u8; 90];
            b[n] = 0;
            b[n + 3] = 0;
            assert_eq!(first_nul(&b), Some(n), "{n}");
            assert_eq!(first_nul(&b[..n]), None);
        }
        assert_eq!(first_nul(&[1, 0]), Some(1));
    }

    #[test]
    fn clock_updates_wrap_on_the_low_bits() {
        let l = Layout {
            nodes: vec![],
            slots: 0,
            big_endian: false,
            packet_header_ops: vec![],
            has_magic: false,
            streams: vec![],
            classes: vec![],
            class_layouts: vec![],
            clock: None,
            uuid: None,
        };
        let mut r = Regs::new(&l);
        r.clock = 0x1_0000_00F0;
        r.store(NO_SLOT, Role::Clock, 0x10, 8);
        assert_eq!(r.clock, 0x1_0000_0110);
        r.store(NO_SLOT, Role::Clock, 0x20, 8);
        assert_eq!(r.clock, 0x1_0000_0120);
        r.store(NO_SLOT, Role::Clock, 5, 64);
        assert_eq!(r.clock, 5);
    }
}
