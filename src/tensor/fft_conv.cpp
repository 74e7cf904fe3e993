#include "tensor/fft_conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>

#include "core/error.h"
#include "tensor/kernels.h"
#include "tensor/onednn.h"
#include "tensor/parallel.h"

namespace parley {

namespace {

constexpr int64_t kChunkBlocks = 64;    // blocks per chunk: the products' rows (fewer measured slower)

void check(bool ok, const std::string& what) {
  if (!ok) throw Error(ErrorKind::Internal, "fft_conv: " + what);
}

}  // namespace

// A thread's buffers: one block's complex planes, the chunk's spectra in and out, a bf16 copy of
// one frequency's rows.
struct FftConv1d::Work {
  std::vector<float> re, im, in, out;
  std::vector<uint16_t> in16;
};

int64_t FftConv1d::block_for(int64_t kernel) {
  int64_t n = 32;
  while (n < 4 * kernel) n *= 2;
  return n;
}

FftConv1d::FftConv1d(const Tensor& weight, const Tensor& bias, int dilation, bool bf16, int64_t block)
    : dilation_(dilation), n_(block), bf16_(bf16), bias_(bias) {
  check(weight.ndim() == 3 && dilation >= 1, "conv weight must be [cout, cin, kernel]");
  cout_ = weight.dim(0);
  cin_ = weight.dim(1);
  kernel_ = weight.dim(2);
  check(kernel_ % 2 == 1 && n_ > kernel_ && (n_ & (n_ - 1)) == 0, "needs an odd kernel and a power-of-two block");
  half_ = n_ / 2;
  freqs_ = half_ + 1;
  chunk_blocks_ = kChunkBlocks;
  const double tau = 2 * std::numbers::pi;
  reversed_.resize(static_cast<size_t>(half_));
  for (int64_t i = 0; i < half_; ++i) {
    int64_t r = 0;
    for (int64_t b = 1, rb = half_ >> 1; b < half_; b <<= 1, rb >>= 1)
      if (i & b) r |= rb;
    reversed_[i] = r;
  }
  for (int64_t k = 0; k < half_ / 2; ++k) {
    twiddle_re_.push_back(static_cast<float>(std::cos(tau * k / half_)));
    twiddle_im_.push_back(static_cast<float>(-std::sin(tau * k / half_)));
  }
  for (int64_t k = 0; k < freqs_; ++k) {
    split_re_.push_back(static_cast<float>(std::cos(tau * k / n_)));
    split_im_.push_back(static_cast<float>(-std::sin(tau * k / n_)));
  }
  // 1 / (2n): the forward split leaves the spectrum doubled, the inverse gives n times the signal.
  const double scale = 1.0 / (2.0 * static_cast<double>(n_));
  const int64_t k2 = 2 * cin_, n2 = 2 * cout_;
  std::vector<double> cosine(static_cast<size_t>(n_)), sine(cosine.size());  // of 2 pi a / n
  for (int64_t a = 0; a < n_; ++a) {
    cosine[a] = std::cos(tau * static_cast<double>(a) / static_cast<double>(n_));
    sine[a] = std::sin(tau * static_cast<double>(a) / static_cast<double>(n_));
  }
  w32_.assign(static_cast<size_t>(freqs_ * k2 * n2), 0.f);
  for (int64_t f = 0; f < freqs_; ++f)
    for (int64_t i = 0; i < cin_; ++i)
      for (int64_t o = 0; o < cout_; ++o) {
        double re = 0, im = 0;
        for (int64_t j = 0; j < kernel_; ++j) {
          const double v = weight[(o * cin_ + i) * kernel_ + j];
          re += v * cosine[f * j % n_];
          im += v * sine[f * j % n_];
        }
        re *= scale, im *= scale;
        float* row_re = w32_.data() + (f * k2 + i) * n2;  // Y += Zre [Hre | Him] + Zim [-Him | Hre]
        float* row_im = row_re + cin_ * n2;
        row_re[o] = static_cast<float>(re), row_re[cout_ + o] = static_cast<float>(im);
        row_im[o] = static_cast<float>(-im), row_im[cout_ + o] = static_cast<float>(re);
      }
  if (bf16_) {
    w16_.resize(w32_.size());
    kernels::active().to_bf16(w32_.data(), w16_.data(), static_cast<int64_t>(w32_.size()));
    std::vector<float>().swap(w32_);
  }
}

void FftConv1d::forward(const float* x, int64_t rows, float slope, float* y, int64_t ldy, bool accumulate) const {
  if (rows <= 0) return;
  // Every phase has ceil(rows / d) or one fewer rows; each gets the blocks of the longest.
  const int64_t outputs = n_ - kernel_ + 1, longest = (rows + dilation_ - 1) / dilation_;
  const int64_t per_phase = (longest + outputs - 1) / outputs, blocks = per_phase * dilation_;
  const int64_t chunks = (blocks + chunk_blocks_ - 1) / chunk_blocks_;
  auto run = [&](int64_t c0, int64_t c1) {
    thread_local Work work;
    for (int64_t c = c0; c < c1; ++c)
      chunk(x, rows, slope, c * chunk_blocks_, std::min(blocks, (c + 1) * chunk_blocks_), per_phase, work, y, ldy,
            accumulate);
  };
  // A chunk per thread at a time, each on one core; inside a parallel loop this runs serially.
  parallel::for_range(chunks, 1, run);
}

void FftConv1d::fft_rows(float* re, float* im, int64_t width, bool inverse) const {
  const float sign = inverse ? -1.f : 1.f;
  for (int64_t h = 1; h < half_; h *= 2) {
    const int64_t step = half_ / (2 * h);  // twiddle k of this stage is e^{-2 pi i k / (2h)}
    for (int64_t s = 0; s < half_; s += 2 * h)
      for (int64_t j = 0; j < h; ++j) {
        const float wr = twiddle_re_[j * step], wi = sign * twiddle_im_[j * step];
        float* __restrict ar = re + (s + j) * width;
        float* __restrict ai = im + (s + j) * width;
        float* __restrict br = re + (s + j + h) * width;
        float* __restrict bi = im + (s + j + h) * width;
        for (int64_t c = 0; c < width; ++c) {
          const float tr = wr * br[c] - wi * bi[c], ti = wr * bi[c] + wi * br[c];
          br[c] = ar[c] - tr, bi[c] = ai[c] - ti;
          ar[c] += tr, ai[c] += ti;
        }
      }
  }
}

void FftConv1d::transform_block(const float* x, int64_t rows, float slope, int64_t phase, int64_t q0, Work& w,
                                float* spectrum, int64_t stride) const {
  const int64_t c_in = cin_;
  // Row t is point t / 2's real (even t) or imaginary part, stored at its bit-reversed place.
  for (int64_t t = 0; t < n_; ++t) {
    float* dst = (t % 2 ? w.im.data() : w.re.data()) + reversed_[t / 2] * c_in;
    const int64_t r = phase + (q0 + t) * dilation_;  // the block's row t in the input
    if (q0 + t < 0 || r >= rows) {
      std::fill(dst, dst + c_in, 0.f);
      continue;
    }
    const float* src = x + r * c_in;
    for (int64_t c = 0; c < c_in; ++c) dst[c] = src[c] >= 0.f ? src[c] : src[c] * slope;
  }
  fft_rows(w.re.data(), w.im.data(), c_in, false);
  // X[k] (doubled) = (Z[k] + conj Z[h - k]) - i e^{-2 pi i k / n} (Z[k] - conj Z[h - k]), h = n / 2.
  for (int64_t k = 0; k < freqs_; ++k) {
    const float* zr = w.re.data() + (k % half_) * c_in;
    const float* zi = w.im.data() + (k % half_) * c_in;
    const float* cr = w.re.data() + ((half_ - k) % half_) * c_in;
    const float* ci = w.im.data() + ((half_ - k) % half_) * c_in;
    const float sr = split_re_[k], si = split_im_[k];
    float* __restrict xr = spectrum + k * stride;
    float* __restrict xi = xr + c_in;
    for (int64_t c = 0; c < c_in; ++c) {
      const float ar = zr[c] + cr[c], ai = zi[c] - ci[c];  // Z[k] + conj Z[h - k]
      const float dr = zr[c] - cr[c], di = zi[c] + ci[c];  // Z[k] - conj Z[h - k]
      const float br = di, bi = -dr;                       // -i (that)
      xr[c] = ar + sr * br - si * bi;
      xi[c] = ai + sr * bi + si * br;
    }
  }
}

void FftConv1d::inverse_block(const float* spectrum, int64_t stride, int64_t rows, int64_t phase, int64_t q0, Work& w,
                              float* y, int64_t ldy, bool accumulate) const {
  const int64_t c_out = cout_;
  // Z[k] = E + i O, E = Y[k] + conj Y[h - k], O = (Y[k] - conj Y[h - k]) e^{+2 pi i k / n}, stored
  // bit-reversed for the inverse FFT of h points, whose output packs the real rows in pairs.
  for (int64_t k = 0; k < half_; ++k) {
    const float* yr = spectrum + k * stride;
    const float* yi = yr + c_out;
    const float* cr = spectrum + (half_ - k) * stride;
    const float* ci = cr + c_out;
    const float sr = split_re_[k], si = -split_im_[k];
    float* __restrict zr = w.re.data() + reversed_[k] * c_out;
    float* __restrict zi = w.im.data() + reversed_[k] * c_out;
    for (int64_t c = 0; c < c_out; ++c) {
      const float er = yr[c] + cr[c], ei = yi[c] - ci[c];
      const float dr = yr[c] - cr[c], di = yi[c] + ci[c];
      const float orr = dr * sr - di * si, oi = dr * si + di * sr;
      zr[c] = er - oi;
      zi[c] = ei + orr;
    }
  }
  fft_rows(w.re.data(), w.im.data(), c_out, true);
  const float* bias = bias_.empty() ? nullptr : bias_.data();
  for (int64_t t = 0; t < n_ - kernel_ + 1; ++t) {
    const int64_t r = phase + (q0 + t) * dilation_;
    if (r >= rows) break;
    const float* src = (t % 2 ? w.im.data() : w.re.data()) + (t / 2) * c_out;
    float* dst = y + r * ldy;
    for (int64_t o = 0; o < c_out; ++o) {
      const float v = src[o] + (bias ? bias[o] : 0.f);
      dst[o] = accumulate ? dst[o] + v : v;
    }
  }
}

void FftConv1d::chunk(const float* x, int64_t rows, float slope, int64_t b0, int64_t b1, int64_t per_phase, Work& w,
                      float* y, int64_t ldy, bool accumulate) const {
  const int64_t half = (kernel_ - 1) / 2, outputs = n_ - kernel_ + 1, m = chunk_blocks_, count = b1 - b0;
  const int64_t k2 = 2 * cin_, n2 = 2 * cout_;
  w.re.resize(static_cast<size_t>(half_ * std::max(cin_, cout_)));
  w.im.resize(w.re.size());
  w.in.resize(static_cast<size_t>(freqs_ * m * k2));
  w.out.resize(static_cast<size_t>(freqs_ * m * n2));
  // Block b of the chunk: phase (b0 + b) / per_phase, its outputs from ((b0 + b) % per_phase) * L.
  for (int64_t b = 0; b < count; ++b)
    transform_block(x, rows, slope, (b0 + b) / per_phase, ((b0 + b) % per_phase) * outputs - half, w,
                    w.in.data() + b * k2, m * k2);
  if (bf16_) w.in16.resize(static_cast<size_t>(count * k2));
  for (int64_t f = 0; f < freqs_; ++f) {
    const float* a = w.in.data() + f * m * k2;
    float* c = w.out.data() + f * m * n2;
    if (bf16_) {
      kernels::active().to_bf16(a, w.in16.data(), count * k2);
      onednn::matmul(true, count, n2, k2, w.in16.data(), k2, w16_.data() + f * k2 * n2, n2, nullptr, false, c, n2);
    } else {
      onednn::matmul(false, count, n2, k2, a, k2, w32_.data() + f * k2 * n2, n2, nullptr, false, c, n2);
    }
  }
  for (int64_t b = 0; b < count; ++b)
    inverse_block(w.out.data() + b * n2, m * n2, rows, (b0 + b) / per_phase, ((b0 + b) % per_phase) * outputs, w, y,
                  ldy, accumulate);
}

}  // namespace parley
