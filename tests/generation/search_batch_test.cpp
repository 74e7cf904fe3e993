// The one search over a batch of inputs (search_batch): each input gets exactly what search() gives
// it alone, and an input whose search ends drops its rows. A scripted decoder stands in for a model:
// its logits are a fixed function of the input and the hypothesis' tokens, and each input makes
// </s> likely at a different length, so the inputs end at different steps.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "generation/search.h"

namespace parley::generation {
namespace {

constexpr int kVocab = 12, kEos = 2;

class ScriptedDecoder : public StepDecoder {
 public:
  // `inputs`: the input index of each input the session holds (one for a search alone).
  explicit ScriptedDecoder(std::vector<int> inputs, int max_rows) : inputs_(std::move(inputs)), max_rows_(max_rows) {}
  int vocab_size() const override { return kVocab; }
  int max_beams() const override { return max_rows_; }
  int beams() const override { return static_cast<int>(rows_.size()); }
  void reset(int beams) override {
    const int per = beams / static_cast<int>(inputs_.size());
    rows_.assign(beams, Row{});
    for (int r = 0; r < beams; ++r) rows_[r].input = inputs_[r / per];
  }
  const Tensor& decode(std::span<const int> tokens, int n, bool all_positions) override {
    EXPECT_FALSE(all_positions);
    rows_decoded.push_back(beams());
    logits_ = Tensor({beams(), kVocab});
    for (int r = 0; r < beams(); ++r) {
      Row& row = rows_[r];
      row.tokens.insert(row.tokens.end(), tokens.begin() + r * n, tokens.begin() + (r + 1) * n);
      uint64_t h = 1469598103934665603ull + static_cast<uint64_t>(row.input) * 7919;
      for (int t : row.tokens) h = (h ^ static_cast<uint64_t>(t)) * 1099511628211ull;
      for (int v = 0; v < kVocab; ++v)
        logits_.row(r)[v] = static_cast<float>(std::fmod(std::abs(std::sin(static_cast<double>(h % 100003) + v * 1.7)) * 9.3, 5.0));
      // Input i makes </s> likely once its hypothesis has 3 + 2i tokens.
      if (static_cast<int>(row.tokens.size()) >= 3 + 2 * row.input) logits_.row(r)[kEos] += 4.f;
    }
    return logits_;
  }
  void reorder(std::span<const int> sources) override {
    std::vector<Row> next;
    for (int s : sources) next.push_back(rows_.at(s));
    rows_ = std::move(next);
  }
  std::vector<int> rows_decoded;

 private:
  struct Row {
    int input = 0;
    std::vector<int> tokens;
  };
  std::vector<int> inputs_;
  int max_rows_;
  std::vector<Row> rows_;
  Tensor logits_;
};

void expect_batch_equals_alone(const SearchOptions& o) {
  const std::vector<int> prompt = {1};
  const LogitsProcessors none;
  constexpr int kInputs = 4;
  ScriptedDecoder batch({0, 1, 2, 3}, kInputs * o.num_beams);
  const std::vector<SearchResult> got = search_batch(batch, kInputs, prompt, none, o);
  ASSERT_EQ(got.size(), static_cast<size_t>(kInputs));
  for (int i = 0; i < kInputs; ++i) {
    ScriptedDecoder alone({i}, o.num_beams);
    const SearchResult want = search(alone, prompt, none, o);
    EXPECT_EQ(got[i].tokens, want.tokens) << "input " << i;
    EXPECT_FLOAT_EQ(got[i].score, want.score) << "input " << i;
    EXPECT_EQ(want.tokens.back(), kEos) << "input " << i;  // it ended before max_length
  }
  // Inputs ended at different steps, and the ended ones stopped costing rows.
  EXPECT_LT(got[0].tokens.size(), got[kInputs - 1].tokens.size());
  EXPECT_LT(batch.rows_decoded.back(), batch.rows_decoded[1]);
}

TEST(SearchBatch, GreedyInputsEndAtTheirOwnStepAsAlone) {
  SearchOptions o;
  o.max_length = 30;
  o.eos = kEos;
  o.compute_logprobs = true;
  expect_batch_equals_alone(o);
}

TEST(SearchBatch, BeamInputsEndAtTheirOwnStepAsAlone) {
  SearchOptions o;
  o.max_length = 30;
  o.eos = kEos;
  o.num_beams = 3;
  expect_batch_equals_alone(o);
  o.early_stopping = true;
  expect_batch_equals_alone(o);
}

TEST(SearchBatch, MoreRowsThanTheDecoderHoldsIsRefused) {
  SearchOptions o;
  o.num_beams = 2;
  ScriptedDecoder d({0, 1}, 3);
  const std::vector<int> prompt = {1};
  EXPECT_THROW(search_batch(d, 2, prompt, LogitsProcessors(), o), std::exception);
}

}  // namespace
}  // namespace parley::generation
