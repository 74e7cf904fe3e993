// The portable form of the kernels (kernels.h): plain loops the compiler may vectorise for the
// build's target. They are also the reference the AVX-512 forms are tested against.
#include <cmath>
#include <cstring>
#include <limits>

#include "tensor/cpu.h"
#include "tensor/kernels.h"

namespace parley::kernels {

uint16_t to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float from_bf16(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {

// Four partial sums so the compiler can keep several vector accumulators.
template <typename Get>
float dot(int64_t n, const Get& get) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) s[j] += get(k + j);
  float t = 0;
  for (; k < n; ++k) t += get(k);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + t;
}

void gemv_f32(const float* x, int64_t ldx, int M, const float* w, int64_t ldw, int64_t in, const float* bias, float* y,
              int64_t ldy, int64_t o0, int64_t o1) {
  for (int64_t o = o0; o < o1; ++o) {
    const float* wr = w + o * ldw;
    for (int m = 0; m < M; ++m) {
      const float* xr = x + m * ldx;
      y[m * ldy + o] = (bias ? bias[o] : 0.f) + dot(in, [&](int64_t k) { return xr[k] * wr[k]; });
    }
  }
}

void gemv_bf16(const float* x, int64_t ldx, int M, const uint16_t* w, int64_t ldw, int64_t in, const float* bias,
               float* y, int64_t ldy, int64_t o0, int64_t o1) {
  for (int64_t o = o0; o < o1; ++o) {
    const uint16_t* wr = w + o * ldw;
    for (int m = 0; m < M; ++m) {
      const float* xr = x + m * ldx;
      y[m * ldy + o] = (bias ? bias[o] : 0.f) + dot(in, [&](int64_t k) { return xr[k] * from_bf16(wr[k]); });
    }
  }
}

void gemv_i8(const float* x, int64_t ldx, int M, const int8_t* w, int64_t ldw, int64_t in, const float* scales,
             const float* bias, float* y, int64_t ldy, int64_t o0, int64_t o1) {
  for (int64_t o = o0; o < o1; ++o) {
    const int8_t* wr = w + o * ldw;
    for (int m = 0; m < M; ++m) {
      const float* xr = x + m * ldx;
      const float s = dot(in, [&](int64_t k) { return xr[k] * static_cast<float>(wr[k]); });
      y[m * ldy + o] = (bias ? bias[o] : 0.f) + scales[o] * s;
    }
  }
}

float widen(float x) { return x; }
float widen(uint16_t x) { return from_bf16(x); }

template <typename T>
void weighted_sum_of(const float* p, int64_t n, const T* v, int64_t ldv, int64_t dim, float* out) {
  for (int64_t d = 0; d < dim; ++d) out[d] = 0.f;
  for (int64_t j = 0; j < n; ++j) {
    const float pj = p[j];
    const T* vr = v + j * ldv;
    for (int64_t d = 0; d < dim; ++d) out[d] += pj * widen(vr[d]);
  }
}

void weighted_sum(const float* p, int64_t n, const float* v, int64_t ldv, int64_t dim, float* out) {
  weighted_sum_of(p, n, v, ldv, dim, out);
}

void weighted_sum_bf16(const float* p, int64_t n, const uint16_t* v, int64_t ldv, int64_t dim, float* out) {
  weighted_sum_of(p, n, v, ldv, dim, out);
}

void softmax(float* x, int64_t n, float scale) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    x[i] *= scale;
    mx = x[i] > mx ? x[i] : mx;
  }
  if (mx == -std::numeric_limits<float>::infinity()) {  // fully masked: PyTorch gives NaN; keep zeros
    for (int64_t i = 0; i < n; ++i) x[i] = 0.f;
    return;
  }
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void gelu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * static_cast<float>(M_SQRT1_2)));
}

void tanh_(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}

void layer_norm(const float* x, const float* w, const float* b, float eps, float* y, int64_t d) {
  double mean = 0;
  for (int64_t i = 0; i < d; ++i) mean += x[i];
  mean /= static_cast<double>(d);
  double var = 0;
  for (int64_t i = 0; i < d; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(d);
  const float m = static_cast<float>(mean);
  const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
  for (int64_t i = 0; i < d; ++i) y[i] = (x[i] - m) * inv * w[i] + b[i];
}

void to_bf16_n(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = to_bf16(x[i]);
}

void leaky_to_bf16(const float* x, float slope, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = to_bf16(x[i] >= 0.f ? x[i] : x[i] * slope);
}

const Table kGeneric = {gemv_f32, gemv_bf16,  gemv_i8,   weighted_sum,  weighted_sum_bf16, softmax, gelu,
                        tanh_,    layer_norm, to_bf16_n, leaky_to_bf16, nullptr,           nullptr};

}  // namespace

const Table& generic() { return kGeneric; }

const Table& active() {
  if (cpu::kernel_isa() == cpu::Isa::Avx512) {
    if (const Table* t = avx512()) return *t;
  }
  return kGeneric;
}

}  // namespace parley::kernels
