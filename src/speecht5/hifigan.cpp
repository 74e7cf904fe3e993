#include "speecht5/hifigan.h"

#include <cstring>

#include "core/error.h"
#include "hf/model_dir.h"
#include "tensor/ops.h"
#include "tensor/precision.h"
#include "weights/weights.h"

namespace parley::speecht5 {

namespace {

constexpr float kFinalLeakySlope = 0.01f;  // the reference calls leaky_relu() without a slope here

int same_padding(int64_t kernel, int64_t dilation) { return static_cast<int>((kernel * dilation - dilation) / 2); }

}  // namespace

std::shared_ptr<const HifiGan> HifiGan::load(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  auto model = std::make_shared<HifiGan>();
  HifiGanConfig& c = model->config_;
  c = HifiGanConfig::from_json(dir.json("config.json"), (folder / "config.json").string());
  const Weights w = Weights::load_folder(folder);

  if (c.normalize_before) {
    model->mean_ = w.get("mean", {c.model_in_dim});
    model->scale_ = w.get("scale", {c.model_in_dim});
  }
  const int64_t ch0 = c.upsample_initial_channel;
  const Precision precision = default_precision();
  model->conv_pre_ = TimeConv1d(w.get("conv_pre.weight", {ch0, c.model_in_dim, 7}), w.get("conv_pre.bias", {ch0}), 1, 3,
                                1, false, precision);
  int64_t channels = ch0;
  for (size_t i = 0; i < c.upsample_rates.size(); ++i) {
    const int64_t in = ch0 >> i, out = ch0 >> (i + 1), k = c.upsample_kernel_sizes[i], rate = c.upsample_rates[i];
    const std::string p = "upsampler." + std::to_string(i);
    model->upsamples_.emplace_back(w.get(p + ".weight", {in, out, k}), w.get(p + ".bias", {out}), static_cast<int>(rate),
                                   static_cast<int>((k - rate) / 2), 1, true, precision);
    channels = out;
    for (size_t j = 0; j < c.resblock_kernel_sizes.size(); ++j) {
      const int64_t kernel = c.resblock_kernel_sizes[j];
      const std::string rp = "resblocks." + std::to_string(i * c.resblock_kernel_sizes.size() + j);
      ResBlock block;
      for (size_t d = 0; d < c.resblock_dilation_sizes[j].size(); ++d) {
        const std::string ds = std::to_string(d);
        const int dilation = static_cast<int>(c.resblock_dilation_sizes[j][d]);
        block.c1.emplace_back(w.get(rp + ".convs1." + ds + ".weight", {out, out, kernel}),
                              w.get(rp + ".convs1." + ds + ".bias", {out}), 1, same_padding(kernel, dilation), dilation,
                              false, precision);
        block.c2.emplace_back(w.get(rp + ".convs2." + ds + ".weight", {out, out, kernel}),
                              w.get(rp + ".convs2." + ds + ".bias", {out}), 1, same_padding(kernel, 1), 1, false,
                              precision);
      }
      model->resblocks_.push_back(std::move(block));
    }
  }
  model->conv_post_ = TimeConv1d(w.get("conv_post.weight", {1, channels, 7}), w.get("conv_post.bias", {1}), 1, 3, 1,
                                 false, precision);
  return model;
}

void HifiGan::resblock(const ResBlock& block, const Tensor& x, Tensor& h, Scratch& s) const {
  h.resize(x.shape());
  std::memcpy(h.data(), x.data(), sizeof(float) * x.numel());
  const float slope = static_cast<float>(config_.leaky_relu_slope);
  for (size_t i = 0; i < block.c1.size(); ++i) {
    block.c1[i].forward(h, slope, s.u);
    block.c2[i].forward(s.u, slope, s.t);
    ops::add(h, s.t);
  }
}

std::vector<float> HifiGan::vocode(const Tensor& mel) const {
  const HifiGanConfig& c = config_;
  if (mel.ndim() != 2 || mel.dim(1) != c.model_in_dim)
    bad_input("the vocoder takes mel spectrograms of " + std::to_string(c.model_in_dim) + " bins, got " +
              mel.shape_string());
  if (mel.dim(0) == 0) bad_input("the vocoder got an empty mel spectrogram");
  const int64_t frames = mel.dim(0), bins = c.model_in_dim;
  Tensor x({frames, bins});  // [time, channels], normalised on the way
  for (int64_t t = 0; t < frames; ++t)
    for (int64_t b = 0; b < bins; ++b) {
      const float v = mel[t * bins + b];
      x[t * bins + b] = c.normalize_before ? (v - mean_[b]) / scale_[b] : v;
    }
  Tensor y, sum;
  Scratch scratch;
  conv_pre_.forward(x, 1.f, y);
  const size_t kernels = c.resblock_kernel_sizes.size();
  const float divisor = static_cast<float>(kernels);
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    upsamples_[i].forward(y, static_cast<float>(c.leaky_relu_slope), x);
    // The average of the residual blocks (summed in the reference's order, then divided, not scaled
    // by 1/k: the reference's rounding).
    resblock(resblocks_[i * kernels], x, sum, scratch);
    for (size_t j = 1; j < kernels; ++j) {
      resblock(resblocks_[i * kernels + j], x, scratch.h, scratch);
      ops::add(sum, scratch.h);
    }
    ops::divide(sum, divisor);
    std::swap(y, sum);
  }
  conv_post_.forward(y, kFinalLeakySlope, x);  // [time, 1]
  ops::tanh(x);
  return std::vector<float>(x.data(), x.data() + x.numel());
}

}  // namespace parley::speecht5
