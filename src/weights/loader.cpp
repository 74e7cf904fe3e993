#include "weights/loader.h"

#include <cstring>

#include "core/error.h"

namespace parley {

Linear WeightLoader::linear(const std::string& prefix, int64_t out, int64_t in) {
  return Linear(get(prefix + ".weight", {out, in}), get(prefix + ".bias", {out}));
}

Linear WeightLoader::stacked(const std::string& prefix, const std::vector<std::string>& names,
                             const std::vector<bool>& with_bias, int64_t d) {
  const int64_t parts = static_cast<int64_t>(names.size());
  Tensor weight({parts * d, d});
  Tensor bias({parts * d});  // zero where a projection has no bias
  for (int64_t p = 0; p < parts; ++p) {
    const std::string name = prefix + "." + names[static_cast<size_t>(p)];
    Tensor w = get(name + ".weight", {d, d});
    std::memcpy(weight.data() + p * d * d, w.data(), sizeof(float) * d * d);
    if (with_bias[static_cast<size_t>(p)]) {
      Tensor b = get(name + ".bias", {d});
      std::memcpy(bias.data() + p * d, b.data(), sizeof(float) * d);
    }
  }
  return Linear(weight, bias);
}

void WeightLoader::check_all_used() const {
  for (const auto& name : w_.names())
    if (!used_.count(name)) bad_model(w_.source() + ": unexpected tensor '" + name + "' (not part of " + model_ + ")");
}

}  // namespace parley
