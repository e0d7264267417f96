//! Counts the events of every CTF trace under a directory with `tracer_core::ctf::read` and
//! prints the rate; the reader side of `benches/reader-vs-babeltrace.sh`.
//!
//! Usage: `ctf_count DIR [THREADS] [--classes]` (THREADS 0 or absent: one per CPU). With
//! `--classes`, one line per event class: count, name, stream id, event id, emf URI.

use std::time::Instant;
use tracer_core::ctf::read::count;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: ctf_count DIR [THREADS] [--classes]");
        std::process::exit(2);
    };
    let threads = args.get(1).and_then(|t| t.parse().ok()).unwrap_or(0usize);
    let t0 = Instant::now();
    let c = count(dir.as_ref(), threads);
    let dt = t0.elapsed().as_secs_f64();
    if args.iter().any(|a| a == "--classes") {
        for k in &c.classes {
            println!(
                "{} {} stream={} id={} uri={}",
                k.count,
                k.name,
                k.stream_id,
                k.id,
                k.emf_uri.as_deref().unwrap_or("-")
            );
        }
    }
    for e in &c.errors {
        eprintln!("error: {e}");
    }
    println!(
        "events={} lost={} errors={} seconds={dt:.4} mevents_per_s={:.2}",
        c.events,
        c.lost,
        c.errors.len(),
        c.events as f64 / dt / 1e6
    );
}
