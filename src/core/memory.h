// Memory for large buffers: model weights (read whole, over and over) and large tensors.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace parley {

// `bytes` of memory, 64-byte aligned; throws std::bad_alloc. Give it back with free_large(p, bytes).
// From 2 MB up it is a zero-filled mapping of its own: it holds memory only where it has been
// touched, and goes back to the system when freed. Smaller blocks come from posix_memalign and are
// not zeroed.
// With `huge_pages`, the mapping starts on a 2 MB boundary and asks for transparent huge pages over
// its whole 2 MB pages (madvise: where the system says no, it gets 4 KB pages and works the same).
// For weights, read whole every decoder step: through 4 KB pages that is a TLB miss every 4 KB, and
// huge pages made whisper-base's float32 step about 6 % faster here (docs/performance.md). Not for
// buffers used in part (the self-attention cache): touching one byte of a huge page makes all 2 MB
// of it resident.
// Under AddressSanitizer every block comes from posix_memalign instead, unzeroed and without huge
// pages, so that the sanitizer guards it like any other.
void* allocate_large(size_t bytes, bool huge_pages);
void free_large(void* p, size_t bytes) noexcept;
// Whether allocate_large(bytes, ...) returns a zero-filled mapping of its own.
bool large_is_zeroed(size_t bytes);

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kLargeBlocksAreMappings = false;
#else
inline constexpr bool kLargeBlocksAreMappings = true;
#endif

// A std::vector allocator over allocate_large (with huge pages) whose resize() leaves elements
// uninitialised, for weights: written whole at load, each page first touched by the thread that
// fills it.
template <typename T>
struct LargeAllocator {
  using value_type = T;
  LargeAllocator() = default;
  template <typename U>
  LargeAllocator(const LargeAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(allocate_large(n * sizeof(T), true));
  }
  void deallocate(T* p, size_t n) noexcept { free_large(p, n * sizeof(T)); }
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialised: no zeroing pass
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(static_cast<Args&&>(args)...);
  }
  template <typename U>
  bool operator==(const LargeAllocator<U>&) const noexcept { return true; }
};

template <typename T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

}  // namespace parley
