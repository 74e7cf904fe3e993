// Golden tests of the Whisper network against the reference's numbers (tests/data/FIXTURES.md):
// encoder states <= 1e-4, decoder logits <= 1e-3, for the fixture model (F32 safetensors) and the
// extra shapes of tools/make_whisper_goldens.py (BF16 / F16 safetensors).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "test_models.h"
#include "core/files.h"
#include "whisper/model.h"

namespace parley::whisper {
namespace {

using test::AllClose;
using test::data_path;
using test::load_npy;

struct TensorCase {
  std::string model, audio;
  std::vector<int> prefix;  // decoder_prefix of the golden
  std::string weights;      // a weights file of the folder; "" = the folder's default (safetensors)
  std::string base() const { return "cases/" + model + "/" + audio; }
};

void PrintTo(const TensorCase& c, std::ostream* os) { *os << c.model << " " << c.audio << " " << c.weights; }

// The golden cases that recorded encoder states and prefix logits.
std::vector<TensorCase> tensor_cases() {
  std::vector<TensorCase> out;
  for (const char* model : {"whisper-tiny-random", "whisper-v3-random", "whisper-narrow-random"}) {
    auto g = nlohmann::json::parse(read_file(data_path(std::string("cases/") + model + "/golden.json")));
    for (const auto& c : g["cases"])
      if (c.contains("decoder_prefix")) {
        TensorCase t{model, std::filesystem::path(c["audio"].get<std::string>()).stem().string(),
                     c["decoder_prefix"].get<std::vector<int>>(), ""};
        out.push_back(t);
        // A model's torch.save copy (whisper-v3-random's) holds the same values.
        if (std::filesystem::exists(data_path(std::string("models/") + model + "/pytorch_model.bin"))) {
          t.weights = "pytorch_model.bin";
          out.push_back(t);
        }
      }
  }
  return out;
}

// Prints the measured worst difference (for the record), then checks the tolerance.
void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  auto d = test::compare(got.data(), want.data(), std::min(got.numel(), want.numel()));
  std::printf("[measured] %s: max |diff| %.3g (tolerance %.0e)\n", what.c_str(), d.max_abs, tol);
  EXPECT_TRUE(AllClose(got, want, tol)) << what;
}

class NetworkGolden : public ::testing::TestWithParam<TensorCase> {};

TEST_P(NetworkGolden, EncoderStatesMatchReference) {
  const TensorCase& c = GetParam();
  Tensor states = test::test_model(c.model, c.weights)->encode(load_npy(c.base() + ".features.npy"));
  expect_close(states, load_npy(c.base() + ".encoder.npy"), 1e-4, c.model + " " + c.audio + " " + c.weights + " encoder");
}

TEST_P(NetworkGolden, DecoderPrefixLogitsMatchReference) {
  // The golden's encoder states as input, so this checks the decoder alone.
  const TensorCase& c = GetParam();
  const std::vector<int>& prefix = c.prefix;
  ASSERT_EQ(prefix.size(), 4u);
  Tensor want = load_npy(c.base() + ".decoder_logits.npy");

  DecoderSession session(test::test_model(c.model, c.weights));
  session.set_encoder_states(load_npy(c.base() + ".encoder.npy"));
  // All four positions in one call (the prefill path) ...
  Tensor all = session.decode(prefix, 4, true).clone();
  expect_close(all, want, 1e-3, c.model + " " + c.audio + " " + c.weights + " prefix logits");
  // ... and one token at a time through the KV cache (the generation path).
  session.reset(1);
  for (int i = 0; i < 4; ++i) {
    const Tensor& step = session.decode(std::span<const int>(&prefix[i], 1), 1);
    Tensor want_row = want.slice_rows(i, i + 1);
    EXPECT_TRUE(AllClose(step.reshaped(want_row.shape()), want_row, 1e-3)) << "position " << i;
  }
}

std::string name_of(const ::testing::TestParamInfo<TensorCase>& info) {
  std::string s = info.param.model + "_" + info.param.audio + (info.param.weights.empty() ? "" : "_" + info.param.weights);
  for (char& ch : s)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Models, NetworkGolden, ::testing::ValuesIn(tensor_cases()), name_of);

}  // namespace
}  // namespace parley::whisper
