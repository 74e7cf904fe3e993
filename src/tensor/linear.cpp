#include "tensor/linear.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/memory.h"
#include "tensor/kernels.h"
#include "tensor/onednn.h"
#include "tensor/parallel.h"

namespace parley {

namespace {

// Weight rows are dequantised for oneDNN in blocks of this many (bounded scratch memory).
constexpr int64_t kDequantRows = 1024;
// Floats per thread below which copying weights at load stays on one thread (256 KB).
constexpr int64_t kCopyGrain = 65536;

int64_t element_bytes(Precision p) { return p == Precision::F32 ? 4 : p == Precision::BF16 ? 2 : 1; }

}  // namespace

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::F32: return "f32";
    case Precision::BF16: return "bf16";
    case Precision::Int8: return "int8";
  }
  return "?";
}

Precision parse_precision(std::string_view name) {
  if (name == "f32" || name == "float32") return Precision::F32;
  if (name == "bf16" || name == "bfloat16") return Precision::BF16;
  if (name == "int8") return Precision::Int8;
  invalid_argument("unknown precision '" + std::string(name) + "' (use f32, bf16 or int8)");
}

namespace {
std::atomic<Precision> g_default_precision{Precision::F32};
}  // namespace

void set_default_precision(Precision p) { g_default_precision.store(p); }
Precision default_precision() { return g_default_precision.load(); }

// Converted weights, in memory of their own (core/memory.h: huge pages, filled by every thread).
struct Linear::Reduced {
  LargeVector<uint16_t> bf16;  // [out, in]
  LargeVector<int8_t> i8;      // [out, in]
  LargeVector<float> scales;   // [out], int8 only
  LargeVector<int32_t> sums;   // [out], int8 only: each row's sum of q (for kernels::Table::gemv_q8)
};

Linear::Linear(Tensor weight, Tensor bias, Precision precision) : precision_(precision), bias_(std::move(bias)) {
  if (weight.ndim() != 2) throw Error(ErrorKind::Internal, "Linear weight must be 2-D, got " + weight.shape_string());
  out_ = weight.dim(0);
  in_ = weight.dim(1);
  if (!bias_.empty() && bias_.numel() != out_)
    throw Error(ErrorKind::Internal, "Linear bias size does not match weight " + weight.shape_string());
  if (precision_ == Precision::F32) {
    // A copy in memory of its own, even where `weight` maps the model file: the products stream
    // these weights every step, and file pages come 4 KB at a time (core/memory.h). The file's
    // pages leave memory once the tensor given here is gone (Weights::get).
    auto copy = std::make_shared<LargeVector<float>>(static_cast<size_t>(weight.numel()));
    const float* from = weight.data();
    float* to = copy->data();
    parallel::for_range(weight.numel(), kCopyGrain,
                        [&](int64_t b, int64_t e) { std::memcpy(to + b, from + b, sizeof(float) * (e - b)); });
    weight_ = Tensor::wrap(weight.shape(), to, std::move(copy));
    return;
  }
  auto r = std::make_shared<Reduced>();
  const float* w = weight.data();
  const int64_t in = in_;
  if (precision_ == Precision::BF16) {
    r->bf16.resize(static_cast<size_t>(out_ * in_));
    const kernels::Table& kt = kernels::active();
    parallel::for_range(out_, 64, [&](int64_t o0, int64_t o1) { kt.to_bf16(w + o0 * in, r->bf16.data() + o0 * in, (o1 - o0) * in); });
  } else {
    r->i8.resize(static_cast<size_t>(out_ * in_));
    r->scales.resize(static_cast<size_t>(out_));
    r->sums.resize(static_cast<size_t>(out_));
    std::atomic<bool> finite{true};
    parallel::for_range(out_, 64, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        const float* row = w + o * in;
        float mx = 0.f;
        bool ok = true;
        for (int64_t k = 0; k < in; ++k) {
          ok = ok && std::isfinite(row[k]);
          mx = std::max(mx, std::fabs(row[k]));
        }
        if (!ok) {
          finite.store(false);
          continue;
        }
        const float scale = mx / 127.f, inv = mx > 0.f ? 127.f / mx : 0.f;
        r->scales[o] = scale;
        int8_t* q = r->i8.data() + o * in;
        int32_t sum = 0;
        for (int64_t k = 0; k < in; ++k) {
          q[k] = static_cast<int8_t>(std::clamp(std::nearbyint(row[k] * inv), -127.f, 127.f));
          sum += q[k];
        }
        r->sums[o] = sum;
      }
    });
    if (!finite.load()) bad_model("a weight matrix holds a value that is not finite; it cannot be stored as int8");
  }
  reduced_ = std::move(r);
}

