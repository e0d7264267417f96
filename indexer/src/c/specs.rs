//! The table of C tracepoint macros: which macro declares what, and how its arguments are laid
//! out.
//!
//! Leading arguments are positional (`DEFINE_EVENT(class, name, …)`); the rest are recognised
//! by their own macro (`TP_PROTO(…)`, `TP_STRUCT__entry(…)`), so one reader serves every
//! family and tolerates the optional pieces (`TP_CONDITION`, `TP_locvar`, reg/unreg functions).

use crate::model::{Dialect, SiteForm};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SpecKind {
    /// Declares an event with its own payload.
    Event,
    /// Declares a class that instances share.
    Class,
    /// Declares an event that instantiates a class.
    Instance,
    /// Attaches a log level to an event declared elsewhere.
    Loglevel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Name,
    ClassName,
    Provider,
    Map,
    Level,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct DeclSpec {
    pub kind: SpecKind,
    pub dialect: Dialect,
    pub roles: &'static [Role],
}

const fn spec(kind: SpecKind, dialect: Dialect, roles: &'static [Role]) -> DeclSpec {
    DeclSpec {
        kind,
        dialect,
        roles,
    }
}

use Role::*;
use SpecKind::*;

/// The declaration macro called `name`, if it is one.
pub(crate) fn decl_spec(name: &str) -> Option<DeclSpec> {
    const K: Dialect = Dialect::Kernel;
    const U: Dialect = Dialect::Ust;
    const M: Dialect = Dialect::LttngModules;
    let name = name.strip_prefix("LTTNG_UST_").map_or(name, |rest| {
        if rest.starts_with("TRACEPOINT_") {
            rest
        } else {
            name
        }
    });
    Some(match name {
        "TRACE_EVENT"
        | "TRACE_EVENT_CONDITION"
        | "TRACE_EVENT_FN"
        | "TRACE_EVENT_FN_COND"
        | "TRACE_EVENT_NOP"
        | "DECLARE_TRACE"
        | "DECLARE_TRACE_CONDITION"
        | "DECLARE_TRACE_WRITABLE"
        | "DECLARE_EVENT_NOP" => spec(Event, K, &[Name]),
        "DECLARE_EVENT_CLASS" => spec(Class, K, &[Name]),
        "DEFINE_EVENT"
        | "DEFINE_EVENT_PRINT"
        | "DEFINE_EVENT_CONDITION"
        | "DEFINE_EVENT_FN"
        | "DEFINE_EVENT_NOP"
        | "DEFINE_EVENT_WRITABLE" => spec(Instance, K, &[ClassName, Name]),

        // LTTng-UST's names, and the same macros under tracer-core's C API names.
        "TRACEPOINT_EVENT" | "TRACER_EVENT" => spec(Event, U, &[Provider, Name]),
        "TRACEPOINT_EVENT_CLASS" | "TRACER_EVENT_CLASS" => spec(Class, U, &[Provider, Name]),
        "TRACEPOINT_EVENT_INSTANCE" | "TRACER_EVENT_INSTANCE" => {
            spec(Instance, U, &[Provider, ClassName, Name])
        }
        "TRACEPOINT_LOGLEVEL" | "TRACER_LOGLEVEL" => spec(Loglevel, U, &[Provider, Name, Level]),

        "LTTNG_TRACEPOINT_EVENT"
        | "LTTNG_TRACEPOINT_EVENT_CODE"
        | "LTTNG_TRACEPOINT_EVENT_NOARGS" => spec(Event, M, &[Name]),
        "LTTNG_TRACEPOINT_EVENT_MAP"
        | "LTTNG_TRACEPOINT_EVENT_CODE_MAP"
        | "LTTNG_TRACEPOINT_EVENT_MAP_NOARGS" => spec(Event, M, &[Name, Map]),
        "LTTNG_TRACEPOINT_EVENT_CLASS"
        | "LTTNG_TRACEPOINT_EVENT_CLASS_CODE"
        | "LTTNG_TRACEPOINT_EVENT_CLASS_NOARGS"
        | "LTTNG_TRACEPOINT_EVENT_CLASS_CODE_NOARGS" => spec(Class, M, &[Name]),
        "LTTNG_TRACEPOINT_EVENT_INSTANCE" | "LTTNG_TRACEPOINT_EVENT_INSTANCE_NOARGS" => {
            spec(Instance, M, &[ClassName, Name])
        }
        "LTTNG_TRACEPOINT_EVENT_INSTANCE_MAP" | "LTTNG_TRACEPOINT_EVENT_INSTANCE_MAP_NOARGS" => {
            spec(Instance, M, &[ClassName, Name, Map])
        }
        _ => return None,
    })
}

/// How the event of a site is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SiteNaming {
    /// The callee carries the name: `trace_NAME`, `register_trace_NAME`.
    Callee,
    /// The first two arguments are the provider and the name: `tracepoint(prov, name, …)`.
    ProviderArgs,
}

