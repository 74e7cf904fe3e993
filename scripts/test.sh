#!/usr/bin/env bash
# Runs the whole test suite against the build from scripts/setup.sh.
#   ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build
echo "== unit, golden and end-to-end tests (ctest)"
ctest --test-dir build --output-on-failure -j2 --timeout 1200
if [ -f tests/web/package.json ]; then
  echo "== HTTP client and browser tests"
  (cd tests/web && PARLEY_BINARY="$PWD/../../build/parley" npm test)
fi
echo "== all tests passed"
