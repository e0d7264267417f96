#!/usr/bin/env bash
# The VS Code extension (editors/vscode): its unit tests, and an end-to-end test in a real VS Code.
#
#   bash tests/vscode-extension.sh unit   # tsc --strict, then node's test runner on the compiled tests
#   bash tests/vscode-extension.sh e2e    # packages the .vsix, installs it into code-server 4.100.3
#                                         # (VS Code 1.100.3), drives it with Debian's Chromium
#
# VS Code itself cannot be downloaded here, so the workbench is code-server's, installed from the
# npm registry into a cache outside the repository (${XDG_CACHE_HOME:-$HOME/.cache}/tracer-lsp-vscode)
# and reused by later runs. Screenshots and logs go to $TRACER_E2E_ARTIFACTS (default
# ${TMPDIR:-/tmp}/tracer-lsp-vscode-e2e). Needs node 20, chromium, ripgrep and libkrb5-dev
# (tests/apt-packages.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
EXT=$REPO/editors/vscode
CODE_SERVER_VERSION=4.100.3
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/tracer-lsp-vscode
CODE_SERVER_DIR=$CACHE/code-server-$CODE_SERVER_VERSION
ARTIFACTS=${TRACER_E2E_ARTIFACTS:-${TMPDIR:-/tmp}/tracer-lsp-vscode-e2e}
T0=$(date +%s)

say() { echo "[vscode $(( $(date +%s) - T0 ))s] $*"; }
die() {
    echo "[vscode] FAILED: $*" >&2
    exit 1
}

