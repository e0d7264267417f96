//! `tracer-lsp record --stream` to `tracer-lsp relay` on loopback, end to end: babeltrace2
//! reads a streamed recording live through the relay and gets exactly the events of the
//! local copy; a relay killed mid-run leaves the program unaffected, the loss is counted, and
//! a relay restarted on the same port gets the rest; a wrong token and malformed target
//! messages are refused while the relay keeps serving.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};
use tracer_lsp_tests::{
    babeltrace_available, babeltrace_events, binary, build_c, cargo_bin, repo_root,
};

/// A child process of this test, killed (by its PID, through `Child::kill`) when dropped.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Started {
    /// Waits at most `limit` for the process to exit.
    fn wait_for(&mut self, limit: Duration, what: &str) -> std::process::ExitStatus {
        let t = Instant::now();
        loop {
            if let Some(s) = self.0.try_wait().unwrap() {
                return s;
            }
            assert!(t.elapsed() < limit, "{what} still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn temp_root(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tracer-stream-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Lines of `r` as they arrive, each with the time it arrived.
fn lines_of(r: impl Read + Send + 'static) -> Receiver<(Instant, String)> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), l)).is_err() {
                break;
            }
        }
    });
    rx
}

struct Relay {
    _child: Started,
    child_pid: u32,
    viewers: u16,
    targets: u16,
    errors: Receiver<(Instant, String)>,
}

/// Starts a relay on loopback (`targets`: 0 for any free port); `extra` are more options.
fn start_relay(root: &Path, targets: u16, extra: &[&str]) -> Relay {
    let mut child = Command::new(binary())
        .args(["relay", "--listen", "127.0.0.1:0", "--targets"])
        .arg(format!("127.0.0.1:{targets}"))
        .arg("--root")
        .arg(root)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    let errors = lines_of(child.stderr.take().unwrap());
    let child_pid = child.id();
    let child = Started(child);
    let (_, first) = out
        .recv_timeout(Duration::from_secs(10))
        .expect("the relay prints its addresses");
    let port_after = |key: &str| -> u16 {
        first
            .split(key)
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key:?} port in {first:?}"))
    };
    Relay {
        viewers: port_after("listening on 127.0.0.1:"),
        targets: port_after("targets on 127.0.0.1:"),
        _child: child,
        child_pid,
        errors,
    }
}

fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Relay stderr lines until `needle` shows up (at most `limit`); all of them, joined.
fn relay_says(relay: &Relay, needle: &str, limit: Duration) -> String {
    let t = Instant::now();
    let mut said = Vec::new();
    while t.elapsed() < limit {
        if let Ok((_, l)) = relay.errors.recv_timeout(Duration::from_millis(100)) {
            said.push(l);
            if said.last().is_some_and(|l| l.contains(needle)) {
                break;
            }
        }
    }
    said.join("\n")
}

/// `record --stream 127.0.0.1:PORT --json ARGS -- CMD`, stdout piped.
fn record_stream(port: u16, args: &[&str], cmd: &[&str]) -> (Started, Receiver<(Instant, String)>) {
    let mut child = Command::new(binary())
        .args(["record", "--json", "--stream"])
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .arg("--")
        .args(cmd)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    (Started(child), out)
}

/// The program's output lines and record's JSON report (the last line).
fn outcome(out: &Receiver<(Instant, String)>) -> (Vec<String>, Value) {
    let mut lines: Vec<String> = out.try_iter().map(|(_, l)| l).collect();
    let json = lines.pop().expect("record printed its report");
    (lines, serde_json::from_str(&json).unwrap())
}

/// Whether some trace of the session has a stream file with a packet.
fn has_packets(session: &Path) -> bool {
    std::fs::read_dir(session)
        .into_iter()
        .flatten()
        .flatten()
        .any(|t| {
            t.path()
                .join("chan_0")
                .metadata()
                .is_ok_and(|m| m.len() > 0)
        })
}

