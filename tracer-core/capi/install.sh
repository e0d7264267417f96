#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Installs the C API: libtracer.so, the headers and tracer.pc.
#
#   bash tracer-core/capi/install.sh [--lib PATH] [PREFIX]      (default PREFIX: ~/.local)
#
# Builds libtracer.so in release mode unless --lib names one already built. Headers go to
# PREFIX/include/tracer-core (their own directory: it holds an LTTng-UST compatible lttng/ that
# must not shadow liblttng-ust-dev's), the library to PREFIX/lib, tracer.pc to
# PREFIX/lib/pkgconfig. Then: PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs tracer
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib=""
if [ "${1:-}" = "--lib" ]; then
    lib="$2"
    shift 2
fi
prefix="${1:-$HOME/.local}"
if [ -z "$lib" ]; then
    (cd "$here/../.." && cargo build --release --locked -p tracer-capi)
    lib="$(cd "$here/../.." && cargo metadata --format-version 1 --no-deps \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/libtracer.so"
fi
[ -f "$lib" ] || { echo "install.sh: no library at $lib" >&2; exit 1; }
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -n1)"
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include/tracer-core"
install -m 0755 "$lib" "$prefix/lib/libtracer.so"
rm -rf "$prefix/include/tracer-core/tracer" "$prefix/include/tracer-core/lttng"
cp -R "$here/include/tracer" "$here/include/lttng" "$prefix/include/tracer-core/"
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|$prefix/lib|" \
    -e "s|@INCLUDEDIR@|$prefix/include/tracer-core|" -e "s|@VERSION@|$version|" \
    "$here/tracer.pc.in" > "$prefix/lib/pkgconfig/tracer.pc"
echo "installed libtracer $version into $prefix"
