#!/usr/bin/env bash
# deploy/systemd/parley.service as shipped: systemd-analyze verifies it (with ExecStart pointed at the
# built binary) and scores its sandbox; the exposure must stay at or below 2.0 ("OK").
#   tests/deploy/systemd_test.sh PARLEY_BINARY
set -euo pipefail
PARLEY=$(realpath "${1:?parley binary}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/parley-systemd-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
sed "s|/usr/local/bin/parley|$PARLEY|" "$ROOT/deploy/systemd/parley.service" >"$WORK/parley@.service"
grep -q "ExecStart=$PARLEY serve" "$WORK/parley@.service" || { echo "FAIL: ExecStart not found"; exit 1; }
systemd-analyze verify "$WORK/parley@8081.service"
score=$(systemd-analyze security --offline=yes "$WORK/parley@.service" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "exposure level: $score"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' || { echo "FAIL: exposure $score above 2.0"; exit 1; }
echo PASS
