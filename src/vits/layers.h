// VITS's building blocks, over time-major activations ([time, channels]) like the rest of the
// project's convolution code:
//   - checked weight loading that folds weight normalisation (weight_g / weight_v pairs, as the
//     published checkpoints store many convolutions): w = g · v / ‖v‖, the norm over all dims but 0;
//   - 1x1 convolutions as Linear layers (f32 / bf16 / int8 like the other models);
//   - the dilated depth-separable convolution stack of the stochastic duration predictor;
//   - the WaveNet block of the prior flow's coupling layers.
// Padding masks are all ones for one utterance, so the reference's mask products are left out.
#pragma once

#include <string>
#include <vector>

#include "tensor/linear.h"
#include "tensor/tensor.h"
#include "tensor/time_conv.h"
#include "vits/config.h"
#include "weights/weights.h"

namespace parley::vits {

// A convolution's weight `prefix.weight` of `shape` [out, in, kernel], or the one its
// `prefix.weight_g` [out, 1, 1] and `prefix.weight_v` [out, in, kernel] fold into.
Tensor load_conv_weight(const Weights& w, const std::string& prefix, const Shape& shape);

// Conv1d with kernel 1 at `prefix` as a Linear layer [out, in] (bias when `bias`).
Linear load_pointwise(const Weights& w, const std::string& prefix, int64_t out, int64_t in, bool bias = true);

// Conv1d with an odd kernel, "same" padding and stride 1 at `prefix`.
TimeConv1d load_conv(const Weights& w, const std::string& prefix, int64_t out, int64_t in, int64_t kernel,
                     int dilation, bool bias = true);

Tensor load_vector(const Weights& w, const std::string& name, int64_t size);

// VitsDilatedDepthSeparableConv: per layer i, a depthwise conv (dilation kernel^i), LayerNorm,
// GELU, a pointwise conv, LayerNorm, GELU, added to the input.
class DepthSeparableConvs {
 public:
  DepthSeparableConvs() = default;
  DepthSeparableConvs(const Weights& w, const std::string& prefix, const VitsConfig& c);
  // x [T, channels] in place; `condition` [T, channels] (or empty) is added first.
  void forward(Tensor& x, const Tensor& condition) const;

 private:
  struct Layer {
    Tensor depthwise, depthwise_bias;  // [channels, kernel], [channels]
    Linear pointwise;
    Tensor norm1_w, norm1_b, norm2_w, norm2_b;
    int dilation = 1;
  };
  std::vector<Layer> layers_;
  int64_t channels_ = 0, kernel_ = 0;
};

// VitsWaveNet: gated dilated convolutions with residual and skip outputs.
class WaveNet {
 public:
  WaveNet() = default;
  WaveNet(const Weights& w, const std::string& prefix, const VitsConfig& c, int64_t layers);
  // x [T, hidden] -> the skip outputs summed, [T, hidden]. `speaker` [speaker_embedding_size] or empty.
  // x [T, hidden] is overwritten (the residual stream).
  Tensor forward(Tensor& x, const Tensor& speaker) const;

 private:
  std::vector<TimeConv1d> in_layers_;
  std::vector<Linear> res_skip_;
  Linear cond_;
  bool has_cond_ = false;
  int64_t hidden_ = 0;
};

}  // namespace parley::vits
