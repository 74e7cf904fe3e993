// SpeechT5 text-to-speech (microsoft/speecht5_tts layout): token ids + speaker x-vector -> mel
// spectrogram, computing what transformers 4.27.1's SpeechT5ForTextToSpeech.generate_speech computes.
//
//   ids ──text encoder (relative position bias)──► states [tokens, hidden]
//   loop: last frame ──prenet (dropout on) + speaker──► decoder step (self-attn cache, cross-attn)
//         ──feat_out──► reduction_factor frames, ──prob_out──► stop logits; stop rule of the reference
//   frames ──postnet (conv + batch norm + tanh, residual)──► mel [frames, num_mel_bins]
//
// SpeechT5Tts is immutable once loaded and shared by threads; a TtsSession holds one request's state
// (KV caches, buffers) and is reused from sentence to sentence without allocating per step.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/run_control.h"
#include "speecht5/config.h"
#include "speecht5/prenet_masks.h"
#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "text/speecht5_tokenizer.h"

namespace parley {
class Weights;
}

namespace parley::speecht5 {

// The stop rule's settings, as generate_speech's arguments (same defaults).
struct GenerateOptions {
  double threshold = 0.5;    // stop when any of a step's stop probabilities reaches this
  double minlenratio = 0.0;  // no stop before int(tokens * minlenratio / reduction_factor) steps
  double maxlenratio = 20.0; // stop at int(tokens * maxlenratio / reduction_factor) steps
  const RunControl* control = nullptr;  // checked every step: a cancelled request stops there
  // Throws Error(InvalidArgument) for values the rule cannot use (negative or not finite).
  void validate() const;
};

enum class StopReason {
  Threshold,  // a stop probability reached the threshold
  MaxLength,  // the step count reached maxlen
  Positions,  // the model's speech positional table ran out (the reference would fail here)
};
const char* stop_reason_name(StopReason r);  // "threshold", "maxlen", "positions"

struct TtsResult {
  Tensor encoder;      // [tokens, hidden] text encoder output
  Tensor spectra;      // [steps * reduction_factor, num_mel_bins] feat_out, before the postnet
  Tensor stop_logits;  // [steps, reduction_factor] prob_out, before the sigmoid
  Tensor mel;          // [steps * reduction_factor, num_mel_bins] after the postnet
  int64_t steps = 0;
  StopReason stop = StopReason::MaxLength;
};

struct LayerNorm {
  Tensor weight, bias;
};

struct Attention {
  Linear q, k, v, out;
};

struct EncoderLayer {
  Attention attention;
  LayerNorm norm;
  Linear ffn_in, ffn_out;
  LayerNorm final_norm;
};

struct DecoderLayer {
  Attention self_attn;
  LayerNorm self_norm;
  Attention cross_attn;
  LayerNorm cross_norm;
  Linear ffn_in, ffn_out;
  LayerNorm final_norm;
};

// A postnet convolution with its eval-mode batch norm folded in (scale into the weight, shift as
// bias), as PyTorch's CPU batch norm itself computes x * (w / sqrt(var + eps)) + (b - mean * that).
struct PostnetLayer {
  Tensor weight;  // [out, in, kernel]
  Tensor bias;    // [out]
  bool tanh = true;
};

class SpeechT5Tts {
 public:
  // Reads config.json, the tokenizer files and the weights of a speecht5_tts-style folder.
  // Throws Error(NotFound) for a missing folder, Error(BadModel) for anything missing or inconsistent.
  static std::shared_ptr<const SpeechT5Tts> load(const std::filesystem::path& folder);

  const TtsConfig& config() const { return config_; }
  const SpeechT5Tokenizer& tokenizer() const { return tokenizer_; }
  // The most tokens one generate() call takes (rows of the text positional table).
  int64_t max_tokens() const { return text_pe_.dim(0); }
  // The most decoder steps (rows of the speech positional table).
  int64_t max_steps() const { return speech_pe_.dim(0); }

  // Encoder states [tokens, hidden] for ids (1 <= count <= max_tokens(), each < the vocabulary).
  Tensor encode(std::span<const int> ids) const;

  // One generate_speech run with a fresh session (see TtsSession::generate).
  TtsResult generate(std::span<const int> ids, const Tensor& speaker, const GenerateOptions& options,
                     PrenetMasks& masks) const;

 private:
  friend class TtsSession;
  void load_weights(const Weights& w);

  TtsConfig config_;
  SpeechT5Tokenizer tokenizer_;
  // text encoder
  Tensor embed_tokens_;     // [vocab, hidden]
  Tensor text_pe_;          // [max_text_positions, hidden]
  float text_alpha_ = 1.f;
  LayerNorm encoder_norm_;
  Tensor rel_pos_;          // [2 * encoder_max_relative_position, head_dim]
  std::vector<EncoderLayer> encoder_layers_;
  // speech decoder
  std::vector<Linear> prenet_layers_;
  Linear prenet_final_;
  Tensor speech_pe_;        // [max_speech_positions, hidden]
  float speech_alpha_ = 1.f;
  Linear speaker_hidden_;   // the hidden-state columns of speaker_embeds_layer (no bias)
  Linear speaker_xvector_;  // its x-vector columns, with the bias (applied once per request)
  std::vector<DecoderLayer> decoder_layers_;
  Linear feat_out_, prob_out_;
  std::vector<PostnetLayer> postnet_;
};

// One request's decoding state. Not thread-safe; create one per worker and reuse it.
class TtsSession {
 public:
  explicit TtsSession(std::shared_ptr<const SpeechT5Tts> model);
  ~TtsSession();
  TtsSession(TtsSession&&) noexcept;
  TtsSession& operator=(TtsSession&&) noexcept;

  // generate_speech(ids, speaker, threshold, minlenratio, maxlenratio): the speaker x-vector
  // (speaker_embedding_dim values, any shape of that size; L2-normalised here as the reference
  // does) and the prenet's dropout masks from `masks`. Throws Error(BadInput) for a wrong speaker
  // size, non-finite values, or masks that run out.
  TtsResult generate(std::span<const int> ids, const Tensor& speaker, const GenerateOptions& options,
                     PrenetMasks& masks);

  const SpeechT5Tts& model() const { return *model_; }

 private:
  struct State;
  std::shared_ptr<const SpeechT5Tts> model_;
  std::unique_ptr<State> state_;
};

}  // namespace parley::speecht5
