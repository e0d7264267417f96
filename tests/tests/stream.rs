//! `tracer-lsp record --stream` to `tracer-lsp relay` on loopback, end to end: babeltrace2
//! reads a streamed recording live through the relay and gets exactly the events of the
//! local copy; a relay killed mid-run leaves the program unaffected, the loss is counted, and
//! a relay restarted on the same port gets the rest and serves it live again; a wrong token
//! and malformed target messages are refused while the relay keeps serving; a target in its
//! own network namespace (a veth pair, private addresses) streams to the relay on the host
//! side, where a language server attached with `tracer.attach` shows counts while the program
//! runs and ends with the finished trace's per-line counts; a link cut for 3 s mid-run leaves
//! the program and the relay's trace whole; a 2 s cut that overflows a small `--stream-queue`
//! drops whole packets, each counted and reported by babeltrace2, while the programs keep
//! their pace; a target that vanishes without ending its session has the session ended after
//! `--target-timeout`, and resumes it when it comes back.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};
use tracer_lsp_tests::procs::{
    counts, counts_output, lines_of, live_sessions, start_relay, temp_root, wait_until, LiveViewer,
    Relay, Started,
};
use tracer_lsp_tests::{
    babeltrace_available, babeltrace_events, binary, build_c, cargo_bin, line_counts, repo_root,
    Fixture, LspClient,
};

