//! The language server driven over stdio by a small JSON-RPC client, on a copy of the examples.

use serde_json::{json, Value};
use tracer_lsp_tests::{position_of, Fixture, LspClient};

const C_FILE: &str = "kernel-style/demo_sched.c";
const HEADER: &str = "kernel-style/trace/events/demo_sched.h";

fn started() -> (Fixture, LspClient) {
    let fx = Fixture::examples();
    let mut client = LspClient::start();
    client.initialize(&fx.root);
    (fx, client)
}

fn at(fx: &Fixture, rel: &str, needle: &str, delta: u32) -> Value {
    json!({"textDocument": {"uri": fx.uri(rel)}, "position": position_of(&fx.read(rel), needle, delta)})
}

fn line_of(location: &Value) -> u64 {
    location["range"]["start"]["line"].as_u64().unwrap()
}

#[test]
fn initialize_advertises_features_and_indexes_with_progress() {
    let fx = Fixture::examples();
    let mut client = LspClient::start();
    let init = client.initialize(&fx.root);
    let caps = &init["capabilities"];
    for cap in [
        "completionProvider",
        "definitionProvider",
        "referencesProvider",
        "hoverProvider",
        "documentSymbolProvider",
        "workspaceSymbolProvider",
        "codeLensProvider",
        "renameProvider",
    ] {
        assert!(!caps[cap].is_null(), "{cap} missing from {caps}");
    }
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    let kinds: Vec<&str> = client
        .seen
        .iter()
        .filter(|m| m["method"] == "$/progress")
        .filter_map(|m| m["params"]["value"]["kind"].as_str())
        .collect();
    assert_eq!(kinds.first(), Some(&"begin"));
    assert_eq!(kinds.last(), Some(&"end"));
    assert!(client
        .seen
        .iter()
        .any(|m| m["method"] == "window/workDoneProgress/create"));
    assert!(
        client
            .seen
            .iter()
            .any(|m| m["method"] == "client/registerCapability"),
        "file watcher registered"
    );
    let log = client.wait_for(|m| m["method"] == "window/logMessage");
    assert!(
        log["params"]["message"]
            .as_str()
            .unwrap()
            .contains("indexed 5 files"),
        "{log}"
    );
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn definition_from_sites_to_declarations_and_classes() {
    let (fx, mut client) = started();
    let defs = client.request(
        "textDocument/definition",
        at(&fx, C_FILE, "trace_demo_switch", 3),
    );
    assert_eq!(defs[0]["uri"], fx.uri(HEADER));
    let header = fx.read(HEADER);
    assert_eq!(
        defs[0]["range"]["start"],
        position_of(&header, "demo_switch,", 0)
    );
    assert_eq!(
        defs[0]["range"]["end"],
        position_of(&header, "demo_switch,", 11)
    );

    // From an instance's class argument and from a wrapper-declared event to the class.
    let to_class = client.request(
        "textDocument/definition",
        at(&fx, HEADER, "demo_wakeup_class, demo_wakeup", 2),
    );
    assert_eq!(
        to_class[0]["range"]["start"],
        position_of(&header, "demo_wakeup_class,\n", 0)
    );
    let from_wrapper_use = client.request(
        "textDocument/definition",
        at(&fx, HEADER, "DEFINE_DEMO_MIGRATE_EVENT(in)", 3),
    );
    assert_eq!(
        from_wrapper_use[0]["range"]["start"],
        position_of(&header, "DEFINE_DEMO_MIGRATE_EVENT(name)", 0)
    );
}

#[test]
fn references_list_every_site_and_optionally_the_declaration() {
    let (fx, mut client) = started();
    let mut params = at(&fx, C_FILE, "trace_demo_wakeup(next", 8);
    params["context"] = json!({"includeDeclaration": false});
    let refs = client.request("textDocument/references", params.clone());
    let lines: Vec<u64> = refs.as_array().unwrap().iter().map(line_of).collect();
    assert_eq!(
        lines,
        [10, 11, 22],
        "0-based lines of the enabled test, the call and the register"
    );
    params["context"] = json!({"includeDeclaration": true});
    let with_decl = client.request("textDocument/references", params);
    assert!(with_decl
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["uri"] == fx.uri(HEADER)));
}

