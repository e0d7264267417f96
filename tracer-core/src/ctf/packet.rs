//! Packet header and context: what the consumer puts in front of each sub-buffer's events when
//! it writes them to a stream file.
//!
//! The writer does not reserve room for these in the sub-buffer: the consumer knows everything
//! they hold (sizes, times, counters) when it writes the packet, and building them there keeps
//! the fast path free of packet bookkeeping and lets one sub-buffer be written as several
//! packets (partial flushes).

/// CTF's packet magic number.
pub const CTF_MAGIC: u32 = 0xC1FC_1FC1;

/// Bytes of header + context, as declared by [`TSDL_PACKET_HEADER`] and
/// [`TSDL_PACKET_CONTEXT`].
pub const PACKET_PREFIX_LEN: usize = 32 + 52;

/// What one packet's header and context say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketInfo {
    /// Trace UUID (same in every packet and in the metadata).
    pub uuid: [u8; 16],
    /// Stream class: the channel's index in its session.
    pub stream_id: u32,
    /// The stream within its channel.
    pub stream_instance_id: u64,
    /// Clock value at or before the first event.
    pub timestamp_begin: u64,
    /// Clock value at or after the last event.
    pub timestamp_end: u64,
    /// Bytes of events after the prefix.
    pub payload_len: usize,
    /// Per-stream packet counter; gaps mean lost packets.
    pub packet_seq_num: u64,
    /// Events the stream lost so far (cumulative).
    pub events_discarded: u64,
    /// CPU the sub-buffer was opened on.
    pub cpu_id: u32,
}

impl PacketInfo {
    /// The header and context bytes.
    pub fn encode(&self) -> [u8; PACKET_PREFIX_LEN] {
        let mut out = [0u8; PACKET_PREFIX_LEN];
        let bits = ((PACKET_PREFIX_LEN + self.payload_len) as u64) * 8;
        let mut at = 0;
        let mut put = |b: &[u8]| {
            out[at..at + b.len()].copy_from_slice(b);
            at += b.len();
        };
        put(&CTF_MAGIC.to_le_bytes());
        put(&self.uuid);
        put(&self.stream_id.to_le_bytes());
        put(&self.stream_instance_id.to_le_bytes());
        put(&self.timestamp_begin.to_le_bytes());
        put(&self.timestamp_end.to_le_bytes());
        put(&bits.to_le_bytes()); // content_size
        put(&bits.to_le_bytes()); // packet_size: no padding after the content
        put(&self.packet_seq_num.to_le_bytes());
        put(&self.events_discarded.to_le_bytes());
        put(&self.cpu_id.to_le_bytes());
        out
    }
}

impl PacketInfo {
    /// Reads back a header and context written by [`PacketInfo::encode`] (for readers that
    /// follow a stream file as it grows, like the live relay). Errors say what is wrong.
    pub fn decode(b: &[u8]) -> Result<PacketInfo, String> {
        let Some(b) = b.get(..PACKET_PREFIX_LEN) else {
            return Err("packet header cut short".into());
        };
        let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or([0; 4]));
        let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
        let magic = u32_at(0);
        if magic != CTF_MAGIC {
            return Err(format!(
                "bad packet magic {magic:#010x} (expected {CTF_MAGIC:#010x})"
            ));
        }
        let (content_bits, packet_bits) = (u64_at(48), u64_at(56));
        let prefix_bits = PACKET_PREFIX_LEN as u64 * 8;
        if content_bits != packet_bits || packet_bits < prefix_bits || packet_bits % 8 != 0 {
            return Err(format!(
                "impossible packet sizes: content_size {content_bits} bits, packet_size {packet_bits} bits"
            ));
        }
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&b[4..20]);
        Ok(PacketInfo {
            uuid,
            stream_id: u32_at(20),
            stream_instance_id: u64_at(24),
            timestamp_begin: u64_at(32),
            timestamp_end: u64_at(40),
            payload_len: usize::try_from((packet_bits - prefix_bits) / 8)
                .map_err(|_| "packet too large".to_owned())?,
            packet_seq_num: u64_at(64),
            events_discarded: u64_at(72),
            cpu_id: u32_at(80),
        })
    }
}

/// TSDL of the trace packet header.
pub const TSDL_PACKET_HEADER: &str = "\
	packet.header := struct {
		uint32_t magic;
		uint8_t uuid[16];
		uint32_t stream_id;
		uint64_t stream_instance_id;
	};";

/// TSDL of the stream packet context.
pub const TSDL_PACKET_CONTEXT: &str = "\
	packet.context := struct {
		uint64_clock_monotonic_t timestamp_begin;
		uint64_clock_monotonic_t timestamp_end;
		uint64_t content_size;
		uint64_t packet_size;
		uint64_t packet_seq_num;
		uint64_t events_discarded;
		uint32_t cpu_id;
	};";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_has_the_declared_layout() {
        let p = PacketInfo {
            uuid: [7; 16],
            stream_id: 2,
            stream_instance_id: 3,
            timestamp_begin: 10,
            timestamp_end: 20,
            payload_len: 16,
            packet_seq_num: 5,
            events_discarded: 6,
            cpu_id: 1,
        };
        let b = p.encode();
        assert_eq!(&b[..4], &[0xc1, 0x1f, 0xfc, 0xc1]);
        assert_eq!(&b[4..20], &[7; 16]);
        assert_eq!(u32::from_le_bytes(b[20..24].try_into().unwrap()), 2);
        assert_eq!(
            u64::from_le_bytes(b[48..56].try_into().unwrap()),
            (84 + 16) * 8
        );
        assert_eq!(u32::from_le_bytes(b[80..84].try_into().unwrap()), 1);
        assert_eq!(PacketInfo::decode(&b), Ok(p));
    }

    #[test]
    fn decode_rejects_what_encode_never_writes() {
        let mut b = PacketInfo {
            uuid: [0; 16],
            stream_id: 0,
            stream_instance_id: 0,
            timestamp_begin: 0,
            timestamp_end: 0,
            payload_len: 0,
            packet_seq_num: 0,
            events_discarded: 0,
            cpu_id: 0,
        }
        .encode();
        assert!(PacketInfo::decode(&b[..40])
            .unwrap_err()
            .contains("cut short"));
        b[56] = 1; // packet_size no longer equals content_size
        assert!(PacketInfo::decode(&b).unwrap_err().contains("impossible"));
        b[0] = 0;
        assert!(PacketInfo::decode(&b).unwrap_err().contains("magic"));
    }
}
