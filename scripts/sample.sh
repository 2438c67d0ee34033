#!/usr/bin/env bash
# Verify a few bundled sample chains (tests/data) and print a summary.
set -uo pipefail
exe=$1
data=$(cd "$(dirname "$0")/../tests/data/pki" && pwd)
at=1893456000 # 2030-01-01: fixtures are pinned to it
trusted=0 rejected=0
run() {
  local name=$1; shift
  out=$("$exe" --at $at "$@")
  verdict=$(printf '%s\n' "$out" | sed -n 's/^verdict: //p')
  printf '%-28s %s\n' "$name" "$verdict"
  case $verdict in trusted*) trusted=$((trusted + 1));; *) rejected=$((rejected + 1));; esac
}
run "valid RSA chain"          --host www.example.com "$data/root-a.pem" "$data/chain-a.pem"
run "valid ECDSA chain"        --host www.example.com "$data/root-ec.pem" "$data/chain-ec.pem"
run "leaf only + pool"         --host www.example.com --pool "$data/pool-a.pem" "$data/root-a.pem" "$data/chain-a-leaf.pem"
run "cross-sign backtracking"  --host www.example.com "$data/root-r0.pem" "$data/chain-cross.pem"
run "expired leaf"             --host www.example.com "$data/root-a.pem" "$data/chain-expired.pem"
run "wrong host"               --host other.example.com "$data/root-a.pem" "$data/chain-a.pem"
run "tampered signature"       --host www.example.com "$data/root-a.pem" "$data/chain-bad-sig.pem"
run "unanchored lattice"       --host www.example.com --pool "$data/pool-lattice.pem" "$data/root-a.pem" "$data/chain-lattice-leaf.pem"
echo "summary: $trusted trusted, $rejected rejected"
