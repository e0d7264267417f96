//! Recording other processes: this test binary plays both roles. The tests start a
//! [`Recorder`] and run this same binary again as the traced program (`TRACED_ROLE` says what
//! it does), then check the recorder's counts, the traces babeltrace2 reads, a program killed
//! with SIGKILL mid-run, and a program that forks.

mod reader_common;

use reader_common::{babeltrace_available, babeltrace_text};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use tracer_core::{tracepoint, Recorder, RecordingConfig, RecordingSnapshot};

const ROLE: &str = "TRACED_ROLE";

fn recording_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tracer-remote-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs this binary's `traced_program` test as a traced program with `role`.
fn spawn(recorder: &Recorder, role: &str) -> Child {
    let (k, v) = recorder.env();
    Command::new(std::env::current_exe().unwrap())
        .args([
            "traced_program",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .env(k, v)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The traced program; a no-op unless started by a test with `TRACED_ROLE`.
#[test]
fn traced_program() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    match role.as_str() {
        "count" => {
            for i in 0..1000u32 {
                tracepoint!(remote_test, hit, i = i);
                if i % 2 == 0 {
                    tracepoint!(remote_test, hit, i = i);
                }
            }
            tracepoint!(remote_test, done, name = "count");
        }
        "sequence" => {
            // Paced so the recorder keeps up (no losses): the trace must then hold every
            // number up to the kill.
            for seq in 0u64.. {
                tracepoint!(remote_test, seq, seq = seq);
                if seq % 64 == 0 {
                    std::thread::sleep(Duration::from_micros(50));
                }
            }
        }
        "fork" => {
            for i in 0..300u32 {
                tracepoint!(remote_test, parent, i = i);
            }
            // SAFETY: the child only runs tracepoints (the tracer's atfork handlers made the
            // state consistent) and `_exit`s.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0);
            if pid == 0 {
                for i in 0..200u32 {
                    tracepoint!(remote_test, child, i = i);
                }
                for i in 0..50u32 {
                    tracepoint!(remote_test, parent, i = i);
                }
                // SAFETY: ends the child without running the parent's atexit handlers.
                unsafe { libc::_exit(0) };
            }
            for i in 0..100u32 {
                tracepoint!(remote_test, parent, i = i);
            }
            let mut status = 0;
            // SAFETY: waits for our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
        }
        "steady" => {
            for i in 0..20_000u32 {
                tracepoint!(remote_test, tick, i = i);
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        other => panic!("unknown role {other}"),
    }
}

/// Counts per (event, line) over all processes of a snapshot.
fn per_line(s: &RecordingSnapshot) -> Vec<(String, u32, u64)> {
    let mut v: Vec<(String, u32, u64)> = s
        .processes
        .iter()
        .flat_map(|p| {
            p.classes
                .iter()
                .map(|c| (c.schema.full_name(), c.schema.line, c.count))
        })
        .collect();
    v.sort();
    v
}

fn line_of(needle: &str) -> u32 {
    let src = include_str!("remote.rs");
    let n = src
        .lines()
        .position(|l| l.contains(needle) && l.contains("tracepoint!"))
        .expect("needle in source");
    n as u32 + 1
}

fn wait(child: &mut Child) {
    let status = child.wait().unwrap();
    assert!(status.success(), "traced program failed: {status}");
}

/// The recorder sees the end of a program's connection shortly after it exits.
fn wait_ended(r: &Recorder, n: usize) -> RecordingSnapshot {
    let t = Instant::now();
    loop {
        let s = r.snapshot();
        if s.processes.len() >= n && s.processes.iter().all(|p| p.ended) {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "processes did not end: {s:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_call_site_of_another_process_is_counted_exactly() {
    let dir = recording_dir("count");
    let r = Recorder::start(RecordingConfig::new(&dir)).unwrap();
    let mut child = spawn(&r, "count");
    wait(&mut child);
    wait_ended(&r, 1);
    let s = r.stop();
    assert_eq!(s.processes.len(), 1);
    let p = &s.processes[0];
    assert_eq!((p.lost, p.error.as_deref()), (0, None));
    assert_eq!(p.pid, child.id());
    let first = line_of("remote_test, hit, i = i);");
    assert_eq!(
        per_line(&s),
        vec![
            (
                "remote_test:done".to_owned(),
                line_of("remote_test, done"),
                1
            ),
            ("remote_test:hit".to_owned(), first, 1000),
            ("remote_test:hit".to_owned(), first + 2, 500),
        ]
    );
    assert!(p.trace.starts_with(&dir) && p.trace.join("metadata").is_file());
    let at = |line: u32| p.classes.iter().find(|c| c.schema.line == line).unwrap();
    assert_eq!(at(first).payloads, ["i = 997", "i = 998", "i = 999"]);
    assert_eq!(at(first + 2).payloads, ["i = 994", "i = 996", "i = 998"]);
    assert_eq!(
        at(line_of("remote_test, done")).payloads,
        ["name = \"count\""]
    );
    assert!(at(first).first_ns > 0 && at(first).first_ns <= at(first).last_ns);
    if babeltrace_available() {
        let lines = babeltrace_text(&dir);
        let hits = lines
            .iter()
            .filter(|l| l.contains("remote_test:hit"))
            .count();
        assert_eq!(hits, 1500);
        assert_eq!(lines.len(), 1501);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_program_killed_mid_run_keeps_every_event_it_committed() {
    let dir = recording_dir("sigkill");
    let r = Recorder::start(RecordingConfig::new(&dir)).unwrap();
    let mut child = spawn(&r, "sequence");
    let t = Instant::now();
    while r.snapshot().events() < 20_000 {
        assert!(t.elapsed() < Duration::from_secs(30), "no events recorded");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    let _ = child.wait();
    wait_ended(&r, 1);
    let s = r.stop();
    let p = &s.processes[0];
    assert_eq!(p.lost, 0, "paced program lost events");
    assert!(p.events > 20_000);
    if babeltrace_available() {
        let seqs: Vec<u64> = babeltrace_text(&dir)
            .iter()
            .filter_map(|l| l.split("seq = ").nth(1))
            .map(|v| v.trim_end_matches(" }").parse().unwrap())
            .collect();
        assert_eq!(seqs.len() as u64, p.events);
        // A gap-free prefix 0..n: every event committed before the kill is there.
        assert!(seqs.iter().enumerate().all(|(i, &s)| s == i as u64));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_programs_and_a_forked_child_are_processes_of_one_recording() {
    let dir = recording_dir("fork");
    let r = Recorder::start(RecordingConfig::new(&dir)).unwrap();
    let mut a = spawn(&r, "fork");
    let mut b = spawn(&r, "count");
    wait(&mut a);
    wait(&mut b);
    let s = wait_ended(&r, 3);
    let s2 = r.stop();
    assert_eq!(s2.processes.len(), 3);
    let by_pid = |pid: u32| s.processes.iter().find(|p| p.pid == pid).unwrap();
    let count = |p: &tracer_core::ProcessSnapshot, name: &str| -> u64 {
        p.classes
            .iter()
            .filter(|c| c.schema.full_name() == name)
            .map(|c| c.count)
            .sum()
    };
    let parent = by_pid(a.id());
    assert_eq!(count(parent, "remote_test:parent"), 400);
    assert_eq!(count(parent, "remote_test:child"), 0);
    let forked = s
        .processes
        .iter()
        .find(|p| p.pid != a.id() && p.pid != b.id())
        .unwrap();
    assert_eq!(count(forked, "remote_test:child"), 200);
    assert_eq!(count(forked, "remote_test:parent"), 50);
    assert_eq!(count(by_pid(b.id()), "remote_test:hit"), 1500);
    assert!(s.processes.iter().all(|p| p.lost == 0 && p.error.is_none()));
    if babeltrace_available() {
        let lines = babeltrace_text(&dir);
        assert_eq!(lines.len(), 400 + 250 + 1501);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rules_pushed_while_the_program_runs_switch_its_probes() {
    let dir = recording_dir("rules");
    let r = Recorder::start(RecordingConfig::new(&dir)).unwrap();
    let mut child = spawn(&r, "steady");
    let events = |r: &Recorder| r.snapshot().events();
    let t = Instant::now();
    while events(&r) < 50 {
        assert!(t.elapsed() < Duration::from_secs(20), "no events recorded");
        std::thread::sleep(Duration::from_millis(10));
    }
    r.set_rules(0, vec![], vec![], false).unwrap();
    // The consumer flushes every 250 ms: wait for what was committed before the switch.
    std::thread::sleep(Duration::from_millis(700));
    let off = events(&r);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(events(&r), off, "events recorded while disabled");
    r.set_rules(
        0,
        vec![tracer_core::EventRule::new("remote_test:*")],
        vec![],
        true,
    )
    .unwrap();
    let t = Instant::now();
    while events(&r) <= off {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "re-enabling recorded nothing"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    let _ = child.wait();
    r.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_recorder_leaves_the_program_untraced_and_running() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "traced_program",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, "count")
        .env("TRACER_SESSION", "/nonexistent/tracer.sock")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tracer: not recording"), "{stderr}");
}
