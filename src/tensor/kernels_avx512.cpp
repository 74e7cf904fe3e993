// The AVX-512 form of the kernels (kernels.h), compiled for AVX-512 F/BW/VL/DQ whatever the build's
// -march, and used only when the CPU has it (cpu.h).
//
// Nothing here may come from a header's inline or template code (the standard library included):
// such code would be compiled for AVX-512 here and could be the copy the linker keeps for the whole
// program. Everything is in an anonymous namespace, built from intrinsics and plain C.
#include <immintrin.h>

#include <cstdint>

#include "tensor/cpu.h"
#include "tensor/kernels.h"

#pragma GCC push_options
// GCC 12 warns about its own intrinsics headers (_mm512_undefined_* inside the maskz forms).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")

namespace parley::kernels {

namespace {

// ------------------------------------------------------------------------------ loads of 16 weights

struct F32 {
  using T = float;
  static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
  static __m512 load(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};

struct Bf16 {
  using T = uint16_t;
  static __m512 widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  static __m512 load(const uint16_t* p) { return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static __m512 load(const uint16_t* p, __mmask16 m) { return widen(_mm256_maskz_loadu_epi16(m, p)); }
};

struct I8 {
  using T = int8_t;
  static __m512 load(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static __m512 load(const int8_t* p, __mmask16 m) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p))); }
};

// Asks for the cache line `bytes` past p. The address is computed as an integer: it may lie past the
// end of p's array, where a prefetch is harmless but pointer arithmetic would not be defined.
void prefetch(const void* p, int64_t bytes) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(bytes)), _MM_HINT_T0);
}

__mmask16 tail_mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// The four horizontal sums of a, b, c, d.
__m128 hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m256 a8 = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
  const __m256 b8 = _mm256_add_ps(_mm512_castps512_ps256(b), _mm512_extractf32x8_ps(b, 1));
  const __m256 c8 = _mm256_add_ps(_mm512_castps512_ps256(c), _mm512_extractf32x8_ps(c, 1));
  const __m256 d8 = _mm256_add_ps(_mm512_castps512_ps256(d), _mm512_extractf32x8_ps(d, 1));
  const __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a8, b8), _mm256_hadd_ps(c8, d8));
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// ------------------------------------------------------------------------------------------ gemv

// Dot products of MB rows of x with R (1 or 4) weight rows starting at w: out[m * 4 + r].
//
// Each load is matched by a prefetch of the same column R rows on: the next block's rows, which
// gemv_rows reads next. The CPU's own prefetchers follow R interleaved streams of one row each
// (2 KB for Whisper-base) too late to keep enough reads in flight; with the prefetch a decoder
// step measured 5-10 % faster in f32. Past the last row it asks for lines that are never read.
template <typename L, int MB, int R>
void dot_block(const float* x, int64_t ldx, const typename L::T* w, int64_t ldw, int64_t in, float* out) {
  __m512 acc[MB][R];
  for (int m = 0; m < MB; ++m)
    for (int r = 0; r < R; ++r) acc[m][r] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= in; k += 16) {
    __m512 wv[R];
    for (int r = 0; r < R; ++r) prefetch(w, ((R + r) * ldw + k) * static_cast<int64_t>(sizeof(typename L::T)));
    for (int r = 0; r < R; ++r) wv[r] = L::load(w + r * ldw + k);
    for (int m = 0; m < MB; ++m) {
      const __m512 xv = _mm512_loadu_ps(x + m * ldx + k);
      for (int r = 0; r < R; ++r) acc[m][r] = _mm512_fmadd_ps(wv[r], xv, acc[m][r]);
    }
  }
  if (k < in) {
    const __mmask16 mask = tail_mask(in - k);
    __m512 wv[R];
    for (int r = 0; r < R; ++r) wv[r] = L::load(w + r * ldw + k, mask);
    for (int m = 0; m < MB; ++m) {
      const __m512 xv = _mm512_maskz_loadu_ps(mask, x + m * ldx + k);
      for (int r = 0; r < R; ++r) acc[m][r] = _mm512_fmadd_ps(wv[r], xv, acc[m][r]);
    }
  }
  for (int m = 0; m < MB; ++m) {
    if (R == 4) {
      _mm_storeu_ps(out + m * 4, hsum4(acc[m][0], acc[m][R > 1 ? 1 : 0], acc[m][R > 2 ? 2 : 0], acc[m][R > 3 ? 3 : 0]));
    } else {
      out[m * 4] = _mm512_reduce_add_ps(acc[m][0]);
    }
  }
}

