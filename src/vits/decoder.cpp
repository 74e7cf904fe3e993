#include "vits/decoder.h"

#include <algorithm>

#include "tensor/ops.h"
#include "tensor/precision.h"
#include "vits/layers.h"

namespace parley::vits {

namespace {

constexpr float kFinalLeakySlope = 0.01f;  // the reference calls leaky_relu() without a slope here

}  // namespace

Decoder::Decoder(const Weights& w, const VitsConfig& c) : config_(c) {
  const int64_t ch0 = c.upsample_initial_channel;
  conv_pre_ = load_conv(w, "decoder.conv_pre", ch0, c.flow_size, 7, 1);
  if (c.speaker_embedding_size > 0) {
    cond_ = load_pointwise(w, "decoder.cond", ch0, c.speaker_embedding_size);
    has_cond_ = true;
  }
  int64_t channels = ch0;
  for (size_t i = 0; i < c.upsample_rates.size(); ++i) {
    const int64_t in = ch0 >> i, out = ch0 >> (i + 1), k = c.upsample_kernel_sizes[i], rate = c.upsample_rates[i];
    const std::string p = "decoder.upsampler." + std::to_string(i);
    upsamples_.emplace_back(load_conv_weight(w, p, {in, out, k}), w.get(p + ".bias", {out}), static_cast<int>(rate),
                            static_cast<int>((k - rate) / 2), default_precision());
    channels = out;
    for (size_t j = 0; j < c.resblock_kernel_sizes.size(); ++j) {
      const std::string rp = "decoder.resblocks." + std::to_string(i * c.resblock_kernel_sizes.size() + j);
      ResBlock block;
      for (size_t d = 0; d < c.resblock_dilation_sizes[j].size(); ++d) {
        const std::string ds = std::to_string(d);
        const int dilation = static_cast<int>(c.resblock_dilation_sizes[j][d]);
        block.conv1.push_back(load_conv(w, rp + ".convs1." + ds, out, out, c.resblock_kernel_sizes[j], dilation));
        block.conv2.push_back(load_conv(w, rp + ".convs2." + ds, out, out, c.resblock_kernel_sizes[j], 1));
      }
      resblocks_.push_back(std::move(block));
    }
  }
  conv_post_ = load_conv(w, "decoder.conv_post", 1, channels, 7, 1, /*bias=*/false);
}

void Decoder::resblock(const ResBlock& b, Tensor& h, Tensor& u) const {
  const float slope = static_cast<float>(config_.leaky_relu_slope);
  const int64_t rows = h.dim(0), channels = h.dim(1);
  u.resize({rows, channels});
  for (size_t i = 0; i < b.conv1.size(); ++i) {
    b.conv1[i].forward(h.data(), rows, slope, u.data(), channels, false);
    b.conv2[i].forward(u.data(), rows, slope, h.data(), channels, true);  // h += conv2(...), the residual
  }
}

std::vector<float> Decoder::forward(const Tensor& latent, const Tensor& speaker) const {
  const float slope = static_cast<float>(config_.leaky_relu_slope);
  int64_t rows = latent.dim(0);
  Tensor y({rows, conv_pre_.out_channels()}), up, taps, sum, h, u;
  conv_pre_.forward(latent.data(), rows, 1.f, y.data(), conv_pre_.out_channels(), false);
  if (has_cond_ && !speaker.empty()) {
    Tensor g;
    cond_.forward(speaker.reshaped({1, speaker.numel()}), g);
    ops::add_row_bias(y, g.reshaped({g.numel()}));
  }
  const size_t kernels = config_.resblock_kernel_sizes.size();
  for (size_t i = 0; i < upsamples_.size(); ++i) {
    upsamples_[i].forward(y.data(), rows, slope, up, taps);
    rows = up.dim(0);
    // Summed in the reference's order, then divided (its rounding).
    for (size_t j = 0; j < kernels; ++j) {
      Tensor& x = j == 0 ? sum : h;
      x.resize(up.shape());
      std::copy(up.data(), up.data() + up.numel(), x.data());
      resblock(resblocks_[i * kernels + j], x, u);
      if (j > 0 && j + 1 < kernels) ops::add(sum, h);
      if (j > 0 && j + 1 == kernels) ops::add_then_divide(sum, h, static_cast<float>(kernels));
    }
    std::swap(y, sum);
  }
  Tensor out({rows, 1});
  conv_post_.forward(y.data(), rows, kFinalLeakySlope, out.data(), 1, false);
  ops::tanh(out);
  return std::vector<float>(out.data(), out.data() + rows);
}

}  // namespace parley::vits
