// Typed, validated configurations of a SpeechT5 text-to-speech checkpoint and a HiFi-GAN vocoder,
// read from their config.json. Every dimension the models use comes from here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vocoder/hifigan.h"

namespace parley::speecht5 {

// Activation functions a config's "hidden_act" may name (transformers' ACT2FN names).
enum class Activation { Gelu, GeluTanh, Relu, Silu };

// The fields of transformers' SpeechT5Config that text-to-speech inference uses.
struct TtsConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t encoder_layers = 0;
  int64_t encoder_attention_heads = 0;
  int64_t encoder_ffn_dim = 0;
  int64_t encoder_max_relative_position = 0;
  int64_t decoder_layers = 0;
  int64_t decoder_attention_heads = 0;
  int64_t decoder_ffn_dim = 0;
  Activation hidden_act = Activation::Gelu;
  double layer_norm_eps = 1e-5;
  int64_t num_mel_bins = 0;
  int64_t reduction_factor = 0;     // mel frames produced per decoder step
  int64_t speaker_embedding_dim = 0;
  int64_t max_text_positions = 0;   // rows of the text positional table: the longest input
  int64_t max_speech_positions = 0; // rows of the speech positional table: the most decoder steps
  int64_t prenet_layers = 0;
  int64_t prenet_units = 0;
  double prenet_dropout = 0;        // applied at inference too, as the reference does
  int64_t postnet_layers = 0;
  int64_t postnet_units = 0;
  int64_t postnet_kernel = 0;

  // Reads and validates; throws Error(BadModel) naming `source` and the field.
  static TtsConfig from_json(const nlohmann::json& j, const std::string& source);
};

// The fields of transformers' SpeechT5HifiGanConfig: the generator's shape (in_channels: its
// model_in_dim, the mel bins in) and the input normalisation.
struct HifiGanConfig {
  vocoder::HifiGanShape generator;
  bool normalize_before = true;

  static HifiGanConfig from_json(const nlohmann::json& j, const std::string& source);
};

}  // namespace parley::speecht5
