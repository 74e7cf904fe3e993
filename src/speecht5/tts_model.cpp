#include "speecht5/tts_model.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "hf/model_dir.h"
#include "speecht5/layers.h"
#include "tensor/ops.h"
#include "weights/weights.h"

namespace parley::speecht5 {

namespace {

const std::string kEncoder = "speecht5.encoder.";
const std::string kDecoder = "speecht5.decoder.";
const std::string kPostnet = "speech_decoder_postnet.";

LayerNorm load_norm(const Weights& w, const std::string& prefix, int64_t dim) {
  return {load_vector(w, prefix + ".weight", dim), load_vector(w, prefix + ".bias", dim)};
}

Attention load_attention(const Weights& w, const std::string& prefix, int64_t dim) {
  return {load_linear(w, prefix + ".q_proj", dim, dim), load_linear(w, prefix + ".k_proj", dim, dim),
          load_linear(w, prefix + ".v_proj", dim, dim), load_linear(w, prefix + ".out_proj", dim, dim)};
}

// Batch norm in eval mode, folded into the (bias-free) convolution before it.
PostnetLayer load_postnet_layer(const Weights& w, const std::string& prefix, int64_t in, int64_t out,
                                int64_t kernel, bool tanh) {
  const Tensor conv = w.get(prefix + ".conv.weight", {out, in, kernel});
  const Tensor gamma = load_vector(w, prefix + ".batch_norm.weight", out);
  const Tensor beta = load_vector(w, prefix + ".batch_norm.bias", out);
  const Tensor mean = load_vector(w, prefix + ".batch_norm.running_mean", out);
  const Tensor var = load_vector(w, prefix + ".batch_norm.running_var", out);
  constexpr float kBatchNormEps = 1e-5f;  // nn.BatchNorm1d's default; SpeechT5 does not change it
  PostnetLayer layer{Tensor({out, in, kernel}), Tensor({out}), tanh};
  for (int64_t o = 0; o < out; ++o) {
    if (!(var[o] + kBatchNormEps > 0.f)) bad_model(w.source() + ": " + prefix + ".batch_norm.running_var is negative");
    const float scale = gamma[o] * (1.0f / std::sqrt(var[o] + kBatchNormEps));
    for (int64_t i = 0; i < in * kernel; ++i) layer.weight[o * in * kernel + i] = conv[o * in * kernel + i] * scale;
    layer.bias[o] = beta[o] - mean[o] * scale;
  }
  return layer;
}

// Columns [begin, begin + cols) of a [rows, total] matrix, as a contiguous copy.
Tensor columns(const Tensor& m, int64_t begin, int64_t cols) {
  Tensor out({m.dim(0), cols});
  for (int64_t r = 0; r < m.dim(0); ++r)
    std::copy(m.row(r) + begin, m.row(r) + begin + cols, out.row(r));
  return out;
}

}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::Threshold: return "threshold";
    case StopReason::MaxLength: return "maxlen";
    case StopReason::Positions: return "positions";
  }
  return "?";
}

void GenerateOptions::validate() const {
  if (!std::isfinite(threshold)) invalid_argument("--threshold must be a number");
  if (!std::isfinite(minlenratio) || minlenratio < 0) invalid_argument("--minlenratio must be 0 or more");
  if (!std::isfinite(maxlenratio) || maxlenratio < 0) invalid_argument("--maxlenratio must be 0 or more");
}

std::shared_ptr<const SpeechT5Tts> SpeechT5Tts::load(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  auto model = std::make_shared<SpeechT5Tts>();
  model->config_ = TtsConfig::from_json(dir.json("config.json"), (folder / "config.json").string());
  model->tokenizer_ = SpeechT5Tokenizer::load(folder);
  if (model->tokenizer_.vocab_size() > model->config_.vocab_size)
    bad_model(folder.string() + ": the tokenizer has " + std::to_string(model->tokenizer_.vocab_size()) +
              " tokens but the model only " + std::to_string(model->config_.vocab_size));
  model->load_weights(Weights::load_folder(folder));
  return model;
}

