//! Bad input never panics and still gives a partial index; positions stay exact in UTF-16.

use indexer::{index_file, LineIndex, Position};

const HEADER: &str = r#"#define TRACE_SYSTEM demo
#define W(n) DEFINE_EVENT(c, n##_x, TP_PROTO(int a), TP_ARGS(a))
DECLARE_EVENT_CLASS(c, TP_PROTO(int a), TP_ARGS(a), TP_STRUCT__entry(__field(int, a)),
	TP_fast_assign(__entry->a = a;), TP_printk("a=%d", __entry->a));
W(first);
TRACE_EVENT(second, TP_PROTO(const char *s), TP_ARGS(s), TP_STRUCT__entry(__string(s, s)),
	TP_fast_assign(__assign_str(s, s);), TP_printk("%s", __get_str(s)));
TRACEPOINT_EVENT(p, third, TP_ARGS(int, v), TP_FIELDS(ctf_integer(int, v, v)))
void f(void) { trace_second("x"); tracepoint(p, third, 1); DTRACE_PROBE1(p, fourth, 2); }
"#;

#[test]
fn every_truncation_of_a_header_indexes_without_panic() {
    for end in 0..=HEADER.len() {
        if HEADER.is_char_boundary(end) {
            let _ = index_file("t.h", &HEADER[..end], &[]);
        }
    }
    let full = index_file("t.h", HEADER, &[]);
    assert_eq!(full.events.len(), 4, "{full:#?}");
    assert_eq!(full.sites.len(), 3);
}

#[test]
fn truncated_mid_declaration_keeps_what_came_before_and_the_partial_one() {
    let cut = HEADER.find("TP_STRUCT__entry(__string").unwrap();
    let idx = index_file("t.h", &HEADER[..cut], &[]);
    let names: Vec<&str> = idx.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["first_x", "second"]);
    assert_eq!(idx.events[1].payload.params[0].name, "s");
}

#[test]
fn garbage_and_binary_input() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet: Vec<char> = "()[]{},;#\\\"'/*\n _aTRACE_EVENTtrace_x##DEFINE_EVENT(é😀\0"
        .chars()
        .collect();
    for _ in 0..2000 {
        let len = (next() % 200) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let _ = index_file("g.c", &s, &[]);
    }
    let bytes: Vec<u8> = (0..100_000).map(|_| next() as u8).collect();
    let lossy = String::from_utf8_lossy(&bytes);
    let _ = index_file("bin.c", &lossy, &[]);
}

#[test]
fn pathological_nesting_and_recursive_wrappers_terminate() {
    let deep = format!("TRACE_EVENT({}x{}", "(".repeat(50_000), ")".repeat(10));
    let _ = index_file("deep.h", &deep, &[]);
    let recursive = "#define A(x) B(x) DEFINE_EVENT(c, x, TP_PROTO(int a), TP_ARGS(a))\n\
                     #define B(x) A(x)\nA(loop);\n";
    let idx = index_file("rec.h", recursive, &[]);
    assert!(!idx.events.is_empty());
}

#[test]
fn positions_are_utf16_after_non_ascii_text() {
    let src = "/* Grüße 😀 */ void f(void) { /* ü */ trace_sched_switch(1, 2, 3, 4); }\n\
               #define TRACE_SYSTEM s\nDECLARE_TRACE(é_not_ascii_before, TP_PROTO(int a), TP_ARGS(a)); /* 😀 */ DECLARE_TRACE(ev, TP_PROTO(int a), TP_ARGS(a));\n";
    let idx = index_file("u.c", src, &[]);
    let lines = LineIndex::new(src);
    let site = &idx.sites[0];
    let pos = lines.position(src, site.name_range.start);
    // "/* Grüße 😀 */ void f(void) { /* ü */ " is 38 UTF-16 units (😀 is two).
    assert_eq!(
        pos,
        Position {
            line: 0,
            utf16_col: 38
        }
    );
    assert_eq!(lines.offset(src, pos), site.name_range.start);
    let ev = idx.events.iter().find(|e| e.name == "ev").unwrap();
    let pos = lines.position(src, ev.name_range.start);
    let line2 = src.lines().nth(2).unwrap();
    let prefix = &line2[..line2.find("(ev,").unwrap() + 1];
    assert_eq!(pos.utf16_col as usize, prefix.encode_utf16().count());
}

#[test]
fn huge_files_get_a_partial_index_of_their_beginning() {
    let head = "DECLARE_TRACE(early, TP_PROTO(int a), TP_ARGS(a));\n";
    let tail = "DECLARE_TRACE(late, TP_PROTO(int a), TP_ARGS(a));\n";
    let mut text = String::with_capacity(40 << 20);
    text.push_str(head);
    text.push_str(&" ".repeat(40 << 20));
    text.push_str(tail);
    let idx = index_file("huge.h", &text, &[]);
    let names: Vec<&str> = idx.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["early"]);
}
