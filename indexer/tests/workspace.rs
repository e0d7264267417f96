//! The workspace index: cross-file resolution, imported wrappers, incremental changes.

use std::sync::Arc;

use indexer::{SiteForm, WorkspaceIndex};

fn ws(files: &[(&str, &str)]) -> WorkspaceIndex {
    let mut ws = WorkspaceIndex::new();
    for (path, text) in files {
        ws.set_file(path, Arc::from(*text));
    }
    ws
}

const SCHED_H: &str = r#"#define TRACE_SYSTEM sched
TRACE_EVENT(sched_switch, TP_PROTO(bool preempt, struct task_struct *prev), TP_ARGS(preempt, prev),
	TP_STRUCT__entry(__field(pid_t, pid)), TP_fast_assign(), TP_printk("%d", __entry->pid));
DECLARE_TRACE(foo_enabled, TP_PROTO(int a), TP_ARGS(a));
"#;

const CORE_C: &str = r#"#include <trace/events/sched.h>
void schedule(void) {
	trace_sched_switch(0, prev);
	if (trace_sched_switch_enabled()) {}
	trace_foo_enabled(1);
	trace_not_declared(2);
	trace_seq_printf(s, "x");
}
"#;

#[test]
fn sites_resolve_to_declarations_in_other_files() {
    let w = ws(&[
        ("include/trace/events/sched.h", SCHED_H),
        ("kernel/sched/core.c", CORE_C),
    ]);
    let core = w.file("kernel/sched/core.c").unwrap();
    let resolved: Vec<Option<(String, SiteForm, String)>> = core
        .index
        .sites
        .iter()
        .map(|s| {
            w.resolve(s).map(|r| {
                (
                    r.event.clone(),
                    r.form,
                    format!("{}:{}", r.decls[0].0, r.system().unwrap_or("-")),
                )
            })
        })
        .collect();
    assert_eq!(
        resolved,
        [
            Some((
                "sched_switch".into(),
                SiteForm::Call,
                "include/trace/events/sched.h:sched".into()
            )),
            Some((
                "sched_switch".into(),
                SiteForm::Enabled,
                "include/trace/events/sched.h:sched".into()
            )),
            // `foo` is not declared but `foo_enabled` is: the site calls that event.
            Some((
                "foo_enabled".into(),
                SiteForm::Call,
                "include/trace/events/sched.h:sched".into()
            )),
            None,
            None,
        ]
    );
    let unresolved: Vec<bool> = core.index.sites[3..]
        .iter()
        .map(|s| w.is_probable_tracepoint(s))
        .collect();
    assert_eq!(
        unresolved,
        [true, false],
        "trace_seq_printf is a known helper"
    );
}

#[test]
fn wrappers_are_imported_through_includes_only() {
    let wrappers_h = "#define DEFINE_IRQ_EVENT(n) DEFINE_EVENT(irq_cls, n##_entry, TP_PROTO(int v), TP_ARGS(v))\n";
    let user_h = "#include \"wrappers.h\"\n#define TRACE_SYSTEM irq\nDEFINE_IRQ_EVENT(timer);\n";
    let stranger_h = "#define TRACE_SYSTEM other\nDEFINE_IRQ_EVENT(nope);\n";
    let w = ws(&[
        ("arch/x/user.h", user_h),
        ("arch/x/wrappers.h", wrappers_h),
        ("drivers/stranger.h", stranger_h),
    ]);
    assert_eq!(
        w.declarations("timer_entry").len(),
        1,
        "imported through #include"
    );
    assert!(
        w.declarations("nope_entry").is_empty(),
        "no include, no wrapper"
    );
    let (_, decl) = w.declarations("timer_entry")[0];
    assert_eq!(decl.system.as_deref(), Some("irq"));
    assert_eq!(decl.via_wrapper.as_deref(), Some("DEFINE_IRQ_EVENT"));
}

#[test]
fn editing_a_wrapper_header_reindexes_its_includers() {
    let user_h = "#include \"wrappers.h\"\nDEFINE_IRQ_EVENT(timer);\n";
    let mut w = ws(&[
        (
            "wrappers.h",
            "#define DEFINE_IRQ_EVENT(n) DEFINE_EVENT(c, n##_entry, TP_PROTO(int v), TP_ARGS(v))\n",
        ),
        ("user.h", user_h),
    ]);
    assert_eq!(w.declarations("timer_entry").len(), 1);
    w.set_file(
        "wrappers.h",
        Arc::from(
            "#define DEFINE_IRQ_EVENT(n) DEFINE_EVENT(c, n##_start, TP_PROTO(int v), TP_ARGS(v))\n",
        ),
    );
    assert!(w.declarations("timer_entry").is_empty());
    assert_eq!(w.declarations("timer_start").len(), 1);
    w.remove_file("wrappers.h");
    assert!(w.declarations("timer_start").is_empty());
}

