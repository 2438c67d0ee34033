#!/usr/bin/env python3
"""Fail unless the shared library exports exactly the symbols of libchain.map,
all prefixed chain_ (plus the version node itself)."""
import re
import subprocess
import sys

lib, mapfile = sys.argv[1], sys.argv[2]
out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                     capture_output=True, text=True).stdout
exported = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}
exported -= {name for name in exported if re.fullmatch(r"CHAIN_[0-9.]+", name)}
text = open(mapfile).read()
listed = set(re.findall(r"^\s+(chain_\w+);", text, re.M))

bad_prefix = sorted(s for s in exported if not s.startswith("chain_"))
missing = sorted(listed - exported)
extra = sorted(exported - listed)
for label, names in (("not prefixed chain_", bad_prefix), ("in map but not exported", missing),
                     ("exported but not in map", extra)):
    for name in names:
        print(f"{label}: {name}")
if bad_prefix or missing or extra:
    sys.exit(1)
print(f"{len(exported)} symbols, all chain_*, matching {mapfile}")
