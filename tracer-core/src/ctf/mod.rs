//! CTF 1.8 output: the event header ([`header`]), packet header and context ([`packet`]), TSDL
//! metadata ([`metadata`]), and [`walk_events`], the minimal reader the consumer needs to cut a
//! sub-buffer that is still being written into a packet. [`read`] is the full reader, for any
//! CTF 1.8 trace (LTTng's included).

pub mod header;
pub mod metadata;
pub mod packet;
pub mod read;

use crate::schema::EventSchema;
use std::sync::Arc;

/// How far [`walk_events`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// Complete events decoded.
    pub events: u64,
    /// Clock value of the last of them (the start value if none).
    pub clock: u64,
    /// Bytes they occupy.
    pub len: usize,
}

/// Decodes the events in `bytes`, starting from clock value `clock`, as a CTF reader would.
/// Stops before the first event it cannot decode (unknown id, cut short), so the prefix it
/// reports is always a valid packet body.
pub fn walk_events(bytes: &[u8], clock: u64, classes: &[Arc<EventSchema>]) -> Walk {
    walk_events_with(bytes, clock, classes, |_| {})
}

/// One complete event met by [`walk_events_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpan {
    /// Event-class id.
    pub id: u32,
    /// Its clock value.
    pub clock: u64,
    /// Where its payload starts and ends in the walked bytes.
    pub payload: (usize, usize),
}

/// [`walk_events`], calling `seen` for every complete event.
pub fn walk_events_with(
    bytes: &[u8],
    clock: u64,
    classes: &[Arc<EventSchema>],
    mut seen: impl FnMut(EventSpan),
) -> Walk {
    let mut w = Walk {
        events: 0,
        clock,
        len: 0,
    };
    let mut clock = clock;
    while w.len < bytes.len() {
        let Some((id, mut pos)) = header::read_header(bytes, w.len, &mut clock) else {
            break;
        };
        let Some(class) = classes.get(id as usize) else {
            break;
        };
        let start = pos;
        let mut ok = true;
        for f in &class.fields {
            match f.kind.skip(bytes, pos) {
                Some(p) => pos = p,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            break;
        }
        seen(EventSpan {
            id,
            clock,
            payload: (start, pos),
        });
        w = Walk {
            events: w.events + 1,
            clock,
            len: pos,
        };
    }
    w
}

/// The first NUL byte. Most strings in traces are short: the first 32 bytes are tested a word
/// at a time (a zero byte sets its high bit in `(w - 0x01…) & !w & 0x80…`, and the lowest set
/// bit is always a true zero), then memchr takes over.
#[inline(always)]
pub(crate) fn first_nul(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i < 32 {
        let Some(w) = b.get(i..i + 8) else { break };
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let z = w.wrapping_sub(ONES) & !w & HIGHS;
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr(0, &b[i..]).map(|n| i + n)
}
