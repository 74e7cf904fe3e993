#include "vits/decoder.h"

#include "vits/layers.h"

namespace parley::vits {

namespace {

vocoder::HifiGanShape shape_of(const VitsConfig& c) {
  vocoder::HifiGanShape s;
  s.in_channels = c.flow_size;
  s.sampling_rate = c.sampling_rate;
  s.upsample_initial_channel = c.upsample_initial_channel;
  s.upsample_rates = c.upsample_rates;
  s.upsample_kernel_sizes = c.upsample_kernel_sizes;
  s.resblock_kernel_sizes = c.resblock_kernel_sizes;
  s.resblock_dilation_sizes = c.resblock_dilation_sizes;
  s.leaky_relu_slope = c.leaky_relu_slope;
  return s;
}

}  // namespace

Decoder::Decoder(const Weights& w, const VitsConfig& c)
    : hifigan_(shape_of(c), vocoder::HifiGanWeights{w, "decoder.",
                                                    [&w](const std::string& name, const Shape& shape) {
                                                      return load_conv_weight(w, name, shape);
                                                    },
                                                    false}) {
  if (c.speaker_embedding_size > 0) {
    cond_ = load_pointwise(w, "decoder.cond", c.upsample_initial_channel, c.speaker_embedding_size);
    has_cond_ = true;
  }
}

std::vector<float> Decoder::forward(const Tensor& latent, const Tensor& speaker) const {
  if (!has_cond_ || speaker.empty()) return hifigan_.vocode(latent);
  Tensor g;  // the speaker's bias after conv_pre
  cond_.forward(speaker.reshaped({1, speaker.numel()}), g);
  return hifigan_.vocode(latent, std::span<const float>(g.data(), static_cast<size_t>(g.numel())));
}

}  // namespace parley::vits
