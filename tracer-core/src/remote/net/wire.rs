//! The target-to-relay streaming protocol's frames (pure: encoding, decoding, validation).
//!
//! Every frame is a 12-byte header — `kind`, `trace`, `len`, big-endian `u32`s — and `len`
//! bytes of payload. Strings are a big-endian `u16` length and UTF-8 bytes.
//!
//! | kind | from | payload |
//! |---|---|---|
//! | 1 `Hello` | target | magic `TRLY`, version, live timer (µs), host, session, token |
//! | 2 `Accepted` | relay | — |
//! | 3 `Refused` | relay | the reason (UTF-8, rest of the payload) |
//! | 4 `Metadata` | target | trace directory name, then the whole TSDL text (replaces the previous) |
//! | 5 `Packet` | target | stream file name, then one whole CTF packet (header, context, events) |
//! | 6 `Complete` | target | — (trace `trace` has all its packets) |
//! | 7 `End` | target | — (the recording is over) |
//! | 8 `Ack` | relay | `u64`: packets written to disk on this connection so far |
//! | 9 `Keepalive` | target | — (sent after 1 s without frames; the relay answers with an `Ack`) |
//! | 10 `Beacon` | target | stream file name, `u32` stream class, `u64` clock value (see [`crate::remote::beacon`]) |
//!
//! `trace` is the target's number for a trace; a `Metadata` names it (again after each
//! reconnection) before any packet of it. Names are single path components
//! ([`valid_name`]): the relay never takes a path from the network.

/// Header bytes.
pub const HEADER_LEN: usize = 12;
/// First word of a `Hello`.
pub const MAGIC: u32 = u32::from_be_bytes(*b"TRLY");
/// Protocol version.
pub const VERSION: u32 = 2;
/// Largest payload either side accepts: a 64 MiB packet and its name.
pub const MAX_PAYLOAD: usize = (64 << 20) + 1024;
/// Longest host, session, trace or stream name.
pub const MAX_NAME: usize = 255;
/// Longest token.
pub const MAX_TOKEN: usize = 1024;

/// Frame kinds.
pub mod kind {
    pub const HELLO: u32 = 1;
    pub const ACCEPTED: u32 = 2;
    pub const REFUSED: u32 = 3;
    pub const METADATA: u32 = 4;
    pub const PACKET: u32 = 5;
    pub const COMPLETE: u32 = 6;
    pub const END: u32 = 7;
    pub const ACK: u32 = 8;
    pub const KEEPALIVE: u32 = 9;
    pub const BEACON: u32 = 10;
}

/// A decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Hello {
        live_timer_us: u32,
        host: String,
        session: String,
        token: String,
    },
    Accepted,
    Refused(String),
    Metadata {
        trace: u32,
        name: String,
        text: Vec<u8>,
    },
    Packet {
        trace: u32,
        stream: String,
        bytes: Vec<u8>,
    },
    Complete(u32),
    End,
    Ack(u64),
    Keepalive,
    /// Stream `stream` of trace `trace` has nothing older than `ts` still to come.
    Beacon {
        trace: u32,
        stream: String,
        class: u32,
        ts: u64,
    },
}

/// `(kind, trace, len)` of a header; fails on a payload over [`MAX_PAYLOAD`].
pub fn parse_header(h: &[u8; HEADER_LEN]) -> Result<(u32, u32, usize), String> {
    let word = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let (kind, trace, len) = (word(0), word(4), word(8) as usize);
    if len > MAX_PAYLOAD {
        return Err(format!(
            "{len}-byte payload (frame kind {kind}) exceeds the {MAX_PAYLOAD}-byte limit"
        ));
    }
    Ok((kind, trace, len))
}

