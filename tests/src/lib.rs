//! Support for the end-to-end tests: locating the built `tracer-lsp`, a throw-away copy of
//! the examples, a small LSP client that drives the real binary over stdio, and real LTTng
//! ([`lttng`]).

pub mod lttng;

pub mod procs;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `tracer-lsp` binary: `$TRACER_LSP_BIN` when set (benchmarks use a release build),
/// else the debug build, built first if needed (so `cargo test -p tracer-lsp-tests` works on
/// its own).
pub fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("TRACER_LSP_BIN") {
        return PathBuf::from(bin);
    }
    cargo_bin("tracer-lsp", "tracer-lsp")
}

/// The debug build of binary `bin` of workspace package `package`, built once per test run.
pub fn cargo_bin(package: &str, bin: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|p| p == package) {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", package])
            .current_dir(repo_root())
            .status()
            .unwrap_or_else(|e| panic!("run cargo build -p {package}: {e}"));
        assert!(status.success(), "cargo build -p {package} failed");
        built.push(package.to_owned());
    }
    target.join("debug").join(bin)
}

/// Builds a C program with the system compiler against the C API installed into a fresh
/// prefix by `tracer-core/capi/install.sh` (headers, libtracer.so, tracer.pc), using only what
/// `pkg-config tracer` says, as a user's build would.
pub fn build_c(name: &str, sources: &[PathBuf], includes: &[PathBuf]) -> PathBuf {
    build_c_with(name, sources, includes, &[])
}

/// [`build_c`] with more compiler flags (`-shared -fPIC` for a module to `dlopen`).
pub fn build_c_with(
    name: &str,
    sources: &[PathBuf],
    includes: &[PathBuf],
    extra: &[&str],
) -> PathBuf {
    let lib = cargo_bin("tracer-capi", "libtracer.so");
    let prefix = std::env::temp_dir().join(format!("tracer-capi-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&prefix);
    let st = Command::new("bash")
        .arg(repo_root().join("tracer-core/capi/install.sh"))
        .arg("--lib")
        .arg(&lib)
        .arg(&prefix)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "install.sh failed");
    let pc = Command::new("pkg-config")
        .args(["--cflags", "--libs", "tracer"])
        .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
        .output()
        .expect("pkg-config (apt-get install pkgconf)");
    assert!(pc.status.success(), "pkg-config tracer failed");
    let flags: Vec<String> = String::from_utf8(pc.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let out = prefix.join(name);
    let mut cc = Command::new("cc");
    cc.current_dir(repo_root())
        .args(["-O2", "-g"])
        .args(extra)
        .arg("-o")
        .arg(&out);
    for i in includes {
        cc.arg("-I").arg(i);
    }
    // Paths relative to the checkout, as a build in it would name them (__FILE__).
    for s in sources {
        cc.arg(s.strip_prefix(repo_root()).unwrap_or(s));
    }
    cc.args(&flags)
        .arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()));
    let st = cc.status().expect("cc (apt-get install gcc)");
    assert!(st.success(), "cc failed for {name}");
    out
}

/// A fresh copy of `examples/` in a temporary directory, removed on drop.
pub struct Fixture {
    pub root: PathBuf,
}

