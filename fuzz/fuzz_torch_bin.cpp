// torch.save archives (pytorch_model.bin): zip directory, data.pkl, storages, strided views. Whatever
// parse_torch_bin accepts must be readable in full: every byte of every tensor is touched (ASan checks
// the reads) and each converts to float32 or is refused.
#include "common.h"
#include "weights/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  fuzz::refuse_cleanly([&] {
    Weights w = parse_torch_bin(data, size, nullptr, "fuzz.bin");
    unsigned sum = 0;
    for (const std::string& name : w.names()) {
      const RawTensor& r = w.raw(name);
      FUZZ_CHECK(static_cast<uint64_t>(shape_numel(r.shape)) * dtype_size(r.dtype) == r.nbytes);
      for (size_t i = 0; i < r.nbytes; ++i) sum += r.data[i];
      fuzz::refuse_cleanly([&] {
        Tensor t = w.get(name);
        FUZZ_CHECK(t.shape() == r.shape);
      });
    }
    volatile unsigned keep = sum;
    (void)keep;
  });
  return 0;
}
