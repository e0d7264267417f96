//! The tracer's mutexes as seen from tracepoints. A tracepoint's slow paths (first hit of a call
//! site, first event of a thread in a channel) take the channel table, registry and stream-list
//! locks; a tracepoint in a signal handler that interrupted its own thread inside a session call
//! holding one of them would deadlock. Every tracer lock is therefore taken through [`lock`],
//! which counts per thread how many are held, and tracepoints use [`lock_from_tracepoint`],
//! which refuses (the event is counted lost) instead of waiting when this thread holds one.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{compiler_fence, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard};

thread_local! {
    static HELD: Cell<u32> = const { Cell::new(0) };
}

/// A held tracer lock.
pub(crate) struct Held<'a, T> {
    guard: Option<MutexGuard<'a, T>>,
}

impl<T> Deref for Held<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // `guard` is `Some` until drop.
        self.guard.as_deref().unwrap_or_else(|| unreachable!())
    }
}

impl<T> DerefMut for Held<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_deref_mut().unwrap_or_else(|| unreachable!())
    }
}

impl<T> Drop for Held<'_, T> {
    fn drop(&mut self) {
        self.guard = None;
        compiler_fence(SeqCst);
        let _ = HELD.try_with(|h| h.set(h.get().saturating_sub(1)));
    }
}

/// Locks `m`. Every critical section leaves its data consistent between statements that could
/// panic, so a poisoned lock is still usable. The count goes up before waiting, so a signal
/// handler running while this thread waits or holds sees it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> Held<'_, T> {
    let _ = HELD.try_with(|h| h.set(h.get() + 1));
    compiler_fence(SeqCst);
    Held {
        guard: Some(m.lock().unwrap_or_else(|e| e.into_inner())),
    }
}

/// Locks `m` unless this thread already holds a tracer lock (it is then running a signal
/// handler inside a session call, or tracing from tracer code), which would deadlock.
pub(crate) fn lock_from_tracepoint<T>(m: &Mutex<T>) -> Option<Held<'_, T>> {
    if HELD.try_with(Cell::get).unwrap_or(1) > 0 {
        return None;
    }
    Some(lock(m))
}