void Linear::weight_row(int64_t o, float* out) const {
  switch (precision_) {
    case Precision::F32: std::memcpy(out, weight_.row(o), sizeof(float) * in_); break;
    case Precision::BF16:
      for (int64_t k = 0; k < in_; ++k) out[k] = kernels::from_bf16(reduced_->bf16[o * in_ + k]);
      break;
    case Precision::Int8:
      for (int64_t k = 0; k < in_; ++k) out[k] = reduced_->scales[o] * static_cast<float>(reduced_->i8[o * in_ + k]);
      break;
  }
}

int64_t Linear::weight_bytes() const {
  return out_ * in_ * element_bytes(precision_) + (precision_ == Precision::Int8 ? out_ * 4 : 0);
}

void Linear::forward(const Tensor& x, Tensor& y) const {
  if (x.dim(-1) != in_features())
    throw Error(ErrorKind::Internal, "Linear: input " + x.shape_string() + " does not match weight [" +
                                         std::to_string(out_) + ", " + std::to_string(in_) + "]");
  const int64_t n = x.numel() / in_features();
  y.resize({n, out_features()});
  forward(x.data(), n, in_features(), y.data(), out_features());
}

void Linear::forward(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy) const {
  if (n <= 0 || out_ == 0) return;
  const float* bias = bias_.empty() ? nullptr : bias_.data();
  if (n <= kLinearRowsReadOnce) {
    // Memory-bound: the output rows go in pieces of at least ~64 KB of weights, about eight per
    // thread, taken in turn (the two cores' shares of the memory bus differ from call to call; a
    // decoder step measured 3-7 % faster than with halves fixed in advance). Multiples of four
    // rows, the kernels' block.
    const int64_t least = std::max<int64_t>(16, 65536 / std::max<int64_t>(1, in_ * element_bytes(precision_)));
    const int64_t eighth = (out_ + 8 * parallel::threads() - 1) / (8 * parallel::threads());
    const int64_t piece = (std::max(least, eighth) + 3) / 4 * 4;
    const kernels::Table& kt = kernels::active();
    if (forward_dot(kt, x, n, ldx, y, ldy, piece)) return;
    parallel::for_pieces(out_, piece, [&](int64_t o0, int64_t o1) {
      switch (precision_) {
        case Precision::F32: kt.gemv_f32(x, ldx, static_cast<int>(n), weight_.data(), in_, in_, bias, y, ldy, o0, o1); break;
        case Precision::BF16: kt.gemv_bf16(x, ldx, static_cast<int>(n), reduced_->bf16.data(), in_, in_, bias, y, ldy, o0, o1); break;
        case Precision::Int8:
          kt.gemv_i8(x, ldx, static_cast<int>(n), reduced_->i8.data(), in_, in_, reduced_->scales.data(), bias, y, ldy, o0, o1);
          break;
      }
    });
    return;
  }
  if (precision_ == Precision::F32) {
    onednn::linear_f32(x, ldx, n, weight_.data(), in_, out_, in_, bias, y, ldy);
    return;
  }
  forward_many_reduced(x, n, ldx, y, ldy);
}

