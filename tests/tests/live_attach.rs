//! Following a live session through `tracer-lsp relay`: `counts --live` gives exactly the
//! per-line counts of the finished trace, `tracer.attach` updates the editor's counts while the
//! program runs and ends with the exact counts, and a bad URL or unknown session is a clear
//! error.

use serde_json::{json, Value};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tracer_lsp_tests::procs::{
    counts, counts_output, event_counts, record_live, start_relay, temp_root, Started,
};
use tracer_lsp_tests::{binary, repo_root, Fixture, LspClient};

#[test]
fn counts_live_gives_the_per_line_counts_of_the_finished_trace() {
    let root = temp_root("attach", "cli");
    let dir = root.join("board").join("requests");
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;
    let mut record = record_live(&dir, &["200", "10"]);
    let url = format!("net://localhost:{port}/host/board/requests");
    let live = counts(&["--live", &url]);
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let live = counts_output(
        live,
        Duration::from_secs(10),
        "counts --live after the session ended",
    );
    let finished = counts_output(
        counts(&[dir.to_str().unwrap()]),
        Duration::from_secs(20),
        "counts of the finished trace",
    );
    assert_eq!(live, finished);
    // examples/rust/src/main.rs: 200 starts, 200 + 67 (ids divisible by 3) done.
    let sites: Vec<(u64, u64)> = live["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["line"].as_u64().unwrap(), s["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        sites.iter().map(|s| s.1).collect::<Vec<_>>(),
        [200, 200, 67]
    );
    assert_eq!(live["errors"], json!([]));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn tracer_attach_shows_live_counts_and_ends_with_the_exact_counts() {
    let fx = Fixture::examples();
    let mut c = LspClient::for_attach(&fx);

    let root = temp_root("attach", "lsp");
    let dir = root.join("board").join("live");
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;
    let mut record = record_live(&dir, &["200", "10"]);
    let url = format!("net://127.0.0.1:{port}/host/board/live");
    let r = c.attach(&url, "attach-1");
    assert!(r["result"]["id"].as_u64().is_some(), "{r}");

    let uri = fx.uri("rust/src/main.rs");
    let main = "rust/src/main.rs";
    let (start, done1, done2) = (
        fx.line(main, "tracepoint!(hello_rs, request_start", 0),
        fx.line(main, "tracepoint!(hello_rs, request_done", 0),
        fx.line(main, "tracepoint!(hello_rs, request_done", 1),
    );
    // Live: counts arrive while the program (200 × 10 ms) still runs.
    c.wait_for(|m| {
        m["method"] == "tracer/counts"
            && m["params"]["uri"] == uri
            && m["params"]["sites"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
    });
    assert!(
        record.0.try_wait().unwrap().is_none(),
        "the first counts came after the program ended"
    );
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let end = c.progress_end("attach-1");
    assert!(
        end["params"]["value"]["message"]
            .as_str()
            .unwrap()
            .contains("467 events, 0 lost"),
        "{end}"
    );
    assert!(c
        .seen
        .iter()
        .any(|m| m["params"]["token"] == "attach-1" && m["params"]["value"]["kind"] == "report"));
    assert_eq!(
        c.inlay_hints(&uri),
        vec![
            (start, "● 200".to_owned()),
            (done1, "● 200".to_owned()),
            (done2, "● 67".to_owned()),
        ]
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn tracer_stop_detaches_and_bad_urls_are_clear_errors() {
    let fx = Fixture::examples();
    let mut c = LspClient::for_attach(&fx);
    let root = temp_root("attach", "errors");
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;

    let message = |r: &Value| r["error"]["message"].as_str().unwrap_or("").to_owned();
    let r = c.attach("localhost:5344/board/x", "e1");
    assert!(
        message(&r).contains("net://HOST[:PORT]/host/HOSTNAME/SESSION"),
        "{r}"
    );
    let r = c.attach(&format!("net://127.0.0.1:{port}/host/board/none"), "e2");
    assert!(message(&r).contains("no live session board/none"), "{r}");
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let r = c.attach(&format!("net://127.0.0.1:{dead_port}/host/b/s"), "e3");
    assert!(message(&r).contains("cannot connect to the relay"), "{r}");
    let r = c.request_raw(
        "workspace/executeCommand",
        json!({"command": "tracer.attach", "arguments": [{}]}),
    );
    assert!(message(&r).contains("tracer.attach takes {url"), "{r}");

    // tracer.stop detaches from a session that is still running.
    let dir = root.join("board").join("long");
    let mut record = record_live(&dir, &["1500", "2"]);
    let r = c.attach(&format!("net://127.0.0.1:{port}/host/board/long"), "s1");
    let id = r["result"]["id"].as_u64().expect("an attachment id");
    c.wait_for(|m| {
        m["method"] == "tracer/counts"
            && m["params"]["sites"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
    });
    c.request(
        "workspace/executeCommand",
        json!({"command": "tracer.stop", "arguments": [{"id": id}]}),
    );
    let end = c.progress_end("s1");
    assert!(
        end["params"]["value"]["message"]
            .as_str()
            .unwrap()
            .contains(" events, 0 lost from net://127.0.0.1:"),
        "{end}"
    );
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let _ = std::fs::remove_dir_all(&root);
}

/// A free loopback port (bound and released: lttng-relayd takes it right after).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// lttng-relayd is a relay too: `counts --live` follows an LTTng-UST live session through it
/// and counts what babeltrace2 reads from the finished trace.
#[test]
fn counts_live_follows_an_lttng_live_session_through_lttng_relayd() {
    use tracer_lsp_tests::lttng;
    if !lttng::available() {
        return;
    }
    let _daemon = lttng::SessionDaemon::ensure();
    let work = temp_root("attach", "lttng");
    let src = repo_root().join("tests/lttng");
    let exe = work.join("lines");
    let gcc = Command::new("gcc")
        .arg("-I")
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg(src.join("lines.c"))
        .arg(src.join("lines_tp.c"))
        .args(["-llttng-ust", "-ldl"])
        .output()
        .unwrap();
    assert!(gcc.status.success(), "{gcc:?}");

    let (control, data, live) = (free_port(), free_port(), free_port());
    let out = work.join("relayd");
    let _relayd = Started(
        Command::new("lttng-relayd")
            .arg(format!("--control-port=tcp://127.0.0.1:{control}"))
            .arg(format!("--data-port=tcp://127.0.0.1:{data}"))
            .arg(format!("--live-port=tcp://127.0.0.1:{live}"))
            .arg("--output")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", live)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "lttng-relayd does not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let session = format!("tracer-lsp-attach-{}", std::process::id());
    let url = format!("net://127.0.0.1:{control}:{data}");
    lttng::lttng(&["create", &session, "--live", "100000", "--set-url", &url]);
    lttng::lttng(&["enable-event", "-u", "lines_app:*", "-s", &session]);
    lttng::lttng(&["start", &session]);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let mut follower = Started(
        Command::new(binary())
            .args(["counts", "--json", "--live"])
            .arg(format!(
                "net://127.0.0.1:{live}/host/{}/{session}",
                host.trim()
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    for _ in 0..2 {
        assert!(Command::new(&exe).arg("600").status().unwrap().success());
    }
    lttng::lttng(&["stop", &session]);
    lttng::lttng(&["destroy", &session]);
    let status = follower.wait_for(Duration::from_secs(20), "counts --live");
    let mut stdout = String::new();
    let mut stderr = String::new();
    let _ = follower
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout);
    let _ = follower
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr);
    assert!(status.success(), "counts --live: {stderr}");
    let live: Value = serde_json::from_str(&stdout).unwrap();
    let counted = event_counts(&live);
    // 600 steps and 200 every-third steps per run, and one `done`.
    assert_eq!(counted["lines_app:step"], 2 * 800);
    assert_eq!(counted["lines_app:done"], 2);
    assert_eq!(counted, lttng::babeltrace_counts(&out));
    assert_eq!(live["errors"], json!([]));
    let _ = std::fs::remove_dir_all(&work);
}

/// The relay dies while `counts --live` follows a session: it says so, prints what arrived
/// before, and exits with an error; the recording itself is unaffected.
#[test]
fn counts_live_reports_a_lost_relay_with_the_counts_so_far() {
    let root = temp_root("attach", "lost");
    let dir = root.join("board").join("cut");
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;
    let mut record = record_live(&dir, &["200", "10"]);
    let mut live = Started(
        Command::new(binary())
            .args(["counts", "--json", "--live"])
            .arg(format!("net://127.0.0.1:{port}/host/board/cut"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(700));
    drop(relay);
    let status = live.wait_for(
        Duration::from_secs(15),
        "counts --live after the relay died",
    );
    let mut out = String::new();
    let mut err = String::new();
    let _ = live.0.stdout.take().unwrap().read_to_string(&mut out);
    let _ = live.0.stderr.take().unwrap().read_to_string(&mut err);
    assert!(
        !status.success(),
        "exit status 0 with the relay gone: {out}"
    );
    assert!(err.contains("relay at 127.0.0.1:"), "{err}");
    assert!(
        err.contains("the counts above are what arrived before"),
        "{err}"
    );
    let partial: Value = serde_json::from_str(&out).unwrap();
    let events: u64 = partial["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .sum();
    assert!(events < 467, "{partial}");
    assert!(
        partial["errors"].as_array().is_some_and(|e| e.len() == 1),
        "{partial}"
    );
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let _ = std::fs::remove_dir_all(&root);
}
