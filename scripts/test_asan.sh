#!/usr/bin/env bash
# The whole ctest suite under AddressSanitizer + UndefinedBehaviorSanitizer, in a second build folder
# (build-asan/): every out-of-bounds access, use after free, leak or undefined behaviour in a test
# fails it. The web tests drive the same server code over HTTP and are not run again here.
#   ./scripts/test_asan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_SANITIZE=ON -DPARLEY_BENCH=OFF
fi
cmake --build build-asan
built=$(date +%s)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2 --timeout 2400
echo "== sanitizer build $((built - start)) s, tests $(($(date +%s) - built)) s"
