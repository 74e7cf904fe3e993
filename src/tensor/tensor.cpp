#include "tensor/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#include "core/memory.h"

namespace parley {

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

std::shared_ptr<float> allocate(int64_t n) {
  size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  void* p = nullptr;
  try {
    p = allocate_large(bytes, false);  // large ones: zero-filled, resident only where used
  } catch (const std::bad_alloc&) {
    throw Error(ErrorKind::Internal, "out of memory allocating " + std::to_string(bytes) + " bytes");
  }
  if (!large_is_zeroed(bytes)) std::memset(p, 0, bytes);
  return std::shared_ptr<float>(static_cast<float*>(p), [bytes](float* q) { free_large(q, bytes); });
}

}  // namespace

Tensor::Tensor(Shape shape) : shape_(std::move(shape)) {
  for (int64_t d : shape_)
    if (d < 0) throw Error(ErrorKind::Internal, "negative tensor dimension " + shape_to_string(shape_));
  capacity_ = numel();
  auto storage = allocate(capacity_);
  data_ = storage.get();
  owner_ = std::move(storage);
}

Tensor Tensor::from_vector(Shape shape, const std::vector<float>& values) {
  Tensor t(std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw Error(ErrorKind::Internal, "from_vector: " + std::to_string(values.size()) + " values for shape " +
                                         t.shape_string());
  std::memcpy(t.data_, values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::wrap(Shape shape, const float* data, std::shared_ptr<const void> owner) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.data_ = const_cast<float*>(data);
  t.capacity_ = t.numel();
  t.owner_ = std::move(owner);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel())
    throw Error(ErrorKind::Internal, "cannot reshape " + shape_string() + " to " + shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(shape_);
  if (numel() > 0) std::memcpy(t.data_, data_, numel() * sizeof(float));
  return t;
}

void Tensor::resize(Shape shape) {
  int64_t n = shape_numel(shape);
  if (n > capacity_ || data_ == nullptr) {
    *this = Tensor(std::move(shape));
    return;
  }
  shape_ = std::move(shape);
}

Tensor Tensor::slice_rows(int64_t begin, int64_t end) const {
  if (ndim() < 1 || begin < 0 || end < begin || end > shape_[0])
    throw Error(ErrorKind::Internal, "slice_rows out of range for " + shape_string());
  int64_t row_size = numel() / (shape_[0] ? shape_[0] : 1);
  Tensor t = *this;
  t.shape_[0] = end - begin;
  t.data_ = data_ + begin * row_size;
  t.capacity_ = t.numel();
  return t;
}

}  // namespace parley
