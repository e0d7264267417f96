//! Call sites and event classes: every `tracepoint!` expansion owns a static [`CallSite`]; on its
//! first hit it registers here and receives an event-class id, which is what its events carry.
//!
//! One id per (event, call site) pair makes per-line counts exact at zero bytes per event: the
//! trace's event header already holds an id, and the metadata maps each id back to the
//! provider, event name, file, line and function. Ids are handed out in first-hit order so the
//! call sites a program reaches first (usually its hot ones) get the 2-byte header.

use crate::field::FieldDesc;
use crate::locks::{lock, Held};
use crate::remote::ClassLog;
use crate::schema::EventSchema;
use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering::*};
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

/// The part of a call site the tracer writes: which channels record it and its event id.
/// `#[repr(C)]` and first in both [`CallSite`] and the C API's `struct tracer_callsite`, so a
/// C call site is registered and switched exactly like a Rust one.
#[repr(C)]
#[derive(Debug)]
pub struct SiteState {
    /// Channels that record this site (bit `i` = channel slot `i`), plus [`UNREGISTERED`].
    mask: AtomicU64,
    /// Event-class id, valid once registered.
    id: AtomicU32,
    /// Layout version of the C call site (0 for Rust ones).
    abi: u32,
}

impl SiteState {
    /// Unregistered state.
    pub const fn new() -> Self {
        SiteState {
            mask: AtomicU64::new(UNREGISTERED),
            id: AtomicU32::new(0),
            abi: 0,
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

    /// Layout version a C call site was compiled with (0 for Rust call sites).
    pub fn abi(&self) -> u32 {
        self.abi
    }

    /// Release, paired with the fence after the fast path's test, so a writer that sees a
    /// registered mask also sees the id stored before it.
    pub(crate) fn set_mask(&self, mask: u64) {
        self.mask.store(mask, Release);
    }
}

impl Default for SiteState {
    fn default() -> Self {
        Self::new()
    }
}

impl LogLevel {
    /// The level numbered `n` (LTTng numbering).
    pub fn from_u32(n: u32) -> Option<LogLevel> {
        use LogLevel::*;
        [
            Emerg,
            Alert,
            Crit,
            Err,
            Warning,
            Notice,
            Info,
            DebugSystem,
            DebugProgram,
            DebugProcess,
            DebugModule,
            DebugUnit,
            DebugFunction,
            DebugLine,
            Debug,
        ]
        .get(n as usize)
        .copied()
    }
}

/// A probe site: one `tracepoint!` invocation in the source.
#[repr(C)]
#[derive(Debug)]
pub struct CallSite {
    state: SiteState,
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
            state: SiteState::new(),
            provider,
            event,
            file,
            line,
            level,
        }
    }

    /// See [`SiteState::mask`].
    #[inline(always)]
    pub fn mask(&self) -> u64 {
        self.state.mask()
    }

    /// Event-class id (meaningful once registered).
    #[inline(always)]
    pub fn id(&self) -> u32 {
        self.state.id()
    }

    /// The tracer-written part.
    #[inline(always)]
    pub fn state(&self) -> &SiteState {
        &self.state
    }

    /// `provider:event`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.provider, self.event)
    }
}

/// A registered call site: its schema and the state the tracer switches.
#[derive(Debug)]
pub struct EventClass {
    /// What the metadata says about its events.
    pub schema: Arc<EventSchema>,
    /// The call site; null once the module holding it was unloaded (see [`unregister_sites`]):
    /// its events stay described, its state is never touched again. Changed and followed
    /// under the registry lock only.
    state: AtomicPtr<SiteState>,
}

impl EventClass {
    fn site(&self) -> Option<&'static SiteState> {
        // SAFETY: non-null only while the site's module is loaded: `unregister_sites` clears
        // it (under the registry lock, which every caller holds) before the module goes.
        unsafe { self.state.load(Acquire).as_ref() }
    }

    /// The id its events carry.
    pub fn id(&self) -> u32 {
        self.schema.id
    }

    /// `provider:event`.
    pub fn full_name(&self) -> String {
        self.schema.full_name()
    }

    /// The call site's current mask (0 once its module was unloaded).
    pub fn mask(&self) -> u64 {
        self.site().map_or(0, SiteState::mask)
    }
}

/// All registered event classes, indexed by id.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) classes: Vec<Arc<EventClass>>,
    /// Class id of every registered call site, by address.
    by_site: HashMap<usize, u32>,
    /// Bumped on every registration so consumers know when to rewrite the metadata.
    pub(crate) version: u64,
    /// Where a recorder in another process reads the schemas (see `remote`).
    pub(crate) log: Option<Arc<ClassLog>>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

