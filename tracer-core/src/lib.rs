//! The embedded tracer: per-thread lock-free ring buffers, sessions and channels, CTF 1.8
//! traces, and the `tracepoint!` macro.
//!
//! ```no_run
//! use tracer_core::{tracepoint, ChannelConfig, EventRule, Session};
//!
//! let session = Session::create("demo", "demo-trace")?;
//! let ch = session.add_channel("chan", ChannelConfig::default())?;
//! session.enable_event(ch, EventRule::new("myapp:*"))?;
//! session.start()?;
//! let (id, path, n) = (7u64, String::from("/index.html"), 512u32);
//! tracepoint!(myapp, request_done, id = id, path = &path, bytes = n);
//! session.stop()?;
//! # Ok::<(), tracer_core::Error>(())
//! ```
//!
//! Map: [`ringbuffer`] (config, backend memory, slot hand-over protocol, writer frontend,
//! consumer wake-up), [`clock`] (TSC or `CLOCK_MONOTONIC`), [`field`] (what can be recorded and
//! how it is encoded), [`registry`] (call sites and event ids), [`session`] (sessions, channels,
//! rules, masks, snapshots), `emit` (per-thread fast path), `consumer` (the thread writing
//! stream files), [`ctf`] (event header, packets, TSDL metadata). Design notes:
//! `docs/tracer-core.md`.

#[cfg(not(loom))]
pub mod clock;
#[cfg(not(loom))]
mod codec;
#[cfg(not(loom))]
mod consumer;
#[cfg(not(loom))]
pub mod ctf;
#[cfg(not(loom))]
mod emit;
#[cfg(not(loom))]
mod error;
#[cfg(not(loom))]
pub mod field;
#[cfg(not(loom))]
mod locks;
#[cfg(not(loom))]
pub mod membarrier;
#[cfg(not(loom))]
pub mod registry;
#[cfg(not(loom))]
pub mod remote;
pub mod ringbuffer;
#[cfg(not(loom))]
pub mod schema;
#[cfg(not(loom))]
pub mod session;
#[cfg(not(loom))]
pub mod shm;
#[cfg(not(loom))]
mod sink;
mod sync;

#[cfg(not(loom))]
pub use {
    consumer::LiveCounts,
    emit::lost_unattributed,
    error::Error,
    field::{FieldDesc, FieldType, PayloadWriter, Scalar, ScalarField, TraceField},
    registry::{CallSite, LogLevel},
    remote::recorder::{
        ClassSnapshot, ProcessSnapshot, Recorder, RecordingConfig, RecordingSnapshot,
    },
    ringbuffer::config::{ChannelConfig, Mode},
    session::{ChannelId, EventRule, Session, Stats},
};

/// What the C library (`tracer-core/capi`, `libtracer.so`) builds on: registering a C call
/// site from its field descriptors and writing an event in two steps (reserve, commit) so C
/// code fills the payload in place.
#[cfg(not(loom))]
pub mod ffi {
    pub use crate::emit::{commit, reserve, Pending};
    pub use crate::registry::SiteState;
    pub use crate::remote::ensure_connected;

    /// Registers a call site that lives in foreign memory (a C `struct tracer_callsite`, whose
    /// first 16 bytes are a [`SiteState`]); `make` builds its schema for the id it gets.
    pub fn register(
        state: &'static SiteState,
        make: impl FnOnce(u32) -> crate::schema::EventSchema,
    ) {
        crate::registry::register_with(state, make)
    }

    /// Switches a call site off for good (its description was unusable).
    pub fn disable(state: &SiteState) {
        state.set_mask(0)
    }

    /// Forgets the foreign call sites `in_module` picks: their module is being unloaded, so
    /// their state is never written again. Returns how many.
    pub fn unregister_sites(in_module: impl FnMut(&SiteState) -> bool) -> usize {
        crate::registry::unregister_sites(in_module)
    }
}

/// Items the macros expand to; not a stable API.
#[doc(hidden)]
#[cfg(not(loom))]
pub mod __private {
    pub use crate::emit::emit;
    pub use crate::registry::{register, UNREGISTERED};

    /// The metadata type of a field value.
    pub fn type_of<T: crate::TraceField + ?Sized>(_: &T) -> crate::FieldType {
        T::TYPE
    }

    /// The path of a function item, used to name the function around a call site.
    pub fn type_name_of<T>(_: T) -> &'static str {
        std::any::type_name::<T>()
    }
}

/// Declares a static call site and records an event there when a session enables it.
///
/// `tracepoint!(provider, event, [level: Level,] field = value, ...)`. Disabled, it costs one
/// relaxed load and a branch; the values are evaluated only when enabled. The first hit
/// registers the call site (its event id, fields, file, line and function go to the metadata).
#[cfg(not(loom))]
#[macro_export]
macro_rules! tracepoint {
    ($prov:ident, $name:ident, level: $lvl:ident $(, $field:ident = $value:expr)* $(,)?) => {
        $crate::__tracepoint!($prov, $name, $crate::LogLevel::$lvl $(, $field = $value)*)
    };
    ($prov:ident, $name:ident $(, $field:ident = $value:expr)* $(,)?) => {
        $crate::__tracepoint!($prov, $name, $crate::LogLevel::DebugLine $(, $field = $value)*)
    };
}

#[doc(hidden)]
#[cfg(not(loom))]
#[macro_export]
macro_rules! __tracepoint {
    ($prov:ident, $name:ident, $lvl:expr $(, $field:ident = $value:expr)*) => {{
        static __SITE: $crate::CallSite = $crate::CallSite::new(
            stringify!($prov), stringify!($name), file!(), line!(), $lvl,
        );
        if __SITE.mask() != 0 {
            // All values are evaluated before any field name is bound, so a value may mention
            // a variable that has the name of another field.
            #[allow(unused_variables)]
            match ($(&$value,)*) {
                ($($field,)*) => {
                    if __SITE.mask() & $crate::__private::UNREGISTERED != 0 {
                        fn __tracepoint_here() {}
                        $crate::__private::register(
                            &__SITE,
                            $crate::__private::type_name_of(__tracepoint_here),
                            &[$($crate::FieldDesc {
                                name: stringify!($field),
                                ty: $crate::__private::type_of($field),
                            }),*],
                        );
                    }
                    let __mask = __SITE.mask();
                    if __mask & !$crate::__private::UNREGISTERED != 0 {
                        $crate::__private::emit(
                            &__SITE,
                            __mask,
                            0 $(+ $crate::TraceField::encoded_len($field))*,
                            |__w: &mut $crate::PayloadWriter<'_>| {
                                $($crate::TraceField::encode($field, __w);)*
                            },
                        );
                    }
                }
            }
        }
    }};
}