#[test]
fn babeltrace2_reads_a_streamed_recording_live() {
    if !babeltrace_available() {
        return;
    }
    let src = repo_root().join("examples/c/hello.c");
    let hello = build_c("hello-c-stream", &[src], &[repo_root().join("examples/c")]);
    let hello = hello.to_str().unwrap();
    let root = temp_root("live");
    let local = root.join("local");
    let relay_root = root.join("relay");
    std::fs::create_dir_all(&relay_root).unwrap();
    let relay = start_relay(&relay_root, 0, &["--token", "s3cret"]);
    let session = relay_root.join("board").join("c-demo");

    // Two runs of the C example 1.5 s apart: the viewer attaches after the first, so the
    // second's events reach it live, before the recording ends 1.5 s later.
    let script = format!("{hello} one && sleep 1.5 && {hello} two && sleep 1.5");
    let local_arg = local.to_str().unwrap();
    let (mut record, out) = record_stream(
        relay.targets,
        &[
            "--token",
            "s3cret",
            "--hostname",
            "board",
            "--session",
            "c-demo",
            "--output",
            local_arg,
        ],
        &["sh", "-c", &script],
    );
    wait_until(
        Duration::from_secs(10),
        "the first program's packets at the relay",
        || has_packets(&session),
    );

    let list = Command::new("babeltrace2")
        .arg("--input-format=lttng-live")
        .arg(format!("net://localhost:{}", relay.viewers))
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "listing failed: {list:?}");
    let url = format!("net://localhost:{}/host/board/c-demo", relay.viewers);
    assert!(
        listed.lines().any(|l| l.starts_with(&url)),
        "{url} not listed in {listed:?}"
    );

    let mut viewer = Command::new("babeltrace2")
        .arg("--input-format=lttng-live")
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let live_lines = lines_of(viewer.stdout.take().unwrap());
    let mut viewer_err = viewer.stderr.take().unwrap();
    let mut viewer = Started(viewer);

    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let recording_ended = Instant::now();
    let viewed = viewer.wait_for(
        Duration::from_secs(10),
        "babeltrace2 after the session ended",
    );
    let mut stderr = String::new();
    viewer_err.read_to_string(&mut stderr).unwrap();
    assert!(viewed.success(), "babeltrace2 failed: {viewed}: {stderr}");
    assert!(
        !stderr.contains("ERROR"),
        "babeltrace2 complained: {stderr}"
    );

    let (program, report) = outcome(&out);
    assert_eq!(
        program,
        ["hello one: total cost 40.5", "hello two: total cost 40.5"]
    );
    assert_eq!(report["stream"]["dropped_packets"], 0, "{report}");
    assert_eq!(report["stream"]["error"], Value::Null, "{report}");
    assert_eq!(report["stream"]["session"], "board/c-demo");
    assert_eq!(report["trace"].as_str(), Some(local_arg));

    let received: Vec<(Instant, String)> = live_lines.try_iter().collect();
    let live: Vec<String> = received.iter().map(|(_, l)| l.clone()).collect();
    assert!(
        received
            .iter()
            .any(|(t, l)| l.contains("name = \"two\"") && *t < recording_ended),
        "the second program's events did not arrive while the recording ran"
    );
    // Per program: a greeting, then 10 work_start and 10 work_done, 5 more greetings.
    assert_eq!(live.len(), 2 * 26);
    // Exactly the events of the local copy and of the relay's files, in the same order.
    assert_eq!(live, babeltrace_events(&local));
    assert_eq!(live, babeltrace_events(&session));
    assert!(
        !session.join(".live").exists(),
        "the relay kept the session live"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_relay_killed_mid_run_loses_packets_not_the_program() {
    if !babeltrace_available() {
        return;
    }
    let hello = cargo_bin("hello-rs", "hello-rs");
    let root = temp_root("kill");
    let mut relay = start_relay(&root, 0, &[]);
    let port = relay.targets;
    let session = root.join("t").join("k");
    // 300 requests 10 ms apart: about 3 s.
    let (mut record, out) = record_stream(
        port,
        &["--hostname", "t", "--session", "k"],
        &[hello.to_str().unwrap(), "300", "10"],
    );
    wait_until(Duration::from_secs(10), "packets at the relay", || {
        has_packets(&session)
    });
    // SIGKILL, by PID (Child::kill), then nothing listens for a while.
    relay._child.0.kill().unwrap();
    relay._child.0.wait().unwrap();
    let killed_pid = relay.child_pid;
    std::thread::sleep(Duration::from_millis(700));
    relay = start_relay(&root, port, &[]);
    assert_ne!(relay.child_pid, killed_pid);

    let status = record.wait_for(Duration::from_secs(25), "record");
    assert!(status.success(), "record: {status}");
    let (program, report) = outcome(&out);
    assert_eq!(program, ["served 300 requests, 259000 bytes"]);
    let stream = &report["stream"];
    assert!(
        stream["dropped_packets"].as_u64().unwrap() > 0,
        "no loss counted: {report}"
    );
    assert!(
        stream["connections"].as_u64().unwrap() >= 2,
        "no reconnection: {report}"
    );
    assert!(stream["sent_packets"].as_u64().unwrap() > 0, "{report}");
    // The program's last events reached the restarted relay, and the session ended there.
    relay_says(&relay, "recording complete", Duration::from_secs(5));
    assert!(!session.join(".live").exists());
    let events = Command::new("babeltrace2").arg(&session).output().unwrap();
    assert!(events.status.success(), "{events:?}");
    let events = String::from_utf8_lossy(&events.stdout);
    assert!(
        events.contains("id = 299,"),
        "the last request is not at the relay"
    );
    assert!(
        events.contains("id = 0,"),
        "the first request is not at the relay"
    );
    let n = events.lines().count();
    assert!(n < 300 + 300 + 100, "nothing was lost? {n} events");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_wrong_token_is_refused() {
    let hello = cargo_bin("hello-rs", "hello-rs");
    let root = temp_root("token");
    let relay = start_relay(&root, 0, &["--token", "right"]);
    let (mut record, out) = record_stream(
        relay.targets,
        &["--token", "wrong", "--hostname", "h", "--session", "s"],
        &[hello.to_str().unwrap(), "5"],
    );
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let (program, report) = outcome(&out);
    assert_eq!(program, ["served 5 requests, 3500 bytes"]);
    let error = report["stream"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("refused: wrong token"), "{report}");
    assert_eq!(report["stream"]["sent_packets"], 0);
    assert!(report["stream"]["dropped_packets"].as_u64().unwrap() > 0);
    let said = relay_says(&relay, "wrong token", Duration::from_secs(5));
    assert!(said.contains("h/s: wrong token, refused"), "{said}");
    assert!(!root.join("h").exists(), "a refused target wrote files");
    let _ = std::fs::remove_dir_all(&root);
}

/// A target frame: kind, trace, payload.
fn frame(kind: u32, trace: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = kind.to_be_bytes().to_vec();
    f.extend_from_slice(&trace.to_be_bytes());
    f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn hello_frame(host: &str, session: &str) -> Vec<u8> {
    let mut p = b"TRLY".to_vec();
    p.extend_from_slice(&1u32.to_be_bytes());
    p.extend_from_slice(&0u32.to_be_bytes());
    for s in [host, session, ""] {
        p.extend_from_slice(&(s.len() as u16).to_be_bytes());
        p.extend_from_slice(s.as_bytes());
    }
    frame(1, 0, &p)
}

/// Sends `bytes` as a target; true when the relay then closes the connection.
fn closed_after(port: u16, bytes: &[u8]) -> bool {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(bytes).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).is_ok()
}

#[test]
fn malformed_target_messages_close_that_target_only() {
    let root = temp_root("malformed");
    let relay = start_relay(&root, 0, &[]);
    // A well-behaved target that stays connected.
    let mut good = TcpStream::connect(("127.0.0.1", relay.targets)).unwrap();
    good.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    good.write_all(&hello_frame("good", "s")).unwrap();
    let mut accepted = [0u8; 12];
    good.read_exact(&mut accepted).unwrap();
    assert_eq!(accepted[..4], 2u32.to_be_bytes(), "hello not accepted");

    assert!(
        closed_after(relay.targets, &frame(1, 0, b"HTTP")),
        "bad magic"
    );
    assert!(
        closed_after(relay.targets, &hello_frame("..", "s")),
        "host '..'"
    );
    let mut traversal = hello_frame("h", "s");
    traversal.extend(frame(4, 0, b"\x00\x05../..\x2f* CTF 1.8 */"));
    assert!(
        closed_after(relay.targets, &traversal),
        "trace name '../..'"
    );
    let mut huge = hello_frame("h", "s2");
    huge.extend(frame(5, 0, &[]).iter().take(8));
    huge.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(closed_after(relay.targets, &huge), "4 GiB frame");
    let mut orphan = hello_frame("h", "s3");
    orphan.extend(frame(5, 3, b"\x00\x06chan_0xxxx"));
    assert!(
        closed_after(relay.targets, &orphan),
        "packet before metadata"
    );

    let said = relay_says(&relay, "before its metadata", Duration::from_secs(5));
    for needle in [
        "not a tracer target",
        "host name \"..\" is not a plain name",
        "trace name \"../..\" is not a plain name",
        "exceeds the",
        "packet for trace 3 before its metadata",
    ] {
        assert!(
            said.contains(needle),
            "no {needle:?} in the relay's errors: {said}"
        );
    }
    // The first target is still served, and nothing escaped the root.
    good.write_all(&frame(9, 0, &[])).unwrap();
    good.write_all(&frame(7, 0, &[])).unwrap();
    let mut ack = [0u8; 20];
    good.read_exact(&mut ack).unwrap();
    assert_eq!(ack[..4], 8u32.to_be_bytes(), "no final ack");
    assert!(!root.parent().unwrap().join("*").exists());
    let _ = std::fs::remove_dir_all(&root);
}
