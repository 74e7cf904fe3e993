#include "speecht5/config.h"

#include <cmath>

#include "core/error.h"
#include "hf/model_dir.h"

namespace parley::speecht5 {

namespace {

// Dimensions are required: the published config.json files carry every one of them, and a guess
// would load the wrong shapes. Only behavioural settings fall back to the reference's defaults.
int64_t positive(const nlohmann::json& j, const std::string& key, const std::string& source) {
  return json_int_in(j, key, 1, 1 << 20, source);
}

// Position tables absent from the weights are computed at load: max_*_positions rows of hidden_size.
// The published model has 600 and 4000; the bound keeps a hostile config from asking for gigabytes.
constexpr int64_t kMaxPositions = 1 << 14;

Activation activation(const std::string& name, const std::string& source) {
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "silu" || name == "swish") return Activation::Silu;
  bad_model(source + ": unsupported \"hidden_act\" \"" + name + "\" (supported: gelu, gelu_new, relu, silu)");
}

void require(bool ok, const std::string& source, const std::string& what) {
  if (!ok) bad_model(source + ": " + what);
}

// A JSON object whose model_type (when given) is `type`.
void require_model_type(const nlohmann::json& j, const std::string& type, const std::string& what,
                        const std::string& source) {
  require(j.is_object(), source, "not a JSON object");
  const std::string found = json_string_or(j, "model_type", type, source);
  require(found == type, source, "model_type is \"" + found + "\", not " + what);
}

}  // namespace

TtsConfig TtsConfig::from_json(const nlohmann::json& j, const std::string& source) {
  require_model_type(j, "speecht5", "a SpeechT5 model", source);
  TtsConfig c;
  c.vocab_size = positive(j, "vocab_size", source);
  c.hidden_size = positive(j, "hidden_size", source);
  c.encoder_layers = positive(j, "encoder_layers", source);
  c.encoder_attention_heads = positive(j, "encoder_attention_heads", source);
  c.encoder_ffn_dim = positive(j, "encoder_ffn_dim", source);
  c.encoder_max_relative_position = positive(j, "encoder_max_relative_position", source);
  c.decoder_layers = positive(j, "decoder_layers", source);
  c.decoder_attention_heads = positive(j, "decoder_attention_heads", source);
  c.decoder_ffn_dim = positive(j, "decoder_ffn_dim", source);
  c.hidden_act = activation(json_string_or(j, "hidden_act", "gelu", source), source);
  c.layer_norm_eps = json_number_or(j, "layer_norm_eps", 1e-5, source);
  c.num_mel_bins = positive(j, "num_mel_bins", source);
  c.reduction_factor = positive(j, "reduction_factor", source);
  c.speaker_embedding_dim = positive(j, "speaker_embedding_dim", source);
  c.max_text_positions = json_int_in(j, "max_text_positions", 1, kMaxPositions, source);
  c.max_speech_positions = json_int_in(j, "max_speech_positions", 1, kMaxPositions, source);
  c.prenet_layers = positive(j, "speech_decoder_prenet_layers", source);
  c.prenet_units = positive(j, "speech_decoder_prenet_units", source);
  c.prenet_dropout = json_number(j, "speech_decoder_prenet_dropout", source);
  c.postnet_layers = positive(j, "speech_decoder_postnet_layers", source);
  c.postnet_units = positive(j, "speech_decoder_postnet_units", source);
  c.postnet_kernel = positive(j, "speech_decoder_postnet_kernel", source);

  require(c.hidden_size % c.encoder_attention_heads == 0, source,
          "hidden_size " + std::to_string(c.hidden_size) + " is not divisible by encoder_attention_heads " +
              std::to_string(c.encoder_attention_heads));
  require(c.hidden_size % c.decoder_attention_heads == 0, source,
          "hidden_size " + std::to_string(c.hidden_size) + " is not divisible by decoder_attention_heads " +
              std::to_string(c.decoder_attention_heads));
  require(std::isfinite(c.layer_norm_eps) && c.layer_norm_eps > 0, source, "layer_norm_eps must be positive");
  require(std::isfinite(c.prenet_dropout) && c.prenet_dropout >= 0 && c.prenet_dropout <= 1, source,
          "speech_decoder_prenet_dropout must lie in [0, 1]");
  // An even kernel with padding (k-1)/2 shortens the sequence and the postnet's residual cannot add up.
  require(c.postnet_kernel % 2 == 1, source,
          "speech_decoder_postnet_kernel must be odd, got " + std::to_string(c.postnet_kernel));
  return c;
}

HifiGanConfig HifiGanConfig::from_json(const nlohmann::json& j, const std::string& source) {
  require_model_type(j, "hifigan", "a HiFi-GAN vocoder", source);
  HifiGanConfig c;
  // The default limits: required sampling_rate, sizes up to 4096, up to 15 upsampling layers.
  c.generator = vocoder::HifiGanShape::from_json(j, source, positive(j, "model_in_dim", source), vocoder::HifiGanLimits{});
  c.normalize_before = json_bool_or(j, "normalize_before", true, source);
  return c;
}

}  // namespace parley::speecht5
