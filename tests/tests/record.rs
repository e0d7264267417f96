//! `tracer-lsp record` end to end: the real binary records the bundled examples as separate
//! processes; the counts per exact line, babeltrace2's reading of the traces, exit statuses,
//! Ctrl-C, and a recorder killed while the program runs.

use serde_json::Value;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tracer_lsp_tests::procs::Started;
use tracer_lsp_tests::{
    babeltrace_available, babeltrace_events, binary, build_c, build_c_with, cargo_bin, repo_root,
};

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tracer-record-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// 1-based line of the first line of `file` containing `needle`.
fn line_of(file: &Path, needle: &str, nth: usize) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    let i = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in {}", file.display()))
        .0;
    i as u64 + 1
}

fn record_json(dir: &Path, cmd: &[&str]) -> Value {
    let out = Command::new(binary())
        .args(["record", "--json", "--output"])
        .arg(dir)
        .arg("--")
        .args(cmd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "record failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON in {stdout}"));
    serde_json::from_str(json).unwrap()
}

/// (file suffix, line, event, count) of every site, sorted.
fn sites(v: &Value) -> Vec<(String, u64, String, u64)> {
    let mut s: Vec<_> = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
                format!(
                    "{}:{}",
                    s["provider"].as_str().unwrap(),
                    s["event"].as_str().unwrap()
                ),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect();
    s.sort();
    s
}

