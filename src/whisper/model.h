// The Whisper network: an immutable model (loaded once, shared read-only by threads) and the
// per-request objects that run it (encoder buffers, a decoder session with its KV caches).
//
// Shapes (HF names): features [num_mel_bins, 2*max_source_positions] -> conv1 (k3, pad 1), GELU,
// conv2 (k3, stride 2, pad 1), GELU, + embed_positions -> pre-norm encoder layers -> layer_norm
// -> encoder states [max_source_positions, d_model]. The decoder embeds tokens + learned
// positions, runs pre-norm layers (causal self-attention, cross-attention over the encoder
// states, GELU MLP), a final layer_norm, and projects onto the token embedding (or proj_out).
//
// Attention projections are fused at load (q|k|v of self-attention, k|v of cross-attention) so
// each is one matrix product; k_proj has no bias. All products go through Linear / tensor ops.
#pragma once

#include <filesystem>
#include <memory>
#include <cstdint>
#include <span>
#include <vector>

#include "core/memory.h"
#include "generation/step_decoder.h"
#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "weights/loader.h"
#include "weights/weights.h"
#include "whisper/config.h"

namespace parley::whisper {

using Norm = LayerNormParams;  // weights/loader.h

// Pre-norm self-attention: x += out(attention(qkv(norm(x)))).
struct SelfAttention {
  Norm norm;    // self_attn_layer_norm
  Linear qkv;   // [3d, d]: q_proj | k_proj | v_proj
  Linear out;   // out_proj
};

// Pre-norm MLP: x += fc2(gelu(fc1(norm(x)))).
struct Mlp {
  Norm norm;    // final_layer_norm
  Linear fc1, fc2;
};

struct EncoderLayer {
  SelfAttention attn;
  Mlp mlp;
};

struct DecoderLayer {
  SelfAttention self;  // causal, over the cached tokens
  Norm cross_norm;     // encoder_attn_layer_norm
  Linear cross_q;      // [d, d]
  Linear cross_kv;     // [2d, d]: k_proj | v_proj, applied once per utterance to the encoder states
  Linear cross_out;
  Mlp mlp;
};

// Reusable work space of the encoder (one per worker; grows once, then no allocation).
struct EncoderBuffers {
  Tensor conv1, conv2, x, h, qkv, attn, proj, mlp;
};

class WhisperModel {
 public:
  // Reads config + weights of a Hugging Face model folder. Every tensor is checked for name and
  // shape; an unexpected tensor or a missing one is an Error(BadModel) naming the file.
  static std::shared_ptr<const WhisperModel> load(const std::filesystem::path& folder);
  WhisperModel(WhisperConfig config, const Weights& weights);

  const WhisperConfig& config() const { return config_; }

  // features [num_mel_bins, feature_frames] -> states [max_source_positions, d_model].
  void encode(const Tensor& features, Tensor& states, EncoderBuffers& buffers) const;
  Tensor encode(const Tensor& features) const;

 private:
  friend class DecoderSession;
  void load_encoder(const Weights& w);
  void load_decoder(const Weights& w);

  WhisperConfig config_;
  // encoder
  Tensor conv1_w_, conv1_b_, conv2_w_, conv2_b_;
  Tensor enc_positions_;  // [max_source_positions, d]
  std::vector<EncoderLayer> enc_layers_;
  Norm enc_norm_;
  // decoder
  Tensor token_embedding_;  // [vocab, d]
  Tensor dec_positions_;    // [max_target_positions, d]
  std::vector<DecoderLayer> dec_layers_;
  Norm dec_norm_;
  Linear logits_;  // proj_out, tied to token_embedding_ when the file has no proj_out.weight
};

// One request's decoder: the cross-attention keys/values of one utterance and the self-attention
// caches of up to `max_beams` hypotheses of up to `max_tokens` tokens each. Everything is
// allocated up front; decoding one token per hypothesis allocates nothing.
//
// Cache layout (what a decoder step reads): per layer and head, keys and values of consecutive
// positions are contiguous [positions, head_dim] blocks, so one head's scores and weighted sum
// walk memory linearly. Cross-attention blocks are shared by all hypotheses; each hypothesis owns
// a self-attention slot, and beam reordering re-maps slots (copying only where a beam forks).
// It is the StepDecoder that generation/search.h runs over; final, so direct calls (long-form
// decoding's) are not virtual.
class DecoderSession final : public generation::StepDecoder {
 public:
  // max_tokens 0 = the model's max_target_positions.
  explicit DecoderSession(std::shared_ptr<const WhisperModel> model, int max_beams = 1, int max_tokens = 0);

