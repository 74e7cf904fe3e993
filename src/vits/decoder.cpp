#include "vits/decoder.h"

#include "vits/layers.h"

namespace parley::vits {

Decoder::Decoder(const Weights& w, const VitsConfig& c)
    : hifigan_(c.generator,
               vocoder::HifiGanWeights{
                   w, "decoder.",
                   [&w](const std::string& name, const Shape& shape) { return load_conv_weight(w, name, shape); },
                   /*post_bias=*/false}) {
  if (c.speaker_embedding_size > 0) {
    cond_ = load_pointwise(w, "decoder.cond", c.generator.upsample_initial_channel, c.speaker_embedding_size);
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
