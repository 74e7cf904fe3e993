// 1-D convolutions over time-major activations ([time, channels]), the vocoder's layers. Each
// reads its float32 input as it is and applies the leaky ReLU before it itself, a block of rows at
// a time in cache.
//
// A direct convolution is one matrix product per kernel tap over a shifted view of the block:
//   y[t] = bias + sum_j x[t + j * dilation - padding] W_j,   W_j [cin, cout] = weight[:, :, j]^T,
// the block written (activated, in the layer's precision) with its padding rows, zero outside the
// signal. oneDNN's convolution primitives on this layout build per sequence length and take up to
// a second to build for long signals; a product depends only on (rows, cin, cout) and builds in
// about a millisecond.
//
// A wide convolution runs as Winograd's minimal filtering F(4, 4) instead (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks"): its taps in groups of four, each output row's
// dilation phase in tiles of four rows, a tile of 7 transformed input rows times 7 transformed
// weights in place of 4 rows times 4 taps. That is 7 products where the taps take 16 (HiFi-GAN's
// kernels 3, 7, 11: 0.58, 0.5, 0.48 of the arithmetic), and one product per transformed point
// instead of one per tap. The transforms are exact in real arithmetic and run in float32 (their
// rounding is measured in time_conv_test).
//
// Algorithm::Fft runs a layer as FFT overlap-save instead (tensor/fft_conv.h): 0.22 of the direct
// products for kernel 11 (block 64), 0.37 for kernel 7 (block 32). Auto does not pick it: on the
// MMS-TTS vocoder's layers, called as the vocoder calls them (chunks of 2^17 values), it measured
// 1.2-1.5x faster than Winograd in float32 at kernel 11 and 64-128 channels, even in bf16, 0.6x at
// 256 channels; its weights (33 x 4 C^2 values for kernel 11, Winograd's 21 C^2) stream through the
// cache once per chunk, and the whole synthesis was no faster in either precision (docs/performance.md).
//
// Precision: float32, or (bf16 and int8 models, where the CPU has AVX-512 BF16) bf16 inputs and
// weights with float32 sums: the activation is rounded as it is written into the block, or, for
// Winograd layers, once transformed.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tensor/precision.h"
#include "tensor/tensor.h"

namespace parley {

// Winograd F(4, 4)'s transforms (see the top of this file), computed once in double precision:
// y[q] = sum_p at[q][p] * (sum_j g[p][j] w[j]) * (sum_l bt[p][l] x[l]) for 4 taps w and 7 inputs x
// is the correlation sum_j w[j] x[q + j], q < 4.
struct Winograd {
  static constexpr int kOut = 4, kTaps = 4, kPoints = kOut + kTaps - 1;
  float at[kOut][kPoints];
  double g[kPoints][kTaps];
  float bt[kPoints][kPoints];
};
const Winograd& winograd_matrices();

struct WinogradWork;
class FftConv1d;

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
  bool winograd() const { return winograd_; }
  bool fft() const { return fft_ != nullptr; }

  // y [rows, cout] (row stride ldy) = conv(act(x)), or y += conv(act(x)) when `accumulate`, for x
  // [rows, in_channels()] contiguous, act = leaky ReLU with `slope` (1: the identity), applied as
  // the layer reads x (in cache, a block at a time). y must not overlap x.
  void forward(const float* x, int64_t rows, float slope, float* y, int64_t ldy, bool accumulate) const;

  // Auto: Winograd where it measured faster (see the constructor), else direct products.
  // Fft needs an odd kernel (tensor/fft_conv.h); Winograd stands in for it on an even one.
  enum class Algorithm { Auto, Direct, Winograd, Fft };
  TimeConv1d(const Tensor& weight, const Tensor& bias, int dilation, Precision precision, Algorithm algorithm);
  // What the four-argument constructor uses: Auto, unless a test asks for one algorithm everywhere
  // (the golden tests' small models have too few channels for Auto to pick Winograd).
  static void set_default_algorithm(Algorithm algorithm);

 private:
  void forward_winograd(const float* x, int64_t rows, float slope, float* y, int64_t ldy, bool accumulate) const;
  void winograd_chunk(const float* x, int64_t rows, float slope, int64_t u0, int64_t u1, int64_t tiles,
                      WinogradWork& work, float* y, int64_t ldy, bool accumulate) const;

  int64_t cin_ = 0, cout_ = 0, kernel_ = 0, dilation_ = 1;
  int64_t groups_ = 0;  // Winograd: groups of four taps
  bool bf16_ = false, winograd_ = false;
  // Direct: [kernel][cin][cout]. Winograd: [7 points][groups][cin][cout], each group's taps
  // transformed. Kept in bf16 only (w16_) in a bf16 layer.
  std::vector<float> w32_;
  std::vector<uint16_t> w16_;
  Tensor bias_;
  std::shared_ptr<const FftConv1d> fft_;  // set: the layer runs on it (and keeps no weights above)
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

  int64_t in_channels() const { return cin_; }
  int64_t out_channels() const { return cout_; }
  int64_t output_rows(int64_t rows) const { return (rows - 1) * stride_ - 2 * padding_ + kernel_; }
  // y [output_rows(rows), cout] (resized) = the transposed convolution of act(x), x [rows,
  // in_channels()] contiguous, act as TimeConv1d's (applied a block of rows at a time). y must not
  // be x; `taps` is work space.
  void forward(const float* x, int64_t rows, float slope, Tensor& y, Tensor& taps) const;

 private:
  int64_t cin_ = 0, cout_ = 0, kernel_ = 0;
  int stride_ = 1, padding_ = 0;
  bool bf16_ = false;
  std::vector<float> w32_;     // [cin][kernel][cout]: one product gives every tap
  std::vector<uint16_t> w16_;
  Tensor bias_;
};

}  // namespace parley