/// The site form of a callee, with the event name for callee-named forms.
pub(crate) fn site_form<'a>(callee: &'a str) -> Option<(SiteForm, SiteNaming, &'a str)> {
    use SiteForm::*;
    let args = |form| Some((form, SiteNaming::ProviderArgs, ""));
    match callee {
        "tracepoint" | "lttng_ust_tracepoint" | "tracer_tracepoint" => return args(Tracepoint),
        "do_tracepoint" | "lttng_ust_do_tracepoint" | "tracer_do_tracepoint" => {
            return args(DoTracepoint)
        }
        "tracepoint_enabled" | "lttng_ust_tracepoint_enabled" | "tracer_tracepoint_enabled" => {
            return args(TracepointEnabled)
        }
        "STAP_PROBEV" => return args(Sdt),
        _ => {}
    }
    for prefix in ["DTRACE_PROBE", "STAP_PROBE"] {
        if let Some(n) = callee.strip_prefix(prefix) {
            if n.bytes().all(|b| b.is_ascii_digit()) {
                return args(Sdt);
            }
        }
    }
    // `register_trace_prio_NAME` registers a probe with a priority on event NAME.
    let registered = |name: &'a str| name.strip_prefix("prio_").unwrap_or(name);
    let (form, name) = if let Some(name) = callee.strip_prefix("register_trace_") {
        (Register, registered(name))
    } else if let Some(name) = callee.strip_prefix("unregister_trace_") {
        (Unregister, registered(name))
    } else if let Some(name) = callee.strip_prefix("trace_") {
        if let Some(base) = name.strip_suffix("_rcuidle") {
            (Rcuidle, base)
        } else if let Some(base) = name.strip_suffix("_enabled") {
            (Enabled, base)
        } else {
            (Call, name)
        }
    } else {
        return None;
    };
    if name.is_empty() {
        return None;
    }
    Some((form, SiteNaming::Callee, name))
}

/// `TRACE_SYSTEM`, `TRACEPOINT_PROVIDER`: the defines that name the system of what follows.
pub(crate) fn is_system_define(name: &str) -> bool {
    matches!(
        name,
        "TRACE_SYSTEM" | "TRACEPOINT_PROVIDER" | "LTTNG_UST_TRACEPOINT_PROVIDER"
    )
}

/// Every literal a file must contain to hold a declaration or a probe site, for prefilters.
pub const NEEDLES: &[&str] = &[
    "TRACE_EVENT",
    "DECLARE_EVENT_CLASS",
    "DEFINE_EVENT",
    "DECLARE_TRACE",
    "DECLARE_EVENT_NOP",
    "TRACE_SYSTEM",
    "TRACEPOINT_",
    "TRACER_EVENT",
    "trace_",
    "tracepoint",
    "DTRACE_PROBE",
    "STAP_PROBE",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_suffixes_split_off() {
        assert_eq!(
            site_form("trace_sched_switch"),
            Some((SiteForm::Call, SiteNaming::Callee, "sched_switch"))
        );
        assert_eq!(site_form("trace_foo_rcuidle").map(|s| s.2), Some("foo"));
        assert_eq!(
            site_form("trace_foo_enabled").map(|s| s.0),
            Some(SiteForm::Enabled)
        );
        assert_eq!(
            site_form("unregister_trace_foo").map(|s| s.0),
            Some(SiteForm::Unregister)
        );
        assert_eq!(
            site_form("register_trace_prio_sched_switch").map(|s| s.2),
            Some("sched_switch")
        );
        assert_eq!(site_form("trace_"), None);
        assert_eq!(
            site_form("DTRACE_PROBE12").map(|s| s.0),
            Some(SiteForm::Sdt)
        );
        assert_eq!(site_form("DTRACE_PROBEX"), None);
    }

    #[test]
    fn ust_prefix_is_optional() {
        assert_eq!(
            decl_spec("LTTNG_UST_TRACEPOINT_EVENT").map(|s| s.kind),
            Some(Event)
        );
        assert_eq!(
            decl_spec("LTTNG_UST_TRACEPOINT_EVENT_INSTANCE").map(|s| s.roles.len()),
            Some(3)
        );
        assert!(decl_spec("LTTNG_UST_FOO").is_none());
    }
}
