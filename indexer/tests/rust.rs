//! Rust dialects: tracer-core's `tracepoint!`, `usdt` providers and probes, `probe!`,
//! Rust-for-Linux `declare_trace!`, and DTrace provider scripts.

mod common;

use common::show_file;
use expect_test::expect;

#[test]
fn tracer_core_tracepoint_sites_declare_their_events() {
    let src = r#"use tracer_core::tracepoint;
use tracer_core::tracepoint as tp;

fn handle(req: &Request) {
    tracer_core::tracepoint!(myapp, request_start, id = req.id, path = &req.path);
    let n = serve(req);
    tracepoint!(myapp, request_done, level: Info, id = req.id, bytes = n);
    tp!(myapp, request_done, id = 0, bytes = 0);
}
"#;
    expect![[r#"
        event myapp:request_start tracer tracer_core::tracepoint! @5:37
          params: |id, |path
        event myapp:request_done tracer tracepoint! level=Info @7:24
          params: |id, |bytes
        site myapp:request_start tracepoint! tracer_core::tracepoint! args=2 fn=handle @5:37
        site myapp:request_done tracepoint! tracepoint! args=2 fn=handle @7:24
        site myapp:request_done tracepoint! tp! args=2 fn=handle @8:16
    "#]]
    .assert_eq(&show_file("src/main.rs", src));
}

#[test]
fn usdt_providers_and_probe_macros() {
    let src = r#"#[usdt::provider]
mod my_provider {
    fn start_work(x: u8) {}
    fn stop_work(id: u64, name: &str) {}
}

#[usdt::provider(provider = "renamed")]
mod other {
    fn tick() {}
}

fn main() {
    usdt::register_probes().unwrap();
    my_provider::start_work!(|| 7);
    my_provider::stop_work!(|| (42, "done"));
    crate::other::tick!(|| ());
    other::tick!(|| { let x = 1; Info { a: x, b: 2 } });
    not_a_probe::macro_call!(x, y);
}
"#;
    expect![[r#"
        event my_provider:start_work usdt usdt::provider @3:8
          params: u8|x
        event my_provider:stop_work usdt usdt::provider @4:8
          params: u64|id, &str|name
        event renamed:tick usdt usdt::provider @9:8
        site my_provider:start_work usdt my_provider::start_work! args=1 fn=main @14:18
        site my_provider:stop_work usdt my_provider::stop_work! args=2 fn=main @15:18
        site other:tick usdt crate::other::tick! args=0 fn=main @16:19
        site other:tick usdt other::tick! args=1 fn=main @17:12
    "#]]
    .assert_eq(&show_file("src/main.rs", src));
}

#[test]
fn probe_crate_sites() {
    let src =
        "fn f(a: u32) {\n    probe::probe!(foo, begin, a, a + 1);\n    probe_lazy!(foo, end);\n}\n";
    expect![[r#"
        event foo:begin probe probe::probe! @2:24
          params: |arg0, |arg1
        event foo:end probe probe_lazy! @3:22
        site foo:begin probe probe::probe! args=2 fn=f @2:24
        site foo:end probe probe_lazy! args=0 fn=f @3:22
    "#]]
    .assert_eq(&show_file("lib.rs", src));
}

#[test]
fn rust_for_linux_declare_trace_and_its_calls() {
    let src = r#"mod trace {
    use kernel::ffi::c_int;

    kernel::declare_trace! {
        /// # Safety
        /// Always safe to call.
        unsafe fn rust_sample_loaded(magic: c_int);
    }

    declare_trace! { fn rust_sample_unloaded(); }

    pub(crate) fn trace_rust_sample_loaded(magic: i32) {
        // SAFETY: Always safe to call.
        unsafe { rust_sample_loaded(magic as c_int) }
        rust_sample_unloaded();
        unrelated(1);
    }
}
"#;
    expect![[r#"
        event -:rust_sample_loaded rfl declare_trace! @7:19
          params: c_int|magic
        event -:rust_sample_unloaded rfl declare_trace! @10:25
        site rust_sample_loaded call rust_sample_loaded args=1 fn=trace_rust_sample_loaded @14:18
        site rust_sample_unloaded call rust_sample_unloaded args=0 fn=trace_rust_sample_loaded @15:9
    "#]]
    .assert_eq(&show_file("samples/rust/rust_print.rs", src));
}

#[test]
fn dtrace_provider_scripts() {
    let src = "provider my_provider {\n\tprobe start_work(uint8_t);\n\tprobe stop_work(uint64_t, char *);\n};\n";
    expect![[r#"
        event my_provider:start_work usdt probe @2:8
          params: uint8_t|arg0
        event my_provider:stop_work usdt probe @3:8
          params: uint64_t|arg0, char *|arg1
    "#]]
    .assert_eq(&show_file("provider.d", src));
}

#[test]
fn malformed_rust_gives_a_partial_index() {
    let src = "fn f( { tracepoint!(app, ok, x = 1); tracepoint!(, , ); tracepoint!(app";
    let out = show_file("bad.rs", src);
    assert!(out.contains("site app:ok"), "{out}");
    for end in 0..=src.len() {
        let _ = show_file("bad.rs", &src[..end]);
    }
}

#[test]
fn rust_positions_are_utf16_and_renames_cover_every_site() {
    use indexer::{LineIndex, Position, WorkspaceIndex};
    use std::sync::Arc;
    let src = "fn f() {\n    /* é😀 */ tracepoint!(app, ev, x = 1);\n    tracepoint!(app, ev, x = 2);\n}\n";
    let idx = indexer::index_file("main.rs", src, &[]);
    let lines = LineIndex::new(src);
    let pos = lines.position(src, idx.sites[0].name_range.start);
    // "    /* é😀 */ tracepoint!(app, " is 31 UTF-16 units (😀 is two).
    assert_eq!(
        pos,
        Position {
            line: 1,
            utf16_col: 31
        }
    );

    let mut ws = WorkspaceIndex::new();
    ws.set_file("main.rs", Arc::from(src));
    let at = src.find("ev, x = 2").unwrap() as u32;
    let edits = ws.rename("main.rs", at, "event").unwrap();
    let lines_edited: Vec<u32> = edits.iter().map(|e| lines.line_of(e.range.start)).collect();
    assert_eq!(lines_edited, [1, 2]);
    assert!(edits.iter().all(|e| e.new_text == "event"));
}
