//! The control mapping a traced program shares with its recorder: a futex word its writers
//! bump when they seal a sub-buffer, and an append-only log of its event schemas.
//!
//! The program appends a schema before the call site's mask is published (both under the
//! registry lock), so every event id in a stream has its schema in the log by the time the
//! event is committed — also when the program is killed right after. The recorder reads
//! records up to the published length and trusts none of them: a malformed record ends its
//! reading of the log, never the recorder.

use crate::ringbuffer::notify::Notifier;
use crate::schema::EventSchema;
use crate::shm::Mapping;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::sync::Arc;

/// `"TCCL"`.
const CONTROL_MAGIC: u32 = 0x5443_434c;
/// Where the log starts.
const LOG_OFFSET: usize = 4096;
/// Size of the control memfd: the log gets the rest (pages are only allocated when written).
pub const CONTROL_LEN: usize = 4 << 20;
/// Largest schema record accepted.
const MAX_RECORD: usize = 1 << 20;

#[repr(C)]
struct ControlHeader {
    magic: u32,
    version: u32,
    /// The writers' futex word (see [`Notifier::in_shared`]).
    futex: AtomicU32,
    /// 1 when the program registered for the recorder's `membarrier` (see
    /// [`crate::membarrier`]).
    fenced: AtomicU32,
    /// Bytes of complete records in the log.
    log_len: AtomicU64,
    /// Streams the program created so far, counted before each is first written and in the
    /// order they are sent: a recorder that holds as many knows every stream that can
    /// hold an event.
    streams: AtomicU64,
}

const FUTEX_OFFSET: usize = 8;

fn header(mem: &Mapping) -> &ControlHeader {
    // SAFETY: every control mapping is `CONTROL_LEN` bytes (created so, or checked by
    // `map_fd`), page-aligned; the header's fields are atomics or plain integers.
    unsafe { &*mem.as_ptr().cast::<ControlHeader>() }
}

/// The program's side: creates the control mapping and appends schemas.
#[derive(Debug)]
pub struct ClassLog {
    mem: Arc<Mapping>,
}

impl ClassLog {
    /// A fresh control memfd.
    pub fn create() -> std::io::Result<ClassLog> {
        let mem = Mapping::memfd(c"tracer-control", CONTROL_LEN, false)?;
        // SAFETY: fresh zeroed mapping of CONTROL_LEN bytes, aligned.
        unsafe {
            mem.as_ptr().cast::<ControlHeader>().write(ControlHeader {
                magic: CONTROL_MAGIC,
                version: super::PROTOCOL_VERSION,
                futex: AtomicU32::new(0),
                fenced: AtomicU32::new(0),
                log_len: AtomicU64::new(0),
                streams: AtomicU64::new(0),
            })
        };
        Ok(ClassLog { mem: Arc::new(mem) })
    }

    /// The mapping, to pass its descriptor to the recorder.
    pub fn mapping(&self) -> &Mapping {
        &self.mem
    }

    /// The writers' notifier.
    pub fn notifier(&self) -> Option<Notifier> {
        Notifier::in_shared(self.mem.clone(), FUTEX_OFFSET)
    }

    /// Says that this process is included in the recorder's `membarrier`s.
    pub(crate) fn set_fenced(&self) {
        header(&self.mem).fenced.store(1, Release);
    }

    /// Counts one more stream; callers count in the order they send the streams.
    pub(crate) fn count_stream(&self) {
        header(&self.mem).streams.fetch_add(1, Relaxed);
    }

    /// Appends one schema; false when the log is full (the caller keeps the site disabled).
    /// Callers serialize appends (the registry lock).
    pub fn append(&self, schema: &EventSchema) -> bool {
        let mut rec = vec![0u8; 4];
        schema.encode(&mut rec);
        let body = rec.len() - 4;
        if body > MAX_RECORD {
            return false;
        }
        rec[..4].copy_from_slice(&(body as u32).to_le_bytes());
        let h = header(&self.mem);
        let at = h.log_len.load(Relaxed) as usize;
        if LOG_OFFSET + at + rec.len() > self.mem.len() {
            return false;
        }
        // SAFETY: in bounds (checked above) and beyond the published length, which the reader
        // never reads past.
        unsafe {
            std::ptr::copy_nonoverlapping(
                rec.as_ptr(),
                self.mem.as_ptr().add(LOG_OFFSET + at),
                rec.len(),
            )
        };
        // Release: the record's bytes before its publication.
        h.log_len.store((at + rec.len()) as u64, Release);
        true
    }
}

