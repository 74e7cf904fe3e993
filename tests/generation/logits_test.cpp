// The generic logits processors against transformers 4.27.1's rules, on hand-made sequences (the MT
// goldens cover forced BOS/EOS and bad words end to end; these cover the rules no golden run uses).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "generation/logits.h"

namespace parley::generation {
namespace {

std::vector<float> ones(int n) { return std::vector<float>(n, 1.f); }

TEST(Logits, RepetitionPenaltyDividesPositiveAndMultipliesNegativeOnce) {
  std::vector<float> s = {2.f, -2.f, 3.f, 4.f};
  RepetitionPenalty(2.f).apply(std::vector<int>{0, 1, 0}, s);  // token 0 twice: penalised once
  EXPECT_EQ(s, (std::vector<float>{1.f, -4.f, 3.f, 4.f}));
}

TEST(Logits, NoRepeatNGramBansTheTokenThatRepeatsAnNGram) {
  std::vector<float> s = ones(6);
  NoRepeatNGram(2).apply(std::vector<int>{1, 2, 3, 1}, s);  // "1 2" was seen: 2 is banned after 1
  EXPECT_TRUE(std::isinf(s[2]));
  EXPECT_EQ(s[3], 1.f);
  std::vector<float> short_seq = ones(6);
  NoRepeatNGram(3).apply(std::vector<int>{1}, short_seq);  // too short to repeat a trigram
  EXPECT_EQ(short_seq, ones(6));
}

TEST(Logits, BadWordsBanSingleTokensAndSequenceEndsButNotEos) {
  std::vector<float> s = ones(6);
  BadWords({{5}, {1, 4}, {2}}, /*eos=*/2).apply(std::vector<int>{0, 1}, s);
  EXPECT_TRUE(std::isinf(s[5]));
  EXPECT_TRUE(std::isinf(s[4]));  // after 1
  EXPECT_EQ(s[2], 1.f);           // [eos] is dropped, as the reference does
  std::vector<float> t = ones(6);
  BadWords({{1, 4}}, 2).apply(std::vector<int>{0, 3}, t);
  EXPECT_EQ(t[4], 1.f);
}

TEST(Logits, ForceTokensForcesOnlyAtItsLength) {
  LogitsProcessors p;
  p.add(std::make_unique<ForceTokens>(1, 3));
  std::vector<float> s = ones(5);
  p.apply(std::vector<int>{2}, s);
  EXPECT_EQ(s[3], 0.f);
  EXPECT_TRUE(std::isinf(s[0]));
  EXPECT_EQ(p.forced(std::vector<int>{2}), 3);
  EXPECT_FALSE(p.forced(std::vector<int>{2, 3}));
}

}  // namespace
}  // namespace parley::generation
