#include "tensor/time_conv.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"
#include "tensor/fft_conv.h"
#include "tensor/kernels.h"
#include "tensor/onednn.h"
#include "tensor/parallel.h"

namespace parley {

namespace {

constexpr int64_t kRowGrain = 256;  // rows per chunk of the element-wise passes
constexpr int64_t kTileGrain = 64;  // Winograd tiles per chunk of the transforms
constexpr int64_t kChunkBytes = 512 << 10;  // a Winograd chunk's work space, for a core's L2 cache
constexpr int64_t kMinChunkTiles = 64;      // fewer rows than this and the products slow down
constexpr int64_t kNestedChunkTiles = 1024;  // a Winograd layer's chunks on a thread of a parallel loop
constexpr int64_t kMinBlockRows = 1024;     // the same for a direct convolution's blocks

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

// A Winograd layer's work space: transformed input (float32 or bf16) and the products.
struct WinogradWork {
  std::vector<float> v32, m;
  std::vector<uint16_t> v16;
  void reserve(size_t v, size_t products, bool bf16) {
    if (bf16 && v16.size() < v) v16.resize(v);
    if (!bf16 && v32.size() < v) v32.resize(v);
    if (m.size() < products) m.resize(products);
  }
};

namespace {

// y = x >= 0 ? x : x * slope, written so that it vectorises.
void leaky_relu(const float* __restrict x, float* __restrict y, int64_t n, float slope) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = v >= 0.f ? v : v * slope;
  }
}

// Solves for the inverse of a small matrix by Gauss-Jordan elimination with partial pivoting.
template <int N>
void invert(double (&a)[N][N], double (&inv)[N][N]) {
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) inv[i][j] = i == j;
  for (int c = 0; c < N; ++c) {
    int pivot = c;
    for (int r = c + 1; r < N; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    std::swap(inv[c], inv[pivot]);
    const double d = a[c][c];
    for (int j = 0; j < N; ++j) a[c][j] /= d, inv[c][j] /= d;
    for (int r = 0; r < N; ++r) {
      if (r == c || a[r][c] == 0) continue;
      const double f = a[r][c];
      for (int j = 0; j < N; ++j) a[r][j] -= f * a[c][j], inv[r][j] -= f * inv[c][j];
    }
  }
}

}  // namespace

// Toom-Cook at the points 0, 1, -1, 2, -2, 1/2 and infinity. The linear convolution s = w * d of 4
// taps and 4 values is fixed by its values at those points (at infinity: its leading coefficient),
// each the product of w's and d's values there: s = E^-1 ((G w) . (D d)) with E, G, D the
// evaluation matrices of 7, 4 and 4 coefficients. Correlation, what a convolution layer computes,
// is that map transposed: y = D^T ((G w) . (E^-T x)), so AT = D^T and BT = E^-T.
const Winograd& winograd_matrices() {
  static const Winograd m = [] {
    constexpr int P = Winograd::kPoints;
    const double points[P - 1] = {0, 1, -1, 2, -2, 0.5};
    Winograd w{};
    double e[P][P], e_inv[P][P];
    for (int p = 0; p < P; ++p) {
      const bool inf = p == P - 1;
      for (int c = 0; c < P; ++c) e[p][c] = inf ? (c == P - 1) : std::pow(points[p], c);
      for (int j = 0; j < Winograd::kTaps; ++j) w.g[p][j] = inf ? (j == Winograd::kTaps - 1) : std::pow(points[p], j);
      for (int q = 0; q < Winograd::kOut; ++q) w.at[q][p] = inf ? (q == Winograd::kOut - 1) : std::pow(points[p], q);
    }
    invert(e, e_inv);
    for (int p = 0; p < P; ++p)
      for (int l = 0; l < P; ++l) w.bt[p][l] = static_cast<float>(e_inv[l][p]);
    return w;
  }();
  return m;
}

bool time_conv_bf16(Precision precision) { return precision != Precision::F32 && onednn::native_bf16(); }

// ------------------------------------------------------------------------------------ convolution

