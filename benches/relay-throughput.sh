#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Throughput of a recording streamed through `tracer-lsp relay` on loopback,
# next to the same recording written to local disk. A busy program
# (`hello-rs N 0`: N requests, 2.33 events each, no pause) is recorded R times
# each way, alternating:
#   disk:   tracer-lsp record --output DIR -- hello-rs N 0
#   relay:  tracer-lsp record --stream 127.0.0.1:PORT -- hello-rs N 0
#           (the relay, started once, writes ROOT/<host>/<session>/)
# For each run it prints the wall time of `record` (spawn to exit: the relay
# has acknowledged everything when a streamed `record` exits), the events the
# program emitted, those the ring buffer discarded (`lost`) and the packets the
# sender dropped, the events and bytes that reached the trace (counted by
# `tracer-lsp counts` on the directory written), events/s and MB/s (stored
# events and stream bytes over the wall time), and for the relay its CPU time
# (utime + stime from /proc/PID/stat, from before `record` starts until the
# relay logs the session complete) per stored event. Then the medians of both
# and the ratios relay/disk. The program alone (no recording) is timed too.
#
# Usage: benches/relay-throughput.sh [--requests N] [--runs R]
#                                    [--subbuf-size S] [--num-subbuf K]
#   --requests N     requests of hello-rs (default 10000000: 23.3 M events)
#   --runs R         runs of each kind (default 5)
#   --subbuf-size S  --num-subbuf K   the channel (default 4M and 8, as in the
#                    LTTng-UST comparison; smaller buffers lose events sooner)
# Environment:
#   CARGO_TARGET_DIR  honoured when locating the built binaries
#   TMPDIR            where the traces are written (removed at the end)
#
# CPU times come in clock ticks (usually 10 ms): use enough requests that the
# relay's share is many ticks. Nothing is kept; the output is the result.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
REQUESTS=10000000
RUNS=5
SUBBUF_SIZE=4M
NUM_SUBBUF=8

while [ $# -gt 0 ]; do
    case $1 in
        --requests) REQUESTS=${2:?--requests needs a number}; shift ;;
        --runs) RUNS=${2:?--runs needs a number}; shift ;;
        --subbuf-size) SUBBUF_SIZE=${2:?--subbuf-size needs a size}; shift ;;
        --num-subbuf) NUM_SUBBUF=${2:?--num-subbuf needs a number}; shift ;;
        -h|--help) sed -n '4,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "relay-throughput.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

say()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found (install Rust first)"
command -v python3 >/dev/null || die "python3 not found (apt-get install python3)"