#[test]
fn hover_shows_prototype_fields_format_and_sites() {
    let (fx, mut client) = started();
    let hover = client.request(
        "textDocument/hover",
        at(&fx, C_FILE, "trace_demo_switch", 2),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    for needle in [
        "**demo_sched:demo_switch**",
        "trace_demo_switch(int prev_pid, int next_pid, unsigned int prev_state)",
        "| `prev_state` | `unsigned int` |",
        "prev_pid=%d next_pid=%d",
        "1 call site",
        "declared in `kernel-style/trace/events/demo_sched.h:11`",
    ] {
        assert!(md.contains(needle), "`{needle}` not in hover:\n{md}");
    }
    let class_fields = client.request(
        "textDocument/hover",
        at(&fx, C_FILE, "trace_demo_migrate_in", 8),
    );
    let md = class_fields["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("class `demo_wakeup_class`") && md.contains("| `cpu` | `int` |"),
        "{md}"
    );
}

#[test]
fn completion_after_trace_and_inside_tracepoint() {
    let (fx, mut client) = started();
    let uri = fx.uri("kernel-style/new.c");
    client.open(&uri, "void f(void)\n{\n\ttrace_demo_w\n}\n");
    let list = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 13}}),
    );
    let items = list["items"].as_array().unwrap();
    let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels[0], "trace_demo_wakeup");
    assert!(labels.contains(&"trace_demo_switch"), "fuzzy: {labels:?}");
    let wakeup = &items[0];
    assert_eq!(wakeup["insertTextFormat"], 2);
    assert_eq!(
        wakeup["textEdit"]["newText"],
        "trace_demo_wakeup(${1:pid}, ${2:cpu})"
    );
    assert_eq!(
        wakeup["textEdit"]["range"]["start"],
        json!({"line": 2, "character": 1})
    );
    assert!(wakeup["detail"].as_str().unwrap().starts_with("demo_sched"));

    let c_uri = fx.uri("c/new.c");
    client.open(&c_uri, "void g(void) { tracepoint(hello, ); }\n");
    let list = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": c_uri}, "position": {"line": 0, "character": 33}}),
    );
    let labels: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["greeting", "work_done", "work_start"]);
}

#[test]
fn symbols_of_a_file_and_of_the_workspace() {
    let (fx, mut client) = started();
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": fx.uri(HEADER)}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "demo_switch",
            "demo_wakeup_class",
            "DEFINE_DEMO_MIGRATE_EVENT"
        ]
    );
    let class = &symbols[1];
    let children: Vec<&str> = class["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        children,
        ["demo_wakeup", "demo_migrate_in", "demo_migrate_out"]
    );

    let found = client.request("workspace/symbol", json!({"query": "demo_sched:migr"}));
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..2], ["demo_migrate_in", "demo_migrate_out"]);
    let greeting = client.request("workspace/symbol", json!({"query": "greet"}));
    assert_eq!(greeting[0]["containerName"], "hello");
}

#[test]
fn diagnostics_follow_edits_and_requests_see_edits_at_once() {
    let (fx, mut client) = started();
    let uri = fx.uri("kernel-style/broken.c");
    client.open(
        &uri,
        "void f(void)\n{\n\ttrace_demo_switch(1, 2);\n\ttrace_no_such_event(1);\n}\n",
    );
    let diags = client.next_diagnostics(&uri);
    let summary: Vec<(u64, u64, &str)> = diags
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["severity"].as_u64().unwrap(),
                d["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                2,
                1,
                "`demo_switch` expects 3 arguments (its prototype), found 2"
            ),
            (
                3,
                2,
                "no declaration of event `no_such_event` in the workspace"
            ),
        ]
    );

    // Fix the call with an incremental edit; the very next request must see it.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 2, "character": 23}, "end": {"line": 2, "character": 23}}, "text": ", 3"},
            {"range": {"start": {"line": 3, "character": 1}, "end": {"line": 3, "character": 20}}, "text": "trace_demo_wakeup"}
        ]}),
    );
    let defs = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 8}}),
    );
    assert_eq!(
        defs[0]["uri"],
        fx.uri(HEADER),
        "the edit was applied before this request"
    );
    let diags = client.next_diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0]["message"],
        "`demo_wakeup` expects 2 arguments (its prototype), found 1"
    );
}

