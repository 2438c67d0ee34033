#!/usr/bin/env bash
# The main job: install, build, and verify the bundled sample chains with the
# chain-verify example (the bulk scanner will replace this; see issue 6).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
bash scripts/sample.sh build/examples/chain-verify