namespace {

// x's rows as u8 = q + 128, q = round(x / scale) in [-127, 127] with scale = max|x| / 127 per row
// (kernels::Table::gemv_q8's form). False when a value is not finite (the float kernel handles it).
bool quantize_rows(const float* x, int64_t n, int64_t ldx, int64_t in, std::vector<uint8_t>& q, std::vector<float>& scale) {
  q.resize(static_cast<size_t>(n * in));
  scale.resize(static_cast<size_t>(n));
  for (int64_t m = 0; m < n; ++m) {
    const float* xr = x + m * ldx;
    float mx = 0.f;
    bool finite = true;
    for (int64_t k = 0; k < in; ++k) {
      finite = finite && std::isfinite(xr[k]);
      mx = std::max(mx, std::fabs(xr[k]));
    }
    if (!finite) return false;
    const float inv = mx > 0.f ? 127.f / mx : 0.f;
    scale[m] = mx / 127.f;
    uint8_t* qr = q.data() + m * in;
    for (int64_t k = 0; k < in; ++k) qr[k] = static_cast<uint8_t>(static_cast<int>(std::nearbyint(xr[k] * inv)) + 128);
  }
  return true;
}

}  // namespace

// A few rows on the CPU's dot-product instructions (AVX-512 VNNI for int8, AVX-512 BF16 for bf16),
// which need x rounded like the weights: per-row int8 steps or bf16. Twice to four times the
// multiplies per instruction of widening each weight to float. False where the CPU lacks them.
bool Linear::forward_dot(const kernels::Table& kt, const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy,
                         int64_t piece) const {
  const float* bias = bias_.empty() ? nullptr : bias_.data();
  const int64_t in = in_;
  if (precision_ == Precision::Int8 && kt.gemv_q8 && in <= kernels::kMaxQ8In) {
    thread_local std::vector<uint8_t> xq;
    thread_local std::vector<float> xs;
    if (!quantize_rows(x, n, ldx, in, xq, xs)) return false;
    const uint8_t* q = xq.data();
    const float* s = xs.data();
    parallel::for_pieces(out_, piece, [&](int64_t o0, int64_t o1) {
      kt.gemv_q8(q, in, static_cast<int>(n), s, reduced_->i8.data(), in, in, reduced_->scales.data(),
                 reduced_->sums.data(), bias, y, ldy, o0, o1);
    });
    return true;
  }
  if (precision_ == Precision::BF16 && kt.gemv_bf16x) {
    thread_local std::vector<uint16_t> xb;
    xb.resize(static_cast<size_t>(n * in));
    for (int64_t m = 0; m < n; ++m) kt.to_bf16(x + m * ldx, xb.data() + m * in, in);
    const uint16_t* b = xb.data();
    parallel::for_pieces(out_, piece, [&](int64_t o0, int64_t o1) {
      kt.gemv_bf16x(b, in, static_cast<int>(n), reduced_->bf16.data(), in, in, bias, y, ldy, o0, o1);
    });
    return true;
  }
  return false;
}

// Many rows with reduced weights: bf16 straight into oneDNN where the CPU has bf16 units; otherwise
// (int8, or no bf16 units) the weights are widened block by block into a scratch buffer first.
void Linear::forward_many_reduced(const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy) const {
  const bool bf16 = onednn::native_bf16();
  if (precision_ == Precision::BF16 && bf16) {
    onednn::linear_bf16(x, ldx, n, reduced_->bf16.data(), in_, out_, in_, bias_.empty() ? nullptr : bias_.data(), y, ldy);
    return;
  }
  thread_local std::vector<float> wide;
  thread_local std::vector<uint16_t> narrow;
  const int64_t in = in_;
  for (int64_t o0 = 0; o0 < out_; o0 += kDequantRows) {
    const int64_t rows = std::min(kDequantRows, out_ - o0);
    wide.resize(static_cast<size_t>(rows * in));
    float* wf = wide.data();
    parallel::for_range(rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) weight_row(o0 + r, wf + r * in);
    });
    const float* b = bias_.empty() ? nullptr : bias_.data() + o0;
    if (bf16) {
      narrow.resize(wide.size());
      kernels::active().to_bf16(wf, narrow.data(), rows * in);
      onednn::linear_bf16(x, ldx, n, narrow.data(), in, rows, in, b, y + o0, ldy);
    } else {
      onednn::linear_f32(x, ldx, n, wf, in, rows, in, b, y + o0, ldy);
    }
  }
}

}  // namespace parley