template <typename L, int MB>
void gemv_rows(const float* x, int64_t ldx, const typename L::T* w, int64_t ldw, int64_t in, const float* scales,
               const float* bias, float* y, int64_t ldy, int64_t o0, int64_t o1) {
  float out[MB * 4];
  int64_t o = o0;
  for (; o + 4 <= o1; o += 4) {
    dot_block<L, MB, 4>(x, ldx, w + o * ldw, ldw, in, out);
    for (int m = 0; m < MB; ++m)
      for (int r = 0; r < 4; ++r) {
        const float s = scales ? out[m * 4 + r] * scales[o + r] : out[m * 4 + r];
        y[m * ldy + o + r] = bias ? s + bias[o + r] : s;
      }
  }
  for (; o < o1; ++o) {
    dot_block<L, MB, 1>(x, ldx, w + o * ldw, ldw, in, out);
    for (int m = 0; m < MB; ++m) {
      const float s = scales ? out[m * 4] * scales[o] : out[m * 4];
      y[m * ldy + o] = bias ? s + bias[o] : s;
    }
  }
}

// Rows of x in groups of up to four; each group reads the weight rows once (from memory for the
// first group, from cache for the others when M > 4).
template <typename L>
void gemv(const float* x, int64_t ldx, int M, const typename L::T* w, int64_t ldw, int64_t in, const float* scales,
          const float* bias, float* y, int64_t ldy, int64_t o0, int64_t o1) {
  for (int m = 0; m < M; m += 4) {
    const float* xm = x + m * ldx;
    float* ym = y + m * ldy;
    switch (M - m) {
      case 1: gemv_rows<L, 1>(xm, ldx, w, ldw, in, scales, bias, ym, ldy, o0, o1); break;
      case 2: gemv_rows<L, 2>(xm, ldx, w, ldw, in, scales, bias, ym, ldy, o0, o1); break;
      case 3: gemv_rows<L, 3>(xm, ldx, w, ldw, in, scales, bias, ym, ldy, o0, o1); break;
      default: gemv_rows<L, 4>(xm, ldx, w, ldw, in, scales, bias, ym, ldy, o0, o1); break;
    }
  }
}

void gemv_f32(const float* x, int64_t ldx, int M, const float* w, int64_t ldw, int64_t in, const float* bias, float* y,
              int64_t ldy, int64_t o0, int64_t o1) {
  gemv<F32>(x, ldx, M, w, ldw, in, nullptr, bias, y, ldy, o0, o1);
}

void gemv_bf16(const float* x, int64_t ldx, int M, const uint16_t* w, int64_t ldw, int64_t in, const float* bias,
               float* y, int64_t ldy, int64_t o0, int64_t o1) {
  gemv<Bf16>(x, ldx, M, w, ldw, in, nullptr, bias, y, ldy, o0, o1);
}

void gemv_i8(const float* x, int64_t ldx, int M, const int8_t* w, int64_t ldw, int64_t in, const float* scales,
             const float* bias, float* y, int64_t ldy, int64_t o0, int64_t o1) {
  gemv<I8>(x, ldx, M, w, ldw, in, scales, bias, y, ldy, o0, o1);
}

// ------------------------------------------------------------------------------- attention pieces

template <typename L>
void weighted_sum_of(const float* p, int64_t n, const typename L::T* v, int64_t ldv, int64_t dim, float* out) {
  // Columns in blocks of up to 64 (four registers), each block a pass over the n rows of v.
  for (int64_t d0 = 0; d0 < dim; d0 += 64) {
    const int64_t w = dim - d0 < 64 ? dim - d0 : 64;
    __mmask16 mask[4];
    for (int i = 0; i < 4; ++i) {
      const int64_t left = w - 16 * i;
      mask[i] = left >= 16 ? static_cast<__mmask16>(0xffff) : left > 0 ? tail_mask(left) : 0;
    }
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    const typename L::T* vr = v + d0;
    if (w == 64) {
      for (int64_t j = 0; j < n; ++j, vr += ldv) {
        const __m512 pj = _mm512_set1_ps(p[j]);
        for (int i = 0; i < 4; ++i) acc[i] = _mm512_fmadd_ps(pj, L::load(vr + 16 * i), acc[i]);
      }
    } else {
      for (int64_t j = 0; j < n; ++j, vr += ldv) {
        const __m512 pj = _mm512_set1_ps(p[j]);
        for (int i = 0; i < 4; ++i) acc[i] = _mm512_fmadd_ps(pj, L::load(vr + 16 * i, mask[i]), acc[i]);
      }
    }
    for (int i = 0; i < 4; ++i)
      if (mask[i]) _mm512_mask_storeu_ps(out + d0 + 16 * i, mask[i], acc[i]);
  }
}

