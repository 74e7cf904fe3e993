#!/usr/bin/env bash
# deploy/nginx/parley.conf as shipped, on loopback: nginx (TLS with a throw-away certificate) in front
# of three `parley serve` replicas on the tiny test models. wrk sends text-to-speech requests through
# it for 12 s; one replica is killed (SIGKILL) after 3 s and started again after 7 s. Passes when
# every request wrk sent got a 200 (no non-2xx answer, no socket error), the other replicas served
# the load, and the restarted replica served requests again (its own /metrics).
#   tests/deploy/balancer_test.sh PARLEY_BINARY
set -euo pipefail
PARLEY=${1:?parley binary}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODELS=$ROOT/tests/data/models
WORK=$(mktemp -d /tmp/parley-deploy-XXXXXX)
chmod 755 "$WORK"
pids=()
cleanup() {
  # By the pid files: the restarted replica is started by a background subshell, so this shell's
  # `pids` never holds it (it outlived the test until the pid files).
  for f in "$WORK"/replica*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.log; do echo "--- $f" >&2; tail -5 "$f" >&2; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export PARLEY_API_KEY=deploy-test-key  # the replicas' key (serve reads it), passed through by nginx
start_replica() {  # index port
  "$PARLEY" serve --port "$2" --asr-model "$MODELS/whisper-tiny-random" --tts-model "$MODELS/speecht5-tiny-random" \
    --vocoder "$MODELS/hifigan-tiny-random" --workers 1 --queue 16 --threads 1 --quiet >"$WORK/replica$1.log" 2>&1 &
  pids[$1]=$!
  echo "$!" >"$WORK/replica$1.pid"
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$2/health" && return 0; sleep 0.1; done
  fail "replica $1 did not start"
}
ports=()
for i in 0 1 2; do ports[$i]=$(free_port); start_replica "$i" "${ports[$i]}"; done

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
front=$(free_port)
sed -e "s|127.0.0.1:8081|127.0.0.1:${ports[0]}|; s|127.0.0.1:8082|127.0.0.1:${ports[1]}|; s|127.0.0.1:8083|127.0.0.1:${ports[2]}|" \
    -e "s|listen 8443|listen 127.0.0.1:$front|; s|/etc/parley/tls/|$WORK/|" \
    "$ROOT/deploy/nginx/parley.conf" >"$WORK/parley.conf"
grep -q "$WORK/cert.pem" "$WORK/parley.conf" || fail "the shipped configuration's placeholders changed"
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy;
  fastcgi_temp_path $WORK/fcgi; uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
  include $WORK/parley.conf;
}
CONF
nginx -t -q -c "$WORK/nginx.conf" -p "$WORK" 2>"$WORK/nginx-check.log" || fail "nginx rejects the configuration"
nginx -c "$WORK/nginx.conf" -p "$WORK" -g "daemon on; user $(id -un);" || fail "nginx did not start"
url="https://127.0.0.1:$front"
for _ in $(seq 50); do curl -sk -o /dev/null "$url/health" && break; sleep 0.1; done
[ "$(curl -sk -o /dev/null -w '%{http_code}' "$url/v1/models")" = 401 ] || fail "a request without the key was not refused"
[ "$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $PARLEY_API_KEY" "$url/v1/models")" = 200 ] ||
  fail "the key did not pass through nginx"

printf '{"input":"Hello there, how are you?","response_format":"wav"}' >"$WORK/tts.json"
( sleep 3; kill -9 "${pids[1]}"; sleep 4; start_replica 1 "${ports[1]}" ) &
chaos=$!
PARLEY_LOAD_BODY=$WORK/tts.json PARLEY_LOAD_TYPE=application/json PARLEY_LOAD_PATH=/v1/audio/speech \
  PARLEY_LOAD_KEY=$PARLEY_API_KEY wrk -t2 -c6 -d12s --timeout 20s -s "$ROOT/tools/load/count_status.lua" "$url" \
  >"$WORK/wrk.log" 2>&1 || fail "wrk failed"
wait "$chaos" || fail "the replica did not restart"
cat "$WORK/wrk.log"
ok=$(sed -n 's/^status 200: //p' "$WORK/wrk.log")
[ -n "$ok" ] && [ "$ok" -gt 20 ] || fail "too few requests answered 200: ${ok:-0}"
others=$(grep '^status ' "$WORK/wrk.log" | grep -vc '^status 200:' || true)
[ "$others" = 0 ] || fail "answers other than 200 through the balancer"
grep -q '^socket errors: connect 0, read 0, write 0, timeout 0$' "$WORK/wrk.log" || fail "requests lost on the socket"

# The restarted replica rejoins: within nginx's fail_timeout it gets its share again.
sleep 2.5
for _ in $(seq 12); do
  curl -sk -o /dev/null -H "Authorization: Bearer $PARLEY_API_KEY" -H 'Content-Type: application/json' \
    --data @"$WORK/tts.json" "$url/v1/audio/speech"
done
served=$(curl -s -H "Authorization: Bearer $PARLEY_API_KEY" "http://127.0.0.1:${ports[1]}/metrics" | grep '^parley_http_requests_total{.*/v1/audio/speech.*status="200"' | awk '{s+=$2} END {print s+0}')
[ "$served" -gt 0 ] || fail "the restarted replica served nothing"
echo "PASS: ${ok} requests answered 200 while a replica was killed and restarted; it served $served after rejoining"
