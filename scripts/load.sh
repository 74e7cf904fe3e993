#!/usr/bin/env bash
# A load run against the server with the fake speech service (no models): wrk on loopback, first
# text-to-speech JSON requests, then transcription uploads (es.wav as multipart), while a probe
# checks /health once a second. Prints wrk's figures, the answers by status, socket errors and the
# server's peak resident memory. Needs build/ (scripts/setup.sh) and wrk.
#   scripts/load.sh [seconds per phase, default 60] [connections, default 64]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_PHASE=${1:-60}
CONNECTIONS=${2:-64}
WORK=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$WORK"' EXIT

build/tests/parley_fake_server --port 0 --quiet --workers 2 --queue 16 --delay-ms 5 >"$WORK/server.out" &
server=$!
for _ in $(seq 50); do grep -q "127.0.0.1:" "$WORK/server.out" && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$WORK/server.out" | cut -d: -f2)
echo "== server pid $server on port $port, resident $(grep VmRSS /proc/$server/status | awk '{print $2}') kB"

health_ok=0
health_bad=0
probe() {
  while kill -0 "$server" 2>/dev/null; do
    if curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$port/health" | grep -q 200; then
      echo ok; else echo bad; fi
    sleep 1
  done
}
probe >"$WORK/health" &
prober=$!

printf '{"input":"Hello there, how are you today?","response_format":"wav"}' >"$WORK/tts.json"
boundary=parleyload
{
  printf -- "--%s\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n" "$boundary"
  printf -- "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"es.wav\"\r\nContent-Type: audio/wav\r\n\r\n" "$boundary"
  cat tests/data/audio/es.wav
  printf -- "\r\n--%s--\r\n" "$boundary"
} >"$WORK/upload.form"

run() {
  echo "== $1: POST $2, $CONNECTIONS connections, $SECONDS_PER_PHASE s"
  PARLEY_LOAD_BODY=$3 PARLEY_LOAD_TYPE=$4 PARLEY_LOAD_PATH=$2 \
    nice wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_PHASE}s" --timeout 30s --latency \
    -s tools/load/count_status.lua "http://127.0.0.1:$port"
}
run "text to speech" /v1/audio/speech "$WORK/tts.json" application/json
run "transcription uploads" /v1/audio/transcriptions "$WORK/upload.form" "multipart/form-data; boundary=$boundary"

echo "== /health during the run: $(grep -c ok "$WORK/health" || true) answered 200, $(grep -c bad "$WORK/health" || true) failed"
echo "== server peak resident memory: $(grep VmHWM /proc/$server/status | awk '{print $2}') kB, now $(grep VmRSS /proc/$server/status | awk '{print $2}') kB"
kill "$prober" 2>/dev/null || true
