#!/usr/bin/env bash
# Install what chainval needs to build and test on a bare Debian 12/13 machine
# (run as root; uses sudo when not root and sudo exists). Idempotent.
set -euo pipefail

packages=(gcc g++ pkg-config libgnutls28-dev libpsl-dev publicsuffix gnutls-bin ca-certificates valgrind python3 python3-dev python3-pip python3-venv openssl)
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

# Build tools and test dependencies from PyPI (meson from Debian 12 is too old for meson.options).
python3 -m pip install --quiet --disable-pip-version-check --break-system-packages \
  -r "$(dirname "$0")/../requirements-dev.txt" 2>/dev/null ||
python3 -m pip install --quiet --disable-pip-version-check \
  -r "$(dirname "$0")/../requirements-dev.txt"

echo "GnuTLS $(pkg-config --modversion gnutls), meson $(meson --version), $(python3 --version)"
