#include "tensor/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.h"
#include "tensor/kernels.h"
#include "tensor/onednn.h"
#include "tensor/parallel.h"

namespace parley::ops {

namespace {

void check(bool ok, const char* what) {
  if (!ok) throw Error(ErrorKind::Internal, std::string("tensor op: ") + what);
}

// Element-wise work is split in chunks of at least this many values.
constexpr int64_t kElementGrain = 1 << 14;
// Up to this many rows, a product with a transposed right-hand side is a matrix-vector product per
// row (each weight read once), not a oneDNN call.
constexpr int kSmallRows = 8;

// Rows of `cols` values per chunk so that a chunk holds about kElementGrain values.
int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, kElementGrain / std::max<int64_t>(cols, 1)); }

}  // namespace

void set_threads(int n) { parallel::set_threads(n); }

int threads() { return parallel::threads(); }

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  if (M <= kSmallRows && !trans_a && trans_b && alpha == 1.f && beta == 0.f) {
    // A decoder step: one row per hypothesis against a weight matrix, a matrix-vector product.
    const kernels::Table& kt = kernels::active();
    parallel::for_range(N, std::max<int64_t>(16, 65536 / (4 * static_cast<int64_t>(K))), [&](int64_t o0, int64_t o1) {
      kt.gemv_f32(A, lda, M, B, ldb, K, nullptr, C, ldc, o0, o1);
    });
    return;
  }
  onednn::gemm_f32(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y) {
  const int64_t d = x.dim(-1);
  check(weight.numel() == d && bias.numel() == d, "layer_norm parameter size");
  const int64_t rows = x.numel() / d;
  if (&y != &x) y.resize(x.shape());
  const kernels::Table& kt = kernels::active();
  const float* in = x.data();
  float* out = y.data();
  parallel::for_range(rows, row_grain(d), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) kt.layer_norm(in + r * d, weight.data(), bias.data(), eps, out + r * d, d);
  });
}

namespace {

void elementwise(float* p, int64_t n, void (*fn)(float*, int64_t)) {
  parallel::for_range(n, kElementGrain, [&](int64_t b, int64_t e) { fn(p + b, e - b); });
}

}  // namespace

void gelu(Tensor& x) { elementwise(x.data(), x.numel(), kernels::active().gelu); }

void relu(Tensor& x) {
  float* p = x.data();
  for (int64_t i = 0, n = x.numel(); i < n; ++i) p[i] = p[i] > 0.f ? p[i] : 0.f;
}

void tanh(Tensor& x) { elementwise(x.data(), x.numel(), kernels::active().tanh); }

void leaky_relu(Tensor& x, float slope) {
  float* p = x.data();
  parallel::for_range(x.numel(), kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) p[i] = p[i] >= 0.f ? p[i] : p[i] * slope;
  });
}

void add(Tensor& x, const Tensor& y) {
  check(x.numel() == y.numel(), "add: sizes differ");
  float* p = x.data();
  const float* q = y.data();
  parallel::for_range(x.numel(), kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) p[i] += q[i];
  });
}

void add_then_divide(Tensor& x, const Tensor& y, float d) {
  check(x.numel() == y.numel(), "add_then_divide: sizes differ");
  float* p = x.data();
  const float* q = y.data();
  parallel::for_range(x.numel(), kElementGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) p[i] = (p[i] + q[i]) / d;
  });
}

void copy(const Tensor& x, Tensor& y) {
  y.resize(x.shape());
  const float* p = x.data();
  float* q = y.data();
  parallel::for_range(x.numel(), kElementGrain,
                      [&](int64_t b, int64_t e) { std::memcpy(q + b, p + b, sizeof(float) * (e - b)); });
}

void scale(Tensor& x, float s) {
  float* p = x.data();
  for (int64_t i = 0, n = x.numel(); i < n; ++i) p[i] *= s;
}

void add_row_bias(Tensor& x, const Tensor& bias) {
  const int64_t d = bias.numel();
  check(d > 0 && x.numel() % d == 0, "add_row_bias: sizes differ");
  float* p = x.data();
  for (int64_t r = 0, rows = x.numel() / d; r < rows; ++r)
    for (int64_t i = 0; i < d; ++i) p[r * d + i] += bias[i];
}

