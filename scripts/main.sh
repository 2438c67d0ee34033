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
# A picture of the report for people to look at (Debian's chromium, headless).
if command -v chromium >/dev/null; then
  chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,3200 \
    --screenshot="$PWD/build/sample-report.png" "file://$PWD/build/sample-report.html" \
    >/dev/null 2>&1 && echo "screenshot: build/sample-report.png" ||
    echo "main.sh: chromium could not take the screenshot; the report is there anyway"
else
  echo "main.sh: no chromium (bash scripts/setup.sh installs it): no screenshot of the report"
fi
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
