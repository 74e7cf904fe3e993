#include "vits/duration.h"

#include <cmath>

#include "core/error.h"
#include "tensor/ops.h"
#include "vits/layers.h"

namespace parley::vits {

namespace {

constexpr float kMinBinWidth = 1e-3f, kMinBinHeight = 1e-3f, kMinDerivative = 1e-3f;

float softplus(float x) { return x > 20.f ? x : std::log1p(std::exp(x)); }  // torch's threshold 20

// Bin edges from unnormalised sizes, as the reference: softmax, a minimum size, cumulative sum
// scaled onto [-bound, bound] with the ends pinned.
void bin_edges(const float* sizes, int64_t bins, float min_size, float bound, std::vector<float>& edges) {
  float top = -INFINITY, sum = 0;
  for (int64_t i = 0; i < bins; ++i) top = std::max(top, sizes[i]);
  std::vector<float> p(static_cast<size_t>(bins));
  for (int64_t i = 0; i < bins; ++i) sum += (p[i] = std::exp(sizes[i] - top));
  edges.assign(static_cast<size_t>(bins + 1), 0.f);
  float cum = 0;
  for (int64_t i = 0; i < bins; ++i) {
    cum += min_size + (1 - min_size * static_cast<float>(bins)) * (p[i] / sum);
    edges[i + 1] = (2 * bound) * cum + -bound;
  }
  edges[0] = -bound;
  edges[bins] = bound;
}

}  // namespace

float inverse_spline(float x, const float* widths, const float* heights, const float* derivatives, int64_t bins,
                     float tail_bound) {
  if (!(x >= -tail_bound && x <= tail_bound)) return x;
  std::vector<float> cw, ch;
  bin_edges(widths, bins, kMinBinWidth, tail_bound, cw);
  bin_edges(heights, bins, kMinBinHeight, tail_bound, ch);
  // The outer derivatives are pinned so that the spline meets the identity tails with slope 1.
  const float edge = static_cast<float>(std::log(std::exp(1.0 - kMinDerivative) - 1.0));
  auto derivative = [&](int64_t i) {
    return kMinDerivative + softplus(i == 0 || i == bins ? edge : derivatives[i - 1]);
  };
  int64_t k = -1;  // the bin whose output range holds x (the top edge nudged up as the reference)
  for (int64_t i = 0; i <= bins; ++i) k += x >= (i == bins ? ch[i] + 1e-6f : ch[i]) ? 1 : 0;
  k = std::clamp<int64_t>(k, 0, bins - 1);
  const float w = cw[k + 1] - cw[k], h = ch[k + 1] - ch[k], delta = h / w;
  const float d0 = derivative(k), d1 = derivative(k + 1);
  const float i1 = d0 + d1 - 2 * delta;
  const float i2 = x - ch[k];
  const float i3 = i2 * i1;
  const float a = h * (delta - d0) + i3;
  const float b = h * d0 - i3;
  const float c = -delta * i2;
  const float disc = b * b - 4 * a * c;
  if (!(disc >= 0)) throw Error(ErrorKind::Internal, "duration predictor: spline inverse has no real root");
  const float root = (2 * c) / (-b - std::sqrt(disc));
  return root * w + cw[k];
}

DurationPredictor::DurationPredictor(const Weights& w, const VitsConfig& c)
    : config_(c), stochastic_(c.use_stochastic_duration_prediction) {
  const std::string p = "duration_predictor.";
  const int64_t H = c.hidden_size;
  if (c.speaker_embedding_size > 0) {
    cond_ = load_pointwise(w, p + "cond", H, c.speaker_embedding_size);
    has_cond_ = true;
  }
  if (!stochastic_) {
    const int64_t F = c.duration_predictor_filter_channels, k = c.duration_predictor_kernel_size;
    conv1_ = load_conv(w, p + "conv_1", F, H, k, 1);
    conv2_ = load_conv(w, p + "conv_2", F, F, k, 1);
    norm1_w_ = load_vector(w, p + "norm_1.weight", F);
    norm1_b_ = load_vector(w, p + "norm_1.bias", F);
    norm2_w_ = load_vector(w, p + "norm_2.weight", F);
    norm2_b_ = load_vector(w, p + "norm_2.bias", F);
    plain_proj_ = load_pointwise(w, p + "proj", 1, F);
    return;
  }
  pre_ = load_pointwise(w, p + "conv_pre", H, H);
  proj_ = load_pointwise(w, p + "conv_proj", H, H);
  convs_ = DepthSeparableConvs(w, p + "conv_dds", c);
  affine_translate_ = w.get(p + "flows.0.translate", {2, 1}).clone().reshaped({2});
  affine_log_scale_ = w.get(p + "flows.0.log_scale", {2, 1}).clone().reshaped({2});
  const int64_t params = c.duration_predictor_flow_bins * 3 - 1;
  for (int64_t i = 1; i <= c.duration_predictor_num_flows; ++i) {
    const std::string f = p + "flows." + std::to_string(i);
    flows_.push_back({load_pointwise(w, f + ".conv_pre", H, 1), load_pointwise(w, f + ".conv_proj", params, H),
                      DepthSeparableConvs(w, f + ".conv_dds", c)});
  }
}

std::vector<float> DurationPredictor::forward(const Tensor& hidden, const Tensor& speaker, const Tensor& noise,
                                              float noise_scale) const {
  return stochastic_ ? stochastic_forward(hidden, speaker, noise, noise_scale) : plain_forward(hidden, speaker);
}

void DurationPredictor::conv_flow_reverse(const ConvFlow& f, const Tensor& condition, const std::vector<float>& first,
                                          std::vector<float>& second) const {
  const int64_t T = static_cast<int64_t>(first.size()), bins = config_.duration_predictor_flow_bins;
  Tensor h, params;
  f.pre.forward(Tensor::from_vector({T, 1}, first), h);
  f.convs.forward(h, condition);
  f.proj.forward(h, params);
  const float norm = std::sqrt(static_cast<float>(config_.hidden_size));
  const int64_t P = params.dim(1);
  std::vector<float> widths(bins), heights(bins);
  for (int64_t t = 0; t < T; ++t) {
    const float* row = params.data() + t * P;
    for (int64_t i = 0; i < bins; ++i) {
      widths[i] = row[i] / norm;
      heights[i] = row[bins + i] / norm;
    }
    second[t] = inverse_spline(second[t], widths.data(), heights.data(), row + 2 * bins, bins,
                               static_cast<float>(config_.duration_predictor_tail_bound));
  }
}

std::vector<float> DurationPredictor::stochastic_forward(const Tensor& hidden, const Tensor& speaker,
                                                         const Tensor& noise, float noise_scale) const {
  const int64_t T = hidden.dim(0);
  Tensor x, cond;
  pre_.forward(hidden, x);
  if (has_cond_ && !speaker.empty()) {
    cond_.forward(speaker.reshaped({1, speaker.numel()}), cond);
    ops::add_row_bias(x, cond.reshaped({cond.numel()}));
  }
  convs_.forward(x, Tensor());
  Tensor condition;
  proj_.forward(x, condition);
  std::vector<float> z0(T), z1(T);
  for (int64_t t = 0; t < T; ++t) {
    z0[t] = noise[t] * noise_scale;
    z1[t] = noise[T + t] * noise_scale;
  }
  // Reverse order, the first conv flow left out (the reference's "useless vflow"), then the affine.
  for (size_t i = flows_.size(); i >= 2; --i) {
    std::swap(z0, z1);  // the flip of the two channels
    conv_flow_reverse(flows_[i - 1], condition, z0, z1);
  }
  std::swap(z0, z1);
  for (int64_t t = 0; t < T; ++t) {
    z0[t] = (z0[t] - affine_translate_[0]) * std::exp(-affine_log_scale_[0]);
    z1[t] = (z1[t] - affine_translate_[1]) * std::exp(-affine_log_scale_[1]);
  }
  return z0;
}

std::vector<float> DurationPredictor::plain_forward(const Tensor& hidden, const Tensor& speaker) const {
  const int64_t T = hidden.dim(0), F = config_.duration_predictor_filter_channels;
  Tensor x = hidden.clone(), cond;
  if (has_cond_ && !speaker.empty()) {
    cond_.forward(speaker.reshaped({1, speaker.numel()}), cond);
    ops::add_row_bias(x, cond.reshaped({cond.numel()}));
  }
  const float eps = static_cast<float>(config_.layer_norm_eps);
  Tensor h({T, F}), g({T, F}), out;
  conv1_.forward(x.data(), T, 1.f, h.data(), F, false);
  ops::relu(h);
  ops::layer_norm(h, norm1_w_, norm1_b_, eps, h);
  conv2_.forward(h.data(), T, 1.f, g.data(), F, false);
  ops::relu(g);
  ops::layer_norm(g, norm2_w_, norm2_b_, eps, g);
  plain_proj_.forward(g, out);
  return std::vector<float>(out.data(), out.data() + T);
}

}  // namespace parley::vits
