// The translation network and generate() against transformers 4.27.1 on the tiny random fixtures
// (tests/data/cases/{nllb,m2m100,marian}-tiny-random): encoder states <= 1e-4, first-step logits
// <= 1e-3, and every generate() run token for token.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "mt/translator.h"

namespace parley::mt {
namespace {

using nlohmann::json;

const char* const kModels[] = {"nllb-tiny-random", "m2m100-tiny-random", "marian-tiny-random"};

json golden(const std::string& model) {
  return json::parse(read_file(test::data_path("cases/" + model + "/golden.json")));
}

const Translator& translator(const std::string& model) {
  static std::map<std::string, Translator> cache;
  auto it = cache.find(model);
  if (it == cache.end()) it = cache.emplace(model, Translator::load(test::data_path("models/" + model))).first;
  return it->second;
}

std::vector<int> decoder_prefix(const Translator& t, const json& c) {
  if (c.contains("decoder_prefix")) return c["decoder_prefix"].get<std::vector<int>>();
  return {t.defaults().decoder_start_token_id};  // Marian: [<pad>]
}

TEST(MtModel, EncoderStatesMatchReference) {
  for (const std::string model : kModels) {
    const Translator& t = translator(model);
    const json g = golden(model);
    for (const auto& c : g["cases"]) {
      SCOPED_TRACE(model + " " + c["name"].get<std::string>());
      const Tensor states = t.model().encode(c["input_ids"].get<std::vector<int>>());
      const Tensor want = test::load_npy("cases/" + model + "/" + c["name"].get<std::string>() + ".encoder.npy");
      EXPECT_TRUE(test::AllClose(states, want, 1e-4));
    }
  }
}

TEST(MtModel, FirstStepLogitsMatchReference) {
  for (const std::string model : kModels) {
    const Translator& t = translator(model);
    const json g = golden(model);
    for (const auto& c : g["cases"]) {
      SCOPED_TRACE(model + " " + c["name"].get<std::string>());
      DecoderSession session(t.shared_model(), 1, 0);
      session.set_encoder_states(t.model().encode(c["input_ids"].get<std::vector<int>>()));
      const std::vector<int> prefix = decoder_prefix(t, c);
      const Tensor& logits = session.decode(prefix, static_cast<int>(prefix.size()), true);
      const Tensor want = test::load_npy("cases/" + model + "/" + c["name"].get<std::string>() + ".decoder_logits.npy");
      EXPECT_TRUE(test::AllClose(logits.reshaped(want.shape()), want, 1e-3));
    }
  }
}

// Every run of the goldens, token for token. Runs with a tiny min_top2_margin (marian case1 greedy:
// 2.2e-4) could legitimately diverge after that step in float32; they match here, and the test
// says so instead of loosening: a failure of such a run alone is worth a look, not a bug report.
TEST(MtGenerate, EveryGoldenRunTokenForToken) {
  int checked = 0;
  for (const std::string model : kModels) {
    const Translator& t = translator(model);
    const json g = golden(model);
    for (const auto& c : g["cases"]) {
      for (const auto& r : c["runs"]) {
        const auto& kw = r["generate_kwargs"];
        SCOPED_TRACE(model + " " + c["name"].get<std::string>() + " " + r["name"].get<std::string>() +
                     " min_top2_margin " + r.value("min_top2_margin", json()).dump());
        GenerateOptions o;
        if (kw.contains("num_beams")) o.num_beams = kw["num_beams"].get<int>();
        if (kw.contains("max_new_tokens")) o.max_new_tokens = kw["max_new_tokens"].get<int>();
        if (kw.contains("forced_bos_token_id")) o.forced_bos_token_id = kw["forced_bos_token_id"].get<int>();
        EXPECT_EQ(t.generate(c["input_ids"].get<std::vector<int>>(), o), r["sequence"].get<std::vector<int>>());
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 15 + 8 + 12);
}

TEST(MtModel, TooManyTokensForThePositionsIsAnError) {
  const Translator& t = translator("marian-tiny-random");
  const std::vector<int> ids(t.model().max_positions() + 1, 5);
  EXPECT_THROW(t.model().encode(ids), Error);
}

TEST(MtModel, MissingWeightIsBadModel) {
  const auto dir = test::temp_dir("mt_missing_weights");
  for (const auto& e : std::filesystem::directory_iterator(test::data_path("models/nllb-tiny-random")))
    if (e.path().filename() != "model.safetensors") std::filesystem::copy_file(e.path(), dir / e.path().filename());
  try {
    Translator::load(dir);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadModel) << e.what();
  }
}

TEST(MtModel, TruncatedWeightsAreBadModel) {
  const auto dir = test::temp_dir("mt_truncated_weights");
  for (const auto& e : std::filesystem::directory_iterator(test::data_path("models/marian-tiny-random")))
    std::filesystem::copy_file(e.path(), dir / e.path().filename());
  std::filesystem::resize_file(dir / "model.safetensors", 5000);
  try {
    Translator::load(dir);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadModel) << e.what();
  }
}

}  // namespace
}  // namespace parley::mt
