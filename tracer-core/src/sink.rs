//! Where a consumer's trace bytes go. A trace is a metadata text that is replaced as it grows
//! and, per stream, a sequence of whole CTF packets; a [`TraceSink`] receives exactly that.
//! [`FileSink`] writes a trace directory (`metadata`, `<channel>_<stream>` files), the
//! network streamer ([`crate::remote::net`]) sends the same to a relay.

use crate::error::{io_at, Error};
use crate::remote::beacon::Beacon;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

/// One trace's destination.
pub(crate) trait TraceSink: Send {
    /// Replaces the trace's metadata with `text` (a superset of the previous one).
    fn metadata(&mut self, text: &[u8]) -> Result<(), Error>;
    /// Appends one whole packet (`prefix`: header and context, then `payload`) to `stream`.
    fn packet(&mut self, stream: &str, prefix: &[u8], payload: &[u8]) -> Result<(), Error>;
    /// `stream` (of class `class`) will have no event older than clock value `ts` besides
    /// the packets already given (see [`crate::remote::beacon`]).
    fn beacon(&mut self, stream: &str, class: u32, ts: u64) -> Result<(), Error>;
    /// Every packet of the trace was given.
    fn complete(&mut self) {}
}

/// A trace directory on disk.
pub(crate) struct FileSink {
    dir: PathBuf,
    files: HashMap<String, File>,
}

impl FileSink {
    pub(crate) fn boxed(dir: PathBuf) -> Box<dyn TraceSink> {
        Box::new(FileSink {
            dir,
            files: HashMap::new(),
        })
    }
}

impl TraceSink for FileSink {
    /// Written to a side name and renamed, so a reader never sees half a file.
    fn metadata(&mut self, text: &[u8]) -> Result<(), Error> {
        let tmp = self.dir.join(".metadata.tmp");
        let path = self.dir.join("metadata");
        std::fs::write(&tmp, text).map_err(io_at(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_at(&path))
    }

    fn packet(&mut self, stream: &str, prefix: &[u8], payload: &[u8]) -> Result<(), Error> {
        let path = self.dir.join(stream);
        let file = match self.files.get_mut(stream) {
            Some(f) => f,
            None => {
                let f = File::create(&path).map_err(io_at(&path))?;
                self.files.entry(stream.to_owned()).or_insert(f)
            }
        };
        file.write_all(prefix).map_err(io_at(&path))?;
        file.write_all(payload).map_err(io_at(&path))
    }

    fn beacon(&mut self, stream: &str, class: u32, ts: u64) -> Result<(), Error> {
        let b = Beacon {
            ts,
            class: u64::from(class),
        };
        b.write(&self.dir, stream).map_err(io_at(
            self.dir.join(crate::remote::beacon::DIR).join(stream),
        ))
    }

    fn complete(&mut self) {
        crate::remote::beacon::remove_all(&self.dir);
    }
}
