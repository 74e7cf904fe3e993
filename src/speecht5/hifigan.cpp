#include "speecht5/hifigan.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "hf/model_dir.h"
#include "tensor/ops.h"
#include "weights/weights.h"

namespace parley::speecht5 {

namespace {

constexpr float kFinalLeakySlope = 0.01f;  // the reference calls leaky_relu() without a slope here

}  // namespace

std::shared_ptr<const HifiGan> HifiGan::load(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  auto model = std::make_shared<HifiGan>();
  HifiGanConfig& c = model->config_;
  c = HifiGanConfig::from_json(dir.json("config.json"), (folder / "config.json").string());
  const Weights w = Weights::load_folder(folder);
  const Precision precision = default_precision();

  if (c.normalize_before) {
    model->mean_ = w.get("mean", {c.model_in_dim});
    model->scale_ = w.get("scale", {c.model_in_dim});
  }
  const int64_t ch0 = c.upsample_initial_channel;
  auto conv = [&](const std::string& name, int64_t out, int64_t in, int64_t kernel, int dilation) {
    if (kernel % 2 == 0) bad_model(folder.string() + ": " + name + " has an even kernel, which 'same' padding cannot centre");
    return TimeConv1d(w.get(name + ".weight", {out, in, kernel}), w.get(name + ".bias", {out}), dilation, precision);
  };
  model->conv_pre_ = conv("conv_pre", ch0, c.model_in_dim, 7, 1);
  int64_t channels = ch0;
  for (size_t i = 0; i < c.upsample_rates.size(); ++i) {
    const int64_t in = ch0 >> i, out = ch0 >> (i + 1), k = c.upsample_kernel_sizes[i], rate = c.upsample_rates[i];
    const std::string p = "upsampler." + std::to_string(i);
    if (k < rate)
      bad_model(folder.string() + ": upsampler " + std::to_string(i) + " has kernel " + std::to_string(k) +
                ", shorter than its rate " + std::to_string(rate));
    // Tiles need n frames to give exactly n * rate samples at every upsampler.
    model->tiles_align_ = model->tiles_align_ && (k - rate) % 2 == 0;
    model->upsamples_.emplace_back(w.get(p + ".weight", {in, out, k}), w.get(p + ".bias", {out}),
                                   static_cast<int>(rate), static_cast<int>((k - rate) / 2), precision);
    channels = out;
    for (size_t j = 0; j < c.resblock_kernel_sizes.size(); ++j) {
      const int64_t kernel = c.resblock_kernel_sizes[j];
      const std::string rp = "resblocks." + std::to_string(i * c.resblock_kernel_sizes.size() + j);
      ResBlock block;
      for (size_t d = 0; d < c.resblock_dilation_sizes[j].size(); ++d) {
        const std::string ds = std::to_string(d);
        const int dilation = static_cast<int>(c.resblock_dilation_sizes[j][d]);
        block.conv1.push_back(conv(rp + ".convs1." + ds, out, out, kernel, dilation));
        block.conv2.push_back(conv(rp + ".convs2." + ds, out, out, kernel, 1));
      }
      model->resblocks_.push_back(std::move(block));
    }
  }
  model->conv_post_ = conv("conv_post", 1, channels, 7, 1);
  w.drop_unshared_pages();  // every weight was re-laid out for the time-major products
  return model;
}

void HifiGan::resblock(const ResBlock& block, Tensor& h, Scratch& s) const {
  const float slope = static_cast<float>(config_.leaky_relu_slope);
  const int64_t rows = h.dim(0), channels = h.dim(1);
  for (size_t i = 0; i < block.conv1.size(); ++i) {
    s.u.resize({rows, channels});
    block.conv1[i].forward(h.data(), rows, slope, s.u.data(), channels, false);
    block.conv2[i].forward(s.u.data(), rows, slope, h.data(), channels, true);  // h += conv2(...), the residual
  }
}

int64_t HifiGan::context_frames() const {
  // Each layer's reach (its padding), in samples of the rate it runs at, summed and turned into mel
  // frames.
  double frames = static_cast<double>(conv_pre_.padding());  // at the frame rate
  int64_t rate = 1;  // samples per mel frame at this stage's input
  const size_t kernels = config_.resblock_kernel_sizes.size();
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    const TimeConvTranspose1d& u = upsamples_[i];
    frames += static_cast<double>(u.kernel() + u.stride()) / u.stride() / rate;  // at its input
    rate *= u.stride();
    int64_t widest = 0;  // the residual blocks run side by side: the widest one counts
    for (size_t j = 0; j < kernels; ++j) {
      const ResBlock& b = resblocks_[i * kernels + j];
      int64_t reach = 0;
      for (size_t d = 0; d < b.conv1.size(); ++d) reach += b.conv1[d].padding() + b.conv2[d].padding();
      widest = std::max(widest, reach);
    }
    frames += static_cast<double>(widest) / rate;
  }
  frames += static_cast<double>(conv_post_.padding()) / rate;
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
  // Kept per thread between calls: a fresh one would be allocated, zeroed and faulted in by every
  // call (measured 16 % of the vocoder's time). It holds one tile's buffers.
  thread_local Scratch scratch;
  if (!tiles_align_ || tile_frames <= 0 || frames <= tile_frames + 2 * context) {
    vocode_range(mel, 0, frames, scratch, out);
    return out;
  }
  std::vector<float> piece;
  for (int64_t t0 = 0; t0 < frames; t0 += tile_frames) {
    const int64_t t1 = std::min(frames, t0 + tile_frames);
    const int64_t from = std::max<int64_t>(0, t0 - context), to = std::min(frames, t1 + context);
    piece.clear();
    vocode_range(mel, from, to, scratch, piece);
    // Keep the tile's own samples; the context's are there only to make those exact.
    out.insert(out.end(), piece.begin() + (t0 - from) * c.hop_length(), piece.begin() + (t1 - from) * c.hop_length());
  }
  return out;
}

