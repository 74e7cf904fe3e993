// The encoder-decoder translation network of M2M100ForConditionalGeneration (NLLB-200, M2M100) and
// MarianMTModel, as transformers 4.27.1 computes it:
//
//   embeddings  model.shared.weight (the encoder's and decoder's embed_tokens are tied to it),
//               times sqrt(d_model) when scale_embedding, plus sinusoidal positions that are computed,
//               not read: fairseq's table (M2M100: [sin | cos], position = index + pad + 1) or Marian's
//               (position = index, sin of the even frequencies then cos);
//   layers      M2M100: pre-norm (x += f(norm(x))), final encoder and decoder layer_norm, ReLU;
//               Marian: post-norm (x = norm(x + f(x))), no final norms, swish;
//               attention projections all with bias, q scaled by head_dim^-0.5;
//   logits      lm_head.weight when the file has it, else tied to model.shared.weight; Marian adds
//               final_logits_bias.
//
// The model is immutable after load and shared by threads; a DecoderSession holds one request's
// caches. Linear layers take the process' default precision (f32, bf16, int8).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "generation/step_decoder.h"
#include "mt/config.h"
#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "weights/loader.h"
#include "weights/weights.h"

namespace parley::mt {

using Norm = LayerNormParams;  // weights/loader.h

struct Attention {
  Norm norm;   // self_attn_layer_norm / encoder_attn_layer_norm (before or after, by architecture)
  Linear q;    // [d, d]
  Linear kv;   // [2d, d]: k_proj | v_proj
  Linear out;  // out_proj
};

struct FeedForward {
  Norm norm;  // final_layer_norm
  Linear fc1, fc2;
};

struct EncoderLayer {
  Attention self;
  FeedForward ffn;
};

struct DecoderLayer {
  Attention self, cross;
  FeedForward ffn;
};

class MtModel {
 public:
  // config.json + weights (model.safetensors or pytorch_model.bin) of a model folder. Every tensor is
  // checked for name and shape; a missing or unexpected one is Error(BadModel) naming the file.
  static std::shared_ptr<const MtModel> load(const std::filesystem::path& folder);
  MtModel(MtConfig config, const Weights& weights);

  const MtConfig& config() const { return config_; }
  bool pre_norm() const { return config_.architecture == Architecture::M2M100; }

  // Encoder input ids (special tokens included) -> last hidden state [tokens, d_model]. Throws
  // Error(InvalidArgument) for an id outside the vocabulary or more tokens than the positions.
  Tensor encode(std::span<const int> ids) const;
  // A batch of inputs -> their last hidden states packed one after another [sum of lengths, d_model].
  // The reference pads the batch on the right and masks the padding out of attention (its positions,
  // counted from the mask, are then the unpadded ones); here only the real tokens are computed, in one
  // pass through every linear layer, and each input's attention sees its own tokens alone: the same
  // states for every real token, without the padded rows' work.
  Tensor encode_batch(std::span<const std::vector<int>> inputs) const;

  // Positions the model takes (the encoder's input, the decoder's sequence).
  int64_t max_positions() const { return config_.max_position_embeddings; }
  Precision precision() const { return lm_head_.precision(); }  // of every layer (loaded alike)

 private:
  friend class DecoderSession;
  // tokens -> scaled embeddings + positions [n, d] (positions start at `first_position`).
  void embed(std::span<const int> ids, int first_position, Tensor& x) const;
  void add_position(int position, float* row) const;
  void final_norm(const Norm& norm, Tensor& x, Tensor& tmp) const;

  MtConfig config_;
  float embed_scale_ = 1.f;
  Tensor shared_;  // [vocab, d]
  std::vector<EncoderLayer> enc_layers_;
  std::vector<DecoderLayer> dec_layers_;
  Norm enc_norm_, dec_norm_;  // M2M100 only
  Linear lm_head_;
  Tensor logits_bias_;  // Marian's final_logits_bias [vocab]; empty otherwise
};

// Runs one attention block and the feed-forward block with the architecture's norm placement
// (shared by the encoder and the decoder).
struct Activations {
  Tensor h, q, kv, attn, proj, hidden;
};

// One request's decoder: the cross-attention keys/values of one encoded input and the
// self-attention caches of up to `max_beams` hypotheses of up to `max_tokens` tokens.
class DecoderSession : public generation::StepDecoder {
 public:
  DecoderSession(std::shared_ptr<const MtModel> model, int max_beams, int max_tokens);

  void set_encoder_states(const Tensor& states);
  // A batch: encode_batch's packed states and each input's length. Rows of input i attend to its
  // states alone (the reference's encoder attention mask in cross-attention).
  void set_encoder_states(const Tensor& states, std::span<const int> lengths);
  int inputs() const { return static_cast<int>(enc_lengths_.size()); }
  int vocab_size() const override { return static_cast<int>(model_->config().vocab_size); }
  int max_beams() const override { return max_beams_; }
  int beams() const override { return beams_; }
  void reset(int beams) override;
  const Tensor& decode(std::span<const int> tokens, int n, bool all_positions = false) override;
  void reorder(std::span<const int> sources) override;

 private:
  float* cache(int layer, int slot, int kv) {
    return self_kv_.data() + ((static_cast<int64_t>(layer) * max_beams_ + slot) * 2 + kv) * max_tokens_ * d_;
  }
  void self_attention(const Attention& A, int layer, int n);
  void cross_attention(const Attention& A, int layer, int rows);

  std::shared_ptr<const MtModel> model_;
  int64_t d_ = 0;
  int heads_ = 0, head_dim_ = 0;
  int max_beams_ = 1, max_tokens_ = 0, beams_ = 0, length_ = 0;
  std::vector<int> enc_offsets_, enc_lengths_;  // each input's first row and rows in the packed states
  std::vector<int> row_input_, row_input_next_;  // the input each hypothesis belongs to
  Tensor self_kv_, self_kv_next_;  // [layer][slot][k|v][max_tokens][d]
  std::vector<Tensor> cross_kv_;   // per layer [enc_len, 2d]: k | v
  Tensor x_, last_, logits_;
  Activations a_;
};

}  // namespace parley::mt