/// A frame's header followed by its payload parts.
pub fn encode(kind: u32, trace: u32, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(HEADER_LEN + len);
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&trace.to_be_bytes());
    out.extend_from_slice(&(len as u32).to_be_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// A string field (length-prefixed); `s` must be shorter than 64 KiB.
pub fn string(s: &str) -> Vec<u8> {
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    let mut out = (b.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(b);
    out
}

/// A `Hello` frame.
pub fn hello(live_timer_us: u32, host: &str, session: &str, token: &str) -> Vec<u8> {
    encode(
        kind::HELLO,
        0,
        &[
            &MAGIC.to_be_bytes(),
            &VERSION.to_be_bytes(),
            &live_timer_us.to_be_bytes(),
            &string(host),
            &string(session),
            &string(token),
        ],
    )
}

/// A `Beacon` frame.
pub fn beacon(trace: u32, stream: &str, class: u32, ts: u64) -> Vec<u8> {
    encode(
        kind::BEACON,
        trace,
        &[&string(stream), &class.to_be_bytes(), &ts.to_be_bytes()],
    )
}

/// Whether `s` may name a directory or file under the relay's root: 1 to [`MAX_NAME`] bytes of
/// ASCII letters, digits, `.`, `_` and `-`, not starting with `.` (so never `.` or `..`, and
/// never hidden from the catalog).
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let s = self
            .b
            .get(self.at..self.at + n)
            .ok_or_else(|| format!("{what} cut short at byte {}", self.at))?;
        self.at += n;
        Ok(s)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let s = self.take(4, what)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn string(&mut self, what: &str, max: usize) -> Result<String, String> {
        let n = self.take(2, what)?;
        let n = usize::from(u16::from_be_bytes([n[0], n[1]]));
        if n > max {
            return Err(format!("{what} is {n} bytes (at most {max})"));
        }
        let s = self.take(n, what)?;
        String::from_utf8(s.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
    }

    fn name(&mut self, what: &str) -> Result<String, String> {
        let s = self.string(what, MAX_NAME)?;
        if !valid_name(&s) {
            return Err(format!(
                "{what} {s:?} is not a plain name (letters, digits, '.', '_', '-'; not starting with '.')"
            ));
        }
        Ok(s)
    }

    fn rest(&mut self) -> Vec<u8> {
        let r = self.b[self.at.min(self.b.len())..].to_vec();
        self.at = self.b.len();
        r
    }

    fn end(&self, what: &str) -> Result<(), String> {
        if self.at == self.b.len() {
            Ok(())
        } else {
            Err(format!(
                "{} stray bytes after {what}",
                self.b.len() - self.at
            ))
        }
    }
}

/// Decodes and validates one frame's payload.
pub fn decode(kind: u32, trace: u32, payload: &[u8]) -> Result<Frame, String> {
    let mut c = Cursor { b: payload, at: 0 };
    let frame = match kind {
        kind::HELLO => {
            let magic = c.u32("hello")?;
            if magic != MAGIC {
                return Err(format!(
                    "not a tracer target (magic {magic:#010x}, expected {MAGIC:#010x})"
                ));
            }
            let version = c.u32("hello")?;
            if version != VERSION {
                return Err(format!(
                    "target speaks protocol {version}, this relay speaks {VERSION}"
                ));
            }
            let live_timer_us = c.u32("hello")?;
            Frame::Hello {
                live_timer_us,
                host: c.name("host name")?,
                session: c.name("session name")?,
                token: c.string("token", MAX_TOKEN)?,
            }
        }
        kind::ACCEPTED => Frame::Accepted,
        kind::REFUSED => Frame::Refused(String::from_utf8_lossy(&c.rest()).into_owned()),
        kind::METADATA => {
            let name = c.name("trace name")?;
            Frame::Metadata {
                trace,
                name,
                text: c.rest(),
            }
        }
        kind::PACKET => {
            let stream = c.name("stream name")?;
            Frame::Packet {
                trace,
                stream,
                bytes: c.rest(),
            }
        }
        kind::COMPLETE => Frame::Complete(trace),
        kind::END => Frame::End,
        kind::ACK => {
            let s = c.take(8, "ack")?;
            Frame::Ack(u64::from_be_bytes(s.try_into().unwrap_or([0; 8])))
        }
        kind::KEEPALIVE => Frame::Keepalive,
        kind::BEACON => {
            let stream = c.name("stream name")?;
            let class = c.u32("beacon")?;
            let ts = c.take(8, "beacon")?;
            Frame::Beacon {
                trace,
                stream,
                class,
                ts: u64::from_be_bytes(ts.try_into().unwrap_or([0; 8])),
            }
        }
        k => return Err(format!("unknown frame kind {k}")),
    };
    c.end("the frame")?;
    Ok(frame)
}

/// Compares two secrets in time that depends on their lengths only.
pub fn same_token(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bytes: &[u8]) -> Frame {
        let h: [u8; HEADER_LEN] = bytes[..HEADER_LEN].try_into().unwrap();
        let (k, t, len) = parse_header(&h).unwrap();
        assert_eq!(len, bytes.len() - HEADER_LEN);
        decode(k, t, &bytes[HEADER_LEN..]).unwrap()
    }

    #[test]
    fn hello_roundtrips() {
        assert_eq!(
            roundtrip(&hello(250_000, "board-1", "20261127-0843", "s3cret")),
            Frame::Hello {
                live_timer_us: 250_000,
                host: "board-1".into(),
                session: "20261127-0843".into(),
                token: "s3cret".into()
            }
        );
    }

    #[test]
    fn packets_and_metadata_roundtrip() {
        let f = encode(kind::PACKET, 7, &[&string("chan_0"), b"abc", b"def"]);
        assert_eq!(
            roundtrip(&f),
            Frame::Packet {
                trace: 7,
                stream: "chan_0".into(),
                bytes: b"abcdef".to_vec()
            }
        );
        let f = encode(kind::METADATA, 1, &[&string("hello-42"), b"/* CTF 1.8 */"]);
        assert!(matches!(roundtrip(&f), Frame::Metadata { trace: 1, .. }));
        let f = encode(kind::ACK, 0, &[&9u64.to_be_bytes()]);
        assert_eq!(roundtrip(&f), Frame::Ack(9));
        assert_eq!(
            roundtrip(&beacon(3, "chan_1", 0, u64::MAX - 5)),
            Frame::Beacon {
                trace: 3,
                stream: "chan_1".into(),
                class: 0,
                ts: u64::MAX - 5
            }
        );
        let f = beacon(0, "chan_0", 0, 1);
        assert!(decode(kind::BEACON, 0, &f[HEADER_LEN..f.len() - 1]).is_err());
    }

    #[test]
    fn names_are_single_plain_components() {
        for bad in [
            "",
            ".",
            "..",
            "../etc",
            "a/b",
            ".live",
            "a b",
            "é",
            &"x".repeat(256),
        ] {
            assert!(!valid_name(bad), "{bad:?} accepted");
        }
        for good in ["hello-rs-42", "board.local", "20261127-084328", "chan_0"] {
            assert!(valid_name(good), "{good:?} refused");
        }
        let f = encode(kind::PACKET, 0, &[&string("../x"), b"p"]);
        assert!(decode(kind::PACKET, 0, &f[HEADER_LEN..])
            .unwrap_err()
            .contains("not a plain name"));
    }

    #[test]
    fn malformed_frames_are_errors() {
        let mut h = [0u8; HEADER_LEN];
        h[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_header(&h).unwrap_err().contains("exceeds"));
        assert!(decode(99, 0, &[])
            .unwrap_err()
            .contains("unknown frame kind 99"));
        assert!(decode(kind::HELLO, 0, b"XXXX")
            .unwrap_err()
            .contains("magic"));
        assert!(decode(kind::END, 0, b"x").unwrap_err().contains("stray"));
        let f = hello(0, "h", "s", "t");
        for cut in HEADER_LEN..f.len() - 1 {
            assert!(decode(kind::HELLO, 0, &f[HEADER_LEN..cut]).is_err());
        }
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token(b"abc", b"abc"));
        assert!(!same_token(b"abc", b"abd"));
        assert!(!same_token(b"abc", b"abcd"));
        assert!(!same_token(b"", b"a"));
        assert!(same_token(b"", b""));
    }
}
