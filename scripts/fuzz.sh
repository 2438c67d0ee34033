#!/usr/bin/env bash
# Fuzz libchain with libFuzzer (clang): builds build-fuzz (meson -Dfuzz=true,
# ASan+UBSan), writes the seed corpora (tests/fuzz/make-corpus.py) and runs
# the targets of tests/fuzz. docs/fuzzing.md describes the targets.
#
#   scripts/fuzz.sh --smoke          every target for a fixed number of runs
#                                    from the seeds alone (CI; a few minutes)
#   scripts/fuzz.sh --seconds S      a campaign: all targets at once for S
#   scripts/fuzz.sh --hours H        seconds (or H hours) of wall time, sharing
#                                    the cores; the corpus grows in
#                                    build-fuzz/corpus/<target> across campaigns
#   options: --targets "fuzz_verify fuzz_pem"   a subset
#            --max-restarts N   (campaigns) after a finding a target starts
#                               again with the time left, at most N times (5)
#
# Findings (crash-*, leak-*, timeout-*, oom-*: the input that triggered it)
# go to build-fuzz/findings/<target>/ (kept across campaigns; only new ones
# count) or, for --smoke, build-fuzz/smoke/findings/<target>/; logs to
# build-fuzz/logs/. Exit status 1 when there was any finding or a target
# failed to run; the summary table at the end is Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="" seconds=0 max_restarts=5
targets="fuzz_verify fuzz_x509 fuzz_pem fuzz_store fuzz_names fuzz_scan fuzz_ocsp"
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) mode=smoke ;;
    --seconds) mode=campaign; seconds=$2; shift ;;
    --hours) mode=campaign; seconds=$(awk -v h="$2" 'BEGIN { printf "%d", h * 3600 }'); shift ;;
    --targets) targets=$2; shift ;;
    --max-restarts) max_restarts=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "usage: $0 --smoke | --seconds S | --hours H [--targets \"...\"]" \
         "[--max-restarts N]" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$mode" ] || { echo "usage: $0 --smoke | --seconds S | --hours H" >&2; exit 2; }
if [ "$mode" = campaign ] && ! [ "$seconds" -gt 0 ] 2>/dev/null; then
  echo "fuzz.sh: the campaign needs a positive duration" >&2; exit 2
fi

# Runs per target in --smoke, beyond the seeds themselves (each target's
# speed differs: 20-40 s each on the 2-core reference machine, about 3 min
# in all with the build; docs/fuzzing.md).
declare -A smoke_runs=([fuzz_verify]=60000 [fuzz_x509]=100000 [fuzz_pem]=25000
                       [fuzz_store]=40000 [fuzz_names]=40000 [fuzz_scan]=40000
                       [fuzz_ocsp]=150000)
declare -A dicts=([fuzz_verify]=der.dict [fuzz_x509]=der.dict [fuzz_pem]=pem.dict
                  [fuzz_store]=der.dict [fuzz_names]=names.dict [fuzz_scan]=json.dict
                  [fuzz_ocsp]=der.dict)
# fuzz_names' seeds are short: let its inputs grow to long names sooner.
declare -A extra=([fuzz_names]="-max_len=1024 -len_control=10")

if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang not found (bash scripts/setup.sh installs it)" >&2
  exit 1
fi
dir=build-fuzz
start=$(date +%s)
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dpython=false -Dtests=false >/dev/null
elif ! grep -q 'fuzz_verify' "$dir/build.ninja"; then
  meson configure "$dir" -Dfuzz=true >/dev/null
fi
# Quiet on success; on failure the compiler's errors (CI showed nothing but exit 1).
if ! build_log=$(ninja -C "$dir" $(for t in $targets; do echo "tests/fuzz/$t"; done) 2>&1); then
  printf '%s\n' "$build_log" | tail -40 >&2
  echo "fuzz.sh: building the targets failed" >&2
  exit 1
fi
rm -rf "$dir/seeds"
python3 tests/fuzz/make-corpus.py "$dir/seeds" >/dev/null
built=$(date +%s)
echo "fuzz.sh: $mode: built and seeded in $((built - start)) s ($(clang --version | head -1))"

