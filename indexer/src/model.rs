//! The tracepoint model: plain data that the indexer produces for one file.
//!
//! Everything here is owned data with byte ranges into the file's text; nothing refers to the
//! file system or to LSP types. Positions for a client are derived with [`crate::LineIndex`].

use serde::Serialize;

/// A half-open byte range `[start, end)` into a file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        TextRange {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// The family of tracing API a declaration or site belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// Linux kernel `TRACE_EVENT` and friends, sites `trace_NAME(...)`.
    Kernel,
    /// LTTng-UST 2.x `TRACEPOINT_EVENT` (with or without the `LTTNG_UST_` prefix).
    Ust,
    /// lttng-modules `LTTNG_TRACEPOINT_EVENT*`.
    LttngModules,
    /// SystemTap SDT / USDT `DTRACE_PROBEn` / `STAP_PROBEn`: sites that declare their event.
    Sdt,
    /// tracer-core's Rust macro `tracepoint!(prov, name, field = value, …)`: sites that
    /// declare their event.
    Tracer,
    /// The `usdt` crate: `#[usdt::provider] mod p { fn e(..) {} }` or a `.d` provider script;
    /// sites `p::e!(|| …)`.
    Usdt,
    /// The `probe` crate: `probe!(prov, name, args…)`, sites that declare their event.
    Probe,
    /// Rust-for-Linux `declare_trace! { fn name(..); }`; sites are plain calls.
    Rfl,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Kernel => "kernel",
            Dialect::Ust => "ust",
            Dialect::LttngModules => "lttng-modules",
            Dialect::Sdt => "sdt",
            Dialect::Tracer => "tracer",
            Dialect::Usdt => "usdt",
            Dialect::Probe => "probe",
            Dialect::Rfl => "rfl",
        }
    }
}

/// A prototype parameter: `struct task_struct *prev` is `{ty: "struct task_struct *", name: "prev"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Param {
    #[serde(rename = "type")]
    pub ty: String,
    pub name: String,
}

/// A recorded field: `__field(pid_t, pid)` or `ctf_integer(int, value, v)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: String,
    /// The C type where the field macro names one (`pid_t`, `char[16]`), else the field kind.
    #[serde(rename = "type")]
    pub ty: String,
    /// The macro that declared the field (`__field`, `__string`, `ctf_integer_hex`, …).
    pub kind: String,
}

/// The body shared by event declarations and event classes: what the macro says about the
/// payload, each piece optional because instances and wrappers omit them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Payload {
    pub params: Vec<Param>,
    pub fields: Vec<Field>,
    /// The first argument of `TP_printk`, as written (usually a string literal).
    pub format: Option<String>,
}

/// One declared event: `TRACE_EVENT(sched_switch, ...)`, `DEFINE_EVENT(class, name, ...)`,
/// `TRACEPOINT_EVENT(provider, name, ...)`, a wrapper macro use, or an SDT site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventDecl {
    pub name: String,
    /// `TRACE_SYSTEM` (kernel, lttng-modules) or the provider (UST, SDT) in effect.
    pub system: Option<String>,
    pub dialect: Dialect,
    /// The declaration macro as resolved (`DEFINE_EVENT`), even when reached through a wrapper.
    pub macro_name: String,
    /// The class this event instantiates (`DEFINE_EVENT`'s first argument), if any.
    pub class: Option<String>,
    /// Where the class argument is written.
    pub class_range: Option<TextRange>,
    /// lttng-modules `_MAP` forms: the name the event has in a trace.
    pub map: Option<String>,
    /// A `usdt` provider renamed by `#[usdt::provider(provider = "…")]`: the module whose
    /// macros fire the probes (`module::event!(…)`), when it differs from the system.
    pub module: Option<String>,
    pub payload: Payload,
    pub loglevel: Option<String>,
    /// The `#if` conditions in effect, joined with `&&` (`None` at top level).
    pub condition: Option<String>,
    /// Where the event's name is written (for a wrapper use: the argument that supplied it).
    pub name_range: TextRange,
    /// The whole macro invocation, from its name to its closing parenthesis.
    pub full_range: TextRange,
    /// Set when the declaration comes from a wrapper macro use: the wrapper's name.
    pub via_wrapper: Option<String>,
    /// An SDT event is declared by its first site; no header declares it.
    pub implicit: bool,
}

