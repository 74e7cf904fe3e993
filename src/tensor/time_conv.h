// A 1-D convolution layer over time-major signals ([time, channels]), the vocoder's layout.
//
// oneDNN's blocked convolution kernels (brgconv) run on time-major data without reordering it and
// measured 1.5-2x faster than the [channels, time] GEMM-based path in float32 and 3.5-5x faster in
// bf16 on AVX-512 BF16 (tools: a 64-channel, kernel-11 layer over 40,000 steps, one thread). The
// weights are packed into the kernel's blocked layout once, on first use, and kept.
//
// In bf16 the input is rounded to bf16 (with the weights) and the sums stay float32; the output is
// always float32. An optional leaky ReLU is applied to the input on its way in (HiFi-GAN applies
// one before every convolution), so the activation is never written as a separate pass.
#pragma once

#include <memory>

#include "tensor/precision.h"
#include "tensor/tensor.h"

namespace parley {

class TimeConv1d {
 public:
  TimeConv1d() = default;
  // PyTorch's Conv1d (weight [cout, cin, k]) or, with `transposed`, ConvTranspose1d (weight
  // [cin, cout, k]); bias [cout] or empty. Int8 runs as bf16 (convolutions have no int8 form here).
  TimeConv1d(Tensor weight, Tensor bias, int stride, int padding, int dilation, bool transposed, Precision precision);

  int64_t in_channels() const;
  int64_t out_channels() const;

  // y [t_out, cout] = conv(act(x)) for x [t, cin], act = leaky ReLU of `slope` (1: none).
  // Throws Error(Internal) for a width other than in_channels() or an input too short.
  void forward(const Tensor& x, float slope, Tensor& y) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace parley
