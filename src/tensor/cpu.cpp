#include "tensor/cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace parley::cpu {

namespace {

Features detect() {
  Features f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f.avx512_bf16 = f.avx512 && __builtin_cpu_supports("avx512bf16");
  f.avx512_vnni = f.avx512 && __builtin_cpu_supports("avx512vnni");
#endif
  return f;
}

Isa best() { return features().avx512 ? Isa::Avx512 : Isa::Generic; }

Isa initial() {
  const char* env = std::getenv("PARLEY_KERNELS");
  if (env && std::strcmp(env, "generic") == 0) return Isa::Generic;
  return best();
}

std::atomic<Isa>& current() {
  static std::atomic<Isa> isa{initial()};
  return isa;
}

}  // namespace

const Features& features() {
  static const Features f = detect();
  return f;
}

const char* isa_name(Isa isa) { return isa == Isa::Avx512 ? "avx512" : "generic"; }

Isa kernel_isa() { return current().load(std::memory_order_relaxed); }

Isa set_kernel_isa(Isa isa) {
  if (isa == Isa::Avx512 && !features().avx512) isa = Isa::Generic;
  current().store(isa);
  return isa;
}

}  // namespace parley::cpu
