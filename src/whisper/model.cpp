#include "whisper/model.h"

#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"
#include "tensor/ops.h"
#include "weights/loader.h"

namespace parley::whisper {

namespace {

constexpr float kLayerNormEps = 1e-5f;  // nn.LayerNorm's default, used by every Whisper norm

// The shared loader (weights/loader.h) with Whisper's layer builders.
class Loader : public WeightLoader {
 public:
  explicit Loader(const Weights& w) : WeightLoader(w, "a Whisper model") {}
  // q|k|v in one layer; k_proj has no bias.
  SelfAttention self_attention(const std::string& layer, int64_t d) {
    return {norm(layer + ".self_attn_layer_norm", d),
            stacked(layer + ".self_attn", {"q_proj", "k_proj", "v_proj"}, {true, false, true}, d),
            linear(layer + ".self_attn.out_proj", d, d)};
  }
  Mlp mlp(const std::string& layer, int64_t d, int64_t ffn) {
    return {norm(layer + ".final_layer_norm", d), linear(layer + ".fc1", ffn, d), linear(layer + ".fc2", d, ffn)};
  }
};

void layer_norm(const Tensor& x, const Norm& n, Tensor& y) { ops::layer_norm(x, n.weight, n.bias, kLayerNormEps, y); }

// x += fc2(gelu(fc1(norm(x)))), with caller-owned buffers.
void run_mlp(const Mlp& m, Tensor& x, Tensor& h, Tensor& hidden, Tensor& out) {
  layer_norm(x, m.norm, h);
  m.fc1.forward(h, hidden);
  ops::gelu(hidden);
  m.fc2.forward(hidden, out);
  ops::add(x, out);
}

}  // namespace

// ------------------------------------------------------------------------------------------ load

std::shared_ptr<const WhisperModel> WhisperModel::load(const std::filesystem::path& folder) {
  WhisperConfig config = WhisperConfig::load(folder);
  Weights weights = Weights::load_folder(folder);
  return std::make_shared<const WhisperModel>(std::move(config), weights);
}

WhisperModel::WhisperModel(WhisperConfig config, const Weights& weights) : config_(std::move(config)) {
  Loader l(weights);
  const int64_t d = config_.d_model;
  // encoder
  conv1_w_ = l.get("model.encoder.conv1.weight", {d, config_.num_mel_bins, 3});
  conv1_b_ = l.get("model.encoder.conv1.bias", {d});
  conv2_w_ = l.get("model.encoder.conv2.weight", {d, d, 3});
  conv2_b_ = l.get("model.encoder.conv2.bias", {d});
  enc_positions_ = l.get("model.encoder.embed_positions.weight", {config_.max_source_positions, d});
  for (int i = 0; i < config_.encoder_layers; ++i) {
    const std::string p = "model.encoder.layers." + std::to_string(i);
    EncoderLayer L{l.self_attention(p, d), l.mlp(p, d, config_.encoder_ffn_dim)};
    enc_layers_.push_back(std::move(L));
  }
  enc_norm_ = l.norm("model.encoder.layer_norm", d);
  // decoder
  token_embedding_ = l.get("model.decoder.embed_tokens.weight", {config_.vocab_size, d});
  dec_positions_ = l.get("model.decoder.embed_positions.weight", {config_.max_target_positions, d});
  for (int i = 0; i < config_.decoder_layers; ++i) {
    const std::string p = "model.decoder.layers." + std::to_string(i);
    DecoderLayer L;
    L.self = l.self_attention(p, d);
    L.cross_norm = l.norm(p + ".encoder_attn_layer_norm", d);
    L.cross_q = l.linear(p + ".encoder_attn.q_proj", d, d);
    L.cross_kv = l.stacked(p + ".encoder_attn", {"k_proj", "v_proj"}, {false, true}, d);
    L.cross_out = l.linear(p + ".encoder_attn.out_proj", d, d);
    L.mlp = l.mlp(p, d, config_.decoder_ffn_dim);
    dec_layers_.push_back(std::move(L));
  }
  dec_norm_ = l.norm("model.decoder.layer_norm", d);
  // The published checkpoints store the output projection once, as the token embedding.
  Tensor proj = l.has("proj_out.weight") ? l.get("proj_out.weight", {config_.vocab_size, d}) : token_embedding_;
  logits_ = Linear(proj, Tensor());
  // Tied, in float32: the embedding rows are read from the projection's copy, so that the file's
  // pages of the table can go with the rest (a second 100 MB otherwise, for whisper-base).
  if (!l.has("proj_out.weight") && logits_.precision() == Precision::F32) token_embedding_ = logits_.weight();
  l.check_all_used();
  weights.drop_unshared_pages();  // the fused q|k|v, k|v sources (and reduced weights' float32)
}

// --------------------------------------------------------------------------------------- encoder

Tensor WhisperModel::encode(const Tensor& features) const {
  EncoderBuffers buffers;
  Tensor states;
  encode(features, states, buffers);
  return states;
}

void WhisperModel::encode(const Tensor& features, Tensor& states, EncoderBuffers& b) const {
  const int64_t d = config_.d_model, T = config_.max_source_positions;
  if (features.ndim() != 2 || features.dim(0) != config_.num_mel_bins || features.dim(1) != config_.feature_frames)
    bad_input("Whisper features must be [" + std::to_string(config_.num_mel_bins) + ", " +
              std::to_string(config_.feature_frames) + "], got " + features.shape_string());
  ops::conv1d(features, conv1_w_, conv1_b_, 1, 1, 1, b.conv1);
  ops::gelu(b.conv1);
  ops::conv1d(b.conv1, conv2_w_, conv2_b_, 2, 1, 1, b.conv2);
  ops::gelu(b.conv2);
  ops::transpose(b.conv2, b.x);  // [T, d]
  if (b.x.dim(0) != T) fail(ErrorKind::Internal, "encoder: conv output length does not match positions");
  ops::add(b.x, enc_positions_);

  const int heads = config_.encoder_heads, hd = static_cast<int>(d) / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int ld = static_cast<int>(3 * d);
  for (const EncoderLayer& L : enc_layers_) {
    layer_norm(b.x, L.attn.norm, b.h);
    L.attn.qkv.forward(b.h, b.qkv);
    b.attn.resize({T, d});
    const float* q = b.qkv.data();
    ops::attention(q, ld, q + d, ld, q + 2 * d, ld, b.attn.data(), static_cast<int>(d), static_cast<int>(T),
                   static_cast<int>(T), heads, hd, scale, false);
    L.attn.out.forward(b.attn, b.proj);
    ops::add(b.x, b.proj);
    run_mlp(L.mlp, b.x, b.h, b.mlp, b.proj);
  }
  layer_norm(b.x, enc_norm_, states);
}

// --------------------------------------------------------------------------------------- decoder

DecoderSession::DecoderSession(std::shared_ptr<const WhisperModel> model, int max_beams, int max_tokens)
    : model_(std::move(model)) {
  const WhisperConfig& c = model_->config();
  d_ = c.d_model;
  heads_ = c.decoder_heads;
  head_dim_ = d_ / heads_;
  if (max_beams < 1) invalid_argument("the number of beams must be at least 1");
  if (max_tokens <= 0 || max_tokens > c.max_target_positions) max_tokens = c.max_target_positions;
  max_beams_ = max_beams;
  max_tokens_ = max_tokens;
  self_kv_ = Tensor({static_cast<int64_t>(c.decoder_layers) * max_beams_ * 2 * max_tokens_ * d_});
  // Every Linear of a model is built in the one precision chosen at load; the logits layer says which.
  cross_bf16_ = model_->logits_.precision() != Precision::F32;
  slot_of_beam_.resize(max_beams_);
  for (int s = 0; s < max_beams_; ++s) slot_of_beam_[s] = s;
  new_slots_.resize(max_beams_);
  slot_claimed_.resize(max_beams_);
  src_used_.resize(max_beams_);
  // Activations for one token per hypothesis, so that the per-token loop never allocates.
  const int64_t rows = max_beams_;
  for (Tensor* t : {&x_, &h_, &attn_, &proj_, &last_}) *t = Tensor({rows, d_});
  qkv_ = Tensor({rows, 3 * static_cast<int64_t>(d_)});
  mlp_ = Tensor({rows, static_cast<int64_t>(c.decoder_ffn_dim)});
  logits_ = Tensor({rows, static_cast<int64_t>(c.vocab_size)});
  reset(1);
}

float* DecoderSession::self_k(int layer, int slot, int head) {
  const int64_t block = static_cast<int64_t>(max_tokens_) * head_dim_;
  return self_kv_.data() + ((static_cast<int64_t>(layer) * max_beams_ + slot) * 2 * heads_ + head) * block;
}

float* DecoderSession::self_v(int layer, int slot, int head) { return self_k(layer, slot, head) + heads_ * static_cast<int64_t>(max_tokens_) * head_dim_; }

void DecoderSession::set_encoder_states(const Tensor& states) {
  const WhisperModel& m = *model_;
  if (states.ndim() != 2 || states.dim(1) != d_ || states.dim(0) < 1)
    invalid_argument("encoder states must be [T, " + std::to_string(d_) + "], got " + states.shape_string());
  enc_len_ = static_cast<int>(states.dim(0));
  const int64_t layers = m.dec_layers_.size();
  const int64_t cache = layers * 2 * enc_len_ * d_;
  if (cross_bf16_)
    cross_kv16_.resize(static_cast<size_t>(cache));
  else
    cross_kv_.resize(static_cast<size_t>(cache));
  // Row t of the projection holds k | v of every head; the cache wants [k|v][head][t][head_dim].
  auto store = [&](int64_t at, const float* from) {
    if (cross_bf16_)
      ops::to_bf16(from, cross_kv16_.data() + at, head_dim_);
    else
      std::memcpy(cross_kv_.data() + at, from, sizeof(float) * head_dim_);
  };
  for (int64_t l = 0; l < layers; ++l) {
    m.dec_layers_[l].cross_kv.forward(states, enc_kv_tmp_);  // [T, 2d]: k | v
    const int64_t k = l * 2 * static_cast<int64_t>(enc_len_) * d_;
    const int64_t v = k + static_cast<int64_t>(enc_len_) * d_;
    for (int t = 0; t < enc_len_; ++t) {
      const float* row = enc_kv_tmp_.row(t);
      for (int h = 0; h < heads_; ++h) {
        const int64_t dst = (static_cast<int64_t>(h) * enc_len_ + t) * head_dim_;
        store(k + dst, row + h * head_dim_);
        store(v + dst, row + d_ + h * head_dim_);
      }
    }
  }
  reset(1);
}

void DecoderSession::reset(int beams) {
  if (beams < 1 || beams > max_beams_)
    invalid_argument("beams must be between 1 and " + std::to_string(max_beams_) + ", got " + std::to_string(beams));
  beams_ = beams;
  length_ = 0;
}

void DecoderSession::embed(std::span<const int> tokens, int n) {
  const WhisperConfig& c = model_->config();
  x_.resize({static_cast<int64_t>(tokens.size()), d_});
  for (size_t r = 0; r < tokens.size(); ++r) {
    const int tok = tokens[r];
    if (tok < 0 || tok >= c.vocab_size)
      invalid_argument("token id " + std::to_string(tok) + " is outside the vocabulary of " + std::to_string(c.vocab_size));
    const float* e = model_->token_embedding_.row(tok);
    const float* p = model_->dec_positions_.row(length_ + static_cast<int>(r % n));
    float* out = x_.row(static_cast<int64_t>(r));
    for (int i = 0; i < d_; ++i) out[i] = e[i] + p[i];
  }
}

void DecoderSession::self_attention(const SelfAttention& A, int layer, int n) {
  const int rows = beams_ * n;
  layer_norm(x_, A.norm, h_);
  A.qkv.forward(h_, qkv_);  // [rows, 3d]
  // Append this step's keys and values to each hypothesis' cache slot.
  for (int b = 0; b < beams_; ++b) {
    const int slot = slot_of_beam_[b];
    for (int h = 0; h < heads_; ++h) {
      float* k = self_k(layer, slot, h) + static_cast<int64_t>(length_) * head_dim_;
      float* v = self_v(layer, slot, h) + static_cast<int64_t>(length_) * head_dim_;
      for (int i = 0; i < n; ++i) {
        const float* row = qkv_.row(b * n + i);
        std::memcpy(k + i * head_dim_, row + d_ + h * head_dim_, sizeof(float) * head_dim_);
        std::memcpy(v + i * head_dim_, row + 2 * d_ + h * head_dim_, sizeof(float) * head_dim_);
      }
    }
  }
  attn_.resize({rows, d_});
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));
  // All heads of a hypothesis in one call: head h's block starts max_tokens * head_dim after h - 1's.
  const int64_t head_stride = static_cast<int64_t>(max_tokens_) * head_dim_;
  for (int b = 0; b < beams_; ++b)
    ops::attention(qkv_.row(b * n), 3 * d_, self_k(layer, slot_of_beam_[b], 0), head_dim_,
                   self_v(layer, slot_of_beam_[b], 0), head_dim_, attn_.row(b * n), d_, n, length_ + n, heads_,
                   head_dim_, scale, true, head_stride, head_stride);
  A.out.forward(attn_, proj_);
  ops::add(x_, proj_);
}

