//! The event header: which event class an event belongs to and when it happened, in 2 bytes for
//! the common case.
//!
//! LTTng's compact header packs a 5-bit id and 27 timestamp bits into 4 bytes. Ours is a 6-bit
//! tag followed by, depending on the tag (a CTF variant, so readers need nothing special):
//!
//! | tag      | rest                                   | total    | used when                       |
//! |----------|----------------------------------------|----------|---------------------------------|
//! | 0..=61   | 10 low timestamp bits (id = tag)       | 2 bytes  | id < 62, Δt < 2^10 ticks        |
//! | 62       | 26 low timestamp bits, u16 id          | 6 bytes  | id < 2^16, Δt < 2^26 ticks      |
//! | 63       | (2 pad bits) u32 id, u64 timestamp     | 13 bytes | otherwise                       |
//!
//! Δt is the distance from the previous event of the same packet (or the packet's
//! `timestamp_begin`): a reader replaces the low bits of its current clock value and adds one
//! wrap when they go down, which gives the exact time exactly when `0 <= Δt < 2^bits`. 2^10 TSC
//! ticks are ~0.4 µs at 2.6 GHz: dense bursts, where bytes matter, take 2 bytes; sparse events
//! pay 6. Event ids are per call site and handed out in first-hit order, so the first 62 call
//! sites a program reaches get the short form.

/// Tags below this value are compact headers whose tag is the event id.
pub const COMPACT_IDS: u32 = 62;
const MEDIUM_TAG: u8 = 62;
const EXTENDED_TAG: u8 = 63;
const COMPACT_TS_BITS: u32 = 10;
const MEDIUM_TS_BITS: u32 = 26;

/// Bytes of the header for event `id` at `delta` ticks after the previous event.
#[inline(always)]
pub fn header_len(id: u32, delta: u64) -> usize {
    if id < COMPACT_IDS && delta < 1 << COMPACT_TS_BITS {
        2
    } else if id <= u32::from(u16::MAX) && delta < 1 << MEDIUM_TS_BITS {
        6
    } else {
        13
    }
}

/// Writes a header of length `len` (from [`header_len`]) into `out[..len]`.
#[inline(always)]
pub fn write_header(out: &mut [u8], len: usize, id: u32, ts: u64) {
    match len {
        2 => {
            let w = id as u16 | (ts as u16 & ((1 << COMPACT_TS_BITS) - 1)) << 6;
            out[..2].copy_from_slice(&w.to_le_bytes());
        }
        6 => {
            let w = u32::from(MEDIUM_TAG) | (ts as u32 & ((1 << MEDIUM_TS_BITS) - 1)) << 6;
            out[..4].copy_from_slice(&w.to_le_bytes());
            out[4..6].copy_from_slice(&(id as u16).to_le_bytes());
        }
        _ => {
            out[0] = EXTENDED_TAG;
            out[1..5].copy_from_slice(&id.to_le_bytes());
            out[5..13].copy_from_slice(&ts.to_le_bytes());
        }
    }
}

/// Decodes the header at `bytes[pos..]` as a CTF reader does, updating `clock` (the current
/// clock value). Returns the event id and the position of the payload, or `None` if the bytes
/// end inside the header.
pub fn read_header(bytes: &[u8], pos: usize, clock: &mut u64) -> Option<(u32, usize)> {
    fn update(clock: &mut u64, low: u64, bits: u32) {
        let mask = (1u64 << bits) - 1;
        let mut v = (*clock & !mask) | low;
        if low < *clock & mask {
            v = v.wrapping_add(1 << bits);
        }
        *clock = v;
    }
    let b = bytes.get(pos..)?;
    let tag = *b.first()? & 0x3f;
    match tag {
        t if u32::from(t) < COMPACT_IDS => {
            let w = u16::from_le_bytes(b.get(..2)?.try_into().ok()?);
            update(clock, u64::from(w >> 6), COMPACT_TS_BITS);
            Some((u32::from(t), pos + 2))
        }
        MEDIUM_TAG => {
            let w = u32::from_le_bytes(b.get(..4)?.try_into().ok()?);
            update(clock, u64::from(w >> 6), MEDIUM_TS_BITS);
            let id = u16::from_le_bytes(b.get(4..6)?.try_into().ok()?);
            Some((u32::from(id), pos + 6))
        }
        _ => {
            let id = u32::from_le_bytes(b.get(1..5)?.try_into().ok()?);
            *clock = u64::from_le_bytes(b.get(5..13)?.try_into().ok()?);
            Some((id, pos + 13))
        }
    }
}

/// The TSDL declaration of the header above, for the stream class. A CTF structure is aligned
/// like its most aligned member, so every member of `compact` and `medium` has `align = 1`
/// (else the structure would skip the 2 bits after the tag); `extended` does skip them.
pub const TSDL_EVENT_HEADER: &str = "\
struct event_header_compact {
	enum : integer { size = 6; align = 8; signed = false; } { compact = 0 ... 61, medium = 62, extended = 63 } id;
	variant <id> {
		struct {
			integer { size = 10; align = 1; signed = false; map = clock.monotonic.value; } timestamp;
		} compact;
		struct {
			integer { size = 26; align = 1; signed = false; map = clock.monotonic.value; } timestamp;
			integer { size = 16; align = 1; signed = false; } id;
		} medium;
		struct {
			integer { size = 32; align = 8; signed = false; } id;
			integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } timestamp;
		} extended;
	} v;
} align(8)";

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(id: u32, prev: u64, ts: u64) -> usize {
        let len = header_len(id, ts - prev);
        let mut buf = [0u8; 16];
        write_header(&mut buf, len, id, ts);
        let mut clock = prev;
        assert_eq!(read_header(&buf, 0, &mut clock), Some((id, len)));
        assert_eq!(clock, ts, "id {id} prev {prev} ts {ts}");
        len
    }

    #[test]
    fn every_form_decodes_to_the_exact_time_across_wraps() {
        assert_eq!(roundtrip(5, 1000, 1000), 2);
        assert_eq!(roundtrip(61, 1023, 1024 + 1022), 2); // low bits go down: one wrap
        assert_eq!(roundtrip(62, 0, 5), 6); // id too large for the tag
        assert_eq!(roundtrip(3, 0, 1 << 10), 6); // Δt too large for 10 bits
        assert_eq!(roundtrip(70_000, 0, 5), 13);
        assert_eq!(roundtrip(1, 7, 7 + (1 << 26)), 13);
        assert_eq!(roundtrip(1, u64::MAX - 3, u64::MAX), 2);
    }

    #[test]
    fn truncated_headers_are_rejected() {
        let mut clock = 0;
        assert_eq!(read_header(&[62, 0, 0], 0, &mut clock), None);
        assert_eq!(read_header(&[63, 1, 0, 0, 0], 0, &mut clock), None);
        assert_eq!(read_header(&[], 0, &mut clock), None);
    }
}
