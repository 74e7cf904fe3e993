#include "speecht5/hifigan.h"

#include <algorithm>
#include <cmath>
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

int64_t HifiGan::context_frames() const {
  // Each layer's reach (half its kernel span), in samples of the rate it runs at, summed and
  // turned into mel frames. conv_pre and conv_post have kernel 7.
  const HifiGanConfig& c = config_;
  double frames = 3;  // conv_pre, at the frame rate
  int64_t rate = 1;   // samples per mel frame at this stage's input
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    const Upsample& u = upsamples_[i];
    frames += static_cast<double>(u.weight.dim(2) + u.stride) / u.stride / rate;  // transposed conv, at its input
    rate *= u.stride;
    int64_t widest = 0;  // the residual blocks run side by side: the widest one counts
    for (size_t j = 0; j < c.resblock_kernel_sizes.size(); ++j) {
      const ResBlock& b = resblocks_[i * c.resblock_kernel_sizes.size() + j];
      int64_t reach = 0;
      for (size_t d = 0; d < b.w1.size(); ++d)
        reach += same_padding(b.w1[d].dim(2), b.dilation[d]) + same_padding(b.w2[d].dim(2), 1);
      widest = std::max(widest, reach);
    }
    frames += static_cast<double>(widest) / rate;
  }
  frames += 3.0 / rate;  // conv_post
  return static_cast<int64_t>(std::ceil(frames)) + 1;
}

std::vector<float> HifiGan::vocode(const Tensor& mel, int64_t tile_frames) const {
  const HifiGanConfig& c = config_;
  if (mel.ndim() != 2 || mel.dim(1) != c.model_in_dim)
    bad_input("the vocoder takes mel spectrograms of " + std::to_string(c.model_in_dim) + " bins, got " +
              mel.shape_string());
  if (mel.dim(0) == 0) bad_input("the vocoder got an empty mel spectrogram");
  const int64_t frames = mel.dim(0), context = context_frames();
  std::vector<float> out;
  out.reserve(static_cast<size_t>(frames * c.hop_length()));
  // Tiles must map to whole samples: each transposed conv turns n frames into exactly n * rate.
  bool aligned = true;
  for (const Upsample& u : upsamples_) aligned = aligned && u.weight.dim(2) - 2 * u.padding == u.stride;
  if (!aligned || tile_frames <= 0 || frames <= tile_frames + 2 * context) {
    vocode_range(mel, 0, frames, out);
    return out;
  }
  std::vector<float> piece;
  for (int64_t t0 = 0; t0 < frames; t0 += tile_frames) {
    const int64_t t1 = std::min(frames, t0 + tile_frames);
    const int64_t from = std::max<int64_t>(0, t0 - context), to = std::min(frames, t1 + context);
    piece.clear();
    vocode_range(mel, from, to, piece);
    // Keep the tile's own samples; the context's are there only to make those exact.
    out.insert(out.end(), piece.begin() + (t0 - from) * c.hop_length(), piece.begin() + (t1 - from) * c.hop_length());
  }
  return out;
}

void HifiGan::vocode_range(const Tensor& mel, int64_t begin, int64_t end, std::vector<float>& out) const {
  const HifiGanConfig& c = config_;
  const int64_t frames = end - begin, bins = c.model_in_dim;
  Tensor x({bins, frames});  // [channels, time], normalised on the way
  for (int64_t t = 0; t < frames; ++t)
    for (int64_t b = 0; b < bins; ++b) {
      const float v = mel[(begin + t) * bins + b];
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
  out.insert(out.end(), x.data(), x.data() + x.numel());
}

}  // namespace parley::speecht5
