#include "vits/config.h"

#include <cmath>

#include "core/error.h"
#include "hf/model_dir.h"

namespace parley::vits {

namespace {

// The published MMS-TTS configs use sizes in the hundreds (hidden 192, upsample 512 channels); these
// bounds leave room for far larger voices while refusing a config that would allocate absurd
// buffers (the weights are checked against these shapes as they load).
constexpr int64_t kMaxChannels = 1 << 14;
constexpr int64_t kMaxVocab = 1 << 20;
constexpr int64_t kMaxLayers = 64;
constexpr int64_t kMaxKernel = 63;
constexpr int64_t kMaxSpeakers = 1 << 16;

void require(bool ok, const std::string& source, const std::string& what) {
  if (!ok) bad_model(source + ": " + what);
}

int64_t bounded(const nlohmann::json& j, const std::string& key, int64_t fallback, int64_t lo, int64_t hi,
                const std::string& source) {
  return fallback < 0 ? json_int_in(j, key, lo, hi, source) : json_int_in_or(j, key, fallback, lo, hi, source);
}

// A required size.
int64_t size(const nlohmann::json& j, const std::string& key, int64_t hi, const std::string& source) {
  return bounded(j, key, -1, 1, hi, source);
}

double finite_positive(const nlohmann::json& j, const std::string& key, double fallback, const std::string& source) {
  const double v = json_number_or(j, key, fallback, source);
  require(std::isfinite(v) && v > 0 && v < 1e6, source, "\"" + key + "\" must be a positive number");
  return v;
}

// The MMS-TTS configs' scale: at most 8 upsampling layers, residual blocks and dilations per block,
// kernels that centre (an even excess over the rate), 1 to 384 kHz output (16 kHz when not given).
constexpr vocoder::HifiGanLimits kDecoderLimits{
    .max_channels = kMaxChannels,
    .max_upsample_layers = 8,
    .max_rate = 64,
    .max_upsample_kernel = 4 * kMaxKernel,
    .even_upsample_padding = true,
    .max_resblocks = 8,
    .max_resblock_kernel = kMaxKernel,
    .max_dilations = 8,
    .max_dilation = 64,
    .default_sampling_rate = 16000,
    .min_sampling_rate = 1000,
    .max_sampling_rate = 384000,
};

void read_duration_predictor(const nlohmann::json& j, const std::string& source, VitsConfig& c) {
  c.use_stochastic_duration_prediction = json_bool_or(j, "use_stochastic_duration_prediction", true, source);
  c.duration_predictor_kernel_size = size(j, "duration_predictor_kernel_size", kMaxKernel, source);
  require(c.duration_predictor_kernel_size % 2 == 1, source, "duration_predictor_kernel_size must be odd");
  if (c.use_stochastic_duration_prediction) {
    c.duration_predictor_flow_bins = size(j, "duration_predictor_flow_bins", 256, source);
    c.duration_predictor_num_flows = size(j, "duration_predictor_num_flows", kMaxLayers, source);
    c.duration_predictor_tail_bound = finite_positive(j, "duration_predictor_tail_bound", 5.0, source);
    c.depth_separable_channels = bounded(j, "depth_separable_channels", 2, 2, 2, source);
    c.depth_separable_num_layers = size(j, "depth_separable_num_layers", 16, source);
    // dilation kernel^i must stay a sane size
    require(std::pow(static_cast<double>(c.duration_predictor_kernel_size), c.depth_separable_num_layers - 1) < 1e6,
            source, "depth_separable_num_layers too large for the kernel size");
  } else {
    c.duration_predictor_filter_channels = size(j, "duration_predictor_filter_channels", kMaxChannels, source);
  }
}

}  // namespace

VitsConfig VitsConfig::from_json(const nlohmann::json& j, const std::string& source) {
  require(j.is_object(), source, "not a JSON object");
  const std::string type = json_string_or(j, "model_type", "vits", source);
  require(type == "vits", source, "model_type is \"" + type + "\", not a VITS model");
  VitsConfig c;
  c.vocab_size = size(j, "vocab_size", kMaxVocab, source);
  c.hidden_size = size(j, "hidden_size", kMaxChannels, source);
  c.num_hidden_layers = size(j, "num_hidden_layers", kMaxLayers, source);
  c.num_attention_heads = size(j, "num_attention_heads", 256, source);
  require(c.hidden_size % c.num_attention_heads == 0, source, "hidden_size is not divisible by num_attention_heads");
  c.window_size = bounded(j, "window_size", 4, 1, 256, source);
  c.ffn_dim = size(j, "ffn_dim", 4 * kMaxChannels, source);
  c.ffn_kernel_size = size(j, "ffn_kernel_size", kMaxKernel, source);
  require(c.ffn_kernel_size % 2 == 1, source, "ffn_kernel_size must be odd");
  const std::string act = json_string_or(j, "hidden_act", "relu", source);
  require(act == "relu" || act == "gelu", source, "unsupported \"hidden_act\" \"" + act + "\" (supported: relu, gelu)");
  c.hidden_act = act == "relu" ? Activation::Relu : Activation::Gelu;
  c.layer_norm_eps = finite_positive(j, "layer_norm_eps", 1e-5, source);
  c.flow_size = size(j, "flow_size", kMaxChannels, source);
  require(c.flow_size % 2 == 0, source, "flow_size must be even");
  c.spectrogram_bins = bounded(j, "spectrogram_bins", 513, 1, kMaxChannels, source);
  read_duration_predictor(j, source, c);
  c.prior_encoder_num_flows = size(j, "prior_encoder_num_flows", kMaxLayers, source);
  c.prior_encoder_num_wavenet_layers = size(j, "prior_encoder_num_wavenet_layers", kMaxLayers, source);
  c.wavenet_kernel_size = size(j, "wavenet_kernel_size", kMaxKernel, source);
  require(c.wavenet_kernel_size % 2 == 1, source, "wavenet_kernel_size must be odd");
  c.wavenet_dilation_rate = bounded(j, "wavenet_dilation_rate", 1, 1, 8, source);
  require(std::pow(static_cast<double>(c.wavenet_dilation_rate), c.prior_encoder_num_wavenet_layers - 1) < 1e6, source,
          "wavenet_dilation_rate too large for the number of layers");
  c.generator = vocoder::HifiGanShape::from_json(j, source, c.flow_size, kDecoderLimits);
  c.num_speakers = bounded(j, "num_speakers", 1, 1, kMaxSpeakers, source);
  c.speaker_embedding_size = bounded(j, "speaker_embedding_size", 0, 0, kMaxChannels, source);
  require(c.num_speakers == 1 || c.speaker_embedding_size > 0, source,
          "a multi-speaker model needs a speaker_embedding_size");
  c.speaking_rate = finite_positive(j, "speaking_rate", 1.0, source);
  c.noise_scale = json_number_or(j, "noise_scale", 0.667, source);
  c.noise_scale_duration = json_number_or(j, "noise_scale_duration", 0.8, source);
  require(std::isfinite(c.noise_scale) && c.noise_scale >= 0 && std::isfinite(c.noise_scale_duration) &&
              c.noise_scale_duration >= 0,
          source, "noise scales must be non-negative numbers");
  return c;
}

}  // namespace parley::vits
