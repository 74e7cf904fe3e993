#include "weights/weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "core/printable.h"

namespace parley {

namespace fs = std::filesystem;

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::Bool: return "BOOL";
  }
  return "?";
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::I8: case DType::U8: case DType::Bool: return 1;
  }
  return 1;
}

namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A shard must be a plain weight file beside the index: no folders (no way out of the model
// folder), no NUL (which would cut the name short), and not another index (which could name this
// one again and recurse forever).
bool is_plain_shard_name(const std::string& file) {
  return !file.empty() && file != "." && file != ".." && file.find('/') == std::string::npos &&
         file.find('\\') == std::string::npos && file.find('\0') == std::string::npos &&
         (ends_with(file, ".safetensors") || ends_with(file, ".bin"));
}

Weights load_index(const fs::path& index_file) {
  const std::string source = index_file.string();
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(read_file(index_file));
  } catch (const nlohmann::json::exception& e) {
    bad_model(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    bad_model(source + ": no \"weight_map\"");
  Weights all;
  all.set_source(source);
  std::map<std::string, Weights> shards;
  for (auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) bad_model(source + ": weight_map entry for " + printable(name) + " is not a file name");
    const std::string file = shard.get<std::string>();
    if (!is_plain_shard_name(file))
      bad_model(source + ": shard name '" + printable(file) + "' is not a plain .safetensors or .bin file name");
    if (!shards.count(file)) shards[file] = Weights::load(index_file.parent_path() / file);
    if (!shards[file].has(name)) bad_model(source + ": names tensor '" + printable(name) + "' in " + printable(file) + ", which lacks it");
  }
  for (auto& [file, w] : shards) {
    for (const auto& n : w.names()) all.add(n, w.raw(n));
    all.keep_alive(std::make_shared<Weights>(std::move(w)));
  }
  return all;
}

}  // namespace

Weights Weights::load(const fs::path& file) {
  const std::string name = file.filename().string();
  if (ends_with(name, ".index.json")) return load_index(file);
  if (ends_with(name, ".safetensors")) return read_safetensors(file);
  return read_torch_bin(file);
}

Weights Weights::load_folder(const fs::path& folder) {
  for (const char* f : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                        "pytorch_model.bin.index.json"}) {
    if (fs::exists(folder / f)) return load(folder / f);
  }
  fail(ErrorKind::BadModel, "no weights in " + folder.string() + " (looked for model.safetensors and pytorch_model.bin)");
}

void Weights::add(const std::string& name, RawTensor t) { tensors_[name] = std::move(t); }

std::vector<std::string> Weights::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [n, t] : tensors_) out.push_back(n);
  return out;
}

void Weights::mark_file_backed() {
  for (auto& [name, t] : tensors_) t.file_backed = true;
}

namespace {

// Float32 tensors from this size up are shared with the file's mapping rather than copied.
constexpr size_t kShareBytes = 64 * 1024;

// Lets the resident pages of a file-backed tensor go: whole pages inside it only, since a page it
// shares with a neighbour may be in use. A read-only file mapping reads them back from the page
// cache if they are touched again, so values never change.
void drop_pages(const RawTensor& t) {
  if (!t.file_backed) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(t.data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(t.data) + t.nbytes) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

// What a tensor shared by get() holds on to: the file's mapping, and which bytes are its own.
struct SharedBytes {
  std::vector<std::shared_ptr<const void>> owners;
  RawTensor tensor;
};

}  // namespace

void Weights::drop_unshared_pages() const {
  for (const auto& [name, t] : tensors_) {
    auto it = shared_.find(name);
    if (it != shared_.end()) {
      bool in_use = false;
      for (const auto& user : it->second) in_use = in_use || !user.expired();
      if (in_use) continue;
    }
    drop_pages(t);
  }
}

const RawTensor& Weights::raw(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) bad_model(source_ + ": tensor '" + printable(name) + "' is missing");
  return it->second;
}

Tensor Weights::get(const std::string& name, const Shape& expected) const {
  const RawTensor& r = raw(name);
  if (r.shape != expected)
    bad_model(source_ + ": tensor '" + printable(name) + "' has shape " + shape_to_string(r.shape) + ", expected " +
              shape_to_string(expected));
  return get(name);
}

Tensor Weights::get(const std::string& name) const {
  const RawTensor& r = raw(name);
  const int64_t n = shape_numel(r.shape);
  if (static_cast<size_t>(n) * dtype_size(r.dtype) != r.nbytes)
    bad_model(source_ + ": tensor '" + printable(name) + "' holds " + std::to_string(r.nbytes) + " bytes, not " +
              std::to_string(n) + " x " + dtype_name(r.dtype));
  // Small tensors (biases, norms) are copied: read from the file at run time, each would map its
  // neighbours' pages back in (the kernel maps up to 64 KB around a page fault), pages that a model
  // which copied those neighbours at load had let go.
  if (r.dtype == DType::F32 && reinterpret_cast<uintptr_t>(r.data) % alignof(float) == 0 && r.nbytes >= kShareBytes) {
    // Shared, not copied: the bytes stay mapped as long as any tensor or this object needs them.
    // When the last tensor of this call goes (a model that copied it at load: a Linear's own copy,
    // a fused projection, a converted precision), its pages leave memory at once, so that a model
    // being loaded never holds its file's pages and its copies of them all together.
    std::shared_ptr<const SharedBytes> owner(new SharedBytes{owners_, r}, [](const SharedBytes* b) {
      drop_pages(b->tensor);
      delete b;
    });
    shared_[name].push_back(owner);
    return Tensor::wrap(r.shape, reinterpret_cast<const float*>(r.data), owner);
  }
  Tensor t(r.shape);
  float* out = t.data();
  switch (r.dtype) {
    case DType::F32:
      if (r.nbytes > 0) std::memcpy(out, r.data, r.nbytes);  // an empty tensor may have no data at all
      break;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, r.data + 2 * i, 2);
        out[i] = half_to_float(h);
      }
      break;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, r.data + 2 * i, 2);
        out[i] = bf16_to_float(h);
      }
      break;
    case DType::F64:
      for (int64_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, r.data + 8 * i, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    default:
      bad_model(source_ + ": tensor '" + printable(name) + "' has dtype " + dtype_name(r.dtype) + ", expected a float type");
  }
  return t;
}

}  // namespace parley
