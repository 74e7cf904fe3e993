#!/usr/bin/env bash
# Benchmarks Parley on checkpoints of the published shapes (random weights) and, where transformers is
# importable (PYTHONPATH, see tools/bench_reference.py), the reference stack in the same run.
#   scripts/bench.sh [--threads N] [--repeats R] [--precisions "f32 bf16 int8"] [--no-reference]
#                    [--parts "english mt vits"] [--whisper-cpp BENCH_BIN GGML_MODEL]
# --parts: english (Whisper, SpeechT5, HiFi-GAN), mt (NLLB-200 and opus-mt shapes), vits (MMS-TTS
# shape); each part runs in processes of its own, Parley's and the reference's.
# --whisper-cpp: also times whisper.cpp's own bench program (built by you; see docs/performance.md
# for making its model file from the bench's whisper-base) against Parley's f32 Whisper, the two
# alternating R times so that both see the same machine.
# Checkpoints are made once by tools/make_bench_models.py (needs transformers) into
# $PARLEY_BENCH_MODELS (default ~/.cache/parley/bench-models) and reused. Prints a table and writes
# every figure to build/bench-results.json (or $PARLEY_BENCH_OUT). Needs build/bench/parley_bench
# (cmake -DPARLEY_BENCH=ON, the default).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=0 REPEATS=3 PRECISIONS="f32 bf16 int8" REFERENCE=1 WCPP_BIN="" WCPP_MODEL="" PARTS="english mt vits"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --precisions) PRECISIONS=$2; shift 2 ;;
    --no-reference) REFERENCE=0; shift ;;
    --parts) PARTS=$2; shift 2 ;;
    --whisper-cpp) [ $# -ge 3 ] || { echo "--whisper-cpp needs BENCH_BIN GGML_MODEL" >&2; exit 2; }
      WCPP_BIN=$2 WCPP_MODEL=$3; shift 3 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
MODELS=${PARLEY_BENCH_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/parley/bench-models}
OUT=${PARLEY_BENCH_OUT:-build/bench-results.json}
PY=${PYTHON:-python3}
BIN=build/bench/parley_bench
[ -x "$BIN" ] || { echo "build $BIN first: cmake --build build --target parley_bench" >&2; exit 1; }
if [ -n "$WCPP_BIN" ]; then
  [ -x "$WCPP_BIN" ] || { echo "whisper.cpp bench program not found or not executable: $WCPP_BIN" >&2; exit 1; }
  [ -f "$WCPP_MODEL" ] || { echo "whisper.cpp model file not found: $WCPP_MODEL" >&2; exit 1; }
fi
has_transformers() { "$PY" -c "import torch, transformers" 2>/dev/null; }
if [ ! -f "$MODELS/mms-tts/model.safetensors" ]; then
  has_transformers || { echo "no checkpoints in $MODELS and no transformers to make them (set PYTHONPATH)" >&2; exit 1; }
  "$PY" tools/make_bench_models.py "$MODELS"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
has_part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
first=1
for p in $PRECISIONS; do
  extra=()
  [ $first = 1 ] && extra=(--error-report tests/data)
  first=0
  if has_part english; then
    echo "== parley $p" >&2
    "$BIN" --models "$MODELS" --precision "$p" --threads "$THREADS" --repeats "$REPEATS" --json "$TMP/parley-$p.json" \
      "${extra[@]}" >/dev/null
  fi
  for part in mt vits; do
    has_part $part || continue
    echo "== parley $p, $part" >&2
    "$BIN" --models "$MODELS" --precision "$p" --threads "$THREADS" --repeats "$REPEATS" --only $part \
      --json "$TMP/$part-$p.json" >/dev/null
  done
done
if [ $REFERENCE = 1 ] && has_transformers; then
  threads=$([ "$THREADS" = 0 ] && nproc || echo "$THREADS")
  for part in english mt vits; do
    has_part $part || continue
    echo "== reference (transformers), $part" >&2
    out="$TMP/reference-$part.json"
    [ $part = english ] && out="$TMP/reference.json"
    OMP_NUM_THREADS=$threads "$PY" tools/bench_reference.py "$MODELS" "$REPEATS" --part $part >"$out" ||
      { echo "the reference failed on $part; no ratios there" >&2; rm -f "$out"; }
  done
fi
if [ -n "$WCPP_BIN" ]; then
  echo "== whisper.cpp and parley f32, alternating" >&2
  for i in $(seq "$REPEATS"); do
    "$WCPP_BIN" -m "$WCPP_MODEL" -t "$([ "$THREADS" = 0 ] && nproc || echo "$THREADS")" -w 0 >"$TMP/whisper-cpp-$i.txt" 2>&1 ||
      { echo "whisper.cpp's bench failed; its output:" >&2; tail -5 "$TMP/whisper-cpp-$i.txt" >&2; exit 1; }
    "$BIN" --models "$MODELS" --precision f32 --threads "$THREADS" --repeats "$REPEATS" --only whisper \
      --json "$TMP/pair-f32-$i.json" >/dev/null
  done
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 tools/bench_report.py "$TMP" "$OUT" "$(cut -d' ' -f1-3 /proc/loadavg)"
