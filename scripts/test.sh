#!/usr/bin/env bash
# Run the whole test suite: configure a test build and run meson test (C
# tests, ABI checks, the pkg-config example; Python tests join as they land).
#   scripts/test.sh              the suite
#   scripts/test.sh --sanitize   the suite under AddressSanitizer + UBSan
#   scripts/test.sh --valgrind   the C tests under valgrind memcheck
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-plain}
case $mode in
  plain)      dir=build-test; opts=(-Dpython=true) ;;
  --sanitize) dir=build-asan; opts=(-Db_sanitize=address,undefined -Db_lundef=false) ;;
  --valgrind) dir=build-test; opts=() ;;
  *) echo "usage: $0 [--sanitize|--valgrind]" >&2; exit 2 ;;
esac
[ -d "$dir" ] || meson setup "$dir" "${opts[@]}" >/dev/null
ninja -C "$dir" >/dev/null
if [ "$mode" = --valgrind ]; then
  meson test -C "$dir" --setup valgrind --suite c --print-errorlogs
else
  meson test -C "$dir" --print-errorlogs
fi
