#!/usr/bin/env bash
# The whole ctest suite under AddressSanitizer + UndefinedBehaviorSanitizer, in a second build folder
# (build-asan/): every out-of-bounds access, use after free, leak or undefined behaviour in a test
# fails it. scripts/test.sh runs it after the normal suite; on its own:
#   ./scripts/test_asan.sh
# The web tests drive the same server code over HTTP and are not run again here, nor are the tests
# listed in scripts/asan_skip.txt (repeats, on more data, of paths that cheaper tests run here).
# Leaks inside third-party libraries (never Parley's code) are suppressed by scripts/lsan.supp, which
# says why for each one. Timings of a CI run are in docs/ROBUSTNESS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
# -O1 -g1: the sanitizers' own advice (fast enough, exact line numbers in reports); against -O2 -g it
# compiles about 40 % faster and links far smaller objects, and this build is the longest part of CI.
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_SANITIZE=ON -DPARLEY_BENCH=OFF \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
fi
cmake --build build-asan
built=$(date +%s)
# abort_on_error: a report kills the test (ctest shows it failed) and its child processes too.
# halt_on_error (UBSan): the first undefined behaviour stops the test, it is never just printed.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:check_initialization_order=1
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# scripts/asan_skip.txt: tests that only repeat, on more data, a path a cheaper test runs here (why, per line).
skip=$(grep -v -e '^#' -e '^$' scripts/asan_skip.txt | paste -sd'|')
ctest --test-dir build-asan --output-on-failure -j2 --timeout 2400 -E "$skip"
echo "== sanitizers: left out as repeats (scripts/asan_skip.txt): $(ctest --test-dir build-asan -N -R "$skip" | grep -c 'Test *#')"
echo "== sanitizer build $((built - start)) s, tests $(($(date +%s) - built)) s"
