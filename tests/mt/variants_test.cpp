// Translation goldens of our own (tools/make_mt_variants.py, transformers 4.27.1; tests/data/cases/
// mt-variants): repetition penalty and no-repeat n-grams, a checkpoint stored as pytorch_model.bin, a
// multi-target opus-mt model with >>xxx<< codes, and a text longer than the model's positions
// translated sentence by sentence. Token for token.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/files.h"
#include "mt/translator.h"

namespace parley::mt {
namespace {

using nlohmann::json;

const json& golden() {
  static const json g = json::parse(read_file(test::data_path("cases/mt-variants/golden.json")));
  return g;
}

GenerateOptions options_of(const json& kw) {
  GenerateOptions o;
  if (kw.contains("num_beams")) o.num_beams = kw["num_beams"].get<int>();
  if (kw.contains("max_new_tokens")) o.max_new_tokens = kw["max_new_tokens"].get<int>();
  if (kw.contains("forced_bos_token_id")) o.forced_bos_token_id = kw["forced_bos_token_id"].get<int>();
  if (kw.contains("repetition_penalty")) o.repetition_penalty = kw["repetition_penalty"].get<float>();
  if (kw.contains("no_repeat_ngram_size")) o.no_repeat_ngram_size = kw["no_repeat_ngram_size"].get<int>();
  return o;
}

TEST(MtVariants, RepetitionPenaltyAndNoRepeatNgramMatchTheReference) {
  for (const auto& c : golden()["processors"]) {
    const Translator t = Translator::load(test::data_path("models/" + c["model"].get<std::string>()));
    for (const auto& r : c["runs"]) {
      SCOPED_TRACE(c["model"].get<std::string>() + " " + r["name"].get<std::string>());
      EXPECT_EQ(t.generate(c["input_ids"].get<std::vector<int>>(), options_of(r["generate_kwargs"])),
                r["sequence"].get<std::vector<int>>());
    }
  }
}

// The same weights as nllb-tiny-random, read from pytorch_model.bin: the same runs.
TEST(MtVariants, BinCheckpointGivesTheReferenceTokens) {
  const json& c = golden()["processors"][0];
  ASSERT_EQ(c["model"], "nllb-tiny-random");
  const Translator t = Translator::load(test::data_path("models/nllb-bin-random"));
  for (const auto& r : c["runs"]) {
    SCOPED_TRACE(r["name"].get<std::string>());
    EXPECT_EQ(t.generate(c["input_ids"].get<std::vector<int>>(), options_of(r["generate_kwargs"])),
              r["sequence"].get<std::vector<int>>());
  }
}

// `--to es` on a multi-target model puts >>spa<< before the text, as "<<spa>> text" is encoded by
// the reference; the translation is the reference's token for token.
TEST(MtVariants, MultiTargetMarianTakesTheTargetCodeFromTo) {
  const std::string model = test::data_path("models/marian-multi-random").string();
  for (const auto& c : golden()["multi"]) {
    const std::string code = c["target_code"].get<std::string>();  // >>spa<<
    const std::string to = code.substr(2, 3);
    SCOPED_TRACE(code);
    const auto r = test::run_parley({"translate-text", "--model", model, "--to", to, "--no-split", "--json",
                                     "--max-new-tokens", "12", c["text"].get<std::string>()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["tokens"], c["runs"][0]["sequence"]);
  }
  const auto r = test::run_parley({"translate-text", "--model", model, "--no-split", "ciao"});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // which target? a usage error naming the codes
  EXPECT_NE(r.err.find("--to"), std::string::npos) << r.err;
}

// 123 tokens for a model of 64 positions: split into its four sentences, each translated as the
// reference translates it alone; nothing dropped.
TEST(MtVariants, TextLongerThanThePositionsIsTranslatedSentenceBySentence) {
  const json& l = golden()["long"];
  ASSERT_GT(l["whole_tokens"].get<int>(), l["max_positions"].get<int>());
  const auto r = test::run_parley({"translate-text", "--model", test::data_path("models/nllb-tiny-random").string(),
                                   "--from", "it", "--to", "fr", "--json", "--beams", "1", "--max-new-tokens", "10",
                                   l["text"].get<std::string>()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  ASSERT_EQ(out["sentences"].size(), l["sentences"].size());
  for (size_t i = 0; i < out["sentences"].size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(out["sentences"][i]["source"], l["sentences"][i]["source"]);
    EXPECT_EQ(out["sentences"][i]["tokens"], l["sentences"][i]["sequence"]);
  }
  // --no-split on the same text: the model cannot take it whole, which is said, not truncated.
  const auto whole = test::run_parley({"translate-text", "--model", test::data_path("models/nllb-tiny-random").string(),
                                       "--from", "it", "--to", "fr", "--no-split", l["text"].get<std::string>()});
  EXPECT_NE(whole.exit_code, 0);
  EXPECT_NE(whole.err.find("positions"), std::string::npos) << whole.err;
}

// A translation that fills the model's 64 positions without </s> (the random model never ends): the
// reference fails there, Parley stops and says so, in a warning and in --json.
TEST(MtVariants, GenerationThatFillsThePositionsSaysSo) {
  const std::string model = test::data_path("models/nllb-tiny-random").string();
  auto r = test::run_parley({"translate-text", "--model", model, "--from", "it", "--to", "fr", "--json", "--beams", "1",
                             "--max-new-tokens", "200", "Ciao a tutti."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["tokens"].size(), 64u);
  EXPECT_EQ(out["sentences"][0]["cut_at_positions"], true);
  EXPECT_NE(r.err.find("parley: warning: the translation of sentence 1 filled the model's 64 positions"), std::string::npos)
      << r.err;
  // Stopped by --max-new-tokens instead: the caller's limit, nothing to say.
  r = test::run_parley({"translate-text", "--model", model, "--from", "it", "--to", "fr", "--json", "--beams", "1",
                        "--max-new-tokens", "10", "Ciao a tutti."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(json::parse(r.out)["sentences"][0].contains("cut_at_positions"));
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace parley::mt
