//! Real LTTng for the tests that read or import its traces (also compiled into tracer-core's
//! `reader_lttng` test, by path): whether it is installed (a loud skip
//! outside CI, a failure under CI), a session daemon started only when none runs and stopped
//! by its PID, `lttng` commands, and babeltrace2's event counts as the reference.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Whether lttng-tools, LTTng-UST's headers, gcc and babeltrace2 are here. Without them the
/// test is skipped with a loud message, unless `CI` is set, where their absence is a failure.
pub fn available() -> bool {
    let ok = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let have = ok("lttng", "--version")
        && ok("lttng-sessiond", "--version")
        && ok("gcc", "--version")
        && ok("babeltrace2", "--version")
        && ust_headers();
    if have {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "lttng-tools / liblttng-ust-dev / gcc / babeltrace2 missing under CI (see \
             tests/apt-packages.txt)"
        );
    }
    eprintln!(
        "\n!!!!!!!! SKIPPED: LTTng (lttng-tools, liblttng-ust-dev), gcc or babeltrace2 is not \
         installed; this test with real LTTng traces was not run !!!!!!!!\n"
    );
    false
}

/// Whether gcc finds LTTng-UST's headers (Debian puts them under the multiarch include
/// directory).
fn ust_headers() -> bool {
    use std::io::Write;
    let Ok(mut gcc) = Command::new("gcc")
        .args(["-fsyntax-only", "-x", "c", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    if let Some(mut stdin) = gcc.stdin.take() {
        let _ = stdin.write_all(b"#include <lttng/tracepoint.h>\n");
    }
    gcc.wait().is_ok_and(|s| s.success())
}

/// A session daemon this test started, stopped (by its PID) when dropped; `None` inside when
/// one was already running, which is left alone.
pub struct SessionDaemon(Option<u32>);

impl SessionDaemon {
    pub fn ensure() -> SessionDaemon {
        let running = Command::new("lttng")
            .arg("list")
            .output()
            .is_ok_and(|o| o.status.success());
        if running {
            return SessionDaemon(None);
        }
        let st = Command::new("lttng-sessiond")
            .args(["--daemonize", "--no-kernel"])
            .status()
            .expect("run lttng-sessiond");
        assert!(st.success(), "lttng-sessiond --daemonize failed");
        // A root daemon writes its PID under /var/run, a user's under ~/.lttng.
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let pidfile = if root {
            PathBuf::from("/var/run/lttng/lttng-sessiond.pid")
        } else {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".lttng/lttng-sessiond.pid")
        };
        let pid = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        assert!(pid.is_some(), "no PID in {}", pidfile.display());
        SessionDaemon(pid)
    }
}

impl Drop for SessionDaemon {
    fn drop(&mut self) {
        let Some(pid) = self.0 else { return };
        let _ = Command::new("kill").arg(pid.to_string()).status();
        for _ in 0..100 {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// Runs `lttng ARGS`, failing the test with its output when it fails.
pub fn lttng(args: &[&str]) {
    let out = Command::new("lttng")
        .args(args)
        .output()
        .expect("run lttng");
    assert!(
        out.status.success(),
        "lttng {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Events per name as babeltrace2 prints them (`[time] (+delta) host provider:event: …`).
pub fn babeltrace_counts(trace: &Path) -> BTreeMap<String, u64> {
    let out = Command::new("babeltrace2")
        .arg(trace)
        .output()
        .expect("run babeltrace2");
    assert!(
        out.status.success(),
        "babeltrace2: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line
            .split_whitespace()
            .find_map(|t| t.strip_suffix(':').filter(|n| n.contains(':')))
            .unwrap_or_else(|| panic!("no event name in babeltrace2's line {line:?}"));
        *counts.entry(name.to_owned()).or_default() += 1;
    }
    counts
}