#[test]
fn the_rust_example_is_counted_on_each_exact_line() {
    let hello = cargo_bin("hello-rs", "hello-rs");
    let dir = out_dir("rust");
    let v = record_json(&dir, &[hello.to_str().unwrap(), "10"]);
    assert_eq!(v["trace"].as_str().unwrap(), dir.to_str().unwrap());
    assert_eq!(v["lost"], 0);
    let src = repo_root().join("examples/rust/src/main.rs");
    let file = "examples/rust/src/main.rs".to_owned();
    assert_eq!(
        sites(&v),
        vec![
            (
                file.clone(),
                line_of(&src, "request_start", 0),
                "hello_rs:request_start".into(),
                10
            ),
            (
                file.clone(),
                line_of(&src, "tracepoint!(hello_rs, request_done", 0),
                "hello_rs:request_done".into(),
                10
            ),
            // ids 0, 3, 6, 9
            (
                file,
                line_of(&src, "tracepoint!(hello_rs, request_done", 1),
                "hello_rs:request_done".into(),
                4
            ),
        ]
    );
    let functions: Vec<&str> = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["function"].as_str().unwrap())
        .collect();
    assert_eq!(
        functions,
        ["hello_rs::serve", "hello_rs::serve", "hello_rs::main"]
    );
    if babeltrace_available() {
        let events = babeltrace_events(&dir);
        assert_eq!(events.len(), 24);
        assert_eq!(
            events
                .iter()
                .filter(|l| l.contains("hello_rs:request_done"))
                .count(),
            14
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_program_exit_status_is_returned_and_a_missing_program_explained() {
    let dir = out_dir("status");
    let st = Command::new(binary())
        .args(["record", "--output"])
        .arg(&dir)
        .args(["--", "sh", "-c", "exit 3"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(3));
    let out = Command::new(binary())
        .args(["record", "--output"])
        .arg(&dir)
        .args(["--", "/nonexistent/program"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot start /nonexistent/program") && stderr.contains("No such file"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until the recording holds a connected process's trace.
fn wait_for_trace(dir: &Path) {
    let t = Instant::now();
    loop {
        let connected = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.path().join("metadata").is_file());
        if connected {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the program never connected"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn killing_the_recorder_leaves_the_program_running_to_its_normal_end() {
    let hello = cargo_bin("hello-rs", "hello-rs");
    let dir = out_dir("killed");
    let mut rec = Command::new(binary())
        .args(["record", "--output"])
        .arg(&dir)
        .arg("--")
        .args([hello.to_str().unwrap(), "100", "5"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_trace(&dir);
    std::thread::sleep(Duration::from_millis(100));
    rec.kill().unwrap();
    let _ = rec.wait();
    // The program keeps the pipe open until it ends; its output must be complete.
    let mut out = String::new();
    rec.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let bytes: usize = (0..100).map(|id| format!("/item/{id}").len() * 100).sum();
    assert!(
        out.contains(&format!("served 100 requests, {bytes} bytes")),
        "program output: {out:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_stops_cleanly_and_keeps_what_was_recorded() {
    let hello = cargo_bin("hello-rs", "hello-rs");
    let dir = out_dir("ctrl-c");
    let rec = Command::new(binary())
        .args(["record", "--output"])
        .arg(&dir)
        .arg("--")
        .args([hello.to_str().unwrap(), "100000", "1"])
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    wait_for_trace(&dir);
    std::thread::sleep(Duration::from_millis(300));
    // Like a terminal's Ctrl-C: SIGINT to the whole foreground process group.
    let pgid = rec.id() as i32;
    assert!(Command::new("kill")
        .args(["-INT", "--", &format!("-{pgid}")])
        .status()
        .unwrap()
        .success());
    let out = rec.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "exit status of the interrupted program"
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("hello_rs:request_start"), "{table}");
    assert!(
        table.contains(&format!("trace: {}", dir.display())),
        "{table}"
    );
    if babeltrace_available() {
        let events = babeltrace_events(&dir);
        let starts = events
            .iter()
            .filter(|l| l.contains("request_start"))
            .count();
        assert!(starts > 10, "only {starts} events kept");
        let line = table
            .lines()
            .find(|l| l.contains("hello_rs:request_start"))
            .unwrap();
        let counted: usize = line
            .split_whitespace()
            .last()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap();
        assert_eq!(counted, starts, "table and trace disagree");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_c_example_is_counted_on_each_exact_line() {
    let src = repo_root().join("examples/c/hello.c");
    let hello = build_c(
        "hello-c",
        std::slice::from_ref(&src),
        &[repo_root().join("examples/c")],
    );
    let dir = out_dir("c");
    let v = record_json(&dir, &[hello.to_str().unwrap(), "you"]);
    assert_eq!(v["lost"], 0);
    let file = "examples/c/hello.c".to_owned();
    assert_eq!(
        sites(&v),
        vec![
            (
                file.clone(),
                line_of(&src, "tracepoint(hello, work_start", 0),
                "hello:work_start".into(),
                10
            ),
            (
                file.clone(),
                line_of(&src, "tracepoint(hello, work_done", 0),
                "hello:work_done".into(),
                10
            ),
            (
                file.clone(),
                line_of(&src, "tracepoint(hello, greeting", 0),
                "hello:greeting".into(),
                1
            ),
            // i = 2, 4, 6, 8, 10
            (
                file,
                line_of(&src, "tracepoint(hello, greeting", 1),
                "hello:greeting".into(),
                5
            ),
        ]
    );
    let functions: Vec<&str> = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["function"].as_str().unwrap())
        .collect();
    assert_eq!(functions, ["do_work", "do_work", "main", "main"]);
    if babeltrace_available() {
        let events = babeltrace_events(&dir);
        assert_eq!(events.len(), 26);
        assert!(events
            .iter()
            .any(|l| l.contains("hello:greeting") && l.contains("count = 10, name = \"you\"")));
        assert!(events
            .iter()
            .any(|l| l.contains("hello:work_done") && l.contains("id = 0x3, cost = 4.5")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_lttng_ust_hello_world_builds_against_our_headers_and_records() {
    let hello_dir = repo_root().join("tracer-core/capi/tests/hello");
    let exe = build_c(
        "lttng-hello",
        &[hello_dir.join("hello.c"), hello_dir.join("hello-tp.c")],
        std::slice::from_ref(&hello_dir),
    );
    let dir = out_dir("lttng-hello");
    let v = record_json(&dir, &[exe.to_str().unwrap(), "a", "b"]);
    let counts: Vec<(u64, u64)> = sites(&v).iter().map(|s| (s.1, s.3)).collect();
    let src = hello_dir.join("hello.c");
    assert_eq!(
        counts,
        [
            (line_of(&src, "tracepoint(hello_world", 0), 1),
            (line_of(&src, "tracepoint(hello_world", 1), 3),
            (line_of(&src, "tracepoint(hello_world", 2), 1),
        ]
    );
    assert!(sites(&v)
        .iter()
        .all(|s| s.2 == "hello_world:my_first_tracepoint"));
    if babeltrace_available() {
        assert_eq!(babeltrace_events(&dir).len(), 5);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reader_that_closes_stdout_early_does_not_change_the_exit_status() {
    use std::io::BufRead;
    let hello = cargo_bin("hello-rs", "hello-rs");
    let dir = out_dir("pipe");
    let mut rec = Command::new(binary())
        .args(["record", "--output"])
        .arg(&dir)
        .arg("--")
        .args([hello.to_str().unwrap(), "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head -1`: read one line, then close the pipe.
    let mut first = String::new();
    std::io::BufReader::new(rec.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let out = rec.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A shared object with tracepoints, loaded with `dlopen`, run and unloaded while its program
/// goes on: neither a fork (the child registers its call sites anew) nor the end of the
/// recording (every call site is switched off) may touch the unloaded module's call sites. Both
/// crashed the program before modules told the library they were going.
#[test]
fn a_module_unloaded_mid_recording_is_never_touched_again() {
    let c = repo_root().join("tests/c");
    let module = build_c_with(
        "plugin.so",
        &[c.join("plugin.c")],
        std::slice::from_ref(&c),
        &["-shared", "-fPIC"],
    );
    let host = build_c(
        "plugin-host",
        &[c.join("plugin-host.c")],
        std::slice::from_ref(&c),
    );
    let (host, module) = (host.to_str().unwrap(), module.to_str().unwrap());

    // The fork: the child's first event registers its call sites as a process of its own.
    let fork_dir = out_dir("plugin-fork");
    let out = Command::new(binary())
        .args(["record", "--json", "--output"])
        .arg(&fork_dir)
        .args(["--", host, module, "10", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "record: {}: {stdout}", out.status);
    assert!(
        stdout.lines().any(|l| l == "plugin ran 10 times, child 0"),
        "the forked child did not end normally: {stdout}"
    );
    let json = stdout.lines().find(|l| l.starts_with('{')).unwrap();
    let report: Value = serde_json::from_str(json).unwrap();
    let counts: Vec<(String, u64, String, u64)> = sites(&report)
        .into_iter()
        .map(|(f, l, e, n)| (f.rsplit('/').next().unwrap().to_owned(), l, e, n))
        .collect();
    let host_c = c.join("plugin-host.c");
    let tick = |nth| line_of(&host_c, "tracepoint(idle, tick", nth);
    assert_eq!(
        counts,
        [
            (
                "plugin-host.c".to_owned(),
                tick(0),
                "idle:tick".to_owned(),
                1
            ),
            (
                "plugin-host.c".to_owned(),
                tick(1),
                "idle:tick".to_owned(),
                1
            ),
            (
                "plugin.c".to_owned(),
                line_of(&c.join("plugin.c"), "tracepoint(plugin, work", 0),
                "plugin:work".to_owned(),
                10
            ),
        ]
    );

    // The end of the recording while the program still runs: every call site of the program
    // is switched off, and the unloaded module's are left alone.
    let dir = out_dir("plugin-stop");
    let mut rec = Started(
        Command::new(binary())
            .args(["record", "--output"])
            .arg(&dir)
            .args(["--", host, module, "10", "2"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = rec.0.stdout.take().unwrap();
    wait_for_trace(&dir);
    std::thread::sleep(Duration::from_millis(500));
    // SIGINT to the recorder alone (not the program's process group).
    assert!(Command::new("kill")
        .args(["-INT", &rec.0.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = rec.wait_for(Duration::from_secs(20), "record after SIGINT");
    let mut printed = String::new();
    stdout.read_to_string(&mut printed).unwrap();
    assert!(
        status.success(),
        "the program did not survive: {status}: {printed}"
    );
    assert!(
        printed.lines().any(|l| l == "plugin ran 10 times, child 0"),
        "{printed}"
    );
    let _ = std::fs::remove_dir_all(&fork_dir);
    let _ = std::fs::remove_dir_all(&dir);
}
