// What a translation checkpoint's config.json and generation_config.json say (the fields the
// engine uses), for the two architectures Parley runs:
//   M2M100ForConditionalGeneration (NLLB-200, M2M100): pre-norm, final encoder/decoder layer_norm,
//     fairseq sinusoidal positions (offset 2), no logits bias;
//   MarianMTModel (opus-mt): post-norm, no final norms, Marian's sinusoidal positions,
//     final_logits_bias.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace parley::mt {

enum class Architecture { M2M100, Marian };
enum class Activation { Relu, Swish, Gelu };

struct MtConfig {
  Architecture architecture = Architecture::M2M100;
  std::string model_type;  // "m2m_100", "marian"
  int64_t d_model = 0, vocab_size = 0, max_position_embeddings = 0;
  int encoder_layers = 0, decoder_layers = 0;
  int encoder_heads = 0, decoder_heads = 0;
  int64_t encoder_ffn_dim = 0, decoder_ffn_dim = 0;
  Activation activation = Activation::Relu;
  bool scale_embedding = false;
  int pad_token_id = 1;
};

// generation_config.json (else config.json's generation fields), with transformers' defaults.
struct GenerationDefaults {
  int decoder_start_token_id = 2;
  int eos_token_id = 2;
  int forced_eos_token_id = -1;  // -1: none
  int num_beams = 1;
  bool early_stopping = false;
  float length_penalty = 1.0f;
  int max_length = 20;
  int no_repeat_ngram_size = 0;
  float repetition_penalty = 1.0f;
  std::vector<std::vector<int>> bad_words_ids;
};

// Reads config.json; throws Error(BadModel) naming the file for a missing field, a value out of range
// or an architecture that is not one of the two.
MtConfig load_config(const std::filesystem::path& folder);
GenerationDefaults load_generation_defaults(const std::filesystem::path& folder);

}  // namespace parley::mt
