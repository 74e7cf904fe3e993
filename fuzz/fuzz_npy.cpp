// .npy arrays (voices given as files, recorded masks): parse_npy on any bytes; what it accepts must
// survive encode_npy -> parse_npy unchanged.
#include <cstring>

#include "common.h"
#include "weights/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  fuzz::refuse_cleanly([&] {
    Tensor t = parse_npy(fuzz::as_text(data, size), "fuzz.npy");
    FUZZ_CHECK(static_cast<uint64_t>(t.numel()) * 1 <= size);  // every element came from the input
    Tensor again = parse_npy(encode_npy(t), "again.npy");
    FUZZ_CHECK(again.shape() == t.shape());
    FUZZ_CHECK(t.numel() == 0 || std::memcmp(again.data(), t.data(), static_cast<size_t>(t.numel()) * sizeof(float)) == 0);
  });
  return 0;
}
