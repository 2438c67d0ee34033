#!/usr/bin/env bash
# Install libchain into a scratch prefix, build examples/chain-verify.c the
# way a user would (pkg-config chain, -lchain), and check its verdicts.
set -euo pipefail
build=$1 src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
pcdir=$(dirname "$(find "$dest" -name chain.pc | head -n1)")
export PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$pcdir
libdir=$(dirname "$(find "$dest" -name 'libchain.so.0' | head -n1)")
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror "$src/examples/chain-verify.c" \
   $(pkg-config --cflags --libs chain) -o "$dest/chain-verify"
run() { LD_LIBRARY_PATH=$libdir "$dest/chain-verify" --at 1893456000 "$@"; }
data=$src/tests/data/pki
# Output goes to a file before grep reads it: `grep -q` in a pipe exits at the
# first match, and under pipefail the writer's SIGPIPE would fail the test.
run --host www.example.com "$data/root-a.pem" "$data/chain-a.pem" >"$dest/out"
grep -q 'verdict: trusted (ok)' "$dest/out"
set +e
run --host www.example.com "$data/root-a.pem" "$data/chain-expired.pem" >"$dest/out"
status=$?
set -e
[ "$status" = 1 ] && grep -q 'NOT trusted (expired)' "$dest/out"
# The binary must resolve libchain through its soname, from the installed copy.
LD_LIBRARY_PATH=$libdir ldd "$dest/chain-verify" >"$dest/ldd"
grep -q "libchain.so.0 => $libdir" "$dest/ldd"
echo "example built with pkg-config and verified both chains"
