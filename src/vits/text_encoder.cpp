#include "vits/text_encoder.h"

#include <algorithm>
#include <cmath>

#include "tensor/ops.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"
#include "vits/layers.h"

namespace parley::vits {

namespace {

Linear load_linear(const Weights& w, const std::string& prefix, int64_t out, int64_t in) {
  return Linear(w.get(prefix + ".weight", {out, in}).clone(), w.get(prefix + ".bias", {out}).clone(),
                default_precision());
}

}  // namespace

TextEncoder::TextEncoder(const Weights& w, const VitsConfig& c) : config_(c) {
  const int64_t H = c.hidden_size, D = c.head_dim(), window = 2 * c.window_size + 1;
  embed_ = w.get("text_encoder.embed_tokens.weight", {c.vocab_size, H}).clone();
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "text_encoder.encoder.layers." + std::to_string(i) + ".";
    Layer l;
    l.q = load_linear(w, p + "attention.q_proj", H, H);
    l.k = load_linear(w, p + "attention.k_proj", H, H);
    l.v = load_linear(w, p + "attention.v_proj", H, H);
    l.out = load_linear(w, p + "attention.out_proj", H, H);
    l.rel_k = w.get(p + "attention.emb_rel_k", {1, window, D}).clone().reshaped({window, D});
    l.rel_v = w.get(p + "attention.emb_rel_v", {1, window, D}).clone().reshaped({window, D});
    l.norm_w = load_vector(w, p + "layer_norm.weight", H);
    l.norm_b = load_vector(w, p + "layer_norm.bias", H);
    l.final_norm_w = load_vector(w, p + "final_layer_norm.weight", H);
    l.final_norm_b = load_vector(w, p + "final_layer_norm.bias", H);
    l.ffn1 = load_conv(w, p + "feed_forward.conv_1", c.ffn_dim, H, c.ffn_kernel_size, 1);
    l.ffn2 = load_conv(w, p + "feed_forward.conv_2", H, c.ffn_dim, c.ffn_kernel_size, 1);
    layers_.push_back(std::move(l));
  }
  project_ = load_pointwise(w, "text_encoder.project", 2 * c.flow_size, H);
}

// Per head: the scores as one product of the queries and keys, the relative-position terms (a
// product with the 2W + 1 position embeddings, added inside the window), the softmax, then one
// product with the values and the window's position values. The products run on every core; a
// paragraph's 700 tokens made the row-by-row loops a quarter of MMS-TTS's time on two threads.
void TextEncoder::attention(const Layer& l, const Tensor& x, Tensor& y) const {
  const int64_t T = x.dim(0), H = config_.hidden_size, D = config_.head_dim(), W = config_.window_size;
  const int64_t window = 2 * W + 1;
  Tensor q, k, v;
  l.q.forward(x, q);
  l.k.forward(x, k);
  l.v.forward(x, v);
  ops::scale(q, 1.f / std::sqrt(static_cast<float>(D)));
  Tensor ctx({T, H}), scores({T, T}), rel({T, window});
  const int t = static_cast<int>(T), d = static_cast<int>(D), h_stride = static_cast<int>(H);
  for (int64_t h = 0; h < config_.num_attention_heads; ++h) {
    const float *qh = q.data() + h * D, *kh = k.data() + h * D, *vh = v.data() + h * D;
    ops::gemm(false, true, t, t, d, 1.f, qh, h_stride, kh, h_stride, 0.f, scores.data(), t);
    ops::gemm(false, true, t, static_cast<int>(window), d, 1.f, qh, h_stride, l.rel_k.data(), d, 0.f, rel.data(),
              static_cast<int>(window));
    parallel::for_range(T, 16, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)  // the relative-position term, zero outside the window
        for (int64_t j = std::max<int64_t>(0, i - W); j <= std::min(T - 1, i + W); ++j)
          scores[i * T + j] += rel[i * window + (j - i + W)];
    });
    ops::softmax_rows(scores.data(), T, T);
    float* o = ctx.data() + h * D;
    ops::gemm(false, false, t, d, t, 1.f, scores.data(), t, vh, h_stride, 0.f, o, h_stride);
    parallel::for_range(T, 16, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t j = std::max<int64_t>(0, i - W); j <= std::min(T - 1, i + W); ++j) {
          const float p = scores[i * T + j];
          const float* r = l.rel_v.data() + (j - i + W) * D;
          for (int64_t c = 0; c < D; ++c) o[i * H + c] += p * r[c];
        }
    });
  }
  l.out.forward(ctx, y);
}

void TextEncoder::feed_forward(const Layer& l, const Tensor& x, Tensor& y) const {
  const int64_t T = x.dim(0);
  Tensor h({T, config_.ffn_dim});
  l.ffn1.forward(x.data(), T, 1.f, h.data(), config_.ffn_dim, false);
  if (config_.hidden_act == Activation::Relu) ops::relu(h); else ops::gelu(h);
  y.resize({T, config_.hidden_size});
  l.ffn2.forward(h.data(), T, 1.f, y.data(), config_.hidden_size, false);
}

TextEncoding TextEncoder::forward(const std::vector<int64_t>& ids) const {
  const int64_t T = static_cast<int64_t>(ids.size()), H = config_.hidden_size, F = config_.flow_size;
  const float embed_scale = std::sqrt(static_cast<float>(H));
  Tensor x({T, H}), y;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < H; ++c) x[t * H + c] = embed_[ids[t] * H + c] * embed_scale;
  for (const Layer& l : layers_) {
    attention(l, x, y);
    ops::add(x, y);  // post-norm: LayerNorm(residual + sublayer)
    ops::layer_norm(x, l.norm_w, l.norm_b, static_cast<float>(config_.layer_norm_eps), x);
    feed_forward(l, x, y);
    ops::add(x, y);
    ops::layer_norm(x, l.final_norm_w, l.final_norm_b, static_cast<float>(config_.layer_norm_eps), x);
  }
  Tensor stats;
  project_.forward(x, stats);
  TextEncoding e{x, Tensor({T, F}), Tensor({T, F})};
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < F; ++c) {
      e.means[t * F + c] = stats[t * 2 * F + c];
      e.log_scales[t * F + c] = stats[t * 2 * F + F + c];
    }
  return e;
}

}  // namespace parley::vits
