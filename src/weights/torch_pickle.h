// A safe reader for the pickle inside a torch.save archive (data.pkl): it understands exactly
// what a state dict needs and nothing more.
//
// Python's pickle is a small stack machine whose GLOBAL and REDUCE opcodes import and call any
// function named in the file; loading an untrusted pickle with it runs arbitrary code. This reader
// never imports or calls anything: it recognises a short list of names (OrderedDict, torch's tensor
// and parameter rebuilders, torch's storage types) and builds plain descriptions from them. Any
// other name, any unknown opcode, and any size beyond fixed limits fails with Error(BadModel).
// Values live in one arena and are never walked recursively, so deep nesting cannot exhaust the
// stack.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weights/weights.h"

namespace parley {

// One tensor of the state dict, as the pickle describes it: a view into a storage record
// (`<archive>/data/<storage>`), before any of it is checked against the archive.
struct TorchTensorRef {
  std::string storage;         // the storage's key
  DType dtype = DType::F32;
  uint64_t storage_numel = 0;  // elements of `dtype` the storage holds, as the pickle claims
  uint64_t offset = 0;         // first element of the view
  Shape shape;
  std::vector<int64_t> stride;  // in elements; every reachable element is inside the storage
};

struct TorchStateDict {
  std::vector<std::pair<std::string, TorchTensorRef>> tensors;  // in file order
  size_t skipped = 0;  // entries whose value is not a tensor (they hold no weights)
};

// Limits that no real checkpoint comes near: a state dict of 10,000 tensors pickles to ~1.5 MB
// and ~150,000 values. They bound the memory a hostile pickle can claim (~100 bytes per value).
struct PickleLimits {
  size_t max_bytes = 64u << 20;
  size_t max_values = 2u << 20;
  size_t max_stack = 1u << 20;
  size_t max_dims = 8;
};

// Interprets `pickle` (the bytes of data.pkl). `source` names the file in error messages.
TorchStateDict unpickle_state_dict(std::string_view pickle, const std::string& source,
                                   const PickleLimits& limits = {});

}  // namespace parley
