// SpeechT5's vocoder (microsoft/speecht5_hifigan layout): mel spectrogram -> waveform, as transformers
// 4.27.1's SpeechT5HifiGan computes it. The network is vocoder/hifigan.h's, shared with VITS; this
// is its SpeechT5 checkpoint: config.json (HifiGanConfig), the layers under their plain names, and
// the mel's mean/scale normalisation when normalize_before.
#pragma once

#include <filesystem>
#include <memory>

#include "speecht5/config.h"
#include "vocoder/hifigan.h"

namespace parley::speecht5 {

class HifiGan : public vocoder::HifiGan {
 public:
  // Reads config.json and the weights of a speecht5_hifigan-style folder; throws Error(BadModel).
  static std::shared_ptr<const HifiGan> load(const std::filesystem::path& folder);
  HifiGan(HifiGanConfig config, const Weights& weights);

  // The generator's sizes are shape()'s (its in_channels: the mel bins).
  int64_t mel_bins() const { return in_channels(); }
};

}  // namespace parley::speecht5
