//! Neovim as the client: runs `tests/nvim/lsp_e2e.lua` in a headless Neovim that starts
//! `tracer-lsp --stdio` on a copy of `examples/` and checks completion, definition, references,
//! hover and diagnostics the way an editor receives them. The Lua script waits on the server's
//! signals; this test only prepares the workspace, bounds the run with `timeout` and reports.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use tracer_lsp_tests::{binary, cargo_bin, Fixture};

/// Seconds Neovim may run before `timeout` kills it (and the server, in its process group).
const NVIM_TIMEOUT_SECS: &str = "60";

#[test]
fn neovim_drives_the_server() {
    if !nvim_installed() {
        let message = "Neovim (`nvim`) is not installed: apt-get install neovim";
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!("{message} (required under CI=true)");
        }
        eprintln!("\n*** SKIPPED neovim_drives_the_server: {message} ***\n");
        return;
    }

    let server = binary();
    let fx = Fixture::examples();
    // Neovim's config, state, cache (its LSP log) stay inside the fixture's temporary directory.
    let editor_home = fx.path(".nvim-home");
    for dir in ["config", "data", "state", "cache"] {
        fs::create_dir_all(editor_home.join(dir)).expect("create Neovim XDG dir");
    }

    let output = Command::new("timeout")
        .args(["-k", "5", NVIM_TIMEOUT_SECS, "nvim"])
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n"])
        .args(["-c", "luafile nvim/lsp_e2e.lua"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("TRACER_LSP_BIN", &server)
        .env("TRACER_LSP_FIXTURE", &fx.root)
        .env("TRACER_HELLO_RS", cargo_bin("hello-rs", "hello-rs"))
        .env("XDG_CONFIG_HOME", editor_home.join("config"))
        .env("XDG_DATA_HOME", editor_home.join("data"))
        .env("XDG_STATE_HOME", editor_home.join("state"))
        .env("XDG_CACHE_HOME", editor_home.join("cache"))
        .stdin(Stdio::null())
        .output()
        .expect("run `timeout` (coreutils)");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!(
        "server: {}\n--- nvim stdout ---\n{stdout}\n--- nvim stderr ---\n{stderr}",
        server.display()
    );
    match output.status.code() {
        Some(0) => {}
        Some(124) | Some(137) => {
            panic!(
                "Neovim did not finish within {NVIM_TIMEOUT_SECS} s (killed by timeout)\n{report}"
            )
        }
        _ => panic!("Neovim exited with {}\n{report}", output.status),
    }
    assert!(
        stdout.contains("nvim-lsp: ") && stdout.contains(" passed"),
        "Neovim exited 0 without the script's verdict\n{report}"
    );
    print!("{stdout}");
}

fn nvim_installed() -> bool {
    Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
