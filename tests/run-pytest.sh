#!/usr/bin/env bash
# meson test's entry to the Python suite: import chainval from the build
# directory. pytest's exit status 5 (no tests collected) is a failure here:
# the suite always has tests, so collecting none means it is broken.
set -uo pipefail
build=$1 src=$2
shift 2
export PYTHONPATH=$build/python${PYTHONPATH:+:$PYTHONPATH}
cd "$src" || exit 2
python3 -m pytest -q -rs -p no:cacheprovider "$src/tests/python" "$@"
status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
