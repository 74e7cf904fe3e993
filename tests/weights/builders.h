// Writers for the weight formats, used to make well-formed and hostile files inside the tests:
// ZIP archives (stored entries), torch.save-style pickles, safetensors files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "weights/weights.h"

namespace parley::test {

// ---- ZIP (stored entries only; deflated archives come from tools/make_torch_bin_cases.py)
struct ZipOptions {
  size_t align = 64;    // data of each entry starts at a multiple of this, as torch.save does
  bool zip64 = false;   // write ZIP64 extra fields and end records even though sizes are small
};
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries, const ZipOptions& options = {});

// ---- pickle opcodes, the way torch.save's pickler (protocol 2) writes them
class Pickle {
 public:
  Pickle& proto(int v = 2) { return op(0x80).byte(static_cast<uint8_t>(v)); }
  Pickle& op(uint8_t code) { bytes += static_cast<char>(code); return *this; }
  Pickle& byte(uint8_t b) { return op(b); }
  Pickle& u32(uint32_t v);
  Pickle& global(const std::string& module, const std::string& name) { bytes += "c" + module + "\n" + name + "\n"; return *this; }
  Pickle& str(const std::string& s) { op('X').u32(static_cast<uint32_t>(s.size())); bytes += s; return *this; }
  Pickle& integer(int64_t v);  // BININT1 / BININT2 / BININT / LONG1 as pickle chooses
  Pickle& mark() { return op('('); }
  Pickle& tuple() { return op('t'); }
  Pickle& ints(const std::vector<int64_t>& v);  // a tuple of ints
  Pickle& empty_tuple() { return op(')'); }
  Pickle& ordered_dict() { return global("collections", "OrderedDict").empty_tuple().op('R'); }
  Pickle& reduce() { return op('R'); }
  Pickle& stop() { return op('.'); }
  std::string bytes;
};

// One tensor entry of a synthetic state dict, with every field a test may want to lie about.
struct FakeTensor {
  std::string name;
  std::string storage_type = "FloatStorage";
  std::string key;
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;  // empty: contiguous for `shape`
};

// data.pkl of an OrderedDict of these tensors via _rebuild_tensor_v2, minus the final STOP when
// `stop` is false (to append more).
std::string state_dict_pickle(const std::vector<FakeTensor>& tensors, bool stop = true);

// A torch.save-style archive "archive/..." with data.pkl, data/<key> records and version.
std::string torch_archive(const std::string& pickle, const std::vector<std::pair<std::string, std::string>>& storages,
                          const ZipOptions& options = {});

// Little-endian bytes of floats (F32) and the float16 / bfloat16 encodings used in tests.
std::string f32_bytes(const std::vector<float>& v);
std::string f16_bytes(const std::vector<uint16_t>& v);

// ---- safetensors: 8-byte header length, JSON header, data
std::string make_safetensors(const std::string& header_json, const std::string& body);

// ---- parsing helpers: copies `bytes` into an exactly sized buffer, so AddressSanitizer sees a
// read one byte past the end.
Weights parse_bin(const std::string& bytes, const std::string& source = "test.bin");
Weights parse_st(const std::string& bytes, const std::string& source = "test.safetensors");

// Runs `f`, which must throw Error(BadModel); returns its message ("" after recording a failure).
std::string bad_model_message(const std::function<void()>& f);

}  // namespace parley::test