say "cargo build --release -p tracer-lsp -p hello-rs"
(cd "$REPO" && cargo build --release -q -p tracer-lsp -p hello-rs)
BIN=$TARGET/release/tracer-lsp
HELLO=$TARGET/release/hello-rs
[ -x "$BIN" ] || die "$BIN not found"
[ -x "$HELLO" ] || die "$HELLO not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/relay-throughput.XXXXXX")
RELAY_PID=""
cleanup() {
    # Only the relay this script started, by its PID.
    if [ -n "$RELAY_PID" ]; then kill "$RELAY_PID" 2>/dev/null || true; wait "$RELAY_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

TICK=$(getconf CLK_TCK)
now_ns() { date +%s%N; }
# utime + stime of a process, in clock ticks (fields 14 and 15 after the command name).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# Bytes of the stream files under a trace directory (no metadata, no markers).
stream_bytes() { find "$1" -type f ! -name metadata ! -name '.*' -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
# Events `record --json` saw emitted (recorded + lost), lost, and dropped packets.
record_figures() {
    python3 -c '
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
kept = sum(s["count"] for s in r["sites"])
s = r.get("stream") or {}
print(kept + r["lost"], r["lost"], s.get("dropped_packets", 0))'
}
# Events stored in a trace directory, as `tracer-lsp counts` reads them.
stored_events() { "$BIN" counts "$1" --json | python3 -c '
import json, sys
print(sum(e["count"] for e in json.load(sys.stdin)["events"]))'; }

say "starting the relay on loopback"
mkdir -p "$WORK/relay" "$WORK/disk"
"$BIN" relay --listen 127.0.0.1:0 --targets 127.0.0.1:0 --root "$WORK/relay" \
    >"$WORK/relay.out" 2>"$WORK/relay.err" &
RELAY_PID=$!
for _ in $(seq 100); do [ -s "$WORK/relay.out" ] && break; sleep 0.1; done
TARGETS=$(sed -n 's/.*targets on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/relay.out")
[ -n "$TARGETS" ] || die "the relay did not start: $(cat "$WORK/relay.err")"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$(cut -d. -f1 /proc/loadavg)" -ge 1 ] &&
    warn "load average is $LOAD: other work is running, figures will be noisy"

CHANNEL=(--subbuf-size "$SUBBUF_SIZE" --num-subbuf "$NUM_SUBBUF")
T0=$(now_ns); "$HELLO" "$REQUESTS" 0 >/dev/null; T1=$(now_ns)
PROGRAM_S=$(awk -v ns=$((T1 - T0)) 'BEGIN {printf "%.3f", ns / 1e9}')

RESULTS=$WORK/results.txt
: >"$RESULTS"
printf '%-6s %3s %8s %10s %10s %7s %10s %9s %11s %8s %10s\n' \
    kind run wall_s emitted lost dropped stored MB events/s MB/s relay_ns/ev
for run in $(seq "$RUNS"); do
    # To disk.
    dir=$WORK/disk/run$run
    T0=$(now_ns)
    out=$("$BIN" record --json "${CHANNEL[@]}" --output "$dir" -- "$HELLO" "$REQUESTS" 0)
    T1=$(now_ns)
    read -r emitted lost dropped < <(printf '%s\n' "$out" | record_figures)
    stored=$(stored_events "$dir"); bytes=$(stream_bytes "$dir")
    awk -v k=disk -v r="$run" -v ns=$((T1 - T0)) -v e="$emitted" -v l="$lost" -v d="$dropped" \
        -v s="$stored" -v b="$bytes" 'BEGIN {
        w = ns / 1e9
        printf "%-6s %3d %8.3f %10d %10d %7d %10d %9.1f %11.0f %8.1f %10s\n",
            k, r, w, e, l, d, s, b / 1e6, s / w, b / 1e6 / w, "-" }' | tee -a "$RESULTS"
    rm -rf "$dir"

    # Through the relay.
    session=run$run
    dir=$WORK/relay/bench/$session
    before=$(wc -l <"$WORK/relay.err")
    C0=$(cpu_ticks "$RELAY_PID")
    T0=$(now_ns)
    out=$("$BIN" record --json "${CHANNEL[@]}" --stream "127.0.0.1:$TARGETS" \
        --hostname bench --session "$session" -- "$HELLO" "$REQUESTS" 0)
    T1=$(now_ns)
    for _ in $(seq 300); do
        tail -n +"$((before + 1))" "$WORK/relay.err" | grep -q "bench/$session: recording complete" && break
        sleep 0.1
    done
    C1=$(cpu_ticks "$RELAY_PID")
    read -r emitted lost dropped < <(printf '%s\n' "$out" | record_figures)
    stored=$(stored_events "$dir"); bytes=$(stream_bytes "$dir")
    awk -v k=relay -v r="$run" -v ns=$((T1 - T0)) -v e="$emitted" -v l="$lost" -v d="$dropped" \
        -v s="$stored" -v b="$bytes" -v c=$((C1 - C0)) -v tick="$TICK" 'BEGIN {
        w = ns / 1e9
        printf "%-6s %3d %8.3f %10d %10d %7d %10d %9.1f %11.0f %8.1f %10.1f\n",
            k, r, w, e, l, d, s, b / 1e6, s / w, b / 1e6 / w, (s > 0 ? c / tick * 1e9 / s : 0) }' |
        tee -a "$RESULTS"
    rm -rf "$dir"
done

echo
echo "hello-rs $REQUESTS 0, channel $SUBBUF_SIZE x $NUM_SUBBUF, $RUNS runs each," \
    "load average before: $LOAD; the program alone: ${PROGRAM_S} s"
awk '
function median(a, n,    i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1; n[k]++; w[k, n[k]] = $3; lo[k, n[k]] = $5 / $4 * 100; ev[k, n[k]] = $9; mb[k, n[k]] = $10; ns[k, n[k]] = $11 }
END {
    for (k in n) {
        for (i = 1; i <= n[k]; i++) { a[i] = w[k, i] } W[k] = median(a, n[k])
        for (i = 1; i <= n[k]; i++) { a[i] = lo[k, i] } L[k] = median(a, n[k])
        for (i = 1; i <= n[k]; i++) { a[i] = ev[k, i] } E[k] = median(a, n[k])
        for (i = 1; i <= n[k]; i++) { a[i] = mb[k, i] } M[k] = median(a, n[k])
        for (i = 1; i <= n[k]; i++) { a[i] = ns[k, i] } C[k] = median(a, n[k])
    }
    printf "medians        wall_s   lost%%     stored events/s      MB/s   relay CPU ns/event\n"
    printf "to disk      %8.3f %7.1f %18.0f %9.1f   -\n", W["disk"], L["disk"], E["disk"], M["disk"]
    printf "via relay    %8.3f %7.1f %18.0f %9.1f   %.1f\n", W["relay"], L["relay"], E["relay"], M["relay"], C["relay"]
    printf "relay/disk   %8.2fx          %17.2fx %8.2fx\n", W["relay"] / W["disk"], E["relay"] / E["disk"], M["relay"] / M["disk"]
}' "$RESULTS"
