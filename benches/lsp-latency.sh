#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Latency benchmark of the language server (`tracer-lsp --stdio`) on the full
# Linux kernel tree, driven over stdio by tests/examples/lsp_latency.rs. Prints
# p50/p99/max of completion after `trace_s`, definition and references of
# `trace_sched_switch(` in kernel/sched/core.c, and workspace/symbol; the time
# from spawning the server to the end of its start-up indexing; its RSS; and
# the targets (ready <= 6 s, completion and definition p99 <= 10 ms, references
# p99 <= 30 ms, RSS <= 350 MB).
#
# Usage: benches/lsp-latency.sh [--tree DIR]
#   --tree DIR        a Linux tree other than the cached Debian one
# Environment:
#   TRACER_BENCH_CACHE  where benches/index-linux.sh unpacked the kernel
#                       (default $HOME/.cache/tracer-lsp-bench); when no tree
#                       is there, index-linux.sh is run first to make one
#   CARGO_TARGET_DIR    honoured when locating the built binaries
#   LSP_LATENCY_SCALE   multiplies the iteration counts (e.g. 0.1 for a quick try)
#
# Nothing is written into the tree: the edits are sent to the server only.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${TRACER_BENCH_CACHE:-$HOME/.cache/tracer-lsp-bench}
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
RESULTS=$CACHE/results
TREE=""

while [ $# -gt 0 ]; do
    case $1 in
        --tree) TREE=$(cd "${2:?--tree needs a directory}" && pwd); shift ;;
        -h|--help) sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "lsp-latency.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

say()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found (install Rust first)"

# The tree index-linux.sh unpacked: $CACHE/linux-source-X.Y (with its .stamp).
cached_tree() {
    local d
    for d in "$CACHE"/linux-source-*; do
        if [ -d "$d" ] && [ -f "$d.stamp" ]; then printf '%s\n' "$d"; fi
    done | sort -V | tail -n 1
}
if [ -z "$TREE" ]; then
    TREE=$(cached_tree)
    if [ -z "$TREE" ]; then
        say "no kernel tree in $CACHE: running benches/index-linux.sh to unpack one"
        "$REPO/benches/index-linux.sh" --skip-baseline --skip-recall --skip-lttng
        TREE=$(cached_tree)
        [ -n "$TREE" ] || die "benches/index-linux.sh left no tree in $CACHE"
    fi
fi
[ -f "$TREE/kernel/sched/core.c" ] || die "$TREE has no kernel/sched/core.c: not a Linux tree"

say "cargo build --release -p tracer-lsp"
(cd "$REPO" && cargo build --release -q -p tracer-lsp)
say "cargo build --release -p tracer-lsp-tests --example lsp_latency"
(cd "$REPO" && cargo build --release -q -p tracer-lsp-tests --example lsp_latency)
BIN=$TARGET/release/tracer-lsp
EXAMPLE=$TARGET/release/examples/lsp_latency
[ -x "$BIN" ] || die "$BIN not found"
[ -x "$EXAMPLE" ] || die "$EXAMPLE not found"

# Time to ready is measured on a warm page cache, as in index-linux.sh.
say "warming the page cache (one untimed 'tracer-lsp index' of $TREE)"
"$BIN" index "$TREE" >/dev/null 2>&1 || warn "tracer-lsp index $TREE failed (continuing)"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$(cut -d. -f1 /proc/loadavg)" -ge 1 ] &&
    warn "load average is $LOAD: other work is running, timings will be noisy"

mkdir -p "$RESULTS"
say "running the latency benchmark (about 15 s)"
echo "load average before: $LOAD" >"$RESULTS/lsp-latency.txt"
TRACER_LSP_BIN=$BIN "$EXAMPLE" "$TREE" | tee -a "$RESULTS/lsp-latency.txt"
echo
echo "this output is kept in $RESULTS/lsp-latency.txt"