impl EventDecl {
    /// A declaration with only a name, a system, a payload and its ranges: no class, map,
    /// module, log level, condition or wrapper (set those with struct update syntax).
    pub fn plain(
        name: String,
        system: Option<String>,
        dialect: Dialect,
        macro_name: String,
        payload: Payload,
        name_range: TextRange,
        full_range: TextRange,
    ) -> EventDecl {
        EventDecl {
            name,
            system,
            dialect,
            macro_name,
            class: None,
            class_range: None,
            map: None,
            module: None,
            payload,
            loglevel: None,
            condition: None,
            name_range,
            full_range,
            via_wrapper: None,
            implicit: false,
        }
    }
}

/// An event class (`DECLARE_EVENT_CLASS`, `TRACEPOINT_EVENT_CLASS`, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventClass {
    pub name: String,
    pub system: Option<String>,
    pub dialect: Dialect,
    pub macro_name: String,
    pub payload: Payload,
    pub condition: Option<String>,
    pub name_range: TextRange,
    pub full_range: TextRange,
}

/// How a probe site is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteForm {
    /// `trace_NAME(args)`
    Call,
    /// `trace_NAME_rcuidle(args)`
    Rcuidle,
    /// `trace_NAME_enabled()`
    Enabled,
    /// `register_trace_NAME(probe, data)`
    Register,
    /// `unregister_trace_NAME(probe, data)`
    Unregister,
    /// `tracepoint(prov, name, args)` / `lttng_ust_tracepoint(...)`
    Tracepoint,
    /// `do_tracepoint(prov, name, args)` / `lttng_ust_do_tracepoint(...)`
    DoTracepoint,
    /// `tracepoint_enabled(prov, name)` / `lttng_ust_tracepoint_enabled(...)`
    TracepointEnabled,
    /// `DTRACE_PROBEn(prov, name, args)` / `STAP_PROBEn(...)`
    Sdt,
    /// `tracer_core::tracepoint!(prov, name, field = value, …)`
    TracerMacro,
    /// `provider::event!(|| args)` (the `usdt` crate)
    Usdt,
    /// `probe!(prov, name, args…)` / `probe_lazy!(…)` (the `probe` crate)
    Probe,
}

impl SiteForm {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteForm::Call => "call",
            SiteForm::Rcuidle => "rcuidle",
            SiteForm::Enabled => "enabled",
            SiteForm::Register => "register",
            SiteForm::Unregister => "unregister",
            SiteForm::Tracepoint => "tracepoint",
            SiteForm::DoTracepoint => "do_tracepoint",
            SiteForm::TracepointEnabled => "tracepoint_enabled",
            SiteForm::Sdt => "sdt",
            SiteForm::TracerMacro => "tracepoint!",
            SiteForm::Usdt => "usdt",
            SiteForm::Probe => "probe",
        }
    }
}

/// A place in the code that fires (or tests, or attaches to) an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProbeSite {
    /// The event's name as the site spells it, suffixes (`_rcuidle`, `_enabled`) removed.
    pub event: String,
    /// The provider for forms that name one (`tracepoint(prov, …)`, SDT); kernel sites learn
    /// their system from the declaration they resolve to.
    pub provider: Option<String>,
    pub form: SiteForm,
    /// The callee as written (`trace_sched_switch`, `tracepoint`, `DTRACE_PROBE2`).
    pub callee: String,
    /// Payload argument count (the provider and name of `tracepoint(...)` are not counted).
    pub args: u32,
    /// The function whose body contains the site, when there is one.
    pub function: Option<String>,
    /// The range of the event's name (for `trace_NAME`: the whole callee identifier).
    pub name_range: TextRange,
    /// The whole call, from the callee to its closing parenthesis.
    pub full_range: TextRange,
    /// Set when the site comes from a call-site helper macro that pastes `trace_##x`.
    pub via_wrapper: Option<String>,
}

/// A function-like `#define` whose body expands to declaration macros or probe sites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WrapperMacro {
    pub name: String,
    pub params: Vec<String>,
    /// The replacement list, continuation backslashes removed, comments blanked.
    pub body: String,
    /// `true` for `#define ALIAS TRACE_EVENT` (no parameter list: a plain rename).
    pub object_like: bool,
    pub name_range: TextRange,
    pub full_range: TextRange,
}

/// Everything the indexer learned from one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileIndex {
    pub events: Vec<EventDecl>,
    pub classes: Vec<EventClass>,
    pub sites: Vec<ProbeSite>,
    pub wrappers: Vec<WrapperMacro>,
    /// `#include` targets as written (`trace/events/sched.h`, `"foo.h"` without quotes).
    pub includes: Vec<String>,
    /// `trace_*` names this file defines as functions or macros: calls to them are not probes.
    pub trace_functions: Vec<String>,
}
