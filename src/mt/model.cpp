#include "mt/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"
#include "tensor/ops.h"
#include "weights/loader.h"

namespace parley::mt {

namespace {

constexpr float kLayerNormEps = 1e-5f;  // nn.LayerNorm's default, every norm of both architectures

// The shared loader (weights/loader.h) with this model's layer builders.
class Loader : public WeightLoader {
 public:
  explicit Loader(const Weights& w) : WeightLoader(w, "this model") {}
  Attention attention(const std::string& layer, const std::string& kind, int64_t d) {
    const std::string p = layer + "." + kind;
    return {norm(p + "_layer_norm", d), linear(p + ".q_proj", d, d), stacked(p, {"k_proj", "v_proj"}, {true, true}, d),
            linear(p + ".out_proj", d, d)};
  }
  FeedForward ffn(const std::string& layer, int64_t d, int64_t dim) {
    return {norm(layer + ".final_layer_norm", d), linear(layer + ".fc1", dim, d), linear(layer + ".fc2", d, dim)};
  }
};

void layer_norm(const Tensor& x, const Norm& n, Tensor& y) { ops::layer_norm(x, n.weight, n.bias, kLayerNormEps, y); }

void activate(Activation a, Tensor& x) {
  switch (a) {
    case Activation::Relu: ops::relu(x); break;
    case Activation::Gelu: ops::gelu(x); break;
    case Activation::Swish:  // SiLU: x * sigmoid(x)
      for (int64_t i = 0; i < x.numel(); ++i) x[i] = x[i] / (1.f + std::exp(-x[i]));
      break;
  }
}

// x = norm(x) in place (post-norm), through `tmp`.
void normalize(Tensor& x, const Norm& n, Tensor& tmp) {
  layer_norm(x, n, tmp);
  std::swap(x, tmp);
}

// The feed-forward block with the architecture's norm placement.
void feed_forward(const FeedForward& f, Activation act, bool pre_norm, Tensor& x, Activations& a) {
  if (pre_norm) layer_norm(x, f.norm, a.h);
  f.fc1.forward(pre_norm ? a.h : x, a.hidden);
  activate(act, a.hidden);
  f.fc2.forward(a.hidden, a.proj);
  ops::add(x, a.proj);
  if (!pre_norm) normalize(x, f.norm, a.h);
}

}  // namespace

// ------------------------------------------------------------------------------------------ load

std::shared_ptr<const MtModel> MtModel::load(const std::filesystem::path& folder) {
  MtConfig config = load_config(folder);
  Weights weights = Weights::load_folder(folder);
  return std::make_shared<const MtModel>(std::move(config), weights);
}

MtModel::MtModel(MtConfig config, const Weights& weights) : config_(std::move(config)) {
  Loader l(weights);
  const int64_t d = config_.d_model, vocab = config_.vocab_size;
  embed_scale_ = config_.scale_embedding ? std::sqrt(static_cast<float>(d)) : 1.f;
  shared_ = l.get("model.shared.weight", {vocab, d});
  for (const char* copy : {"model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight"})
    l.accept_copy(copy, {vocab, d});
  // Position tables some files carry: the model computes its own, as the reference's constructor does.
  const int64_t offset = pre_norm() ? 2 : 0;
  for (const char* table : {"model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight",
                            "model.encoder.embed_positions.weights", "model.decoder.embed_positions.weights"})
    l.accept_copy(table, {config_.max_position_embeddings + offset, d});
  for (int i = 0; i < config_.encoder_layers; ++i) {
    const std::string p = "model.encoder.layers." + std::to_string(i);
    enc_layers_.push_back({l.attention(p, "self_attn", d), l.ffn(p, d, config_.encoder_ffn_dim)});
  }
  for (int i = 0; i < config_.decoder_layers; ++i) {
    const std::string p = "model.decoder.layers." + std::to_string(i);
    dec_layers_.push_back(
        {l.attention(p, "self_attn", d), l.attention(p, "encoder_attn", d), l.ffn(p, d, config_.decoder_ffn_dim)});
  }
  if (pre_norm()) {
    enc_norm_ = l.norm("model.encoder.layer_norm", d);
    dec_norm_ = l.norm("model.decoder.layer_norm", d);
  }
  lm_head_ = Linear(l.has("lm_head.weight") ? l.get("lm_head.weight", {vocab, d}) : shared_, Tensor());
  if (l.has("final_logits_bias")) logits_bias_ = l.get("final_logits_bias", {1, vocab}).reshaped({vocab});
  l.check_all_used();
  weights.drop_unshared_pages();
}

// ------------------------------------------------------------------------------------ embeddings

void MtModel::add_position(int position, float* row) const {
  const int64_t d = config_.d_model, half = d / 2;
  if (pre_norm()) {
    // fairseq's table, as M2M100SinusoidalPositionalEmbedding.get_embedding builds it in float32.
    const int p = position + config_.pad_token_id + 1;
    const float step = static_cast<float>(-(std::log(10000.0) / static_cast<double>(half - 1)));
    for (int64_t k = 0; k < half; ++k) {
      const float angle = static_cast<float>(p) * std::exp(static_cast<float>(k) * step);
      row[k] += std::sin(angle);
      row[half + k] += std::cos(angle);
    }
    return;  // an odd d_model's last column is zero
  }
  // MarianSinusoidalPositionalEmbedding: in float64, sin of the even columns' angles, then cos.
  const int64_t sentinel = (d + 1) / 2;
  for (int64_t j = 0; j < d; ++j) {
    const double angle = position / std::pow(10000.0, 2.0 * static_cast<double>(j / 2) / static_cast<double>(d));
    if (j % 2 == 0) row[j / 2] += static_cast<float>(std::sin(angle));
    else row[sentinel + j / 2] += static_cast<float>(std::cos(angle));
  }
}

void MtModel::embed(std::span<const int> ids, int first_position, Tensor& x) const {
  const int64_t d = config_.d_model;
  x.resize({static_cast<int64_t>(ids.size()), d});
  for (size_t r = 0; r < ids.size(); ++r) {
    const int id = ids[r];
    if (id < 0 || id >= config_.vocab_size)
      invalid_argument("token id " + std::to_string(id) + " is outside the vocabulary of " +
                       std::to_string(config_.vocab_size));
    const float* e = shared_.row(id);
    float* out = x.row(static_cast<int64_t>(r));
    for (int64_t i = 0; i < d; ++i) out[i] = e[i] * embed_scale_;
    add_position(first_position + static_cast<int>(r), out);
  }
}

void MtModel::final_norm(const Norm& norm, Tensor& x, Tensor& tmp) const {
  if (pre_norm()) normalize(x, norm, tmp);
}

// --------------------------------------------------------------------------------------- encoder

Tensor MtModel::encode(std::span<const int> ids) const {
  const std::vector<int> one(ids.begin(), ids.end());
  return encode_batch(std::span<const std::vector<int>>(&one, 1));
}

Tensor MtModel::encode_batch(std::span<const std::vector<int>> inputs) const {
  const int64_t d = config_.d_model;
  int64_t rows = 0;
  for (const auto& ids : inputs) {
    const int64_t T = static_cast<int64_t>(ids.size());
    if (T < 1) invalid_argument("the encoder needs at least one token");
    if (T > config_.max_position_embeddings)
      invalid_argument(std::to_string(T) + " tokens are more than the model's " +
                       std::to_string(config_.max_position_embeddings) + " positions");
    rows += T;
  }
  if (rows == 0) invalid_argument("the encoder needs at least one input");
  Tensor x({rows, d}), one;
  int64_t at = 0;
  for (const auto& ids : inputs) {  // each input's positions count from 0, as right padding leaves them
    embed(ids, 0, one);
    std::memcpy(x.row(at), one.data(), sizeof(float) * one.numel());
    at += static_cast<int64_t>(ids.size());
  }
  Activations a;
  const int heads = config_.encoder_heads, hd = static_cast<int>(d) / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (const EncoderLayer& L : enc_layers_) {
    const Attention& A = L.self;
    if (pre_norm()) layer_norm(x, A.norm, a.h);
    const Tensor& in = pre_norm() ? a.h : x;
    A.q.forward(in, a.q);
    A.kv.forward(in, a.kv);
    a.attn.resize({rows, d});
    at = 0;
    for (const auto& ids : inputs) {  // the padding mask: an input's tokens attend to its own tokens
      const int T = static_cast<int>(ids.size());
      ops::attention(a.q.row(at), static_cast<int>(d), a.kv.row(at), static_cast<int>(2 * d), a.kv.row(at) + d,
                     static_cast<int>(2 * d), a.attn.row(at), static_cast<int>(d), T, T, heads, hd, scale, false);
      at += T;
    }
    A.out.forward(a.attn, a.proj);
    ops::add(x, a.proj);
    if (!pre_norm()) normalize(x, A.norm, a.h);
    feed_forward(L.ffn, config_.activation, pre_norm(), x, a);
  }
  final_norm(enc_norm_, x, a.h);
  return x;
}

// --------------------------------------------------------------------------------------- decoder

DecoderSession::DecoderSession(std::shared_ptr<const MtModel> model, int max_beams, int max_tokens)
    : model_(std::move(model)) {
  const MtConfig& c = model_->config();
  d_ = c.d_model;
  heads_ = c.decoder_heads;
  head_dim_ = static_cast<int>(d_) / heads_;
  if (max_beams < 1) invalid_argument("the number of beams must be at least 1");
  if (max_tokens <= 0 || max_tokens > c.max_position_embeddings) max_tokens = static_cast<int>(c.max_position_embeddings);
  max_beams_ = max_beams;
  max_tokens_ = max_tokens;
  self_kv_ = Tensor({static_cast<int64_t>(c.decoder_layers) * max_beams_ * 2 * max_tokens_ * d_});
  self_kv_next_ = Tensor(self_kv_.shape());
  reset(1);
}

void DecoderSession::set_encoder_states(const Tensor& states) {
  const int rows = states.ndim() == 2 ? static_cast<int>(states.dim(0)) : 0;
  set_encoder_states(states, std::span<const int>(&rows, 1));
}

void DecoderSession::set_encoder_states(const Tensor& states, std::span<const int> lengths) {
  if (states.ndim() != 2 || states.dim(1) != d_ || states.dim(0) < 1)
    invalid_argument("encoder states must be [T, " + std::to_string(d_) + "], got " + states.shape_string());
  enc_offsets_.clear();
  enc_lengths_.clear();
  int64_t at = 0;
  for (int n : lengths) {
    if (n < 1) invalid_argument("an encoded input needs at least one state");
    enc_offsets_.push_back(static_cast<int>(at));
    enc_lengths_.push_back(n);
    at += n;
  }
  if (enc_lengths_.empty() || at != states.dim(0))
    invalid_argument("the inputs' lengths do not add up to the " + std::to_string(states.dim(0)) + " encoder states");
  if (inputs() > max_beams_) invalid_argument("more inputs than the session's hypotheses");
  cross_kv_.resize(model_->dec_layers_.size());
  for (size_t l = 0; l < cross_kv_.size(); ++l) model_->dec_layers_[l].cross.kv.forward(states, cross_kv_[l]);
  reset(inputs());
}

void DecoderSession::reset(int beams) {
  if (beams < 1 || beams > max_beams_)
    invalid_argument("beams must be between 1 and " + std::to_string(max_beams_) + ", got " + std::to_string(beams));
  const int k = std::max(inputs(), 1);
  if (beams % k != 0) invalid_argument("hypotheses must be a multiple of the " + std::to_string(k) + " inputs");
  beams_ = beams;
  length_ = 0;
  row_input_.resize(beams);
  for (int r = 0; r < beams; ++r) row_input_[r] = r / (beams / k);
}

void DecoderSession::self_attention(const Attention& A, int layer, int n) {
  const bool pre = model_->pre_norm();
  if (pre) layer_norm(x_, A.norm, a_.h);
  const Tensor& in = pre ? a_.h : x_;
  A.q.forward(in, a_.q);
  A.kv.forward(in, a_.kv);  // [rows, 2d]
  a_.attn.resize({static_cast<int64_t>(beams_) * n, d_});
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));
  for (int b = 0; b < beams_; ++b) {
    float* k = cache(layer, b, 0) + length_ * d_;
    float* v = cache(layer, b, 1) + length_ * d_;
    for (int i = 0; i < n; ++i) {
      const float* row = a_.kv.row(static_cast<int64_t>(b) * n + i);
      std::memcpy(k + i * d_, row, sizeof(float) * d_);
      std::memcpy(v + i * d_, row + d_, sizeof(float) * d_);
    }
    ops::attention(a_.q.row(static_cast<int64_t>(b) * n), static_cast<int>(d_), cache(layer, b, 0),
                   static_cast<int>(d_), cache(layer, b, 1), static_cast<int>(d_),
                   a_.attn.row(static_cast<int64_t>(b) * n), static_cast<int>(d_), n, length_ + n, heads_, head_dim_,
                   scale, true);
  }
  A.out.forward(a_.attn, a_.proj);
  ops::add(x_, a_.proj);
  if (!pre) normalize(x_, A.norm, a_.h);
}

