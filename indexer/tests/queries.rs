//! Editor queries over a small multi-file workspace, with `$0` marking the cursor.

use std::sync::Arc;

use indexer::query::completion::{completion_context, CompletionContext};
use indexer::query::diagnostics::{DiagnosticOptions, Severity};
use indexer::{Dialect, FileRange, Language, WorkspaceIndex};

const HEADER: &str = r#"#define TRACE_SYSTEM sched
TRACE_EVENT(sched_switch, TP_PROTO(bool preempt, struct task_struct *prev), TP_ARGS(preempt, prev),
	TP_STRUCT__entry(__field(pid_t, pid)), TP_fast_assign(), TP_printk("pid=%d", __entry->pid));
DECLARE_EVENT_CLASS(wake_cls, TP_PROTO(int pid, int cpu), TP_ARGS(pid, cpu),
	TP_STRUCT__entry(__field(int, pid)), TP_fast_assign(), TP_printk("%d", __entry->pid));
DEFINE_EVENT(wake_cls, sched_wakeup, TP_PROTO(int pid, int cpu), TP_ARGS(pid, cpu));
#define WRAP(n) DEFINE_EVENT(wake_cls, sched_##n, TP_PROTO(int pid, int cpu), TP_ARGS(pid, cpu))
WRAP(waking);
"#;

const UST: &str =
    "TRACEPOINT_EVENT(app, start, TP_ARGS(int, id, const char *, path), TP_FIELDS())\n";

/// Builds the workspace; `$0` in `main.c` is the cursor, returned as an offset.
fn workspace(main: &str) -> (WorkspaceIndex, u32) {
    let offset = main.find("$0").expect("cursor mark") as u32;
    let mut ws = WorkspaceIndex::new();
    ws.set_file("include/trace/events/sched.h", Arc::from(HEADER));
    ws.set_file("app/tp.h", Arc::from(UST));
    ws.set_file("main.c", Arc::from(main.replace("$0", "")));
    (ws, offset)
}

fn lines(ws: &WorkspaceIndex, ranges: &[FileRange]) -> Vec<String> {
    ranges
        .iter()
        .map(|r| {
            let f = ws.file(&r.path).unwrap();
            format!("{}:{}", r.path, f.lines.line_of(r.range.start) + 1)
        })
        .collect()
}

#[test]
fn definition_from_a_site_lands_on_the_declaration_name() {
    let (ws, at) = workspace("void f(void) { trace_sched_sw$0itch(0, p); }");
    let defs = ws.definition("main.c", at);
    assert_eq!(lines(&ws, &defs), ["include/trace/events/sched.h:2"]);
    let text = &ws.file(&defs[0].path).unwrap().text;
    assert_eq!(
        &text[defs[0].range.start as usize..defs[0].range.end as usize],
        "sched_switch"
    );
}

#[test]
fn definition_from_an_instance_and_a_wrapper_use() {
    let mut ws = WorkspaceIndex::new();
    ws.set_file("s.h", Arc::from(HEADER));
    let at = |needle: &str| HEADER.find(needle).unwrap() as u32 + 1;
    assert_eq!(
        lines(&ws, &ws.definition("s.h", at("wake_cls, sched_wakeup"))),
        ["s.h:4"]
    );
    assert_eq!(
        lines(&ws, &ws.definition("s.h", at("sched_wakeup,"))),
        ["s.h:4"]
    );
    assert_eq!(
        lines(&ws, &ws.definition("s.h", at("WRAP(waking)"))),
        ["s.h:7"]
    );
}

#[test]
fn references_from_a_declaration_and_from_a_site() {
    let main = "void f(void) {\n\ttrace_sched_switch(0, p);\n\tif (trace_sched_switch_enabled())\n\t\ttrace_sched_switch$0(1, q);\n}\n";
    let (ws, at) = workspace(main);
    let refs = ws.references("main.c", at, false);
    assert_eq!(lines(&ws, &refs), ["main.c:2", "main.c:3", "main.c:4"]);
    let decl_at = HEADER.find("sched_switch").unwrap() as u32;
    let with_decl = ws.references("include/trace/events/sched.h", decl_at, true);
    assert_eq!(with_decl.len(), 4);
}

