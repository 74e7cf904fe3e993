#!/usr/bin/env bash
# Builds Parley's libFuzzer targets (fuzz/) with clang, ASan and UBSan into build-fuzz/, builds their
# seed corpora from tests/data (scripts/fuzz_seeds.py), and runs each target for a fixed number of
# executions, one after another at low priority.
#   scripts/fuzz.sh                      every target, 1,000,000 executions each
#   scripts/fuzz.sh -n 20000 fuzz_npy    one target, 20,000 executions
#   scripts/fuzz.sh -t 120               every target for at most 120 s each (a quick pass)
#   scripts/fuzz.sh -T 300               one input running over 300 s is a hang (default 25 s); for a
#                                        machine shared with builds, where a low-priority fuzzer can
#                                        wait far longer for the CPU than an input takes
# Work files live in .fuzz/ (git-ignored): corpus/<target>/ (what the fuzzer found
# interesting, kept between runs), artifacts/<target>/ (crashing inputs), logs/, summary.tsv.
# A crash stops that target, is reported, and makes the script exit 1 after the others have run;
# reproduce it with build-fuzz/fuzz/<target> .fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=1000000
SECONDS_EACH=0
HANG=25
while getopts "n:t:T:" opt; do
  case $opt in
    n) RUNS=$OPTARG ;;
    t) SECONDS_EACH=$OPTARG ;;
    T) HANG=$OPTARG ;;
    *) sed -n 2,14p "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

BUILD=build-fuzz
WORK=.fuzz
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_FUZZ=ON \
    -DPARLEY_TESTS=OFF -DPARLEY_BENCH=OFF
fi
nice cmake --build "$BUILD" -j2

TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  for f in "$BUILD"/fuzz/fuzz_*; do [ -x "$f" ] && TARGETS+=("$(basename "$f")"); done
fi

# Seeds are rebuilt for each run in a folder of its own, so that two runs (one per core, each with
# its own targets) can share .fuzz/.
mkdir -p "$WORK"
SEEDS=$(mktemp -d "$WORK/seeds.XXXXXX")
trap 'rm -rf "$SEEDS"' EXIT
python3 scripts/fuzz_seeds.py "$SEEDS" >/dev/null

# Longest input per target: the container and archive formats need room for a real file's layout.
max_len() {
  case $1 in
    fuzz_safetensors) echo 65536 ;;
    fuzz_pickle) echo 32768 ;;
    fuzz_torch_bin | fuzz_whisper_config) echo 16384 ;;
    fuzz_decode_audio) echo 4096 ;;  # FFmpeg probing is slow: shorter inputs, more of them
    *) echo 4096 ;;
  esac
}

mkdir -p "$WORK/logs"
SUMMARY="$WORK/summary.tsv"
[ -f "$SUMMARY" ] || printf "date\ttarget\texecutions\texec_per_s\tseconds\tcoverage\tfeatures\tcorpus\tpeak_rss_mb\tresult\n" >"$SUMMARY"
failed=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t"
  seeds="$SEEDS/$t"
  [ -d "$seeds" ] || seeds=""
  log="$WORK/logs/$t.log"
  echo "== $t: $RUNS executions$([ "$SECONDS_EACH" -gt 0 ] && echo " or $SECONDS_EACH s") (log: $log)"
  start=$(date +%s)
  set +e
  # -malloc_limit_mb: one allocation over 1 GB is a finding (a header must not make Parley allocate
  # what the input does not hold); -timeout: one input running over $HANG s is a hang.
  nice "$BUILD/fuzz/$t" -runs="$RUNS" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" -timeout="$HANG" -rss_limit_mb=3072 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t/" \
    "$WORK/corpus/$t" $seeds >"$log" 2>&1
  rc=$?
  set -e
  seconds=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || true)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || true)
  corp=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || true)
  result=ok
  if [ $rc -ne 0 ]; then
    result="FAILED (exit $rc)"
    failed=1
    grep -E 'ERROR: |SUMMARY: |violated|Test unit written' "$log" | head -5 || true
  fi
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$(date -u +%FT%TZ)" "$t" "${execs:-?}" "${rate:-?}" "$seconds" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$result" | tee -a "$SUMMARY"
done
exit $failed
