//! Child processes of the end-to-end tests and their output: a started process killed (by
//! its PID) when the test lets go of it, output lines as they arrive, bounded waits, the
//! `tracer-lsp counts --json` runs and the relays of the relay, streaming and attach tests.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use crate::{binary, repo_root};

/// A child process of this test, killed (by its PID, through `Child::kill`) when dropped.
pub struct Started(pub Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Started {
    /// Waits at most `limit` for the process to exit.
    pub fn wait_for(&mut self, limit: Duration, what: &str) -> std::process::ExitStatus {
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

/// A fresh, empty temporary directory `tracer-<prefix>-<pid>-<name>`.
pub fn temp_root(prefix: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tracer-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Lines of `r` as they arrive, each with the time it arrived.
pub fn lines_of(r: impl Read + Send + 'static) -> Receiver<(Instant, String)> {
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

/// A babeltrace2 live viewer (`babeltrace2 --input-format=lttng-live URL`).
pub struct LiveViewer {
    pub process: Started,
    /// Its stdout (one line per event), each line with when it arrived.
    pub events: Receiver<(Instant, String)>,
    errors: Receiver<(Instant, String)>,
}

impl LiveViewer {
    pub fn start(url: &str) -> LiveViewer {
        let mut child = Command::new("babeltrace2")
            .arg("--input-format=lttng-live")
            .arg(url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run babeltrace2");
        let events = lines_of(child.stdout.take().unwrap());
        let errors = lines_of(child.stderr.take().unwrap());
        LiveViewer {
            process: Started(child),
            events,
            errors,
        }
    }

    /// Waits at most `limit` for babeltrace2 to exit; its status, the event lines not taken
    /// from `events` yet (all of them: the readers end at its end of output) and its stderr.
    pub fn finish(mut self, limit: Duration) -> (ExitStatus, Vec<(Instant, String)>, String) {
        let status = self.process.wait_for(limit, "babeltrace2");
        let events = self.events.iter().collect();
        let errors: Vec<String> = self.errors.iter().map(|(_, l)| l).collect();
        (status, events, errors.join("\n"))
    }
}

/// What `babeltrace2 --input-format=lttng-live net://localhost:PORT` lists (it must succeed).
pub fn live_sessions(port: u16) -> String {
    let out = Command::new("babeltrace2")
        .arg("--input-format=lttng-live")
        .arg(format!("net://localhost:{port}"))
        .output()
        .expect("run babeltrace2");
    assert!(out.status.success(), "listing failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `cond` until it holds, failing the test after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `tracer-lsp counts ARGS --json --workspace examples`.
pub fn counts(args: &[&str]) -> Started {
    Started(
        Command::new(binary())
            .arg("counts")
            .args(args)
            .args(["--json", "--workspace"])
            .arg(repo_root().join("examples"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// Waits at most `limit` for a `counts` process; its JSON (it must have succeeded).
pub fn counts_output(mut c: Started, limit: Duration, what: &str) -> serde_json::Value {
    let status = c.wait_for(limit, what);
    let (mut out, mut err) = (String::new(), String::new());
    let _ = c.0.stdout.take().unwrap().read_to_string(&mut out);
    let _ = c.0.stderr.take().unwrap().read_to_string(&mut err);
    assert!(status.success(), "{what} failed: {status}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{what}: {e}: {out:?}"))
}

/// `system:name` → count, from the `events` of a `tracer-lsp counts --json` document.
pub fn event_counts(doc: &serde_json::Value) -> std::collections::BTreeMap<String, u64> {
    doc["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            let name = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (
                format!("{}:{}", name("system"), name("name")),
                e["count"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// A `tracer-lsp relay` of this test.
pub struct Relay {
    pub process: Started,
    pub child_pid: u32,
    /// Where viewers connect.
    pub viewers: u16,
    /// Where targets stream to.
    pub targets: u16,
    /// Its stderr, line by line.
    pub errors: Receiver<(Instant, String)>,
}

/// Starts a relay on loopback (`targets`: 0 for any free port); `extra` are more options.
pub fn start_relay(root: &Path, targets: u16, extra: &[&str]) -> Relay {
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
        process: child,
        child_pid,
        errors,
    }
}

/// Records the Rust example (`hello-rs ARGS`) into `dir` and waits until its session is live
/// (the recorder's `.live` marker is there).
pub fn record_live(dir: &Path, args: &[&str]) -> Started {
    let record = Started(
        Command::new(binary())
            .args(["record", "--output"])
            .arg(dir)
            .arg("--")
            .arg(crate::cargo_bin("hello-rs", "hello-rs"))
            .args(args)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until(Duration::from_secs(10), "the recording to start", || {
        dir.join(".live").exists()
    });
    record
}
