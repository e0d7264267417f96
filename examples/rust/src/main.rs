// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Rust example: tracer-core's `tracepoint!` at several call sites, one event fired from
//! two different lines. `hello-rs [REQUESTS] [DELAY_MS]` serves REQUESTS (default 10) fake
//! requests, sleeping DELAY_MS (default 0) after each.
//!
//! Record it: `tracer-lsp record -- target/release/hello-rs 100`.

use tracer_core::tracepoint;

struct Request {
    id: u64,
    path: String,
}

fn serve(req: &Request) -> usize {
    tracepoint!(hello_rs, request_start, id = req.id, path = &*req.path);
    let bytes = req.path.len() * 100;
    tracepoint!(hello_rs, request_done, id = req.id, bytes = bytes);
    bytes
}

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (requests, delay_ms) = (arg(1, 10), arg(2, 0));
    let mut total = 0;
    for id in 0..requests {
        let req = Request {
            id,
            path: format!("/item/{id}"),
        };
        total += serve(&req);
        if id % 3 == 0 {
            tracepoint!(hello_rs, request_done, id = id, bytes = 0usize);
        }
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
    }
    // A reader that went away (`| head`) is not an error of the example.
    use std::io::Write;
    let _ = writeln!(
        std::io::stdout(),
        "served {requests} requests, {total} bytes"
    );
}
