// core/memory.h: large blocks are zero-filled mappings of their own that go back to the system when
// freed; with huge pages they start on a 2 MB boundary and carry the huge-page advice (whether the
// kernel grants huge pages is its choice: the tests check the advice, not the grant). Under
// AddressSanitizer (scripts/test_asan.sh) every block comes from malloc instead, and the tests
// check that contract.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "core/memory.h"

namespace parley {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

struct Mapping {
  bool found = false;
  bool huge_advice = false;  // VmFlags "hg": madvise(MADV_HUGEPAGE)
};

// The /proc/self/smaps entry of the mapping that holds `p`.
Mapping mapping_of(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  Mapping m;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
      inside = a >= lo && a < hi;
      if (inside) m.found = true;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) m.huge_advice = (line + " ").find(" hg ") != std::string::npos;
  }
  return m;
}

int64_t resident_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

bool all_zero(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

TEST(LargeMemory, BigBlocksStartOnHugePagesCarryTheAdviceAndAreZero) {
  const size_t bytes = 5 * kMiB + 123;
  auto* p = static_cast<unsigned char*>(allocate_large(bytes, true));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  EXPECT_EQ(large_is_zeroed(bytes), kLargeBlocksAreMappings);
  if (!kLargeBlocksAreMappings) {  // malloc'd under the sanitizer
    std::memset(p, 0x5a, bytes);
    free_large(p, bytes);
    return;
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (2 * kMiB), 0u);
  EXPECT_TRUE(all_zero(p, bytes));
  const Mapping m = mapping_of(p);
  EXPECT_TRUE(m.found);
  EXPECT_TRUE(m.huge_advice);
  // The tail past the last whole huge page is a mapping without the advice.
  const Mapping tail = mapping_of(p + bytes - 1);
  EXPECT_TRUE(tail.found);
  EXPECT_FALSE(tail.huge_advice);
  std::memset(p, 0x5a, bytes);  // every byte is writable
  free_large(p, bytes);
  EXPECT_FALSE(mapping_of(p).found);
}

TEST(LargeMemory, WithoutHugePagesBlocksAreZeroAndUnadvised) {
  const size_t bytes = 3 * kMiB;
  auto* p = static_cast<unsigned char*>(allocate_large(bytes, false));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  if (kLargeBlocksAreMappings) {
    EXPECT_TRUE(all_zero(p, bytes));
    const Mapping m = mapping_of(p);
    EXPECT_TRUE(m.found);
    EXPECT_FALSE(m.huge_advice);
  }
  std::memset(p, 1, bytes);
  free_large(p, bytes);
}

TEST(LargeMemory, SmallBlocksAreAlignedAndUsable) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{1000}, 2 * kMiB - 1}) {
    auto* p = static_cast<unsigned char*>(allocate_large(bytes, true));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << bytes;
    EXPECT_FALSE(large_is_zeroed(bytes));  // small blocks come from malloc in every build
    std::memset(p, 1, bytes);
    free_large(p, bytes);
  }
}

// A freed block leaves the process: loading a model frees large temporaries, which must not stay
// resident. (The sanitizer's malloc keeps freed blocks in quarantine on purpose.)
TEST(LargeMemory, FreedBlocksLeaveTheProcess) {
  const size_t bytes = 64 * kMiB;
  if (!kLargeBlocksAreMappings) {  // a malloc'd block: the sanitizer checks its use and its free
    EXPECT_FALSE(large_is_zeroed(bytes));
    auto* p = static_cast<unsigned char*>(allocate_large(bytes, true));
    std::memset(p, 1, bytes);
    free_large(p, bytes);
    return;
  }
  const int64_t before = resident_kb();
  auto* p = static_cast<unsigned char*>(allocate_large(bytes, true));
  std::memset(p, 1, bytes);
  const int64_t touched = resident_kb();
  EXPECT_GE(touched - before, 60 * 1024);
  free_large(p, bytes);
  EXPECT_LE(resident_kb() - before, 4 * 1024) << "before " << before << " kB, touched " << touched << " kB";
}

TEST(LargeVector, HoldsWhatIsWrittenAndIsHugePageAligned) {
  LargeVector<int32_t> v;
  v.resize(3 * kMiB / sizeof(int32_t) + 7);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i * 2654435761u);
  for (size_t i = 0; i < v.size(); i += 997) EXPECT_EQ(v[i], static_cast<int32_t>(i * 2654435761u)) << i;
  if (kLargeBlocksAreMappings) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % (2 * kMiB), 0u);
    EXPECT_TRUE(mapping_of(v.data()).huge_advice);
  }
  LargeVector<int32_t> w(v);  // copies carry the values
  EXPECT_EQ(w, v);
}

}  // namespace
}  // namespace parley
