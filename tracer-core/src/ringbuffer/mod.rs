//! The ring buffer, split as LTTng's: [`config`] describes a channel, [`backend`] owns the
//! sub-buffer memory and [`slot`] the hand-over protocol between writer and consumer,
//! [`frontend`] is the writer's fast path (reserve, write, commit), [`notify`] wakes the
//! consumer.
//!
//! **Per-thread, not per-CPU.** Each (thread, channel) pair writes to its own stream. A per-CPU
//! buffer has several potential writers (threads preempted or migrated between reading the CPU
//! number and committing, signal handlers), so its reserve must be an atomic read-modify-write
//! (LTTng uses a local `cmpxchg`) or an rseq critical section written in assembly. A per-thread
//! stream has exactly one writer, so reserve and commit are plain loads and stores plus one
//! Release store of the commit offset (a plain `mov` on x86): no locked instruction on the fast
//! path, no migration window to handle, no CPU-number read. What it costs: one stream per
//! writing thread (bounded by reusing the streams of exited threads, see
//! [`frontend::StreamWriter::adopt`]) and events of different threads are ordered by timestamp
//! only, which is all CTF readers use anyway.
//!
//! Under `cfg(loom)` only [`config`] and [`slot`] are built: the loom tests model-check the
//! slot protocol with loom's atomics. The benchmark (`benches/emit.rs`) prints the
//! cost of a `lock cmpxchg` next to the event cost for reference.

#[cfg(not(loom))]
pub mod backend;
pub mod config;
#[cfg(not(loom))]
pub mod frontend;
#[cfg(not(loom))]
pub mod notify;
pub mod slot;

#[cfg(not(loom))]
use std::sync::Arc;

/// One stream of a channel: its ring and how its writer reaches the consumer.
#[cfg(not(loom))]
#[derive(Debug)]
pub struct Stream {
    /// The sub-buffers.
    pub ring: backend::RingBuffer,
    /// `stream_instance_id` in the trace, unique within the channel.
    pub id: u64,
    /// Full-buffer policy.
    pub mode: config::Mode,
    /// Woken when a sub-buffer is sealed.
    pub notifier: Arc<notify::Notifier>,
}