#[test]
fn completion_after_trace_offers_snippets_with_prototype_names() {
    let (ws, at) = workspace("void f(void) { trace_sch$0 }");
    let text = ws.file("main.c").unwrap().text.clone();
    let site = completion_context(Language::C, &text, at as usize).unwrap();
    assert_eq!(
        site.context,
        CompletionContext::TraceCall {
            prefix: "sch".into()
        }
    );
    let (items, incomplete) = ws.complete(&site.context, 100);
    assert!(!incomplete);
    let labels: Vec<&str> = items.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "trace_sched_switch",
            "trace_sched_wakeup",
            "trace_sched_waking"
        ]
    );
    assert_eq!(
        items[0].snippet,
        "trace_sched_switch(${1:preempt}, ${2:prev})"
    );
    assert_eq!(items[1].snippet, "trace_sched_wakeup(${1:pid}, ${2:cpu})");
    assert!(items[0].detail.starts_with("sched (bool preempt"));
    let (cut, incomplete) = ws.complete(&site.context, 1);
    assert_eq!((cut.len(), incomplete), (1, true));
}

#[test]
fn completion_of_provider_then_event() {
    let (ws, at) = workspace("void f(void) { tracepoint(app, st$0 }");
    let text = ws.file("main.c").unwrap().text.clone();
    let site = completion_context(Language::C, &text, at as usize).unwrap();
    let (items, _) = ws.complete(&site.context, 100);
    assert_eq!(items[0].label, "start");
    assert_eq!(items[0].snippet, "start, ${1:id}, ${2:path}");
    let providers_of = CompletionContext::Provider {
        dialect: Dialect::Ust,
        prefix: "a".into(),
    };
    let (providers, _) = ws.complete(&providers_of, 100);
    assert_eq!(providers[0].label, "app");
}

#[test]
fn diagnostics_for_undeclared_events_and_argument_counts() {
    let main = "void f(void) {\n\ttrace_sched_switch(1);\n\ttrace_nope(2);\n\ttracepoint(app, start, 1, \"x\");\n\ttracepoint(app, start, 1);\n\ttrace_printk(\"x\");\n$0}\n";
    let (ws, _) = workspace(main);
    let diags = ws.diagnostics("main.c", DiagnosticOptions::default());
    let summary: Vec<(Severity, &str, u32)> = diags
        .iter()
        .map(|d| {
            (
                d.severity,
                d.code,
                ws.file("main.c").unwrap().lines.line_of(d.range.start) + 1,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Severity::Error, "argument-count", 2),
            (Severity::Warning, "undeclared-event", 3),
            (Severity::Error, "argument-count", 5),
        ]
    );
    assert_eq!(
        diags[0].message,
        "`sched_switch` expects 2 arguments (its prototype), found 1"
    );
}

#[test]
fn duplicate_and_unused_events() {
    let mut ws = WorkspaceIndex::new();
    ws.set_file("a.h", Arc::from("DECLARE_TRACE(dup, TP_PROTO(int a), TP_ARGS(a));\n#ifdef X\nDECLARE_TRACE(alt, TP_PROTO(int a), TP_ARGS(a));\n#else\nDECLARE_TRACE(alt, TP_PROTO(int a), TP_ARGS(a));\n#endif\n"));
    ws.set_file(
        "b.h",
        Arc::from("DECLARE_TRACE(dup, TP_PROTO(int a), TP_ARGS(a));\n"),
    );
    let diags = ws.diagnostics("a.h", DiagnosticOptions::default());
    assert_eq!(
        diags.len(),
        1,
        "#if alternatives are not duplicates: {diags:?}"
    );
    assert_eq!(
        diags[0].message,
        "event `-:dup` is also declared at b.h:1, outside any #if alternative"
    );
    let hints = ws.diagnostics(
        "b.h",
        DiagnosticOptions {
            unused_events: true,
        },
    );
    assert!(hints.iter().any(|d| d.code == "unused-event"));
}

#[test]
fn rename_an_event_everywhere() {
    let main = "void f(void) {\n\ttrace_sched_switch$0(0, p);\n\tif (trace_sched_switch_enabled()) {}\n\tregister_trace_sched_switch(probe, NULL);\n}\n";
    let (ws, at) = workspace(main);
    let edits = ws.rename("main.c", at, "task_switch").unwrap();
    let texts: Vec<(&str, &str)> = edits
        .iter()
        .map(|e| (e.path.as_str(), e.new_text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("include/trace/events/sched.h", "task_switch"),
            ("main.c", "trace_task_switch"),
            ("main.c", "trace_task_switch_enabled"),
            ("main.c", "register_trace_task_switch"),
        ]
    );
    assert!(ws.rename("main.c", at, "bad name").is_err());
    let waking = HEADER.find("WRAP(waking)").unwrap() as u32 + 6;
    let err = ws
        .rename("include/trace/events/sched.h", waking, "x")
        .unwrap_err();
    assert!(err.contains("wrapper `WRAP`"), "{err}");
}