/// Relay stderr lines until every one of `needles` has shown up (at most `limit`); all of
/// them, joined. (A connection's error is logged after it is closed, so the order of the
/// lines of connections closed one after the other is not fixed.)
fn relay_says(relay: &Relay, needles: &[&str], limit: Duration) -> String {
    let t = Instant::now();
    let mut said = Vec::new();
    while t.elapsed() < limit {
        if let Ok((_, l)) = relay.errors.recv_timeout(Duration::from_millis(100)) {
            said.push(l);
            let all = said.join("\n");
            if needles.iter().all(|n| all.contains(n)) {
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
    let root = temp_root("stream", "live");
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

    let listed = live_sessions(relay.viewers);
    let url = format!("net://localhost:{}/host/board/c-demo", relay.viewers);
    assert!(
        listed.lines().any(|l| l.starts_with(&url)),
        "{url} not listed in {listed:?}"
    );

    let viewer = LiveViewer::start(&url);
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let recording_ended = Instant::now();
    let (viewed, received, stderr) = viewer.finish(Duration::from_secs(10));
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
    let root = temp_root("stream", "kill");
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
    relay.process.0.kill().unwrap();
    relay.process.0.wait().unwrap();
    let killed_pid = relay.child_pid;
    std::thread::sleep(Duration::from_millis(700));
    relay = start_relay(&root, port, &[]);
    assert_ne!(relay.child_pid, killed_pid);
    // Once the target is back, the restarted relay serves the session live again: the
    // editor's live client follows it to the end.
    let marker = session.join(".live");
    let new_pid = format!("pid {}\n", relay.child_pid);
    wait_until(Duration::from_secs(10), "the target to reconnect", || {
        std::fs::read_to_string(&marker).is_ok_and(|m| m.starts_with(&new_pid))
    });
    let editor = counts(&[
        "--live",
        &format!("net://localhost:{}/host/t/k", relay.viewers),
    ]);

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
    relay_says(&relay, &["recording complete"], Duration::from_secs(5));
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
    let editor = counts_output(editor, Duration::from_secs(10), "counts --live");
    let finished = counts_output(
        counts(&[session.to_str().unwrap()]),
        Duration::from_secs(20),
        "counts of the relay's trace",
    );
    assert_eq!(editor, finished);
    let counted: u64 = site_counts(&editor).iter().map(|s| s.2).sum();
    assert_eq!(counted as usize, n, "{editor}");
    let _ = std::fs::remove_dir_all(&root);
}

/// Sends `signal` (`STOP`, `CONT`) to a process this test started, by its PID.
fn signal(child: &Started, signal: &str) {
    let st = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.0.id().to_string())
        .status()
        .unwrap();
    assert!(st.success(), "kill -{signal}");
}

/// A target that goes silent (its recorder stopped) is dropped after `--target-timeout`, and
/// its session ends after as long again: a live viewer gets the end of the session instead
/// of waiting forever. When the target comes back it resumes the session and ends it.
#[test]
fn a_vanished_target_has_its_session_ended_after_the_timeout() {
    if !babeltrace_available() {
        return;
    }
    let hello = cargo_bin("hello-rs", "hello-rs");
    let root = temp_root("stream", "vanish");
    let relay = start_relay(&root, 0, &["--target-timeout", "1"]);
    let session = root.join("t").join("gone");
    // 400 requests 10 ms apart: about 4 s.
    let (mut record, out) = record_stream(
        relay.targets,
        &["--hostname", "t", "--session", "gone"],
        &[hello.to_str().unwrap(), "400", "10"],
    );
    wait_until(Duration::from_secs(10), "packets at the relay", || {
        has_packets(&session)
    });
    let viewer = counts(&[
        "--live",
        &format!("net://localhost:{}/host/t/gone", relay.viewers),
    ]);
    // The recorder stops (the program goes on): no keepalive, no packet, no End.
    signal(&record, "STOP");
    let stopped = Instant::now();
    let said = relay_says(
        &relay,
        &["did not come back within 1 s: session ended"],
        Duration::from_secs(10),
    );
    assert!(
        said.contains("t/gone: the target left without ending the session"),
        "{said}"
    );
    // The connection times out 1 s after the target's last frame (sent at most a live-timer
    // period before the stop), then the session gets 1 s more to reconnect.
    assert!(stopped.elapsed() >= Duration::from_secs(1), "{said}");
    assert!(!session.join(".live").exists(), "the session is still live");
    // The live viewer got the end of the session, with what had arrived.
    let seen = counts_output(viewer, Duration::from_secs(10), "counts --live");
    let seen: u64 = site_counts(&seen).iter().map(|s| s.2).sum();
    assert!(seen > 0 && seen < 400 + 400 + 134, "{seen} events");

    // The target comes back: it reconnects, sends the rest and ends the session.
    signal(&record, "CONT");
    let status = record.wait_for(Duration::from_secs(30), "record after SIGCONT");
    assert!(status.success(), "record: {status}");
    let (program, report) = outcome(&out);
    assert_eq!(program, ["served 400 requests, 349000 bytes"]);
    assert!(
        report["stream"]["connections"].as_u64().unwrap() >= 2,
        "{report}"
    );
    relay_says(
        &relay,
        &["t/gone: recording complete"],
        Duration::from_secs(5),
    );
    assert!(!session.join(".live").exists());
    let events = Command::new("babeltrace2").arg(&session).output().unwrap();
    assert!(events.status.success(), "{events:?}");
    assert!(
        String::from_utf8_lossy(&events.stdout).contains("id = 399,"),
        "the last request is not at the relay"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_wrong_token_is_refused() {
    let hello = cargo_bin("hello-rs", "hello-rs");
    let root = temp_root("stream", "token");
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
    let said = relay_says(&relay, &["wrong token"], Duration::from_secs(5));
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
    // Protocol version 2 (with beacons).
    p.extend_from_slice(&2u32.to_be_bytes());
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
    let root = temp_root("stream", "malformed");
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

    let needles = [
        "not a tracer target",
        "host name \"..\" is not a plain name",
        "trace name \"../..\" is not a plain name",
        "exceeds the",
        "packet for trace 3 before its metadata",
    ];
    let said = relay_says(&relay, &needles, Duration::from_secs(5));
    for needle in needles {
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

/// A network namespace with one end of a veth pair, deleted (with the pair) when dropped.
struct Netns {
    name: String,
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A target namespace linked to this one: `(namespace, host interface, host address, target
/// address)`, private 10.x.y.0/30 addresses from this test's pid and `slot` (one per test that
/// runs at the same time, 0 to 3: `x` is `slot + 1` modulo 4, so two slots never share a
/// subnet, and two test processes only when their pids agree on the bits that make `x` and
/// `y`); `Err` when namespaces are not permitted.
fn target_namespace(slot: u32) -> Result<(Netns, String, String, String), String> {
    assert!(slot < 4, "slot {slot}: target_namespace has four");
    let pid = std::process::id();
    let ns = Netns {
        name: format!("tracer-target-{pid}-{slot}"),
    };
    ip(&["netns", "add", &ns.name])?;
    let (host_if, target_if) = (
        format!("trh{}{slot}", pid % 100_000),
        format!("trt{}{slot}", pid % 100_000),
    );
    let (x, y) = (((pid >> 6) % 63) * 4 + slot + 1, (pid % 64) * 4);
    let (host_addr, target_addr) = (format!("10.{x}.{y}.1"), format!("10.{x}.{y}.2"));
    ip(&[
        "link", "add", &host_if, "type", "veth", "peer", "name", &target_if,
    ])?;
    ip(&["link", "set", &target_if, "netns", &ns.name])?;
    ip(&["addr", "add", &format!("{host_addr}/30"), "dev", &host_if])?;
    ip(&["link", "set", &host_if, "up"])?;
    let inside = |args: &[&str]| {
        let mut v = vec!["netns", "exec", &ns.name, "ip"];
        v.extend_from_slice(args);
        ip(&v)
    };
    inside(&[
        "addr",
        "add",
        &format!("{target_addr}/30"),
        "dev",
        &target_if,
    ])?;
    inside(&["link", "set", &target_if, "up"])?;
    inside(&["link", "set", "lo", "up"])?;
    Ok((ns, host_if, host_addr, target_addr))
}

/// The relay on the host side of the link: targets on the link's address `host_addr` (so it
/// needs --allow-remote and a token), viewers on loopback; `(relay, viewer port, target port)`.
fn start_host_relay(root: &Path, host_addr: &str) -> (Started, u16, u16) {
    let mut child = Command::new(binary())
        .args([
            "relay",
            "--listen",
            "127.0.0.1:0",
            "--allow-remote",
            "--token",
            "board-secret",
        ])
        .arg("--targets")
        .arg(format!("{host_addr}:0"))
        .arg("--root")
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    let relay = Started(child);
    let (_, first) = out.recv_timeout(Duration::from_secs(10)).unwrap();
    let port_after = |key: &str| -> u16 {
        first
            .split(key)
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key:?} in {first:?}"))
    };
    let viewers = port_after("listening on 127.0.0.1:");
    let targets = port_after(&format!("targets on {host_addr}:"));
    (relay, viewers, targets)
}

/// `record --stream HOST_ADDR:PORT` of `hello-rs ARGS` inside the namespace, as session
/// `board/SESSION`; stdout piped.
fn record_in_namespace(
    ns: &Netns,
    relay: &str,
    session: &str,
    args: &[&str],
) -> (Started, Receiver<(Instant, String)>) {
    let hello = cargo_bin("hello-rs", "hello-rs");
    let mut record = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(binary())
        .args(["record", "--json", "--stream", relay])
        .args([
            "--token",
            "board-secret",
            "--hostname",
            "board",
            "--session",
            session,
            "--",
        ])
        .arg(&hello)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines_of(record.stdout.take().unwrap());
    (Started(record), out)
}

/// Per-line counts of the `counts --json` output: `(file, line, count)`.
fn site_counts(v: &Value) -> Vec<(String, u64, u64)> {
    v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

macro_rules! namespace_or_skip {
    ($slot:expr) => {
        match target_namespace($slot) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("\n!!!!!!!! SKIPPED host/target test: network namespaces not permitted ({e}) !!!!!!!!\n");
                return;
            }
        }
    };
}

#[test]
fn a_target_in_its_own_network_namespace_streams_to_the_host() {
    if !babeltrace_available() {
        return;
    }
    let (ns, _host_if, host_addr, _target_addr) = namespace_or_skip!(0);
    // The editor on the host: a language server on the examples, ready before the target
    // starts.
    let fx = Fixture::examples();
    let mut editor = LspClient::for_attach(&fx);
    let main = "rust/src/main.rs";
    let uri = fx.uri(main);
    let (start, done1, done2) = (
        fx.line(main, "tracepoint!(hello_rs, request_start", 0),
        fx.line(main, "tracepoint!(hello_rs, request_done", 0),
        fx.line(main, "tracepoint!(hello_rs, request_done", 1),
    );
    let root = temp_root("stream", "netns");
    let (_relay, viewers, targets) = start_host_relay(&root, &host_addr);
    let session = root.join("board").join("ns");

    // The program and its recorder on the target, which reaches the host only through the
    // veth link.
    let (mut record, out) =
        record_in_namespace(&ns, &format!("{host_addr}:{targets}"), "ns", &["150", "10"]);
    // The editor attaches through the relay as soon as the relay lists the session (the
    // target's first message), while the program runs.
    let url = format!("net://localhost:{viewers}/host/board/ns");
    wait_until(
        Duration::from_secs(10),
        "the target's session at the relay",
        || session.join(".live").exists(),
    );
    let attached = editor.attach(&url, "board-ns");
    assert!(attached["result"]["id"].as_u64().is_some(), "{attached}");
    wait_until(Duration::from_secs(10), "packets from the target", || {
        has_packets(&session)
    });
    let viewer = LiveViewer::start(&url);
    // Live: the editor's first counts on main.rs while the program runs.
    let first = editor.wait_for(|m| {
        m["method"] == "tracer/counts"
            && m["params"]["uri"] == uri
            && line_counts(m).iter().any(|s| s.1 > 0)
    });
    let first: u64 = line_counts(&first).iter().map(|s| s.1).sum();
    assert!(record
        .wait_for(Duration::from_secs(20), "record in the namespace")
        .success());
    let (viewed, live_lines, stderr) = viewer.finish(Duration::from_secs(10));
    assert!(viewed.success(), "babeltrace2: {viewed}: {stderr}");
    let end = editor.progress_end("board-ns");
    let (program, report) = outcome(&out);
    assert_eq!(program, ["served 150 requests, 124000 bytes"]);
    assert_eq!(report["stream"]["dropped_packets"], 0, "{report}");
    // The target's own counts (its JSON) are what the host's relay holds, and what the live
    // viewer saw (everything after it attached, so the tail of the trace).
    let target_total: u64 = report["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert_eq!(target_total, 150 + 150 + 50);
    let at_host = babeltrace_events(&session);
    assert_eq!(at_host.len() as u64, target_total);
    let live: Vec<String> = live_lines.into_iter().map(|(_, l)| l).collect();
    assert_eq!(
        live, at_host,
        "the live view differs from the relay's trace"
    );

    // The finished trace's counts: examples/rust/src/main.rs's three sites.
    let finished = counts_output(
        counts(&[session.to_str().unwrap()]),
        Duration::from_secs(20),
        "counts of the relay's trace",
    );
    let sites = site_counts(&finished);
    assert!(
        sites.iter().all(|s| s.0.ends_with("rust/src/main.rs")),
        "{finished}"
    );
    assert_eq!(finished["errors"], json!([]));
    let lines: Vec<(u64, u64)> = sites.iter().map(|s| (s.1 - 1, s.2)).collect();
    assert_eq!(
        lines,
        [(start, 150), (done1, 150), (done2, 50)],
        "{finished}"
    );
    let per_event: Vec<u64> = finished["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .collect();
    let events: u64 = per_event.iter().sum();
    assert_eq!(events, target_total, "{finished}");
    // The editor's first counts were a part of them: they came while the program ran.
    assert!(
        first < events,
        "the editor's first counts ({first} events) came after the program ended"
    );
    // Followed live from the host, the editor ends with exactly the finished trace's
    // per-line counts (each exact, none shared), its per-event totals on the code lenses,
    // every event and nothing lost ...
    assert_eq!(editor.last_counts(&uri), Some(lines.clone()));
    assert_eq!(
        editor.inlay_hints(&uri),
        lines
            .iter()
            .map(|&(l, n)| (l, format!("● {n}")))
            .collect::<Vec<_>>()
    );
    let lenses = editor.code_lenses(&uri);
    for n in per_event {
        let total = format!("● {n} events recorded");
        assert!(
            lenses.iter().any(|(_, t)| *t == total),
            "{total:?} not in {lenses:?}"
        );
    }
    assert_eq!(
        end["params"]["value"]["message"],
        format!("{events} events, {} lost from {url}", finished["lost"]),
        "{end}"
    );
    // ... and no errors (the server logs them as warnings) or counts outside the workspace.
    let complaints: Vec<&Value> = editor
        .seen
        .iter()
        .filter(|m| {
            m["method"] == "window/logMessage"
                && (matches!(m["params"]["type"].as_u64(), Some(1 | 2))
                    || m["params"]["message"]
                        .as_str()
                        .is_some_and(|t| t.contains("outside the workspace")))
        })
        .collect();
    assert!(complaints.is_empty(), "{complaints:#?}");
    drop(ns);
    let _ = std::fs::remove_dir_all(&root);
}

/// The link between target and host goes down for 3 s in the middle of a recording: the
/// program is unaffected, and the few kilobytes it traces meanwhile wait in the kernel's send
/// buffer until TCP resends them, so the relay's trace is whole, on the same connection.
/// (Cuts that overflow the buffers: the next test.)
#[test]
fn a_link_cut_for_three_seconds_leaves_the_program_and_the_trace_whole() {
    if !babeltrace_available() {
        return;
    }
    let (ns, host_if, host_addr, _target_addr) = namespace_or_skip!(1);
    let root = temp_root("stream", "cut");
    let (_relay, _viewers, targets) = start_host_relay(&root, &host_addr);
    let session = root.join("board").join("cut");
    // 500 requests 10 ms apart: about 5 s, the cut in the middle.
    let (mut record, out) = record_in_namespace(
        &ns,
        &format!("{host_addr}:{targets}"),
        "cut",
        &["500", "10"],
    );
    wait_until(Duration::from_secs(10), "packets from the target", || {
        has_packets(&session)
    });
    ip(&["link", "set", &host_if, "down"]).unwrap();
    let cut = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    ip(&["link", "set", &host_if, "up"]).unwrap();
    assert!(
        record.0.try_wait().unwrap().is_none(),
        "the program ended during the cut: the test proves nothing"
    );
    let status = record.wait_for(Duration::from_secs(40), "record after the cut");
    assert!(status.success(), "record: {status}");
    assert!(cut.elapsed() > Duration::from_secs(3));
    let (program, report) = outcome(&out);
    assert_eq!(program, ["served 500 requests, 439000 bytes"]);
    let stream = &report["stream"];
    assert_eq!(stream["error"], Value::Null, "{report}");
    let target_total: u64 = report["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert_eq!(target_total, 500 + 500 + 167);
    let (sent, dropped) = (
        stream["sent_packets"].as_u64().unwrap(),
        stream["dropped_packets"].as_u64().unwrap(),
    );
    assert!(sent > 0, "{report}");
    eprintln!("after a 3 s cut: {stream}");

    // The relay's trace: valid CTF that babeltrace2 reads, ending with the last request.
    let read = Command::new("babeltrace2").arg(&session).output().unwrap();
    let stderr = String::from_utf8_lossy(&read.stderr);
    assert!(read.status.success(), "babeltrace2: {stderr}");
    let events: Vec<String> = String::from_utf8_lossy(&read.stdout)
        .lines()
        .filter(|l| l.starts_with('['))
        .map(str::to_owned)
        .collect();
    assert!(
        events.iter().any(|l| l.contains("id = 499,")),
        "the events after the cut are not at the relay"
    );
    assert!(events.iter().any(|l| l.contains("id = 0,")));
    // Nothing is dropped: about 15 KB are traced during the cut, which the kernel's send
    // buffer takes (so no write waits and the 64 MiB queue stays all but empty), TCP resends
    // them within its backoff (at most about 6 s after the cut began), and neither of the
    // sender's limits (a write blocked for 5 s, a relay silent for 15 s) is reached: the one
    // connection carries every packet, and babeltrace2 finds no gap.
    assert_eq!(dropped, 0, "{report}");
    assert_eq!(stream["connections"], 1, "{report}");
    assert_eq!(events.len() as u64, target_total, "{report}");
    assert!(!stderr.contains("WARN"), "{stderr}");
    let counted = counts_output(
        counts(&[session.to_str().unwrap()]),
        Duration::from_secs(20),
        "counts of the relay's trace",
    );
    let at_relay: u64 = site_counts(&counted).iter().map(|s| s.2).sum();
    assert_eq!(at_relay, events.len() as u64, "{counted}");
    assert!(!session.join(".live").exists(), "the session stayed live");
    drop(ns);
    let _ = std::fs::remove_dir_all(&root);
}

/// `record --stream HOST_ADDR:PORT OPTIONS -- CMD` inside the namespace, as session
/// `board/SESSION`; stdout piped.
fn record_command_in_namespace(
    ns: &Netns,
    relay: &str,
    session: &str,
    options: &[&str],
    cmd: &[&str],
) -> (Started, Receiver<(Instant, String)>) {
    let mut record = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(binary())
        .args(["record", "--json", "--stream", relay])
        .args(["--token", "board-secret", "--hostname", "board"])
        .args(["--session", session])
        .args(options)
        .arg("--")
        .args(cmd)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines_of(record.stdout.take().unwrap());
    (Started(record), out)
}

/// One trace as babeltrace2's `sink.text.details` shows it (compact: one line per message,
/// each with its time): the packets, every one its lines from "Packet beginning" to "Packet
/// end" (its events' times and classes), and the packets it says were discarded.
struct TracePackets {
    packets: Vec<Vec<String>>,
    discarded: u64,
}

fn packets_of(trace: &Path) -> TracePackets {
    let out = Command::new("babeltrace2")
        .arg(trace)
        .args(["-c", "sink.text.details"])
        .args(["--params", "compact=yes,with-metadata=no"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "babeltrace2 {}: {stderr}",
        trace.display()
    );
    let mut t = TracePackets {
        packets: Vec::new(),
        discarded: 0,
    };
    let mut open: Option<Vec<String>> = None;
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        if l.ends_with("} Packet beginning") {
            assert!(open.is_none(), "a packet begins inside another: {l}");
            open = Some(vec![l.to_owned()]);
        } else if let Some(p) = open.as_mut() {
            p.push(l.to_owned());
            if l.ends_with("} Packet end") {
                t.packets.extend(open.take());
            }
        } else if let Some((_, n)) = l.split_once("} Discarded packets (") {
            let n = n.split(' ').next().and_then(|n| n.parse::<u64>().ok());
            t.discarded += n.unwrap_or_else(|| panic!("unreadable: {l}"));
        }
    }
    assert!(
        open.is_none(),
        "{}: a packet without its end",
        trace.display()
    );
    t
}

/// The time of a `sink.text.details` line, in nanoseconds since the clock's origin (for our
/// traces, the Unix epoch): the second number of `[CYCLES NS] {…} …`.
fn details_ns(line: &str) -> u64 {
    line.strip_prefix('[')
        .and_then(|l| l.split(']').next())
        .and_then(|t| t.split(' ').nth(1))
        .and_then(|ns| ns.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no time in {line:?}"))
}

/// Now, in nanoseconds since the Unix epoch.
fn epoch_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Whether a trace directory has a stream file with a packet.
fn has_packets_in(trace: &Path) -> bool {
    trace.join("chan_0").metadata().is_ok_and(|m| m.len() > 0)
}

/// The names of the trace directories (`<procname>-<pid>`) under a recording (none while
/// it does not exist).
fn trace_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("metadata").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A board runs eight traced services (`hello-rs 5000 1` each: about 5.5 s, ~350 KB/s of
/// trace together) and streams with a 64 KiB queue; its link goes down for 2 s. The kernel's
/// send buffer (about 120 KiB) and the queue fill within a fraction of a second, so from then
/// on the consumers' packets are dropped whole and counted, while the services keep their
/// pace. TCP resends what the kernel held once the link is back (its backoff retries about
/// 3 s after the first loss, before the sender's 5 s write limit), so the same connection
/// carries the rest: drops without any reconnection. The relay's trace is exactly the
/// acknowledged packets, each identical to one of the target's local copy, babeltrace2 warns
/// of every missing one, and the services' last events are there.
#[test]
fn a_link_cut_that_overflows_the_queue_drops_whole_packets_and_counts_them() {
    if !babeltrace_available() {
        return;
    }
    const SERVICES: usize = 8;
    const REQUESTS: u64 = 5000;
    let (ns, host_if, host_addr, _target_addr) = namespace_or_skip!(2);
    let root = temp_root("stream", "overflow");
    let (_relay, _viewers, targets) = start_host_relay(&root, &host_addr);
    let session = root.join("board").join("overflow");
    // The target's own copy of every packet its consumers cut (`--output`), to hold the
    // relay's against.
    let local = root.join("target-copy");
    let hello = cargo_bin("hello-rs", "hello-rs");
    let script = format!(
        "s=0; p=; for i in {}; do \"$0\" {REQUESTS} 1 & p=\"$p $!\"; done; \
         for i in $p; do wait $i || s=1; done; exit $s",
        (1..=SERVICES)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (mut record, out) = record_command_in_namespace(
        &ns,
        &format!("{host_addr}:{targets}"),
        "overflow",
        &[
            "--output",
            local.to_str().unwrap(),
            "--stream-queue",
            "64K",
            "--subbuf-size",
            "16K",
            "--num-subbuf",
            "16",
        ],
        &["sh", "-c", &script, hello.to_str().unwrap()],
    );
    // Every service's first packets at the relay (so a gap in any of them is one
    // babeltrace2 can see), then the cut.
    wait_until(Duration::from_secs(10), "every service's packets", || {
        trace_names(&session)
            .iter()
            .filter(|t| has_packets_in(&session.join(t)))
            .count()
            == SERVICES
    });
    ip(&["link", "set", &host_if, "down"]).unwrap();
    let cut = epoch_ns();
    std::thread::sleep(Duration::from_secs(2));
    ip(&["link", "set", &host_if, "up"]).unwrap();
    let back = epoch_ns();
    assert!(
        record.0.try_wait().unwrap().is_none(),
        "the services ended during the cut: the test proves nothing"
    );
    let status = record.wait_for(Duration::from_secs(40), "record after the cut");
    assert!(status.success(), "record: {status}");

    // The services: their own output and exit status, all their events recorded.
    let (program, report) = outcome(&out);
    assert_eq!(
        program,
        vec!["served 5000 requests, 4889000 bytes"; SERVICES]
    );
    assert_eq!(report["lost"], 0, "the ring buffers lost events: {report}");
    let emitted = SERVICES as u64 * (2 * REQUESTS + REQUESTS.div_ceil(3));
    let recorded: u64 = report["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert_eq!(recorded, emitted, "{report}");
    let stream = &report["stream"];
    eprintln!("a 2 s cut, 64 KiB queue: {stream}");
    let (sent, dropped) = (
        stream["sent_packets"].as_u64().unwrap(),
        stream["dropped_packets"].as_u64().unwrap(),
    );
    assert!(dropped > 0, "nothing dropped: {report}");
    assert!(sent > 0, "{report}");
    assert_eq!(stream["error"], Value::Null, "{report}");
    assert_eq!(
        stream["connections"], 1,
        "TCP should have ridden out a 2 s cut: {report}"
    );

    // Packet by packet, trace by trace: the relay's packets are the target's, whole and in
    // order; what is missing is what babeltrace2 reports discarded; each trace begins and
    // ends as the target's does, with packets from after the link came back.
    let names = trace_names(&local);
    assert_eq!(names.len(), SERVICES, "{names:?}");
    assert_eq!(trace_names(&session), names);
    let (mut at_target, mut at_relay, mut reported, mut relay_events) = (0, 0, 0, 0);
    for name in &names {
        let mine = packets_of(&local.join(name));
        let theirs = packets_of(&session.join(name));
        assert_eq!(mine.discarded, 0, "{name}: the local copy has gaps");
        let mut rest = mine.packets.iter();
        for p in &theirs.packets {
            assert!(
                rest.any(|m| m == p),
                "{name}: a packet at the relay that the target did not cut (or out of order): {p:?}"
            );
        }
        assert_eq!(theirs.packets.first(), mine.packets.first(), "{name}");
        assert_eq!(theirs.packets.last(), mine.packets.last(), "{name}");
        assert!(
            theirs.packets.iter().any(|p| details_ns(&p[0]) > back),
            "{name}: nothing from after the link came back"
        );
        assert_eq!(
            mine.packets.len() as u64,
            theirs.packets.len() as u64 + theirs.discarded,
            "{name}: missing packets babeltrace2 does not report"
        );
        at_target += mine.packets.len() as u64;
        at_relay += theirs.packets.len() as u64;
        reported += theirs.discarded;
        relay_events += theirs
            .packets
            .iter()
            .flatten()
            .filter(|l| l.contains("} Event `"))
            .count() as u64;

        // The service kept its pace while the link was down: its requests in the cut (less
        // 100 ms at each end, for the clocks) are as many as its average rate makes them.
        let starts: Vec<u64> = mine
            .packets
            .iter()
            .flatten()
            .filter(|l| l.contains("} Event `hello_rs:request_start`"))
            .map(|l| details_ns(l))
            .collect();
        assert_eq!(starts.len() as u64, REQUESTS, "{name}");
        let (from, to) = (cut + 100_000_000, back - 100_000_000);
        let during = starts.iter().filter(|&&t| (from..to).contains(&t)).count() as f64;
        let (first, last) = (starts[0], starts[starts.len() - 1]);
        let expected = (starts.len() - 1) as f64 * (to - from) as f64 / (last - first) as f64;
        eprintln!("{name}: {during} requests during the cut, {expected:.0} at its average rate");
        assert!(
            during >= 0.8 * expected,
            "{name} slowed down during the cut: {during} requests, {expected:.0} expected"
        );
    }
    assert_eq!(
        at_relay, sent,
        "packets at the relay vs acknowledged: {report}"
    );
    assert_eq!(
        at_target,
        sent + dropped,
        "packets cut vs sent and dropped: {report}"
    );
    assert_eq!(
        reported, dropped,
        "packets babeltrace2 reports lost: {report}"
    );

    // What a user sees: babeltrace2 reads the relay's recording, warns of the packets the
    // tracer discarded, and finds fewer events than the services emitted: those of the
    // packets the relay has, as many as `counts` finds.
    let read = Command::new("babeltrace2").arg(&session).output().unwrap();
    let stderr = String::from_utf8_lossy(&read.stderr);
    assert!(read.status.success(), "babeltrace2: {stderr}");
    let warned: u64 = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("WARNING: Tracer discarded "))
        .map(|l| l.split(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(warned, dropped, "{stderr}");
    let events = String::from_utf8_lossy(&read.stdout).lines().count() as u64;
    assert_eq!(events, relay_events);
    assert!(events < emitted, "{events} of {emitted} events");
    let counted = counts_output(
        counts(&[session.to_str().unwrap()]),
        Duration::from_secs(20),
        "counts of the relay's trace",
    );
    let counted: u64 = site_counts(&counted).iter().map(|s| s.2).sum();
    assert_eq!(counted, events);
    assert!(!session.join(".live").exists(), "the session stayed live");
    drop(ns);
    let _ = std::fs::remove_dir_all(&root);
}