void DecoderSession::cross_attention(const Attention& A, int layer, int rows) {
  const bool pre = model_->pre_norm();
  if (pre) layer_norm(x_, A.norm, a_.h);
  A.q.forward(pre ? a_.h : x_, a_.q);
  a_.attn.resize({rows, d_});
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));
  const Tensor& kv = cross_kv_[layer];
  // The hypotheses of one input attend to the same encoder states, their input's alone (the
  // reference's encoder attention mask): each run of rows of one input in one call.
  for (int r = 0; r < rows;) {
    const int input = row_input_[r / (rows / beams_)];
    int end = r + 1;
    while (end < rows && row_input_[end / (rows / beams_)] == input) ++end;
    const float* k = kv.row(enc_offsets_[input]);
    ops::attention(a_.q.row(r), static_cast<int>(d_), k, static_cast<int>(2 * d_), k + d_, static_cast<int>(2 * d_),
                   a_.attn.row(r), static_cast<int>(d_), end - r, enc_lengths_[input], heads_, head_dim_, scale,
                   false);
    r = end;
  }
  A.out.forward(a_.attn, a_.proj);
  ops::add(x_, a_.proj);
  if (!pre) normalize(x_, A.norm, a_.h);
}

const Tensor& DecoderSession::decode(std::span<const int> tokens, int n, bool all_positions) {
  if (enc_lengths_.empty()) fail(ErrorKind::Internal, "decoder: set_encoder_states was not called");
  if (n < 1 || tokens.size() != static_cast<size_t>(beams_) * n)
    fail(ErrorKind::Internal, "decoder: " + std::to_string(tokens.size()) + " tokens for " + std::to_string(beams_) +
                                  " hypotheses of " + std::to_string(n));
  if (length_ + n > max_tokens_)
    invalid_argument("the decoder holds at most " + std::to_string(max_tokens_) + " tokens");
  const int rows = beams_ * n;
  x_.resize({rows, d_});
  Tensor one;
  for (int b = 0; b < beams_; ++b) {
    model_->embed(tokens.subspan(static_cast<size_t>(b) * n, n), length_, one);
    std::memcpy(x_.row(static_cast<int64_t>(b) * n), one.data(), sizeof(float) * n * d_);
  }
  const MtConfig& c = model_->config();
  for (size_t l = 0; l < model_->dec_layers_.size(); ++l) {
    const DecoderLayer& L = model_->dec_layers_[l];
    self_attention(L.self, static_cast<int>(l), n);
    cross_attention(L.cross, static_cast<int>(l), rows);
    feed_forward(L.ffn, c.activation, model_->pre_norm(), x_, a_);
  }
  length_ += n;
  if (!all_positions) {
    last_.resize({beams_, d_});
    for (int b = 0; b < beams_; ++b)
      std::memcpy(last_.row(b), x_.row(static_cast<int64_t>(b) * n + n - 1), sizeof(float) * d_);
  }
  Tensor& h = all_positions ? x_ : last_;
  model_->final_norm(model_->dec_norm_, h, a_.h);
  model_->lm_head_.forward(h, logits_);
  if (!model_->logits_bias_.empty()) ops::add_row_bias(logits_, model_->logits_bias_);
  return logits_;
}

void DecoderSession::reorder(std::span<const int> sources) {
  const int nb = static_cast<int>(sources.size());
  if (nb < 1 || nb > max_beams_) invalid_argument("reorder: " + std::to_string(nb) + " hypotheses");
  const size_t bytes = sizeof(float) * static_cast<size_t>(length_) * d_;
  const int layers = static_cast<int>(model_->dec_layers_.size());
  row_input_next_.resize(nb);
  for (int b = 0; b < nb; ++b) {
    if (sources[b] < 0 || sources[b] >= beams_) fail(ErrorKind::Internal, "reorder: no hypothesis " + std::to_string(sources[b]));
    row_input_next_[b] = row_input_[sources[b]];
    for (int l = 0; l < layers; ++l)
      for (int kv = 0; kv < 2; ++kv) {
        const float* from = cache(l, sources[b], kv);
        std::memcpy(self_kv_next_.data() + (cache(l, b, kv) - self_kv_.data()), from, bytes);
      }
  }
  std::swap(self_kv_, self_kv_next_);
  row_input_.swap(row_input_next_);
  beams_ = nb;
}

}  // namespace parley::mt
