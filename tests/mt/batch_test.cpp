// Sentences translated as one batch (tools/make_mt_batch_goldens.py, transformers 4.27.1; tests/data/
// cases/mt-batch): generate() on a right-padded batch of four sentences of different lengths, greedy
// and beam 4, for NLLB and Marian. Each row must be the reference's token for token, which is also
// what the sentence gets alone (the tool checks that on the reference's side).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/files.h"
#include "mt/translator.h"

namespace parley::mt {
namespace {

using nlohmann::json;

const json& golden() {
  static const json g = json::parse(read_file(test::data_path("cases/mt-batch/golden.json")));
  return g;
}

// The padded batch's rows without their padding (the attention mask's zeros).
std::vector<std::vector<int>> unpadded_inputs(const json& c) {
  std::vector<std::vector<int>> out;
  for (size_t r = 0; r < c["input_ids"].size(); ++r) {
    std::vector<int> ids;
    for (size_t i = 0; i < c["input_ids"][r].size(); ++i)
      if (c["attention_mask"][r][i].get<int>() == 1) ids.push_back(c["input_ids"][r][i].get<int>());
    out.push_back(std::move(ids));
  }
  return out;
}

GenerateOptions options_of(const json& kw) {
  GenerateOptions o;
  o.num_beams = kw["num_beams"].get<int>();
  o.max_new_tokens = kw["max_new_tokens"].get<int>();
  if (kw.contains("forced_bos_token_id")) o.forced_bos_token_id = kw["forced_bos_token_id"].get<int>();
  return o;
}

TEST(MtBatch, PaddedBatchGivesTheReferenceTokensForEveryRow) {
  for (const auto& c : golden()["cases"]) {
    const Translator t = Translator::load(test::data_path("models/" + c["model"].get<std::string>()));
    const auto inputs = unpadded_inputs(c);
    ASSERT_EQ(inputs.size(), 4u);
    EXPECT_NE(inputs[0].size(), inputs[1].size());  // the batch was padded
    for (const auto& r : c["runs"]) {
      SCOPED_TRACE(c["model"].get<std::string>() + " " + r["name"].get<std::string>());
      const GenerateOptions o = options_of(r["generate_kwargs"]);
      const auto batched = t.generate_batch(inputs, o);
      ASSERT_EQ(batched.size(), inputs.size());
      for (size_t i = 0; i < inputs.size(); ++i) {
        EXPECT_EQ(batched[i], r["sequences"][i].get<std::vector<int>>()) << "row " << i;
        EXPECT_EQ(t.generate(inputs[i], o), batched[i]) << "row " << i << " alone";
      }
    }
  }
}

// A batch wider than the session's 64 rows (4 sentences at 32 beams) runs in passes: the same tokens.
TEST(MtBatch, BatchWiderThanTheRowsRunsInPasses) {
  const json& c = golden()["cases"][1];
  const Translator t = Translator::load(test::data_path("models/" + c["model"].get<std::string>()));
  const auto inputs = unpadded_inputs(c);
  GenerateOptions o;
  o.num_beams = 32;
  o.max_new_tokens = 6;
  const auto batched = t.generate_batch(inputs, o);
  ASSERT_EQ(batched.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) EXPECT_EQ(batched[i], t.generate(inputs[i], o)) << "row " << i;
}

// Through the CLI: the same text split into its four sentences, batched by 4 and by 3 (a short last
// batch) and one by one, gives every sentence the same tokens, and those of the reference.
TEST(MtBatch, TranslateTextBatchedEqualsOneByOne) {
  const json& c = golden()["cases"][0];
  ASSERT_EQ(c["model"], "nllb-tiny-random");
  std::string text;
  for (const auto& s : c["sentences"]) text += (text.empty() ? "" : " ") + s.get<std::string>();
  const json& greedy = c["runs"][0];
  ASSERT_EQ(greedy["name"], "greedy");
  std::vector<json> runs;
  for (const char* batch : {"1", "4", "3"}) {
    SCOPED_TRACE(std::string("--batch-size ") + batch);
    const auto r = test::run_parley({"translate-text", "--model", test::data_path("models/nllb-tiny-random").string(),
                                     "--from", "it", "--to", "fr", "--json", "--beams", "1", "--max-new-tokens", "16",
                                     "--batch-size", batch, text});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    ASSERT_EQ(j["sentences"].size(), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(j["sentences"][i]["tokens"], greedy["sequences"][i]) << "sentence " << i;
    runs.push_back(j);
  }
  EXPECT_EQ(runs[1]["text"], runs[0]["text"]);
  EXPECT_EQ(runs[2]["text"], runs[0]["text"]);
}

TEST(MtBatch, BadBatchSizeIsAOneLineUsageError) {
  for (const char* bad : {"0", "-3", "65", "100000", "many"}) {
    SCOPED_TRACE(bad);
    const auto r = test::run_parley({"translate-text", "--model", test::data_path("models/nllb-tiny-random").string(),
                                     "--from", "it", "--to", "fr", "--batch-size", bad, "Ciao."});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--batch-size"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace parley::mt
