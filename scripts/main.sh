#!/usr/bin/env bash
# The main job: install, build libchain and the Python extension, and scan the
# bundled sample dataset (samples/) with chainval scan, printing its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f build/build.ninja ]; then
  meson configure build -Dpython=true >/dev/null
else
  meson setup build --buildtype=release -Dpython=true >/dev/null
fi
ninja -C build >/dev/null
export PYTHONPATH=$PWD/build/python${PYTHONPATH:+:$PYTHONPATH}
python3 -m chainval scan samples/sample.jsonl.gz --roots samples/roots.pem \
  --pool samples/pool.pem -o build/sample-out.jsonl --summary build/sample-summary.json
python3 -m chainval report build/sample-out.jsonl -o build/sample-report.html
python3 - <<'PY'
import json
expected = json.load(open("samples/expected.json"))
got = json.load(open("build/sample-summary.json"))
want = {k: v for k, v in expected["codes"].items() if v}
if got["codes"] != want or got["flags"] != expected["flags"]:
    raise SystemExit(f"sample verdicts differ from samples/expected.json:\n"
                     f"  got      {got['codes']} {got['flags']}\n  expected {want} {expected['flags']}")
print(f"rows: build/sample-out.jsonl; report: build/sample-report.html; "
      f"verdicts match samples/expected.json")
PY
