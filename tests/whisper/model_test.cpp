// Golden tests of the Whisper network against the reference's numbers (tests/data/FIXTURES.md):
// encoder states <= 1e-4, decoder logits <= 1e-3, with the safetensors (F32) weights.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/files.h"
#include "whisper/model.h"

namespace parley::whisper {
namespace {

using test::AllClose;
using test::data_path;
using test::load_npy;

const char* kModel = "models/whisper-tiny-random";
const char* kCases = "cases/whisper-tiny-random/";

std::shared_ptr<const WhisperModel> tiny() {
  static auto model = WhisperModel::load(data_path(kModel));
  return model;
}

class TinyGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TinyGolden, EncoderStatesMatchReference) {
  Tensor states = tiny()->encode(load_npy(kCases + GetParam() + ".features.npy"));
  EXPECT_TRUE(AllClose(states, load_npy(kCases + GetParam() + ".encoder.npy"), 1e-4));
}

TEST_P(TinyGolden, DecoderPrefixLogitsMatchReference) {
  // The golden's encoder states as input, so this checks the decoder alone.
  auto golden = nlohmann::json::parse(read_file(data_path(std::string(kCases) + "golden.json")));
  std::vector<int> prefix;
  for (const auto& c : golden["cases"])
    if (c["audio"] == "audio/" + GetParam() + ".wav") prefix = c["decoder_prefix"].get<std::vector<int>>();
  ASSERT_EQ(prefix.size(), 4u);
  Tensor want = load_npy(kCases + GetParam() + ".decoder_logits.npy");

  DecoderSession session(tiny());
  session.set_encoder_states(load_npy(kCases + GetParam() + ".encoder.npy"));
  // All four positions in one call (the prefill path) ...
  Tensor all = session.decode(prefix, 4, true).clone();
  EXPECT_TRUE(AllClose(all, want, 1e-3));
  // ... and one token at a time through the KV cache (the generation path).
  session.reset(1);
  for (int i = 0; i < 4; ++i) {
    const Tensor& step = session.decode(std::span<const int>(&prefix[i], 1), 1);
    Tensor want_row = want.slice_rows(i, i + 1);
    EXPECT_TRUE(AllClose(step.reshaped(want_row.shape()), want_row, 1e-3)) << "position " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Audio, TinyGolden, ::testing::Values("jfk", "it_seed"));

}  // namespace
}  // namespace parley::whisper
