// VITS's waveform decoder (VitsHifiGan): the project's HiFi-GAN (vocoder/hifigan.h, shared with
// SpeechT5's vocoder) from the flow's latent frames. As a VITS checkpoint has it: layers under
// "decoder.", weight-normalised (weight_g / weight_v, folded at load), conv_post without bias, no
// input normalisation, and for multi-speaker models a speaker projection (decoder.cond) added after
// conv_pre.
#pragma once

#include <vector>

#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "vits/config.h"
#include "vocoder/hifigan.h"
#include "weights/weights.h"

namespace parley::vits {

class Decoder {
 public:
  Decoder() = default;
  Decoder(const Weights& w, const VitsConfig& c);
  // latent [frames, flow_size] -> frames * generator.hop_length() samples in [-1, 1].
  std::vector<float> forward(const Tensor& latent, const Tensor& speaker) const;

 private:
  vocoder::HifiGan hifigan_;
  Linear cond_;
  bool has_cond_ = false;
};

}  // namespace parley::vits
