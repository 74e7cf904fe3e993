// VITS's waveform decoder (VitsHifiGan): HiFi-GAN from the flow's latent frames, built from the same
// time-major layers as the project's SpeechT5 vocoder (tensor/time_conv.h). Differences from
// speecht5/hifigan: the input is the flow's latent (flow_size channels, no mean/scale
// normalisation), conv_post has no bias, and multi-speaker models add a speaker projection after
// conv_pre. Whole-signal passes: an utterance's latent is short (a sentence at a time).
#pragma once

#include <vector>

#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "tensor/time_conv.h"
#include "vits/config.h"
#include "weights/weights.h"

namespace parley::vits {

class Decoder {
 public:
  Decoder() = default;
  Decoder(const Weights& w, const VitsConfig& c);
  // latent [frames, flow_size] -> frames * hop_length() samples in [-1, 1].
  std::vector<float> forward(const Tensor& latent, const Tensor& speaker) const;

 private:
  struct ResBlock {
    std::vector<TimeConv1d> conv1, conv2;  // pairs, conv1 dilated
  };
  void resblock(const ResBlock& b, Tensor& h, Tensor& u) const;

  VitsConfig config_;
  TimeConv1d conv_pre_, conv_post_;
  Linear cond_;
  bool has_cond_ = false;
  std::vector<TimeConvTranspose1d> upsamples_;
  std::vector<ResBlock> resblocks_;  // upsamples x kernels, row-major
};

}  // namespace parley::vits
