#include "mt/config.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "hf/model_dir.h"

namespace parley::mt {

namespace {

using nlohmann::json;

int positive(const json& j, const std::string& key, const std::string& src, int64_t max) {
  return static_cast<int>(json_int_in(j, key, 1, max, src));
}

Activation parse_activation(const std::string& name, const std::string& src) {
  if (name == "relu") return Activation::Relu;
  if (name == "swish" || name == "silu") return Activation::Swish;
  if (name == "gelu") return Activation::Gelu;
  bad_model(src + ": activation_function \"" + name + "\" is not relu, swish or gelu");
}

// eos_token_id or forced_eos_token_id: an integer, the first of a list, or absent/null (-1).
int token_or_none(const json& j, const std::string& key, const std::string& src) {
  if (!j.contains(key) || j[key].is_null()) return -1;
  if (j[key].is_array() && !j[key].empty() && j[key][0].is_number_integer()) return j[key][0].get<int>();
  return static_cast<int>(json_int(j, key, src));
}

}  // namespace

MtConfig load_config(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  const std::string src = (folder / "config.json").string();
  const json j = dir.json("config.json");
  if (!j.is_object()) bad_model(src + " is not a JSON object");
  MtConfig c;
  c.model_type = json_string_or(j, "model_type", "", src);
  if (c.model_type == "m2m_100") {
    c.architecture = Architecture::M2M100;
  } else if (c.model_type == "marian") {
    c.architecture = Architecture::Marian;
  } else {
    bad_model(src + ": model_type \"" + c.model_type + "\" is not a translation model Parley runs (m2m_100, marian)");
  }
  constexpr int64_t kMaxDim = 1 << 16, kMaxVocab = 1 << 22, kMaxLayers = 256;
  c.d_model = positive(j, "d_model", src, kMaxDim);
  c.vocab_size = positive(j, "vocab_size", src, kMaxVocab);
  c.max_position_embeddings = positive(j, "max_position_embeddings", src, 1 << 20);
  c.encoder_layers = positive(j, "encoder_layers", src, kMaxLayers);
  c.decoder_layers = positive(j, "decoder_layers", src, kMaxLayers);
  c.encoder_heads = positive(j, "encoder_attention_heads", src, 1024);
  c.decoder_heads = positive(j, "decoder_attention_heads", src, 1024);
  c.encoder_ffn_dim = positive(j, "encoder_ffn_dim", src, kMaxDim * 8);
  c.decoder_ffn_dim = positive(j, "decoder_ffn_dim", src, kMaxDim * 8);
  if (c.d_model % c.encoder_heads != 0 || c.d_model % c.decoder_heads != 0)
    bad_model(src + ": d_model is not a multiple of the attention heads");
  if (c.architecture == Architecture::Marian && json_int_or(j, "decoder_vocab_size", c.vocab_size, src) != c.vocab_size)
    bad_model(src + ": Marian models with a separate decoder vocabulary are not supported");
  c.activation = parse_activation(json_string_or(j, "activation_function", "relu", src), src);
  c.scale_embedding = json_bool_or(j, "scale_embedding", false, src);
  c.pad_token_id = static_cast<int>(json_int_or(j, "pad_token_id", 1, src));
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) bad_model(src + ": pad_token_id outside the vocabulary");
  return c;
}

GenerationDefaults load_generation_defaults(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  // generation_config.json when present (transformers >= 4.26), else config.json's fields.
  const std::string file = dir.has("generation_config.json") ? "generation_config.json" : "config.json";
  const std::string src = (folder / file).string();
  const json j = dir.json(file);
  if (!j.is_object()) bad_model(src + " is not a JSON object");
  GenerationDefaults g;
  g.decoder_start_token_id = static_cast<int>(json_int_or(j, "decoder_start_token_id", 2, src));
  g.eos_token_id = token_or_none(j, "eos_token_id", src);
  g.forced_eos_token_id = token_or_none(j, "forced_eos_token_id", src);
  g.num_beams = static_cast<int>(json_int_or(j, "num_beams", 1, src));
  g.early_stopping = json_bool_or(j, "early_stopping", false, src);
  g.length_penalty = static_cast<float>(json_number_or(j, "length_penalty", 1.0, src));
  g.max_length = static_cast<int>(json_int_or(j, "max_length", 20, src));
  g.no_repeat_ngram_size = static_cast<int>(json_int_or(j, "no_repeat_ngram_size", 0, src));
  g.repetition_penalty = static_cast<float>(json_number_or(j, "repetition_penalty", 1.0, src));
  if (g.num_beams < 1 || g.num_beams > 64 || g.max_length < 1 || g.no_repeat_ngram_size < 0 || !(g.repetition_penalty > 0))
    bad_model(src + ": a generation setting is out of range (num_beams, max_length, no_repeat_ngram_size, repetition_penalty)");
  if (j.contains("bad_words_ids") && !j["bad_words_ids"].is_null()) {
    const auto& list = j["bad_words_ids"];
    if (!list.is_array()) bad_model(src + ": bad_words_ids is not a list of lists of ids");
    for (const auto& seq : list) {
      if (!seq.is_array() || seq.empty()) bad_model(src + ": bad_words_ids is not a list of lists of ids");
      std::vector<int> ids;
      for (const auto& id : seq) {
        if (!id.is_number_integer()) bad_model(src + ": bad_words_ids is not a list of lists of ids");
        ids.push_back(id.get<int>());
      }
      g.bad_words_ids.push_back(std::move(ids));
    }
  }
  return g;
}

}  // namespace parley::mt
