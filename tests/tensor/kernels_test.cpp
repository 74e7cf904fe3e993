// The op layer's own kernels against plain double-precision loops, in both instruction-set forms
// where the CPU has AVX-512, and Linear's reduced precisions against float32.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/memory.h"
#include "tensor/cpu.h"
#include "tensor/kernels.h"
#include "tensor/linear.h"
#include "tensor/ops.h"
#include "tensor/precision.h"

namespace parley {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<const kernels::Table*> tables() {
  std::vector<const kernels::Table*> t = {&kernels::generic()};
  if (kernels::avx512()) t.push_back(kernels::avx512());
  return t;
}

// Odd sizes exercise the vector tails.
TEST(Kernels, GemvMatchesDoubleSumsForEveryRowCountAndTail) {
  const int64_t in = 37, out = 23;
  const auto w = random_values(out * in, 1);
  const auto x = random_values(8 * in, 2);
  const auto bias = random_values(out, 3);
  for (const kernels::Table* kt : tables())
    for (int M = 1; M <= 8; ++M) {
      std::vector<float> y(M * out, 0.f);
      kt->gemv_f32(x.data(), in, M, w.data(), in, in, bias.data(), y.data(), out, 3, out);  // rows [3, out)
      for (int m = 0; m < M; ++m)
        for (int64_t o = 3; o < out; ++o) {
          double want = bias[o];
          for (int64_t k = 0; k < in; ++k) want += static_cast<double>(x[m * in + k]) * w[o * in + k];
          EXPECT_NEAR(y[m * out + o], want, 1e-5) << "M=" << M << " o=" << o;
        }
      EXPECT_EQ(y[0], 0.f);  // outside [o0, o1): untouched
    }
}

// The dot-product kernels (where the CPU has them) against plain sums of the same rounded inputs:
// int8 exactly (integer sums), bf16 to float rounding of the sums. Sizes cover the 64-byte and
// 32-value tails, partial blocks of four output rows and every row count.
TEST(Kernels, DotProductGemvsMatchPlainSumsOfTheirRoundedInputs) {
  const kernels::Table* kt = kernels::avx512();
  EXPECT_EQ(kernels::generic().gemv_q8 == nullptr && kernels::generic().gemv_bf16x == nullptr, true);
  if (!kt) return;  // no AVX-512: only the generic table, which has neither
  EXPECT_EQ(kt->gemv_q8 != nullptr, cpu::features().avx512_vnni);
  EXPECT_EQ(kt->gemv_bf16x != nullptr, cpu::features().avx512_bf16);
  for (int64_t in : {5, 64, 100, 515}) {
    const int64_t out = 23;
    std::mt19937 rng(static_cast<uint32_t>(in));
    std::uniform_int_distribution<int> qw(-127, 127), qx(1, 255);
    std::vector<int8_t> w(out * in);
    std::vector<uint8_t> x(8 * in);
    for (auto& v : w) v = static_cast<int8_t>(qw(rng));
    for (auto& v : x) v = static_cast<uint8_t>(qx(rng));
    std::vector<int32_t> wsum(out, 0);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < in; ++k) wsum[o] += w[o * in + k];
    const auto scales = random_values(out, 11, 0.01f, 0.02f);
    const auto xscale = random_values(8, 12, 0.01f, 0.02f);
    const auto bias = random_values(out, 13);
    const auto wf = random_values(out * in, 14), xf = random_values(8 * in, 15);
    std::vector<uint16_t> wb(out * in), xb(8 * in);
    for (size_t i = 0; i < wb.size(); ++i) wb[i] = kernels::to_bf16(wf[i]);
    for (size_t i = 0; i < xb.size(); ++i) xb[i] = kernels::to_bf16(xf[i]);
    for (int M = 1; M <= 8; ++M)
      for (int64_t o0 : {0, 3, 21}) {
        std::vector<float> yq(M * out, 0.f), yb(M * out, 0.f);
        if (kt->gemv_q8)
          kt->gemv_q8(x.data(), in, M, xscale.data(), w.data(), in, in, scales.data(), wsum.data(), bias.data(),
                      yq.data(), out, o0, out);
        if (kt->gemv_bf16x) kt->gemv_bf16x(xb.data(), in, M, wb.data(), in, in, bias.data(), yb.data(), out, o0, out);
        for (int m = 0; m < M; ++m)
          for (int64_t o = o0; o < out; ++o) {
            int64_t iq = 0;
            double db = bias[o];
            for (int64_t k = 0; k < in; ++k) {
              iq += (static_cast<int64_t>(x[m * in + k]) - 128) * w[o * in + k];
              db += static_cast<double>(kernels::from_bf16(xb[m * in + k])) * kernels::from_bf16(wb[o * in + k]);
            }
            const double want_q = bias[o] + static_cast<double>(xscale[m]) * scales[o] * static_cast<double>(iq);
            if (kt->gemv_q8) {
              EXPECT_NEAR(yq[m * out + o], want_q, 1e-5 * (1 + std::fabs(want_q))) << "in=" << in << " M=" << M;
            }
            if (kt->gemv_bf16x) {
              EXPECT_NEAR(yb[m * out + o], db, 1e-5 * (1 + static_cast<double>(in))) << "in=" << in << " M=" << M;
            }
          }
        if (o0 > 0) {
          EXPECT_EQ(yq[0] + yb[0], 0.f);  // outside [o0, o1): untouched
        }
      }
  }
}

