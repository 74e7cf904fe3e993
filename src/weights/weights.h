// Named tensors from a checkpoint file: safetensors (memory-mapped) or torch.save's zip/pickle .bin.
//
// Every size, offset and dtype in a file is checked before use; a file that lies fails with
// Error(BadModel) naming the file and the tensor. Nothing in a file is executed.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace parley {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, Bool };

const char* dtype_name(DType t);
size_t dtype_size(DType t);

// One stored tensor, as the file holds it (contiguous, little-endian).
struct RawTensor {
  DType dtype = DType::F32;
  Shape shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  // The bytes are a read-only mapping of the file: dropping their resident pages costs only a
  // re-read from the page cache (see Weights::drop_unshared_pages).
  bool file_backed = false;
};

class Weights {
 public:
  Weights() = default;

  // Reads a model.safetensors, a sharded *.safetensors.index.json, or a pytorch_model.bin.
  static Weights load(const std::filesystem::path& file);
  // The weights of a Hugging Face model folder: model.safetensors (or its index) when present,
  // else pytorch_model.bin (or its index).
  static Weights load_folder(const std::filesystem::path& folder);

  // Builds from already-parsed tensors (used by the readers); `owner` keeps their bytes alive.
  void add(const std::string& name, RawTensor t);
  void keep_alive(std::shared_ptr<const void> owner) { owners_.push_back(std::move(owner)); }

  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  std::vector<std::string> names() const;
  const RawTensor& raw(const std::string& name) const;
  const std::string& source() const { return source_; }
  void set_source(std::string s) { source_ = std::move(s); }

  // The tensor as float32 (F16/BF16/F64 converted; F32 of 64 KB and more shared without a copy
  // when aligned, smaller ones copied). A shared tensor's file pages leave memory when the last
  // tensor this call returned goes (they are read back from the page cache if asked for again).
  // Throws Error(BadModel) when it is missing, not a float type, or not of `expected` shape.
  Tensor get(const std::string& name, const Shape& expected) const;
  Tensor get(const std::string& name) const;

  // Marks every tensor as a read-only file mapping (read_safetensors).
  void mark_file_backed();
  // A mapped tensor that a model copied at load (fused projections, a bf16 or int8 conversion)
  // would stay resident once read, counted a second time beside the copy. Models call this when
  // built: the pages of every mapped tensor that no Tensor shares any more leave memory. Pages a
  // tensor still uses are kept (and would only be re-read if dropped), so results never change.
  void drop_unshared_pages() const;

 private:
  std::map<std::string, RawTensor> tensors_;
  // The tensors get() shared without a copy, and who shares them.
  mutable std::map<std::string, std::vector<std::weak_ptr<const void>>> shared_;
  std::vector<std::shared_ptr<const void>> owners_;
  std::string source_;
};

// Readers for the two formats (weights/safetensors.cpp, weights/torch_bin.cpp). `source` names the
// file in error messages.
Weights read_safetensors(const std::filesystem::path& file);
Weights read_torch_bin(const std::filesystem::path& file);

// Exposed for fuzzing and tests: parse safetensors bytes kept alive by `owner`.
Weights parse_safetensors(const uint8_t* data, size_t size, std::shared_ptr<const void> owner,
                          const std::string& source);
// Exposed for fuzzing and tests: parse a torch.save archive's bytes kept alive by `owner`.
Weights parse_torch_bin(const uint8_t* data, size_t size, std::shared_ptr<const void> owner,
                        const std::string& source);

}  // namespace parley
