#!/usr/bin/env bash
# Tests of the C API headers (tracer-core/capi/include) against a mock libtracer, without the
# Rust library:
#   - every header compiles on its own, as C99 and C++;
#   - the unit tests (test_*.c + mock/) in several dialects: gcc C99 and GNU C11 with
#     -Wpedantic, g++ C++11 and C++17, C and C++ files mixed in one program, and under
#     AddressSanitizer + UndefinedBehaviorSanitizer; the same with clang when it is installed;
#   - an LTTng-UST hello world built unchanged against these headers, linked with -ltracer
#     through tracer.pc (the mock standing in for the library), and, when liblttng-ust-dev is
#     installed, the same sources (and the test providers) against the real LTTng-UST.
# Exits non-zero on the first failure. Run from anywhere: bash tracer-core/capi/tests/run.sh
set -euo pipefail
cd "$(dirname "$0")"
tests=$PWD
capi=$(dirname "$tests")
inc=$capi/include

need_apt=()
command -v gcc >/dev/null || need_apt+=(gcc)
command -v g++ >/dev/null || need_apt+=(g++)
command -v pkg-config >/dev/null || need_apt+=(pkgconf)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing: ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
warn=(-Wall -Wextra -Werror)
have_clang=false
command -v clang >/dev/null && command -v clang++ >/dev/null && have_clang=true

echo "== every header alone"
for h in tracer/abi.h tracer/tracepoint.h lttng/tracepoint.h lttng/tracepoint-event.h; do
    printf '#include <%s>\n' "$h" | gcc -std=c99 -Wpedantic "${warn[@]}" -I"$inc" -fsyntax-only -x c -
    printf '#include <%s>\n' "$h" | g++ -std=c++11 -Wpedantic "${warn[@]}" -I"$inc" -fsyntax-only -x c++ -
done

# unit NAME C_COMPILE CXX_OR_C_COMPILE_OF_test_other LINK [EXTRA FLAGS...]
# The mock is always C; EXTRA flags (sanitizers) go to every step.
unit() {
    local name=$1 cc=$2 other=$3 link=$4
    shift 4
    local d=$out/$name
    mkdir -p "$d"
    echo "== unit tests: $name"
    gcc -std=c99 "${warn[@]}" "$@" -I"$inc" -c mock/mock_tracer.c -o "$d/mock.o"
    for f in test_tracepoint test_api13 test_native; do
        $cc "${warn[@]}" "$@" -I"$inc" -I"$tests" -c "$f.c" -o "$d/$f.o"
    done
    $other "${warn[@]}" "$@" -I"$inc" -I"$tests" -c test_other.c -o "$d/test_other.o"
    $link "$@" "$d"/*.o -o "$d/test"
    "$d/test"
}

san=(-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
unit gcc-c99 "gcc -std=c99 -Wpedantic" "gcc -std=c99 -Wpedantic" gcc -O2
unit gcc-gnu11 "gcc -std=gnu11 -Wpedantic" "gcc -std=gnu11 -Wpedantic" gcc -O0
unit g++-c++11 "g++ -x c++ -std=c++11 -Wpedantic" "g++ -x c++ -std=c++11 -Wpedantic" g++ -O2
unit g++-c++17 "g++ -x c++ -std=c++17 -Wpedantic" "g++ -x c++ -std=c++17 -Wpedantic" g++ -O3
unit gcc-and-g++ "gcc -std=gnu99" "g++ -x c++ -std=c++17" g++ -O2
unit gcc-sanitized "gcc -std=gnu11" "g++ -x c++ -std=c++17" g++ "${san[@]}"
if $have_clang; then
    unit clang-c99 "clang -std=c99 -Wpedantic" "clang -std=c99 -Wpedantic" clang -O2
    unit clang++-c++17 "clang++ -x c++ -std=c++17 -Wpedantic" "clang++ -x c++ -std=c++17 -Wpedantic" clang++ -O2
    # The sanitizer runtimes are a separate package (libclang-rt-*-dev) clang does not pull in.
    if printf 'int main(void) { return 0; }\n' |
        clang -fsanitize=address,undefined -x c - -o "$out/san-probe" 2>/dev/null; then
        unit clang-sanitized "clang -std=gnu11" "clang++ -x c++ -std=c++17" clang++ "${san[@]}"
    else
        echo "== clang has no sanitizer runtime: clang-sanitized skipped"
    fi
else
    echo "== clang not installed: clang configurations skipped"
fi

echo "== LTTng-UST hello world against tracer-core (mock libtracer.so, tracer.pc)"
mkdir -p "$out/lib/pkgconfig" "$out/hello"
gcc -std=c99 "${warn[@]}" -O2 -fPIC -shared -I"$inc" mock/mock_tracer.c -o "$out/lib/libtracer.so"
sed -e "s|@PREFIX@|$out|" -e "s|@LIBDIR@|$out/lib|" -e "s|@INCLUDEDIR@|$inc|" -e "s|@VERSION@|0|" \
    "$capi/tracer.pc.in" >"$out/lib/pkgconfig/tracer.pc"
export PKG_CONFIG_PATH=$out/lib/pkgconfig
read -r -a cflags <<<"$(pkg-config --cflags tracer)"
read -r -a libs <<<"$(pkg-config --libs tracer)"
(
    cd hello
    gcc "${cflags[@]}" "${warn[@]}" -c -I. hello-tp.c -o "$out/hello/hello-tp.o"
    gcc "${cflags[@]}" "${warn[@]}" -c hello.c -o "$out/hello/hello.o"
)
gcc -o "$out/hello/hello" "$out/hello/hello.o" "$out/hello/hello-tp.o" "${libs[@]}"
summary=$(TRACER_MOCK_SUMMARY=1 LD_LIBRARY_PATH=$out/lib "$out/hello/hello" a b | tail -n 1)
expected="mock libtracer: 3 call sites registered, 5 events committed, 0 lost"
if [ "$summary" != "$expected" ]; then
    echo "hello world: got '$summary', want '$expected'" >&2
    exit 1
fi
echo "$summary"

if printf '#include <lttng/tracepoint.h>\n' | gcc -E -x c - >/dev/null 2>&1; then
    echo "== the same sources against the real LTTng-UST"
    mkdir -p "$out/lttng"
    (
        cd hello
        gcc -Wall -Wextra -Werror -c -I. hello-tp.c -o "$out/lttng/hello-tp.o"
        gcc -Wall -Wextra -Werror -c hello.c -o "$out/lttng/hello.o"
    )
    gcc -o "$out/lttng/hello" "$out/lttng/hello.o" "$out/lttng/hello-tp.o" -llttng-ust -ldl
    LTTNG_UST_REGISTER_TIMEOUT=0 "$out/lttng/hello" a b >/dev/null
    # The test providers are genuine LTTng-UST providers too (probes are C, as LTTng-UST wants).
    for tp in test-tp.h test-tp13.h; do
        printf '#define TRACEPOINT_CREATE_PROBES\n#define LTTNG_UST_TRACEPOINT_CREATE_PROBES\n#include "%s"\n' "$tp" |
            gcc -std=gnu11 -Wall -Wextra -Werror -I"$tests" -c -x c - -o "$out/lttng/${tp%.h}.o"
    done
    echo "ok"
else
    echo "== liblttng-ust-dev not installed: real LTTng-UST build skipped"
fi

echo "C API header tests passed"
