// The time-major convolutions (the vocoder's layers) against direct double-precision sums of
// PyTorch's Conv1d and ConvTranspose1d definitions, in float32 and in bf16.
#include <gtest/gtest.h>

#include <cmath>
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
      TimeConv1d conv(w, b, d, bf16 ? Precision::BF16 : Precision::F32);
      ASSERT_EQ(conv.bf16(), bf16);
      TimeInput in;
      in.prepare(x.data(), T, cin, conv.padding() + 1, bf16, slope);
      Tensor y = random_tensor({T, cout}, 4), start = y.clone();
      conv.forward(in, y.data(), cout, true);  // y += conv(x)
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
      TimeInput in;
      in.prepare(x.data(), T, cin, 0, bf16);
      Tensor y, taps;
      up.forward(in, y, taps);
      const int64_t out_rows = (T - 1) * stride - 2 * padding + k;
      ASSERT_EQ(y.shape(), (Shape{out_rows, cout}));
      for (int64_t o = 0; o < out_rows; ++o)
        for (int64_t c = 0; c < cout; ++c) {
          double want = b[c];
          for (int64_t j = 0; j < k; ++j) {  // input row t reaches o through tap j when t * stride - padding + j == o
            const int64_t at = o + padding - j;
            const int64_t t = at / stride;
            if (at < 0 || at % stride != 0 || t >= T) continue;
            for (int64_t i = 0; i < cin; ++i)
              want += static_cast<double>(as_used(x[t * cin + i], bf16)) * as_used(w[(i * cout + c) * k + j], bf16);
          }
          EXPECT_NEAR(y[o * cout + c], want, 1e-5) << "k=" << k << " stride=" << stride << " bf16=" << bf16;
        }
    }
}

}  // namespace
}  // namespace parley
