// A fully connected layer y = x W^T + b, the bulk of every model's work.
//
// Holds its weight in the precision chosen at load (precision.h); forward() picks the kernel: for a
// few rows (a decoder step, one row per hypothesis) a matrix-vector kernel that reads each weight
// once, for many rows oneDNN's matrix product. Models build their layers from Linear and never see
// how the weight is stored.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "tensor/precision.h"
#include "tensor/tensor.h"

namespace parley {

namespace kernels {
struct Table;
}

// Up to this many rows, forward() runs matrix-vector kernels: each weight read once, each row
// computed on its own (the same result whatever rows share the call). More rows run oneDNN, where an
// int8 layer's weights are widened to bf16 and its rows rounded differently.
inline constexpr int64_t kLinearRowsReadOnce = 8;

class Linear {
 public:
  Linear() = default;
  // weight [out, in] as stored by PyTorch's nn.Linear; bias [out] or empty. A reduced precision
  // converts the weight here and keeps no float32 copy. Without one, default_precision() applies.
  Linear(Tensor weight, Tensor bias) : Linear(std::move(weight), std::move(bias), default_precision()) {}
  Linear(Tensor weight, Tensor bias, Precision precision);

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  Precision precision() const { return precision_; }
  // The float32 weight; empty when the layer holds a reduced precision.
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  // Row o of the weight as float32 (dequantised in a reduced precision), `in_features()` values.
  void weight_row(int64_t o, float* out) const;
  // Bytes the weight occupies in memory.
  int64_t weight_bytes() const;

  // x [n, in] -> y [n, out] (y is resized).
  void forward(const Tensor& x, Tensor& y) const;
  // Raw form: x has n rows of `in` floats with row stride ldx; y rows of `out` floats, stride ldy.
  void forward(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy) const;

 private:
  struct Reduced;  // bf16 or int8 storage, shared by copies of this layer
  bool forward_dot(const kernels::Table& kt, const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy,
                   int64_t piece) const;
  void forward_many_reduced(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy) const;

  int64_t out_ = 0, in_ = 0;
  Precision precision_ = Precision::F32;
  Tensor weight_;
  std::shared_ptr<const Reduced> reduced_;
  Tensor bias_;
};

}  // namespace parley
