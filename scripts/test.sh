#!/usr/bin/env bash
# Run the whole test suite: configure a test build and run meson test (C
# tests, ABI checks, the pkg-config example; Python tests join as they land).
#   scripts/test.sh              the suite
#   scripts/test.sh --sanitize   the suite under AddressSanitizer + UBSan
#   scripts/test.sh --valgrind   the C tests under valgrind memcheck
#   scripts/test.sh --tsan       the threaded C tests (meson suite 'tsan': threads,
#                                cache, cases, pathological) under ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-plain}
case $mode in
  plain)      dir=build-test; opts=(-Dpython=true) ;;
  --sanitize) dir=build-asan; opts=(-Db_sanitize=address,undefined -Db_lundef=false) ;;
  --valgrind) dir=build-test; opts=() ;;
  # Debian's CPython is not built with TSan: no extension, C tests only.
  --tsan)     dir=build-tsan; opts=(-Db_sanitize=thread -Db_lundef=false -Dpython=false) ;;
  *) echo "usage: $0 [--sanitize|--valgrind|--tsan]" >&2; exit 2 ;;
esac
[ -d "$dir" ] || meson setup "$dir" "${opts[@]}" >/dev/null
ninja -C "$dir" >/dev/null
if [ "$mode" = --valgrind ]; then
  meson test -C "$dir" --setup valgrind --suite c --print-errorlogs
elif [ "$mode" = --tsan ]; then
  # Any report fails the test that made it: halt_on_error stops the process
  # at the first race, exitcode 66 makes that a failure even for a TAP test
  # whose checks passed. tests/tsan.supp lists what is suppressed and why:
  # only frames of uninstrumented libraries (GnuTLS, nettle), never libchain's.
  export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
  run=()
  # GCC 12's TSan runtime cannot map its shadow memory under the larger
  # address-space randomisation of newer kernels (vm.mmap_rnd_bits > 28:
  # "FATAL: ThreadSanitizer: unexpected memory mapping"); without ASLR it can.
  if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)" -gt 28 ] &&
     setarch "$(uname -m)" -R true 2>/dev/null; then
    run=(setarch "$(uname -m)" -R)
  fi
  "${run[@]}" meson test -C "$dir" --suite tsan --print-errorlogs
else
  meson test -C "$dir" --print-errorlogs
fi
