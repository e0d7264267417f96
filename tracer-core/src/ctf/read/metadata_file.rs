//! The metadata file: plain TSDL text, or LTTng's packetized form (packets of text, each
//! behind a 37-byte header with magic 0x75D11D57, the trace UUID, a checksum, content and
//! packet sizes in bits, compression, encryption and checksum schemes, and the CTF version).
//! Either way the result is the text and a map from text offsets back to file offsets, so
//! errors found while parsing point into the file.

use super::ReadError;
use std::path::Path;

const METADATA_MAGIC: u32 = 0x75D1_1D57;
const HEADER_LEN: usize = 37;

/// The TSDL text of a metadata file.
pub(crate) struct MetadataText {
    pub text: Vec<u8>,
    /// (text offset, file offset) where each packet's text starts.
    chunks: Vec<(usize, u64)>,
}

impl MetadataText {
    /// The file offset of a text offset.
    pub fn file_offset(&self, text_offset: usize) -> u64 {
        let i = self.chunks.partition_point(|&(t, _)| t <= text_offset);
        match i.checked_sub(1).and_then(|i| self.chunks.get(i)) {
            Some(&(t, f)) => f + (text_offset - t) as u64,
            None => text_offset as u64,
        }
    }
}

/// Reads a metadata file, unpacking packets if it is packetized.
pub(crate) fn read(path: &Path) -> Result<MetadataText, ReadError> {
    let bytes =
        std::fs::read(path).map_err(|e| ReadError::new(path, 0, format!("cannot read: {e}")))?;
    parse(path, bytes)
}

/// The TSDL text of the bytes of a metadata file (`path` names it in errors).
pub(crate) fn parse(path: &Path, bytes: Vec<u8>) -> Result<MetadataText, ReadError> {
    let magic = |b: &[u8]| -> Option<bool> {
        let w: [u8; 4] = b.get(..4)?.try_into().ok()?;
        if u32::from_le_bytes(w) == METADATA_MAGIC {
            Some(false)
        } else if u32::from_be_bytes(w) == METADATA_MAGIC {
            Some(true)
        } else {
            None
        }
    };
    let Some(be) = magic(&bytes) else {
        return Ok(MetadataText {
            text: bytes,
            chunks: vec![(0, 0)],
        });
    };
    let mut text = Vec::with_capacity(bytes.len());
    let mut chunks = Vec::new();
    let mut off = 0usize;
    while off < bytes.len() {
        let fail = |m: String| Err(ReadError::new(path, off as u64, m));
        let Some(h) = bytes.get(off..off + HEADER_LEN) else {
            return fail(format!(
                "metadata packet header cut short: {} bytes left, {HEADER_LEN} needed",
                bytes.len() - off
            ));
        };
        if magic(h) != Some(be) {
            return fail("bad metadata packet magic (expected 0x75d11d57)".into());
        }
        let u32_at = |i: usize| {
            let w: [u8; 4] = h[i..i + 4].try_into().unwrap_or_default();
            if be {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            }
        };
        let (content_bits, packet_bits) = (u32_at(24) as usize, u32_at(28) as usize);
        let (compression, encryption, checksum) = (h[32], h[33], h[34]);
        if compression != 0 || encryption != 0 || checksum != 0 {
            return fail(format!(
                "metadata packet uses compression {compression}, encryption {encryption}, checksum {checksum}: only 0 (none) is supported"
            ));
        }
        if content_bits % 8 != 0
            || packet_bits % 8 != 0
            || content_bits < HEADER_LEN * 8
            || packet_bits < content_bits
        {
            return fail(format!(
                "metadata packet sizes make no sense: content {content_bits} bits, packet {packet_bits} bits"
            ));
        }
        let end = off + content_bits / 8;
        let Some(body) = bytes.get(off + HEADER_LEN..end) else {
            return fail(format!(
                "metadata packet cut short: {} bytes declared, {} in the file",
                content_bits / 8,
                bytes.len() - off
            ));
        };
        chunks.push((text.len(), (off + HEADER_LEN) as u64));
        text.extend_from_slice(body);
        off += packet_bits / 8;
    }
    Ok(MetadataText { text, chunks })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(text: &str, padding: usize) -> Vec<u8> {
        let content = (HEADER_LEN + text.len()) * 8;
        let mut p = METADATA_MAGIC.to_le_bytes().to_vec();
        p.extend([0u8; 16]); // uuid
        p.extend(0u32.to_le_bytes()); // checksum
        p.extend((content as u32).to_le_bytes());
        p.extend((content as u32 + padding as u32 * 8).to_le_bytes());
        p.extend([0, 0, 0, 1, 8]);
        p.extend(text.as_bytes());
        p.extend(vec![0u8; padding]);
        p
    }

    #[test]
    fn packets_are_joined_and_offsets_map_back() {
        let dir = std::env::temp_dir().join(format!("tracer-core-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("metadata");
        let mut bytes = packet("/* CTF 1.8 */\nabc", 11);
        bytes.extend(packet("def", 0));
        std::fs::write(&f, &bytes).unwrap();
        let m = read(&f).unwrap();
        assert_eq!(m.text, b"/* CTF 1.8 */\nabcdef");
        assert_eq!(m.file_offset(0), 37);
        assert_eq!(m.file_offset(17), (37 + 17 + 11 + 37) as u64);

        bytes.truncate(bytes.len() - 2);
        std::fs::write(&f, &bytes).unwrap();
        let e = read(&f).err().unwrap();
        assert_eq!(e.offset, (37 + 17 + 11) as u64);
        assert!(e.message.contains("cut short"), "{e}");

        std::fs::write(&f, "plain text").unwrap();
        assert_eq!(read(&f).unwrap().file_offset(4), 4);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
