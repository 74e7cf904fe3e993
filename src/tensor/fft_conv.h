// A wide dilated convolution over time-major activations ([time, channels]) by FFT overlap-save,
// for HiFi-GAN's residual blocks (kernels 7 and 11), where it needs fewer products than Winograd.
//
// A convolution of dilation d is d interleaved dense ones (output rows phi, phi + d, ... read input
// rows of the same phase). Each phase is cut into blocks of L = n - kernel + 1 outputs; a block's n
// input rows (activated, zero outside the signal) go through a real FFT of size n along time. The
// FFT is our own radix-2 one whose every operation is on a whole row of channels (contiguous in this
// layout, so it vectorises as it stands): the real signal packed as n / 2 complex points, bit-reversed
// as it is gathered, then split into the n / 2 + 1 frequencies. (FFTW's strided many-transform plans
// on the same layout measured twice the products' time.) In the frequency domain the convolution is
// one complex matrix product per frequency, channel by channel:
//   Y[f] = Z[f] H[f],   H[f][i][o] = sum_j w[o][i][j] e^{+2 pi i f j / n}  (scaled, see the .cpp)
// (a correlation, as a convolution layer computes, hence the conjugate), done as one real matrix
// product of 2 cin x 2 cout per frequency over a chunk of blocks (rows [re(cin) | im(cin)]), then
// the inverse FFT gives the block's circular correlation, whose first L rows are the outputs (the
// rest wrapped around). For n = 64: 33 frequencies x 4 cin x cout products per 54 outputs of
// kernel 11, 0.22 of the direct products (Winograd F(4, 4): 0.48).
//
// Precision: float32 throughout, or bf16 products (float32 sums) of the transformed input and the
// transformed weights. Exact in real arithmetic; the rounding is measured in time_conv_test.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace parley {

class FftConv1d {
 public:
  // weight [cout, cin, kernel] (odd kernel) as PyTorch's Conv1d stores it; bias [cout] or empty;
  // `block` is the FFT size n (a power of two above the kernel).
  FftConv1d(const Tensor& weight, const Tensor& bias, int dilation, bool bf16, int64_t block);

  // The FFT size for a kernel: the smallest power of two of at least 4 x its taps, not below 32.
  static int64_t block_for(int64_t kernel);

  // As TimeConv1d::forward: y [rows, cout] (row stride ldy) = conv(act(x)) (+ y when accumulate),
  // x [rows, cin] contiguous, act = leaky ReLU of `slope`, "same" padding.
  void forward(const float* x, int64_t rows, float slope, float* y, int64_t ldy, bool accumulate) const;

 private:
  struct Work;
  // One block's rows to its spectrum, rows [re | im] `stride` floats apart from spectrum row 0.
  void transform_block(const float* x, int64_t rows, float slope, int64_t phase, int64_t q0, Work& w, float* spectrum,
                       int64_t stride) const;
  // One block's product spectrum (the same layout) back to its first L output rows of y.
  void inverse_block(const float* spectrum, int64_t stride, int64_t rows, int64_t phase, int64_t q0, Work& w, float* y,
                     int64_t ldy, bool accumulate) const;
  // In place, the complex FFT of half_ points on rows of `width` values given in bit-reversed order;
  // e^{-i...} forward, e^{+i...} inverse (unnormalised).
  void fft_rows(float* re, float* im, int64_t width, bool inverse) const;
  // Blocks [b0, b1) of the layer's flat block list (phase by phase), `per_phase` blocks a phase.
  void chunk(const float* x, int64_t rows, float slope, int64_t b0, int64_t b1, int64_t per_phase, Work& w, float* y,
             int64_t ldy, bool accumulate) const;

  int64_t cin_ = 0, cout_ = 0, kernel_ = 0, dilation_ = 1, n_ = 0, half_ = 0, freqs_ = 0, chunk_blocks_ = 0;
  bool bf16_ = false;
  std::vector<int64_t> reversed_;         // [half_]: the bit-reversed index
  std::vector<float> twiddle_re_, twiddle_im_;  // [half_]: e^{-2 pi i k / half_}, k < half_ / 2
  std::vector<float> split_re_, split_im_;      // [freqs_]: e^{-2 pi i k / n}
  // [freqs][2 cin][2 cout]: the products' right-hand sides, rows [re(cin) | im(cin)], columns
  // [re(cout) | im(cout)].
  std::vector<float> w32_;
  std::vector<uint16_t> w16_;
  Tensor bias_;
};

}  // namespace parley
