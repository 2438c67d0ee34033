#!/usr/bin/env bash
# Build bench_verify (release), generate the corpus once, run the benchmark.
#
#   benchmarks/run.sh [bench_verify options...]     e.g. --seconds 5 --repeat 5 --pin 1
#
# Environment: BUILD_DIR (default <source>/build-bench), CHAINS (corpus size
# when it is generated; default 2000). The corpus lives in $BUILD_DIR/corpus;
# delete that directory to regenerate it (keys are random, the layout is not).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$SRC/build-bench}
CHAINS=${CHAINS:-2000}

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$SRC" -Dbenchmarks=true -Dtests=false --buildtype=release
fi
ninja -C "$BUILD" benchmarks/bench_verify >&2

CORPUS=$BUILD/corpus
if [ ! -f "$CORPUS/chains.txt" ] || [ ! -f "$CORPUS/roots.pem" ]; then
	tmp=$(mktemp -d "$BUILD/corpus.tmp.XXXXXX")
	python3 "$SRC/benchmarks/make-corpus.py" "$tmp" --chains "$CHAINS" >&2
	rm -rf "$CORPUS"
	mv "$tmp" "$CORPUS"
fi

exec "$BUILD/benchmarks/bench_verify" "$CORPUS" "$@"
