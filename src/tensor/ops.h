// The tensor operations the models need. Models call these, never BLAS directly, so faster
// kernels, threading and reduced precision change this layer and not the model code.
//
// Conventions: activations are row-major [time, channels] for transformer code and [channels, time]
// for convolutions (as PyTorch's Conv1d without the batch); outputs are resized by the op.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace parley::ops {

// Number of threads the ops may use (0 = all cores, the default).
void set_threads(int n);
int threads();

// C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C, row-major with leading dimensions.
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc);

// y = LayerNorm(x) over the last dimension, with weight/bias of that size.
void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y);

// Element-wise, in place.
void gelu(Tensor& x);  // exact GELU: x/2 (1 + erf(x/sqrt 2)), as PyTorch's default
void relu(Tensor& x);
void tanh(Tensor& x);
void leaky_relu(Tensor& x, float slope);
void add(Tensor& x, const Tensor& y);  // x += y, same element count
void add_then_divide(Tensor& x, const Tensor& y, float d);  // x = (x + y) / d, rounded as written
void copy(const Tensor& x, Tensor& y);  // y = x (resized)
void scale(Tensor& x, float s);
void add_row_bias(Tensor& x, const Tensor& bias);  // x[t, c] += bias[c]

// Row-wise softmax / log-softmax over `cols` contiguous values per row.
void softmax_rows(float* x, int64_t rows, int64_t cols);
void log_softmax(float* x, int64_t n);

// Multi-head scaled dot-product attention over row-major [T, heads*head_dim] matrices (row strides
// given), as softmax(q k^T * scale + mask) v per head. `causal`: query i (of tq) sees keys up to
// i + (tk - tq), the layout of a decoder step appended to a cache of tk - tq earlier keys.
// Head h's keys and values start at k + h * k_head_stride and v + h * v_head_stride (-1: head_dim,
// the interleaved layout; a cache laid out [head][position][head_dim] passes tk * head_dim).
// A few queries (a decoder step) take a fused path that reads each key and value once per head.
void attention(const float* q, int ldq, const float* k, int ldk, const float* v, int ldv, float* out, int ldo, int tq,
               int tk, int heads, int head_dim, float scale, bool causal, int64_t k_head_stride = -1,
               int64_t v_head_stride = -1);

// The same over keys and values held in bf16 (a decoder's cache in a reduced precision): the
// products are exact and summed in float32, so only the rounding of k and v differs from above.
void attention(const float* q, int ldq, const uint16_t* k, int ldk, const uint16_t* v, int ldv, float* out, int ldo,
               int tq, int tk, int heads, int head_dim, float scale, bool causal, int64_t k_head_stride = -1,
               int64_t v_head_stride = -1);
// y = bf16(x), rounded to nearest even.
void to_bf16(const float* x, uint16_t* y, int64_t n);

// 1-D convolution of x [Cin, T] with w [Cout, Cin, K] (+ bias [Cout] when not empty) into y [Cout, Tout].
void conv1d(const Tensor& x, const Tensor& w, const Tensor& bias, int stride, int padding, int dilation, Tensor& y);
// y [C, T] = transpose of x [T, C].
void transpose(const Tensor& x, Tensor& y);

}  // namespace parley::ops