void HifiGan::vocode_range(const Tensor& mel, int64_t begin, int64_t end, Scratch& s, std::vector<float>& out) const {
  const HifiGanConfig& c = config_;
  const float slope = static_cast<float>(c.leaky_relu_slope);
  int64_t rows = end - begin, channels = c.model_in_dim;
  s.x.resize({rows, channels});  // the mel frames, normalised
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t b = 0; b < channels; ++b) {
      const float v = mel[(begin + t) * channels + b];
      s.x[t * channels + b] = c.normalize_before ? (v - mean_[b]) / scale_[b] : v;
    }
  channels = conv_pre_.out_channels();
  s.y.resize({rows, channels});
  conv_pre_.forward(s.x.data(), rows, 1.f, s.y.data(), channels, false);
  const size_t kernels = c.resblock_kernel_sizes.size();
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    // y is free once it is the input: the upsampled signal goes there (one buffer fewer).
    s.in.prepare(s.y.data(), rows, channels, upsamples_[i].bf16(), slope);
    upsamples_[i].forward(s.in, s.y, s.taps);
    rows = s.y.dim(0);
    channels = s.y.dim(1);
    // The average of the residual blocks (summed in the reference's order, then divided, not scaled
    // by 1/k: the reference's rounding).
    const float divisor = static_cast<float>(kernels);
    for (size_t j = 0; j < kernels; ++j) {
      Tensor& h = j == 0 ? s.sum : s.h;
      ops::copy(s.y, h);
      resblock(resblocks_[i * kernels + j], h, s);
      if (j > 0 && j + 1 < kernels) ops::add(s.sum, s.h);
      if (j > 0 && j + 1 == kernels) ops::add_then_divide(s.sum, s.h, divisor);
    }
    std::swap(s.y, s.sum);
  }
  s.x.resize({rows, 1});
  conv_post_.forward(s.y.data(), rows, kFinalLeakySlope, s.x.data(), 1, false);
  ops::tanh(s.x);
  out.insert(out.end(), s.x.data(), s.x.data() + s.x.numel());
}

}  // namespace parley::speecht5