impl Fixture {
    pub fn examples() -> Fixture {
        let root = std::env::temp_dir().join(format!(
            "tracer-lsp-test-{}-{}",
            std::process::id(),
            unique()
        ));
        copy_dir(&repo_root().join("examples"), &root);
        Fixture { root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn uri(&self, rel: &str) -> String {
        format!("file://{}", self.path(rel).display())
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read fixture file")
    }

    /// 0-based line of the `nth` line of fixture file `rel` that contains `needle`.
    pub fn line(&self, rel: &str, needle: &str, nth: usize) -> u64 {
        self.read(rel)
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(needle))
            .nth(nth)
            .unwrap_or_else(|| panic!("{needle:?} #{nth} not in {rel}"))
            .0 as u64
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create fixture dir");
    for entry in std::fs::read_dir(from).expect("read examples") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The 0-based (line, UTF-16 column) of the first occurrence of `needle` in `text`, plus
/// `delta` columns.
pub fn position_of(text: &str, needle: &str, delta: u32) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..at].encode_utf16().count() as u32 + delta;
    json!({"line": line, "character": col})
}

/// A client speaking LSP to a `tracer-lsp --stdio` child process.
pub struct LspClient {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications and server requests seen so far, in arrival order.
    pub seen: Vec<Value>,
    /// When each of `seen` arrived.
    pub seen_at: Vec<Instant>,
    /// How far `seen` has been searched by [`LspClient::next_diagnostics`].
    diagnostics_read: usize,
}

const TIMEOUT: Duration = Duration::from_secs(30);

impl LspClient {
    pub fn start() -> LspClient {
        let mut child = Command::new(binary())
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tracer-lsp --stdio");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        LspClient {
            child,
            stdin,
            incoming,
            next_id: 1,
            seen: Vec::new(),
            seen_at: Vec::new(),
            diagnostics_read: 0,
        }
    }

    /// `initialize` (with progress, snippets and watcher registration) and `initialized`,
    /// then waits for the start-up indexing's progress `end`.
    pub fn initialize(&mut self, root: &Path) -> Value {
        self.initialize_with(root, json!({}))
    }

    /// [`LspClient::initialize`] for a client that draws counts: it also supports the inlay-hint
    /// and code-lens refresh requests a recording sends.
    pub fn initialize_refreshing(&mut self, root: &Path) -> Value {
        self.initialize_with(
            root,
            json!({"inlayHint": {"refreshSupport": true}, "codeLens": {"refreshSupport": true}}),
        )
    }

