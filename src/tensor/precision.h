// How a model holds its weights: float32 as stored (the default, the reference's numbers), or a
// reduced copy made at load that replaces the float32 one.
//
//   f32   float32 weights; products accumulate in float32.
//   bf16  bfloat16 weights (float32's top 16 bits, rounded to nearest even): half the memory and
//         memory traffic; one-row products widen them to float32 and accumulate in float32; many-row
//         products (encoders, vocoder) also round the activations to bf16 (AVX-512 BF16 units).
//   int8  fully connected weights as int8 with one float scale per output row (symmetric, scale =
//         max |w| / 127): a quarter of the memory; one-row products (decoder steps) widen them to
//         float32; many-row products and convolutions run as in bf16.
#pragma once

#include <string>
#include <string_view>

namespace parley {

enum class Precision { F32, BF16, Int8 };

const char* precision_name(Precision p);  // "f32", "bf16", "int8"
// Parses a precision name; throws Error(InvalidArgument) naming the accepted values.
Precision parse_precision(std::string_view name);

// The precision of Linear layers built without an explicit one, i.e. every model's layers: set once
// at startup (the CLI's --precision) before models load; f32 unless set.
void set_default_precision(Precision p);
Precision default_precision();

}  // namespace parley