void DecoderSession::cross_attention(const DecoderLayer& L, int layer, int rows) {
  layer_norm(x_, L.cross_norm, h_);
  L.cross_q.forward(h_, qkv_);  // [rows, d]
  attn_.resize({rows, d_});
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));
  const int64_t block = static_cast<int64_t>(enc_len_) * head_dim_;
  const int64_t at = static_cast<int64_t>(layer) * 2 * heads_ * block, v_at = at + heads_ * block;
  // Every hypothesis attends to the same encoder states: all rows and heads in one call.
  if (cross_bf16_)
    ops::attention(qkv_.data(), d_, cross_kv16_.data() + at, head_dim_, cross_kv16_.data() + v_at, head_dim_,
                   attn_.data(), d_, rows, enc_len_, heads_, head_dim_, scale, false, block, block);
  else
    ops::attention(qkv_.data(), d_, cross_kv_.data() + at, head_dim_, cross_kv_.data() + v_at, head_dim_, attn_.data(),
                   d_, rows, enc_len_, heads_, head_dim_, scale, false, block, block);
  if (capture_) capture_cross_scores(layer, rows);
  L.cross_out.forward(attn_, proj_);
  ops::add(x_, proj_);
}

void DecoderSession::capture_cross_scores(int layer, int rows) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));
  const int64_t block = static_cast<int64_t>(enc_len_) * head_dim_;
  std::vector<float> key(static_cast<size_t>(head_dim_));
  for (size_t i = 0; i < capture_heads_.size(); ++i) {
    const auto [l, h] = capture_heads_[i];
    if (l != layer) continue;
    const int64_t at = (static_cast<int64_t>(layer) * 2 * heads_ + h) * block;
    for (int t = 0; t < enc_len_; ++t) {
      const int64_t k_at = at + static_cast<int64_t>(t) * head_dim_;
      if (cross_bf16_)
        for (int e = 0; e < head_dim_; ++e) {
          const uint32_t bits = static_cast<uint32_t>(cross_kv16_[k_at + e]) << 16;
          std::memcpy(&key[static_cast<size_t>(e)], &bits, sizeof(float));
        }
      else
        std::memcpy(key.data(), cross_kv_.data() + k_at, sizeof(float) * head_dim_);
      for (int r = 0; r < rows; ++r) {
        const float* q = qkv_.row(r) + h * head_dim_;
        float dot = 0;
        for (int e = 0; e < head_dim_; ++e) dot += q[e] * key[static_cast<size_t>(e)];
        (*capture_)[(static_cast<int64_t>(i) * rows + r) * enc_len_ + t] = dot * scale;
      }
    }
  }
}

