// Matrix products and 1-D convolutions on oneDNN (Debian's libdnnl), for the shapes where a tuned
// library beats a hand-written loop: many rows (the encoders, the text encoder, the vocoder).
// Internal to tensor/: models use ops.h, Linear and Conv1d.
//
// Primitives are created once per shape and kept (oneDNN's creation costs tens of microseconds);
// each runs with a per-thread scratchpad, so several threads may run the same one at once.
#pragma once

#include <cstdint>

namespace parley::onednn {

// C[M, N] = alpha * op(A) op(B) + beta * C in float32, row-major with leading dimensions
// (op(A) is [M, K], op(B) is [K, N]).
void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
              const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// y[M, N] (row stride ldy) = x[M, K] (row stride ldx) W^T + bias, W [N, K] row-major (row stride
// ldw), bias [N] or null. The bf16 form rounds x to bf16 and accumulates in float32.
void linear_f32(const float* x, int64_t ldx, int64_t M, const float* w, int64_t ldw, int64_t N, int64_t K,
                const float* bias, float* y, int64_t ldy);
void linear_bf16(const float* x, int64_t ldx, int64_t M, const uint16_t* w, int64_t ldw, int64_t N, int64_t K,
                 const float* bias, float* y, int64_t ldy);

// C[M, N] (row stride ldc) = A[M, K] (row stride lda) B[K, N] (row stride ldb) + bias[N] (or null)
// + (accumulate ? C : 0). A and B are both float32, or both bf16 when `bf16` (summed in float32).
void matmul(bool bf16, int64_t M, int64_t N, int64_t K, const void* A, int64_t lda, const void* B, int64_t ldb,
            const float* bias, bool accumulate, float* C, int64_t ldc);

// y [cout, t_out] = conv1d(x [cin, t_in], w [cout, cin, ks]) + bias (or null), PyTorch's Conv1d
// without the batch. Returns false (and does nothing) for a padding oneDNN cannot express, so the
// caller falls back to its own path.
bool conv1d_f32(const float* x, int64_t cin, int64_t t_in, const float* w, int64_t cout, int64_t ks, const float* bias,
                int64_t stride, int64_t padding, int64_t dilation, float* y, int64_t t_out);

// Whether bf16 products run natively here (AVX-512 BF16); elsewhere linear_bf16 still works, on
// oneDNN's emulation or by widening the weights.
bool native_bf16();

}  // namespace parley::onednn
