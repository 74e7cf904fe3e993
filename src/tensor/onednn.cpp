#include "tensor/onednn.h"

#include <cstdlib>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "tensor/kernels.h"
#include "tensor/onednn_detail.h"
#include "tensor/parallel.h"

namespace parley::onednn {

namespace detail {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

dnnl::primitive_attr base_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

namespace {

// A 64-byte-aligned buffer that only grows.
struct Scratch {
  void* data = nullptr;
  size_t size = 0;
  ~Scratch() { std::free(data); }
  void* reserve(size_t n) {
    if (n > size) {
      std::free(data);
      size = (n + 4095) / 4096 * 4096;
      data = std::aligned_alloc(64, size);
      if (!data) {
        size = 0;
        fail(ErrorKind::Internal, "out of memory for a " + std::to_string(n) + "-byte scratchpad");
      }
    }
    return data;
  }
};

}  // namespace

void execute(const dnnl::primitive& p, const dnnl::memory::desc& scratch, std::unordered_map<int, dnnl::memory> args) {
  thread_local Scratch buffer;
  const size_t need = scratch.get_size();
  if (need > 0) args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratch, engine(), buffer.reserve(need)));
  parallel::sync_openmp_threads();
  p.execute(stream(), args);
  stream().wait();
}

void rethrow(const dnnl::error& e, const std::string& what) {
  fail(ErrorKind::Internal, "oneDNN failed in " + what + ": " + e.what());
}

}  // namespace detail

namespace {

using namespace detail;
using dt = dnnl::memory::data_type;

// One matmul shape: dims, strides (elements) and types.
struct Key {
  int64_t M, N, K, a0, a1, b0, b1, ldc;
  dt a_type, b_type;
  bool bias;
  float alpha, beta;
  bool operator<(const Key& o) const {
    return std::tie(M, N, K, a0, a1, b0, b1, ldc, a_type, b_type, bias, alpha, beta) <
           std::tie(o.M, o.N, o.K, o.a0, o.a1, o.b0, o.b1, o.ldc, o.a_type, o.b_type, o.bias, o.alpha, o.beta);
  }
};

struct Matmul {
  dnnl::matmul prim;
  dnnl::memory::desc a, b, c, bias, scratch;
};

std::shared_ptr<const Matmul> matmul_for(const Key& k) {
  static Cache<Key, Matmul> cache(1024);
  return cache.get(k, [&] {
    auto m = std::make_shared<Matmul>();
    m->a = dnnl::memory::desc({k.M, k.K}, k.a_type, {k.a0, k.a1});
    m->b = dnnl::memory::desc({k.K, k.N}, k.b_type, {k.b0, k.b1});
    m->c = dnnl::memory::desc({k.M, k.N}, dt::f32, {k.ldc, 1});
    if (k.bias) m->bias = dnnl::memory::desc({1, k.N}, dt::f32, {k.N, 1});
    dnnl::primitive_attr attr = base_attr();
    if (k.alpha != 1.f) attr.set_output_scales(0, {k.alpha});
    if (k.beta != 0.f) {
      dnnl::post_ops ops;
      ops.append_sum(k.beta);
      attr.set_post_ops(ops);
    }
    const dnnl::matmul::desc desc = k.bias ? dnnl::matmul::desc(m->a, m->b, m->bias, m->c) : dnnl::matmul::desc(m->a, m->b, m->c);
    const dnnl::matmul::primitive_desc pd(desc, attr, engine());
    m->scratch = pd.scratchpad_desc();
    m->prim = dnnl::matmul(pd);
    return std::shared_ptr<const Matmul>(std::move(m));
  });
}

void run(const Key& k, const void* a, const void* b, const float* bias, float* c) {
  try {
    const auto m = matmul_for(k);
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, dnnl::memory(m->a, engine(), const_cast<void*>(a))},
        {DNNL_ARG_WEIGHTS, dnnl::memory(m->b, engine(), const_cast<void*>(b))},
        {DNNL_ARG_DST, dnnl::memory(m->c, engine(), c)}};
    if (bias) args.emplace(DNNL_ARG_BIAS, dnnl::memory(m->bias, engine(), const_cast<float*>(bias)));
    execute(m->prim, m->scratch, std::move(args));
  } catch (const dnnl::error& e) {
    rethrow(e, "a " + std::to_string(k.M) + "x" + std::to_string(k.N) + "x" + std::to_string(k.K) + " matrix product");
  }
}

// A thread's buffer for x rounded to bf16.
uint16_t* bf16_buffer(size_t n) {
  thread_local std::vector<uint16_t> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

}  // namespace

void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
              const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const Key k{M, N, K, trans_a ? 1 : lda, trans_a ? lda : 1, trans_b ? 1 : ldb, trans_b ? ldb : 1, ldc,
              dt::f32, dt::f32, false, alpha, beta};
  run(k, A, B, nullptr, C);
}

void linear_f32(const float* x, int64_t ldx, int64_t M, const float* w, int64_t ldw, int64_t N, int64_t K,
                const float* bias, float* y, int64_t ldy) {
  const Key k{M, N, K, ldx, 1, 1, ldw, ldy, dt::f32, dt::f32, bias != nullptr, 1.f, 0.f};
  run(k, x, w, bias, y);
}

void linear_bf16(const float* x, int64_t ldx, int64_t M, const uint16_t* w, int64_t ldw, int64_t N, int64_t K,
                 const float* bias, float* y, int64_t ldy) {
  uint16_t* xb = bf16_buffer(static_cast<size_t>(M * K));
  const kernels::Table& kt = kernels::active();
  parallel::for_range(M, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) kt.to_bf16(x + r * ldx, xb + r * K, K);
  });
  const Key k{M, N, K, K, 1, 1, ldw, ldy, dt::bf16, dt::bf16, bias != nullptr, 1.f, 0.f};
  run(k, xb, w, bias, y);
}

void matmul(bool bf16, int64_t M, int64_t N, int64_t K, const void* A, int64_t lda, const void* B, int64_t ldb,
            const float* bias, bool accumulate, float* C, int64_t ldc) {
  const dt type = bf16 ? dt::bf16 : dt::f32;
  const Key k{M, N, K, lda, 1, ldb, 1, ldc, type, type, bias != nullptr, 1.f, accumulate ? 1.f : 0.f};
  run(k, A, B, bias, C);
}

bool native_bf16() {
  static const bool ok = dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core_bf16;
  return ok;
}

}  // namespace parley::onednn
