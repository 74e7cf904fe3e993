// Small building blocks shared by the SpeechT5 and HiFi-GAN code: checked weight loading and the
// element-wise functions the reference applies.
#pragma once

#include <string>

#include "speecht5/config.h"
#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "weights/weights.h"

namespace parley::speecht5 {

// nn.Linear at `prefix` (prefix.weight [out, in], prefix.bias [out] when `bias`).
Linear load_linear(const Weights& w, const std::string& prefix, int64_t out, int64_t in, bool bias = true);

// A 1-D tensor of `size` floats (e.g. a norm's weight).
Tensor load_vector(const Weights& w, const std::string& name, int64_t size);

// A 0-d (or one-element) float parameter, such as a positional encoding's alpha.
float load_scalar(const Weights& w, const std::string& name);

// SpeechT5ScaledPositionalEncoding's `pe` buffer [positions, dim]: loaded when the weights hold it
// (name with shape [1, positions, dim]), else built as the reference's constructor does.
Tensor load_or_build_positions(const Weights& w, const std::string& name, int64_t positions, int64_t dim);

// The sinusoid table: pe[p, 2i] = sin(p * d_i), pe[p, 2i+1] = cos(p * d_i), d_i = exp(2i * -ln(10000)/dim),
// in float32 as the reference computes it.
Tensor sinusoid_table(int64_t positions, int64_t dim);

// In place.
void activate(Activation act, Tensor& x);
void relu(float* x, int64_t n);

}  // namespace parley::speecht5
