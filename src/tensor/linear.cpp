#include "tensor/linear.h"

#include "core/error.h"
#include "tensor/ops.h"

namespace parley {

Linear::Linear(Tensor weight, Tensor bias) : weight_(std::move(weight)), bias_(std::move(bias)) {
  if (weight_.ndim() != 2) throw Error(ErrorKind::Internal, "Linear weight must be 2-D, got " + weight_.shape_string());
  if (!bias_.empty() && bias_.numel() != weight_.dim(0))
    throw Error(ErrorKind::Internal, "Linear bias size does not match weight " + weight_.shape_string());
}

void Linear::forward(const Tensor& x, Tensor& y) const {
  if (x.dim(-1) != in_features())
    throw Error(ErrorKind::Internal, "Linear: input " + x.shape_string() + " does not match weight " +
                                         weight_.shape_string());
  const int64_t n = x.numel() / in_features();
  y.resize({n, out_features()});
  forward(x.data(), n, in_features(), y.data(), out_features());
}

void Linear::forward(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy) const {
  const int64_t out = out_features(), in = in_features();
  if (!bias_.empty()) {
    for (int64_t r = 0; r < n; ++r)
      for (int64_t o = 0; o < out; ++o) y[r * ldy + o] = bias_[o];
  }
  ops::gemm(false, true, static_cast<int>(n), static_cast<int>(out), static_cast<int>(in), 1.f, x,
            static_cast<int>(ldx), weight_.data(), static_cast<int>(in), bias_.empty() ? 0.f : 1.f, y,
            static_cast<int>(ldy));
}

}  // namespace parley
