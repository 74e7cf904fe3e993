// VITS's duration predictors: log durations (frames per input token, before exp) from the text
// encoder's hidden states.
//
// - Stochastic (VitsStochasticDurationPredictor, the MMS-TTS default), run in reverse: noise
//   [2, tokens] (scaled by noise_scale_duration) goes back through the flows — the last conv flows
//   first, the first one skipped as the reference does ("a useless vflow"), then the element-wise
//   affine flow — with a channel flip before each; channel 0 is the log duration. Each conv flow
//   inverts a monotonic rational-quadratic spline (Durkan et al., "Neural Spline Flows") on one
//   channel, its bins predicted from the other channel and the text.
// - Plain (VitsDurationPredictor): two convolutions with ReLU and LayerNorm, a 1x1 projection.
#pragma once

#include <vector>

#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "tensor/time_conv.h"
#include "vits/config.h"
#include "vits/layers.h"
#include "weights/weights.h"

namespace parley::vits {

// The inverse of the rational-quadratic spline at x, given its unnormalised bin widths, heights
// (`bins` each) and inner derivatives (bins - 1); identity outside [-tail_bound, tail_bound].
float inverse_spline(float x, const float* widths, const float* heights, const float* derivatives, int64_t bins,
                     float tail_bound);

class DurationPredictor {
 public:
  DurationPredictor() = default;
  DurationPredictor(const Weights& w, const VitsConfig& c);
  // hidden [tokens, hidden_size]; speaker [speaker_embedding_size] or empty; noise [2, tokens] raw
  // standard-normal draws (stochastic predictor only; scaled here by noise_scale). Returns the log
  // duration per token.
  std::vector<float> forward(const Tensor& hidden, const Tensor& speaker, const Tensor& noise, float noise_scale) const;
  bool stochastic() const { return stochastic_; }

 private:
  struct ConvFlow {
    Linear pre, proj;
    DepthSeparableConvs convs;
  };
  std::vector<float> stochastic_forward(const Tensor& hidden, const Tensor& speaker, const Tensor& noise,
                                        float noise_scale) const;
  std::vector<float> plain_forward(const Tensor& hidden, const Tensor& speaker) const;
  void conv_flow_reverse(const ConvFlow& f, const Tensor& condition, const std::vector<float>& first,
                         std::vector<float>& second) const;

  VitsConfig config_;
  bool stochastic_ = true;
  Linear cond_;  // speaker conditioning, when the model has speakers
  bool has_cond_ = false;
  // Stochastic.
  Linear pre_, proj_;
  DepthSeparableConvs convs_;
  Tensor affine_translate_, affine_log_scale_;  // [2]
  std::vector<ConvFlow> flows_;                 // flows.1 .. flows.N
  // Plain.
  TimeConv1d conv1_, conv2_;
  Tensor norm1_w_, norm1_b_, norm2_w_, norm2_b_;
  Linear plain_proj_;
};

}  // namespace parley::vits
