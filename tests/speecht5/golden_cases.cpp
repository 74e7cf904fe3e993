#include "speecht5/golden_cases.h"

#include <nlohmann/json.hpp>
#include <regex>

#include "common/test_util.h"
#include "core/files.h"

namespace parley::speecht5 {

namespace fs = std::filesystem;

GoldenFile read_golden(const std::string& relative) {
  const nlohmann::json j = nlohmann::json::parse(read_file(test::data_path(relative)));
  GoldenFile g;
  g.model = j.at("model").get<std::string>();
  g.vocoder = j.at("vocoder").get<std::string>();
  static const std::regex speaker_re("cmu_us_([a-z]+)_arctic");
  for (const auto& c : j.at("cases")) {
    GoldenCase gc;
    gc.name = c.at("name").get<std::string>();
    gc.text = c.at("text").get<std::string>();
    gc.input_ids = c.at("input_ids").get<std::vector<int>>();
    if (c.contains("voice")) {
      gc.voice = c["voice"].get<std::string>();
    } else {  // the shared fixtures name the x-vector file of ../shared/assets (the same as voices/*.npy)
      std::smatch m;
      const std::string speaker = c.at("speaker").get<std::string>();
      if (!std::regex_search(speaker, m, speaker_re)) throw std::runtime_error("unknown speaker " + speaker);
      gc.voice = m[1];
    }
    const auto& kw = c.at("generate_kwargs");
    gc.options.threshold = kw.at("threshold").get<double>();
    gc.options.minlenratio = kw.at("minlenratio").get<double>();
    gc.options.maxlenratio = kw.at("maxlenratio").get<double>();
    gc.steps = c.at("steps").get<int64_t>();
    gc.stopped_by = c.at("stopped_by").get<std::string>();
    gc.samples = c.at("samples").get<int64_t>();
    g.cases.push_back(std::move(gc));
  }
  return g;
}

fs::path model_copy(const std::string& model, const std::string& weights_file) {
  const fs::path src = test::data_path(model);
  if (weights_file == "model.safetensors") return src;
  const fs::path dst = test::temp_dir("model") / fs::path(model).filename();
  fs::create_directories(dst);
  for (const auto& e : fs::directory_iterator(src)) {
    const std::string name = e.path().filename().string();
    const bool weights = name.find(".safetensors") != std::string::npos || name.find(".bin") != std::string::npos;
    if (!weights || name == weights_file) fs::copy_file(e.path(), dst / name);
  }
  return dst;
}

}  // namespace parley::speecht5