void weighted_sum(const float* p, int64_t n, const float* v, int64_t ldv, int64_t dim, float* out) {
  weighted_sum_of<F32>(p, n, v, ldv, dim, out);
}

void weighted_sum_bf16(const float* p, int64_t n, const uint16_t* v, int64_t ldv, int64_t dim, float* out) {
  weighted_sum_of<Bf16>(p, n, v, ldv, dim, out);
}

// ------------------------------------------------------------------------------------ vector math

// exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln(2) / 2, exp(r) by its Taylor series to r^7
// (truncation error below 1e-8 relative). NaN stays NaN; large negative x gives 0, large x inf.
__m512 exp16(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-104.f), x);  // max(a, NaN) returns the NaN
  x = _mm512_min_ps(_mm512_set1_ps(89.f), x);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // ln 2 in two parts: exact n * hi
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

// erf by Abramowitz & Stegun 7.1.26: 1 - (a1 t + ... + a5 t^5) exp(-x^2), t = 1 / (1 + p |x|), odd in
// x; absolute error below 1.5e-7.
__m512 erf16(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_fmadd_ps(_mm512_set1_ps(0.3275911f), ax, _mm512_set1_ps(1.f)));
  __m512 poly = _mm512_set1_ps(1.061405429f);
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
  poly = _mm512_mul_ps(poly, t);
  const __m512 e = exp16(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), ax), ax));
  const __m512 y = _mm512_fnmadd_ps(poly, e, _mm512_set1_ps(1.f));
  // copy the sign of x
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u)));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), sign));
}

void gelu(float* x, int64_t n) {
  int64_t i = 0;
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.f), r2 = _mm512_set1_ps(0.70710678118654752f);
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, erf16(_mm512_mul_ps(v, r2)))));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, erf16(_mm512_mul_ps(v, r2)))));
  }
}

// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2 |x|).
__m512 tanh16(__m512 x) {
  const __m512 e = exp16(_mm512_mul_ps(_mm512_set1_ps(-2.f), _mm512_abs_ps(x)));
  const __m512 y = _mm512_div_ps(_mm512_sub_ps(_mm512_set1_ps(1.f), e), _mm512_add_ps(_mm512_set1_ps(1.f), e));
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u)));
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), sign));
}

void tanh_(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, tanh16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, tanh16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void softmax(float* x, int64_t n, float scale) {
  const __m512 s = _mm512_set1_ps(scale);
  __m512 mx = _mm512_set1_ps(-__builtin_inff());
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), s);
    _mm512_storeu_ps(x + i, v);
    mx = _mm512_max_ps(mx, v);
  }
  const __mmask16 tm = tail_mask(n - i);
  if (i < n) {
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(tm, x + i), s);
    _mm512_mask_storeu_ps(x + i, tm, v);
    mx = _mm512_mask_max_ps(mx, tm, mx, v);
  }
  const float m = _mm512_reduce_max_ps(mx);
  if (m == -__builtin_inff()) {  // fully masked: PyTorch gives NaN; keep zeros
    for (int64_t j = 0; j < n; ++j) x[j] = 0.f;
    return;
  }
  const __m512 mv = _mm512_set1_ps(m);
  __m512 sum = _mm512_setzero_ps();
  for (i = 0; i + 16 <= n; i += 16) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), mv));
    _mm512_storeu_ps(x + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (i < n) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tm, x + i), mv));
    _mm512_mask_storeu_ps(x + i, tm, e);
    sum = _mm512_mask_add_ps(sum, tm, sum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.f / _mm512_reduce_add_ps(sum));
  for (i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inv));
  if (i < n) _mm512_mask_storeu_ps(x + i, tm, _mm512_mul_ps(_mm512_maskz_loadu_ps(tm, x + i), inv));
}

