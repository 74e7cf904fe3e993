// Typed, validated configuration of a VITS text-to-speech checkpoint (transformers' VitsConfig, as
// the MMS-TTS checkpoints facebook/mms-tts-<iso639-3> publish it), read from config.json. Every
// dimension the model uses comes from here, checked against sane bounds before anything is
// allocated: a config asking for absurd sizes fails with one line, not an out-of-memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vocoder/hifigan.h"

namespace parley::vits {

enum class Activation { Relu, Gelu };

struct VitsConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t window_size = 4;  // relative positions seen by attention: -window .. window
  int64_t ffn_dim = 0;
  int64_t ffn_kernel_size = 0;
  Activation hidden_act = Activation::Relu;
  double layer_norm_eps = 1e-5;
  int64_t flow_size = 0;
  int64_t spectrogram_bins = 0;

  bool use_stochastic_duration_prediction = true;
  int64_t duration_predictor_kernel_size = 0;
  int64_t duration_predictor_filter_channels = 0;  // the plain predictor's width
  int64_t duration_predictor_flow_bins = 0;
  int64_t duration_predictor_num_flows = 0;
  double duration_predictor_tail_bound = 5.0;
  int64_t depth_separable_channels = 2;
  int64_t depth_separable_num_layers = 0;

  int64_t prior_encoder_num_flows = 0;
  int64_t prior_encoder_num_wavenet_layers = 0;
  int64_t wavenet_kernel_size = 0;
  int64_t wavenet_dilation_rate = 1;

  // The HiFi-GAN decoder's shape (in_channels: flow_size; sampling_rate 16000 when not given).
  vocoder::HifiGanShape generator;

  int64_t num_speakers = 1;
  int64_t speaker_embedding_size = 0;

  // Synthesis defaults (the options override them).
  double speaking_rate = 1.0;
  double noise_scale = 0.667;
  double noise_scale_duration = 0.8;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }

  // Reads and validates; throws Error(BadModel) naming `source` and the field.
  static VitsConfig from_json(const nlohmann::json& j, const std::string& source);
};

}  // namespace parley::vits
