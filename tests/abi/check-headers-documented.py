#!/usr/bin/env python3
"""Every CHAIN_API declaration in the public headers must follow a comment
(its contract: ownership, errors, threads)."""
import pathlib
import re
import sys

bad = []
for header in sorted(pathlib.Path(sys.argv[1]).glob("*.h*")):
    lines = header.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("CHAIN_API"):
            j = i - 1
            # A run of declarations may share one comment (getter pairs).
            while j >= 0 and lines[j].startswith(("CHAIN_API", " ")) and "*/" not in lines[j]:
                j -= 1
            if j < 0 or not lines[j].rstrip().endswith("*/"):
                bad.append(f"{header.name}:{i + 1}: {line.strip()}")
for b in bad:
    print("undocumented:", b)
sys.exit(1 if bad else 0)
