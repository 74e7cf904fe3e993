// VITS's text encoder (VitsTextEncoder): token embeddings scaled by sqrt(hidden), post-norm
// transformer layers whose self-attention adds relative-position terms (keys and values, window
// ±window_size, as in the original VITS), a convolutional feed-forward, then a 1x1 projection to
// the prior's means and log-variances.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "tensor/time_conv.h"
#include "vits/config.h"
#include "weights/weights.h"

namespace parley::vits {

struct TextEncoding {
  Tensor hidden;      // [tokens, hidden_size]: the last layer's output
  Tensor means;       // [tokens, flow_size]
  Tensor log_scales;  // [tokens, flow_size] (the reference's "prior_log_variances")
};

class TextEncoder {
 public:
  TextEncoder() = default;
  TextEncoder(const Weights& w, const VitsConfig& c);
  // ids in [0, vocab_size) (checked by the caller).
  TextEncoding forward(const std::vector<int64_t>& ids) const;

 private:
  struct Layer {
    Linear q, k, v, out;
    Tensor rel_k, rel_v;  // [2 * window + 1, head_dim]
    Tensor norm_w, norm_b, final_norm_w, final_norm_b;
    TimeConv1d ffn1, ffn2;
  };
  void attention(const Layer& l, const Tensor& x, Tensor& y) const;
  void feed_forward(const Layer& l, const Tensor& x, Tensor& y) const;

  VitsConfig config_;
  Tensor embed_;  // [vocab, hidden]
  std::vector<Layer> layers_;
  Linear project_;
};

}  // namespace parley::vits