pub(crate) struct RegistryGuard(Held<'static, Option<Registry>>);

impl std::ops::Deref for RegistryGuard {
    type Target = Registry;
    fn deref(&self) -> &Registry {
        self.0.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for RegistryGuard {
    fn deref_mut(&mut self) -> &mut Registry {
        self.0.get_or_insert_with(Registry::default)
    }
}

pub(crate) fn registry() -> RegistryGuard {
    let mut g = lock(&REGISTRY);
    g.get_or_insert_with(Registry::default);
    RegistryGuard(g)
}

/// Snapshot of the registered classes.
pub fn classes() -> (Vec<Arc<EventClass>>, u64) {
    let r = registry();
    (r.classes.clone(), r.version)
}

/// Bumped at every registration: the schemas changed when it did.
pub(crate) fn version() -> u64 {
    registry().version
}

/// Snapshot of the registered schemas (index = id), for the consumer and the metadata writer.
pub fn schemas() -> (Vec<Arc<EventSchema>>, u64) {
    let r = registry();
    (
        r.classes.iter().map(|c| c.schema.clone()).collect(),
        r.version,
    )
}

/// Registers a Rust call site on its first hit and computes its mask. Idempotent: concurrent
/// first hits on several threads register it once. Lock order: sessions, then registry. In a
/// signal handler that interrupted a session call of its thread, the site stays unregistered,
/// this event is counted lost, and the next hit tries again (see `locks`).
#[cold]
pub fn register(site: &'static CallSite, function: &'static str, fields: &[FieldDesc]) {
    let function = function
        .strip_suffix("::__tracepoint_here")
        .unwrap_or(function);
    register_with(&site.state, |id| {
        EventSchema::from_rust(
            id,
            (site.provider, site.event, site.file, site.line),
            function,
            site.level as u32,
            fields,
        )
    });
}

/// Registers a call site whose schema `make` builds for a given id (Rust and C call sites).
/// A site registered before (a forked child re-enabling its sites) only gets its mask again.
#[cold]
pub(crate) fn register_with(state: &'static SiteState, make: impl FnOnce(u32) -> EventSchema) {
    crate::remote::ensure_connected();
    let Some(sessions) = crate::session::channel_table_from_tracepoint() else {
        crate::emit::lose(1);
        return;
    };
    let mut reg = registry();
    if let Some(&id) = reg.by_site.get(&(state as *const SiteState as usize)) {
        if state.mask() & UNREGISTERED != 0 {
            if let Some(c) = reg.classes.get(id as usize) {
                state.set_mask(sessions.mask_for(&c.schema));
            }
        }
        return;
    }
    let id = reg.classes.len() as u32;
    let schema = Arc::new(make(id));
    if let Some(log) = &reg.log {
        log.append(&schema);
    }
    reg.classes.push(Arc::new(EventClass {
        schema: schema.clone(),
        state: AtomicPtr::new(state as *const SiteState as *mut SiteState),
    }));
    reg.by_site.insert(state as *const SiteState as usize, id);
    reg.version += 1;
    state.id.store(id, Relaxed);
    state.set_mask(sessions.mask_for(&schema));
}

impl Registry {
    /// Makes every registered call site take the registration path on its next hit (a forked
    /// child connecting to the recorder as a process of its own).
    pub(crate) fn mark_all_unregistered(&self) {
        for site in self.classes.iter().filter_map(|c| c.site()) {
            site.set_mask(UNREGISTERED);
        }
    }
}

/// Every registered call site with its schema, for recomputing masks when rules change.
pub(crate) fn for_each_site(mut f: impl FnMut(&'static SiteState, &EventSchema)) {
    for c in &registry().classes {
        if let Some(site) = c.site() {
            f(site, &c.schema);
        }
    }
}

/// Forgets the call sites `in_module` picks, whose module is being unloaded: their masks are
/// never written again (a rule change, a fork) and a module loaded later at the same address
/// registers its sites anew. Their event classes stay: recorded events keep their schema.
/// Returns how many were forgotten.
pub(crate) fn unregister_sites(mut in_module: impl FnMut(&SiteState) -> bool) -> usize {
    let mut reg = registry();
    let reg = &mut *reg;
    let mut forgotten = 0;
    for c in &reg.classes {
        let Some(site) = c.site().filter(|s| in_module(s)) else {
            continue;
        };
        c.state.store(std::ptr::null_mut(), Release);
        reg.by_site.remove(&(site as *const SiteState as usize));
        forgotten += 1;
    }
    forgotten
}
