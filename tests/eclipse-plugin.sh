#!/usr/bin/env bash
# The Eclipse plug-in (editors/eclipse): JUnit tests of its client logic against the real tracer-lsp,
# then an end-to-end test in a real Eclipse workbench under Xvfb.
#
#   bash tests/eclipse-plugin.sh          # both tiers
#   bash tests/eclipse-plugin.sh unit     # builds the plug-in, runs the JUnit tests
#   bash tests/eclipse-plugin.sh e2e      # installs the plug-in into a workbench assembled from Debian 12's
#                                         # Eclipse 4.26 bundles and drives it (editors/eclipse/e2e)
#
# No Eclipse product can be downloaded here: the workbench is assembled from the libeclipse-* packages by
# editors/eclipse/harness/make_platform.py, and lsp4j/gson come from a PyPI wheel cached in
# ${XDG_CACHE_HOME:-$HOME/.cache}/tracer-lsp-eclipse (editors/eclipse/build.sh). Missing apt packages of
# tests/apt-packages.txt are installed first. Screenshots, logs and results go to $TRACER_E2E_ARTIFACTS
# (default ${TMPDIR:-/tmp}/tracer-lsp-eclipse-e2e); TRACER_ECLIPSE_UPDATE_IMAGES=1 also copies the
# screenshots to editors/eclipse/images/ for the README.
#
# Recording with the real server runs when tracer-lsp advertises tracer.record: both tiers record the C
# example (examples/c/hello.c built against libtracer.so), or $TRACER_ECLIPSE_RECORD_COMMAND when set.
# A server that does not record gets that single step skipped, with a message saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PLUGIN=$REPO/editors/eclipse
BUILD=${TRACER_ECLIPSE_BUILD:-$PLUGIN/build}
ARTIFACTS=${TRACER_E2E_ARTIFACTS:-${TMPDIR:-/tmp}/tracer-lsp-eclipse-e2e}
E2E_TIMEOUT=${TRACER_ECLIPSE_E2E_TIMEOUT:-300}
T0=$(date +%s)

say() { echo "[eclipse $(($(date +%s) - T0))s] $*"; }
die() {
    echo "[eclipse] FAILED: $*" >&2
    exit 1
}

