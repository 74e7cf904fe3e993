#include "speecht5/hifigan.h"

#include <cstring>

#include "core/error.h"
#include "hf/model_dir.h"
#include "tensor/ops.h"
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
  model->conv_pre_w_ = w.get("conv_pre.weight", {ch0, c.model_in_dim, 7});
  model->conv_pre_b_ = w.get("conv_pre.bias", {ch0});
  int64_t channels = ch0;
  for (size_t i = 0; i < c.upsample_rates.size(); ++i) {
    const int64_t in = ch0 >> i, out = ch0 >> (i + 1), k = c.upsample_kernel_sizes[i], rate = c.upsample_rates[i];
    const std::string p = "upsampler." + std::to_string(i);
    model->upsamples_.push_back({w.get(p + ".weight", {in, out, k}), w.get(p + ".bias", {out}),
                                 static_cast<int>(rate), static_cast<int>((k - rate) / 2)});
    channels = out;
    for (size_t j = 0; j < c.resblock_kernel_sizes.size(); ++j) {
      const int64_t kernel = c.resblock_kernel_sizes[j];
      const std::string rp = "resblocks." + std::to_string(i * c.resblock_kernel_sizes.size() + j);
      ResBlock block;
      for (size_t d = 0; d < c.resblock_dilation_sizes[j].size(); ++d) {
        const std::string ds = std::to_string(d);
        block.w1.push_back(w.get(rp + ".convs1." + ds + ".weight", {out, out, kernel}));
        block.b1.push_back(w.get(rp + ".convs1." + ds + ".bias", {out}));
        block.w2.push_back(w.get(rp + ".convs2." + ds + ".weight", {out, out, kernel}));
        block.b2.push_back(w.get(rp + ".convs2." + ds + ".bias", {out}));
        block.dilation.push_back(static_cast<int>(c.resblock_dilation_sizes[j][d]));
      }
      model->resblocks_.push_back(std::move(block));
    }
  }
  model->conv_post_w_ = w.get("conv_post.weight", {1, channels, 7});
  model->conv_post_b_ = w.get("conv_post.bias", {1});
  return model;
}

namespace {

// dst = leaky_relu(src), into dst's storage.
void leaky_copy(const Tensor& src, float slope, Tensor& dst) {
  dst.resize(src.shape());
  const float* s = src.data();
  float* d = dst.data();
  for (int64_t i = 0, n = src.numel(); i < n; ++i) d[i] = s[i] >= 0.f ? s[i] : s[i] * slope;
}

}  // namespace

void HifiGan::resblock(const ResBlock& block, const Tensor& x, Tensor& h, Scratch& s) const {
  h.resize(x.shape());
  std::memcpy(h.data(), x.data(), sizeof(float) * x.numel());
  const float slope = static_cast<float>(config_.leaky_relu_slope);
  for (size_t i = 0; i < block.w1.size(); ++i) {
    leaky_copy(h, slope, s.t);
    const int64_t k = block.w1[i].dim(2);
    ops::conv1d(s.t, block.w1[i], block.b1[i], 1, same_padding(k, block.dilation[i]), block.dilation[i], s.u);
    ops::leaky_relu(s.u, slope);
    ops::conv1d(s.u, block.w2[i], block.b2[i], 1, same_padding(k, 1), 1, s.t);
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
  Tensor x({bins, frames});  // [channels, time], normalised on the way
  for (int64_t t = 0; t < frames; ++t)
    for (int64_t b = 0; b < bins; ++b) {
      const float v = mel[t * bins + b];
      x[b * frames + t] = c.normalize_before ? (v - mean_[b]) / scale_[b] : v;
    }
  Tensor y, sum;
  Scratch scratch;
  ops::conv1d(x, conv_pre_w_, conv_pre_b_, 1, 3, 1, y);
  const size_t kernels = c.resblock_kernel_sizes.size();
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    ops::leaky_relu(y, static_cast<float>(c.leaky_relu_slope));
    ops::conv_transpose1d(y, upsamples_[i].weight, upsamples_[i].bias, upsamples_[i].stride, upsamples_[i].padding, x);
    // The average of the residual blocks (summed in the reference's order, then divided, not scaled
    // by 1/k: the reference's rounding).
    resblock(resblocks_[i * kernels], x, sum, scratch);
    for (size_t j = 1; j < kernels; ++j) {
      resblock(resblocks_[i * kernels + j], x, scratch.h, scratch);
      ops::add(sum, scratch.h);
    }
    const float divisor = static_cast<float>(kernels);
    for (int64_t e = 0, n = sum.numel(); e < n; ++e) sum[e] /= divisor;
    std::swap(y, sum);
  }
  ops::leaky_relu(y, kFinalLeakySlope);
  ops::conv1d(y, conv_post_w_, conv_post_b_, 1, 3, 1, x);
  ops::tanh(x);
  return std::vector<float>(x.data(), x.data() + x.numel());
}

}  // namespace parley::speecht5
