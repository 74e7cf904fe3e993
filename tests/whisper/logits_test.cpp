// Each logits processor and the beam hypotheses on synthetic scores, against what the reference's
// own classes computed on the same inputs (cases/whisper-processors/processors.json, written by
// tools/make_whisper_goldens.py), plus the forced-token queries generation relies on.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/files.h"
#include "generation/logits.h"
#include "generation/search.h"
#include "whisper/logits.h"

namespace parley::whisper {
namespace {

using nlohmann::json;
using generation::ForceTokens;
using generation::LogitsProcessor;
using generation::LogitsProcessors;
using generation::SuppressTokens;
using generation::SuppressTokensAtBegin;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

const json& goldens() {
  static json j = json::parse(read_file(test::data_path("cases/whisper-processors/processors.json")));
  return j;
}

std::vector<float> decode_scores(const json& a) {
  std::vector<float> out;
  for (const auto& v : a) out.push_back(v.is_null() ? kNegInf : v.get<float>());
  return out;
}

std::unique_ptr<LogitsProcessor> make(const json& c) {
  const std::string name = c["processor"];
  const json& p = c["params"];
  if (name == "suppress_tokens") return std::make_unique<SuppressTokens>(p["ids"].get<std::vector<int>>());
  if (name == "suppress_at_begin")
    return std::make_unique<SuppressTokensAtBegin>(p["ids"].get<std::vector<int>>(), p["begin_index"].get<int>());
  if (name == "force_tokens") {
    std::map<int, int> m;
    for (const auto& e : p["map"]) m[e[0].get<int>()] = e[1].is_null() ? -1 : e[1].get<int>();
    return std::make_unique<ForceTokens>(m);
  }
  if (name == "timestamp_rules") {
    std::optional<int> max_initial;
    if (!p["max_initial_timestamp_index"].is_null()) max_initial = p["max_initial_timestamp_index"].get<int>();
    return std::make_unique<TimestampRules>(
        TimestampRules::Ids{p["eos"].get<int>(), p["no_timestamps"].get<int>(), p["timestamp_begin"].get<int>()},
        p["begin_index"].get<int>(), max_initial);
  }
  ADD_FAILURE() << "unknown processor " << name;
  return nullptr;
}

TEST(LogitsProcessors, EachRuleMatchesTheReferenceOnSyntheticScores) {
  int checked = 0;
  for (const auto& c : goldens()["processors"]) {
    auto proc = make(c);
    ASSERT_TRUE(proc);
    std::vector<int> tokens = c["tokens"].get<std::vector<int>>();
    std::vector<float> scores = decode_scores(c["scores"]);
    const std::vector<float> want = decode_scores(c["expected"]);
    proc->apply(tokens, scores);
    ASSERT_EQ(scores.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      if (std::isinf(want[i]))
        EXPECT_TRUE(std::isinf(scores[i]) && scores[i] < 0) << c["processor"] << " token " << i << " at length " << tokens.size();
      else
        EXPECT_FLOAT_EQ(scores[i], want[i]) << c["processor"] << " token " << i << " at length " << tokens.size();
    }
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

TEST(LogitsProcessors, SuppressAtBeginOnlyAtItsIndex) {
  SuppressTokensAtBegin p({3}, 2);
  std::vector<float> s(5, 1.f);
  p.apply(std::vector<int>{9}, s);
  EXPECT_EQ(s[3], 1.f);
  p.apply(std::vector<int>{9, 9}, s);
  EXPECT_EQ(s[3], kNegInf);
}

TEST(LogitsProcessors, ForcedTokensAreReportedForThePrefill) {
  LogitsProcessors chain;
  chain.add(std::make_unique<SuppressTokens>(std::vector<int>{1}));
  chain.add(std::make_unique<ForceTokens>(std::map<int, int>{{1, 7}, {2, -1}, {3, 9}}));
  chain.add(std::make_unique<TimestampRules>(TimestampRules::Ids{20, 25, 26}, 5, 3));
  EXPECT_EQ(chain.forced(std::vector<int>{0}), 7);
  EXPECT_EQ(chain.forced(std::vector<int>{0, 7}), std::nullopt);  // a null entry forces nothing
  EXPECT_EQ(chain.forced(std::vector<int>{0, 7, 8}), 9);
  EXPECT_EQ(chain.forced(std::vector<int>{0, 7, 8, 9}), 26);  // <|0.00|> at begin_index - 1
  EXPECT_EQ(chain.forced(std::vector<int>{0, 7, 8, 9, 26}), std::nullopt);
}

TEST(FinishedHypotheses, KeepAndStopAsTheReference) {
  for (const auto& b : goldens()["beam_hypotheses"]) {
    SCOPED_TRACE("length_penalty " + b["length_penalty"].dump() + " early_stopping " + b["early_stopping"].dump());
    generation::FinishedHypotheses h(b["num_beams"].get<int>(), b["length_penalty"].get<float>(), b["early_stopping"].get<bool>());
    for (const auto& op : b["ops"]) {
      if (op.contains("add")) {
        h.add(std::vector<int>(op["add"][0].get<int>(), 1), op["add"][1].get<float>());
      } else {
        EXPECT_EQ(h.is_done(op["is_done"][0].get<float>(), op["is_done"][1].get<int>()), op["expected"].get<bool>())
            << "is_done(" << op["is_done"][0] << ", " << op["is_done"][1] << ")";
      }
    }
    EXPECT_EQ(static_cast<int>(h.best_tokens().size()), b["best_length"].get<int>());
    EXPECT_NEAR(h.best_score(), b["best_score"].get<double>(), 1e-6);
  }
}

}  // namespace
}  // namespace parley::whisper
