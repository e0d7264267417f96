//! `tracer-lsp index` and `demo` driven as a user would: the real binary on the bundled examples.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn tracer_lsp(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tracer-lsp"))
        .args(args)
        .output()
        .expect("run tracer-lsp")
}

fn index_json() -> Value {
    let dir = examples();
    let out = tracer_lsp(&["index", dir.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
}

fn find(list: &Value, pred: impl Fn(&Value) -> bool) -> Vec<&Value> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|v| pred(v))
        .collect()
}

#[test]
fn json_has_exactly_the_documented_shape() {
    let v = index_json();
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["classes", "events", "files", "sites"])
    );
    assert_eq!(v["files"], 5);
    let event_keys: BTreeSet<&str> = v["events"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        event_keys,
        BTreeSet::from([
            "class",
            "condition",
            "dialect",
            "fields",
            "file",
            "format",
            "line",
            "macro",
            "name",
            "params",
            "system"
        ])
    );
    let site_keys: BTreeSet<&str> = v["sites"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        site_keys,
        BTreeSet::from(["args", "event", "file", "form", "function", "line", "system"])
    );
}

#[test]
fn ust_events_and_sites_of_the_c_example() {
    let v = index_json();
    let greeting = find(&v["events"], |e| e["name"] == "greeting");
    assert_eq!(greeting.len(), 1);
    let g = greeting[0];
    assert_eq!(g["system"], "hello");
    assert_eq!(g["dialect"], "ust");
    assert_eq!(g["file"], "c/hello-tp.h");
    assert_eq!(g["line"], 19);
    assert_eq!(g["params"][1]["type"], "const char *");
    assert_eq!(g["fields"][0]["name"], "count");

    let work_done = find(&v["events"], |e| e["name"] == "work_done")[0];
    assert_eq!(work_done["class"], "work_class");
    assert_eq!(
        work_done["fields"][1]["type"], "double",
        "fields come from the class"
    );

    let lines: Vec<u64> = find(&v["sites"], |s| s["event"] == "greeting")
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [21, 25]);
    let start = find(&v["sites"], |s| s["event"] == "work_start")[0];
    assert_eq!(start["function"], "do_work");
    assert_eq!(start["args"], 2);
    assert_eq!(start["form"], "tracepoint");
}

#[test]
fn kernel_style_wrapper_events_and_every_site_form() {
    let v = index_json();
    let migrate = find(&v["events"], |e| e["name"] == "demo_migrate_in")[0];
    assert_eq!(migrate["macro"], "DEFINE_EVENT");
    assert_eq!(migrate["system"], "demo_sched");
    assert_eq!(migrate["format"], "\"pid=%d cpu=%d\"");
    let forms: BTreeSet<&str> = find(&v["sites"], |s| s["file"] == "kernel-style/demo_sched.c")
        .iter()
        .map(|s| s["form"].as_str().unwrap())
        .collect();
    assert_eq!(forms, BTreeSet::from(["call", "enabled", "register"]));
    let classes = find(&v["classes"], |c| c["name"] == "demo_wakeup_class");
    assert_eq!(classes.len(), 1);
}

#[test]
fn summary_and_errors_for_people() {
    let dir = examples();
    let out = tracer_lsp(&["index", dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("files indexed            5"), "{text}");
    assert!(text.contains("unresolved sites         0"), "{text}");

    let out = tracer_lsp(&["index", "/nonexistent/tree"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("/nonexistent/tree: not a directory"), "{err}");
}

/// The count the demo printed on the source line containing `needle`.
fn demo_count(text: &str, needle: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"));
    line.split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}

#[test]
fn demo_records_the_examples_and_prints_each_site_with_its_count() {
    let dir = examples();
    let out = tracer_lsp(&["demo", "--dir", dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(demo_count(&text, "tracepoint!(hello_rs, request_start"), 20);
    assert_eq!(
        demo_count(&text, "tracepoint!(hello_rs, request_done, id = req.id"),
        20
    );
    assert_eq!(
        demo_count(&text, "tracepoint!(hello_rs, request_done, id = id"),
        7
    );
    assert_eq!(
        demo_count(&text, "trace_demo_switch(prev, next, state);"),
        0
    );
    assert!(
        text.contains("trace (CTF 1.8, babeltrace2 reads it)"),
        "{text}"
    );
}

#[test]
fn rust_events_and_sites_carry_their_dialect() {
    let v = index_json();
    let done = find(&v["events"], |e| e["name"] == "request_done")[0];
    assert_eq!(done["dialect"], "tracer");
    assert_eq!(done["system"], "hello_rs");
    assert_eq!(done["file"], "rust/src/main.rs");
    let lines: Vec<u64> = find(&v["sites"], |s| s["event"] == "request_done")
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [18, 39]);
    let site = find(&v["sites"], |s| s["event"] == "request_start")[0];
    assert_eq!(site["form"], "tracepoint!");
    assert_eq!(site["function"], "serve");
}
