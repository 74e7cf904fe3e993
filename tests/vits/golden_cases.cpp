#include "vits/golden_cases.h"

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/files.h"

namespace parley::vits {

std::vector<VitsGoldenCase> read_vits_golden(const std::string& model) {
  const auto j = nlohmann::json::parse(read_file(test::data_path("cases/" + model + "/golden.json")));
  std::vector<VitsGoldenCase> cases;
  for (const auto& c : j.at("cases")) {
    VitsGoldenCase g;
    g.name = c.at("name").get<std::string>();
    g.text = c.at("text").get<std::string>();
    g.input_ids = c.at("input_ids").get<std::vector<int64_t>>();
    g.noise_scale = c.at("noise_scale").get<double>();
    g.noise_scale_duration = c.at("noise_scale_duration").get<double>();
    g.speaking_rate = c.at("speaking_rate").get<double>();
    g.samples = c.at("samples").get<int64_t>();
    g.durations = c.at("durations").get<std::vector<int64_t>>();
    g.min_ceil_margin = c.at("min_ceil_margin").get<double>();
    g.noise_files = c.at("noise_files").get<bool>();
    g.speaker_id = c.value("speaker_id", int64_t{0});
    cases.push_back(std::move(g));
  }
  return cases;
}

}  // namespace parley::vits
