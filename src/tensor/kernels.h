// The op layer's own inner loops, in a portable form and an AVX-512 form (see cpu.h). Internal to
// tensor/: models use ops.h and Linear.
//
// Every kernel works on one thread over the range it is given; the callers in ops.cpp and
// linear.cpp split work over threads. Reduced-precision weights: bf16 is the upper half of a
// float32 (rounded to nearest even when converted); int8 rows carry one float scale each
// (w = scale * q, q in [-127, 127]).
#pragma once

#include <cstdint>

namespace parley::kernels {

struct Table {
  // Matrix-vector products for a few rows of x (the decoder's one token per hypothesis), reading
  // each weight row once: for m < M and o in [o0, o1),
  //   y[m * ldy + o] = (bias ? bias[o] : 0) + sum_k x[m * ldx + k] * W[o * ldw + k]   (k < in)
  // int8 multiplies each row's sum by scales[o] before the bias.
  void (*gemv_f32)(const float* x, int64_t ldx, int M, const float* w, int64_t ldw, int64_t in, const float* bias,
                   float* y, int64_t ldy, int64_t o0, int64_t o1);
  void (*gemv_bf16)(const float* x, int64_t ldx, int M, const uint16_t* w, int64_t ldw, int64_t in, const float* bias,
                    float* y, int64_t ldy, int64_t o0, int64_t o1);
  void (*gemv_i8)(const float* x, int64_t ldx, int M, const int8_t* w, int64_t ldw, int64_t in, const float* scales,
                  const float* bias, float* y, int64_t ldy, int64_t o0, int64_t o1);
  // out[d] = sum_{j < n} p[j] * v[j * ldv + d] for d < dim.
  void (*weighted_sum)(const float* p, int64_t n, const float* v, int64_t ldv, int64_t dim, float* out);
  // The same over bf16 values (a decoder's attention cache held in bf16), summed in float.
  void (*weighted_sum_bf16)(const float* p, int64_t n, const uint16_t* v, int64_t ldv, int64_t dim, float* out);
  // x = softmax(x * scale) over n values; a row of only -inf becomes zeros.
  void (*softmax)(float* x, int64_t n, float scale);
  // In place: exact (erf) GELU, tanh.
  void (*gelu)(float* x, int64_t n);
  void (*tanh)(float* x, int64_t n);
  // y = (x - mean) / sqrt(var + eps) * w + b over one row of d values (y may be x).
  void (*layer_norm)(const float* x, const float* w, const float* b, float eps, float* y, int64_t d);
  // float32 -> bf16, rounded to nearest even (NaN stays NaN).
  void (*to_bf16)(const float* x, uint16_t* y, int64_t n);
  // y = bf16(x >= 0 ? x : x * slope): HiFi-GAN's activation, written as the next convolution's input.
  void (*leaky_to_bf16)(const float* x, float slope, uint16_t* y, int64_t n);

  // Matrix-vector products whose inputs are rounded too, so that the CPU's dot-product
  // instructions do the work; null where the CPU lacks them (Linear then uses the forms above).
  // x as bf16 (VDPBF16PS, AVX-512 BF16): y[m * ldy + o] = bias[o] + sum_k x[m * ldx + k] * W[o * ldw + k],
  // each product exact, the sums in float.
  void (*gemv_bf16x)(const uint16_t* x, int64_t ldx, int M, const uint16_t* w, int64_t ldw, int64_t in,
                     const float* bias, float* y, int64_t ldy, int64_t o0, int64_t o1);
  // x quantised per row (VPDPBUSD, AVX-512 VNNI): x[m * ldx + k] = q + 128 with q the row's value in
  // steps of xscale[m]; wsum[o] = sum_k W[o * ldw + k]. Then
  //   y[m * ldy + o] = bias[o] + xscale[m] * scales[o] * (sum_k x[m * ldx + k] * W[o * ldw + k] - 128 * wsum[o]),
  // the sum exact in 32-bit integers (in <= kMaxQ8In).
  void (*gemv_q8)(const uint8_t* x, int64_t ldx, int M, const float* xscale, const int8_t* w, int64_t ldw, int64_t in,
                  const float* scales, const int32_t* wsum, const float* bias, float* y, int64_t ldy, int64_t o0,
                  int64_t o1);
};

// The widest row gemv_q8 takes: 255 * 127 * in stays within a 32-bit integer.
constexpr int64_t kMaxQ8In = 65536;

// The table of the level in use (cpu::kernel_isa()).
const Table& active();
// Each level's table, for tests; avx512() is null where the CPU lacks it.
const Table& generic();
const Table* avx512();

// Scalar helpers shared by both levels.
uint16_t to_bf16(float x);
float from_bf16(uint16_t b);

}  // namespace parley::kernels