void layer_norm(const float* x, const float* w, const float* b, float eps, float* y, int64_t d) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= d; i += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(x + i));
  const __mmask16 tm = tail_mask(d - i);
  if (i < d) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(tm, x + i));
  const float mean = _mm512_reduce_add_ps(acc) / static_cast<float>(d);
  const __m512 mv = _mm512_set1_ps(mean);
  acc = _mm512_setzero_ps();
  for (i = 0; i + 16 <= d; i += 16) {
    const __m512 c = _mm512_sub_ps(_mm512_loadu_ps(x + i), mv);
    acc = _mm512_fmadd_ps(c, c, acc);
  }
  if (i < d) {
    const __m512 c = _mm512_maskz_sub_ps(tm, _mm512_maskz_loadu_ps(tm, x + i), mv);
    acc = _mm512_fmadd_ps(c, c, acc);
  }
  const float var = _mm512_reduce_add_ps(acc) / static_cast<float>(d);
  const __m512 inv = _mm512_set1_ps(1.f / __builtin_sqrtf(var + eps));
  for (i = 0; i + 16 <= d; i += 16) {
    const __m512 c = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mv), inv);
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(c, _mm512_loadu_ps(w + i), _mm512_loadu_ps(b + i)));
  }
  if (i < d) {
    const __m512 c = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(tm, x + i), mv), inv);
    _mm512_mask_storeu_ps(y + i, tm, _mm512_fmadd_ps(c, _mm512_maskz_loadu_ps(tm, w + i), _mm512_maskz_loadu_ps(tm, b + i)));
  }
}

// ------------------------------------------------------------------------------------------- bf16

// Rounds 16 floats to bf16 (nearest even; NaN kept quiet).
__m256i round_bf16(__m512 v) {
  const __m512i bits = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  r = _mm512_mask_or_epi32(r, nan, bits, _mm512_set1_epi32(0x400000));
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
}

void to_bf16(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), round_bf16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm256_mask_storeu_epi16(y + i, m, round_bf16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void leaky_to_bf16(const float* x, float slope, uint16_t* y, int64_t n) {
  const __m512 s = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __m512 l = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, s);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), round_bf16(l));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 l = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, s);
    _mm256_mask_storeu_epi16(y + i, m, round_bf16(l));
  }
}

const Table kAvx512 = {gemv_f32, gemv_bf16, gemv_i8,  weighted_sum,  weighted_sum_bf16, softmax, gelu,
                       tanh_,    layer_norm, to_bf16, leaky_to_bf16, nullptr,           nullptr};

}  // namespace
}  // namespace parley::kernels

// --------------------------------------------------------------- dot-product instructions (VNNI, BF16)
// Used only where the CPU has them (avx512() below checks); the functions above may be called from
// here, since these targets include theirs.
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,avx512vnni,avx512bf16")

