#!/usr/bin/env bash
# Install what chainval needs to build and test on a bare Debian 12/13 machine
# (run as root; uses sudo when not root and sudo exists). Idempotent.
set -euo pipefail

packages=(gcc g++ pkg-config libgnutls28-dev libpsl-dev libsimdjson-dev publicsuffix gnutls-bin ca-certificates valgrind python3 python3-dev python3-pip python3-venv openssl
          clang chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libFuzzer for scripts/fuzz.sh: Debian ships clang's sanitizer and fuzzer
# runtimes apart (libclang-rt-N-dev, only recommended by clang, so skipped by
# --no-install-recommends): the unversioned libclang-rt-dev (Debian 12: 14,
# 13: 19), else the one of the installed clang.
fuzzer_builds() {
  local out; out=$(mktemp)
  printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
    clang -x c -fsanitize=fuzzer,address,undefined - -o "$out" 2>/dev/null
  local ret=$?
  rm -f "$out"
  return $ret
}
if ! fuzzer_builds; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  [ ${#missing[@]} -gt 0 ] || $SUDO apt-get update -qq
  rt=libclang-rt-dev
  apt-cache show "$rt" >/dev/null 2>&1 || rt="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$rt" >/dev/null
  fuzzer_builds || { echo "setup.sh: clang cannot build libFuzzer targets even with $rt" >&2; exit 1; }
fi

# Build tools and test dependencies from PyPI (meson from Debian 12 is too old for meson.options).
python3 -m pip install --quiet --disable-pip-version-check --break-system-packages \
  -r "$(dirname "$0")/../requirements-dev.txt" 2>/dev/null ||
python3 -m pip install --quiet --disable-pip-version-check \
  -r "$(dirname "$0")/../requirements-dev.txt"

echo "GnuTLS $(pkg-config --modversion gnutls), meson $(meson --version), $(python3 --version), $(clang --version | head -1)"