namespace {
std::atomic<TimeConv1d::Algorithm> g_default_algorithm{TimeConv1d::Algorithm::Auto};
}  // namespace

void TimeConv1d::set_default_algorithm(Algorithm algorithm) { g_default_algorithm.store(algorithm); }

TimeConv1d::TimeConv1d(const Tensor& weight, const Tensor& bias, int dilation, Precision precision)
    : TimeConv1d(weight, bias, dilation, precision, g_default_algorithm.load()) {}

TimeConv1d::TimeConv1d(const Tensor& weight, const Tensor& bias, int dilation, Precision precision,
                       Algorithm algorithm)
    : dilation_(dilation), bf16_(time_conv_bf16(precision)), bias_(bias) {
  check(weight.ndim() == 3 && dilation >= 1, "conv weight must be [cout, cin, kernel]");
  cout_ = weight.dim(0);
  cin_ = weight.dim(1);
  kernel_ = weight.dim(2);
  check((kernel_ - 1) * dilation_ % 2 == 0, "'same' padding needs an even span");
  // FFT only when asked for: as the vocoder calls its layers (chunks of 2^17 values) it measured at
  // most even with Winograd (see time_conv.h).
  if (kernel_ % 2 == 1 && algorithm == Algorithm::Fft) {
    fft_ = std::make_shared<const FftConv1d>(weight, bias, dilation, bf16_, FftConv1d::block_for(kernel_));
    return;
  }
  // Where Winograd measured faster on HiFi-GAN's shapes (AVX-512): from 64 channels, in float32 and
  // bf16 (MMS-TTS's 64-channel stage in bf16 on Zen 4: 7 % less time for the whole paragraph on one
  // thread, and even on Zen 5; speecht5_hifigan unchanged; 32 channels 9 % slower). Narrower layers
  // move more transformed data than they save products.
  winograd_ = algorithm == Algorithm::Winograd || algorithm == Algorithm::Fft ||
              (algorithm == Algorithm::Auto && kernel_ >= 3 && cout_ >= 64);
  auto tap = [&](int64_t o, int64_t i, int64_t j) { return weight[(o * cin_ + i) * kernel_ + j]; };
  if (!winograd_) {
    w32_.resize(static_cast<size_t>(kernel_ * cin_ * cout_));
    for (int64_t o = 0; o < cout_; ++o)
      for (int64_t i = 0; i < cin_; ++i)
        for (int64_t j = 0; j < kernel_; ++j) w32_[(j * cin_ + i) * cout_ + o] = tap(o, i, j);
  } else {
    // Group g holds taps 4g .. 4g + 3 (zero past the kernel); point p's weight is G[p] . taps.
    const Winograd& wg = winograd_matrices();
    groups_ = (kernel_ + Winograd::kTaps - 1) / Winograd::kTaps;
    w32_.assign(static_cast<size_t>(Winograd::kPoints * groups_ * cin_ * cout_), 0.f);
    for (int p = 0; p < Winograd::kPoints; ++p)
      for (int64_t g = 0; g < groups_; ++g)
        for (int64_t i = 0; i < cin_; ++i)
          for (int64_t o = 0; o < cout_; ++o) {
            double sum = 0;
            for (int64_t jj = 0; jj < Winograd::kTaps && g * Winograd::kTaps + jj < kernel_; ++jj)
              sum += wg.g[p][jj] * static_cast<double>(tap(o, i, g * Winograd::kTaps + jj));
            w32_[((p * groups_ + g) * cin_ + i) * cout_ + o] = static_cast<float>(sum);
          }
  }
  narrow_if(bf16_, w32_, w16_);
}

