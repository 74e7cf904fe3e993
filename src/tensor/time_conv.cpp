#include "tensor/time_conv.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"
#include "tensor/kernels.h"
#include "tensor/onednn.h"
#include "tensor/parallel.h"

namespace parley {

namespace {

constexpr int64_t kRowGrain = 256;  // rows per chunk of the element-wise passes

void check(bool ok, const std::string& what) {
  if (!ok) throw Error(ErrorKind::Internal, "time_conv: " + what);
}

// A bf16 layer keeps its re-laid-out weight as bf16 only.
void narrow_if(bool bf16, std::vector<float>& w32, std::vector<uint16_t>& w16) {
  if (!bf16) return;
  w16.resize(w32.size());
  kernels::active().to_bf16(w32.data(), w16.data(), static_cast<int64_t>(w32.size()));
  std::vector<float>().swap(w32);
}

}  // namespace

// ------------------------------------------------------------------------------------------ input

void TimeInput::prepare(const float* x, int64_t rows, int64_t channels, int64_t margin, bool bf16, float slope) {
  rows_ = rows;
  channels_ = channels;
  margin_ = margin;
  bf16_ = bf16;
  const size_t total = static_cast<size_t>((rows + 2 * margin) * channels);
  const size_t edge = static_cast<size_t>(margin * channels);
  const kernels::Table& kt = kernels::active();
  if (bf16) {
    if (b16_.size() < total) b16_.resize(total);
    std::fill(b16_.begin(), b16_.begin() + edge, uint16_t{0});
    std::fill(b16_.begin() + edge + rows * channels, b16_.begin() + total, uint16_t{0});
    uint16_t* out = b16_.data() + edge;
    parallel::for_range(rows, kRowGrain, [&](int64_t r0, int64_t r1) {
      // leaky_to_bf16 with slope 1 is the identity, rounded
      kt.leaky_to_bf16(x + r0 * channels, slope, out + r0 * channels, (r1 - r0) * channels);
    });
    return;
  }
  if (f32_.size() < total) f32_.resize(total);
  std::fill(f32_.begin(), f32_.begin() + edge, 0.f);
  std::fill(f32_.begin() + edge + rows * channels, f32_.begin() + total, 0.f);
  float* out = f32_.data() + edge;
  parallel::for_range(rows, kRowGrain, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0 * channels, n = r1 * channels; i < n; ++i) out[i] = x[i] >= 0.f ? x[i] : x[i] * slope;
  });
}

const void* TimeInput::row(int64_t r) const {
  const size_t at = static_cast<size_t>((r + margin_) * channels_);
  return bf16_ ? static_cast<const void*>(b16_.data() + at) : static_cast<const void*>(f32_.data() + at);
}

bool time_conv_bf16(Precision precision) { return precision != Precision::F32 && onednn::native_bf16(); }

// ------------------------------------------------------------------------------------ convolution

TimeConv1d::TimeConv1d(const Tensor& weight, const Tensor& bias, int dilation, Precision precision)
    : dilation_(dilation), bf16_(time_conv_bf16(precision)), bias_(bias) {
  check(weight.ndim() == 3 && dilation >= 1, "conv weight must be [cout, cin, kernel]");
  cout_ = weight.dim(0);
  cin_ = weight.dim(1);
  kernel_ = weight.dim(2);
  check((kernel_ - 1) * dilation_ % 2 == 0, "'same' padding needs an even span");
  w32_.resize(static_cast<size_t>(kernel_ * cin_ * cout_));
  for (int64_t o = 0; o < cout_; ++o)
    for (int64_t i = 0; i < cin_; ++i)
      for (int64_t j = 0; j < kernel_; ++j) w32_[(j * cin_ + i) * cout_ + o] = weight[(o * cin_ + i) * kernel_ + j];
  narrow_if(bf16_, w32_, w16_);
}