    /// [`LspClient::initialize`] with `workspace` capabilities merged in (e.g. refresh support).
    pub fn initialize_with(&mut self, root: &Path, workspace: Value) -> Value {
        let uri = format!("file://{}", root.display());
        let mut ws = json!({"didChangeWatchedFiles": {"dynamicRegistration": true}});
        if let (Some(ws), Some(extra)) = (ws.as_object_mut(), workspace.as_object()) {
            ws.extend(extra.clone());
        }
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "fixture"}],
                "capabilities": {
                    "window": {"workDoneProgress": true},
                    "workspace": ws,
                    "textDocument": {"completion": {"completionItem": {"snippetSupport": true}}}
                },
                "initializationOptions": {"diagnostics": {"unusedEvents": false}}
            }),
        );
        self.notify("initialized", json!({}));
        self.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end");
        result
    }

    /// A language server on `fx` for a client that draws counts
    /// ([`LspClient::initialize_refreshing`]); checks that it advertises `tracer.attach`.
    pub fn for_attach(fx: &Fixture) -> LspClient {
        let mut c = LspClient::start();
        let init = c.initialize_refreshing(&fx.root);
        let commands = &init["capabilities"]["executeCommandProvider"]["commands"];
        assert!(
            commands
                .as_array()
                .is_some_and(|c| c.contains(&json!("tracer.attach"))),
            "{commands}"
        );
        c
    }

    /// `tracer.attach` to the live session `url` (`net://HOST[:PORT]/host/H/S`) with progress
    /// token `token`; the whole response (`result.id`, or the command's error).
    pub fn attach(&mut self, url: &str, token: &str) -> Value {
        self.request_raw(
            "workspace/executeCommand",
            json!({"command": "tracer.attach", "arguments": [{"url": url}], "workDoneToken": token}),
        )
    }

    /// Waits for the `end` of progress `token` (a recording's or an attachment's) and
    /// returns it.
    pub fn progress_end(&mut self, token: &str) -> Value {
        self.wait_for(|m| {
            m["method"] == "$/progress"
                && m["params"]["token"] == token
                && m["params"]["value"]["kind"] == "end"
        })
    }

    /// The (0-based line, count) of every site of the latest `tracer/counts` notification
    /// for `uri` seen so far.
    pub fn last_counts(&self, uri: &str) -> Option<Vec<(u64, u64)>> {
        self.seen
            .iter()
            .rev()
            .find(|m| m["method"] == "tracer/counts" && m["params"]["uri"] == uri)
            .map(line_counts)
    }

    /// The server's process id (benchmarks read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response; returns `result`, panicking on an error.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        if let Some(err) = response.get("error") {
            panic!("{method} failed: {err}");
        }
        response["result"].clone()
    }

    /// Sends a request and returns the whole response (result or error).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_response(&json!(id))
    }

    pub fn wait_response(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.next_message(deadline);
            if msg.get("method").is_none() && &msg["id"] == id {
                return msg;
            }
            self.absorb(msg);
        }
    }

    /// Waits for a notification or server request matching `pred` (looking at those already
    /// seen first) and returns it.
    pub fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(m) = self.seen.iter().find(|m| pred(m)) {
            return m.clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self.next_message(deadline);
            let hit = pred(&msg);
            self.absorb(msg.clone());
            if hit {
                return msg;
            }
        }
    }

    /// The next `publishDiagnostics` of `uri` not returned before (they come in order).
    pub fn next_diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let is_it = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(i) = self.seen[self.diagnostics_read..].iter().position(is_it) {
                let at = self.diagnostics_read + i;
                self.diagnostics_read = at + 1;
                return self.seen[at]["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
            let msg = self.next_message(deadline);
            self.absorb(msg);
        }
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "c", "version": 1, "text": text}}),
        );
    }

    /// (0-based line, title) of every code lens of a document, in the server's order.
    pub fn code_lenses(&mut self, uri: &str) -> Vec<(u64, String)> {
        let r = self.request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        );
        r.as_array()
            .expect("code lenses")
            .iter()
            .map(|l| {
                (
                    l["range"]["start"]["line"].as_u64().unwrap_or_default(),
                    l["command"]["title"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect()
    }

    /// (0-based line, label) of every inlay hint of a document.
    pub fn inlay_hints(&mut self, uri: &str) -> Vec<(u64, String)> {
        let r = self.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 100000, "character": 0}}}),
        );
        r.as_array()
            .expect("inlay hints")
            .iter()
            .map(|h| {
                (
                    h["position"]["line"].as_u64().unwrap_or_default(),
                    h["label"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    pub fn send_bytes(&mut self, body: &[u8]) {
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        self.stdin
            .write_all(header.as_bytes())
            .expect("write header");
        self.stdin.write_all(body).expect("write body");
        self.stdin.flush().expect("flush");
    }

    fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("serialize");
        self.send_bytes(&body);
    }

    fn next_message(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!(
                "no message from the server within {TIMEOUT:?}; seen: {:#?}",
                self.seen
            ),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its stdout"),
        }
    }

    /// Records a notification; answers a server request the way a plain editor would.
    fn absorb(&mut self, msg: Value) {
        if msg.get("method").is_some() && msg.get("id").is_some() {
            let result = match msg["method"].as_str() {
                Some("workspace/configuration") => json!([]),
                _ => Value::Null,
            };
            self.send(&json!({"jsonrpc": "2.0", "id": msg["id"], "result": result}));
        }
        self.seen.push(msg);
        self.seen_at.push(Instant::now());
    }

    /// `shutdown` then `exit`; returns the process's exit code.
    pub fn shutdown(mut self) -> Option<i32> {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The (0-based line, count) of every site of a `tracer/counts` notification.
pub fn line_counts(notification: &Value) -> Vec<(u64, u64)> {
    notification["params"]["sites"]
        .as_array()
        .expect("tracer/counts sites")
        .iter()
        .map(|s| {
            (
                s["line"].as_u64().expect("a site's line"),
                s["count"].as_u64().expect("a site's count"),
            )
        })
        .collect()
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Whether `babeltrace2` runs here: required under `CI`, else a loud skip message.
pub fn babeltrace_available() -> bool {
    let ok = Command::new("babeltrace2")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("babeltrace2 missing under CI (see tests/apt-packages.txt)");
    }
    if !ok {
        eprintln!("\n!!!!!!!! SKIPPED babeltrace2 checks: babeltrace2 is not installed !!!!!!!!\n");
    }
    ok
}

/// Events babeltrace2 reads from a recording, failing on any warning.
pub fn babeltrace_events(dir: &Path) -> Vec<String> {
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