#[test]
fn classes_are_looked_up_in_the_same_file_first() {
    let a = "DECLARE_EVENT_CLASS(cls, TP_PROTO(int a), TP_ARGS(a), TP_STRUCT__entry(__field(int, in_a)), TP_fast_assign(), TP_printk(\"\"));\n\
             DEFINE_EVENT(cls, ev_a, TP_PROTO(int a), TP_ARGS(a));\n";
    let b = "DECLARE_EVENT_CLASS(cls, TP_PROTO(int a), TP_ARGS(a), TP_STRUCT__entry(__field(int, in_b)), TP_fast_assign(), TP_printk(\"\"));\n\
             DEFINE_EVENT(cls, ev_b, TP_PROTO(int a), TP_ARGS(a));\n";
    let w = ws(&[("a.h", a), ("b.h", b)]);
    for (ev, field) in [("ev_a", "in_a"), ("ev_b", "in_b")] {
        let (path, decl) = w.declarations(ev)[0];
        let (_, class) = w.class_of(path, decl).unwrap();
        assert_eq!(class.payload.fields[0].name, field);
    }
}

#[test]
fn replacing_and_removing_files_updates_every_table() {
    let mut w = ws(&[("t.h", SCHED_H), ("c.c", CORE_C)]);
    assert_eq!(w.sites_named("sched_switch").len(), 2);
    w.set_file(
        "c.c",
        Arc::from("void f(void) { trace_sched_switch(1, 2); }\n"),
    );
    assert_eq!(w.sites_named("sched_switch").len(), 1);
    assert!(w.sites_named("not_declared").is_empty());
    w.remove_file("t.h");
    assert!(w.declarations("sched_switch").is_empty());
    assert!(w.resolve(&w.file("c.c").unwrap().index.sites[0]).is_none());
    assert_eq!(w.len(), 1);
}

#[test]
fn ust_sites_match_provider_and_name() {
    let tp = "TRACEPOINT_EVENT(app, start, TP_ARGS(int, a), TP_FIELDS(ctf_integer(int, a, a)))\n\
              TRACEPOINT_EVENT(other, start, TP_ARGS(), TP_FIELDS())\n";
    let main = "int main(void) { tracepoint(app, start, 1); tracepoint(app, stop); }\n";
    let w = ws(&[("tp.h", tp), ("main.c", main)]);
    let sites = &w.file("main.c").unwrap().index.sites;
    let r = w.resolve(&sites[0]).unwrap();
    assert_eq!(r.decls.len(), 1);
    assert_eq!(r.system(), Some("app"));
    assert!(w.resolve(&sites[1]).is_none());
    assert!(w.is_probable_tracepoint(&sites[1]));
}

#[test]
fn includes_resolve_relative_then_by_longest_shared_prefix() {
    let w = ws(&[
        ("drivers/a/trace.h", ""),
        ("drivers/b/trace.h", ""),
        ("drivers/b/sub/user.c", ""),
        ("include/trace/events/sched.h", ""),
    ]);
    assert_eq!(
        w.resolve_include("drivers/a/x.c", "trace.h"),
        Some("drivers/a/trace.h")
    );
    assert_eq!(
        w.resolve_include("drivers/b/sub/user.c", "trace.h"),
        Some("drivers/b/trace.h")
    );
    assert_eq!(
        w.resolve_include("drivers/b/sub/user.c", "../trace.h"),
        Some("drivers/b/trace.h")
    );
    assert_eq!(
        w.resolve_include("kernel/sched/core.c", "trace/events/sched.h"),
        Some("include/trace/events/sched.h")
    );
    assert_eq!(w.resolve_include("x.c", "missing.h"), None);
}

#[test]
fn rust_for_linux_calls_resolve_to_the_rust_and_c_declarations() {
    let c = "#define TRACE_SYSTEM rs\nTRACE_EVENT(rust_sample_loaded, TP_PROTO(int magic), TP_ARGS(magic), TP_STRUCT__entry(), TP_fast_assign(), TP_printk(\"\"));\n";
    let rs = "mod trace {\n    kernel::declare_trace! {\n        unsafe fn rust_sample_loaded(magic: c_int);\n    }\n    pub fn loaded(m: i32) {\n        unsafe { rust_sample_loaded(m as c_int) }\n    }\n}\n";
    let w = ws(&[
        ("include/trace/events/rs.h", c),
        ("samples/rust/sample.rs", rs),
    ]);
    let site = &w.file("samples/rust/sample.rs").unwrap().index.sites[0];
    let r = w.resolve(site).expect("resolves");
    let paths: Vec<&str> = r.decls.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        paths,
        ["include/trace/events/rs.h", "samples/rust/sample.rs"]
    );
}

#[test]
fn renamed_usdt_providers_resolve_through_their_module() {
    let decl = "#[usdt::provider(provider = \"dropshot\")]\nmod probes {\n    fn request__start(_: &Info) {}\n}\n";
    let site = "fn serve() {\n    probes::request__start!(|| Info::new());\n}\n";
    let w = ws(&[("src/dtrace.rs", decl), ("src/server.rs", site)]);
    let s = &w.file("src/server.rs").unwrap().index.sites[0];
    let r = w.resolve(s).expect("resolves through the module name");
    assert_eq!(r.system(), Some("dropshot"));
}
