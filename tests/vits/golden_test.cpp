// VitsModel against transformers' models/vits (v4.33) on the tiny random MMS-TTS-layout fixture and
// on our variants (tools/make_vits_variants.py): every zero-noise and injected-noise case — token ids exact, durations exact, log durations to
// 1e-4, waveform to 2e-3 with the same length.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "tensor/time_conv.h"
#include "vits/golden_cases.h"
#include "vits/model.h"

namespace parley::vits {
namespace {

std::shared_ptr<const VitsModel> load(const std::string& name) {
  return VitsModel::load(test::data_path("models/" + name));
}

RecordedNoise noise_for(const std::string& model, const VitsGoldenCase& c) {
  const std::string prefix = test::data_path("cases/" + model + "/" + c.name).string();
  // Zero-noise cases scale the draws by 0: any draws do, the seeded ones here.
  return c.noise_files ? RecordedNoise::from_files(prefix + ".duration_noise.npy", prefix + ".prior_noise.npy", 0)
                       : RecordedNoise::from_files("", "", 0);
}

VitsOptions options_for(const VitsGoldenCase& c) {
  VitsOptions o;
  o.noise_scale = c.noise_scale;
  o.noise_scale_duration = c.noise_scale_duration;
  o.speaking_rate = c.speaking_rate;
  o.speaker = c.speaker_id;
  return o;
}

// Token ids exact, durations exact, log durations and the waveform within the stated tolerances,
// with every decoder convolution on `algorithm` (Fft: tensor/fft_conv.h, which Auto does not pick;
// these models' goldens check it through the whole network in under a second).
void expect_cases_match(const std::string& name, size_t at_least,
                        TimeConv1d::Algorithm algorithm = TimeConv1d::Algorithm::Direct) {
  TimeConv1d::set_default_algorithm(algorithm);
  const auto model = load(name);
  TimeConv1d::set_default_algorithm(TimeConv1d::Algorithm::Direct);
  const auto cases = read_vits_golden(name);
  ASSERT_GE(cases.size(), at_least);
  for (const VitsGoldenCase& c : cases) {
    SCOPED_TRACE(name + " " + c.name);
    EXPECT_EQ(model->tokenizer().encode(c.text), c.input_ids);
    RecordedNoise noise = noise_for(name, c);
    const VitsOutput out = model->synthesize(c.text, options_for(c), noise);
    EXPECT_EQ(out.durations, c.durations);
    const std::string prefix = "cases/" + name + "/" + c.name;
    const Tensor log_duration = test::load_npy(prefix + ".log_duration.npy");
    EXPECT_TRUE(test::AllClose(Tensor::from_vector({static_cast<int64_t>(out.log_duration.size())}, out.log_duration),
                               log_duration.reshaped({log_duration.numel()}), kLogDurationTol));
    ASSERT_EQ(static_cast<int64_t>(out.audio.size()), c.samples);
    const Tensor wave = test::load_npy(prefix + ".wave.npy");
    EXPECT_TRUE(test::AllClose(Tensor::from_vector({c.samples}, out.audio), wave.reshaped({wave.numel()}), kWaveTol));
  }
}

TEST(VitsGolden, TokenizerGivesTheReferenceIds) {
  const auto model = load(kVitsModel);
  for (const VitsGoldenCase& c : read_vits_golden()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(model->tokenizer().encode(c.text), c.input_ids);
  }
}

TEST(VitsGolden, EveryCaseMatchesTheReference) { expect_cases_match(kVitsModel, 10); }
TEST(VitsGolden, EveryCaseMatchesTheReferenceWithFftConvolutions) {
  expect_cases_match(kVitsModel, 10, TimeConv1d::Algorithm::Fft);
}

// The plain duration predictor (no noise of its own), speaker conditioning everywhere a multi-speaker
// model has it (read from a pytorch_model.bin), and a tokenizer that keeps capitals.
TEST(VitsGolden, PlainDurationPredictorMatchesTheReference) { expect_cases_match("vits-plain-random", 6); }
TEST(VitsGolden, SpeakersOfAMultiSpeakerBinCheckpointMatchTheReference) { expect_cases_match("vits-speakers-random", 4); }
TEST(VitsGolden, UnnormalizedTokenizerKeepsCapitals) { expect_cases_match("vits-cased-random", 4); }

}  // namespace
}  // namespace parley::vits