void softmax_rows(float* x, int64_t rows, int64_t cols) {
  const kernels::Table& kt = kernels::active();
  parallel::for_range(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) kt.softmax(x + r * cols, cols, 1.f);
  });
}

void log_softmax(float* x, int64_t n) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - mx);
  const float lse = mx + static_cast<float>(std::log(sum));
  for (int64_t i = 0; i < n; ++i) x[i] -= lse;
}

namespace {

// Up to this many queries, attention runs fused per head: scores by matrix-vector products over
// the keys, softmax, and a weighted sum of the values, each key and value read once.
constexpr int kFusedQueries = 8;

// Scores q . k^T and weighted sums of v for float32 keys/values and for bf16 ones.
void scores(const kernels::Table& kt, const float* q, int ldq, int tq, const float* k, int ldk, int hd, float* s, int tk) {
  kt.gemv_f32(q, ldq, tq, k, ldk, hd, nullptr, s, tk, 0, tk);
}
void scores(const kernels::Table& kt, const float* q, int ldq, int tq, const uint16_t* k, int ldk, int hd, float* s,
            int tk) {
  kt.gemv_bf16(q, ldq, tq, k, ldk, hd, nullptr, s, tk, 0, tk);
}
void weighted(const kernels::Table& kt, const float* p, int n, const float* v, int ldv, int hd, float* out) {
  kt.weighted_sum(p, n, v, ldv, hd, out);
}
void weighted(const kernels::Table& kt, const float* p, int n, const uint16_t* v, int ldv, int hd, float* out) {
  kt.weighted_sum_bf16(p, n, v, ldv, hd, out);
}

// tq <= kFusedQueries.
template <typename T>
void attention_fused(const float* q, int ldq, const T* k, int ldk, const T* v, int ldv, float* out, int ldo, int tq,
                     int tk, int heads, int head_dim, float scale, bool causal, int64_t ksh, int64_t vsh) {
  const kernels::Table& kt = kernels::active();
  const int offset = tk - tq;
  // Per head: tq * tk scores; split heads over threads when there is enough work.
  const int64_t grain = std::max<int64_t>(1, 32768 / (static_cast<int64_t>(tk) * head_dim * tq + 1));
  const auto heads_from_to = [&](int64_t h0, int64_t h1) {
    thread_local std::vector<float> row_scores;
    row_scores.resize(static_cast<size_t>(tq) * tk);
    for (int64_t h = h0; h < h1; ++h) {
      const T* kh = k + h * ksh;
      const T* vh = v + h * vsh;
      scores(kt, q + h * head_dim, ldq, tq, kh, ldk, head_dim, row_scores.data(), tk);
      for (int i = 0; i < tq; ++i) {
        float* row = row_scores.data() + static_cast<size_t>(i) * tk;
        const int visible = causal ? std::max(0, std::min(tk, i + offset + 1)) : tk;
        for (int j = visible; j < tk; ++j) row[j] = -std::numeric_limits<float>::infinity();
        kt.softmax(row, tk, scale);
        weighted(kt, row, visible, vh, ldv, head_dim, out + static_cast<int64_t>(i) * ldo + h * head_dim);
      }
    }
  };
  // Where one head is work enough (Whisper's cross-attention reads 750 KB of f32 keys and values
  // per head), the threads take heads one at a time: one may stream faster than the other.
  if (grain == 1)
    parallel::for_pieces(heads, 1, heads_from_to);
  else
    parallel::for_range(heads, grain, heads_from_to);
}

}  // namespace

void attention(const float* q, int ldq, const float* k, int ldk, const float* v, int ldv, float* out, int ldo, int tq,
               int tk, int heads, int head_dim, float scale, bool causal, int64_t k_head_stride, int64_t v_head_stride) {
  const int64_t ksh = k_head_stride < 0 ? head_dim : k_head_stride;
  const int64_t vsh = v_head_stride < 0 ? head_dim : v_head_stride;
  if (tq <= kFusedQueries) {
    attention_fused(q, ldq, k, ldk, v, ldv, out, ldo, tq, tk, heads, head_dim, scale, causal, ksh, vsh);
    return;
  }
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(tq) * tk);
  const int offset = tk - tq;
  for (int h = 0; h < heads; ++h) {
    const int c = h * head_dim;
    gemm(false, true, tq, tk, head_dim, scale, q + c, ldq, k + h * ksh, ldk, 0.f, scores.data(), tk);
    if (causal)
      for (int i = 0; i < tq; ++i)
        for (int j = std::max(0, i + offset + 1); j < tk; ++j)
          scores[static_cast<size_t>(i) * tk + j] = -std::numeric_limits<float>::infinity();
    softmax_rows(scores.data(), tq, tk);
    gemm(false, false, tq, head_dim, tk, 1.f, scores.data(), tk, v + h * vsh, ldv, 0.f, out + c, ldo);
  }
}

