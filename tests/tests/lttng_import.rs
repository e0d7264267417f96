//! Importing real LTTng-UST traces: a small C program (`tests/lttng/lines.c`, one event fired
//! from two lines with different counts) is built twice (a PIE at -O0, a non-PIE at -O2 that
//! inlines one site's function) and traced by `lttng` twice: plainly, and with the `ip` and
//! `vpid` contexts. `tracer-lsp counts --json` must count every event as babeltrace2 does;
//! without `ip` the counts are shared by the event's sites, with it they land on the exact
//! lines through the binaries' DWARF (also from a separate debug file); a binary stripped,
//! rebuilt or gone from disk is named and its events shared, as are the events of a trace
//! recorded without the statedump. `tracer.openTrace` shows the same counts as inlay hints.
//!
//! Needs lttng-tools, liblttng-ust-dev, gcc and babeltrace2: skipped loudly without them,
//! except under `CI`.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use tracer_lsp_tests::lttng::{self, babeltrace_counts, SessionDaemon};
use tracer_lsp_tests::procs::event_counts;
use tracer_lsp_tests::{binary, repo_root, LspClient};

/// The program's runs in each recording: (binary, argument).
const RUNS: [(&str, u32); 2] = [("lines-pie", 1000), ("lines-nopie", 300)];

