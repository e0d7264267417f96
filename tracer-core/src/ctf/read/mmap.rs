//! Read-only file mappings: stream files are decoded in place, by several threads at once,
//! without copying them into memory first.
//!
//! The mapping is private and read-only. A file truncated by another process while mapped
//! would fault on access; trace files only grow (a live trace) or stay as they are.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// A whole file, mapped.
pub(crate) struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned; `&[u8]` views of it are shared between threads
// like any other immutable bytes.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `path` (an empty file gives an empty mapping).
    pub fn open(path: &Path) -> std::io::Result<Mapping> {
        let f = File::open(path)?;
        let len = usize::try_from(f.metadata()?.len())
            .map_err(|_| std::io::Error::other("file too large to map"))?;
        if len == 0 {
            return Ok(Mapping {
                ptr: std::ptr::null_mut(),
                len: 0,
            });
        }
        // SAFETY: a fresh read-only private mapping of a file we opened; checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                f.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        // Start reading ahead now: the decoder goes through every page once. Advice only.
        // SAFETY: the range is the mapping just created.
        unsafe { libc::madvise(ptr, len, libc::MADV_WILLNEED) };
        Ok(Mapping { ptr, len })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `ptr` maps `len` readable bytes until `drop`.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: unmaps exactly what `open` mapped; no view outlives `self`.
            unsafe { libc::munmap(self.ptr, self.len) };
        }
    }
}