namespace parley::kernels {
namespace {

// The four horizontal sums of integer accumulators.
__m128i hsum4_epi32(__m512i a, __m512i b, __m512i c, __m512i d) {
  const __m256i a8 = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
  const __m256i b8 = _mm256_add_epi32(_mm512_castsi512_si256(b), _mm512_extracti64x4_epi64(b, 1));
  const __m256i c8 = _mm256_add_epi32(_mm512_castsi512_si256(c), _mm512_extracti64x4_epi64(c, 1));
  const __m256i d8 = _mm256_add_epi32(_mm512_castsi512_si256(d), _mm512_extracti64x4_epi64(d, 1));
  const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a8, b8), _mm256_hadd_epi32(c8, d8));
  return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

__mmask64 byte_mask(int64_t n) { return n >= 64 ? ~0ULL : (1ULL << n) - 1ULL; }
__mmask32 half_mask(int64_t n) { return n >= 32 ? 0xffffffffu : (1u << n) - 1u; }

// Integer dot products of MB quantised rows of x with 4 weight rows: out[m * 4 + r].
template <int MB>
void q8_block4(const uint8_t* x, int64_t ldx, const int8_t* w, int64_t ldw, int64_t in, int32_t* out) {
  __m512i acc[MB][4];
  for (int m = 0; m < MB; ++m)
    for (int r = 0; r < 4; ++r) acc[m][r] = _mm512_setzero_si512();
  int64_t k = 0;
  for (; k + 64 <= in; k += 64) {
    __m512i wv[4];
    for (int r = 0; r < 4; ++r) prefetch(w, (4 + r) * ldw + k);  // the next block, as in dot_block
    for (int r = 0; r < 4; ++r) wv[r] = _mm512_loadu_si512(w + r * ldw + k);
    for (int m = 0; m < MB; ++m) {
      const __m512i xv = _mm512_loadu_si512(x + m * ldx + k);
      for (int r = 0; r < 4; ++r) acc[m][r] = _mm512_dpbusd_epi32(acc[m][r], xv, wv[r]);
    }
  }
  if (k < in) {
    const __mmask64 mask = byte_mask(in - k);
    __m512i wv[4];
    for (int r = 0; r < 4; ++r) wv[r] = _mm512_maskz_loadu_epi8(mask, w + r * ldw + k);
    for (int m = 0; m < MB; ++m) {
      const __m512i xv = _mm512_maskz_loadu_epi8(mask, x + m * ldx + k);
      for (int r = 0; r < 4; ++r) acc[m][r] = _mm512_dpbusd_epi32(acc[m][r], xv, wv[r]);
    }
  }
  for (int m = 0; m < MB; ++m)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + m * 4), hsum4_epi32(acc[m][0], acc[m][1], acc[m][2], acc[m][3]));
}

template <int MB>
void q8_rows(const uint8_t* x, int64_t ldx, const float* xscale, const int8_t* w, int64_t ldw, int64_t in,
             const float* scales, const int32_t* wsum, const float* bias, float* y, int64_t ldy, int64_t o0,
             int64_t o1) {
  int32_t out[MB * 4];
  for (int64_t o = o0; o < o1; o += 4) {
    // The last block of fewer than four rows reads row o1 - 4.. again (o1 - o0 >= 4) or one row at a time.
    const int64_t ob = o + 4 <= o1 ? o : o1 >= o0 + 4 ? o1 - 4 : o;
    if (ob + 4 <= o1) {
      q8_block4<MB>(x, ldx, w + ob * ldw, ldw, in, out);
      for (int m = 0; m < MB; ++m)
        for (int r = 0; r < 4; ++r) {
          const float s = xscale[m] * scales[ob + r] * static_cast<float>(out[m * 4 + r] - 128 * wsum[ob + r]);
          y[m * ldy + ob + r] = bias ? s + bias[ob + r] : s;
        }
      continue;
    }
    for (int64_t oo = o; oo < o1; ++oo)  // fewer than four rows in all
      for (int m = 0; m < MB; ++m) {
        int32_t acc = 0;
        for (int64_t k = 0; k < in; ++k) acc += static_cast<int32_t>(x[m * ldx + k]) * w[oo * ldw + k];
        const float s = xscale[m] * scales[oo] * static_cast<float>(acc - 128 * wsum[oo]);
        y[m * ldy + oo] = bias ? s + bias[oo] : s;
      }
    break;
  }
}

void gemv_q8(const uint8_t* x, int64_t ldx, int M, const float* xscale, const int8_t* w, int64_t ldw, int64_t in,
             const float* scales, const int32_t* wsum, const float* bias, float* y, int64_t ldy, int64_t o0,
             int64_t o1) {
  for (int m = 0; m < M; m += 4) {
    const uint8_t* xm = x + m * ldx;
    float* ym = y + m * ldy;
    switch (M - m) {
      case 1: q8_rows<1>(xm, ldx, xscale + m, w, ldw, in, scales, wsum, bias, ym, ldy, o0, o1); break;
      case 2: q8_rows<2>(xm, ldx, xscale + m, w, ldw, in, scales, wsum, bias, ym, ldy, o0, o1); break;
      case 3: q8_rows<3>(xm, ldx, xscale + m, w, ldw, in, scales, wsum, bias, ym, ldy, o0, o1); break;
      default: q8_rows<4>(xm, ldx, xscale + m, w, ldw, in, scales, wsum, bias, ym, ldy, o0, o1); break;
    }
  }
}

