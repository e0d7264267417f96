//! Recording through the language server: `tracer.record` runs the Rust example under the
//! embedded recorder; the inlay hints, code lenses, hover, `tracer/counts` notifications,
//! progress and refresh requests must show the exact counts of each line, live and after the
//! program ends; `tracer.stop`, `tracer.clearCounts` and `tracer.openTrace` do what they say.

use serde_json::{json, Value};
use std::process::Command;
use std::time::Instant;
use tracer_lsp_tests::{binary, cargo_bin, position_of, Fixture, LspClient};

fn client(fx: &Fixture) -> LspClient {
    let mut c = LspClient::start();
    c.initialize_refreshing(&fx.root);
    c
}

fn record(c: &mut LspClient, fx: &Fixture, args: &[&str], token: &str) -> u64 {
    let hello = cargo_bin("hello-rs", "hello-rs");
    let mut command = vec![hello.to_str().unwrap().to_owned()];
    command.extend(args.iter().map(|a| a.to_string()));
    let out = fx.root.join(format!(".tracer/traces/{token}"));
    let r = c.request(
        "workspace/executeCommand",
        json!({
            "command": "tracer.record",
            "arguments": [{"command": command, "cwd": fx.root, "outputDirectory": out}],
            "workDoneToken": token,
        }),
    );
    r["id"].as_u64().expect("a recording id")
}

#[test]
fn recording_the_rust_example_annotates_every_site_with_its_exact_count() {
    let fx = Fixture::examples();
    let mut c = client(&fx);
    let uri = fx.uri("rust/src/main.rs");
    let main = "rust/src/main.rs";
    let (start, done1, done2) = (
        fx.line(main, "tracepoint!(hello_rs, request_start", 0),
        fx.line(main, "tracepoint!(hello_rs, request_done", 0),
        fx.line(main, "tracepoint!(hello_rs, request_done", 1),
    );
    let began = Instant::now();
    record(&mut c, &fx, &["40", "25"], "rec-rust");
    // Live: a notification with counts arrives while the program runs (40 × 25 ms).
    let live = c.wait_for(|m| {
        m["method"] == "tracer/counts"
            && m["params"]["uri"] == uri
            && m["params"]["sites"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
    });
    // Counts while the program ran (it fires request_start 40 times over a second): not yet
    // the final ones.
    let first = live["params"]["sites"][0]["count"].as_u64().unwrap();
    assert!(first > 0 && first < 40, "first live count {first}");
    let end = c.progress_end("rec-rust");
    let duration = began.elapsed().as_secs_f64();
    assert!(
        end["params"]["value"]["message"]
            .as_str()
            .unwrap()
            .contains("94 events, 0 lost"),
        "{end}"
    );
    let reports: Vec<&Value> = c
        .seen
        .iter()
        .filter(|m| m["params"]["token"] == "rec-rust" && m["params"]["value"]["kind"] == "report")
        .collect();
    assert!(!reports.is_empty(), "no progress report while recording");
    assert!(reports.iter().all(|m| m["params"]["value"]["message"]
        .as_str()
        .unwrap()
        .contains("/s, ")));

    assert_eq!(
        c.inlay_hints(&uri),
        vec![
            (start, "● 40".to_owned()),
            (done1, "● 40".to_owned()),
            (done2, "● 14".to_owned()),
        ]
    );
    assert_eq!(
        c.last_counts(&uri).unwrap(),
        [(start, 40), (done1, 40), (done2, 14)]
    );

    // The refresh requests are bounded by the 4 Hz sampling.
    let refreshes: Vec<Instant> = c
        .seen
        .iter()
        .zip(&c.seen_at)
        .filter(|(m, _)| m["method"] == "workspace/inlayHint/refresh")
        .map(|(_, t)| *t)
        .collect();
    assert!(!refreshes.is_empty(), "no inlay-hint refresh");
    assert!(
        refreshes.len() as f64 <= 4.0 * duration + 2.0,
        "{} refreshes in {duration:.2} s",
        refreshes.len()
    );
    assert!(c
        .seen
        .iter()
        .any(|m| m["method"] == "workspace/codeLens/refresh"));

    // Code lens: the event's total over its sites, on its (implicit) declaration.
    let titles: Vec<String> = c.code_lenses(&uri).into_iter().map(|l| l.1).collect();
    assert!(
        titles.iter().any(|t| t == "● 54 events recorded"),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t == "● 40 events recorded"),
        "{titles:?}"
    );

    // Hover on a site: count and the latest payloads.
    let text = fx.read(main);
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "request_done, id = id", 3)}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.contains("**Recorded:** 14 events"), "{md}");
    assert!(md.contains("id = 39, bytes = 0"), "{md}");
    assert!(md.contains("first ") && md.contains("(UTC)"), "{md}");

    // Counts stay after the program ended, until cleared.
    c.request(
        "workspace/executeCommand",
        json!({"command": "tracer.clearCounts", "arguments": []}),
    );
    assert_eq!(c.inlay_hints(&uri), vec![]);
    c.wait_for(|m| {
        m["method"] == "tracer/counts"
            && m["params"]["uri"] == uri
            && m["params"]["sites"] == json!([])
    });
    c.shutdown();
}

