// The safe unpickler of torch.save's data.pkl on any bytes (the zip layer is fuzz_torch_bin's): it
// must refuse what it does not know, and every view it returns must stay inside its storage.
#include "common.h"
#include "weights/torch_pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parley;
  fuzz::refuse_cleanly([&] {
    TorchStateDict dict = unpickle_state_dict(fuzz::as_text(data, size), "fuzz.pkl");
    for (const auto& [name, t] : dict.tensors) {
      FUZZ_CHECK(t.shape.size() == t.stride.size());
      unsigned __int128 last = t.offset, numel = 1;
      for (size_t d = 0; d < t.shape.size(); ++d) {
        FUZZ_CHECK(t.shape[d] >= 0 && t.stride[d] >= 0);
        numel *= static_cast<uint64_t>(t.shape[d]);
        if (t.shape[d] > 0) last += static_cast<unsigned __int128>(t.shape[d] - 1) * static_cast<uint64_t>(t.stride[d]);
      }
      FUZZ_CHECK(numel == 0 ? t.offset <= t.storage_numel : last < t.storage_numel);
    }
  });
  return 0;
}
