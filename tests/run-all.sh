#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need, then runs
# formatting, lints and the whole test suite. `.ci/run` runs exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in $(cat tests/apt-packages.txt); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing: ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The ring buffer's hand-over protocol, model-checked (its own target dir: --cfg loom rebuilds).
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --locked --release -p tracer-core --test loom
# The C API headers (tracer-core/capi), against a mock libtracer and the real LTTng-UST.
bash tracer-core/capi/tests/run.sh

# ---- VS Code extension (editors/vscode) -------------------------------------------------------
# Unit tests (tsc --strict + node --test), then the .vsix in a real VS Code (code-server 4.100.3,
# cached outside the repository) driven by Debian's Chromium. See tests/vscode-extension.sh.
bash tests/vscode-extension.sh unit
bash tests/vscode-extension.sh e2e
# ---- end of the VS Code extension block -------------------------------------------------------

# ---- Eclipse plug-in (editors/eclipse) ---------------------------------------------------------
# JUnit tests of the client logic against the real tracer-lsp (and a fake recording server), then
# the plug-in in a real Eclipse 4.26 workbench assembled from Debian's bundles, under Xvfb. lsp4j
# comes from a PyPI wheel cached outside the repository. See tests/eclipse-plugin.sh.
bash tests/eclipse-plugin.sh
# ---- end of the Eclipse plug-in block ----------------------------------------------------------
