//! Memory mappings the tracer's buffers live in: private anonymous memory for a session inside
//! the traced process, or a sealed `memfd` shared with a recorder in another process.
//!
//! A shared mapping is created by the traced program (mode 0600, close-on-exec) and sealed
//! against shrinking and growing before its descriptor is passed on, so the recorder that maps
//! it can never be made to fault on a page the program cut away; the recorder checks the seals
//! before it maps anything ([`Mapping::map_fd`]).

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

/// One mapping, unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    base: NonNull<u8>,
    len: usize,
    fd: Option<OwnedFd>,
}

// SAFETY: the mapping is owned by this value; users coordinate concurrent access to its bytes
// (atomics and the slot protocol), and the pointer is never handed out as a reference.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

const SEALS: libc::c_int = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;

fn map(len: usize, flags: libc::c_int, fd: libc::c_int) -> io::Result<NonNull<u8>> {
    if len == 0 {
        return Err(io::Error::other("empty mapping"));
    }
    // SAFETY: no address hint; the result is checked below. A shared mapping of `fd` covers
    // `len` bytes, which the callers checked against the file size.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            fd,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave null"))
}

impl Mapping {
    /// Private, zeroed, populated memory (a session inside this process).
    pub fn anonymous(len: usize) -> io::Result<Mapping> {
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE;
        Ok(Mapping {
            base: map(len, flags, -1)?,
            len,
            fd: None,
        })
    }

    /// Zeroed memory in a new sealed memfd, to be shared with a recorder. `populate` faults
    /// every page in now, so writers take no page fault later.
    pub fn memfd(name: &CStr, len: usize, populate: bool) -> io::Result<Mapping> {
        // SAFETY: `name` is a valid C string; flags are constants.
        let raw = unsafe {
            libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let size = libc::off_t::try_from(len).map_err(|_| io::Error::other("mapping too large"))?;
        // SAFETY: plain syscalls on our own descriptor.
        unsafe {
            if libc::fchmod(raw, 0o600) != 0
                || libc::ftruncate(raw, size) != 0
                || libc::fcntl(raw, libc::F_ADD_SEALS, SEALS) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        let mut flags = libc::MAP_SHARED;
        if populate {
            flags |= libc::MAP_POPULATE;
        }
        Ok(Mapping {
            base: map(len, flags, raw)?,
            len,
            fd: Some(fd),
        })
    }

    /// Maps a memfd received from another process: refuses descriptors that are not sealed
    /// against resizing or whose size is not `expected_len` (when given).
    pub fn map_fd(fd: OwnedFd, expected_len: Option<usize>) -> io::Result<Mapping> {
        let raw = fd.as_raw_fd();
        // SAFETY: F_GET_SEALS on a descriptor we own.
        let seals = unsafe { libc::fcntl(raw, libc::F_GET_SEALS) };
        if seals < 0 || seals & (libc::F_SEAL_SHRINK | libc::F_SEAL_GROW) == 0 {
            return Err(io::Error::other("shared buffer is not a sealed memfd"));
        }
        // SAFETY: fstat writes into the zeroed struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::fstat(raw, &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let len = usize::try_from(st.st_size).map_err(|_| io::Error::other("bad size"))?;
        if expected_len.is_some_and(|e| e != len) {
            return Err(io::Error::other(format!(
                "shared buffer has {len} bytes, expected {}",
                expected_len.unwrap_or(0)
            )));
        }
        Ok(Mapping {
            base: map(len, libc::MAP_SHARED, raw)?,
            len,
            fd: Some(fd),
        })
    }

    /// First byte.
    #[inline(always)]
    pub fn as_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Bytes mapped.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true (mappings are not empty); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The memfd behind a shared mapping.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        self.fd.as_ref().map(|f| f.as_fd())
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the region mapped at construction; no reference into it
        // outlives `self` (callers borrow the mapping for every access).
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memfd_is_sealed_private_and_maps_again() {
        let m = Mapping::memfd(c"tracer-test", 8192, true).unwrap();
        // SAFETY: in bounds of a fresh mapping only this test uses.
        unsafe { m.as_ptr().add(100).write(42) };
        let fd = m.fd().unwrap().try_clone_to_owned().unwrap();
        // SAFETY: fstat into a zeroed struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        assert_eq!(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) }, 0);
        assert_eq!(st.st_mode & 0o777, 0o600);
        // SAFETY: ftruncate on our descriptor; the seal must refuse it.
        assert_ne!(unsafe { libc::ftruncate(fd.as_raw_fd(), 4096) }, 0);
        let again = Mapping::map_fd(fd, Some(8192)).unwrap();
        // SAFETY: in bounds; both mappings show the same page.
        assert_eq!(unsafe { again.as_ptr().add(100).read() }, 42);
    }

    #[test]
    fn unsealed_or_wrong_sized_descriptors_are_refused() {
        let m = Mapping::memfd(c"tracer-test", 4096, false).unwrap();
        let fd = m.fd().unwrap().try_clone_to_owned().unwrap();
        assert!(Mapping::map_fd(fd, Some(8192)).is_err());
        let f = std::fs::File::open("/dev/null").unwrap();
        assert!(Mapping::map_fd(f.into(), None).is_err());
    }
}
