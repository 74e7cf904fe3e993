#include "vits/flow.h"

#include <algorithm>

namespace parley::vits {

PriorFlow::PriorFlow(const Weights& w, const VitsConfig& c) : flow_size_(c.flow_size) {
  const int64_t half = c.flow_size / 2;
  for (int64_t i = 0; i < c.prior_encoder_num_flows; ++i) {
    const std::string p = "flow.flows." + std::to_string(i);
    couplings_.push_back({load_pointwise(w, p + ".conv_pre", c.hidden_size, half),
                          load_pointwise(w, p + ".conv_post", half, c.hidden_size),
                          WaveNet(w, p + ".wavenet", c, c.prior_encoder_num_wavenet_layers)});
  }
}

void PriorFlow::reverse(Tensor& z, const Tensor& speaker) const {
  const int64_t T = z.dim(0), F = flow_size_, half = F / 2;
  Tensor first({T, half}), h, mean;
  for (auto it = couplings_.rbegin(); it != couplings_.rend(); ++it) {
    for (int64_t t = 0; t < T; ++t) std::reverse(z.data() + t * F, z.data() + (t + 1) * F);
    for (int64_t t = 0; t < T; ++t) std::copy(z.data() + t * F, z.data() + t * F + half, first.data() + t * half);
    it->pre.forward(first, h);
    const Tensor skip = it->wavenet.forward(h, speaker);
    it->post.forward(skip, mean);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < half; ++c) z[t * F + half + c] -= mean[t * half + c];
  }
}

}  // namespace parley::vits
