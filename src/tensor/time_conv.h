// 1-D convolutions over time-major activations ([time, channels]), the vocoder's layers.
//
// A convolution is one matrix product per kernel tap over a shifted view of its input:
//   y[t] = bias + sum_j x[t + j * dilation - padding] W_j,   W_j [cin, cout] = weight[:, :, j]^T,
// the input carrying `margin` zero rows before and after its data, which the shifted views read as
// the convolution's zero padding. oneDNN's convolution primitives on this layout build per sequence
// length and take up to a second to build for long signals; a product depends only on (rows, cin,
// cout), builds in about a millisecond and measured as fast on HiFi-GAN's shapes.
//
// Precision: float32, or (bf16 and int8 models, where the CPU has AVX-512 BF16) bf16 inputs and
// weights with float32 sums: the activation is rounded as it is written into the input.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/precision.h"
#include "tensor/tensor.h"

namespace parley {

// Activations prepared as a convolution's input: `rows` rows of `channels` values, with `margin`
// zero rows before and after, in float32 or bf16.
class TimeInput {
 public:
  // Writes act(x) (x [rows, channels], contiguous), act = leaky ReLU with `slope`, or the identity
  // when `slope` is 1.
  void prepare(const float* x, int64_t rows, int64_t channels, int64_t margin, bool bf16, float slope = 1.f);

  int64_t rows() const { return rows_; }
  int64_t channels() const { return channels_; }
  int64_t margin() const { return margin_; }
  bool bf16() const { return bf16_; }
  // Row r, for r in [-margin, rows + margin).
  const void* row(int64_t r) const;

 private:
  std::vector<float> f32_;
  std::vector<uint16_t> b16_;
  int64_t rows_ = 0, channels_ = 0, margin_ = 0;
  bool bf16_ = false;
};

// Whether a model of this precision runs its time-major convolutions in bf16 here.
bool time_conv_bf16(Precision precision);

// Conv1d with "same" padding ((kernel - 1) * dilation / 2 on each side) and stride 1.
class TimeConv1d {
 public:
  TimeConv1d() = default;
  // weight [cout, cin, kernel] as PyTorch's Conv1d stores it; bias [cout] or empty.
  TimeConv1d(const Tensor& weight, const Tensor& bias, int dilation, Precision precision);

  int64_t in_channels() const { return cin_; }
  int64_t out_channels() const { return cout_; }
  int64_t padding() const { return (kernel_ - 1) * dilation_ / 2; }
  bool bf16() const { return bf16_; }

  // y [x.rows(), cout] (row stride ldy) = conv(x), or y += conv(x) when `accumulate`. Needs
  // x.margin() >= padding() and x in this layer's precision.
  void forward(const TimeInput& x, float* y, int64_t ldy, bool accumulate) const;

 private:
  int64_t cin_ = 0, cout_ = 0, kernel_ = 0, dilation_ = 1;
  bool bf16_ = false;
  std::vector<float> w32_;     // [kernel][cin][cout]
  std::vector<uint16_t> w16_;  // the same in bf16
  Tensor bias_;
};

// ConvTranspose1d: y rows = (x rows - 1) * stride - 2 * padding + kernel.
class TimeConvTranspose1d {
 public:
  TimeConvTranspose1d() = default;
  // weight [cin, cout, kernel] as PyTorch's ConvTranspose1d stores it; bias [cout] or empty.
  TimeConvTranspose1d(const Tensor& weight, const Tensor& bias, int stride, int padding, Precision precision);

  int stride() const { return stride_; }
  int64_t kernel() const { return kernel_; }
  int padding() const { return padding_; }
  bool bf16() const { return bf16_; }

  int64_t output_rows(int64_t rows) const { return (rows - 1) * stride_ - 2 * padding_ + kernel_; }
  // y [output_rows(x.rows()), cout] (resized). `taps` is work space.
  void forward(const TimeInput& x, Tensor& y, Tensor& taps) const;

 private:
  int64_t cin_ = 0, cout_ = 0, kernel_ = 0;
  int stride_ = 1, padding_ = 0;
  bool bf16_ = false;
  std::vector<float> w32_;     // [cin][kernel][cout]: one product gives every tap
  std::vector<uint16_t> w16_;
  Tensor bias_;
};

}  // namespace parley
