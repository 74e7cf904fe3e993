#!/usr/bin/env bash
# Benchmarks Parley on checkpoints of the published shapes (random weights) and, where transformers is
# importable (PYTHONPATH, see tools/bench_reference.py), the reference stack in the same run.
#   scripts/bench.sh [--threads N] [--repeats R] [--precisions "f32 bf16 int8"] [--no-reference]
# Checkpoints are made once by tools/make_bench_models.py (needs transformers) into
# $PARLEY_BENCH_MODELS (default ~/.cache/parley/bench-models) and reused. Prints a table and writes
# every figure to build/bench-results.json (or $PARLEY_BENCH_OUT). Needs build/bench/parley_bench
# (cmake -DPARLEY_BENCH=ON, the default).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=0 REPEATS=3 PRECISIONS="f32 bf16 int8" REFERENCE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --precisions) PRECISIONS=$2; shift 2 ;;
    --no-reference) REFERENCE=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
MODELS=${PARLEY_BENCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/parley/bench-models}
OUT=${PARLEY_BENCH_OUT:-build/bench-results.json}
PY=${PYTHON:-python3}
BIN=build/bench/parley_bench
[ -x "$BIN" ] || { echo "build $BIN first: cmake --build build --target parley_bench" >&2; exit 1; }
has_transformers() { "$PY" -c "import torch, transformers" 2>/dev/null; }
if [ ! -f "$MODELS/speecht5_hifigan/model.safetensors" ]; then
  has_transformers || { echo "no checkpoints in $MODELS and no transformers to make them (set PYTHONPATH)" >&2; exit 1; }
  "$PY" tools/make_bench_models.py "$MODELS"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
first=1
for p in $PRECISIONS; do
  extra=()
  [ $first = 1 ] && extra=(--error-report tests/data)
  first=0
  echo "== parley $p" >&2
  "$BIN" --models "$MODELS" --precision "$p" --threads "$THREADS" --repeats "$REPEATS" --json "$TMP/parley-$p.json" \
    "${extra[@]}" >/dev/null
done
if [ $REFERENCE = 1 ] && has_transformers; then
  echo "== reference (transformers)" >&2
  OMP_NUM_THREADS=$([ "$THREADS" = 0 ] && nproc || echo "$THREADS") "$PY" tools/bench_reference.py "$MODELS" "$REPEATS" \
    >"$TMP/reference.json" || { echo "the reference failed; no ratios" >&2; rm -f "$TMP/reference.json"; }
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 tools/bench_report.py "$TMP" "$OUT" "$(cut -d' ' -f1-3 /proc/loadavg)"