void SpeechT5Tts::load_weights(const Weights& w) {
  const TtsConfig& c = config_;
  const int64_t H = c.hidden_size;

  embed_tokens_ = w.get(kEncoder + "prenet.embed_tokens.weight", {c.vocab_size, H});
  text_pe_ = load_or_build_positions(w, kEncoder + "prenet.encode_positions.pe", c.max_text_positions, H);
  text_alpha_ = load_scalar(w, kEncoder + "prenet.encode_positions.alpha");
  encoder_norm_ = load_norm(w, kEncoder + "wrapped_encoder.layer_norm", H);
  rel_pos_ = w.get(kEncoder + "wrapped_encoder.embed_positions.pe_k.weight",
                   {2 * c.encoder_max_relative_position, H / c.encoder_attention_heads});
  for (int64_t i = 0; i < c.encoder_layers; ++i) {
    const std::string p = kEncoder + "wrapped_encoder.layers." + std::to_string(i) + ".";
    encoder_layers_.push_back({load_attention(w, p + "attention", H), load_norm(w, p + "layer_norm", H),
                               load_linear(w, p + "feed_forward.intermediate_dense", c.encoder_ffn_dim, H),
                               load_linear(w, p + "feed_forward.output_dense", H, c.encoder_ffn_dim),
                               load_norm(w, p + "final_layer_norm", H)});
  }

  for (int64_t i = 0; i < c.prenet_layers; ++i)
    prenet_layers_.push_back(load_linear(w, kDecoder + "prenet.layers." + std::to_string(i),
                                         c.prenet_units, i == 0 ? c.num_mel_bins : c.prenet_units));
  prenet_final_ = load_linear(w, kDecoder + "prenet.final_layer", H, c.prenet_units);
  speech_pe_ = load_or_build_positions(w, kDecoder + "prenet.encode_positions.pe", c.max_speech_positions, H);
  speech_alpha_ = load_scalar(w, kDecoder + "prenet.encode_positions.alpha");
  // speaker_embeds_layer sees cat([hidden, x-vector]); its two column blocks are applied separately so
  // the x-vector's part is computed once per request instead of every step.
  // (Read as float32 tensors: the columns are split before Linear converts them to its precision.)
  const std::string speaker = kDecoder + "prenet.speaker_embeds_layer";
  const Tensor speaker_w = w.get(speaker + ".weight", {H, H + c.speaker_embedding_dim});
  speaker_hidden_ = Linear(columns(speaker_w, 0, H), Tensor());
  speaker_xvector_ = Linear(columns(speaker_w, H, c.speaker_embedding_dim), w.get(speaker + ".bias", {H}));
  for (int64_t i = 0; i < c.decoder_layers; ++i) {
    const std::string p = kDecoder + "wrapped_decoder.layers." + std::to_string(i) + ".";
    decoder_layers_.push_back({load_attention(w, p + "self_attn", H), load_norm(w, p + "self_attn_layer_norm", H),
                               load_attention(w, p + "encoder_attn", H), load_norm(w, p + "encoder_attn_layer_norm", H),
                               load_linear(w, p + "feed_forward.intermediate_dense", c.decoder_ffn_dim, H),
                               load_linear(w, p + "feed_forward.output_dense", H, c.decoder_ffn_dim),
                               load_norm(w, p + "final_layer_norm", H)});
  }

  feat_out_ = load_linear(w, kPostnet + "feat_out", c.num_mel_bins * c.reduction_factor, H);
  prob_out_ = load_linear(w, kPostnet + "prob_out", c.reduction_factor, H);
  for (int64_t i = 0; i < c.postnet_layers; ++i) {
    const bool last = i == c.postnet_layers - 1;
    postnet_.push_back(load_postnet_layer(w, kPostnet + "layers." + std::to_string(i),
                                          i == 0 ? c.num_mel_bins : c.postnet_units,
                                          last ? c.num_mel_bins : c.postnet_units, c.postnet_kernel, !last));
  }
  w.drop_unshared_pages();  // fused projections' sources, reduced weights' float32
}

