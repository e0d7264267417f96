#!/usr/bin/env bash
# Trace decoding speed: tracer-core's CTF reader (`ctf::read::count`, through the `ctf_count`
# example) against babeltrace2's event counter (`babeltrace2 DIR -c sink.utils.counter`), on
# the same traces in the same run: a >= 10 M-event LTTng-UST trace (one int64 + one
# 11-character string per event, recorded once and cached) and a tracer-core trace of the same
# events. Each reader runs once to warm the page cache, then three times; the fastest run is
# shown. Rates are events over the wall time of the whole command (process start, metadata,
# mapping and decoding); ctf_count's own rate (decoding only) is shown too.
#
# Needs: root (for lttng-sessiond, once, to record the LTTng trace), lttng-tools,
# liblttng-ust-dev, babeltrace2, gcc. Installs them with apt-get when missing.
# Usage: tracer-core/benches/reader-vs-babeltrace.sh [EVENTS]   (default 10000000)
set -euo pipefail
EVENTS=${1:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
cache="$HOME/.cache/tracer-lsp-bench/reader"
mkdir -p "$cache"
work=$(mktemp -d)
started_sessiond=""
cleanup() {
    # Stop only the session daemon this script started, by its PID.
    if [ -n "$started_sessiond" ]; then kill "$started_sessiond" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

ust_headers() { echo '#include <lttng/tracepoint.h>' | gcc -fsyntax-only -x c - 2>/dev/null; }
if ! command -v lttng >/dev/null || ! command -v babeltrace2 >/dev/null || ! command -v gcc >/dev/null || ! ust_headers; then
    echo "installing lttng-tools, liblttng-ust-dev, babeltrace2 and gcc" >&2
    apt-get install -y -q lttng-tools liblttng-ust-dev babeltrace2 gcc >/dev/null
fi

cargo build -q --release -p tracer-core --example ctf_count
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
ctf_count="$target/release/examples/ctf_count"

# The LTTng-UST trace, recorded once: 4 MiB x 64 sub-buffers so nothing is lost.
lttng_trace="$cache/lttng-ust-$EVENTS"
if [ ! -e "$lttng_trace.complete" ]; then
    rm -rf "$lttng_trace"
    if ! lttng list >/dev/null 2>&1; then
        lttng-sessiond --daemonize --no-kernel
        started_sessiond=$(cat /var/run/lttng/lttng-sessiond.pid)
    fi
    gcc -O2 -I"$here/lttng" -o "$work/bench_lttng" "$here/lttng/bench_lttng.c" "$here/lttng/bench_tp.c" \
        -llttng-ust -ldl -lpthread
    session="reader-bench-$$"
    lttng create "$session" --output="$lttng_trace" >/dev/null
    lttng enable-channel -u -s "$session" --subbuf-size=4M --num-subbuf=64 chan >/dev/null
    lttng enable-event -u -s "$session" -c chan 'bench:ev' >/dev/null
    lttng start "$session" >/dev/null
    "$work/bench_lttng" record "$EVENTS" 1 >/dev/null
    lttng stop "$session" >/dev/null
    lttng destroy "$session" >/dev/null
    touch "$lttng_trace.complete"
fi

# The same events written by tracer-core (its `emit` bench, 4 MiB x 64 sub-buffers).
ours_trace="$cache/tracer-core-$EVENTS"
if [ ! -e "$ours_trace.complete" ]; then
    cargo bench -q -p tracer-core --bench emit -- roomy "$EVENTS" 1 "$ours_trace" >/dev/null 2>&1
    touch "$ours_trace.complete"
fi

now() { date +%s.%N; }
# run_ours DIR -> "events wall_rate own_rate" of the fastest of three runs
run_ours() {
    "$ctf_count" "$1" >/dev/null
    local best="" i t0 t1 line ev own wall
    for i in 1 2 3; do
        t0=$(now); line=$("$ctf_count" "$1"); t1=$(now)
        ev=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' <<<"$line")
        own=$(sed -n 's/.*mevents_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
        grep -q ' errors=0 ' <<<"$line" || { echo "ctf_count reported errors: $line" >&2; exit 1; }
        wall=$(awk -v n="$ev" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", n / (b - a) / 1e6}')
        if [ -z "$best" ] || awk -v a="$wall" -v b="$(cut -d' ' -f2 <<<"$best")" 'BEGIN{exit !(a > b)}'; then
            best="$ev $wall $own"
        fi
    done
    echo "$best"
}
# run_bt DIR -> "events wall_rate" of the fastest of three runs
run_bt() {
    babeltrace2 "$1" -c sink.utils.counter >/dev/null
    local best="" i t0 t1 ev rate
    for i in 1 2 3; do
        t0=$(now)
        ev=$(babeltrace2 "$1" -c sink.utils.counter | awk '$2=="Event" && $3=="messages"{n=$1} END{print n+0}')
        t1=$(now)
        rate=$(awk -v n="$ev" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", n / (b - a) / 1e6}')
        if [ -z "$best" ] || awk -v a="$rate" -v b="$(cut -d' ' -f2 <<<"$best")" 'BEGIN{exit !(a > b)}'; then
            best="$ev $rate"
        fi
    done
    echo "$best"
}

printf '\n%-22s %12s %18s %20s %16s %8s\n' "trace" "events" "ours M ev/s (wall)" "ours M ev/s (decode)" "babeltrace2 M ev/s" "ratio"
for t in "LTTng-UST:$lttng_trace" "tracer-core:$ours_trace"; do
    name=${t%%:*} dir=${t#*:}
    read -r o_ev o_wall o_own <<<"$(run_ours "$dir")"
    read -r b_ev b_rate <<<"$(run_bt "$dir")"
    [ "$o_ev" = "$b_ev" ] || { echo "$name: we count $o_ev events, babeltrace2 $b_ev" >&2; exit 1; }
    printf '%-22s %12s %18s %20s %16s %7sx\n' "$name" "$o_ev" "$o_wall" "$o_own" "$b_rate" \
        "$(awk -v a="$o_wall" -v b="$b_rate" 'BEGIN{printf "%.1f", a / b}')"
done
printf '\ntrace sizes: LTTng-UST %s, tracer-core %s; machine: %s, %s CPUs\n' \
    "$(du -sh "$lttng_trace" | cut -f1)" "$(du -sh "$ours_trace" | cut -f1)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$(nproc)"
