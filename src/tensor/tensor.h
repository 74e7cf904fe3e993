// A plain float32 tensor: shape + contiguous row-major data, shared storage.
//
// Activations and weights are all float32 here; reduced-precision weights live inside Linear
// (tensor/linear.h). Copying a Tensor shares its storage (like a shared_ptr); clone() copies data.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace parley {

using Shape = std::vector<int64_t>;

std::string shape_to_string(const Shape& shape);
int64_t shape_numel(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor of this shape, with its own 64-byte-aligned storage.
  explicit Tensor(Shape shape);
  Tensor(std::initializer_list<int64_t> shape) : Tensor(Shape(shape)) {}

  static Tensor from_vector(Shape shape, const std::vector<float>& values);
  // Wraps memory owned elsewhere (e.g. a memory-mapped weight file); `owner` keeps it alive.
  static Tensor wrap(Shape shape, const float* data, std::shared_ptr<const void> owner);

  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[i < 0 ? shape_.size() + i : i]; }
  int64_t numel() const { return shape_numel(shape_); }
  bool empty() const { return data_ == nullptr || numel() == 0; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  float* row(int64_t i) { return data_ + i * shape_.back(); }
  const float* row(int64_t i) const { return data_ + i * shape_.back(); }
  float& operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }

  // Same data, another shape of the same element count.
  Tensor reshaped(Shape shape) const;
  Tensor clone() const;
  // Gives this tensor `shape`, reusing the storage when it is large enough (no allocation in loops
  // that reuse buffers). Contents are unspecified afterwards.
  void resize(Shape shape);
  // Rows [begin, end) of the first dimension, sharing storage.
  Tensor slice_rows(int64_t begin, int64_t end) const;

  std::string shape_string() const { return shape_to_string(shape_); }

 private:
  Shape shape_;
  std::shared_ptr<const void> owner_;
  float* data_ = nullptr;
  int64_t capacity_ = 0;  // elements available at data_ for resize()
};

}  // namespace parley
