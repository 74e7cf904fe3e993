#include "vits/layers.h"

#include <cmath>

#include "core/error.h"
#include "tensor/ops.h"
#include "tensor/parallel.h"
#include "tensor/precision.h"

namespace parley::vits {

namespace {

constexpr float kDepthSeparableNormEps = 1e-5f;  // nn.LayerNorm's default: the reference passes no eps

}  // namespace

Tensor load_conv_weight(const Weights& w, const std::string& prefix, const Shape& shape) {
  if (w.has(prefix + ".weight")) return w.get(prefix + ".weight", shape);
  if (!w.has(prefix + ".weight_g") || !w.has(prefix + ".weight_v"))
    bad_model(w.source() + ": missing " + prefix + ".weight (or its weight_g / weight_v pair)");
  const int64_t out = shape[0];
  const Tensor g = w.get(prefix + ".weight_g", {out, 1, 1});
  const Tensor v = w.get(prefix + ".weight_v", shape);
  Tensor folded(shape);
  const int64_t per = v.numel() / out;
  for (int64_t o = 0; o < out; ++o) {
    double sq = 0;
    for (int64_t i = 0; i < per; ++i) sq += static_cast<double>(v[o * per + i]) * v[o * per + i];
    // torch's _weight_norm: v * (g / ‖v‖), in float32.
    const float scale = g[o] / static_cast<float>(std::sqrt(sq));
    for (int64_t i = 0; i < per; ++i) folded[o * per + i] = v[o * per + i] * scale;
  }
  return folded;
}

Linear load_pointwise(const Weights& w, const std::string& prefix, int64_t out, int64_t in, bool bias) {
  Tensor weight = load_conv_weight(w, prefix, {out, in, 1}).reshaped({out, in});
  return Linear(weight.clone(), bias ? w.get(prefix + ".bias", {out}).clone() : Tensor(), default_precision());
}

TimeConv1d load_conv(const Weights& w, const std::string& prefix, int64_t out, int64_t in, int64_t kernel,
                     int dilation, bool bias) {
  return TimeConv1d(load_conv_weight(w, prefix, {out, in, kernel}), bias ? w.get(prefix + ".bias", {out}) : Tensor(),
                    dilation, default_precision());
}

Tensor load_vector(const Weights& w, const std::string& name, int64_t size) { return w.get(name, {size}).clone(); }

DepthSeparableConvs::DepthSeparableConvs(const Weights& w, const std::string& prefix, const VitsConfig& c)
    : channels_(c.hidden_size), kernel_(c.duration_predictor_kernel_size) {
  int dilation = 1;
  for (int64_t i = 0; i < c.depth_separable_num_layers; ++i, dilation *= static_cast<int>(kernel_)) {
    const std::string n = std::to_string(i);
    Layer l;
    l.depthwise = load_conv_weight(w, prefix + ".convs_dilated." + n, {channels_, 1, kernel_}).reshaped({channels_, kernel_});
    l.depthwise_bias = load_vector(w, prefix + ".convs_dilated." + n + ".bias", channels_);
    l.pointwise = load_pointwise(w, prefix + ".convs_pointwise." + n, channels_, channels_);
    l.norm1_w = load_vector(w, prefix + ".norms_1." + n + ".weight", channels_);
    l.norm1_b = load_vector(w, prefix + ".norms_1." + n + ".bias", channels_);
    l.norm2_w = load_vector(w, prefix + ".norms_2." + n + ".weight", channels_);
    l.norm2_b = load_vector(w, prefix + ".norms_2." + n + ".bias", channels_);
    l.dilation = dilation;
    layers_.push_back(std::move(l));
  }
}

void DepthSeparableConvs::forward(Tensor& x, const Tensor& condition) const {
  if (!condition.empty()) ops::add(x, condition);
  const int64_t T = x.dim(0), C = channels_;
  Tensor h({T, C}), p;
  for (const Layer& l : layers_) {
    const int64_t pad = (kernel_ - 1) * l.dilation / 2;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < C; ++c) {
        float sum = l.depthwise_bias[c];
        for (int64_t j = 0; j < kernel_; ++j) {
          const int64_t s = t + j * l.dilation - pad;
          if (s >= 0 && s < T) sum += l.depthwise[c * kernel_ + j] * x[s * C + c];
        }
        h[t * C + c] = sum;
      }
    ops::layer_norm(h, l.norm1_w, l.norm1_b, kDepthSeparableNormEps, h);
    ops::gelu(h);
    l.pointwise.forward(h, p);
    ops::layer_norm(p, l.norm2_w, l.norm2_b, kDepthSeparableNormEps, p);
    ops::gelu(p);
    ops::add(x, p);
  }
}

WaveNet::WaveNet(const Weights& w, const std::string& prefix, const VitsConfig& c, int64_t layers)
    : hidden_(c.hidden_size) {
  const int64_t H = c.hidden_size;
  if (c.speaker_embedding_size > 0) {
    cond_ = load_pointwise(w, prefix + ".cond_layer", 2 * H * layers, c.speaker_embedding_size);
    has_cond_ = true;
  }
  int dilation = 1;
  for (int64_t i = 0; i < layers; ++i, dilation *= static_cast<int>(c.wavenet_dilation_rate)) {
    const std::string n = std::to_string(i);
    in_layers_.push_back(load_conv(w, prefix + ".in_layers." + n, 2 * H, H, c.wavenet_kernel_size, dilation));
    res_skip_.push_back(load_pointwise(w, prefix + ".res_skip_layers." + n, i + 1 < layers ? 2 * H : H, H));
  }
}

Tensor WaveNet::forward(Tensor& x, const Tensor& speaker) const {
  const int64_t T = x.dim(0), H = hidden_;
  Tensor out({T, H}), h({T, 2 * H}), acts({T, H}), rs, cond;
  if (has_cond_ && !speaker.empty()) cond_.forward(speaker.reshaped({1, speaker.numel()}), cond);
  for (size_t i = 0; i < in_layers_.size(); ++i) {
    in_layers_[i].forward(x.data(), T, 1.f, h.data(), 2 * H, false);
    const float* g = cond.empty() ? nullptr : cond.data() + i * 2 * H;
    // The gated activation on every core: its tanh and exp per value were a tenth of the prior
    // flow's time on one thread, and all of it serial on two.
    parallel::for_range(T, 8, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t)
        for (int64_t c = 0; c < H; ++c) {
          float a = h[t * 2 * H + c], b = h[t * 2 * H + H + c];
          if (g) a += g[c], b += g[H + c];
          acts[t * H + c] = std::tanh(a) * (1.f / (1.f + std::exp(-b)));
        }
    });
    res_skip_[i].forward(acts, rs);
    const bool last = i + 1 == in_layers_.size();
    parallel::for_range(T, 32, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t)
        for (int64_t c = 0; c < H; ++c) {
          if (last) {
            out[t * H + c] += rs[t * H + c];
          } else {
            x[t * H + c] += rs[t * 2 * H + c];
            out[t * H + c] += rs[t * 2 * H + H + c];
          }
        }
    });
  }
  return out;
}

}  // namespace parley::vits