const Tensor& DecoderSession::decode_with_cross_scores(std::span<const int> tokens,
                                                       std::span<const std::pair<int, int>> heads, Tensor& scores) {
  const int layers = static_cast<int>(model_->dec_layers_.size());
  for (const auto& [l, h] : heads)
    if (l < 0 || l >= layers || h < 0 || h >= heads_)
      invalid_argument("no cross-attention head (" + std::to_string(l) + ", " + std::to_string(h) + ") in this decoder");
  reset(1);
  const int n = static_cast<int>(tokens.size());
  scores.resize({static_cast<int64_t>(heads.size()), n, enc_len_});
  capture_heads_ = heads;
  capture_ = &scores;
  struct Release {
    DecoderSession& s;
    ~Release() { s.capture_ = nullptr, s.capture_heads_ = {}; }
  } release{*this};
  return decode(tokens, n, true);
}

const Tensor& DecoderSession::decode(std::span<const int> tokens, int n, bool all_positions) {
  if (enc_len_ == 0) fail(ErrorKind::Internal, "decoder: set_encoder_states was not called");
  if (n < 1 || tokens.size() != static_cast<size_t>(beams_) * n)
    fail(ErrorKind::Internal, "decoder: " + std::to_string(tokens.size()) + " tokens for " + std::to_string(beams_) +
                                  " hypotheses of " + std::to_string(n));
  if (length_ + n > max_tokens_)
    invalid_argument("the decoder holds at most " + std::to_string(max_tokens_) + " tokens");
  const int rows = beams_ * n;
  embed(tokens, n);
  int layer = 0;
  for (const DecoderLayer& L : model_->dec_layers_) {
    self_attention(L.self, layer, n);
    cross_attention(L, layer, rows);
    run_mlp(L.mlp, x_, h_, mlp_, proj_);
    ++layer;
  }
  length_ += n;
  if (all_positions) {
    layer_norm(x_, model_->dec_norm_, h_);
    model_->logits_.forward(h_, logits_);
    return logits_;
  }
  last_.resize({beams_, d_});
  for (int b = 0; b < beams_; ++b) std::memcpy(last_.row(b), x_.row(b * n + n - 1), sizeof(float) * d_);
  layer_norm(last_, model_->dec_norm_, h_);
  model_->logits_.forward(h_, logits_);
  return logits_;
}

