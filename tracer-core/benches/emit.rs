//! Tracepoint cost benchmark, printed as one line of `key=value` pairs per run so
//! `tracer-vs-lttng.sh` can put it next to LTTng-UST's figures for the same payload
//! (one int64 and one 11-character string).
//!
//! `cargo bench -p tracer-core --bench emit -- MODE [EVENTS] [THREADS] [DIR]` with MODE one of
//! `disabled`, `discard`, `overwrite` (4 MiB × 8 sub-buffers, as the LTTng side), `roomy`
//! (4 MiB × 64, so nothing is dropped and every event is really recorded), `rate10m`
//! (default channel sizes, one writer paced at 10 M events/s: reports lost events), `cas`
//! (cost of one uncontended `lock cmpxchg`, what a per-CPU reserve would add).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tracer_core::{tracepoint, ChannelConfig, EventRule, Mode, Session};

const MSG: &str = "hello world";

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid timespec pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn process_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid timespec pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[inline(never)]
fn burst(n: u64) {
    for i in 0..n {
        tracepoint!(bench, ev, id = i as i64, msg = MSG);
    }
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("chan_"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn run_session(mode: &str, events: u64, threads: u64, dir: &str) {
    let cfg = match mode {
        "discard" => ChannelConfig {
            subbuf_size: 4 << 20,
            subbuf_count: 8,
            ..Default::default()
        },
        // Large enough for 10 M events of 22 bytes: measures recording, not dropping.
        "roomy" => ChannelConfig {
            subbuf_size: 4 << 20,
            subbuf_count: 64,
            ..Default::default()
        },
        "overwrite" => ChannelConfig {
            subbuf_size: 4 << 20,
            subbuf_count: 8,
            mode: Mode::Overwrite,
            ..Default::default()
        },
        _ => ChannelConfig::default(),
    };
    // One stream per writer plus one for this thread's registering event, allocated before
    // the timing.
    let cfg = ChannelConfig {
        prealloc_streams: threads as usize + 1,
        ..cfg
    };
    let _ = std::fs::remove_dir_all(dir);
    let session = Session::create("bench", dir).expect("create session");
    let ch = session.add_channel("chan", cfg).expect("add channel");
    session
        .enable_event(ch, EventRule::new("bench:*"))
        .expect("enable");
    session.start().expect("start");
    // Register the call site and attach the main thread's stream outside the timing.
    burst(1);
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    let writer_cpu: Duration = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let c = thread_cpu();
                    if mode == "rate10m" {
                        paced(events, 10_000_000);
                    } else {
                        burst(events);
                    }
                    thread_cpu() - c
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or_default()).sum()
    });
    let elapsed = t0.elapsed();
    let stats = session.stop().expect("stop");
    let total_cpu = process_cpu() - cpu0;
    let consumer_cpu = total_cpu.saturating_sub(writer_cpu);
    let _ = session.destroy();
    // +1: the registering event before the timing.
    let total = events * threads + 1;
    let bytes = dir_bytes(std::path::Path::new(dir));
    println!(
        "mode={mode} threads={threads} events={} ns_per_event={:.2} writer_cpu_ns_per_event={:.2} mevents_per_s={:.2} bytes_per_event={:.2} consumer_ns_per_event={:.2} lost={}",
        events * threads,
        elapsed.as_nanos() as f64 / events as f64,
        writer_cpu.as_nanos() as f64 / (events * threads) as f64,
        (events * threads) as f64 / elapsed.as_secs_f64() / 1e6,
        bytes as f64 / total.saturating_sub(stats.lost_events).max(1) as f64,
        consumer_cpu.as_nanos() as f64 / total as f64,
        stats.lost_events,
    );
}

/// Emits `events` at `rate` per second (in bursts of 1000, checking the clock between).
fn paced(events: u64, rate: u64) {
    let t0 = Instant::now();
    let mut done = 0;
    while done < events {
        let due = (t0.elapsed().as_nanos() as u64).saturating_mul(rate) / 1_000_000_000;
        if due > done {
            let n = (due - done).min(1000).min(events - done);
            burst(n);
            done += n;
        } else {
            std::hint::spin_loop();
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mode = args.first().map_or("discard", String::as_str);
    let events: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let threads: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let dir = args.get(3).cloned().unwrap_or_else(|| {
        std::env::temp_dir()
            .join("tracer-core-bench")
            .to_string_lossy()
            .into_owned()
    });
    match mode {
        "disabled" => {
            let t0 = Instant::now();
            burst(events);
            let ns = t0.elapsed().as_nanos() as f64 / events as f64;
            println!("mode=disabled threads=1 events={events} ns_per_event={ns:.3}");
        }
        "cas" => {
            let a = AtomicU64::new(0);
            let t0 = Instant::now();
            for i in 0..events {
                let _ =
                    black_box(&a).compare_exchange(i, i + 1, Ordering::AcqRel, Ordering::Relaxed);
            }
            let ns = t0.elapsed().as_nanos() as f64 / events as f64;
            println!("mode=cas threads=1 events={events} ns_per_event={ns:.2}");
        }
        "discard" | "roomy" | "overwrite" | "rate10m" => run_session(mode, events, threads, &dir),
        other => {
            eprintln!(
                "unknown mode {other}: disabled | discard | roomy | overwrite | rate10m | cas"
            );
            std::process::exit(2);
        }
    }
}
