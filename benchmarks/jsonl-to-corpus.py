#!/usr/bin/env python3
"""Turn a chainval scan JSONL input into a bench_verify corpus (verdict comparison).

    python3 benchmarks/jsonl-to-corpus.py INPUT.jsonl[.gz] ROOTS.pem OUT_DIR [--label L]

writes OUT_DIR/roots.pem (a copy of ROOTS.pem) and OUT_DIR/chains.txt in the
format of benchmarks/make-corpus.py, with each row's own verification time in
the fifth column and "-" as the expected verdict (bench_verify then compares
libchain, GnuTLS and OpenSSL with each other only):

    host<TAB>base64(DER) ...<TAB>-<TAB>LABEL<TAB>unix-seconds

Rows that bench_verify cannot take are skipped and counted: not JSON objects,
no host, no time, no chain, a chain of more than 16 certificates, items that
are not base64 DER (PEM items). Served order is kept as is (no leaf-order
repair) and no intermediate pool is used, so rows that ``chainval scan
--pool`` completes fail here on all three sides.

    python3 benchmarks/jsonl-to-corpus.py samples/sample.jsonl.gz samples/roots.pem \\
        build-rel/sample-corpus
    build-rel/benchmarks/bench_verify build-rel/sample-corpus --seconds 1 --show 20
"""

from __future__ import annotations

import argparse
import base64
import binascii
import collections
import datetime
import gzip
import json
import shutil
import sys
from pathlib import Path


def open_text(path: Path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8") if gz else open(path, encoding="utf-8")


def unix_time(t) -> int | None:
    if isinstance(t, bool):
        return None
    if isinstance(t, (int, float)):
        return int(t)
    if isinstance(t, str):
        try:
            return int(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return None
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("roots", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--label", default="row", help="label column of every chain (default row)")
    args = ap.parse_args()

    skipped: collections.Counter[str] = collections.Counter()
    lines = []
    with open_text(args.input) as f:
        for line in f:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                skipped["not JSON"] += 1
                continue
            if not isinstance(row, dict):
                skipped["not an object"] += 1
                continue
            host, chain, when = row.get("host"), row.get("chain"), unix_time(row.get("time"))
            if not isinstance(host, str) or not host or any(c in host for c in "\t\n "):
                skipped["no host"] += 1
                continue
            if when is None or when < 0:
                skipped["no time"] += 1
                continue
            if not isinstance(chain, list) or not 1 <= len(chain) <= 16:
                skipped["no chain or more than 16 certificates"] += 1
                continue
            try:
                ok = all(isinstance(c, str) and base64.b64decode(c, validate=True)
                         for c in chain)
            except (binascii.Error, ValueError):
                ok = False
            if not ok:
                skipped["items not base64 DER"] += 1
                continue
            lines.append(f"{host}\t{' '.join(chain)}\t-\t{args.label}\t{when}")

    args.out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.roots, args.out_dir / "roots.pem")
    (args.out_dir / "chains.txt").write_text(
        f"# from {args.input}: host, chain, no expected verdict, label, own time\n"
        + "\n".join(lines) + "\n", encoding="ascii")
    print(f"wrote {args.out_dir}/chains.txt: {len(lines)} chains; skipped "
          + (", ".join(f"{k} {v}" for k, v in skipped.items()) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
