// Splitting work over the cores, for the op layer's own kernels.
//
// The threads are OpenMP's (libgomp). That is a deliberate choice: oneDNN, which runs the large
// matrix products and convolutions, is built by Debian on OpenMP, so libgomp's worker threads are
// in the process anyway and spin for a moment after each oneDNN call. A second pool of our own
// would compete with them for the same few cores; sharing one pool keeps one worker per core.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace parley::parallel {

// A non-owning reference to a callable void(int64_t begin, int64_t end), cheap to pass by value.
class RangeFn {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeFn>>>
  RangeFn(F&& f) : obj_(const_cast<void*>(static_cast<const void*>(&f))),
                   call_([](void* o, int64_t b, int64_t e) { (*static_cast<std::remove_reference_t<F>*>(o))(b, e); }) {}
  void operator()(int64_t begin, int64_t end) const { call_(obj_, begin, end); }

 private:
  void* obj_;
  void (*call_)(void*, int64_t, int64_t);
};

// Threads the ops may use: set by ops::set_threads (0 = all cores), read by every kernel.
void set_threads(int n);
int threads();

// Calls fn(begin, end) on disjoint, contiguous chunks covering [0, n) on up to threads() threads.
// Chunks hold at least `grain` items, so small jobs stay on the calling thread; inside another
// parallel region everything runs on the calling thread. `fn` must not throw.
void for_range(int64_t n, int64_t grain, RangeFn fn);

// Like for_range, for loops whose threads may run at different speeds, as memory-bound loops do on
// a shared memory bus (one core gets a larger share of it, or starts later): the threads take
// pieces of `piece` items in turn until none is left, so a faster thread does more of the work.
// fn(begin, end) may be called several times on one thread. `fn` must not throw.
void for_pieces(int64_t n, int64_t piece, RangeFn fn);

// Whether the caller runs inside for_range's threads (where for_range and oneDNN run serially).
bool nested();

// Makes the calling thread's OpenMP team size threads() before a oneDNN call (OpenMP keeps the
// team size per calling thread, so a server worker thread needs this as much as the main thread).
void sync_openmp_threads();

}  // namespace parley::parallel
