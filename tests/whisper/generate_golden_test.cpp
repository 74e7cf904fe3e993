// Every generate() run of the fixture's golden.json, token for token, from the golden log-mel
// features (so this does not depend on audio decoding), plus language detection.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "test_models.h"
#include "core/files.h"
#include "whisper/generate.h"

namespace parley::whisper {
namespace {

using nlohmann::json;
using test::data_path;
using test::load_npy;

struct Case {
  std::string model, audio;  // e.g. "whisper-tiny-random", "jfk"
  json golden;               // the case entry of golden.json
  std::string weights;       // a weights file of the folder; "" = the folder's default (safetensors)
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << " " << c.audio << " " << c.weights; }

std::string stem(const std::string& audio_path) {
  auto s = std::filesystem::path(audio_path).stem().string();
  return s;
}

std::vector<Case> cases_of(const std::string& model, const std::string& weights = "") {
  json g = json::parse(read_file(data_path("cases/" + model + "/golden.json")));
  std::vector<Case> out;
  for (const auto& c : g["cases"]) out.push_back({model, stem(c["audio"]), c, weights});
  return out;
}

GenerateOptions options_of(const json& kw) {
  GenerateOptions o;
  o.task = kw.value("task", "transcribe");
  o.language = kw.value("language", "");
  o.max_new_tokens = kw.value("max_new_tokens", 0);
  o.max_length = kw.value("max_length", 0);
  o.num_beams = kw.value("num_beams", 1);
  o.timestamps = kw.value("return_timestamps", false);
  return o;
}

class GenerateGolden : public ::testing::TestWithParam<Case> {};

TEST_P(GenerateGolden, LanguageAndEveryRunMatchReference) {
  const Case& c = GetParam();
  auto m = test::test_model(c.model, c.weights);
  const std::string base = "cases/" + c.model + "/" + c.audio;
  Tensor states = m->encode(load_npy(base + ".features.npy"));
  DecoderSession session(m, 8);
  session.set_encoder_states(states);

  LanguageDetection lang = detect_language(session);
  EXPECT_EQ(lang.code, c.golden["detected_language"].get<std::string>());
  if (std::filesystem::exists(data_path(base + ".language_logprobs.npy"))) {
    Tensor want = load_npy(base + ".language_logprobs.npy");
    Tensor got = Tensor::from_vector({static_cast<int64_t>(lang.logprobs.size())}, lang.logprobs);
    std::printf("[measured] %s %s %s language log-probs: max |diff| %.3g (tolerance 1e-03)\n", c.model.c_str(),
                c.audio.c_str(), c.weights.c_str(), test::compare(got.data(), want.data(), want.numel()).max_abs);
    EXPECT_TRUE(test::AllClose(got, want, 1e-3)) << "language log-probs";
  }

  for (const auto& run : c.golden["runs"]) {
    SCOPED_TRACE(run["name"].get<std::string>());
    DecodingPlan plan = make_plan(m->config(), options_of(run["generate_kwargs"]));
    generation::SearchResult r = generate(session, plan);
    EXPECT_EQ(r.tokens, run["sequence"].get<std::vector<int>>());
    if (run.contains("sequence_score")) {
      std::printf("[measured] %s %s %s %s sequence_score: |diff| %.3g\n", c.model.c_str(), c.audio.c_str(),
                  c.weights.c_str(), run["name"].get<std::string>().c_str(),
                  std::fabs(r.score - run["sequence_score"].get<double>()));
      EXPECT_NEAR(r.score, run["sequence_score"].get<double>(), 1e-3) << "beam sequence_score";
    }
  }
}

std::string name_of(const ::testing::TestParamInfo<Case>& info) {
  std::string s = info.param.model + "_" + info.param.audio + (info.param.weights.empty() ? "" : "_" + info.param.weights);
  for (char& ch : s)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Tiny, GenerateGolden, ::testing::ValuesIn(cases_of("whisper-tiny-random")), name_of);
// The same values (bfloat16) in torch.save's zip format, the tied output projection spelled out
// (tools/make_whisper_torch_bin.py).
INSTANTIATE_TEST_SUITE_P(V3Bin, GenerateGolden,
                         ::testing::ValuesIn(cases_of("whisper-v3-random", "pytorch_model.bin")), name_of);
// Shapes beyond the fixture's (tools/make_whisper_goldens.py): 128 mels + the 51866-token
// vocabulary in BF16, and a 1-head F16 model with an untied output projection whose
// generation_config.json lacks the language/task/timestamp ids.
INSTANTIATE_TEST_SUITE_P(V3, GenerateGolden, ::testing::ValuesIn(cases_of("whisper-v3-random")), name_of);
INSTANTIATE_TEST_SUITE_P(Narrow, GenerateGolden, ::testing::ValuesIn(cases_of("whisper-narrow-random")), name_of);

}  // namespace
}  // namespace parley::whisper
