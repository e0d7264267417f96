//! The embedded tracer: per-CPU ring buffers, sessions and channels, and CTF 1.8 traces.
//!
//! Empty until the tracer-core issue lands; the crate exists so the workspace layout and the
//! dependency direction (`server -> tracer-core`, never `indexer -> tracer-core`) are fixed.
