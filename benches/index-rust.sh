#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# `tracer-lsp index` on a real Rust corpus that is not ours: the full source of dropshot (an
# HTTP framework whose server fires `usdt` probes declared by a renamed
# `#[usdt::provider(provider = "dropshot")]` module), the `usdt` and `probe` crates, and every
# crate they depend on (~230 crates, ~150 MB of Rust and C), fetched from crates.io once into
# a private CARGO_HOME in the bench cache. Prints the index's wall time and peak RSS next to
# `rg -c` over the same files (the I/O floor), and what it found.
#
# Usage: benches/index-rust.sh
# Environment: TRACER_BENCH_CACHE (default $HOME/.cache/tracer-lsp-bench), CARGO_TARGET_DIR.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${TRACER_BENCH_CACHE:-$HOME/.cache/tracer-lsp-bench}
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
CORPUS=$CACHE/rust-corpus

say() { printf '==> %s\n' "$*" >&2; }

for tool in rg /usr/bin/time; do
    if ! command -v "$tool" >/dev/null; then
        say "installing ripgrep and time"
        apt-get install -y -q ripgrep time >/dev/null
        break
    fi
done

if [ ! -d "$CORPUS/home/registry/src" ]; then
    say "fetching the corpus (dropshot 0.18, usdt 0.6, probe 0.5 and their dependencies)"
    mkdir -p "$CORPUS/crate/src"
    cat >"$CORPUS/crate/Cargo.toml" <<'TOML'
[package]
name = "tracer-lsp-rust-corpus"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
dropshot = "=0.18.0"
usdt = "=0.6.0"
probe = "=0.5.2"

[workspace]
TOML
    echo 'fn main() {}' >"$CORPUS/crate/src/main.rs"
    CARGO_HOME="$CORPUS/home" cargo fetch --quiet --manifest-path "$CORPUS/crate/Cargo.toml"
fi
TREE=$(echo "$CORPUS"/home/registry/src/*/)

say "building tracer-lsp (release)"
cargo build --quiet --release -p tracer-lsp --manifest-path "$REPO/Cargo.toml"
BIN=$TARGET/release/tracer-lsp

say "warming the page cache"
rg -c --no-messages -g '*.rs' -g '*.[ch]' -g '*.d' 'x' "$TREE" >/dev/null || true

measure() {
    local out=$1; shift
    /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>&1 || true
}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
measure "$TMP/ours" "$BIN" index "$TREE"
measure "$TMP/rg" rg -c --no-messages -g '*.rs' -g '*.[ch]' -g '*.d' 'tracepoint!|probe!|usdt::provider|!\(\|\||declare_trace!' "$TREE"
read -r ours_s ours_kb <"$TMP/ours"
read -r rg_s rg_kb <"$TMP/rg"
files=$(find "$TREE" -name '*.rs' -o -name '*.[ch]' -o -name '*.d' | wc -l)
mb=$(du -sm "$TREE" | cut -f1)

echo
echo "== Rust corpus: dropshot 0.18 + usdt 0.6 + probe 0.5 with dependencies ($files .rs/.c/.h/.d files, $mb MB on disk)"
printf '  %-28s %8s s  %8s MB\n' "tracer-lsp index" "$ours_s" "$((ours_kb / 1024))"
printf '  %-28s %8s s  %8s MB\n' "rg -c (I/O floor)" "$rg_s" "$((rg_kb / 1024))"
echo
"$BIN" index "$TREE" | sed 's/^/  | /'
echo
"$BIN" index "$TREE" --json | python3 -c '
import json, sys, collections
v = json.load(sys.stdin)
print("  events by dialect:", dict(collections.Counter(e["dialect"] for e in v["events"])))
print("  sites by form:    ", dict(collections.Counter(s["form"] for s in v["sites"])))
for s in v["sites"]:
    if s["form"] == "usdt":
        print("   ", s["file"].split("/", 1)[-1] + ":" + str(s["line"]), s["system"] + ":" + s["event"], "in", s["function"])
'
