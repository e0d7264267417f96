#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Benchmark of `tracer-lsp index` on the Linux kernel tree (Debian package
# linux-source) and on lttng-modules' instrumentation/events (Debian package
# lttng-modules-dkms, unpacked without running dkms), side by side, in one run
# and on the same warm tree, with:
#   (a) tracer-lsp index DIR                     wall time, peak RSS
#   (b) tree-sitter-c parse of every .c/.h file  the naive baseline
#       (indexer/examples/parse_baseline.rs, rayon over all cores)
#   (c) rg -c over the same .c/.h files          the I/O floor
# then the recall of the index against benches/recall.py's ground truth.
#
# Usage: benches/index-linux.sh [--skip-baseline] [--skip-recall] [--skip-lttng] [--tree DIR]
#   --tree DIR        benchmark DIR instead of the Debian kernel tree
# Environment:
#   TRACER_BENCH_CACHE  where sources are unpacked and results kept
#                       (default $HOME/.cache/tracer-lsp-bench; outside the repo)
#   CARGO_TARGET_DIR    honoured when locating the built binaries
#
# Nothing from the kernel or lttng-modules is copied into the repository: the
# trees are read in the cache directory at run time.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${TRACER_BENCH_CACHE:-$HOME/.cache/tracer-lsp-bench}
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
RESULTS=$CACHE/results
SKIP_BASELINE=0 SKIP_RECALL=0 SKIP_LTTNG=0 TREE=""

while [ $# -gt 0 ]; do
    case $1 in
        --skip-baseline) SKIP_BASELINE=1 ;;
        --skip-recall) SKIP_RECALL=1 ;;
        --skip-lttng) SKIP_LTTNG=1 ;;
        --tree) TREE=$(cd "${2:?--tree needs a directory}" && pwd); shift ;;
        -h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "index-linux.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

say()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
# newest PATH... : the existing PATH that sorts last by version, or nothing
newest() {
    local f
    for f in "$@"; do if [ -e "$f" ]; then printf '%s\n' "$f"; fi; done | sort -V | tail -n 1
}

SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "not root and no sudo: install the packages by hand or run as root"
    SUDO=sudo
fi

APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
}
apt_install() {
    apt_update_once
    say "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

mkdir -p "$CACHE" "$RESULTS"
exec > >(tee "$RESULTS/last-run.txt")

# ---------------------------------------------------------------- tools
command -v python3 >/dev/null || apt_install python3
[ -x /usr/bin/time ] || apt_install time
command -v rg >/dev/null || apt_install ripgrep
command -v cargo >/dev/null || die "cargo not found (install Rust first)"

# ---------------------------------------------------------------- Linux tree
if [ -z "$TREE" ]; then
    if [ -z "$(newest /usr/src/linux-source-*.tar.*)" ]; then
        apt_install linux-source
    fi
    TARBALL=$(newest /usr/src/linux-source-*.tar.*)
    [ -n "$TARBALL" ] || die "linux-source installed but no /usr/src/linux-source-*.tar.* found"
    NAME=$(basename "$TARBALL"); NAME=${NAME%%.tar.*}
    TREE=$CACHE/$NAME
    STAMP="$TARBALL $(stat -c '%s %Y' "$TARBALL")"
    if [ -d "$TREE" ] && [ "$(cat "$TREE.stamp" 2>/dev/null)" = "$STAMP" ]; then
        say "kernel tree already extracted: $TREE"
    else
        say "extracting $TARBALL into $TREE (once)"
        rm -rf "$TREE" "$TREE.tmp" "$TREE.stamp"
        mkdir -p "$TREE.tmp"
        tar -xaf "$TARBALL" -C "$TREE.tmp" --strip-components=1
        mv "$TREE.tmp" "$TREE"
        printf '%s\n' "$STAMP" > "$TREE.stamp"
    fi
fi

# ---------------------------------------------------------------- lttng-modules
LTTNG_EVENTS=""
if [ "$SKIP_LTTNG" = 0 ]; then
    LROOT=$(newest /usr/src/lttng-modules-*)
    [ -n "$LROOT" ] || LROOT=$(newest "$CACHE"/lttng-modules/usr/src/lttng-modules-*)
    if [ -z "$LROOT" ]; then
        # `apt-get install lttng-modules-dkms` would run a dkms build, which
        # fails without the matching kernel headers: only download and unpack.
        mkdir -p "$CACHE/debs"
        DEB=$(newest "$CACHE"/debs/lttng-modules-dkms_*.deb)
        if [ -z "$DEB" ]; then
            apt_update_once
            say "apt-get download lttng-modules-dkms (no dkms build)"
            if ! (cd "$CACHE/debs" && apt-get download -qq lttng-modules-dkms 2>"$CACHE/debs/download.log"); then
                warn "apt-get download lttng-modules-dkms failed:"; cat "$CACHE/debs/download.log" >&2
            fi
            DEB=$(newest "$CACHE"/debs/lttng-modules-dkms_*.deb)
        fi
        if [ -n "$DEB" ]; then
            say "unpacking $(basename "$DEB") into $CACHE/lttng-modules"
            rm -rf "$CACHE/lttng-modules"
            dpkg-deb -x "$DEB" "$CACHE/lttng-modules"
            LROOT=$(newest "$CACHE"/lttng-modules/usr/src/lttng-modules-*)
        fi
    fi
    if [ -n "$LROOT" ]; then
        # 2.13: include/instrumentation/events; older: instrumentation/events/lttng-module
        LTTNG_EVENTS=$(find "$LROOT" -type d -path '*instrumentation/events' | sort | head -n 1)
        [ -d "$LTTNG_EVENTS/lttng-module" ] && LTTNG_EVENTS=$LTTNG_EVENTS/lttng-module
    fi
    [ -n "$LTTNG_EVENTS" ] || warn "lttng-modules sources not found: skipping the lttng-modules part"
fi

# ---------------------------------------------------------------- build
OURS=$TARGET/release/tracer-lsp
BASELINE=$TARGET/release/examples/parse_baseline
HAVE_OURS=0 HAVE_BASELINE=0
say "cargo build --release -p tracer-lsp"
if (cd "$REPO" && cargo build --release -q -p tracer-lsp) && [ -x "$OURS" ]; then
    if "$OURS" index --help >/dev/null 2>&1; then HAVE_OURS=1; else warn "$OURS has no working 'index' sub-command yet"; fi
else
    warn "tracer-lsp did not build: (a) and the recall are not measured"
fi
if [ "$SKIP_BASELINE" = 0 ]; then
    say "cargo build --release -p indexer --example parse_baseline"
    if (cd "$REPO" && cargo build --release -q -p indexer --example parse_baseline) && [ -x "$BASELINE" ]; then
        HAVE_BASELINE=1
    else
        warn "parse_baseline did not build: (b) is not measured"
    fi
fi

# ---------------------------------------------------------------- measuring
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RG_PATTERN='TRACE_EVENT|DEFINE_EVENT|DECLARE_TRACE|DECLARE_EVENT_CLASS|LTTNG_TRACEPOINT|trace_[a-z0-9_]+\('

# measure KEY CMD... : runs CMD under GNU time; stdout/stderr kept in $TMP/KEY.*
measure() {
    local key=$1 rc=0; shift
    /usr/bin/time -v -o "$TMP/$key.time" "$@" >"$TMP/$key.out" 2>"$TMP/$key.err" || rc=$?
    [ "$rc" = 0 ] && return 0
    warn "$key: '$*' failed (exit $rc); last lines of its stderr:"
    tail -n 5 "$TMP/$key.err" >&2
    return 1
}
# field KEY wall|rss|cpu  -> seconds / MB / seconds
field() {
    awk -v want="$2" -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
        /Maximum resident set size/ { rss = $2 / 1024 }
        /User time/ { cpu += $2 } /System time/ { cpu += $2 }
        END { if (want == "wall") printf "%.2f", wall; else if (want == "rss") printf "%.0f", rss; else printf "%.1f", cpu }
    ' "$TMP/$1.time"
}
row() { # row LABEL KEY
    if [ -f "$TMP/$2.time" ] && grep -q 'Exit status: 0' "$TMP/$2.time"; then
        printf '  %-44s %9s s %8s MB %9s s\n' "$1" "$(field "$2" wall)" "$(field "$2" rss)" "$(field "$2" cpu)"
    else
        printf '  %-44s %9s\n' "$1" "not measured"
    fi
}
ok() { [ -f "$TMP/$1.time" ] && grep -q 'Exit status: 0' "$TMP/$1.time"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }

bench_tree() { # bench_tree LABEL DIR FULL(1|0)
    local label=$1 dir=$2 full=$3 files mb
    read -r files mb < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' \) -printf '%s\n' |
        awk '{ n++; b += $1 } END { printf "%d %.1f\n", n, b / 1e6 }')
    say "$label: warming the page cache (one untimed pass over $files files)"
    rg -c -g '*.c' -g '*.h' "$RG_PATTERN" "$dir" >/dev/null 2>&1 || true
    rm -f "$TMP"/*.time
    if [ "$HAVE_OURS" = 1 ]; then
        say "$label: (a) tracer-lsp index"
        measure ours "$OURS" index "$dir" || true
        if [ "$SKIP_RECALL" = 0 ]; then
            say "$label: tracer-lsp index --json (untimed, for the recall)"
            "$OURS" index "$dir" --json >"$RESULTS/$label.index.json" 2>"$TMP/json.err" ||
                { warn "tracer-lsp index --json failed:"; tail -n 5 "$TMP/json.err" >&2; rm -f "$RESULTS/$label.index.json"; }
        fi
    fi
    if [ "$full" = 1 ] && [ "$HAVE_BASELINE" = 1 ]; then
        say "$label: (b) tree-sitter-c parse of every .c/.h file (the slow one)"
        measure baseline "$BASELINE" "$dir" || true
        say "$label: (b') tree-sitter-c parse of the prefiltered files only"
        measure candidates "$BASELINE" "$dir" --candidates || true
    fi
    say "$label: (c) rg -c"
    measure rg rg -c -g '*.c' -g '*.h' "$RG_PATTERN" "$dir" || true

    echo
    echo "== $label: $dir"
    echo "   $files .c/.h files, $mb MB; $(nproc) cores; load average before: $LOAD"
    echo "   all timings warm: the page cache was filled by one untimed pass first"
    printf '  %-44s %11s %11s %11s\n' "" "wall" "peak RSS" "CPU u+s"
    row "(a) tracer-lsp index" ours
    if [ "$full" = 1 ] && [ "$SKIP_BASELINE" = 1 ]; then
        printf '  %-44s %9s\n' "(b) tree-sitter-c parse" "skipped (--skip-baseline)"
    elif [ "$full" = 1 ]; then
        row "(b) tree-sitter-c parse, every .c/.h" baseline
        row "(b') tree-sitter-c parse, prefiltered only" candidates
    fi
    row "(c) rg -c (I/O floor)" rg
    if ok ours; then
        sed -n '1,/unresolved/p' "$TMP/ours.out" | head -n 15 | sed 's/^/      | /'
    fi
    if ok baseline; then
        grep -E 'files parsed|parse errors' "$TMP/baseline.out" | sed 's/^ */      (b) /'
    fi
    if ok candidates; then
        grep -E 'files parsed' "$TMP/candidates.out" | sed 's/^ */      (b'"'"') /'
    fi
    if ok ours && ok baseline; then
        echo "   baseline/ours = $(ratio "$(field baseline wall)" "$(field ours wall)") (wall)"
    fi
    if ok ours && ok rg; then
        echo "   ours/rg       = $(ratio "$(field ours wall)" "$(field rg wall)") (wall)"
    fi
    if [ "$full" = 1 ] && ok ours; then
        awk -v w="$(field ours wall)" -v r="$(field ours rss)" 'BEGIN {
            printf "   targets: wall <= 5 s: %s (%.2f s); peak RSS <= 300 MB: %s (%d MB)\n",
                (w <= 5 ? "met" : "MISSED"), w, (r <= 300 ? "met" : "MISSED"), r }'
    fi
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$(cut -d. -f1 /proc/loadavg)" -ge 1 ] &&
    warn "load average is $LOAD: other work is running, timings will be noisy"

bench_tree linux "$TREE" 1
[ -n "$LTTNG_EVENTS" ] && bench_tree lttng-modules "$LTTNG_EVENTS" 0

# ---------------------------------------------------------------- recall
if [ "$SKIP_RECALL" = 0 ]; then
    for pair in "linux:$TREE" ${LTTNG_EVENTS:+"lttng-modules:$LTTNG_EVENTS"}; do
        label=${pair%%:*} dir=${pair#*:}
        echo
        echo "== recall: $label"
        if [ -f "$RESULTS/$label.index.json" ]; then
            python3 "$REPO/benches/recall.py" --tree "$dir" --json "$RESULTS/$label.index.json" 2>/dev/null
        else
            python3 "$REPO/benches/recall.py" --tree "$dir" --no-index 2>/dev/null
            echo "  (no index output: recall not measured)"
        fi
    done
fi
echo
echo "results kept in $RESULTS (this output: $RESULTS/last-run.txt)"