// Float dot products of MB bf16 rows of x with R (1 or 4) bf16 weight rows: out[m * 4 + r].
template <int MB, int R>
void bf16_block(const uint16_t* x, int64_t ldx, const uint16_t* w, int64_t ldw, int64_t in, float* out) {
  __m512 acc[MB][R];
  for (int m = 0; m < MB; ++m)
    for (int r = 0; r < R; ++r) acc[m][r] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= in; k += 32) {
    __m512i wv[R];
    for (int r = 0; r < R; ++r) prefetch(w, ((R + r) * ldw + k) * 2);  // the next block, as in dot_block
    for (int r = 0; r < R; ++r) wv[r] = _mm512_loadu_si512(w + r * ldw + k);
    for (int m = 0; m < MB; ++m) {
      const __m512i xv = _mm512_loadu_si512(x + m * ldx + k);
      for (int r = 0; r < R; ++r) acc[m][r] = _mm512_dpbf16_ps(acc[m][r], (__m512bh)xv, (__m512bh)wv[r]);
    }
  }
  if (k < in) {
    const __mmask32 mask = half_mask(in - k);
    __m512i wv[R];
    for (int r = 0; r < R; ++r) wv[r] = _mm512_maskz_loadu_epi16(mask, w + r * ldw + k);
    for (int m = 0; m < MB; ++m) {
      const __m512i xv = _mm512_maskz_loadu_epi16(mask, x + m * ldx + k);
      for (int r = 0; r < R; ++r) acc[m][r] = _mm512_dpbf16_ps(acc[m][r], (__m512bh)xv, (__m512bh)wv[r]);
    }
  }
  for (int m = 0; m < MB; ++m) {
    if (R == 4) {
      _mm_storeu_ps(out + m * 4, hsum4(acc[m][0], acc[m][R > 1 ? 1 : 0], acc[m][R > 2 ? 2 : 0], acc[m][R > 3 ? 3 : 0]));
    } else {
      out[m * 4] = _mm512_reduce_add_ps(acc[m][0]);
    }
  }
}

template <int MB>
void bf16x_rows(const uint16_t* x, int64_t ldx, const uint16_t* w, int64_t ldw, int64_t in, const float* bias,
                float* y, int64_t ldy, int64_t o0, int64_t o1) {
  float out[MB * 4];
  int64_t o = o0;
  for (; o + 4 <= o1; o += 4) {
    bf16_block<MB, 4>(x, ldx, w + o * ldw, ldw, in, out);
    for (int m = 0; m < MB; ++m)
      for (int r = 0; r < 4; ++r) y[m * ldy + o + r] = bias ? out[m * 4 + r] + bias[o + r] : out[m * 4 + r];
  }
  for (; o < o1; ++o) {
    bf16_block<MB, 1>(x, ldx, w + o * ldw, ldw, in, out);
    for (int m = 0; m < MB; ++m) y[m * ldy + o] = bias ? out[m * 4] + bias[o] : out[m * 4];
  }
}

void gemv_bf16x(const uint16_t* x, int64_t ldx, int M, const uint16_t* w, int64_t ldw, int64_t in, const float* bias,
                float* y, int64_t ldy, int64_t o0, int64_t o1) {
  for (int m = 0; m < M; m += 4) {
    const uint16_t* xm = x + m * ldx;
    float* ym = y + m * ldy;
    switch (M - m) {
      case 1: bf16x_rows<1>(xm, ldx, w, ldw, in, bias, ym, ldy, o0, o1); break;
      case 2: bf16x_rows<2>(xm, ldx, w, ldw, in, bias, ym, ldy, o0, o1); break;
      case 3: bf16x_rows<3>(xm, ldx, w, ldw, in, bias, ym, ldy, o0, o1); break;
      default: bf16x_rows<4>(xm, ldx, w, ldw, in, bias, ym, ldy, o0, o1); break;
    }
  }
}

}  // namespace
}  // namespace parley::kernels

#pragma GCC diagnostic pop
#pragma GCC pop_options

namespace parley::kernels {
// Outside the AVX-512 region: this runs on any CPU. The dot-product kernels join the table where
// the CPU has their instructions.
const Table* avx512() {
  static const Table table = [] {
    Table t = kAvx512;
    if (cpu::features().avx512_vnni) t.gemv_q8 = gemv_q8;
    if (cpu::features().avx512_bf16) t.gemv_bf16x = gemv_bf16x;
    return t;
  }();
  return cpu::features().avx512 ? &table : nullptr;
}
}  // namespace parley::kernels