void TimeConv1d::forward(const float* x, int64_t rows, float slope, float* y, int64_t ldy, bool accumulate) const {
  if (rows <= 0) return;
  if (fft_) return fft_->forward(x, rows, slope, y, ldy, accumulate);
  if (winograd_) return forward_winograd(x, rows, slope, y, ldy, accumulate);
  const int64_t item = bf16_ ? 2 : 4, pad = padding();
  const auto* w = bf16_ ? static_cast<const char*>(static_cast<const void*>(w16_.data()))
                        : static_cast<const char*>(static_cast<const void*>(w32_.data()));
  // Rows a block at a time: the block's activated input, with its padding rows, is written in the
  // layer's precision to a buffer in cache, then every tap runs over the block, so that the sums
  // too stay in cache between taps rather than streaming through memory once per tap. Blocks run
  // on all threads at once. (The block's taps copied side by side into one product measured slower.)
  const int64_t block = std::max<int64_t>(kMinBlockRows, kChunkBytes / (cout_ * 4 + cin_ * item));
  const int64_t blocks = (rows + block - 1) / block;
  auto run = [&](int64_t b0, int64_t b1) {
    thread_local std::vector<char> staged;
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t r0 = blk * block, n = std::min(rows, r0 + block) - r0;
      // Input rows [r0 - pad, r0 + n + pad); those outside the signal are the zero padding.
      staged.resize(static_cast<size_t>((n + 2 * pad) * cin_ * item));
      const int64_t from = std::max<int64_t>(0, r0 - pad), to = std::min(rows, r0 + n + pad);
      char* in = staged.data();
      std::memset(in, 0, static_cast<size_t>((from - (r0 - pad)) * cin_ * item));
      std::memset(in + (to - (r0 - pad)) * cin_ * item, 0, static_cast<size_t>((r0 + n + pad - to) * cin_ * item));
      char* at = in + (from - (r0 - pad)) * cin_ * item;
      if (bf16_)
        kernels::active().leaky_to_bf16(x + from * cin_, slope, reinterpret_cast<uint16_t*>(at), (to - from) * cin_);
      else
        leaky_relu(x + from * cin_, reinterpret_cast<float*>(at), (to - from) * cin_, slope);
      for (int64_t j = 0; j < kernel_; ++j)
        // Tap j reads input row t + j * dilation - padding for output row t; the bias comes with tap 0.
        onednn::matmul(bf16_, n, cout_, cin_, in + j * dilation_ * cin_ * item, cin_, w + j * cin_ * cout_ * item,
                       cout_, j == 0 && !bias_.empty() ? bias_.data() : nullptr, accumulate || j > 0, y + r0 * ldy,
                       ldy);
    }
  };
  if (blocks >= 2 * parallel::threads())
    parallel::for_range(blocks, 1, run);
  else
    run(0, blocks);
}

// Output rows of one dilation phase are taken four at a time: tile u covers rows
// start(u) + q * dilation, q < 4, with start(u) = (u / dilation) * 4 * dilation + u % dilation, so
// that the tiles of a block of 4 * dilation rows are `dilation` consecutive u. Its 7 input rows are
// start(u) + l * dilation - padding, l < 7, for the first group of taps; group g's are those of
// tile u + g * dilation (its taps sit 4 * g * dilation rows later).
//   V[p][u] = sum_l BT[p][l] x(row l of tile u)           (the input transform, float32)
//   M[p][u] = sum_g V[p][u + g * dilation] W[p][g]         (7 products, or 7 per group)
//   y(row q of tile u) = bias + sum_p AT[q][p] M[p][u]     (the output transform)
void TimeConv1d::forward_winograd(const float* x, int64_t rows, float slope, float* y, int64_t ldy,
                                  bool accumulate) const {
  const int64_t block = Winograd::kOut * dilation_;
  const int64_t tiles = (rows + block - 1) / block * dilation_;  // the tiles holding output rows
  // Tiles a chunk at a time. On the calling thread of a parallel program (the layer alone), at
  // least one chunk per thread so that each runs on one core, as large as a core's cache holds
  // (where the whole layer's transformed data would stream through memory: 7/4 of the input and
  // output, and the input again per group) but not below kMinChunkTiles, for the products' sake.
  // Already on one of several threads (a chunk of a vocoder stage): the products' rows are what
  // counts, and the chunks are few.
  const int64_t item = bf16_ ? 2 : 4;
  const int64_t per_tile = Winograd::kPoints * (groups_ * cin_ * item + cout_ * 4);
  const int64_t fits = kChunkBytes / per_tile, threads = parallel::threads();
  const int64_t most = parallel::nested() || threads == 1
                           ? std::max(kNestedChunkTiles, fits)
                           : std::max(kMinChunkTiles, std::min(fits, (tiles + 2 * threads - 1) / (2 * threads)));
  const int64_t chunks = (tiles + most - 1) / most, chunk = (tiles + chunks - 1) / chunks;  // equal chunks
  auto run = [&](int64_t c0, int64_t c1) {
    thread_local WinogradWork work;
    for (int64_t c = c0; c < c1; ++c)
      winograd_chunk(x, rows, slope, c * chunk, std::min(tiles, (c + 1) * chunk), tiles, work, y, ldy, accumulate);
  };
  // Enough chunks for every thread: one chunk per thread at a time, each on one core (the
  // products then run single-threaded). Otherwise chunk after chunk, each over all the threads.
  if (chunks >= 2 * parallel::threads())
    parallel::for_range(chunks, 1, run);
  else
    run(0, chunks);
}

