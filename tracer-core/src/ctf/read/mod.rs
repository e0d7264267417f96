//! The CTF 1.8 trace reader: LTTng's traces (UST and kernel) and tracer-core's own, read from
//! their TSDL metadata with no knowledge built in of either.
//!
//! [`Trace::open`] parses and compiles the metadata ([`tsdl`] → [`layout`]: every type becomes
//! a node tree for values and, per event class, a short list of decode ops for counting).
//! [`count`] maps every stream file of every trace under a directory, lists their packets
//! ([`stream`]: from index files or packet headers) and walks the packets on several threads,
//! counting events per class without building values. [`Trace::events`] decodes events with
//! their values ([`Value`]) for the classes a caller asks for, in time order across streams.
//!
//! Bad input never panics: errors name the file and byte offset ([`ReadError`]), a packet
//! that cannot be read is skipped, a truncated one keeps its complete events.

mod count;
mod events;
mod exec;
mod layout;
mod lex;
mod metadata_file;
mod mmap;
mod stream;
mod trace;
mod tsdl;
mod value;

pub use count::{count, count_packets, count_traces, ClassCount, Counts};
pub use events::{Decode, Event, Events, Fields};
pub use layout::EventClass;
pub use trace::Trace;
pub use tsdl::Clock;
pub use value::{field, Value};

use std::fmt;
use std::path::{Path, PathBuf};

/// Something in a trace that could not be read: the file, the byte offset in it, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// The metadata file, stream file, index file or directory.
    pub file: PathBuf,
    /// Byte offset in that file (0 for a whole file or directory).
    pub offset: u64,
    /// What is wrong, and what was skipped because of it.
    pub message: String,
}

impl ReadError {
    pub(crate) fn new(file: &Path, offset: u64, message: String) -> Self {
        ReadError {
            file: file.to_path_buf(),
            offset,
            message,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: offset {}: {}",
            self.file.display(),
            self.offset,
            self.message
        )
    }
}

impl std::error::Error for ReadError {}

/// Every trace directory under `root` (`root` included): the directories holding a `metadata`
/// file, sorted. LTTng puts several under one session directory
/// (`ust/uid/0/64-bit/`, `ust/pid/NAME-PID-DATE/`, `kernel/`). Symbolic links to directories
/// are not followed.
pub fn discover(root: &Path) -> (Vec<PathBuf>, Vec<ReadError>) {
    let mut traces = Vec::new();
    let mut errors = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join("metadata").is_file() {
            traces.push(dir.clone());
        }
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for e in entries.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        stack.push(e.path());
                    }
                }
            }
            Err(e) => errors.push(ReadError::new(&dir, 0, format!("cannot list: {e}"))),
        }
    }
    traces.sort();
    (traces, errors)
}
