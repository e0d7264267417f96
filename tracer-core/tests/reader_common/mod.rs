//! Shared by the tests that check traces: whether babeltrace2 (the reference reader) is here,
//! and babeltrace2's and tracer-core's readings of a trace in the same JSON shape, so traces
//! can be compared event by event.

#![allow(dead_code)] // each test binary uses its own subset

use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tracer_core::ctf::read::{self, Trace, Value};

pub const PYTHON: &str = "/usr/bin/python3";

/// Whether `babeltrace2` and `python3-bt2` are here; under `CI` their absence is a failure,
/// elsewhere the caller skips with a loud message.
pub fn babeltrace_available() -> bool {
    let bt = Command::new("babeltrace2")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let py = Command::new(PYTHON)
        .args(["-c", "import bt2"])
        .output()
        .is_ok_and(|o| o.status.success());
    if bt && py {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("babeltrace2 / python3-bt2 missing under CI (see tests/apt-packages.txt)");
    }
    eprintln!("\n!!!!!!!! SKIPPED: babeltrace2 or python3-bt2 is not installed; the reader was not compared !!!!!!!!\n");
    false
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tracer-core-reader-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `babeltrace2 DIR -c sink.utils.counter`: the number of event messages.
pub fn babeltrace_event_count(dir: &Path) -> u64 {
    let out = Command::new("babeltrace2")
        .arg(dir)
        .args(["-c", "sink.utils.counter"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "babeltrace2 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // The counter prints running totals; the last "Event messages" line is the final one.
    text.lines()
        .rfind(|l| l.trim_end().ends_with("Event messages"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no event count in {text}"))
}

/// babeltrace2's text output of a directory's traces (merged, in time order); fails on any
/// warning.
pub fn babeltrace_text(dir: &Path) -> Vec<String> {
    let out = Command::new("babeltrace2").arg(dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "babeltrace2 failed: {stderr}");
    assert!(
        !stderr.contains("WARN") && !stderr.contains("ERROR"),
        "babeltrace2 complained: {stderr}"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Every record babeltrace2's Python bindings give (`tests/read_trace.py`).
pub fn babeltrace_records(dir: &Path) -> Vec<Json> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/read_trace.py");
    let out = Command::new(PYTHON).arg(script).arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "bt2 reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// babeltrace2's events only, in a canonical order, without the stream key (stream ids are
/// named differently by the two readers).
pub fn babeltrace_events(dir: &Path) -> Vec<Json> {
    let mut v: Vec<Json> = babeltrace_records(dir)
        .into_iter()
        .filter(|r| r["kind"] == "event")
        .map(|mut r| {
            let o = r.as_object_mut().unwrap();
            o.remove("stream");
            o.remove("kind");
            r
        })
        .collect();
    v.sort_by_key(|e| e.to_string());
    v
}

/// A value in the shape `read_trace.py` gives it.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => json!(f),
        Value::Str(s) => json!(s),
        Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Value::Struct(m) => fields_json(m),
        Value::Enum { value, label } => {
            json!({"enum": *value as i64, "labels": label.iter().map(|l| l.to_string()).collect::<Vec<_>>()})
        }
    }
}

fn fields_json(m: &[(std::sync::Arc<str>, Value)]) -> Json {
    Json::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect())
}

/// Our reader's events of every trace under `root`, with all payloads, in the shape and order
/// of [`babeltrace_events`]. Fails on any read error.
pub fn our_events(root: &Path) -> Vec<Json> {
    let (dirs, errors) = read::discover(root);
    assert!(errors.is_empty(), "{errors:?}");
    let mut v = Vec::new();
    for d in dirs {
        let t = Trace::open(&d).unwrap();
        for e in t.events(|_| true) {
            let e = e.unwrap_or_else(|e| panic!("read error: {e}"));
            let f = e.fields.as_ref().unwrap();
            v.push(json!({
                "name": e.class.name,
                "cycles": e.cycles,
                "uri": e.class.emf_uri,
                "level": e.class.loglevel,
                "fields": fields_json(&f.payload),
                "context": fields_json(&f.context),
            }));
        }
    }
    v.sort_by_key(|e| e.to_string());
    v
}

/// Events per event name, from a count.
pub fn per_name(c: &read::Counts) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for k in &c.classes {
        *m.entry(k.name.clone()).or_default() += k.count;
    }
    m.retain(|_, n| *n > 0);
    m
}

/// Events per event name, from babeltrace2's events.
pub fn babeltrace_per_name(events: &[Json]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for e in events {
        *m.entry(e["name"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    m
}

/// Equal, except that floating point numbers may differ in their last bits: babeltrace2 2.0
/// rebuilds doubles from their parts and can be one or two ulps off (it reads 280/3 as
/// 93.33333333333331).
pub fn same_event(ours: &Json, theirs: &Json) -> bool {
    match (ours, theirs) {
        (Json::Number(a), Json::Number(b)) if a.is_f64() || b.is_f64() => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
        }
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_event(x, y))
        }
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_event(v, w)))
        }
        _ => ours == theirs,
    }
}

/// Asserts that both readers give the same events.
pub fn assert_same_events(ours: &[Json], theirs: &[Json]) {
    assert_eq!(ours.len(), theirs.len(), "event counts differ");
    for (o, t) in ours.iter().zip(theirs) {
        assert!(same_event(o, t), "ours:   {o}\ntheirs: {t}");
    }
}
