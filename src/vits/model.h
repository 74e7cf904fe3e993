// A VITS text-to-speech checkpoint (transformers' VitsModel; MMS-TTS, facebook/mms-tts-<iso639-3>)
// and its inference, as transformers v4.33's models/vits computes it:
//
//   ids ─► text encoder ─► hidden, prior means / log-scales per token
//   hidden ─► duration predictor (stochastic, in reverse from noise; or plain) ─► log durations
//   durations = ceil(exp(log_duration) / speaking_rate) frames per token
//   prior latent per frame = mean + noise · exp(log_scale) · noise_scale of its token
//   ─► prior flow in reverse ─► HiFi-GAN decoder ─► waveform at config().generator.sampling_rate
//
// Multi-speaker checkpoints condition the duration predictor, the flow and the decoder on a
// speaker embedding (one row of embed_speaker per speaker id). Immutable once loaded; synthesize()
// may run on several threads at once (each with its own NoiseSource).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "tensor/tensor.h"
#include "vits/config.h"
#include "vits/decoder.h"
#include "vits/duration.h"
#include "vits/flow.h"
#include "vits/noise.h"
#include "vits/text_encoder.h"
#include "vits/tokenizer.h"

namespace parley::vits {

struct VitsOptions {
  std::optional<double> speaking_rate, noise_scale, noise_scale_duration;  // unset: the config's
  int64_t speaker = 0;  // multi-speaker models: 0 .. num_speakers - 1
};

struct VitsOutput {
  std::vector<float> audio;          // frames * hop_length samples in [-1, 1]
  std::vector<float> log_duration;   // per input id, the duration predictor's output
  std::vector<int64_t> durations;    // frames per input id
};

class VitsModel {
 public:
  // Reads config.json, the tokenizer files and the weights (model.safetensors or
  // pytorch_model.bin) of a Hugging Face folder. Throws Error(BadModel) / Error(NotFound).
  static std::shared_ptr<const VitsModel> load(const std::filesystem::path& folder);

  const VitsConfig& config() const { return config_; }
  const VitsTokenizer& tokenizer() const { return *tokenizer_; }
  int sample_rate() const { return static_cast<int>(config_.generator.sampling_rate); }

  // Checks options against the model; throws Error(InvalidArgument).
  void check(const VitsOptions& options) const;
  // One utterance from input ids (a tokenizer's). Throws Error(BadInput) for no ids or ids outside
  // the vocabulary.
  VitsOutput synthesize_ids(const std::vector<int64_t>& ids, const VitsOptions& options, NoiseSource& noise) const;
  // The same from text (tokenized here).
  VitsOutput synthesize(std::string_view text, const VitsOptions& options, NoiseSource& noise) const {
    return synthesize_ids(tokenizer_->encode(text), options, noise);
  }

 private:
  Tensor speaker_embedding(int64_t speaker) const;

  VitsConfig config_;
  std::unique_ptr<VitsTokenizer> tokenizer_;
  TextEncoder encoder_;
  DurationPredictor duration_;
  PriorFlow flow_;
  Decoder decoder_;
  Tensor embed_speaker_;  // [num_speakers, speaker_embedding_size] when num_speakers > 1
};

}  // namespace parley::vits