// ----------------------------------------------------------------------------- text encoder

namespace {

// Self-attention with SpeechT5's relative position bias:
//   scores[h, i, j] = q'[h, i] · k[h, j] + q'[h, i] · pe_k[clamp(i - j, -M, M - 1) + M],  q' = q * head_dim^-0.5
void relative_attention(const Attention& a, const Tensor& rel_pos, int64_t heads, const Tensor& x, Tensor& out) {
  const int64_t n = x.dim(0), H = x.dim(1), hd = H / heads, M = rel_pos.dim(0) / 2;
  Tensor q, k, v;
  a.q.forward(x, q);
  a.k.forward(x, k);
  a.v.forward(x, v);
  ops::scale(q, static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd))));
  // Only the rows of pe_k that some (i, j) uses: offsets -(n-1) .. n-1, clamped.
  const int64_t lo = std::clamp<int64_t>(-(n - 1), -M, M - 1) + M, hi = std::clamp<int64_t>(n - 1, -M, M - 1) + M;
  const int64_t nrel = hi - lo + 1;
  Tensor scores({n, n}), rel({n, nrel}), ctx({n, H});
  for (int64_t h = 0; h < heads; ++h) {
    const float* qh = q.data() + h * hd;
    ops::gemm(false, true, n, n, hd, 1.f, qh, H, k.data() + h * hd, H, 0.f, scores.data(), n);
    ops::gemm(false, true, n, nrel, hd, 1.f, qh, H, rel_pos.row(lo), hd, 0.f, rel.data(), nrel);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) scores[i * n + j] += rel[i * nrel + std::clamp(i - j, -M, M - 1) + M - lo];
    ops::softmax_rows(scores.data(), n, n);
    ops::gemm(false, false, n, hd, n, 1.f, scores.data(), n, v.data() + h * hd, H, 0.f, ctx.data() + h * hd, H);
  }
  a.out.forward(ctx, out);
}

}  // namespace

Tensor SpeechT5Tts::encode(std::span<const int> ids) const {
  const TtsConfig& c = config_;
  const int64_t n = static_cast<int64_t>(ids.size()), H = c.hidden_size;
  if (n == 0) bad_input("nothing to synthesize: no tokens");
  if (n > max_tokens())
    bad_input(std::to_string(n) + " tokens are more than the model's " + std::to_string(max_tokens()) +
              " text positions; split the text first");
  Tensor x({n, H});
  for (int64_t i = 0; i < n; ++i) {
    const int id = ids[i];
    if (id < 0 || id >= embed_tokens_.dim(0))
      bad_input("token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                std::to_string(embed_tokens_.dim(0)));
    const float* e = embed_tokens_.row(id);
    const float* pe = text_pe_.row(i);
    for (int64_t d = 0; d < H; ++d) x[i * H + d] = e[d] + text_alpha_ * pe[d];
  }
  const float eps = static_cast<float>(c.layer_norm_eps);
  ops::layer_norm(x, encoder_norm_.weight, encoder_norm_.bias, eps, x);
  Tensor attn, ffn;
  for (const EncoderLayer& layer : encoder_layers_) {
    relative_attention(layer.attention, rel_pos_, c.encoder_attention_heads, x, attn);
    ops::add(x, attn);
    ops::layer_norm(x, layer.norm.weight, layer.norm.bias, eps, x);
    layer.ffn_in.forward(x, ffn);
    activate(c.hidden_act, ffn);
    layer.ffn_out.forward(ffn, attn);
    ops::add(x, attn);
    ops::layer_norm(x, layer.final_norm.weight, layer.final_norm.bias, eps, x);
  }
  return x;
}

TtsResult SpeechT5Tts::generate(std::span<const int> ids, const Tensor& speaker, const GenerateOptions& options,
                                PrenetMasks& masks) const {
  // A session needs shared ownership of the model; borrow it without taking ownership.
  TtsSession session(std::shared_ptr<const SpeechT5Tts>(this, [](const SpeechT5Tts*) {}));
  return session.generate(ids, speaker, options, masks);
}

}  // namespace parley::speecht5
