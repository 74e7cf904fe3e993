// The time-major convolutions (the vocoder's layers) against direct double-precision sums of
// PyTorch's Conv1d and ConvTranspose1d definitions, in float32 and in bf16.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "tensor/kernels.h"
#include "tensor/time_conv.h"

namespace parley {
namespace {

Tensor random_tensor(Shape shape, uint32_t seed) {
  Tensor t(std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = d(rng);
  return t;
}

// What a bf16 layer sees: the value rounded to bf16.
float as_used(float v, bool bf16) { return bf16 ? kernels::from_bf16(kernels::to_bf16(v)) : v; }

std::vector<bool> precisions() {
  std::vector<bool> p = {false};
  if (time_conv_bf16(Precision::BF16)) p.push_back(true);
  return p;
}

// x [T, cin] with a leaky ReLU on the way in, weight [cout, cin, k], dilation d, "same" padding.
TEST(TimeConv, Conv1dMatchesTheDefinition) {
  const int64_t T = 37, cin = 5, cout = 6;
  for (bool bf16 : precisions())
    for (auto [k, d] : {std::pair{3, 1}, std::pair{5, 3}, std::pair{7, 2}}) {
      const Tensor x = random_tensor({T, cin}, 1), w = random_tensor({cout, cin, k}, 2), b = random_tensor({cout}, 3);
      const float slope = 0.1f;
      TimeConv1d conv(w, b, d, bf16 ? Precision::BF16 : Precision::F32, TimeConv1d::Algorithm::Direct);
      ASSERT_EQ(conv.bf16(), bf16);
      Tensor y = random_tensor({T, cout}, 4), start = y.clone();
      conv.forward(x.data(), T, slope, y.data(), cout, true);  // y += conv(act(x))
      for (int64_t t = 0; t < T; ++t)
        for (int64_t o = 0; o < cout; ++o) {
          double want = static_cast<double>(start[t * cout + o]) + b[o];
          for (int64_t i = 0; i < cin; ++i)
            for (int64_t j = 0; j < k; ++j) {
              const int64_t src = t + j * d - conv.padding();
              if (src < 0 || src >= T) continue;  // zero padding
              const float v = x[src * cin + i];
              want += static_cast<double>(as_used(v >= 0 ? v : v * slope, bf16)) * as_used(w[(o * cin + i) * k + j], bf16);
            }
          EXPECT_NEAR(y[t * cout + o], want, 1e-5) << "k=" << k << " d=" << d << " bf16=" << bf16;
        }
    }
}

// No rows in, none out (and nothing written), on both paths.
TEST(TimeConv, Conv1dOfNoRowsWritesNothing) {
  const Tensor w = random_tensor({8, 8, 3}, 31), b = random_tensor({8}, 32);
  for (auto algorithm : {TimeConv1d::Algorithm::Direct, TimeConv1d::Algorithm::Winograd}) {
    TimeConv1d conv(w, b, 1, Precision::F32, algorithm);
    float y = 7.f;
    conv.forward(nullptr, 0, 1.f, &y, 8, false);
    EXPECT_EQ(y, 7.f);
  }
}

// A signal long enough for the direct path's blocks of rows to run on both threads.
TEST(TimeConv, Conv1dInBlocksMatchesTheDefinition) {
  const int64_t T = 100000, cin = 4, cout = 8, k = 5, d = 3;
  const Tensor x = random_tensor({T, cin}, 21), w = random_tensor({cout, cin, k}, 22), b = random_tensor({cout}, 23);
  TimeConv1d conv(w, b, d, Precision::F32, TimeConv1d::Algorithm::Direct);
  Tensor y({T, cout});
  conv.forward(x.data(), T, 1.f, y.data(), cout, false);
  double worst = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t o = 0; o < cout; ++o) {
      double want = b[o];
      for (int64_t i = 0; i < cin; ++i)
        for (int64_t j = 0; j < k; ++j) {
          const int64_t src = t + j * d - conv.padding();
          if (src >= 0 && src < T) want += static_cast<double>(x[src * cin + i]) * w[(o * cin + i) * k + j];
        }
      worst = std::max(worst, std::fabs(y[t * cout + o] - want));
    }
  EXPECT_LT(worst, 1e-5);
}

// Winograd F(4, 4) layers against the same definition, for HiFi-GAN's kernels and dilations (and
// kernels 1 and 5), lengths that end mid-tile, shorter than one tile and spanning several chunks
// (run on both threads), the activation applied by the layer and (slope 1) by the caller.
// Error relative to the sum of the terms' magnitudes, measured: float32 up to 4.8e-7 (direct
// products: 9e-8; the transforms' coefficients reach 8); bf16 up to 7.5e-3 (direct: 1.4e-3; the
// transformed input is rounded to 8 bits, then combined again by the output transform).
struct ConvCase {
  int64_t T, cin, cout;
  int k, d;
};

// The layer on `algorithm` against the definition in double precision, input activated by the layer
// (view) or before it; the error relative to the sum of the terms' magnitudes below tol32 / tol16.
void expect_conv_matches_definition(TimeConv1d::Algorithm algorithm, const std::vector<ConvCase>& cases, double tol32,
                                    double tol16) {
  for (bool bf16 : precisions())
    for (const ConvCase& cs : cases) {
      const int64_t T = cs.T, cin = cs.cin, cout = cs.cout;
      const int k = cs.k, d = cs.d;
      const Tensor x = random_tensor({T, cin}, 11), w = random_tensor({cout, cin, k}, 12), b = random_tensor({cout}, 13);
      const float slope = 0.1f;
      TimeConv1d conv(w, b, d, bf16 ? Precision::BF16 : Precision::F32, algorithm);
      ASSERT_TRUE(algorithm == TimeConv1d::Algorithm::Fft ? conv.fft() : conv.winograd());
      Tensor activated = x.clone();
      for (int64_t i = 0; i < activated.numel(); ++i) activated[i] = x[i] >= 0 ? x[i] : x[i] * slope;
      for (bool view : {true, false}) {  // view: the layer applies the activation
        Tensor y = random_tensor({T, cout}, 14), start = y.clone();
        conv.forward(view ? x.data() : activated.data(), T, view ? slope : 1.f, y.data(), cout, true);
        double worst = 0;
        for (int64_t t = 0; t < T; ++t)
          for (int64_t o = 0; o < cout; ++o) {
            double want = static_cast<double>(start[t * cout + o]) + b[o], scale = 1;
            for (int64_t i = 0; i < cin; ++i)
              for (int64_t j = 0; j < k; ++j) {
                const int64_t src = t + j * d - conv.padding();
                if (src < 0 || src >= T) continue;
                const float v = x[src * cin + i];
                const double term = static_cast<double>(v >= 0 ? v : v * slope) * w[(o * cin + i) * k + j];
                want += term;
                scale += std::fabs(term);
              }
            worst = std::max(worst, std::fabs(y[t * cout + o] - want) / scale);
          }
        std::printf("[measured] T=%ld k=%d d=%d bf16=%d view=%d: worst relative error %.3g\n", (long)T, k, d, (int)bf16, (int)view, worst);
        EXPECT_LT(worst, bf16 ? tol16 : tol32) << "T=" << T << " k=" << k << " d=" << d << " bf16=" << bf16
                                               << " view=" << view;
      }
    }
}

TEST(TimeConv, WinogradConv1dMatchesTheDefinition) {
  expect_conv_matches_definition(TimeConv1d::Algorithm::Winograd,
                                 {{37, 40, 8, 3, 1}, {1, 16, 8, 3, 1}, {5, 16, 8, 11, 5}, {61, 24, 16, 7, 3},
                                  {301, 32, 32, 11, 5}, {5000, 16, 8, 11, 1}, {23, 8, 12, 5, 1}, {19, 8, 8, 1, 1}},
                                 2e-6, 1.5e-2);
}

// FFT overlap-save (tensor/fft_conv.h): lengths shorter than a block, not a multiple of a block's
// outputs (54 for kernel 11: block 64; 26, 28, 30, 32 for kernels 7, 5, 3, 1: block 32) nor of the
// dilation, several chunks of 64 blocks, odd channel counts and cin != cout. Error relative to the
// sum of the terms' magnitudes, measured: float32 up to 1.3e-7; bf16 up to 2.3e-3 (the
// transformed input rounded to 8 bits).
TEST(TimeConv, FftConv1dMatchesTheDefinition) {
  expect_conv_matches_definition(TimeConv1d::Algorithm::Fft,
                                 {{37, 40, 8, 3, 1}, {1, 16, 8, 3, 1}, {5, 16, 8, 11, 5}, {61, 24, 16, 7, 3},
                                  {301, 32, 32, 11, 5}, {5000, 16, 8, 11, 1}, {23, 5, 7, 5, 1}, {19, 8, 8, 1, 1},
                                  {1000, 16, 16, 7, 3}, {9000, 8, 8, 11, 5}},
                                 2e-6, 1.5e-2);
}

// Aligned (kernel - 2 padding == stride) and not (kernel 6, stride 3: one more output row); the
// last case is long and wide enough to take several blocks of input rows.
TEST(TimeConv, ConvTranspose1dMatchesTheDefinition) {
  struct Case {
    int64_t T, cin, cout, k, stride;
  };
  for (bool bf16 : precisions())
    for (const Case& cs : {Case{11, 4, 3, 8, 4}, Case{11, 4, 3, 6, 3}, Case{11, 4, 3, 11, 5}, Case{1500, 4, 64, 16, 8}}) {
      const int64_t T = cs.T, cin = cs.cin, cout = cs.cout, k = cs.k, stride = cs.stride;
      const int padding = static_cast<int>((k - stride) / 2);
      const Tensor x = random_tensor({T, cin}, 5), w = random_tensor({cin, cout, k}, 6), b = random_tensor({cout}, 7);
      TimeConvTranspose1d up(w, b, static_cast<int>(stride), padding, bf16 ? Precision::BF16 : Precision::F32);
      const float slope = 0.1f;
      Tensor y, taps;
      up.forward(x.data(), T, slope, y, taps);
      const int64_t out_rows = (T - 1) * stride - 2 * padding + k;
      ASSERT_EQ(y.shape(), (Shape{out_rows, cout}));
      for (int64_t o = 0; o < out_rows; ++o)
        for (int64_t c = 0; c < cout; ++c) {
          double want = b[c];
          for (int64_t j = 0; j < k; ++j) {  // input row t reaches o through tap j when t * stride - padding + j == o
            const int64_t at = o + padding - j;
            const int64_t t = at / stride;
            if (at < 0 || at % stride != 0 || t >= T) continue;
            for (int64_t i = 0; i < cin; ++i) {
              const float v = x[t * cin + i];
              want += static_cast<double>(as_used(v >= 0 ? v : v * slope, bf16)) * as_used(w[(i * cout + c) * k + j], bf16);
            }
          }
          EXPECT_NEAR(y[o * cout + c], want, 1e-5) << "k=" << k << " stride=" << stride << " bf16=" << bf16;
        }
    }
}

}  // namespace
}  // namespace parley