void attention(const float* q, int ldq, const uint16_t* k, int ldk, const uint16_t* v, int ldv, float* out, int ldo,
               int tq, int tk, int heads, int head_dim, float scale, bool causal, int64_t k_head_stride,
               int64_t v_head_stride) {
  const int64_t ksh = k_head_stride < 0 ? head_dim : k_head_stride;
  const int64_t vsh = v_head_stride < 0 ? head_dim : v_head_stride;
  // Fused, kFusedQueries at a time: queries [i0, i1) see, when causal, the keys up to i1 + (tk - tq).
  for (int i0 = 0; i0 < tq; i0 += kFusedQueries) {
    const int i1 = std::min(tq, i0 + kFusedQueries);
    const int keys = causal ? i1 + (tk - tq) : tk;
    attention_fused(q + static_cast<int64_t>(i0) * ldq, ldq, k, ldk, v, ldv, out + static_cast<int64_t>(i0) * ldo, ldo,
                    i1 - i0, keys, heads, head_dim, scale, causal, ksh, vsh);
  }
}

void to_bf16(const float* x, uint16_t* y, int64_t n) { kernels::active().to_bf16(x, y, n); }

void conv1d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int padding, int dilation, Tensor& y) {
  check(x.ndim() == 2 && w.ndim() == 3 && w.dim(1) == x.dim(0), "conv1d shapes");
  const int64_t cin = x.dim(0), t_in = x.dim(1), cout = w.dim(0), ks = w.dim(2);
  const int64_t t_out = (t_in + 2 * padding - dilation * (ks - 1) - 1) / stride + 1;
  check(t_out > 0, "conv1d: input shorter than the kernel");
  y.resize({cout, t_out});
  if (onednn::conv1d_f32(x.data(), cin, t_in, w.data(), cout, ks, bias.empty() ? nullptr : bias.data(), stride, padding,
                         dilation, y.data(), t_out))
    return;
  // im2col over blocks of output time steps, so memory stays bounded for long signals.
  const int64_t block = std::min<int64_t>(t_out, 2048);
  thread_local std::vector<float> cols;
  cols.resize(static_cast<size_t>(cin * ks * block));
  for (int64_t t0 = 0; t0 < t_out; t0 += block) {
    const int64_t n = std::min(block, t_out - t0);
    for (int64_t ci = 0; ci < cin; ++ci) {
      const float* xr = x.data() + ci * t_in;
      for (int64_t kk = 0; kk < ks; ++kk) {
        float* cr = cols.data() + (ci * ks + kk) * n;
        for (int64_t t = 0; t < n; ++t) {
          const int64_t src = (t0 + t) * stride - padding + kk * dilation;
          cr[t] = (src >= 0 && src < t_in) ? xr[src] : 0.f;
        }
      }
    }
    gemm(false, false, static_cast<int>(cout), static_cast<int>(n), static_cast<int>(cin * ks), 1.f, w.data(),
         static_cast<int>(cin * ks), cols.data(), static_cast<int>(n), 0.f, y.data() + t0, static_cast<int>(t_out));
  }
  if (!bias.empty())
    for (int64_t co = 0; co < cout; ++co) {
      float* yr = y.data() + co * t_out;
      for (int64_t t = 0; t < t_out; ++t) yr[t] += bias[co];
    }
}

void transpose(const Tensor& x, Tensor& y) {
  check(x.ndim() == 2, "transpose needs a matrix");
  const int64_t r = x.dim(0), c = x.dim(1);
  y.resize({c, r});
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) y.data()[j * r + i] = x.data()[i * c + j];
}

}  // namespace parley::ops