TEST(Kernels, VectorMathMatchesTheStandardLibrary) {
  for (const kernels::Table* kt : tables()) {
    auto x = random_values(53, 4, -6.f, 6.f);
    auto g = x, t = x;
    kt->gelu(g.data(), static_cast<int64_t>(g.size()));
    kt->tanh(t.data(), static_cast<int64_t>(t.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(g[i], 0.5 * x[i] * (1 + std::erf(x[i] / std::sqrt(2.0))), 2e-6) << x[i];
      EXPECT_NEAR(t[i], std::tanh(static_cast<double>(x[i])), 2e-6) << x[i];
    }
    std::vector<float> s = random_values(19, 5, -30.f, 30.f);
    const std::vector<float> raw = s;
    kt->softmax(s.data(), static_cast<int64_t>(s.size()), 0.5f);
    double mx = -1e30, sum = 0;
    for (float v : raw) mx = std::max(mx, 0.5 * v);
    for (float v : raw) sum += std::exp(0.5 * v - mx);
    for (size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(s[i], std::exp(0.5 * raw[i] - mx) / sum, 1e-6);
  }
}

TEST(Kernels, Bf16RoundsToNearestEven) {
  EXPECT_EQ(kernels::to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(kernels::from_bf16(0x3f80), 1.0f);
  // 1 + 2^-8 is halfway between two bf16 values: ties go to the even one (1.0).
  EXPECT_EQ(kernels::to_bf16(1.0f + 1.0f / 256), 0x3f80);
  EXPECT_EQ(kernels::to_bf16(1.0f + 3.0f / 256), 0x3f82);
  EXPECT_TRUE(std::isnan(kernels::from_bf16(kernels::to_bf16(NAN))));
  for (const kernels::Table* kt : tables()) {
    const float v[3] = {1.0f + 1.0f / 256, -2.5f, 1e-3f};
    uint16_t b[3];
    kt->to_bf16(v, b, 3);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(b[i], kernels::to_bf16(v[i]));
  }
}

// Reduced weights: every product within a quarter of the worst case its roundings allow (bf16: 2^-9
// relative per weight, and per input where the input is rounded too: many rows, or the BF16 and
// VNNI dot-product kernels, whose int8 input steps of max|x|/127 are within that 2^-8 as well;
// int8: half a step of max|w|/127 per weight; the signs of the errors are random, so the worst
// case is never near), for one row (matrix-vector kernels) and many (oneDNN).
TEST(Linear, ReducedPrecisionsStayWithinTheirRounding) {
  const int64_t in = 96, out = 40;
  const Tensor w = Tensor::from_vector({out, in}, random_values(out * in, 6));
  const Tensor b = Tensor::from_vector({out}, random_values(out, 7));
  const Linear ref(w, b, Precision::F32);
  for (Precision p : {Precision::BF16, Precision::Int8}) {
    const Linear lin(w, b, p);
    EXPECT_TRUE(lin.weight().empty());
    EXPECT_EQ(lin.precision(), p);
    for (int64_t rows : {1, 3, 50}) {
      const Tensor x = Tensor::from_vector({rows, in}, random_values(rows * in, 8));
      Tensor y0, y1;
      ref.forward(x, y0);
      lin.forward(x, y1);
      const double per_weight = p == Precision::BF16 ? 1.0 / 256 : 0.5 / 127 + 1.0 / 256;
      for (int64_t i = 0; i < y0.numel(); ++i) EXPECT_NEAR(y1[i], y0[i], in * per_weight * 0.25) << precision_name(p);
    }
  }
}

// A decoder step's few rows go in pieces of output rows taken by both threads in turn: every row
// is computed once, as a whole layer on one thread computes it, and matches double sums.
TEST(Linear, FewRowsInPiecesMatchOneThreadAndDoubleSums) {
  const int64_t in = 64, out = 1003;  // pieces of 256 rows; the last is 235, not a multiple of 4
  const std::vector<float> wv = random_values(out * in, 11), bv = random_values(out, 12);
  const Linear lin(Tensor::from_vector({out, in}, wv), Tensor::from_vector({out}, bv), Precision::F32);
  for (int64_t rows : {1, 5}) {
    const Tensor x = Tensor::from_vector({rows, in}, random_values(rows * in, 13));
    Tensor one, two;
    ops::set_threads(1);
    lin.forward(x, one);
    ops::set_threads(2);
    lin.forward(x, two);
    ops::set_threads(0);
    for (int64_t m = 0; m < rows; ++m)
      for (int64_t o = 0; o < out; ++o) {
        double want = bv[o];
        for (int64_t k = 0; k < in; ++k) want += static_cast<double>(x[m * in + k]) * wv[o * in + k];
        ASSERT_EQ(two[m * out + o], one[m * out + o]) << "row " << m << " output " << o;
        ASSERT_NEAR(two[m * out + o], want, 1e-5) << "row " << m << " output " << o;
      }
  }
}

// Float32 weights are the layer's own copy (in huge-page memory, core/memory.h), not the tensor it
// was given, which may map the model file: the source can go and the products stay the same.
TEST(Linear, Float32WeightsAreItsOwnCopy) {
  const int64_t in = 512, out = 1100;  // 2.1 MB: one whole huge page
  const std::vector<float> wv = random_values(out * in, 21);
  const Tensor x = Tensor::from_vector({1, in}, random_values(in, 22));
  Tensor before, after;
  Linear lin;
  {
    const Tensor w = Tensor::from_vector({out, in}, wv);
    const Linear from_w(w, Tensor(), Precision::F32);
    from_w.forward(x, before);
    EXPECT_NE(from_w.weight().data(), w.data());
    lin = from_w;
  }
  if (kLargeBlocksAreMappings) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(lin.weight().data()) % (size_t{2} << 20), 0u);
  }
  for (int64_t i = 0; i < out * in; ++i) ASSERT_EQ(lin.weight()[i], wv[i]) << i;
  lin.forward(x, after);
  for (int64_t o = 0; o < out; ++o) ASSERT_EQ(after[o], before[o]) << o;
}

TEST(Linear, DefaultPrecisionAppliesToLayersBuiltWithoutOne) {
  const Tensor w = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  set_default_precision(Precision::BF16);
  const Linear a(w, Tensor());
  set_default_precision(Precision::F32);
  const Linear b(w, Tensor());
  EXPECT_EQ(a.precision(), Precision::BF16);
  EXPECT_EQ(b.precision(), Precision::F32);
}

TEST(Precision, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_precision("f32"), Precision::F32);
  EXPECT_EQ(parse_precision("bf16"), Precision::BF16);
  EXPECT_EQ(parse_precision("int8"), Precision::Int8);
  try {
    parse_precision("fp8");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("bf16"), std::string::npos);
  }
}