void TimeConv1d::forward(const TimeInput& x, float* y, int64_t ldy, bool accumulate) const {
  check(x.channels() == cin_ && x.bf16() == bf16_ && x.margin() >= padding(), "input does not fit the layer");
  const size_t item = bf16_ ? sizeof(uint16_t) : sizeof(float);
  const auto* w = bf16_ ? static_cast<const void*>(w16_.data()) : static_cast<const void*>(w32_.data());
  for (int64_t j = 0; j < kernel_; ++j) {
    // Tap j reads input row t + j * dilation - padding for output row t; the bias comes with tap 0.
    const void* a = x.row(j * dilation_ - padding());
    const void* b = static_cast<const char*>(w) + static_cast<size_t>(j * cin_ * cout_) * item;
    onednn::matmul(bf16_, x.rows(), cout_, cin_, a, cin_, b, cout_, j == 0 && !bias_.empty() ? bias_.data() : nullptr,
                   accumulate || j > 0, y, ldy);
  }
}

// -------------------------------------------------------------------------- transposed convolution

TimeConvTranspose1d::TimeConvTranspose1d(const Tensor& weight, const Tensor& bias, int stride, int padding,
                                         Precision precision)
    : stride_(stride), padding_(padding), bf16_(time_conv_bf16(precision)), bias_(bias) {
  check(weight.ndim() == 3 && stride >= 1, "transposed conv weight must be [cin, cout, kernel]");
  cin_ = weight.dim(0);
  cout_ = weight.dim(1);
  kernel_ = weight.dim(2);
  check(padding_ >= 0 && kernel_ > 2 * padding_, "transposed conv padding leaves no output");
  // [cin][kernel][cout]: row i of the product is every tap's contribution of input channel i.
  w32_.resize(static_cast<size_t>(cin_ * kernel_ * cout_));
  for (int64_t i = 0; i < cin_; ++i)
    for (int64_t o = 0; o < cout_; ++o)
      for (int64_t j = 0; j < kernel_; ++j) w32_[(i * kernel_ + j) * cout_ + o] = weight[(i * cout_ + o) * kernel_ + j];
  narrow_if(bf16_, w32_, w16_);
}

void TimeConvTranspose1d::forward(const TimeInput& x, Tensor& y, Tensor& taps) const {
  check(x.channels() == cin_ && x.bf16() == bf16_, "input does not fit the layer");
  const int64_t rows = x.rows(), out_rows = output_rows(rows), width = kernel_ * cout_;
  y.resize({out_rows, cout_});
  float* out = y.data();
  parallel::for_range(out_rows, kRowGrain, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      if (bias_.empty())
        std::fill(out + o * cout_, out + (o + 1) * cout_, 0.f);
      else
        std::memcpy(out + o * cout_, bias_.data(), sizeof(float) * cout_);
    }
  });
  // Input rows a block at a time, so that the taps stay small whatever the length:
  // taps[t, j, :] = x[t] W[:, :, j], input row t's contribution to output row t * stride - padding + j.
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 19) / width);
  taps.resize({std::min(rows, block), width});
  const auto* w = bf16_ ? static_cast<const void*>(w16_.data()) : static_cast<const void*>(w32_.data());
  for (int64_t t0 = 0; t0 < rows; t0 += block) {
    const int64_t t1 = std::min(rows, t0 + block);
    onednn::matmul(bf16_, t1 - t0, width, cin_, x.row(t0), cin_, w, width, nullptr, false, taps.data(), width);
    // The output rows this block reaches; blocks run one after another, rows within one in parallel.
    const int64_t first = std::max<int64_t>(0, t0 * stride_ - padding_);
    const int64_t last = std::min(out_rows, (t1 - 1) * stride_ - padding_ + kernel_);
    const float* tp = taps.data();
    parallel::for_range(last - first, kRowGrain, [&](int64_t a, int64_t b) {
      for (int64_t o = first + a; o < first + b; ++o) {
        float* yr = out + o * cout_;
        // Rows t of this block with j = o + padding - t * stride in [0, kernel).
        const int64_t hi = std::min(t1 - 1, (o + padding_) / stride_);
        for (int64_t t = hi; t >= t0; --t) {
          const int64_t j = o + padding_ - t * stride_;
          if (j >= kernel_) break;
          const float* src = tp + (t - t0) * width + j * cout_;
          for (int64_t c = 0; c < cout_; ++c) yr[c] += src[c];
        }
      }
    });
  }
}

}  // namespace parley