#[test]
fn code_lens_counts_call_sites() {
    let (fx, mut client) = started();
    let lenses = client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": fx.uri(HEADER)}}),
    );
    let titles: Vec<(u64, &str)> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["range"]["start"]["line"].as_u64().unwrap(),
                l["command"]["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        titles,
        [
            (10, "1 call site"),
            (51, "3 call sites"),
            (60, "1 call site"),
            (61, "1 call site")
        ]
    );
    let lens = &lenses[1];
    let back = client.request(
        "workspace/executeCommand",
        json!({"command": lens["command"]["command"], "arguments": lens["command"]["arguments"]}),
    );
    assert_eq!(back.as_array().unwrap().len(), 3);
}

#[test]
fn rename_an_event_across_declaration_and_sites() {
    let (fx, mut client) = started();
    let prepared = client.request(
        "textDocument/prepareRename",
        at(&fx, C_FILE, "trace_demo_switch", 0),
    );
    assert_eq!(prepared["start"]["line"], 9);
    let mut params = at(&fx, C_FILE, "trace_demo_switch", 0);
    params["newName"] = json!("demo_context_switch");
    let edit = client.request("textDocument/rename", params);
    let changes = edit["changes"].as_object().unwrap();
    assert_eq!(
        changes[&fx.uri(HEADER)][0]["newText"],
        "demo_context_switch"
    );
    assert_eq!(
        changes[&fx.uri(C_FILE)][0]["newText"],
        "trace_demo_context_switch"
    );
    let mut bad = at(&fx, C_FILE, "trace_demo_switch", 0);
    bad["newName"] = json!("not valid");
    let err = client.request_raw("textDocument/rename", bad);
    assert_eq!(err["error"]["code"], -32602);
}

#[test]
fn malformed_messages_get_errors_and_the_server_keeps_serving() {
    let (fx, mut client) = started();
    client.send_bytes(b"{this is not json");
    let parse_error = client.wait_for(|m| m["error"]["code"] == -32700);
    assert!(parse_error["error"]["message"].is_string());
    let unknown = client.request_raw("tracer/noSuchMethod", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    let defs = client.request(
        "textDocument/definition",
        at(&fx, C_FILE, "trace_demo_switch", 3),
    );
    assert_eq!(defs[0]["uri"], fx.uri(HEADER));
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn positions_are_utf16_with_non_ascii_text_before_the_cursor() {
    let (fx, mut client) = started();
    let uri = fx.uri("kernel-style/utf16.c");
    let text = "void f(void) { /* Grüße 😀 */ trace_demo_switch(1, 2, 3); }\n";
    client.open(&uri, text);
    let pos = position_of(text, "trace_demo_switch", 6);
    assert_eq!(pos["character"], 36, "😀 counts two UTF-16 units");
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": pos}),
    );
    assert_eq!(
        hover["range"]["start"],
        position_of(text, "trace_demo_switch", 0)
    );
    assert_eq!(hover["range"]["end"], position_of(text, "(1, 2, 3)", 0));
}

#[test]
fn files_changed_on_disk_are_reindexed_through_the_watcher() {
    let (fx, mut client) = started();
    let header = fx.path("kernel-style/trace/events/extra.h");
    std::fs::write(
        &header,
        "#define TRACE_SYSTEM extra\nDECLARE_TRACE(extra_event, TP_PROTO(int a), TP_ARGS(a));\n",
    )
    .unwrap();
    let uri = fx.uri("kernel-style/uses_extra.c");
    client.open(&uri, "void f(void) { trace_extra_event(1); }\n");
    assert!(client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 20}})
        )
        .is_null());
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": fx.uri("kernel-style/trace/events/extra.h"), "type": 1}]}),
    );
    let defs = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 20}}),
    );
    assert_eq!(defs[0]["uri"], fx.uri("kernel-style/trace/events/extra.h"));
    std::fs::remove_file(&header).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": fx.uri("kernel-style/trace/events/extra.h"), "type": 3}]}),
    );
    assert!(client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 20}})
        )
        .is_null());
}