TEST(Ops, StridedFusedAttentionMatchesTheInterleavedLayout) {
  // Two heads of 4 over 5 keys: [pos, heads*hd] interleaved vs [head][pos][hd] blocks.
  const int heads = 2, hd = 4, tk = 5;
  const auto q = random_values(heads * hd, 9);
  const auto k = random_values(tk * heads * hd, 10);
  const auto v = random_values(tk * heads * hd, 11);
  std::vector<float> kb(k.size()), vb(v.size());
  for (int h = 0; h < heads; ++h)
    for (int t = 0; t < tk; ++t)
      for (int d = 0; d < hd; ++d) {
        kb[(h * tk + t) * hd + d] = k[t * heads * hd + h * hd + d];
        vb[(h * tk + t) * hd + d] = v[t * heads * hd + h * hd + d];
      }
  std::vector<float> a(heads * hd), b(heads * hd);
  ops::attention(q.data(), heads * hd, k.data(), heads * hd, v.data(), heads * hd, a.data(), heads * hd, 1, tk, heads,
                 hd, 0.5f, true);
  ops::attention(q.data(), heads * hd, kb.data(), hd, vb.data(), hd, b.data(), heads * hd, 1, tk, heads, hd, 0.5f, true,
                 tk * hd, tk * hd);
  for (int i = 0; i < heads * hd; ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
}

// The bf16 weighted sum (a reduced-precision attention cache) against double sums of the widened
// values, with a column count that leaves a tail in the last block of 64.
TEST(Kernels, Bf16WeightedSumMatchesDoubleSumsOfTheWidenedValues) {
  const int64_t n = 29, dim = 83, ldv = 90;
  const auto p = random_values(n, 12, 0.f, 1.f);
  const auto vf = random_values(n * ldv, 13);
  std::vector<uint16_t> v(vf.size());
  for (size_t i = 0; i < vf.size(); ++i) v[i] = kernels::to_bf16(vf[i]);
  for (const kernels::Table* kt : tables()) {
    std::vector<float> out(dim + 1, 7.f);
    kt->weighted_sum_bf16(p.data(), n, v.data(), ldv, dim, out.data());
    for (int64_t d = 0; d < dim; ++d) {
      double want = 0;
      for (int64_t j = 0; j < n; ++j) want += static_cast<double>(p[j]) * kernels::from_bf16(v[j * ldv + d]);
      EXPECT_NEAR(out[d], want, 1e-5) << "d=" << d;
    }
    EXPECT_EQ(out[dim], 7.f);  // past dim: untouched
  }
}

// Attention over a bf16 cache equals float32 attention over the same rounded keys and values, for
// one query and for a causal block of queries longer than the fused path takes at once.
TEST(Ops, Bf16CacheAttentionMatchesFloatAttentionOverTheRoundedValues) {
  const int heads = 3, hd = 20, tk = 40;
  const auto k = random_values(heads * tk * hd, 14);
  const auto v = random_values(heads * tk * hd, 15);
  std::vector<uint16_t> k16(k.size()), v16(v.size());
  ops::to_bf16(k.data(), k16.data(), static_cast<int64_t>(k.size()));
  ops::to_bf16(v.data(), v16.data(), static_cast<int64_t>(v.size()));
  std::vector<float> kr(k.size()), vr(v.size());
  for (size_t i = 0; i < k.size(); ++i) {
    EXPECT_EQ(k16[i], kernels::to_bf16(k[i]));
    kr[i] = kernels::from_bf16(k16[i]);
    vr[i] = kernels::from_bf16(v16[i]);
  }
  for (int tq : {1, 19}) {
    for (bool causal : {false, true}) {
      const auto q = random_values(tq * heads * hd, 16 + tq);
      std::vector<float> want(tq * heads * hd), got(tq * heads * hd);
      ops::attention(q.data(), heads * hd, kr.data(), hd, vr.data(), hd, want.data(), heads * hd, tq, tk, heads, hd,
                     0.3f, causal, tk * hd, tk * hd);
      ops::attention(q.data(), heads * hd, k16.data(), hd, v16.data(), hd, got.data(), heads * hd, tq, tk, heads, hd,
                     0.3f, causal, tk * hd, tk * hd);
      for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "tq=" << tq << " i=" << i;
    }
  }
}

}  // namespace
}  // namespace parley