# UBSan findings stop the run (the targets are also built -fno-sanitize-recover).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
mkdir -p "$dir/logs" "$dir/findings"

if [ "$mode" = smoke ]; then findings_dir=$dir/smoke/findings; else findings_dir=$dir/findings; fi
stamp=$dir/logs/.started
touch "$stamp"

# run TARGET LOG CORPUS-DIR [libFuzzer options...]: one libFuzzer process.
run() {
  local t=$1 log=$2 corpus=$3; shift 3
  mkdir -p "$findings_dir/$t" "$corpus"
  # shellcheck disable=SC2086
  "$dir/tests/fuzz/$t" -print_final_stats=1 -dict="tests/fuzz/${dicts[$t]}" ${extra[$t]:-} \
    -artifact_prefix="$findings_dir/$t/" "$@" "$corpus" "$dir/seeds/$t" >"$log" 2>&1
}

# The findings of TARGET made since this script started.
findings() {
  find "$findings_dir/$1" -maxdepth 1 -type f -newer "$stamp" \( -name 'crash-*' \
    -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | sort
}

# campaign TARGET: libFuzzer until the time is up, again after a finding.
campaign() {
  local t=$1 deadline=$(( $(date +%s) + seconds )) k=0
  while :; do
    local left=$(( deadline - $(date +%s) ))
    [ "$left" -ge 5 ] || break
    run "$t" "$dir/logs/$t.$k.log" "$dir/corpus/$t" -max_total_time="$left" -timeout=60 \
      -rss_limit_mb=4096 && break
    k=$((k + 1))
    [ "$k" -le "$max_restarts" ] || break
  done
}

# stat LOG KEY: a stat:: value of libFuzzer's final report.
stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

summary() {
  local status=0
  echo
  echo "| target | runs | executions | exec/s | cov | ft | corpus | findings |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for t in $targets; do
    local execs=0 rate="" cov="" ft="" corp="" n_logs=0 failed=0
    for log in "$dir/logs/$t".*.log; do
      [ -f "$log" ] || continue
      n_logs=$((n_logs + 1))
      local e; e=$(stat "$log" number_of_executed_units)
      execs=$((execs + ${e:-0}))
      rate=$(stat "$log" average_exec_per_sec)
      local last; last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
      cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
      ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
      corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
      grep -q -E '^(Done [0-9]+ runs|INFO: fuzzing was not performed|.*DONE )' "$log" || failed=1
    done
    local n; n=$(findings "$t" | wc -l)
    [ "$n" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$n_logs" -gt 0 ] || status=1
    echo "| $t | $n_logs | $execs | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $n |"
  done
  echo
  for t in $targets; do
    for f in $(findings "$t"); do
      echo "finding: $f"
    done
    [ -z "$(findings "$t")" ] ||
      grep -h -E 'FUZZ FINDING|ERROR: (Address|Leak)Sanitizer|ERROR: libFuzzer|runtime error' \
        "$dir/logs/$t".*.log 2>/dev/null | head -5 | sed 's/^/  /'
  done
  return $status
}

if [ "$mode" = smoke ]; then
  # Fixed runs from the seeds alone: a fresh corpus each time, a fixed seed.
  for t in $targets; do
    rm -rf "$dir/smoke/corpus/$t" "$findings_dir/$t" "$dir/logs/$t".*.log
    seeds=$(find "$dir/seeds/$t" -type f | wc -l)
    t0=$(date +%s)
    run "$t" "$dir/logs/$t.0.log" "$dir/smoke/corpus/$t" -runs=$((seeds + smoke_runs[$t])) \
      -seed=1 -timeout=25 || true
    echo "fuzz.sh: $t: $(( $(date +%s) - t0 )) s"
  done
else
  echo "fuzz.sh: campaign of $seconds s: $targets (at once, sharing $(nproc) cores)"
  for t in $targets; do
    rm -f "$dir/logs/$t".*.log
    mkdir -p "$dir/corpus/$t"
  done
  pids=()
  for t in $targets; do
    campaign "$t" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
fi
status=0
summary || status=$?
echo
verdict=", no findings"
[ $status -eq 0 ] || verdict=": FINDINGS or failures above"
echo "fuzz.sh: $mode done in $(( $(date +%s) - start )) s$verdict"
exit $status
