//! The LTTng live reading protocol on the wire: command codes, status codes and the packed,
//! big-endian structures of lttng-tools' `lttng-viewer-abi.h` (protocol 2.4, what babeltrace2
//! 2.0 speaks). Pure encoding and decoding; the relay's behaviour is in `viewer.rs`.
//!
//! Every message from a viewer is a 16-byte header (`data_size: u64`, `cmd: u32`,
//! `cmd_version: u32`) followed by `data_size` bytes of payload.

/// Protocol version the relay announces (babeltrace2 2.0 asks for 2.4).
pub const MAJOR: u32 = 2;
pub const MINOR: u32 = 4;

/// Bytes of the command header.
pub const HEADER_LEN: usize = 16;
/// No request has a payload larger than this; a header announcing more is malformed.
pub const MAX_PAYLOAD: u64 = 4096;

const HOST_NAME_MAX: usize = 64;
const NAME_MAX: usize = 255;
const PATH_MAX: usize = 4096;

/// `lttng_viewer_command`.
pub mod cmd {
    pub const CONNECT: u32 = 1;
    pub const LIST_SESSIONS: u32 = 2;
    pub const ATTACH_SESSION: u32 = 3;
    pub const GET_NEXT_INDEX: u32 = 4;
    pub const GET_PACKET: u32 = 5;
    pub const GET_METADATA: u32 = 6;
    pub const GET_NEW_STREAMS: u32 = 7;
    pub const CREATE_SESSION: u32 = 8;
    pub const DETACH_SESSION: u32 = 9;
}

/// `lttng_viewer_connection_type`: the only kind of connection there is.
pub const CLIENT_COMMAND: u32 = 1;

/// Index and packet reply flags.
pub const FLAG_NEW_METADATA: u32 = 1;
pub const FLAG_NEW_STREAM: u32 = 2;

/// `lttng_viewer_attach_return_code`.
pub mod attach {
    pub const OK: u32 = 1;
    pub const UNKNOWN: u32 = 3;
}
/// `lttng_viewer_next_index_return_code`.
pub mod index {
    pub const OK: u32 = 1;
    pub const RETRY: u32 = 2;
    pub const HUP: u32 = 3;
    pub const ERR: u32 = 4;
    /// No packet, but the stream has nothing older than the index's `timestamp_end` to come.
    pub const INACTIVE: u32 = 5;
    /// lttng-relayd's end of a stream (this relay says HUP).
    pub const EOF: u32 = 6;
}
/// `lttng_viewer_get_packet_return_code`.
pub mod packet {
    pub const OK: u32 = 1;
    pub const ERR: u32 = 3;
}
/// `lttng_viewer_get_metadata_return_code`.
pub mod metadata {
    pub const OK: u32 = 1;
    pub const NO_NEW: u32 = 2;
    pub const ERR: u32 = 3;
}
/// `lttng_viewer_new_streams_return_code`.
pub mod new_streams {
    pub const OK: u32 = 1;
    pub const NO_NEW: u32 = 2;
    pub const ERR: u32 = 3;
    pub const HUP: u32 = 4;
}
/// `lttng_viewer_create_session_return_code` and `..._detach_session_...`.
pub mod session {
    pub const OK: u32 = 1;
    pub const DETACH_UNKNOWN: u32 = 2;
}

/// A viewer's request, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Connect {
        major: u32,
        minor: u32,
        kind: u32,
    },
    ListSessions,
    CreateSession,
    Attach {
        session_id: u64,
    },
    NextIndex {
        stream_id: u64,
    },
    GetPacket {
        stream_id: u64,
        offset: u64,
        len: u32,
    },
    GetMetadata {
        stream_id: u64,
    },
    NewStreams {
        session_id: u64,
    },
    Detach {
        session_id: u64,
    },
}

/// The command header: (payload length, command code).
pub fn parse_header(h: &[u8; HEADER_LEN]) -> Result<(usize, u32), String> {
    let size = be64(&h[0..8]);
    let cmd = be32(&h[8..12]);
    if size > MAX_PAYLOAD {
        return Err(format!(
            "command {cmd} announces a {size}-byte payload (at most {MAX_PAYLOAD})"
        ));
    }
    Ok((size as usize, cmd))
}

/// Decodes the payload of command `cmd`.
pub fn parse_request(cmd: u32, p: &[u8]) -> Result<Request, String> {
    let need = |n: usize, what: &str| {
        if p.len() < n {
            Err(format!("{what} needs {n} payload bytes, got {}", p.len()))
        } else {
            Ok(())
        }
    };
    Ok(match cmd {
        cmd::CONNECT => {
            need(20, "CONNECT")?;
            Request::Connect {
                major: be32(&p[8..12]),
                minor: be32(&p[12..16]),
                kind: be32(&p[16..20]),
            }
        }
        cmd::LIST_SESSIONS => Request::ListSessions,
        cmd::CREATE_SESSION => Request::CreateSession,
        cmd::ATTACH_SESSION => {
            need(20, "ATTACH_SESSION")?;
            Request::Attach {
                session_id: be64(&p[0..8]),
            }
        }
        cmd::GET_NEXT_INDEX => {
            need(8, "GET_NEXT_INDEX")?;
            Request::NextIndex {
                stream_id: be64(&p[0..8]),
            }
        }
        cmd::GET_PACKET => {
            need(20, "GET_PACKET")?;
            Request::GetPacket {
                stream_id: be64(&p[0..8]),
                offset: be64(&p[8..16]),
                len: be32(&p[16..20]),
            }
        }
        cmd::GET_METADATA => {
            need(8, "GET_METADATA")?;
            Request::GetMetadata {
                stream_id: be64(&p[0..8]),
            }
        }
        cmd::GET_NEW_STREAMS => {
            need(8, "GET_NEW_STREAMS")?;
            Request::NewStreams {
                session_id: be64(&p[0..8]),
            }
        }
        cmd::DETACH_SESSION => {
            need(8, "DETACH_SESSION")?;
            Request::Detach {
                session_id: be64(&p[0..8]),
            }
        }
        other => return Err(format!("unknown command {other}")),
    })
}

fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes(b.try_into().unwrap_or([0; 8]))
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b.try_into().unwrap_or([0; 4]))
}

/// A reply being built: big-endian integers and fixed-size, NUL-padded strings.
#[derive(Default)]
pub struct Reply(pub Vec<u8>);

impl Reply {
    pub fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// `s` in a `len`-byte field, cut to leave room for the terminating NUL.
    fn text(mut self, s: &str, len: usize) -> Self {
        let b = &s.as_bytes()[..s.len().min(len - 1)];
        self.0.extend_from_slice(b);
        self.0.resize(self.0.len() + len - b.len(), 0);
        self
    }

    pub fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
}

/// The reply to CONNECT: `viewer_session_id`, version, connection type.
pub fn connect_reply(viewer_id: u64) -> Reply {
    Reply::default()
        .u64(viewer_id)
        .u32(MAJOR)
        .u32(MINOR)
        .u32(CLIENT_COMMAND)
}

/// One `lttng_viewer_session` of a LIST_SESSIONS reply.
#[derive(Clone, Debug)]
pub struct SessionEntry {
    pub id: u64,
    pub live_timer_us: u32,
    pub clients: u32,
    pub streams: u32,
    pub hostname: String,
    pub name: String,
}

pub fn write_session(r: Reply, s: &SessionEntry) -> Reply {
    r.u64(s.id)
        .u32(s.live_timer_us)
        .u32(s.clients)
        .u32(s.streams)
        .text(&s.hostname, HOST_NAME_MAX)
        .text(&s.name, NAME_MAX)
}

/// One `lttng_viewer_stream` of an ATTACH_SESSION or GET_NEW_STREAMS reply.
#[derive(Clone, Debug)]
pub struct StreamEntry {
    pub id: u64,
    pub trace_id: u64,
    pub metadata: bool,
    pub path: String,
    pub channel: String,
}

pub fn write_stream(r: Reply, s: &StreamEntry) -> Reply {
    r.u64(s.id)
        .u64(s.trace_id)
        .u32(u32::from(s.metadata))
        .text(&s.path, PATH_MAX)
        .text(&s.channel, NAME_MAX)
}

/// `lttng_viewer_index`: where a packet is and what its context says (sizes in bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Index {
    pub offset: u64,
    pub packet_bits: u64,
    pub content_bits: u64,
    pub timestamp_begin: u64,
    pub timestamp_end: u64,
    pub events_discarded: u64,
    /// The CTF stream class.
    pub stream_class: u64,
}

pub fn index_reply(i: &Index, status: u32, flags: u32) -> Reply {
    Reply::default()
        .u64(i.offset)
        .u64(i.packet_bits)
        .u64(i.content_bits)
        .u64(i.timestamp_begin)
        .u64(i.timestamp_end)
        .u64(i.events_discarded)
        .u64(i.stream_class)
        .u32(status)
        .u32(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(size: u64, cmd: u32) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(&size.to_be_bytes());
        h[8..12].copy_from_slice(&cmd.to_be_bytes());
        h
    }

    #[test]
    fn requests_decode_big_endian() {
        assert_eq!(parse_header(&header(20, 1)), Ok((20, 1)));
        let mut p = vec![0u8; 8];
        p.extend_from_slice(&2u32.to_be_bytes());
        p.extend_from_slice(&4u32.to_be_bytes());
        p.extend_from_slice(&1u32.to_be_bytes());
        assert_eq!(
            parse_request(1, &p),
            Ok(Request::Connect {
                major: 2,
                minor: 4,
                kind: 1
            })
        );
        let mut p = 7u64.to_be_bytes().to_vec();
        p.extend_from_slice(&4096u64.to_be_bytes());
        p.extend_from_slice(&100u32.to_be_bytes());
        assert_eq!(
            parse_request(5, &p),
            Ok(Request::GetPacket {
                stream_id: 7,
                offset: 4096,
                len: 100
            })
        );
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        assert!(parse_header(&header(1 << 40, 3))
            .unwrap_err()
            .contains("payload"));
        assert!(parse_request(42, &[])
            .unwrap_err()
            .contains("unknown command 42"));
        assert!(parse_request(4, &[0; 3])
            .unwrap_err()
            .contains("GET_NEXT_INDEX needs 8"));
    }

    #[test]
    fn structures_have_the_abi_sizes() {
        let s = SessionEntry {
            id: 1,
            live_timer_us: 250_000,
            clients: 0,
            streams: 2,
            hostname: "h".repeat(100),
            name: "s".into(),
        };
        let r = write_session(Reply::default(), &s).0;
        assert_eq!(r.len(), 8 + 4 + 4 + 4 + 64 + 255);
        assert_eq!(r[20 + 63], 0, "a long host name keeps its NUL");
        let st = StreamEntry {
            id: 1,
            trace_id: 1,
            metadata: true,
            path: "p".into(),
            channel: "metadata".into(),
        };
        assert_eq!(
            write_stream(Reply::default(), &st).0.len(),
            8 + 8 + 4 + 4096 + 255
        );
        assert_eq!(index_reply(&Index::default(), index::OK, 0).0.len(), 64);
    }
}
