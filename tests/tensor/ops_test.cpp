#include <atomic>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "common/test_util.h"
#include "tensor/linear.h"
#include "tensor/ops.h"
#include "tensor/parallel.h"

namespace parley {
namespace {

TEST(Ops, LinearMatchesNaiveProduct) {
  Tensor w = Tensor::from_vector({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector({3}, {0.5f, -1, 2});
  Linear lin(w, b);
  Tensor x = Tensor::from_vector({2, 2}, {1, -1, 2, 0.5f});
  Tensor y;
  lin.forward(x, y);
  ASSERT_EQ(y.shape(), (Shape{2, 3}));
  const float want[] = {1 - 2 + 0.5f, 3 - 4 - 1, 5 - 6 + 2, 2 + 1 + 0.5f, 6 + 2 - 1, 10 + 3 + 2};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y[i], want[i]) << i;
}

// for_pieces hands out every item once, in pieces of at most `piece` that start at its multiples;
// inside another parallel loop it runs the whole range on the calling thread.
TEST(Parallel, PiecesCoverEveryItemOnce) {
  parallel::set_threads(2);
  for (int64_t n : {1, 16, 17, 1003}) {
    std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
    std::atomic<bool> shaped{true};
    parallel::for_pieces(n, 16, [&](int64_t b, int64_t e) {
      if (b % 16 != 0 || e <= b || e - b > 16 || e > n) shaped = false;
      for (int64_t i = b; i < e; ++i) seen[static_cast<size_t>(i)]++;
    });
    EXPECT_TRUE(shaped.load()) << n;
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)].load(), 1) << "item " << i << " of " << n;
  }
  std::atomic<int> calls{0}, whole{0};
  parallel::for_range(2, 1, [&](int64_t, int64_t) {
    parallel::for_pieces(100, 10, [&](int64_t b, int64_t e) {
      calls++;
      if (b == 0 && e == 100) whole++;
    });
  });
  EXPECT_EQ(calls.load(), whole.load());
  EXPECT_GE(calls.load(), 1);
  int none = 0;
  parallel::for_pieces(0, 16, [&](int64_t, int64_t) { none++; });
  EXPECT_EQ(none, 0);
  parallel::set_threads(0);
}

TEST(Ops, LayerNormNormalisesEachRow) {
  Tensor x = Tensor::from_vector({2, 4}, {1, 2, 3, 4, -1, 0, 1, 10});
  Tensor g = Tensor::from_vector({4}, {1, 1, 2, 1});
  Tensor b = Tensor::from_vector({4}, {0, 0, 0, 1});
  Tensor y;
  ops::layer_norm(x, g, b, 1e-5f, y);
  // row 0: mean 2.5, var 1.25
  const float inv = 1.0f / std::sqrt(1.25f + 1e-5f);
  EXPECT_NEAR(y[0], -1.5f * inv, 1e-5);
  EXPECT_NEAR(y[2], 2 * 0.5f * inv, 1e-5);
  EXPECT_NEAR(y[3], 1.5f * inv + 1, 1e-5);
}

TEST(Ops, CausalAttentionSeesOnlyThePast) {
  // one head of width 1: with equal scores the output is the mean of the visible values
  const int t = 3;
  float q[t] = {0, 0, 0}, k[t] = {0, 0, 0}, v[t] = {1, 2, 6}, out[t];
  ops::attention(q, 1, k, 1, v, 1, out, 1, t, t, 1, 1, 1.0f, true);
  EXPECT_FLOAT_EQ(out[0], 1);
  EXPECT_FLOAT_EQ(out[1], 1.5f);
  EXPECT_FLOAT_EQ(out[2], 3);
}

TEST(Ops, Conv1dMatchesDirectSum) {
  // 2 in channels, 1 out channel, kernel 3, stride 2, padding 1, dilation 1
  Tensor x = Tensor::from_vector({2, 5}, {1, 2, 3, 4, 5, -1, 0, 1, 0, -1});
  Tensor w = Tensor::from_vector({1, 2, 3}, {1, 0, -1, 0.5f, 1, 0.5f});
  Tensor b = Tensor::from_vector({1}, {0.25f});
  Tensor y;
  ops::conv1d(x, w, b, 2, 1, 1, y);
  ASSERT_EQ(y.shape(), (Shape{1, 3}));
  for (int t = 0; t < 3; ++t) {
    float s = 0.25f;
    for (int c = 0; c < 2; ++c)
      for (int kk = 0; kk < 3; ++kk) {
        int src = t * 2 - 1 + kk;
        if (src >= 0 && src < 5) s += x[c * 5 + src] * w[c * 3 + kk];
      }
    EXPECT_FLOAT_EQ(y[t], s) << t;
  }
}

}  // namespace
}  // namespace parley