#[test]
fn stop_ends_a_running_recording_and_keeps_its_counts() {
    let fx = Fixture::examples();
    let mut c = client(&fx);
    let uri = fx.uri("rust/src/main.rs");
    let id = record(&mut c, &fx, &["100000", "2"], "rec-stop");
    c.wait_for(|m| {
        m["method"] == "tracer/counts"
            && m["params"]["uri"] == uri
            && m["params"]["sites"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
    });
    let wrong = c.request_raw(
        "workspace/executeCommand",
        json!({"command": "tracer.stop", "arguments": [{"id": id + 100}]}),
    );
    assert!(wrong.get("error").is_some());
    // As VS Code sends it: the id as text.
    c.request(
        "workspace/executeCommand",
        json!({"command": "tracer.stop", "arguments": [{"id": id.to_string()}]}),
    );
    c.progress_end("rec-stop");
    let h = c.inlay_hints(&uri);
    assert_eq!(h.len(), 3, "{h:?}");
    let first: u64 = h[0]
        .1
        .trim_start_matches("● ")
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(first > 0 && first < 100_000);
    c.shutdown();
}

#[test]
fn a_trace_recorded_on_the_command_line_opens_with_the_same_counts() {
    let fx = Fixture::examples();
    let hello = cargo_bin("hello-rs", "hello-rs");
    let dir = fx.root.join("cli-trace");
    let ok = Command::new(binary())
        .args(["record", "--output"])
        .arg(&dir)
        .arg("--")
        .arg(&hello)
        .arg("7")
        .output()
        .unwrap();
    assert!(ok.status.success());
    let mut c = client(&fx);
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "tracer.openTrace", "arguments": [{"path": dir}]}),
    );
    assert_eq!(r["events"], 7 + 7 + 3);
    assert_eq!(r["errors"], json!([]));
    let uri = fx.uri("rust/src/main.rs");
    let labels: Vec<String> = c.inlay_hints(&uri).into_iter().map(|(_, l)| l).collect();
    assert_eq!(labels, ["● 7", "● 7", "● 3"]);
    let bad = c.request_raw(
        "workspace/executeCommand",
        json!({"command": "tracer.openTrace", "arguments": [{"path": fx.root.join("nope")}]}),
    );
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not a trace directory"));
    c.shutdown();
}

#[test]
fn a_program_that_cannot_start_is_an_error_that_says_why() {
    let fx = Fixture::examples();
    let mut c = client(&fx);
    let r = c.request_raw(
        "workspace/executeCommand",
        json!({"command": "tracer.record", "arguments": [{"command": ["/nonexistent/app"], "cwd": fx.root}]}),
    );
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("cannot start /nonexistent/app"), "{msg}");
    let r = c.request_raw(
        "workspace/executeCommand",
        json!({"command": "tracer.record", "arguments": [{"command": []}]}),
    );
    assert!(r["error"]["message"].as_str().unwrap().contains("command"));
    c.shutdown();
}

#[test]
fn recording_the_c_example_annotates_its_lines_and_totals_its_declarations() {
    let fx = Fixture::examples();
    let repo = tracer_lsp_tests::repo_root();
    let exe = tracer_lsp_tests::build_c(
        "hello-c-lsp",
        std::slice::from_ref(&repo.join("examples/c/hello.c")),
        &[repo.join("examples/c")],
    );
    let mut c = client(&fx);
    c.request(
        "workspace/executeCommand",
        json!({
            "command": "tracer.record",
            "arguments": [{"command": [exe, "you"], "cwd": fx.root, "outputDirectory": fx.root.join(".tracer/c")}],
            "workDoneToken": "rec-c",
        }),
    );
    c.progress_end("rec-c");
    let hello = "c/hello.c";
    let at = |needle: &str, nth: usize| fx.line(hello, needle, nth);
    assert_eq!(
        c.inlay_hints(&fx.uri(hello)),
        vec![
            (at("tracepoint(hello, work_start", 0), "● 10".to_owned()),
            (at("tracepoint(hello, work_done", 0), "● 10".to_owned()),
            (at("tracepoint(hello, greeting", 0), "● 1".to_owned()),
            (at("tracepoint(hello, greeting", 1), "● 5".to_owned()),
        ]
    );
    // The code lenses of the provider header: each event's total over its sites.
    let header = fx.uri("c/hello-tp.h");
    let mut totals: Vec<(u64, String)> = c
        .code_lenses(&header)
        .into_iter()
        .filter(|(_, t)| t.starts_with('●'))
        .collect();
    totals.sort();
    let tp = "c/hello-tp.h";
    assert_eq!(
        totals,
        vec![
            (
                fx.line(tp, "    greeting,", 0),
                "● 6 events recorded".to_owned()
            ),
            (
                fx.line(tp, "work_start", 0),
                "● 10 events recorded".to_owned()
            ),
            (
                fx.line(tp, "work_done", 0),
                "● 10 events recorded".to_owned()
            ),
        ]
    );
    c.shutdown();
}
