//! Tracing other processes: a recorder (the session daemon, embedded in `tracer-lsp`) and the
//! traced programs it records, talking over a Unix socket named by `TRACER_SESSION`.
//!
//! A traced program ([`agent`]) connects on its first tracepoint hit (or from the C library's
//! constructor), announces itself and hands over a *control* memfd holding the futex its
//! writers wake and the log of its event schemas ([`log`]). The recorder ([`recorder`]) answers
//! with the channels and rules; the program creates its streams in sealed memfds and passes
//! them with `SCM_RIGHTS` ([`proto`]). From then on the recorder consumes the shared rings
//! exactly as the in-process consumer does, and keeps doing so after the program died: every
//! committed event is in memory the recorder still maps.
//!
//! What never happens in the traced program: waiting on the socket in a tracepoint, blocking
//! or crashing when the recorder is missing, slow or dead. Without a recorder the probes stay
//! disabled; when it goes away, the agent disables them.

pub mod agent;
pub mod beacon;
pub mod log;
pub mod net;
pub mod proto;
pub mod recorder;

pub use agent::ensure_connected;
pub use log::ClassLog;

/// The environment variable naming the recorder's socket.
pub const SESSION_ENV: &str = "TRACER_SESSION";
/// How long a program waits for the recorder at start-up (milliseconds; default 3000).
pub const REGISTER_TIMEOUT_ENV: &str = "TRACER_REGISTER_TIMEOUT_MS";
/// The file a recording directory holds while its recorder runs (hidden, so trace readers
/// skip it): `pid N`, `live_timer_us N` and a `complete DIR` line per trace whose program is
/// gone and whose packets are all written. Live viewers (the relay) treat the recording as
/// live while it exists and its recorder's process is alive.
pub const LIVE_MARKER: &str = ".live";
/// Version of the socket protocol and of the shared layouts.
pub const PROTOCOL_VERSION: u32 = 2;