#[test]
fn rust_completion_definition_references_and_hover() {
    let (fx, mut client) = started();
    let uri = fx.uri("rust/src/extra.rs");
    client.open(&uri, "fn more() {\n    tracepoint!(hello_rs, re);\n}\n");
    let list = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 28}}),
    );
    let items = list["items"].as_array().unwrap();
    let done = items
        .iter()
        .find(|i| i["label"] == "request_done")
        .expect("request_done offered");
    assert_eq!(
        done["textEdit"]["newText"],
        "request_done, id = ${1:id}, bytes = ${2:bytes}"
    );

    let main = fx.read("rust/src/main.rs");
    let main_uri = fx.uri("rust/src/main.rs");
    let mut params = json!({"textDocument": {"uri": main_uri}, "position": position_of(&main, "request_done, id = id", 3)});
    let defs = client.request("textDocument/definition", params.clone());
    assert_eq!(
        defs[0]["range"]["start"]["line"], 17,
        "the event's first site declares it"
    );
    params["context"] = json!({"includeDeclaration": false});
    let refs = client.request("textDocument/references", params.clone());
    let lines: Vec<u64> = refs.as_array().unwrap().iter().map(line_of).collect();
    assert_eq!(lines, [17, 38]);
    let hover = client.request("textDocument/hover", params);
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("**hello_rs:request_done** — tracer") && md.contains("2 call sites"),
        "{md}"
    );
}

#[test]
fn rust_for_linux_links_to_the_c_declaration_and_usdt_arguments_are_checked() {
    let (fx, mut client) = started();
    let c_uri = fx.uri("rfl/trace/events/rust_sample.h");
    client.open(
        &c_uri,
        "#define TRACE_SYSTEM rust_sample\nTRACE_EVENT(rust_sample_loaded, TP_PROTO(int magic), TP_ARGS(magic),\n\
         \tTP_STRUCT__entry(__field(int, magic)), TP_fast_assign(__entry->magic = magic;), TP_printk(\"magic=%d\", __entry->magic));\n",
    );
    let rs = "mod trace {\n    kernel::declare_trace! {\n        unsafe fn rust_sample_loaded(magic: c_int);\n    }\n    pub fn loaded(m: i32) {\n        unsafe { rust_sample_loaded(m as c_int) }\n    }\n}\n";
    let rs_uri = fx.uri("rfl/sample.rs");
    client.open(&rs_uri, rs);
    let on_decl = json!({"textDocument": {"uri": rs_uri}, "position": position_of(rs, "rust_sample_loaded(magic", 2)});
    let defs = client.request("textDocument/definition", on_decl);
    assert_eq!(
        defs[0]["uri"], c_uri,
        "the Rust declaration leads to the C TRACE_EVENT"
    );
    let on_call = json!({"textDocument": {"uri": rs_uri}, "position": position_of(rs, "rust_sample_loaded(m as", 2)});
    let defs = client.request("textDocument/definition", on_call);
    let uris: Vec<&str> = defs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["uri"].as_str().unwrap())
        .collect();
    assert!(
        uris.contains(&c_uri.as_str()) && uris.contains(&rs_uri.as_str()),
        "{uris:?}"
    );

    let usdt_uri = fx.uri("rust/src/usdt.rs");
    client.open(
        &usdt_uri,
        "#[usdt::provider]\nmod my_provider {\n    fn stop_work(id: u64, name: &str) {}\n}\nfn f() {\n    my_provider::stop_work!(|| 42);\n    my_provider::nope!(|| 1);\n}\n",
    );
    let diags = client.next_diagnostics(&usdt_uri);
    let messages: Vec<&str> = diags
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "`stop_work` expects 2 arguments (its prototype), found 1",
            "no declaration of event `my_provider:nope` in the workspace"
        ]
    );
}