fn compile(src: &Path, exe: &Path, flags: &[&str]) {
    let out = Command::new("gcc")
        .args(flags)
        .arg("-I")
        .arg(src)
        .arg("-o")
        .arg(exe)
        .arg(src.join("lines.c"))
        .arg(src.join("lines_tp.c"))
        .args(["-llttng-ust", "-ldl"])
        .output()
        .expect("run gcc");
    assert!(
        out.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Records every run of the program with the user-space events `events` enabled (`-a`: all,
/// the statedump included), with the `ip` and `vpid` contexts when `ip`; returns the output
/// directory.
fn record(work: &Path, name: &str, events: &str, ip: bool) -> PathBuf {
    let out = work.join(name);
    let session = format!("tracer-lsp-import-{}-{name}", std::process::id());
    lttng::lttng(&["create", &session, "--output", out.to_str().unwrap()]);
    let run = || {
        lttng::lttng(&["enable-event", "-u", events, "-s", &session]);
        if ip {
            lttng::lttng(&[
                "add-context",
                "-u",
                "-s",
                &session,
                "-t",
                "ip",
                "-t",
                "vpid",
            ]);
        }
        lttng::lttng(&["start", &session]);
        for (exe, n) in RUNS {
            let st = Command::new(work.join("bin").join(exe))
                .arg(n.to_string())
                .status()
                .unwrap();
            assert!(st.success(), "{exe} failed");
        }
        lttng::lttng(&["stop", &session]);
    };
    let result = std::panic::catch_unwind(run);
    lttng::lttng(&["destroy", &session]);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
    out
}

/// `tracer-lsp counts TRACE --workspace SRC --json`.
fn counts(trace: &Path, src: &Path) -> Value {
    let out = Command::new(binary())
        .arg("counts")
        .arg(trace)
        .arg("--workspace")
        .arg(src)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tracer-lsp counts: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (file, line, event, count, exact) of every site.
fn sites(doc: &Value) -> Vec<(String, u64, String, u64, bool)> {
    doc["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
                s["event"].as_str().unwrap().to_owned(),
                s["count"].as_u64().unwrap(),
                s["exact"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// 1-based line of the `/* site: NAME */` marker in the program.
fn site_line(src: &Path, name: &str) -> u64 {
    let text = std::fs::read_to_string(src.join("lines.c")).unwrap();
    let marker = format!("/* site: {name} */");
    text.lines().position(|l| l.contains(&marker)).unwrap() as u64 + 1
}

/// (0-based line, label) of the inlay hints of `lines.c` after `tracer.openTrace` of `trace`.
fn hints(c: &mut LspClient, src: &Path, trace: &Path) -> Vec<(u64, String)> {
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "tracer.openTrace", "arguments": [{"path": trace}]}),
    );
    assert!(r["events"].as_u64().unwrap() > 0, "{r}");
    c.inlay_hints(&format!("file://{}", src.join("lines.c").display()))
}

#[test]
fn lttng_traces_are_counted_like_babeltrace2_and_put_on_lines_through_dwarf() {
    if !lttng::available() {
        return;
    }
    let work = std::env::temp_dir().join(format!("tracer-lsp-lttng-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let src = work.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(work.join("bin")).unwrap();
    for f in ["lines.c", "lines_tp.c", "lines_tp.h"] {
        std::fs::copy(repo_root().join("tests/lttng").join(f), src.join(f)).unwrap();
    }
    compile(&src, &work.join("bin/lines-pie"), &["-g", "-O0"]);
    compile(
        &src,
        &work.join("bin/lines-nopie"),
        &["-g", "-O2", "-fno-pie", "-no-pie"],
    );
    let _daemon = SessionDaemon::ensure();
    let plain = record(&work, "plain", "-a", false);
    let with_ip = record(&work, "ip", "-a", true);
    let no_statedump = record(&work, "ip-no-statedump", "lines_app:*", true);

    let (each, third, done) = (
        site_line(&src, "each"),
        site_line(&src, "every third"),
        site_line(&src, "done"),
    );
    let n_each: u64 = RUNS.iter().map(|r| u64::from(r.1)).sum();
    let n_third: u64 = RUNS.iter().map(|r| u64::from(r.1.div_ceil(3))).sum();
    let step = "lines_app:step".to_owned();
    let done_ev = "lines_app:done".to_owned();
    let file = "lines.c".to_owned();

    // Without `ip`: every site of an event shows the event's total.
    let doc = counts(&plain, &src);
    assert_eq!(event_counts(&doc), babeltrace_counts(&plain));
    assert_eq!(event_counts(&doc)["lines_app:step"], n_each + n_third);
    assert_eq!(doc["errors"], json!([]), "{doc}");
    assert_eq!(
        sites(&doc),
        [
            (file.clone(), third, step.clone(), n_each + n_third, false),
            (file.clone(), each, step.clone(), n_each + n_third, false),
            (file.clone(), done, done_ev.clone(), 2, false),
        ]
    );

    // With `ip` and `vpid`: each line its own count, through DWARF.
    let doc = counts(&with_ip, &src);
    assert_eq!(event_counts(&doc), babeltrace_counts(&with_ip));
    assert_eq!(doc["errors"], json!([]), "{doc}");
    assert_eq!(
        sites(&doc),
        [
            (file.clone(), third, step.clone(), n_third, true),
            (file.clone(), each, step.clone(), n_each, true),
            (file.clone(), done, done_ev.clone(), 2, true),
        ]
    );

    // In the editor.
    assert_eq!((n_each, n_third), (1300, 434));
    let mut c = LspClient::start();
    c.initialize(&src);
    let label = |l: u64, s: &str| (l - 1, s.to_owned());
    assert_eq!(
        hints(&mut c, &src, &plain),
        [
            label(third, "● 1,734 shared by 2 sites"),
            label(each, "● 1,734 shared by 2 sites"),
            label(done, "● 2"),
        ]
    );
    assert_eq!(
        hints(&mut c, &src, &with_ip),
        [
            label(third, "● 434"),
            label(each, "● 1,300"),
            label(done, "● 2")
        ]
    );
    c.shutdown();

    // Without the statedump the addresses cannot be mapped: said, and the counts shared.
    let doc = counts(&no_statedump, &src);
    assert_eq!(event_counts(&doc), babeltrace_counts(&no_statedump));
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{doc}");
    assert!(errors[0]
        .as_str()
        .unwrap()
        .contains("lttng_ust_statedump:bin_info"));
    assert!(sites(&doc).iter().all(|s| !s.4), "{doc}");

    // The second binary as it may be found later: each time its events are shared (the
    // first binary's stay exact), the totals unchanged, and the binary named in the errors.
    let exe = work.join("bin").join(RUNS[1].0);
    let (pie_each, pie_third) = (u64::from(RUNS[0].1), u64::from(RUNS[0].1.div_ceil(3)));
    let rest = (n_each - pie_each) + (n_third - pie_third);
    let shared = [
        (file.clone(), third, step.clone(), pie_third + rest, false),
        (file.clone(), each, step.clone(), pie_each + rest, false),
        (file.clone(), done, done_ev.clone(), 2, false),
    ];
    let objcopy = |args: &[&str]| {
        let st = Command::new(args[0]).args(&args[1..]).status().unwrap();
        assert!(st.success(), "{args:?}");
    };
    let exe_s = exe.to_str().unwrap();
    let debug = format!("{exe_s}.debug");
    objcopy(&["objcopy", "--only-keep-debug", exe_s, &debug]);
    objcopy(&["strip", "--strip-debug", exe_s]);
    let problem = |why: &str| {
        let doc = counts(&with_ip, &src);
        assert_eq!(event_counts(&doc), babeltrace_counts(&with_ip));
        let errors = doc["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{doc}");
        let e = errors[0].as_str().unwrap();
        assert!(e.starts_with(exe_s) && e.contains(why), "{e}");
        assert_eq!(sites(&doc), shared);
    };
    problem("no line information");
    // Its debug information in a separate file, named by `.gnu_debuglink`: exact again.
    objcopy(&["objcopy", &format!("--add-gnu-debuglink={debug}"), exe_s]);
    assert_eq!(sites(&counts(&with_ip, &src))[1].3, n_each);
    // Rebuilt since the trace was recorded: another build id.
    compile(&src, &exe, &["-g", "-O1"]);
    problem("not the binary that was traced");
    std::fs::remove_file(&exe).unwrap();
    problem("cannot open");
    let _ = std::fs::remove_dir_all(&work);
}
