//! The reader on real LTTng-UST traces: a small C program instrumented with LTTng-UST is
//! traced by `lttng` (per-UID buffers, then per-PID buffers with the `ip`, `vpid`, `vtid` and
//! `procname` contexts), and our counts per event and every event's values must equal
//! babeltrace2's.
//!
//! Needs lttng-tools, liblttng-ust-dev, gcc, babeltrace2 and python3-bt2. Without them the test
//! is skipped with a loud message, unless `CI` is set, where their absence is a failure. A
//! session daemon is started if none runs, and stopped at the end (by its PID) if this test
//! started it.

mod reader_common;
// The end-to-end tests' LTTng harness (availability, session daemon, `lttng`), shared by path:
// two test crates have no other way to share a module short of a crate of its own.
#[allow(dead_code)]
#[path = "../../tests/src/lttng.rs"]
mod lttng;

use lttng::{lttng, SessionDaemon};
use reader_common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use tracer_core::ctf::read::{count, discover, Decode, Trace};

/// Builds the instrumented program.
fn build_app(work: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lttng");
    let exe = work.join("reader_app");
    let out = Command::new("gcc")
        .arg("-O1")
        .arg("-I")
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg(src.join("reader_app.c"))
        .arg(src.join("reader_tp.c"))
        .args(["-llttng-ust", "-ldl"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Traces one run of the program with every user-space event enabled; returns the session's
/// output directory.
fn trace_run(work: &Path, exe: &Path, name: &str, per_pid: bool, events: u32) -> PathBuf {
    let out = work.join(name);
    let session = format!("tracer-core-reader-{}-{name}", std::process::id());
    lttng(&["create", &session, "--output", out.to_str().unwrap()]);
    let run = || {
        // Room for every event: the counts are then exact.
        let mut chan = vec![
            "enable-channel",
            "-u",
            "-s",
            &session,
            "--subbuf-size",
            "1M",
            "--num-subbuf",
            "4",
            "chan",
        ];
        if per_pid {
            chan.push("--buffers-pid");
        }
        lttng(&chan);
        lttng(&["enable-event", "-u", "-a", "-s", &session, "-c", "chan"]);
        if per_pid {
            lttng(&[
                "add-context",
                "-u",
                "-s",
                &session,
                "-c",
                "chan",
                "-t",
                "ip",
                "-t",
                "vpid",
                "-t",
                "vtid",
                "-t",
                "procname",
            ]);
        }
        lttng(&["start", &session]);
        let st = Command::new(exe).arg(events.to_string()).status().unwrap();
        assert!(st.success());
        lttng(&["stop", &session]);
    };
    let result = std::panic::catch_unwind(run);
    lttng(&["destroy", &session]);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
    out
}

#[test]
fn lttng_ust_traces_read_like_babeltrace2() {
    if !lttng::available() || !babeltrace_available() {
        return;
    }
    let work = temp_dir("lttng");
    let exe = build_app(&work);
    let _daemon = SessionDaemon::ensure();
    let n = 3_000u32;

    for (name, per_pid) in [("uid", false), ("pid-contexts", true)] {
        let out = trace_run(&work, &exe, name, per_pid, n);
        let (dirs, errors) = discover(&out);
        assert!(errors.is_empty(), "{errors:?}");
        // Another LTTng-instrumented program running on the machine meanwhile registers with
        // the same session daemon and may get a per-PID trace of its own: find ours.
        let mine: Vec<&std::path::PathBuf> = dirs
            .iter()
            .filter(|d| {
                !per_pid
                    || d.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("reader_app-"))
            })
            .collect();
        assert_eq!(mine.len(), 1, "{dirs:?}");
        let layout = if per_pid { "ust/pid/" } else { "ust/uid/" };
        assert!(
            mine[0]
                .strip_prefix(&out)
                .unwrap()
                .to_string_lossy()
                .starts_with(layout),
            "{dirs:?}"
        );

        let c = count(&out, 2);
        assert!(c.errors.is_empty(), "{name}: {:?}", c.errors);
        assert_eq!(c.lost, 0, "{name}");
        let ours = per_name(&c);
        assert_eq!(ours.get("reader_app:tick"), Some(&u64::from(n)), "{name}");
        assert_eq!(ours.get("reader_app:rich"), Some(&u64::from(n.div_ceil(7))));
        assert_eq!(c.events, babeltrace_event_count(&out), "{name}");

        let theirs = babeltrace_events(&out);
        assert_eq!(ours, babeltrace_per_name(&theirs), "{name}");
        assert_same_events(&our_events(&out), &theirs);

        // What DWARF attribution needs: the code addresses of the process's objects and, with
        // contexts, the instruction pointer and process of each event.
        let trace = Trace::open(mine[0]).unwrap();
        let mut bin_info = 0;
        let mut paths = Vec::new();
        let mut pids = std::collections::BTreeSet::new();
        for e in trace.events(|c| c.name.starts_with("lttng_ust_statedump:")) {
            let e = e.unwrap();
            if per_pid && e.fields.is_some() {
                pids.insert(e.context("vpid").and_then(|v| v.as_i64()));
                assert!(e.context("ip").and_then(|v| v.as_u64()).is_some());
            }
            if e.class.name == "lttng_ust_statedump:bin_info" {
                bin_info += 1;
                assert!(e.payload("baddr").and_then(|v| v.as_u64()).is_some());
                assert!(e.payload("memsz").and_then(|v| v.as_u64()).is_some());
                let path = e.payload("path").and_then(|v| v.as_str());
                assert!(path.is_some_and(|p| !p.is_empty()), "{e:?}");
                paths.push(path.unwrap_or_default().to_owned());
            }
        }
        assert!(
            bin_info > 0,
            "{name}: no lttng_ust_statedump:bin_info event"
        );
        assert!(
            paths.iter().any(|p| p.ends_with("/reader_app")),
            "the program itself is among the objects: {paths:?}"
        );
        if per_pid {
            assert_eq!(pids.len(), 1, "one traced process: {pids:?}");
        }

        // Decoding contexts alone gives the same contexts, and no payload.
        let tick = trace
            .classes()
            .iter()
            .find(|c| c.name == "reader_app:tick")
            .unwrap();
        let names = trace.context_fields(tick);
        assert_eq!(names.contains(&"ip"), per_pid, "{names:?}");
        let full = trace.events(|_| true).map(|e| e.unwrap().fields.unwrap());
        let contexts = trace
            .events_decoding(|_| Decode::Context)
            .map(|e| e.unwrap().fields.unwrap());
        let mut n_events = 0;
        for (f, c) in full.zip(contexts) {
            assert_eq!(f.context, c.context);
            assert!(c.payload.is_empty());
            n_events += 1;
        }
        assert_eq!(n_events, c.events, "{name}");
    }
    let _ = std::fs::remove_dir_all(&work);
}
