// SPDX-License-Identifier: MIT OR Apache-2.0
//! The naive baseline for `benches/index-linux.sh`: a plain tree-sitter-c
//! parse of every .c/.h file under a directory, in parallel (rayon, all
//! cores), with the same .gitignore-aware walk as ripgrep (`ignore` crate,
//! default filters). Nothing is indexed; each tree is dropped at once.
//!
//! ```text
//! cargo run --release -p indexer --example parse_baseline -- DIR [--candidates] [--list FILE] [--threads N] [--top N]
//! ```
//!
//! `--candidates` parses only the files that mention a tracepoint macro name
//! or a `trace_name(` call (the cheap prefilter an indexer could apply), to
//! show how much tree-sitter work such a prefilter leaves. `--list FILE`
//! parses only the paths (relative to DIR, one a line) listed in FILE.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use memchr::memmem;
use rayon::prelude::*;

/// Macro names whose presence makes a file a candidate.
const MACRO_WORDS: &[&str] = &[
    "TRACE_EVENT",
    "DEFINE_EVENT",
    "DECLARE_EVENT_CLASS",
    "DECLARE_TRACE",
    "LTTNG_TRACEPOINT_EVENT",
    "TRACEPOINT_EVENT",
    "TRACEPOINT_PROVIDER",
    "tracepoint(",
    "tracepoint_enabled",
    "do_tracepoint",
    "DTRACE_PROBE",
    "STAP_PROBE",
];

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `trace_[a-z0-9_]+\s*\(` starting at a word boundary (or right after
/// `register_`, for `register_trace_NAME(`).
fn has_trace_call(text: &[u8]) -> bool {
    for pos in memmem::find_iter(text, b"trace_") {
        if pos > 0 && is_ident(text[pos - 1]) && !text[..pos].ends_with(b"register_") {
            continue;
        }
        let mut i = pos + 6;
        let start = i;
        while i < text.len()
            && (text[i].is_ascii_lowercase() || text[i].is_ascii_digit() || text[i] == b'_')
        {
            i += 1;
        }
        if i == start {
            continue;
        }
        while i < text.len() && (text[i] == b' ' || text[i] == b'\t') {
            i += 1;
        }
        if i < text.len() && text[i] == b'(' {
            return true;
        }
    }
    false
}

fn is_candidate(text: &[u8]) -> bool {
    MACRO_WORDS
        .iter()
        .any(|w| memmem::find(text, w.as_bytes()).is_some())
        || has_trace_call(text)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let out = Mutex::new(Vec::new());
    ignore::WalkBuilder::new(dir).build_parallel().run(|| {
        let out = &out;
        Box::new(move |entry| {
            if let Ok(e) = entry {
                let is_c = e.path().extension().is_some_and(|x| x == "c" || x == "h");
                if is_c && e.file_type().is_some_and(|t| t.is_file()) {
                    out.lock().unwrap().push(e.into_path());
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut v = out.into_inner().unwrap();
    v.sort();
    v
}

#[derive(Default)]
struct Stats {
    files: u64,
    bytes: u64,
    parsed: u64,
    parsed_bytes: u64,
    with_errors: u64,
    failed: u64,
    unreadable: u64,
    slowest: Vec<(Duration, u64, PathBuf)>,
}

impl Stats {
    fn merge(mut self, o: Stats, top: usize) -> Stats {
        self.files += o.files;
        self.bytes += o.bytes;
        self.parsed += o.parsed;
        self.parsed_bytes += o.parsed_bytes;
        self.with_errors += o.with_errors;
        self.failed += o.failed;
        self.unreadable += o.unreadable;
        self.slowest.extend(o.slowest);
        self.slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
        self.slowest.truncate(top);
        self
    }
}

fn usage() -> ! {
    eprintln!("usage: parse_baseline DIR [--candidates] [--list FILE] [--threads N] [--top N]");
    std::process::exit(2);
}

fn main() {
    let mut dir = None;
    let mut candidates = false;
    let mut threads = 0usize;
    let mut top = 0usize;
    let mut list = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--candidates" => candidates = true,
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--top" => {
                top = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--list" => list = Some(PathBuf::from(args.next().unwrap_or_else(|| usage()))),
            "-h" | "--help" => usage(),
            _ if dir.is_none() && !a.starts_with('-') => dir = Some(PathBuf::from(a)),
            _ => usage(),
        }
    }
    let dir = dir.unwrap_or_else(|| usage());
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .expect("thread pool");
    }

    let t0 = Instant::now();
    let paths = match &list {
        None => walk(&dir),
        Some(file) => match std::fs::read_to_string(file) {
            Ok(text) => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| dir.join(l.trim()))
                .collect(),
            Err(e) => {
                eprintln!("parse_baseline: cannot read {}: {e}", file.display());
                std::process::exit(2);
            }
        },
    };
    let walked = t0.elapsed();

    let stats = paths
        .par_iter()
        .map_init(
            || {
                let mut p = tree_sitter::Parser::new();
                p.set_language(&tree_sitter_c::LANGUAGE.into())
                    .expect("tree-sitter-c language");
                p
            },
            |parser, path| {
                let mut s = Stats {
                    files: 1,
                    ..Stats::default()
                };
                let Ok(text) = std::fs::read(path) else {
                    s.unreadable = 1;
                    return s;
                };
                s.bytes = text.len() as u64;
                if candidates && !is_candidate(&text) {
                    return s;
                }
                let t = Instant::now();
                match parser.parse(&text, None) {
                    Some(tree) => {
                        s.parsed = 1;
                        s.parsed_bytes = text.len() as u64;
                        s.with_errors = tree.root_node().has_error() as u64;
                    }
                    None => {
                        s.failed = 1;
                        parser.reset();
                    }
                }
                if top > 0 {
                    s.slowest
                        .push((t.elapsed(), text.len() as u64, path.clone()));
                }
                s
            },
        )
        .reduce(Stats::default, |a, b| a.merge(b, top));
    let total = t0.elapsed();

    println!("parse_baseline: {}", dir.display());
    println!(
        "  mode:             {}",
        match (&list, candidates) {
            (Some(_), _) => "listed files only",
            (None, true) =>
                "candidates only (files naming a tracepoint macro or a trace_NAME( call)",
            (None, false) => "every .c/.h file",
        }
    );
    println!("  threads:          {}", rayon::current_num_threads());
    println!(
        "  files walked:     {} ({:.1} MB) in {:.2}s",
        stats.files,
        stats.bytes as f64 / 1e6,
        walked.as_secs_f64()
    );
    println!(
        "  files parsed:     {} ({:.1} MB)",
        stats.parsed,
        stats.parsed_bytes as f64 / 1e6
    );
    println!(
        "  with parse errors: {} ({:.1}% of parsed)",
        stats.with_errors,
        pct(stats.with_errors, stats.parsed)
    );
    if stats.failed + stats.unreadable > 0 {
        println!(
            "  parser gave up: {}, unreadable: {}",
            stats.failed, stats.unreadable
        );
    }
    println!("  wall time:        {:.2}s", total.as_secs_f64());
    if top > 0 {
        println!("  slowest files:");
        for (d, bytes, p) in &stats.slowest {
            let rel = p.strip_prefix(&dir).unwrap_or(p);
            println!(
                "    {:8.3}s {:9} B  {}",
                d.as_secs_f64(),
                bytes,
                rel.display()
            );
        }
    }
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}