# The extension's node_modules, installed with `npm ci` when package-lock.json changed since.
ensure_node_modules() {
    local stamp=$EXT/node_modules/.tracer-lock.sha256
    local want
    want=$(sha256sum "$EXT/package-lock.json" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        say "extension dependencies are up to date"
        return
    fi
    say "installing the extension's dependencies (npm ci)"
    (cd "$EXT" && npm ci --no-audit --no-fund) || die "npm ci in editors/vscode failed (see above)"
    echo "$want" >"$stamp"
}

run_unit() {
    command -v node >/dev/null || die "node is not installed"
    ensure_node_modules
    say "type-checking (tsc --strict) and running the unit tests"
    (cd "$EXT" && npx tsc -p . && node --test out/test/) || die "the extension's unit tests failed (see above)"
}

check_e2e_prerequisites() {
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" = 20 ] || die "code-server $CODE_SERVER_VERSION needs node 20; this is node $(node -v)"
    [ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing: apt-get install chromium (listed in tests/apt-packages.txt)"
    [ -x /usr/bin/rg ] || die "/usr/bin/rg is missing: apt-get install ripgrep (listed in tests/apt-packages.txt)"
    [ -f /usr/include/node/node.h ] || die "node's headers (/usr/include/node) are missing: they come with the nodejs package"
    [ -f /usr/include/gssapi/gssapi.h ] || die "Kerberos headers are missing: apt-get install libkrb5-dev (listed in tests/apt-packages.txt)"
}

# code-server from the npm registry, offline and as root: its @vscode/ripgrep postinstall would
# download a binary, so every install script is skipped, Debian's rg stands in for that binary,
# and the native modules (argon2, node-pty, kerberos) are then built by `npm rebuild` against
# /usr/include/node. A `.complete` stamp marks a finished install; anything else is redone.
install_code_server() {
    if [ -f "$CODE_SERVER_DIR/.complete" ]; then
        say "code-server $CODE_SERVER_VERSION is cached in $CODE_SERVER_DIR"
        return
    fi
    say "installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_DIR (once; about a minute)"
    rm -rf "$CODE_SERVER_DIR"
    mkdir -p "$CODE_SERVER_DIR"
    local log=$CODE_SERVER_DIR/install.log
    export npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr
    (
        set -e
        cd "$CODE_SERVER_DIR"
        echo '{"private": true}' >package.json
        npm install --ignore-scripts --no-audit --no-fund code-server@$CODE_SERVER_VERSION
        # argon2's prebuilt download fails offline; it then builds from source.
        npm rebuild argon2 --foreground-scripts
        cd node_modules/code-server
        # code-server's own postinstall installs VS Code's dependencies; run it with scripts off.
        npm_config_ignore_scripts=true npm_config_user_agent="npm/$(npm -v) node/$(node -v) linux x64" sh ./postinstall.sh
        cd lib/vscode
        mkdir -p node_modules/@vscode/ripgrep/bin
        ln -sf /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
        npm rebuild --foreground-scripts
    ) >"$log" 2>&1 || {
        tail -n 40 "$log" >&2
        die "installing code-server failed (whole log: $log)"
    }
    local modules=$CODE_SERVER_DIR/node_modules
    for module in argon2/lib/binding/napi-v3/argon2.node code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node \
        code-server/lib/vscode/node_modules/kerberos/build/Release/kerberos.node; do
        [ -f "$modules/$module" ] || die "code-server's native module $module was not built (log: $log)"
    done
    touch "$CODE_SERVER_DIR/.complete"
    say "code-server installed"
}

free_port() {
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

CODE_SERVER_PID=""
RUN_DIR=""
stop_code_server() {
    if [ -n "$CODE_SERVER_PID" ] && kill -0 "$CODE_SERVER_PID" 2>/dev/null; then
        say "stopping code-server (process group $CODE_SERVER_PID)"
        kill -TERM -- "-$CODE_SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 -- "-$CODE_SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL -- "-$CODE_SERVER_PID" 2>/dev/null || true
    fi
    CODE_SERVER_PID=""
}

show_logs() {
    [ -n "$RUN_DIR" ] || return 0
    echo "---- tail of code-server's log ($ARTIFACTS/code-server.log)" >&2
    tail -n 30 "$ARTIFACTS/code-server.log" >&2 || true
    local f
    while IFS= read -r f; do
        echo "---- tail of $f" >&2
        tail -n 30 "$f" >&2
    done < <(find "$RUN_DIR/user-data/logs" -name '*Tracer*.log' 2>/dev/null)
}

run_e2e() {
    check_e2e_prerequisites
    ensure_node_modules

    say "building tracer-lsp and libtracer.so"
    cargo build -p tracer-lsp -p tracer-capi --locked -q || die "cargo build -p tracer-lsp -p tracer-capi failed"
    local target=${CARGO_TARGET_DIR:-$REPO/target}/debug
    local server=$target/tracer-lsp
    [ -x "$server" ] || die "no server binary at $server"

    say "compiling the e2e driver and packaging the .vsix"
    mkdir -p "$ARTIFACTS"
    rm -f "$ARTIFACTS"/*.png
    (cd "$EXT" && npx tsc -p . && npx tsc -p e2e) || die "tsc failed"
    local vsix=$ARTIFACTS/tracer-lsp.vsix
    (cd "$EXT" && node scripts/package.mjs "$vsix") >"$ARTIFACTS/package.log" 2>&1 || {
        cat "$ARTIFACTS/package.log" >&2
        die "packaging the .vsix failed"
    }

    install_code_server
    local code_server=$CODE_SERVER_DIR/node_modules/.bin/code-server

    RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tracer-lsp-vscode-run.XXXXXX")
    trap 'stop_code_server' EXIT
    mkdir -p "$RUN_DIR/user-data/User" "$RUN_DIR/extensions"
    cp -r "$REPO/examples" "$RUN_DIR/examples"
    # The C example, built in the workspace as a user would (its __FILE__ is c/hello.c).
    (cd "$RUN_DIR/examples" && cc -O2 -g -I "$REPO/tracer-core/capi/include" -I c -o "$RUN_DIR/hello-c" \
        c/hello.c -L "$target" -ltracer "-Wl,-rpath,$target") || die "building the C example failed"
    : >"$RUN_DIR/config.yaml"
    local common=(--config "$RUN_DIR/config.yaml" --user-data-dir "$RUN_DIR/user-data" --extensions-dir "$RUN_DIR/extensions")

    say "installing the .vsix into code-server"
    "$code_server" "${common[@]}" --install-extension "$vsix" >"$ARTIFACTS/install-extension.log" 2>&1 || {
        cat "$ARTIFACTS/install-extension.log" >&2
        die "code-server --install-extension failed"
    }
    node -e '
        const [file, server] = process.argv.slice(1);
        require("fs").writeFileSync(file, JSON.stringify({
            "tracer.serverPath": server,
            "workbench.startupEditor": "none",
            "workbench.tips.enabled": false,
            "workbench.enableExperiments": false,
            "workbench.colorTheme": "Default Dark Modern",
            "security.workspace.trust.enabled": false,
            "extensions.ignoreRecommendations": true,
            "extensions.autoCheckUpdates": false,
            "extensions.autoUpdate": false,
            "telemetry.telemetryLevel": "off",
            "update.mode": "none",
            "git.enabled": false,
            "chat.commandCenter.enabled": false,
            "editor.minimap.enabled": false,
            "editor.wordBasedSuggestions": "off"
        }, null, 2));
    ' "$RUN_DIR/user-data/User/settings.json" "$server"

    # Feeds the heat map counts and rates a short recording cannot produce (large numbers, live
    # rates): see editors/vscode/e2e/countsProxy.ts. The Record step uses the real server.
    local proxy=$RUN_DIR/tracer-lsp-counts-proxy
    printf '#!/bin/sh\nexec "%s" "%s" "%s" "$@"\n' "$(command -v node)" "$EXT/out/e2e/countsProxy.js" "$server" >"$proxy"
    chmod +x "$proxy"

    local port
    port=$(free_port)
    say "starting code-server on 127.0.0.1:$port"
    setsid "$code_server" "${common[@]}" --auth none --bind-addr "127.0.0.1:$port" \
        --disable-telemetry --disable-update-check --disable-workspace-trust \
        --disable-getting-started-override "$RUN_DIR/examples" \
        >"$ARTIFACTS/code-server.log" 2>&1 </dev/null &
    CODE_SERVER_PID=$!
    # setsid runs in the child just after the fork: give it a moment before checking.
    local own_group=""
    for _ in $(seq 1 50); do
        if [ "$(ps -o pgid= -p "$CODE_SERVER_PID" | tr -d ' ')" = "$CODE_SERVER_PID" ]; then
            own_group=1
            break
        fi
        sleep 0.02
    done
    [ -n "$own_group" ] || die "code-server did not get a process group of its own"
    local ready=""
    for _ in $(seq 1 120); do
        kill -0 "$CODE_SERVER_PID" 2>/dev/null || { show_logs; die "code-server exited while starting"; }
        if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then
            ready=1
            break
        fi
        sleep 0.5
    done
    [ -n "$ready" ] || { show_logs; die "code-server did not answer on 127.0.0.1:$port within 60s"; }
    say "code-server is up"

    local out=$RUN_DIR/drive.out status=0
    node "$EXT/out/e2e/drive.js" --url "http://127.0.0.1:$port/?folder=$RUN_DIR/examples" \
        --workspace "$RUN_DIR/examples" --server "$server" --artifacts "$ARTIFACTS" \
        --settings "$RUN_DIR/user-data/User/settings.json" --counts-proxy "$proxy" \
        --hello-c "$RUN_DIR/hello-c" 2>&1 | tee "$out" ||
        status=$?
    stop_code_server
    trap - EXIT
    if [ "$status" -ne 0 ]; then
        show_logs
        echo "[vscode] the run's files (settings, logs) are kept in $RUN_DIR; artifacts in $ARTIFACTS" >&2
        die "the end-to-end test failed (see above)"
    fi
    say "screenshots and logs: $ARTIFACTS"
    # The driver's summary, last, for whoever reads the closing line.
    grep -E '^vscode-e2e: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1
    rm -rf "$RUN_DIR"
}

case "${1:-}" in
unit) run_unit ;;
e2e) run_e2e ;;
*) die "usage: $0 unit|e2e" ;;
esac
