#include "tensor/ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

#include "core/error.h"

namespace parley::ops {

namespace {
int g_threads = 0;

void check(bool ok, const char* what) {
  if (!ok) throw Error(ErrorKind::Internal, std::string("tensor op: ") + what);
}
}  // namespace

void set_threads(int n) {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  g_threads = n <= 0 ? hw : n;
  openblas_set_num_threads(g_threads);
}

int threads() { return g_threads > 0 ? g_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  if (M == 1 && !trans_a) {
    // One row (a decoder step): a matrix-vector product. sgemm would first copy ("pack") all of B,
    // tripling the memory traffic of a step whose cost is reading the weights once.
    if (trans_b) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, alpha, B, ldb, A, 1, beta, C, 1);
    } else {
      cblas_sgemv(CblasRowMajor, CblasTrans, K, N, alpha, B, ldb, A, 1, beta, C, 1);
    }
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}

void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y) {
  const int64_t d = x.dim(-1);
  check(weight.numel() == d && bias.numel() == d, "layer_norm parameter size");
  const int64_t rows = x.numel() / d;
  if (&y != &x) y.resize(x.shape());
  const float* w = weight.data();
  const float* b = bias.data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * d;
    float* out = y.data() + r * d;
    double mean = 0;
    for (int64_t i = 0; i < d; ++i) mean += in[i];
    mean /= d;
    double var = 0;
    for (int64_t i = 0; i < d; ++i) var += (in[i] - mean) * (in[i] - mean);
    var /= d;
    const float m = static_cast<float>(mean);
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
    for (int64_t i = 0; i < d; ++i) out[i] = (in[i] - m) * inv * w[i] + b[i];
  }
}

void gelu(Tensor& x) {
  float* p = x.data();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = 0.5f * p[i] * (1.0f + std::erf(p[i] * static_cast<float>(M_SQRT1_2)));
}

void relu(Tensor& x) {
  float* p = x.data();
  for (int64_t i = 0, n = x.numel(); i < n; ++i) p[i] = p[i] > 0.f ? p[i] : 0.f;
}

void tanh(Tensor& x) {
  float* p = x.data();
  for (int64_t i = 0, n = x.numel(); i < n; ++i) p[i] = std::tanh(p[i]);
}

void leaky_relu(Tensor& x, float slope) {
  float* p = x.data();
  for (int64_t i = 0, n = x.numel(); i < n; ++i) p[i] = p[i] >= 0.f ? p[i] : p[i] * slope;
}

void add(Tensor& x, const Tensor& y) {
  check(x.numel() == y.numel(), "add: sizes differ");
  float* p = x.data();
  const float* q = y.data();
  for (int64_t i = 0, n = x.numel(); i < n; ++i) p[i] += q[i];
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
  for (int64_t r = 0; r < rows; ++r) {
    float* p = x + r * cols;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < cols; ++i) mx = std::max(mx, p[i]);
    if (mx == -std::numeric_limits<float>::infinity()) {  // fully masked row: PyTorch gives NaN; keep zeros
      std::fill(p, p + cols, 0.f);
      continue;
    }
    float sum = 0;
    for (int64_t i = 0; i < cols; ++i) {
      p[i] = std::exp(p[i] - mx);
      sum += p[i];
    }
    const float inv = 1.0f / sum;
    for (int64_t i = 0; i < cols; ++i) p[i] *= inv;
  }
}

void log_softmax(float* x, int64_t n) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - mx);
  const float lse = mx + static_cast<float>(std::log(sum));
  for (int64_t i = 0; i < n; ++i) x[i] -= lse;
}

void attention(const float* q, int ldq, const float* k, int ldk, const float* v, int ldv, float* out, int ldo, int tq,
               int tk, int heads, int head_dim, float scale, bool causal) {
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(tq) * tk);
  const int offset = tk - tq;
  for (int h = 0; h < heads; ++h) {
    const int c = h * head_dim;
    gemm(false, true, tq, tk, head_dim, scale, q + c, ldq, k + c, ldk, 0.f, scores.data(), tk);
    if (causal)
      for (int i = 0; i < tq; ++i)
        for (int j = std::max(0, i + offset + 1); j < tk; ++j)
          scores[static_cast<size_t>(i) * tk + j] = -std::numeric_limits<float>::infinity();
    softmax_rows(scores.data(), tq, tk);
    gemm(false, false, tq, head_dim, tk, 1.f, scores.data(), tk, v + c, ldv, 0.f, out + c, ldo);
  }
}

void conv1d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int padding, int dilation, Tensor& y) {
  check(x.ndim() == 2 && w.ndim() == 3 && w.dim(1) == x.dim(0), "conv1d shapes");
  const int64_t cin = x.dim(0), t_in = x.dim(1), cout = w.dim(0), ks = w.dim(2);
  const int64_t t_out = (t_in + 2 * padding - dilation * (ks - 1) - 1) / stride + 1;
  check(t_out > 0, "conv1d: input shorter than the kernel");
  y.resize({cout, t_out});
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

void conv_transpose1d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int padding, Tensor& y) {
  check(x.ndim() == 2 && w.ndim() == 3 && w.dim(0) == x.dim(0), "conv_transpose1d shapes");
  const int64_t cin = x.dim(0), t_in = x.dim(1), cout = w.dim(1), ks = w.dim(2);
  const int64_t t_out = (t_in - 1) * stride - 2 * padding + ks;
  check(t_out > 0, "conv_transpose1d: empty output");
  y.resize({cout, t_out});
  std::fill(y.data(), y.data() + y.numel(), 0.f);
  // cols [cout*ks, t_in] = W^T [cout*ks, cin] . x [cin, t_in], then scatter-add into the output.
  thread_local std::vector<float> cols;
  cols.resize(static_cast<size_t>(cout * ks * t_in));
  gemm(true, false, static_cast<int>(cout * ks), static_cast<int>(t_in), static_cast<int>(cin), 1.f, w.data(),
       static_cast<int>(cout * ks), x.data(), static_cast<int>(t_in), 0.f, cols.data(), static_cast<int>(t_in));
  for (int64_t co = 0; co < cout; ++co) {
    float* yr = y.data() + co * t_out;
    for (int64_t kk = 0; kk < ks; ++kk) {
      const float* cr = cols.data() + (co * ks + kk) * t_in;
      for (int64_t t = 0; t < t_in; ++t) {
        const int64_t dst = t * stride + kk - padding;
        if (dst >= 0 && dst < t_out) yr[dst] += cr[t];
      }
    }
    if (!bias.empty())
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
