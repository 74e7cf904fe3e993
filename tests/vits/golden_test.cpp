// VitsModel against transformers' models/vits (v4.33) on the tiny random MMS-TTS-layout fixture:
// every zero-noise and injected-noise case — token ids exact, durations exact, log durations to
// 1e-4, waveform to 2e-3 with the same length.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "tensor/time_conv.h"
#include "vits/golden_cases.h"
#include "vits/model.h"

namespace parley::vits {
namespace {

std::shared_ptr<const VitsModel> model() {
  static auto m = VitsModel::load(test::data_path(std::string("models/") + kVitsModel));
  return m;
}

RecordedNoise noise_for(const VitsGoldenCase& c) {
  const std::string prefix = test::data_path(std::string("cases/") + kVitsModel + "/" + c.name).string();
  // Zero-noise cases scale the draws by 0: any draws do, the seeded ones here.
  return c.noise_files ? RecordedNoise::from_files(prefix + ".duration_noise.npy", prefix + ".prior_noise.npy", 0)
                       : RecordedNoise::from_files("", "", 0);
}

VitsOptions options_for(const VitsGoldenCase& c) {
  VitsOptions o;
  o.noise_scale = c.noise_scale;
  o.noise_scale_duration = c.noise_scale_duration;
  o.speaking_rate = c.speaking_rate;
  return o;
}

TEST(VitsGolden, TokenizerGivesTheReferenceIds) {
  for (const VitsGoldenCase& c : read_vits_golden()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(model()->tokenizer().encode(c.text), c.input_ids);
  }
}

TEST(VitsGolden, EveryCaseMatchesTheReference) {
  TimeConv1d::set_default_algorithm(TimeConv1d::Algorithm::Direct);
  const auto cases = read_vits_golden();
  ASSERT_GE(cases.size(), 10u);
  for (const VitsGoldenCase& c : cases) {
    SCOPED_TRACE(c.name);
    RecordedNoise noise = noise_for(c);
    const VitsOutput out = model()->synthesize(c.text, options_for(c), noise);
    EXPECT_EQ(out.durations, c.durations);
    const std::string prefix = std::string("cases/") + kVitsModel + "/" + c.name;
    const Tensor log_duration = test::load_npy(prefix + ".log_duration.npy");
    EXPECT_TRUE(test::AllClose(Tensor::from_vector({static_cast<int64_t>(out.log_duration.size())}, out.log_duration),
                               log_duration.reshaped({log_duration.numel()}), kLogDurationTol));
    ASSERT_EQ(static_cast<int64_t>(out.audio.size()), c.samples);
    const Tensor wave = test::load_npy(prefix + ".wave.npy");
    EXPECT_TRUE(test::AllClose(Tensor::from_vector({c.samples}, out.audio), wave.reshaped({wave.numel()}), kWaveTol));
  }
}

}  // namespace
}  // namespace parley::vits
