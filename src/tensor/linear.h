// A fully connected layer y = x W^T + b, the bulk of every model's work.
//
// Holds its weight in the precision chosen at load; forward() picks the kernel. Models build their
// layers from Linear and never see how the weight is stored.
#pragma once

#include "tensor/tensor.h"

namespace parley {

class Linear {
 public:
  Linear() = default;
  // weight [out, in] as stored by PyTorch's nn.Linear; bias [out] or empty.
  Linear(Tensor weight, Tensor bias);

  int64_t in_features() const { return weight_.dim(1); }
  int64_t out_features() const { return weight_.dim(0); }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

  // x [n, in] -> y [n, out] (y is resized).
  void forward(const Tensor& x, Tensor& y) const;
  // Raw form: x has n rows of `in` floats with row stride ldx; y rows of `out` floats, stride ldy.
  void forward(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy) const;

 private:
  Tensor weight_;
  Tensor bias_;
};

}  // namespace parley
