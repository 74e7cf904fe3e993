#!/usr/bin/env bash
# Runs the whole test suite against the build from scripts/setup.sh, then the same suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer (scripts/test_asan.sh, a second build in build-asan/).
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
echo "== the suite again under ASan + UBSan (build-asan/)"
./scripts/test_asan.sh
echo "== all tests passed"