install_apt_packages() {
    local need=() pkg
    for pkg in $(cat "$REPO/tests/apt-packages.txt"); do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
    done
    [ ${#need[@]} -eq 0 ] && return
    say "installing: ${need[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
}

server_binary() {
    if [ -n "${TRACER_LSP_BIN:-}" ]; then
        echo "$TRACER_LSP_BIN"
        return
    fi
    say "building tracer-lsp and libtracer.so" >&2
    cargo build -p tracer-lsp -p tracer-capi --locked -q >&2 || die "cargo build -p tracer-lsp -p tracer-capi failed"
    echo "${CARGO_TARGET_DIR:-$REPO/target}/debug/tracer-lsp"
}

# The C example built against the libtracer.so next to the server, from examples/ so that its call
# sites say c/hello.c (the server matches them to the workspace's file by path suffix).
build_c_example() {
    local server=$1 out=$2
    local target
    target=$(dirname "$server")
    [ -f "$target/libtracer.so" ] || die "no libtracer.so next to $server (cargo build -p tracer-capi)"
    (cd "$REPO/examples" && cc -O2 -g -I "$REPO/tracer-core/capi/include" -I c -o "$out" c/hello.c \
        -L "$target" -ltracer "-Wl,-rpath,$target") || die "building the C example failed"
}

# What the recording steps record: the built C example unless the caller named something else.
record_command() {
    local server=$1
    if [ -n "${TRACER_ECLIPSE_RECORD_COMMAND:-}" ]; then
        echo "$TRACER_ECLIPSE_RECORD_COMMAND"
        return
    fi
    # A tree without the C API has no server that records either: nothing to build.
    if [ -d "$REPO/tracer-core/capi/include" ]; then
        build_c_example "$server" "$WORK/hello-c"
        echo "$WORK/hello-c"
    fi
}

test_classpath() {
    local lib
    lib=$(bash "$PLUGIN/build.sh" libs | tail -n 1)
    echo "$(find -L /usr/lib/eclipse/plugins -maxdepth 1 -name '*.jar' | sort | tr '\n' ':')/usr/share/java/org.eclipse.swt.jar:$(ls "$lib"/*.jar | tr '\n' ':')$BUILD/classes:$BUILD/test-classes:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar"
}

run_unit() {
    local server=$1
    say "building the plug-in and its tests (javac --release 17)"
    bash "$PLUGIN/build.sh" tests >/dev/null
    say "JUnit tests against $server and the fake recording server"
    TRACER_LSP_BIN=$server TRACER_ECLIPSE_RECORD_COMMAND=$RECORD_COMMAND \
        java -Dtracer.repo="$REPO" -cp "$(test_classpath)" tracer.eclipse.client.RunTests ||
        die "the plug-in's JUnit tests failed (see above)"
}

XVFB_PID=""
ECLIPSE_PID=""
RUN_DIR=""
cleanup() {
    if [ -n "$ECLIPSE_PID" ] && kill -0 "$ECLIPSE_PID" 2>/dev/null; then
        kill -TERM -- "-$ECLIPSE_PID" 2>/dev/null || true
        sleep 1
        kill -KILL -- "-$ECLIPSE_PID" 2>/dev/null || true
    fi
    if [ -n "$XVFB_PID" ] && kill -0 "$XVFB_PID" 2>/dev/null; then
        kill "$XVFB_PID" 2>/dev/null || true
    fi
    ECLIPSE_PID=""
    XVFB_PID=""
}

start_xvfb() {
    local n
    for n in $(seq 91 120); do
        [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] && continue
        Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$ARTIFACTS/xvfb.log" 2>&1 &
        XVFB_PID=$!
        for _ in $(seq 1 50); do
            [ -e "/tmp/.X11-unix/X$n" ] && break
            sleep 0.1
        done
        if kill -0 "$XVFB_PID" 2>/dev/null && [ -e "/tmp/.X11-unix/X$n" ]; then
            export DISPLAY=":$n"
            return
        fi
        XVFB_PID=""
    done
    die "could not start Xvfb (see $ARTIFACTS/xvfb.log)"
}

run_e2e() {
    local server=$1
    mkdir -p "$ARTIFACTS"
    rm -f "$ARTIFACTS"/*.png "$ARTIFACTS"/results.txt
    say "building the plug-in, the fake server and the workbench driver"
    bash "$PLUGIN/build.sh" tests >/dev/null
    local jars plugin driver lib
    jars=$(bash "$PLUGIN/build.sh" e2e)
    plugin=$(echo "$jars" | sed -n 1p)
    driver=$(echo "$jars" | sed -n 2p)
    lib=$(bash "$PLUGIN/build.sh" libs | tail -n 1)

    RUN_DIR=$WORK/run
    mkdir -p "$RUN_DIR"
    say "assembling the workbench from Debian's Eclipse 4.26 bundles"
    local bundles=(--bundle "$plugin" --bundle "$driver")
    local jar
    for jar in "$lib"/*.jar; do
        bundles+=(--bundle "$jar")
    done
    python3 "$PLUGIN/harness/make_platform.py" "$RUN_DIR/platform" "${bundles[@]}" >"$ARTIFACTS/platform.log" ||
        die "assembling the workbench failed: $(cat "$ARTIFACTS/platform.log")"

    # The demo workspace: a copy of examples/, imported by the driver as the project "examples",
    # with the built C example in it, recorded from there as a user would.
    cp -r "$REPO/examples" "$RUN_DIR/examples"
    local record=$RECORD_COMMAND
    if [ -z "${TRACER_ECLIPSE_RECORD_COMMAND:-}" ] && [ -n "$RECORD_COMMAND" ]; then
        cp "$RECORD_COMMAND" "$RUN_DIR/examples/hello-c"
        record=./hello-c
    fi
    local fake=$RUN_DIR/fake-tracer-lsp
    printf '#!/bin/sh\nexec java -cp "%s" tracer.eclipse.fake.FakeTracerServer "$@"\n' "$(test_classpath)" >"$fake"
    chmod +x "$fake"

    start_xvfb
    say "starting Eclipse on $DISPLAY (workspace $RUN_DIR/workspace)"
    GDK_BACKEND=x11 NO_AT_BRIDGE=1 GTK_OVERLAY_SCROLLING=0 setsid timeout "$E2E_TIMEOUT" java -Xmx1g \
        -Djava.library.path=/usr/lib/jni \
        -Dosgi.install.area="$RUN_DIR/platform" \
        -Dtracer.e2e.workspace="$RUN_DIR/examples" \
        -Dtracer.e2e.server="$server" \
        -Dtracer.e2e.fakeServer="$fake" \
        -Dtracer.e2e.recordCommand="$record" \
        -Dtracer.e2e.artifacts="$ARTIFACTS" \
        -jar /usr/lib/eclipse/plugins/org.eclipse.equinox.launcher_1.6.400.jar \
        -configuration "$RUN_DIR/platform/configuration" -data "$RUN_DIR/workspace" \
        -nosplash -consoleLog -clean >"$ARTIFACTS/eclipse.log" 2>&1 </dev/null &
    ECLIPSE_PID=$!
    local status=0
    wait "$ECLIPSE_PID" || status=$?
    ECLIPSE_PID=""
    cleanup
    cp "$RUN_DIR/workspace/.metadata/.log" "$ARTIFACTS/workspace.log" 2>/dev/null || true
    cp "$RUN_DIR/workspace/.metadata/.plugins/tracer.eclipse/tracer-lsp.log" "$ARTIFACTS/tracer-lsp.log" 2>/dev/null || true

    grep '^eclipse-e2e: ' "$ARTIFACTS/eclipse.log" | grep -v '^eclipse-e2e: [0-9]' || true
    if [ ! -f "$ARTIFACTS/results.txt" ]; then
        tail -n 60 "$ARTIFACTS/eclipse.log" >&2
        die "the workbench ended (status $status) without results (log: $ARTIFACTS/eclipse.log)"
    fi
    local summary
    summary=$(tail -n 1 "$ARTIFACTS/results.txt")
    if ! echo "$summary" | grep -qE '^eclipse-e2e: [0-9]+ passed, 0 failed'; then
        echo "---- workspace log ($ARTIFACTS/workspace.log)" >&2
        tail -n 40 "$ARTIFACTS/workspace.log" >&2 || true
        echo "[eclipse] screenshots and logs are in $ARTIFACTS" >&2
        echo "$summary"
        die "the workbench end-to-end test failed (see above)"
    fi
    if [ "${TRACER_ECLIPSE_UPDATE_IMAGES:-}" = 1 ]; then
        mkdir -p "$PLUGIN/images"
        local shot
        for shot in recording-c-example recording content-assist; do
            [ -f "$ARTIFACTS/$shot.png" ] || die "no $shot.png to copy into $PLUGIN/images"
            convert "$ARTIFACTS/$shot.png" -crop 1280x760+0+0 +repage -colors 192 PNG8:"$PLUGIN/images/$shot.png"
        done
        say "updated $PLUGIN/images/ ($(du -ch "$PLUGIN"/images/*.png | tail -n 1 | cut -f1))"
    fi
    say "screenshots and logs: $ARTIFACTS"
    echo "$summary"
}

install_apt_packages
SERVER=$(server_binary)
[ -x "$SERVER" ] || die "no server binary at $SERVER"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tracer-lsp-eclipse-work.XXXXXX")
trap 'cleanup; rm -rf "$WORK"' EXIT
RECORD_COMMAND=$(record_command "$SERVER")
case "${1:-all}" in
unit) run_unit "$SERVER" ;;
e2e) run_e2e "$SERVER" ;;
all)
    run_unit "$SERVER"
    run_e2e "$SERVER"
    ;;
*) die "usage: $0 [unit|e2e]" ;;
esac
