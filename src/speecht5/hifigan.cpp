#include "speecht5/hifigan.h"

#include "hf/model_dir.h"

namespace parley::speecht5 {

std::shared_ptr<const HifiGan> HifiGan::load(const std::filesystem::path& folder) {
  ModelDir dir(folder);
  HifiGanConfig c = HifiGanConfig::from_json(dir.json("config.json"), (folder / "config.json").string());
  const Weights w = Weights::load_folder(folder);
  auto model = std::make_shared<HifiGan>(std::move(c), w);
  w.drop_unshared_pages();  // every weight was re-laid out for the time-major products
  return model;
}

HifiGan::HifiGan(HifiGanConfig config, const Weights& weights)
    : vocoder::HifiGan(vocoder::HifiGanShape::of(config, config.model_in_dim),
                       vocoder::HifiGanWeights{
                           weights, "",
                           [&weights](const std::string& name, const Shape& shape) {
                             return weights.get(name + ".weight", shape);
                           },
                           /*post_bias=*/true}),
      config_(std::move(config)) {
  if (config_.normalize_before)
    normalize_input(weights.get("mean", {config_.model_in_dim}), weights.get("scale", {config_.model_in_dim}));
}

}  // namespace parley::speecht5
