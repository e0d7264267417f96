//! Atomics used by the ring-buffer protocol, switched to `loom`'s model-checked versions under
//! `cfg(loom)` so the reserve/commit/hand-over protocol is explored exhaustively by the loom
//! tests while production code uses the standard library.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
