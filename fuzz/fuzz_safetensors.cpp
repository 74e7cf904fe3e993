// safetensors: header and body. Every tensor parse_safetensors accepts must lie inside the input, and
// converting each to float32 (Weights::get) must only read its own bytes.
#include "common.h"
#include "weights/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  fuzz::refuse_cleanly([&] {
    Weights w = parse_safetensors(data, size, nullptr, "fuzz.safetensors");
    for (const std::string& name : w.names()) {
      const RawTensor& r = w.raw(name);
      FUZZ_CHECK(r.data >= data && r.nbytes <= size && r.data + r.nbytes <= data + size);
      FUZZ_CHECK(static_cast<uint64_t>(shape_numel(r.shape)) * dtype_size(r.dtype) == r.nbytes);
      fuzz::refuse_cleanly([&] {
        Tensor t = w.get(name);
        FUZZ_CHECK(t.shape() == r.shape);
      });
    }
  });
  return 0;
}