  const WhisperModel& model() const { return *model_; }
  int vocab_size() const override { return model_->config().vocab_size; }
  int max_beams() const override { return max_beams_; }
  int max_tokens() const { return max_tokens_; }

  // Computes the cross-attention keys/values of encoder states [T, d_model] (once per utterance)
  // and clears the hypotheses.
  void set_encoder_states(const Tensor& states);
  // Drops all hypotheses and starts `beams` empty ones (the cross-attention cache stays).
  void reset(int beams = 1) override;
  int beams() const override { return beams_; }
  // Tokens each hypothesis holds so far (all hypotheses have the same length).
  int length() const { return length_; }

  // Appends `n` tokens to every hypothesis (tokens[b * n + i] is token i of hypothesis b) and
  // returns logits [beams, vocab] after each hypothesis' last new token, or [beams * n, vocab]
  // for every new position when `all_positions`. The reference is valid until the next call.
  const Tensor& decode(std::span<const int> tokens, int n, bool all_positions = false) override;

  // Beam reordering: hypothesis b continues from previous hypothesis sources[b]
  // (sources.size() == beams() or a new count up to max_beams).
  void reorder(std::span<const int> sources) override;

  // Word timestamps (openai's find_alignment re-runs the model on the final tokens): drops all
  // hypotheses, runs `tokens` as one and returns the logits of every position [tokens, vocab]; `scores`
  // gets the raw cross-attention scores q.k / sqrt(head_dim) of each (layer, head) of `heads`:
  // [heads.size(), tokens, encoder positions]. Decoding without it computes no scores.
  const Tensor& decode_with_cross_scores(std::span<const int> tokens, std::span<const std::pair<int, int>> heads,
                                         Tensor& scores);

 private:
  float* self_k(int layer, int slot, int head);
  float* self_v(int layer, int slot, int head);
  void copy_slot(int from, int to);
  void embed(std::span<const int> tokens, int n);
  void self_attention(const SelfAttention& A, int layer, int n);
  void cross_attention(const DecoderLayer& L, int layer, int rows);
  void capture_cross_scores(int layer, int rows);

  std::shared_ptr<const WhisperModel> model_;
  int d_ = 0, heads_ = 0, head_dim_ = 0;
  int max_beams_ = 1, max_tokens_ = 0;
  int beams_ = 0, length_ = 0;
  int enc_len_ = 0;
  // self-attention caches: [layer][slot][k|v][head][max_tokens][head_dim]
  Tensor self_kv_;
  std::vector<int> slot_of_beam_, new_slots_, src_used_;
  std::vector<char> slot_claimed_;
  // cross-attention caches: [layer][k|v][head][enc_len][head_dim], in float32 (f32 models) or,
  // when the model's weights are reduced, in bf16: every token reads all of it (36 MB in float32
  // for whisper-base), the largest memory traffic of a reduced-precision step. In huge pages, as
  // the weights are (core/memory.h); the self-attention cache is used in part and is not.
  LargeVector<float> cross_kv_;
  LargeVector<uint16_t> cross_kv16_;
  bool cross_bf16_ = false;
  Tensor enc_kv_tmp_;
  // decode_with_cross_scores: the heads asked for and where their scores go (null: none asked).
  std::span<const std::pair<int, int>> capture_heads_;
  Tensor* capture_ = nullptr;
  // activations
  Tensor x_, h_, qkv_, attn_, proj_, mlp_, last_, logits_;
};

}  // namespace parley::whisper
