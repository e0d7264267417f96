//! Wake-ups from writers to the consumer without busy polling: a futex word that writers bump
//! when they seal a sub-buffer (once per sub-buffer, never per event) and the consumer sleeps on
//! with a timeout. Inside one process the word is private; for a recorder in another process it
//! lives in the shared control mapping and the futex is a shared one.

use crate::shm::Mapping;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering::*};
use std::sync::Arc;
use std::time::Duration;

/// A futex-backed event counter.
#[derive(Debug)]
pub struct Notifier {
    word: NonNull<AtomicU32>,
    /// `FUTEX_PRIVATE_FLAG`, or 0 for a word in shared memory.
    private: libc::c_int,
    _own: Option<Box<AtomicU32>>,
    _shared: Option<Arc<Mapping>>,
}

// SAFETY: `word` points into `_own` or `_shared`, which the notifier keeps alive; it is only
// used through atomic operations and futex calls.
unsafe impl Send for Notifier {}
// SAFETY: as above.
unsafe impl Sync for Notifier {}

impl Default for Notifier {
    fn default() -> Self {
        let own = Box::new(AtomicU32::new(0));
        Notifier {
            word: NonNull::from(&*own),
            private: libc::FUTEX_PRIVATE_FLAG,
            _own: Some(own),
            _shared: None,
        }
    }
}

impl Notifier {
    /// A notifier whose word is the 4-byte-aligned `offset` of a shared mapping.
    pub fn in_shared(mem: Arc<Mapping>, offset: usize) -> Option<Self> {
        if !offset.is_multiple_of(4) || offset.checked_add(4)? > mem.len() {
            return None;
        }
        // SAFETY: in bounds and aligned (checked above); the mapping outlives the notifier.
        let word = NonNull::new(unsafe { mem.as_ptr().add(offset) }.cast::<AtomicU32>())?;
        Some(Notifier {
            word,
            private: 0,
            _own: None,
            _shared: Some(mem),
        })
    }

    fn word(&self) -> &AtomicU32 {
        // SAFETY: see the `Send` impl: the word lives as long as `self`.
        unsafe { self.word.as_ref() }
    }

    /// The current count; pass it to [`Notifier::wait`] after checking for work, so a wake-up
    /// between the check and the sleep is not missed.
    pub fn current(&self) -> u32 {
        self.word().load(Acquire)
    }

    /// Wakes the consumer.
    pub fn wake(&self) {
        self.word().fetch_add(1, Release);
        // SAFETY: FUTEX_WAKE on a valid, aligned u32 that outlives the call; no other memory
        // is touched.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.word.as_ptr(),
                libc::FUTEX_WAKE | self.private,
                i32::MAX,
            )
        };
    }

    /// Sleeps until [`Notifier::wake`] is called after `seen` was read, or `timeout` passes.
    pub fn wait(&self, seen: u32, timeout: Duration) {
        let ts = libc::timespec {
            tv_sec: timeout.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        // SAFETY: FUTEX_WAIT reads the u32 at a valid address and the timespec on our stack;
        // spurious returns (EINTR, EAGAIN) are fine for callers, who re-check for work.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.word.as_ptr(),
                libc::FUTEX_WAIT | self.private,
                seen,
                &ts as *const libc::timespec,
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn wait_returns_on_wake_and_on_stale_value() {
        let n = Arc::new(Notifier::default());
        let seen = n.current();
        n.wake();
        let t = Instant::now();
        n.wait(seen, Duration::from_secs(10)); // value changed: returns at once
        assert!(t.elapsed() < Duration::from_secs(5));

        let seen = n.current();
        let n2 = n.clone();
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            n2.wake();
        });
        let t = Instant::now();
        n.wait(seen, Duration::from_secs(10));
        assert!(t.elapsed() < Duration::from_secs(5));
        waker.join().unwrap();
    }
}
