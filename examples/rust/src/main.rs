// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Rust example: tracer-core's `tracepoint!` at several call sites, one event fired from
//! two different lines.

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

fn main() {
    let mut total = 0;
    for id in 0..10 {
        let req = Request {
            id,
            path: format!("/item/{id}"),
        };
        total += serve(&req);
        if id % 3 == 0 {
            tracepoint!(hello_rs, request_done, id = id, bytes = 0usize);
        }
    }
    println!("served {total} bytes");
}
