#include "core/memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

namespace parley {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kSmallPage = 4096;

size_t mapped_length(size_t bytes) { return (bytes + kSmallPage - 1) / kSmallPage * kSmallPage; }

}  // namespace

bool large_is_zeroed(size_t bytes) { return kLargeBlocksAreMappings && bytes >= kHugePage; }

void* allocate_large(size_t bytes, bool huge_pages) {
  if (!large_is_zeroed(bytes)) {
    void* p = nullptr;
    if (posix_memalign(&p, 64, bytes == 0 ? 64 : bytes) != 0) throw std::bad_alloc();
    return p;
  }
  const size_t length = mapped_length(bytes);
  if (!huge_pages) {
    void* p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }
  // Map one huge page more than needed and unmap what lies before the first 2 MB boundary and
  // after the block.
  void* raw = ::mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t end = start + length + kHugePage;
  if (end > aligned + length) ::munmap(reinterpret_cast<void*>(aligned + length), end - (aligned + length));
  // Whole huge pages only: the tail keeps 4 KB pages, so a 2.25 MB matrix does not hold 4 MB.
  ::madvise(reinterpret_cast<void*>(aligned), bytes / kHugePage * kHugePage, MADV_HUGEPAGE);  // a hint
  return reinterpret_cast<void*>(aligned);
}

void free_large(void* p, size_t bytes) noexcept {
  if (!p) return;
  if (!large_is_zeroed(bytes))
    std::free(p);
  else
    ::munmap(p, mapped_length(bytes));
}

}  // namespace parley
