//! Call sites and event classes: every `tracepoint!` expansion owns a static [`CallSite`]; on its
//! first hit it registers here and receives an event-class id, which is what its events carry.
//!
//! One id per (event, call site) pair makes per-line counts exact at zero bytes per event: the
//! trace's event header already holds an id, and the metadata maps each id back to the
//! provider, event name, file, line and function. Ids are handed out in first-hit order so the
//! call sites a program reaches first (usually its hot ones) get the 2-byte header.

use crate::field::FieldDesc;
use crate::locks::{lock, Held};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex};

/// Set in a call site's mask until it registers, so the first hit takes the slow path without
/// adding a test to the disabled path.
pub const UNREGISTERED: u64 = 1 << 63;
/// Bits of a call site's mask that name channels (one bit per channel slot).
pub const CHANNEL_BITS: u64 = !UNREGISTERED;
/// How many channels can exist at once in a process.
pub const MAX_CHANNELS: usize = 63;

/// Severity of an event, numbered as LTTng-UST does (lower is more severe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum LogLevel {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    DebugSystem = 7,
    DebugProgram = 8,
    DebugProcess = 9,
    DebugModule = 10,
    DebugUnit = 11,
    DebugFunction = 12,
    DebugLine = 13,
    Debug = 14,
}

/// A probe site: one `tracepoint!` invocation in the source.
#[derive(Debug)]
pub struct CallSite {
    /// Provider (`myapp` in `myapp:request_done`).
    pub provider: &'static str,
    /// Event name within the provider.
    pub event: &'static str,
    /// `file!()` of the invocation.
    pub file: &'static str,
    /// `line!()` of the invocation.
    pub line: u32,
    /// Severity.
    pub level: LogLevel,
    /// Channels that record this site (bit `i` = channel slot `i`), plus [`UNREGISTERED`].
    mask: AtomicU64,
    /// Event-class id, valid once registered.
    id: AtomicU32,
}

impl CallSite {
    /// A not yet registered call site (used by the `tracepoint!` macro in a `static`).
    pub const fn new(
        provider: &'static str,
        event: &'static str,
        file: &'static str,
        line: u32,
        level: LogLevel,
    ) -> Self {
        CallSite {
            provider,
            event,
            file,
            line,
            level,
            mask: AtomicU64::new(UNREGISTERED),
            id: AtomicU32::new(0),
        }
    }

    /// The enabled test of the fast path: non-zero when some channel records this site or the
    /// site still has to register. Relaxed: a stale value only means one event more or less
    /// around an enable/disable, which LTTng has too.
    #[inline(always)]
    pub fn mask(&self) -> u64 {
        self.mask.load(Relaxed)
    }

    /// Event-class id (meaningful once registered).
    #[inline(always)]
    pub fn id(&self) -> u32 {
        self.id.load(Relaxed)
    }

    /// `provider:event`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.provider, self.event)
    }

    /// Release, paired with the fence after the fast path's test, so a writer that sees a
    /// registered mask also sees the id stored before it.
    pub(crate) fn set_mask(&self, mask: u64) {
        self.mask.store(mask, Release);
    }
}

/// A registered call site with what the metadata needs to describe its events.
#[derive(Debug)]
pub struct EventClass {
    /// The id its events carry.
    pub id: u32,
    /// The call site.
    pub site: &'static CallSite,
    /// Enclosing function, from the type name of an item in it.
    pub function: String,
    /// Payload fields in order.
    pub fields: Vec<FieldDesc>,
}

/// All registered event classes, indexed by id.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) classes: Vec<Arc<EventClass>>,
    /// Bumped on every registration so consumers know when to rewrite the metadata.
    pub(crate) version: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    classes: Vec::new(),
    version: 0,
});

pub(crate) fn registry() -> Held<'static, Registry> {
    lock(&REGISTRY)
}

/// Snapshot of the registered classes, for the consumer and the metadata writer.
pub fn classes() -> (Vec<Arc<EventClass>>, u64) {
    let r = registry();
    (r.classes.clone(), r.version)
}

/// Registers `site` on its first hit and computes its mask. Idempotent: concurrent first hits
/// on several threads register it once. Lock order: sessions, then registry. In a signal
/// handler that interrupted a session call of its thread, the site stays unregistered, this
/// event is counted lost, and the next hit tries again (see `locks`).
#[cold]
pub fn register(site: &'static CallSite, function: &'static str, fields: &[FieldDesc]) {
    let Some(sessions) = crate::session::channel_table_from_tracepoint() else {
        crate::emit::lose(1);
        return;
    };
    let mut reg = registry();
    if site.mask() & UNREGISTERED == 0 {
        return;
    }
    let id = reg.classes.len() as u32;
    let function = function
        .strip_suffix("::__tracepoint_here")
        .unwrap_or(function)
        .to_owned();
    reg.classes.push(Arc::new(EventClass {
        id,
        site,
        function,
        fields: fields.to_vec(),
    }));
    reg.version += 1;
    site.id.store(id, Relaxed);
    site.set_mask(sessions.mask_for(site));
}

/// Every registered call site, for recomputing masks when rules change.
pub(crate) fn for_each_site(mut f: impl FnMut(&'static CallSite)) {
    for c in &registry().classes {
        f(c.site);
    }
}
