// The HiFi-GAN generator's fields are read from config.json by one function
// (vocoder::HifiGanShape::from_json) for both families, each within its own limits: these tests pin
// where SpeechT5's vocoder and VITS's decoder differ, so the shared reader keeps both behaviours.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "speecht5/config.h"
#include "vits/config.h"

namespace parley {
namespace {

nlohmann::json config_of(const std::string& model) {
  std::ifstream in(test::data_path("models/" + model + "/config.json"));
  return nlohmann::json::parse(in);
}

nlohmann::json vits_config() { return config_of("vits-tiny-random"); }
nlohmann::json hifigan_config() { return config_of("hifigan-tiny-random"); }

// The message of the BadModel error that reading `j` with `read` throws, or "" when it reads.
template <class Read>
std::string refusal(const Read& read, const nlohmann::json& j) {
  try {
    read(j);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadModel) << e.what();
    return e.what();
  }
  return "";
}

const auto read_vits = [](const nlohmann::json& j) { return vits::VitsConfig::from_json(j, "vits/config.json"); };
const auto read_hifigan = [](const nlohmann::json& j) {
  return speecht5::HifiGanConfig::from_json(j, "hifigan/config.json");
};

TEST(HifiGanShape, TheFamiliesFillInChannelsFromTheirOwnField) {
  const nlohmann::json v = vits_config();
  const vits::VitsConfig vc = read_vits(v);
  EXPECT_EQ(vc.generator.in_channels, v["flow_size"].get<int64_t>());
  EXPECT_EQ(vc.generator.upsample_rates, v["upsample_rates"].get<std::vector<int64_t>>());
  const nlohmann::json h = hifigan_config();
  const speecht5::HifiGanConfig hc = read_hifigan(h);
  EXPECT_EQ(hc.generator.in_channels, h["model_in_dim"].get<int64_t>());
  EXPECT_EQ(hc.generator.sampling_rate, h["sampling_rate"].get<int64_t>());
  int64_t hop = 1;
  for (const auto& r : h["upsample_rates"]) hop *= r.get<int64_t>();
  EXPECT_EQ(hc.generator.hop_length(), hop);
}

TEST(HifiGanShape, SamplingRateDefaultsForVitsOnly) {
  nlohmann::json v = vits_config();
  v.erase("sampling_rate");
  EXPECT_EQ(read_vits(v).generator.sampling_rate, 16000);
  v["sampling_rate"] = 500;
  EXPECT_NE(refusal(read_vits, v).find("\"sampling_rate\" must lie in [1000, 384000]"), std::string::npos);
  nlohmann::json h = hifigan_config();
  h.erase("sampling_rate");
  EXPECT_NE(refusal(read_hifigan, h).find("lacks \"sampling_rate\""), std::string::npos);
  h["sampling_rate"] = 500;
  EXPECT_EQ(read_hifigan(h).generator.sampling_rate, 500);
}

// An upsampling kernel that exceeds its rate by an odd number: VITS refuses it, SpeechT5's reader
// leaves it to the network (which handles unaligned tiles).
TEST(HifiGanShape, OnlyVitsAsksForAnEvenKernelExcess) {
  nlohmann::json v = vits_config();
  v["upsample_kernel_sizes"][0] = v["upsample_rates"][0].get<int64_t>() + 1;
  EXPECT_NE(refusal(read_vits, v).find("must exceed its rate by an even number"), std::string::npos);
  nlohmann::json h = hifigan_config();
  h["upsample_kernel_sizes"][0] = h["upsample_rates"][0].get<int64_t>() + 1;
  EXPECT_EQ(refusal(read_hifigan, h), "");
  h["upsample_kernel_sizes"][0] = h["upsample_rates"][0].get<int64_t>() - 1;
  EXPECT_NE(refusal(read_hifigan, h).find("upsample kernel 0 is shorter than its rate"), std::string::npos);
}

TEST(HifiGanShape, EachFamilyKeepsItsBounds) {
  nlohmann::json v = vits_config(), h = hifigan_config();
  v["resblock_dilation_sizes"][0][0] = 65;
  EXPECT_NE(refusal(read_vits, v).find("integers in [1, 64]"), std::string::npos);
  h["resblock_dilation_sizes"][0][0] = 65;
  EXPECT_EQ(read_hifigan(h).generator.resblock_dilation_sizes[0][0], 65);
  h["resblock_dilation_sizes"][0][0] = 0;
  EXPECT_NE(refusal(read_hifigan, h).find("non-empty lists of integers in [1, 65536]"), std::string::npos);

  v = vits_config();
  h = hifigan_config();
  v["upsample_rates"][0] = 65;
  EXPECT_NE(refusal(read_vits, v).find("\"upsample_rates\" has 65, outside [1, 64]"), std::string::npos);
  h["upsample_rates"][0] = 4097;
  EXPECT_NE(refusal(read_hifigan, h).find("\"upsample_rates\" has 4097, outside [1, 4096]"), std::string::npos);
  v = vits_config();
  v["resblock_kernel_sizes"] = nlohmann::json::array();
  EXPECT_NE(refusal(read_vits, v).find("\"resblock_kernel_sizes\" is missing or empty"), std::string::npos);
  v["resblock_kernel_sizes"] = {3, 3, 3, 3, 3, 3, 3, 3, 3};
  EXPECT_NE(refusal(read_vits, v).find("\"resblock_kernel_sizes\" lists more than 8 sizes"), std::string::npos);
  h = hifigan_config();
  h["resblock_kernel_sizes"] = {3, 4};
  EXPECT_NE(refusal(read_hifigan, h).find("resblock kernel sizes must be odd, got 4"), std::string::npos);
}

// Sizes no real checkpoint has, which the layers could not hold: refused with one line by both
// families (a product of 15 rates of 4096 would overflow hop_length()'s int64; dilations are ints).
TEST(HifiGanShape, AbsurdHopOrDilationIsRefused) {
  nlohmann::json h = hifigan_config();
  h["upsample_rates"] = std::vector<int64_t>(15, 4096);
  h["upsample_kernel_sizes"] = std::vector<int64_t>(15, 4096);
  h["upsample_initial_channel"] = 1 << 20;
  const std::string hop = refusal(read_hifigan, h);
  EXPECT_NE(hop.find("samples per frame"), std::string::npos) << hop;
  EXPECT_EQ(hop.find('\n'), std::string::npos) << hop;
  h = hifigan_config();
  h["resblock_dilation_sizes"][0][0] = int64_t{1} << 40;
  const std::string dilation = refusal(read_hifigan, h);
  EXPECT_NE(dilation.find("resblock_dilation_sizes must hold non-empty lists of integers in [1, 65536]"),
            std::string::npos) << dilation;
}

}  // namespace
}  // namespace parley
