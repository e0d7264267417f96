//! Streaming a recording to a relay (`tracer-lsp record --stream HOST:PORT`).
//!
//! Each trace of the recording gets a [`StreamSink`] among its consumer's sinks; the sink
//! never blocks and never fails: it puts the metadata and each whole packet in one bounded
//! queue (bytes) that a sender thread drains into a TCP connection ([`sender`]). When the
//! queue is full or the link is down, packets are dropped and counted (the gap in
//! `packet_seq_num` is valid CTF: readers report lost packets); the metadata is never dropped,
//! only replaced by a newer one. The sender reconnects with backoff and then sends the current
//! metadata of every trace again before any new packet. The frames are in [`wire`].

pub mod sender;
pub mod wire;

pub use sender::{StreamStats, StreamTarget, Streamer};
