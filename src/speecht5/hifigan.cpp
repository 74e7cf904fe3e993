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
    : vocoder::HifiGan(std::move(config.generator),
                       vocoder::HifiGanWeights{
                           weights, "",
                           [&weights](const std::string& name, const Shape& shape) {
                             return weights.get(name + ".weight", shape);
                           },
                           /*post_bias=*/true}) {
  if (config.normalize_before)
    normalize_input(weights.get("mean", {mel_bins()}), weights.get("scale", {mel_bins()}));
}

}  // namespace parley::speecht5