void DecoderSession::copy_slot(int from, int to) {
  const int layers = static_cast<int>(model_->dec_layers_.size());
  const size_t bytes = sizeof(float) * static_cast<size_t>(length_) * head_dim_;
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads_; ++h) {
      std::memcpy(self_k(l, to, h), self_k(l, from, h), bytes);
      std::memcpy(self_v(l, to, h), self_v(l, from, h), bytes);
    }
}

void DecoderSession::reorder(std::span<const int> sources) {
  const int nb = static_cast<int>(sources.size());
  if (nb < 1 || nb > max_beams_) invalid_argument("reorder: " + std::to_string(nb) + " hypotheses");
  std::fill(src_used_.begin(), src_used_.end(), 0);
  for (int s : sources) {
    if (s < 0 || s >= beams_) fail(ErrorKind::Internal, "reorder: no hypothesis " + std::to_string(s));
    src_used_[s] = 1;
  }
  // A slot is free when no new hypothesis continues the one that owns it.
  std::fill(slot_claimed_.begin(), slot_claimed_.end(), 0);
  int next_free = 0;
  auto is_free = [&](int slot) {
    for (int b = 0; b < beams_; ++b)
      if (slot_of_beam_[b] == slot) return !src_used_[b];
    return true;
  };
  for (int b = 0; b < nb; ++b) {
    const int old = slot_of_beam_[sources[b]];
    if (!slot_claimed_[old]) {  // the first continuation keeps the slot: no copy
      slot_claimed_[old] = 1;
      new_slots_[b] = old;
      continue;
    }
    while (next_free < max_beams_ && (slot_claimed_[next_free] || !is_free(next_free))) ++next_free;
    if (next_free == max_beams_) fail(ErrorKind::Internal, "reorder: no free cache slot");
    copy_slot(old, next_free);  // a fork: the second continuation gets a copy in a free slot
    slot_claimed_[next_free] = 1;
    new_slots_[b] = next_free;
  }
  // Keep slot_of_beam_ a permutation: unclaimed slots go to the unused tail.
  int tail = nb;
  for (int s = 0; s < max_beams_; ++s)
    if (!slot_claimed_[s]) new_slots_[tail++] = s;
  slot_of_beam_.swap(new_slots_);
  beams_ = nb;
}

}  // namespace parley::whisper
