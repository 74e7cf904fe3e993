#include "tensor/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace parley::parallel {

namespace {

std::atomic<int> g_threads{0};

// Asked once: glibc reads /sys for it on every call (an open, a read and a close per parallel loop).
int hardware_threads() {
  static const int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return n;
}

// Threads for n items in parts of at least `part`: 1 (run on the calling thread) for small loops
// and inside another parallel region.
int64_t team_for(int64_t n, int64_t part) {
  if (omp_in_parallel()) return 1;
  return std::min<int64_t>(threads(), (n + part - 1) / part);
}

}  // namespace

void set_threads(int n) { g_threads.store(n <= 0 ? 0 : n); }

int threads() {
  const int n = g_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : hardware_threads();
}

void sync_openmp_threads() {
  thread_local int applied = -1;
  const int n = threads();
  if (applied != n) {
    omp_set_num_threads(n);
    applied = n;
  }
}

bool nested() { return omp_in_parallel(); }

void for_range(int64_t n, int64_t grain, RangeFn fn) {
  if (n <= 0) return;
  const int64_t team = team_for(n, std::max<int64_t>(grain, 1));
  if (team <= 1) return fn(0, n);
#pragma omp parallel num_threads(static_cast<int>(team))
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (begin < end) fn(begin, end);
  }
}

void for_pieces(int64_t n, int64_t piece, RangeFn fn) {
  if (n <= 0) return;
  piece = std::max<int64_t>(piece, 1);
  const int64_t team = team_for(n, piece);
  if (team <= 1) return fn(0, n);
  std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(static_cast<int>(team))
  for (int64_t begin; (begin = next.fetch_add(piece, std::memory_order_relaxed)) < n;)
    fn(begin, std::min(n, begin + piece));
}

}  // namespace parley::parallel
