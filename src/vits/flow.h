// VITS's prior flow (VitsResidualCouplingBlock) run in reverse: for each coupling layer, last
// first, the channels are flipped, then the second half loses the mean a WaveNet predicts from the
// first half (the published models are mean-only: the scale is exp(0)).
#pragma once

#include <vector>

#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "vits/config.h"
#include "vits/layers.h"
#include "weights/weights.h"

namespace parley::vits {

class PriorFlow {
 public:
  PriorFlow() = default;
  PriorFlow(const Weights& w, const VitsConfig& c);
  // z [frames, flow_size] in place; speaker [speaker_embedding_size] or empty.
  void reverse(Tensor& z, const Tensor& speaker) const;

 private:
  struct Coupling {
    Linear pre, post;
    WaveNet wavenet;
  };
  std::vector<Coupling> couplings_;
  int64_t flow_size_ = 0;
};

}  // namespace parley::vits