// Tiles [u0, u1) of `tiles`.
void TimeConv1d::winograd_chunk(const float* x, int64_t rows, float slope, int64_t u0, int64_t u1, int64_t tiles,
                                WinogradWork& work, float* y, int64_t ldy, bool accumulate) const {
  constexpr int P = Winograd::kPoints, Q = Winograd::kOut;
  const Winograd& wg = winograd_matrices();
  const int64_t d = dilation_, pad = padding(), block = Q * d, n = u1 - u0;
  const int64_t width = groups_ * cin_;  // a stacked row: one tile's transform per group
  auto start = [d, block](int64_t u) { return u / d * block + u % d; };
  work.reserve(static_cast<size_t>(P * n * width), static_cast<size_t>(P * n * cout_), bf16_);
  float* v32 = work.v32.data();
  uint16_t* v16 = work.v16.data();
  float* m = work.m.data();

  // V[p][u - u0] holds, for each group g, point p of tile u + g * dilation's transformed input:
  // with the groups side by side, point p is one product over all the taps.
  const int64_t last = std::min(tiles + (groups_ - 1) * d, u1 + (groups_ - 1) * d);
  parallel::for_range(last - u0, kTileGrain, [&](int64_t a, int64_t b) {
    // One tile's activated input rows [row][cin], its transform [point][cin] and that as stored.
    thread_local std::vector<float> act, point;
    thread_local std::vector<uint16_t> point16;
    act.resize(static_cast<size_t>(P * cin_));
    point.resize(act.size());
    if (bf16_) point16.resize(act.size());
    float bt[P][P];
    std::memcpy(bt, wg.bt, sizeof bt);
    for (int64_t u = u0 + a; u < u0 + b; ++u) {
      const float* in[P];
      for (int l = 0; l < P; ++l) {
        float* row = act.data() + l * cin_;
        in[l] = row;
        const int64_t r = start(u) + l * d - pad;
        if (r < 0 || r >= rows) {  // outside the signal: the zero padding
          std::fill(row, row + cin_, 0.f);
          continue;
        }
        const float* src = x + r * cin_;
        if (slope == 1.f) {
          in[l] = src;
          continue;
        }
        leaky_relu(src, row, cin_, slope);
      }
      float* out = point.data();
      for (int p = 0; p < P; ++p) {
        const float* b = bt[p];
        float* o = out + p * cin_;
#pragma GCC ivdep
        for (int64_t c = 0; c < cin_; ++c)
          o[c] = b[0] * in[0][c] + b[1] * in[1][c] + b[2] * in[2][c] + b[3] * in[3][c] + b[4] * in[4][c] +
                 b[5] * in[5][c] + b[6] * in[6][c];
      }
      if (bf16_) kernels::active().to_bf16(out, point16.data(), P * cin_);
      for (int64_t g = 0; g < groups_; ++g) {
        const int64_t at = u - g * d;  // the tile whose group g reads this one
        if (at < u0 || at >= u1) continue;
        for (int p = 0; p < P; ++p) {
          const size_t o = static_cast<size_t>((p * n + at - u0) * width + g * cin_);
          if (bf16_)
            std::memcpy(v16 + o, point16.data() + p * cin_, sizeof(uint16_t) * cin_);
          else
            std::memcpy(v32 + o, out + p * cin_, sizeof(float) * cin_);
        }
      }
    }
  });

  const size_t item = bf16_ ? sizeof(uint16_t) : sizeof(float);
  const char* v = bf16_ ? reinterpret_cast<const char*>(v16) : reinterpret_cast<const char*>(v32);
  const char* w = bf16_ ? reinterpret_cast<const char*>(w16_.data()) : reinterpret_cast<const char*>(w32_.data());
  for (int p = 0; p < P; ++p)
    onednn::matmul(bf16_, n, cout_, width, v + static_cast<size_t>(p * n * width) * item, width,
                   w + static_cast<size_t>(p * width * cout_) * item, cout_, nullptr, false, m + p * n * cout_, cout_);

  const float* bias = bias_.empty() ? nullptr : bias_.data();
  parallel::for_range(n, kTileGrain, [&](int64_t a, int64_t b) {
    float at[Q][P];
    std::memcpy(at, wg.at, sizeof at);
    for (int64_t u = u0 + a; u < u0 + b; ++u) {
      const float* mp[P];
      for (int p = 0; p < P; ++p) mp[p] = m + (p * n + u - u0) * cout_;
      const int64_t outs = std::min<int64_t>(Q, (rows - start(u) + d - 1) / d);  // its rows within the signal
      float* yr[Q];
      for (int q = 0; q < outs; ++q) yr[q] = y + (start(u) + q * d) * ldy;
      for (int q = 0; q < outs; ++q) {
        const float* a = at[q];
        float* o = yr[q];
#pragma GCC ivdep
        for (int64_t c = 0; c < cout_; ++c) {
          const float sum = (bias ? bias[c] : 0.f) + a[0] * mp[0][c] + a[1] * mp[1][c] + a[2] * mp[2][c] +
                            a[3] * mp[3][c] + a[4] * mp[4][c] + a[5] * mp[5][c] + a[6] * mp[6][c];
          o[c] = accumulate ? o[c] + sum : sum;
        }
      }
    }
  });
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

void TimeConvTranspose1d::forward(const float* x, int64_t rows, float slope, Tensor& y, Tensor& taps) const {
  check(rows > 0, "a transposed convolution needs at least one input row");
  const int64_t out_rows = output_rows(rows), width = kernel_ * cout_;
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
  // The block's activated input in the layer's precision (this thread's; the loops below reach it
  // through the pointers, not by name, which on another thread would be that thread's).
  thread_local std::vector<float> staged32;
  thread_local std::vector<uint16_t> staged16;
  if (bf16_) staged16.resize(static_cast<size_t>(std::min(rows, block) * cin_));
  if (!bf16_) staged32.resize(static_cast<size_t>(std::min(rows, block) * cin_));
  float* in32 = staged32.data();
  uint16_t* in16 = staged16.data();
  const kernels::Table& kt = kernels::active();
  for (int64_t t0 = 0; t0 < rows; t0 += block) {
    const int64_t t1 = std::min(rows, t0 + block);
    parallel::for_range(t1 - t0, kRowGrain, [&](int64_t a, int64_t b) {
      const float* src = x + (t0 + a) * cin_;
      if (bf16_)
        kt.leaky_to_bf16(src, slope, in16 + a * cin_, (b - a) * cin_);
      else
        leaky_relu(src, in32 + a * cin_, (b - a) * cin_, slope);
    });
    const void* in = bf16_ ? static_cast<const void*>(in16) : static_cast<const void*>(in32);
    onednn::matmul(bf16_, t1 - t0, width, cin_, in, cin_, w, width, nullptr, false, taps.data(), width);
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
