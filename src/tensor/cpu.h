// Which instruction-set level the op layer's own kernels use, chosen at run time.
//
// Kernels exist in a portable C++ form and an AVX-512 form (F, BW, VL, DQ; compiled with target
// attributes, so a binary built without -march=native still has them and one built for an older
// x86-64 never runs them). The best level this CPU supports is used unless PARLEY_KERNELS=generic
// is set in the environment or a test forces a level.
#pragma once

namespace parley::cpu {

enum class Isa { Generic, Avx512 };

struct Features {
  bool avx512 = false;       // AVX-512 F + BW + VL + DQ (+ FMA, AVX2)
  bool avx512_bf16 = false;  // VDPBF16PS
  bool avx512_vnni = false;  // VPDPBUSD
};

const Features& features();
const char* isa_name(Isa isa);  // "generic", "avx512"

// The level the kernels use now.
Isa kernel_isa();
// Forces a level (clamped to what the CPU supports); returns the level in effect. For tests and the
// benchmark.
Isa set_kernel_isa(Isa isa);

}  // namespace parley::cpu
