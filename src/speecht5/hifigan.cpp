#include "speecht5/hifigan.h"

#include "hf/model_dir.h"

namespace parley::speecht5 {

namespace {

vocoder::HifiGanShape shape_of(const HifiGanConfig& c) {
  vocoder::HifiGanShape s;
  s.in_channels = c.model_in_dim;
  s.sampling_rate = c.sampling_rate;
  s.upsample_initial_channel = c.upsample_initial_channel;
  s.upsample_rates = c.upsample_rates;
  s.upsample_kernel_sizes = c.upsample_kernel_sizes;
  s.resblock_kernel_sizes = c.resblock_kernel_sizes;
  s.resblock_dilation_sizes = c.resblock_dilation_sizes;
  s.leaky_relu_slope = c.leaky_relu_slope;
  return s;
}

}  // namespace

std::shared_ptr<const HifiGan> HifiGan::load(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  HifiGanConfig c = HifiGanConfig::from_json(dir.json("config.json"), (folder / "config.json").string());
  const Weights w = Weights::load_folder(folder);
  auto model = std::make_shared<HifiGan>(std::move(c), w);
  w.drop_unshared_pages();  // every weight was re-laid out for the time-major products
  return model;
}

HifiGan::HifiGan(HifiGanConfig config, const Weights& weights)
    : vocoder::HifiGan(shape_of(config),
                       vocoder::HifiGanWeights{weights, "",
                                               [&weights](const std::string& name, const Shape& shape) {
                                                 return weights.get(name + ".weight", shape);
                                               },
                                               true}),
      config_(std::move(config)) {
  if (config_.normalize_before)
    normalize_input(weights.get("mean", {config_.model_in_dim}), weights.get("scale", {config_.model_in_dim}));
}

}  // namespace parley::speecht5
