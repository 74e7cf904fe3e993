#include "speecht5/layers.h"

#include <cmath>

#include "core/error.h"
#include "tensor/ops.h"

namespace parley::speecht5 {

Linear load_linear(const Weights& w, const std::string& prefix, int64_t out, int64_t in, bool bias) {
  return Linear(w.get(prefix + ".weight", {out, in}), bias ? w.get(prefix + ".bias", {out}) : Tensor());
}

Tensor load_vector(const Weights& w, const std::string& name, int64_t size) { return w.get(name, {size}); }

float load_scalar(const Weights& w, const std::string& name) {
  const Tensor t = w.get(name);
  if (t.numel() != 1)
    bad_model(w.source() + ": tensor '" + name + "' has shape " + t.shape_string() + ", expected a single value");
  return t[0];
}

Tensor sinusoid_table(int64_t positions, int64_t dim) {
  if (dim % 2 != 0) bad_model("cannot build a sinusoidal position table of odd width " + std::to_string(dim));
  Tensor pe({positions, dim});
  const float step = static_cast<float>(-(std::log(10000.0) / static_cast<double>(dim)));
  for (int64_t i = 0; i < dim; i += 2) {
    const float div = std::exp(static_cast<float>(i) * step);
    for (int64_t p = 0; p < positions; ++p) {
      const float angle = static_cast<float>(p) * div;
      pe[p * dim + i] = std::sin(angle);
      pe[p * dim + i + 1] = std::cos(angle);
    }
  }
  return pe;
}

Tensor load_or_build_positions(const Weights& w, const std::string& name, int64_t positions, int64_t dim) {
  if (!w.has(name)) return sinusoid_table(positions, dim);
  const Tensor t = w.get(name);
  // The stored table decides how many positions the model has; its width must match.
  if (t.ndim() != 3 || t.dim(0) != 1 || t.dim(2) != dim || t.dim(1) < 1)
    bad_model(w.source() + ": tensor '" + name + "' has shape " + t.shape_string() + ", expected [1, positions, " +
              std::to_string(dim) + "]");
  return t.reshaped({t.dim(1), dim});
}

void relu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] : 0.f;
}

void activate(Activation act, Tensor& t) {
  float* x = t.data();
  const int64_t n = t.numel();
  switch (act) {
    case Activation::Gelu:
      ops::gelu(t);
      break;
    case Activation::GeluTanh: {
      const float c = static_cast<float>(std::sqrt(2.0 / M_PI));
      for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::tanh(c * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
      break;
    }
    case Activation::Relu:
      relu(x, n);
      break;
    case Activation::Silu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
      break;
  }
}

}  // namespace parley::speecht5
