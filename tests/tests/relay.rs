//! `tracer-lsp relay` end to end: babeltrace2 lists a recording that `tracer-lsp record` is
//! writing and reads it live through the relay (the LTTng live protocol), getting exactly the
//! events of the finished trace and exiting when the recording ends; a viewer killed
//! mid-session leaves the relay serving, and a new one still gets everything from the first
//! packet; a request for what does not exist gets the protocol's error status, and a
//! malformed viewer message ends that viewer's connection only.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tracer_lsp_tests::procs::{
    counts, counts_output, live_sessions, record_live, start_relay, temp_root, wait_until,
    LiveViewer, Started,
};
use tracer_lsp_tests::{
    babeltrace_available, babeltrace_events, binary, build_c, cargo_bin, repo_root,
};

#[test]
fn babeltrace2_reads_a_recording_live_through_the_relay() {
    if !babeltrace_available() {
        return;
    }
    let root = temp_root("relay", "live");
    let (host, session) = ("target-a", "requests");
    let dir = root.join(host).join(session);
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;

    // 200 requests 10 ms apart: about 2 s of recording.
    let mut record = record_live(&dir, &["200", "10"]);

    let listed = live_sessions(port);
    let url = format!("net://localhost:{port}/host/{host}/{session}");
    assert!(
        listed.lines().any(|l| l.starts_with(&url)),
        "{url} not listed in {listed:?}"
    );

    let viewer = LiveViewer::start(&url);
    let recorded = record.wait_for(Duration::from_secs(20), "record");
    let recording_ended = Instant::now();
    assert!(recorded.success(), "record failed: {recorded}");
    let (viewed, received, stderr) = viewer.finish(Duration::from_secs(10));
    assert!(viewed.success(), "babeltrace2 failed: {viewed}: {stderr}");
    assert!(
        !stderr.contains("ERROR"),
        "babeltrace2 complained: {stderr}"
    );

    let live: Vec<String> = received.iter().map(|(_, l)| l.clone()).collect();
    assert!(
        received.first().is_some_and(|(t, _)| *t < recording_ended),
        "no event arrived while the program ran"
    );
    // examples/rust/src/main.rs: every request starts and is done once, and request ids
    // divisible by 3 (0, 3, …, 198: 67 of them) are done a second time.
    let count = |name: &str| live.iter().filter(|l| l.contains(name)).count();
    assert_eq!(count("hello_rs:request_start:"), 200);
    assert_eq!(count("hello_rs:request_done:"), 200 + 67);
    assert_eq!(live.len(), 467);
    // The same events in the same order as the finished trace read from disk.
    assert_eq!(live, babeltrace_events(&dir));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_program_that_exited_does_not_hold_back_the_live_view() {
    if !babeltrace_available() {
        return;
    }
    let hello = cargo_bin("hello-rs", "hello-rs");
    let root = temp_root("relay", "two");
    let dir = root.join("h").join("two");
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;
    // Two traced processes one after the other: 5 quick requests, then 150 over 1.5 s.
    let hello = hello.to_str().unwrap();
    let mut record = Started(
        Command::new(binary())
            .args(["record", "--output"])
            .arg(&dir)
            .args(["--", "sh", "-c", &format!("{hello} 5 0 && {hello} 150 10")])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until(
        Duration::from_secs(10),
        "the first program's trace to complete",
        || std::fs::read_to_string(dir.join(".live")).is_ok_and(|m| m.contains("complete ")),
    );
    let viewer = LiveViewer::start(&format!("net://localhost:{port}/host/h/two"));
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let recording_ended = Instant::now();
    let (viewed, received, stderr) = viewer.finish(Duration::from_secs(10));
    assert!(viewed.success(), "babeltrace2: {viewed}: {stderr}");
    // Request 100 is only the second program's: it reached the viewer while that program ran,
    // so the first program's finished stream did not hold the viewer back.
    assert!(
        received
            .iter()
            .any(|(t, l)| l.contains("id = 100,") && *t < recording_ended),
        "the second program's events only arrived after the recording ended"
    );
    // 5 + 5 + 2 (ids 0, 3) events, then 150 + 150 + 50.
    assert_eq!(received.len(), 12 + 350);
    let _ = std::fs::remove_dir_all(&root);
}

/// `tests/c/idle.c` built against the C API as `name`.
fn idle_program(name: &str) -> std::path::PathBuf {
    let c = repo_root().join("tests/c");
    build_c(name, &[c.join("idle.c")], &[c])
}

/// A thread that records one event and then waits does not stall the live view of the others
/// (the relay answers INACTIVE with the parked stream's beacon): babeltrace2 prints the busy
/// thread's events while the program runs, through the relay's files of a local recording
/// and of the same recording streamed to it, and ends with exactly the finished traces, with
/// no warning. The parked thread's last event comes from a call site registered at the end,
/// so the viewers also take a metadata update after they attached.
#[test]
fn an_idle_thread_does_not_stall_the_live_view() {
    if !babeltrace_available() {
        return;
    }
    let idle = idle_program("idle");
    let root = temp_root("relay", "idle");
    let relay = start_relay(&root, 0, &[]);
    let local = root.join("localhost").join("idle-local");
    let streamed = root.join("board").join("idle-net");
    // 60 ticks 50 ms apart: 3 s, while the other thread waits.
    let mut record = Started(
        Command::new(binary())
            .args(["record", "--output"])
            .arg(&local)
            .arg("--stream")
            .arg(format!("127.0.0.1:{}", relay.targets))
            .args(["--hostname", "board", "--session", "idle-net", "--"])
            .arg(&idle)
            .args(["60", "50"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let beacons = |session: &std::path::Path| {
        std::fs::read_dir(session)
            .into_iter()
            .flatten()
            .flatten()
            .any(|t| t.path().join(".beacons").join("chan_0").is_file())
    };
    wait_until(
        Duration::from_secs(10),
        "beacons of both recordings",
        || beacons(&local) && beacons(&streamed),
    );
    let url = |session: &str| format!("net://localhost:{}/host/{session}", relay.viewers);
    let viewers = [
        LiveViewer::start(&url("localhost/idle-local")),
        LiveViewer::start(&url("board/idle-net")),
    ];
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let recording_ended = Instant::now();
    for (viewer, dir) in viewers.into_iter().zip([&local, &streamed]) {
        let (status, received, stderr) = viewer.finish(Duration::from_secs(10));
        assert!(status.success(), "babeltrace2: {status}: {stderr}");
        assert!(stderr.is_empty(), "babeltrace2 complained: {stderr}");
        let ticks: Vec<&Instant> = received
            .iter()
            .filter(|(_, l)| l.contains("idle:tick"))
            .map(|(t, _)| t)
            .collect();
        assert_eq!(ticks.len(), 60);
        // The viewer attached less than a second into the 3 s of ticks; stalled behind the
        // parked thread, it would have printed them all after the end.
        let live = ticks
            .iter()
            .filter(|t| recording_ended.duration_since(***t) > Duration::from_secs(1))
            .count();
        assert!(
            live >= 20,
            "{}: only {live} of 60 ticks were shown a second before the end",
            dir.display()
        );
        let shown: Vec<String> = received.into_iter().map(|(_, l)| l).collect();
        assert_eq!(shown, babeltrace_events(dir), "{}", dir.display());
        assert_eq!(
            shown.iter().filter(|l| l.contains("idle:parked")).count(),
            2
        );
        assert!(
            !beacons(dir),
            "{}: beacons left in a finished trace",
            dir.display()
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// The same across processes: one program sits idle (its threads parked) while another starts
/// later and ticks. A beacon of the idle one may not pass the other's first event before that
/// one's packets are written, nor before viewers know its streams; babeltrace2 shows the
/// second program's ticks while it runs and ends with exactly the finished traces.
#[test]
fn an_idle_process_does_not_stall_the_live_view_of_a_later_one() {
    if !babeltrace_available() {
        return;
    }
    let idle = idle_program("idle-two");
    let idle = idle.to_str().unwrap();
    let root = temp_root("relay", "idle-two");
    let relay = start_relay(&root, 0, &[]);
    let dir = root.join("localhost").join("two");
    // The first: one tick, then 4 s asleep. The second, 1.1 s later (off the 250 ms live
    // timer's grid, so a beacon of the first falls between the second's first event and its
    // first packet): 40 ticks over 2 s.
    let script = format!("{idle} 1 4000 & sleep 1.1; {idle} 40 50; wait");
    let mut record = Started(
        Command::new(binary())
            .args(["record", "--output"])
            .arg(&dir)
            .args(["--", "sh", "-c", &script])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until(
        Duration::from_secs(10),
        "the first program's beacons",
        || {
            std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .any(|t| t.path().join(".beacons").is_dir())
        },
    );
    let viewer = LiveViewer::start(&format!(
        "net://localhost:{}/host/localhost/two",
        relay.viewers
    ));
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let recording_ended = Instant::now();
    let (status, received, stderr) = viewer.finish(Duration::from_secs(10));
    assert!(status.success(), "babeltrace2: {status}: {stderr}");
    assert!(stderr.is_empty(), "babeltrace2 complained: {stderr}");
    let second_ticks: Vec<&Instant> = received
        .iter()
        .filter(|(_, l)| l.contains("idle:tick") && !l.contains("{ n = 0 }"))
        .map(|(t, _)| t)
        .collect();
    assert_eq!(second_ticks.len(), 39);
    // The second program ends about a second before the first does.
    assert!(
        second_ticks
            .iter()
            .filter(|t| recording_ended.duration_since(***t) > Duration::from_millis(500))
            .count()
            >= 20,
        "the second program's ticks only arrived at the end"
    );
    let shown: Vec<String> = received.into_iter().map(|(_, l)| l).collect();
    assert_eq!(shown, babeltrace_events(&dir));
    assert_eq!(shown.len(), 2 + 2 + 1 + 40);
    let _ = std::fs::remove_dir_all(&root);
}

/// A live viewer killed mid-session, then others attach: they get everything from the
/// session's first packet, exactly the finished trace, and the relay is not disturbed.
#[test]
fn a_viewer_killed_mid_session_and_a_new_one_gets_everything() {
    if !babeltrace_available() {
        return;
    }
    let root = temp_root("relay", "reattach");
    let dir = root.join("h").join("re");
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;
    let errors = &relay.errors;
    // 300 requests 10 ms apart: about 3 s.
    let mut record = record_live(&dir, &["300", "10"]);
    let url = format!("net://localhost:{port}/host/h/re");

    // The first viewer, and (a separate connection) the editor's live client: both killed,
    // by PID, once events have reached them.
    let first = LiveViewer::start(&url);
    let first_editor = counts(&["--live", &url]);
    let mut seen = Vec::new();
    while seen.len() < 20 {
        let (_, l) = first
            .events
            .recv_timeout(Duration::from_secs(10))
            .expect("events reach the first viewer");
        seen.push(l);
    }
    drop(first);
    drop(first_editor);
    assert!(
        record.0.try_wait().unwrap().is_none(),
        "the recording ended before the viewer was killed"
    );

    let second = LiveViewer::start(&url);
    let editor = counts(&["--live", &url]);
    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let (viewed, second_lines, stderr) = second.finish(Duration::from_secs(10));
    assert!(viewed.success(), "babeltrace2 failed: {viewed}: {stderr}");
    let editor = counts_output(editor, Duration::from_secs(10), "counts --live");

    let finished = babeltrace_events(&dir);
    assert_eq!(finished.len(), 300 + 300 + 100);
    let live: Vec<String> = second_lines.into_iter().map(|(_, l)| l).collect();
    assert_eq!(live, finished, "the second viewer missed events");
    assert_eq!(
        seen[..],
        finished[..seen.len()],
        "the first viewer's events"
    );
    let counted = counts_output(
        counts(&[dir.to_str().unwrap()]),
        Duration::from_secs(20),
        "counts of the finished trace",
    );
    assert_eq!(editor, counted);
    // The relay only noticed viewers leaving (no malformed message, no error of its own).
    let said: Vec<String> = errors.try_iter().map(|(_, l)| l).collect();
    assert!(said.iter().all(|l| !l.contains("malformed")), "{said:?}");
    let _ = std::fs::remove_dir_all(&root);
}

/// A viewer message header: payload size and command.
fn header(size: u64, cmd: u32) -> Vec<u8> {
    let mut h = size.to_be_bytes().to_vec();
    h.extend_from_slice(&cmd.to_be_bytes());
    h.extend_from_slice(&0u32.to_be_bytes());
    h
}

fn viewer(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// CONNECT as babeltrace2 does; returns the version the relay answers.
fn connect(s: &mut TcpStream) -> (u32, u32) {
    let mut m = header(20, 1);
    m.extend_from_slice(&0u64.to_be_bytes());
    for v in [2u32, 4, 1] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    s.write_all(&m).unwrap();
    let mut r = [0u8; 20];
    s.read_exact(&mut r).unwrap();
    let be32 = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    (be32(&r[8..12]), be32(&r[12..16]))
}

fn list_sessions(s: &mut TcpStream) -> u32 {
    s.write_all(&header(0, 2)).unwrap();
    let mut r = [0u8; 4];
    s.read_exact(&mut r).unwrap();
    u32::from_be_bytes(r)
}

/// The relay closed the connection (reading gives end of file).
fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 1];
    matches!(s.read(&mut b), Ok(0))
}

#[test]
fn a_malformed_message_ends_that_viewer_only() {
    let root = temp_root("relay", "malformed");
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;
    let errors = &relay.errors;
    let mut good = viewer(port);
    assert_eq!(connect(&mut good), (2, 4));

    let mut unknown = viewer(port);
    connect(&mut unknown);
    unknown.write_all(&header(0, 99)).unwrap();
    assert!(closed(&mut unknown), "unknown command: connection kept");

    let mut huge = viewer(port);
    huge.write_all(&header(1 << 40, 3)).unwrap();
    assert!(closed(&mut huge), "oversized payload: connection kept");

    let mut early = viewer(port);
    early.write_all(&header(0, 2)).unwrap();
    assert!(
        closed(&mut early),
        "LIST_SESSIONS before CONNECT: connection kept"
    );

    assert_eq!(
        list_sessions(&mut good),
        0,
        "the first viewer is still served"
    );
    let mut later = viewer(port);
    connect(&mut later);
    assert_eq!(list_sessions(&mut later), 0, "new viewers are still served");

    let mut said = Vec::new();
    while let Ok((_, l)) = errors.recv_timeout(Duration::from_secs(2)) {
        said.push(l);
        if said.len() == 3 {
            break;
        }
    }
    let said = said.join("\n");
    for needle in [
        "unknown command 99",
        "1099511627776-byte payload",
        "before CONNECT",
    ] {
        assert!(
            said.contains(needle),
            "no {needle:?} in the relay's errors: {said}"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().unwrap())
}

fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes(b[..8].try_into().unwrap())
}

/// Sends a request with an 8-byte id and a tail; reads `reply` bytes of answer.
fn ask(s: &mut TcpStream, cmd: u32, id: u64, tail: &[u8], reply: usize) -> Vec<u8> {
    let mut m = header(8 + tail.len() as u64, cmd);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(tail);
    s.write_all(&m).unwrap();
    let mut r = vec![0u8; reply];
    s.read_exact(&mut r).unwrap();
    r
}

/// Requests that name what does not exist (or cannot be served) get the protocol's error
/// status and the connection goes on; requests that cannot be parsed end it; meanwhile
/// babeltrace2 reads the same session live, undisturbed.
#[test]
fn bad_requests_during_a_live_session_get_errors_and_disturb_no_one() {
    if !babeltrace_available() {
        return;
    }
    let root = temp_root("relay", "bad");
    let dir = root.join("h").join("bad");
    let relay = start_relay(&root, 0, &[]);
    let port = relay.viewers;
    let errors = &relay.errors;
    let mut record = record_live(&dir, &["200", "10"]);
    let good = LiveViewer::start(&format!("net://localhost:{port}/host/h/bad"));

    wait_until(Duration::from_secs(10), "a first packet", || {
        std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|t| {
                t.path()
                    .join("chan_0")
                    .metadata()
                    .is_ok_and(|m| m.len() > 0)
            })
    });
    let mut bad = viewer(port);
    connect(&mut bad);
    assert_eq!(list_sessions(&mut bad), 1);
    // lttng_viewer_session: id, live timer, clients, streams, hostname[64], name[255].
    let mut session = [0u8; 8 + 4 + 4 + 4 + 64 + 255];
    bad.read_exact(&mut session).unwrap();
    let session_id = be64(&session);
    let attach_tail = [0u8; 12];
    let r = ask(&mut bad, 3, session_id + 1000, &attach_tail, 8);
    assert_eq!(
        (be32(&r), be32(&r[4..])),
        (3, 0),
        "ATTACH of an unknown session"
    );
    let r = ask(&mut bad, 3, session_id, &attach_tail, 8);
    assert_eq!(be32(&r), 1, "ATTACH");
    // lttng_viewer_stream: id, trace id, metadata flag, path[4096], channel[255].
    let mut data_stream = None;
    for _ in 0..be32(&r[4..]) {
        let mut st = vec![0u8; 8 + 8 + 4 + 4096 + 255];
        bad.read_exact(&mut st).unwrap();
        if be32(&st[16..]) == 0 {
            data_stream = Some(be64(&st));
        }
    }
    let data_stream = data_stream.expect("a data stream");
    let packet = |s: &mut TcpStream, stream: u64, offset: u64, len: u32| {
        let mut tail = offset.to_be_bytes().to_vec();
        tail.extend_from_slice(&len.to_be_bytes());
        be32(&ask(s, 5, stream, &tail, 12))
    };
    assert_eq!(
        packet(&mut bad, data_stream, 1 << 40, 64),
        3,
        "past the end"
    );
    assert_eq!(packet(&mut bad, data_stream, 0, 1 << 30), 3, "1 GiB packet");
    assert_eq!(packet(&mut bad, 1 << 50, 0, 64), 3, "unknown stream");
    let r = ask(&mut bad, 9, session_id + 1000, &[], 4);
    assert_eq!(be32(&r), 2, "DETACH of an unknown session");
    assert_eq!(list_sessions(&mut bad), 1, "the connection goes on");

    // Requests that cannot be parsed end the connection, with the reason on stderr.
    let mut short = viewer(port);
    connect(&mut short);
    let mut m = header(3, 3);
    m.extend_from_slice(&[0, 0, 1]);
    short.write_all(&m).unwrap();
    assert!(
        closed(&mut short),
        "a 3-byte ATTACH_SESSION: connection kept"
    );
    let mut future = viewer(port);
    let mut m = header(20, 1);
    m.extend_from_slice(&0u64.to_be_bytes());
    for v in [3u32, 0, 1] {
        m.extend_from_slice(&v.to_be_bytes());
    }
    future.write_all(&m).unwrap();
    assert!(closed(&mut future), "protocol 3.0: connection kept");

    assert!(record.wait_for(Duration::from_secs(20), "record").success());
    let (viewed, good_lines, stderr) = good.finish(Duration::from_secs(10));
    assert!(viewed.success(), "babeltrace2: {viewed}: {stderr}");
    let live: Vec<String> = good_lines.into_iter().map(|(_, l)| l).collect();
    assert_eq!(live, babeltrace_events(&dir), "the good viewer's events");
    assert_eq!(live.len(), 467);
    let said: Vec<String> = errors.try_iter().map(|(_, l)| l).collect();
    let said = said.join("\n");
    for needle in [
        "GET_PACKET of 1073741824 bytes refused",
        "ATTACH_SESSION needs 20 payload bytes, got 3",
        "protocol 3.x is not supported",
    ] {
        assert!(said.contains(needle), "no {needle:?} in {said}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_non_loopback_address_needs_allow_remote_and_a_token() {
    let root = temp_root("relay", "remote");
    let relay = |extra: &[&str]| {
        let out = Command::new(binary())
            .args(["relay", "--listen", "0.0.0.0:0", "--root"])
            .arg(&root)
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.status.success(), "the relay started with {extra:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(relay(&[]).contains("--allow-remote"));
    assert!(relay(&["--allow-remote"]).contains("--token"));
    let _ = std::fs::remove_dir_all(&root);
}
