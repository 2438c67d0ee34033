#!/usr/bin/env bash
# test_x509 on every certificate of the x509-limbo corpus as well as the
# fixtures: the corpus is made of certificates that break rules on purpose.
set -euo pipefail
bin=$1 data=$2 corpus=$3
pem=$(mktemp)
trap 'rm -f "$pem"' EXIT
python3 - "$corpus" "$pem" <<'PY'
import gzip, json, sys
cases = json.load(gzip.open(sys.argv[1], "rt"))["testcases"]
with open(sys.argv[2], "w") as out:
    for tc in cases:
        for pem in tc["trusted_certs"] + tc["untrusted_intermediates"] + [tc["peer_certificate"]]:
            out.write(pem if pem.endswith("\n") else pem + "\n")
PY
exec "$bin" "$data" "$pem"
