// What a model's constructor uses to take its tensors from a checkpoint: each by name with its
// expected shape, Linear layers from `<prefix>.weight` / `<prefix>.bias`, projections stacked into
// one layer, and at the end a check that every tensor of the file was used, so that a tensor the
// model does not know is reported (Error(BadModel) naming the file) instead of silently ignored.
// Shared by the Whisper and translation models; each adds its own layer builders on top.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "weights/weights.h"

namespace parley {

// A LayerNorm's parameters, both [d].
struct LayerNormParams {
  Tensor weight, bias;
};

class WeightLoader {
 public:
  // `model` names the model in the unexpected-tensor error ("a Whisper model").
  WeightLoader(const Weights& weights, std::string model) : w_(weights), model_(std::move(model)) {}

  bool has(const std::string& name) const { return w_.has(name); }
  // The tensor, checked for shape (Error(BadModel) when missing or different); marked used.
  Tensor get(const std::string& name, const Shape& shape) {
    used_.insert(name);
    return w_.get(name, shape);
  }
  // A copy of a tied or computed tensor that some files carry: checked for shape, not used.
  void accept_copy(const std::string& name, const Shape& shape) {
    if (has(name)) get(name, shape);
  }
  // `<prefix>.weight` and `<prefix>.bias`, both [d].
  LayerNormParams norm(const std::string& prefix, int64_t d) {
    return {get(prefix + ".weight", {d}), get(prefix + ".bias", {d})};
  }
  // `<prefix>.weight` [out, in] and `<prefix>.bias` [out].
  Linear linear(const std::string& prefix, int64_t out, int64_t in);
  // Square [d, d] projections `<prefix>.<names[i]>` stacked row-wise into one [n * d, d] layer (one
  // matrix product instead of n); with_bias[i] false for a projection without a bias (zeros there).
  Linear stacked(const std::string& prefix, const std::vector<std::string>& names, const std::vector<bool>& with_bias,
                 int64_t d);
  // Error(BadModel) for the first tensor of the file that no get() asked for.
  void check_all_used() const;

 private:
  const Weights& w_;
  std::string model_;
  std::set<std::string> used_;
};

}  // namespace parley