/// The recorder's side: reads the schemas a program published so far.
#[derive(Debug)]
pub struct ClassLogReader {
    mem: Arc<Mapping>,
    pos: usize,
    schemas: Vec<Arc<EventSchema>>,
    /// Set when a malformed record was met; nothing after it is read.
    pub broken: Option<String>,
}

impl ClassLogReader {
    /// Checks a received control mapping.
    pub fn new(mem: Mapping) -> Result<ClassLogReader, String> {
        if mem.len() != CONTROL_LEN {
            return Err("control mapping has the wrong size".into());
        }
        let h = header(&mem);
        if h.magic != CONTROL_MAGIC || h.version != super::PROTOCOL_VERSION {
            return Err("control mapping has a wrong magic or version".into());
        }
        Ok(ClassLogReader {
            mem: Arc::new(mem),
            pos: 0,
            schemas: Vec::new(),
            broken: None,
        })
    }

    /// The program's writers' notifier, to sleep on.
    pub fn notifier(&self) -> Option<Notifier> {
        Notifier::in_shared(self.mem.clone(), FUTEX_OFFSET)
    }

    /// Whether the program registered for the recorder's `membarrier`s.
    pub fn fenced(&self) -> bool {
        header(&self.mem).fenced.load(Acquire) == 1
    }

    /// Streams the program created so far.
    pub fn streams(&self) -> u64 {
        header(&self.mem).streams.load(Acquire)
    }

    /// Reads new records; true when some were added.
    pub fn refresh(&mut self) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let len = header(&self.mem).log_len.load(Acquire) as usize;
        let len = len.min(self.mem.len() - LOG_OFFSET);
        let before = self.schemas.len();
        // SAFETY: `LOG_OFFSET + len` is within the mapping; the program only writes beyond the
        // published length, and a misbehaving program can at worst change bytes we then
        // refuse to decode.
        let log = unsafe { std::slice::from_raw_parts(self.mem.as_ptr().add(LOG_OFFSET), len) };
        while self.pos + 4 <= log.len() {
            let n = u32::from_le_bytes(log[self.pos..self.pos + 4].try_into().unwrap_or([0; 4]));
            let Some(rec) = log.get(self.pos + 4..self.pos + 4 + n as usize) else {
                self.broken = Some(format!("schema record at {} is cut short", self.pos));
                break;
            };
            match EventSchema::decode(rec) {
                Some(s) if s.id as usize == self.schemas.len() => {
                    self.schemas.push(Arc::new(s));
                    self.pos += 4 + n as usize;
                }
                _ => {
                    self.broken = Some(format!("malformed schema record at {}", self.pos));
                    break;
                }
            }
        }
        self.schemas.len() != before
    }

    /// Every schema read so far (index = id).
    pub fn schemas(&self) -> &[Arc<EventSchema>] {
        &self.schemas
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Scalar;
    use crate::schema::{FieldKind, FieldSchema};

    fn schema(id: u32) -> EventSchema {
        EventSchema {
            id,
            provider: "p".into(),
            event: format!("e{id}"),
            file: "f.c".into(),
            line: id,
            function: "main".into(),
            level: 13,
            fields: vec![FieldSchema {
                name: "x".into(),
                kind: FieldKind::Number {
                    ty: Scalar::Int {
                        bits: 64,
                        signed: false,
                    },
                    hex: false,
                },
            }],
        }
    }

    #[test]
    fn the_recorder_reads_what_the_program_appended_through_the_memfd() {
        let log = ClassLog::create().unwrap();
        let fd = log.mapping().fd().unwrap().try_clone_to_owned().unwrap();
        let mut reader = ClassLogReader::new(Mapping::map_fd(fd, None).unwrap()).unwrap();
        assert!(!reader.refresh());
        assert!(log.append(&schema(0)));
        assert!(log.append(&schema(1)));
        assert!(reader.refresh());
        assert_eq!(reader.schemas().len(), 2);
        assert_eq!(reader.schemas()[1].event, "e1");
        // Both sides see the same futex word.
        let (a, b) = (log.notifier().unwrap(), reader.notifier().unwrap());
        a.wake();
        assert_eq!(b.current(), 1);
    }

    #[test]
    fn a_record_out_of_order_breaks_the_log_without_panicking() {
        let log = ClassLog::create().unwrap();
        let fd = log.mapping().fd().unwrap().try_clone_to_owned().unwrap();
        let mut reader = ClassLogReader::new(Mapping::map_fd(fd, None).unwrap()).unwrap();
        log.append(&schema(5));
        assert!(!reader.refresh());
        assert!(reader.broken.is_some());
    }
}
