//! Wake-ups from writers to the consumer without busy polling: a futex word that writers bump
//! when they seal a sub-buffer (once per sub-buffer, never per event) and the consumer sleeps on
//! with a timeout.

use std::sync::atomic::{AtomicU32, Ordering::*};
use std::time::Duration;

/// A futex-backed event counter.
#[derive(Debug, Default)]
pub struct Notifier {
    word: AtomicU32,
}

impl Notifier {
    /// The current count; pass it to [`Notifier::wait`] after checking for work, so a wake-up
    /// between the check and the sleep is not missed.
    pub fn current(&self) -> u32 {
        self.word.load(Acquire)
    }

    /// Wakes the consumer.
    pub fn wake(&self) {
        self.word.fetch_add(1, Release);
        // SAFETY: FUTEX_WAKE on a valid, aligned u32 that outlives the call; no other memory
        // is touched.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.word.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
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
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
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
