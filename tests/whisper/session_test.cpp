// The decoder session's cache bookkeeping: hypotheses decoded together, reordered and forked as
// beam search does, give the logits of each history decoded alone.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_util.h"
#include "test_models.h"
#include "core/error.h"
#include "whisper/model.h"
#include "generation/search.h"

namespace parley::whisper {
namespace {

using generation::LogitsProcessors;
using generation::SearchOptions;
using generation::SearchResult;
using generation::search;

std::shared_ptr<const WhisperModel> tiny() { return test::test_model("whisper-tiny-random"); }

Tensor alone(const Tensor& states, const std::vector<int>& history) {
  DecoderSession s(tiny());
  s.set_encoder_states(states);
  return s.decode(history, static_cast<int>(history.size())).clone();
}

TEST(DecoderSession, ReorderedAndForkedBeamsMatchEachHistoryAlone) {
  Tensor states = test::load_npy("cases/whisper-tiny-random/jfk.encoder.npy");
  const std::vector<int> prefix = {50258, 50259, 50359};
  DecoderSession s(tiny(), 4);
  s.set_encoder_states(states);
  s.decode(prefix, 3);
  s.reorder(std::vector<int>{0, 0, 0});  // one hypothesis becomes three (two forks)
  s.decode(std::vector<int>{100, 200, 300}, 1);
  s.reorder(std::vector<int>{2, 0, 0, 1});  // a beam dropped is re-used, beam 0 forks, a fourth appears
  ASSERT_EQ(s.beams(), 4);
  Tensor got = s.decode(std::vector<int>{11, 12, 13, 14}, 1).clone();
  ASSERT_EQ(got.shape(), (Shape{4, 51865}));
  const std::vector<std::vector<int>> histories = {{300, 11}, {100, 12}, {100, 13}, {200, 14}};
  for (int b = 0; b < 4; ++b) {
    std::vector<int> h = prefix;
    h.insert(h.end(), histories[b].begin(), histories[b].end());
    Tensor want = alone(states, h);
    EXPECT_TRUE(test::AllClose(got.slice_rows(b, b + 1), want, 1e-4)) << "hypothesis " << b;
  }
  EXPECT_EQ(s.length(), 5);
}

TEST(DecoderSession, RejectsTokensOutsideTheVocabularyAndTheCache) {
  DecoderSession s(tiny(), 1, 4);
  s.set_encoder_states(test::load_npy("cases/whisper-tiny-random/jfk.encoder.npy"));
  EXPECT_THROW(s.decode(std::vector<int>{51865}, 1), Error);
  EXPECT_THROW(s.decode(std::vector<int>{-1}, 1), Error);
  s.reset(1);
  s.decode(std::vector<int>{1, 2, 3, 4}, 4);
  EXPECT_THROW(s.decode(std::vector<int>{5}, 1), Error);  // the cache holds 4 positions
}

TEST(WhisperModel, RejectsFeaturesOfTheWrongShape) {
  EXPECT_THROW(tiny()->encode(Tensor({80, 2999})), Error);
  EXPECT_THROW(tiny()->encode(Tensor({128, 3000})), Error);
}

}  // namespace
}  // namespace parley::whisper

namespace parley::whisper {
namespace {

TEST(Search, NoSpeechProbabilityIsTheSoftmaxAtTheStartPosition) {
  // The golden prefix logits' first row is the reference's output after <|startoftranscript|>.
  Tensor golden = test::load_npy("cases/whisper-tiny-random/jfk.decoder_logits.npy");
  const int vocab = static_cast<int>(golden.dim(1)), nocaptions = 50362;
  double sum = 0;
  float mx = golden[0];
  for (int i = 0; i < vocab; ++i) mx = std::max(mx, golden[i]);
  for (int i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(golden[i]) - mx);
  const double want = std::exp(golden[nocaptions] - mx) / sum;

  DecoderSession s(tiny(), 2);
  s.set_encoder_states(test::load_npy("cases/whisper-tiny-random/jfk.encoder.npy"));
  LogitsProcessors none;
  SearchOptions o;
  o.max_length = 6;
  o.eos = 50257;
  o.no_speech_token = nocaptions;
  o.no_speech_position = 0;
  const std::vector<int> prompt = {50258, 50259, 50359, 50363};
  SearchResult greedy = search(s, prompt, none, o);
  EXPECT_NEAR(greedy.no_speech_prob, want, 1e-5 + 1e-3 * want);
  EXPECT_GT(greedy.no_speech_prob, 0.f);
  o.num_beams = 2;
  SearchResult beam = search(s, prompt, none, o);
  EXPECT_FLOAT_EQ(beam.no_speech_prob, greedy.no_speech_prob);
}

}  // namespace
}  // namespace parley::whisper

namespace parley::whisper {
namespace {

TEST(Search, SamplingIsSeededAndFollowsTheTemperature) {
  DecoderSession s(tiny());
  s.set_encoder_states(test::load_npy("cases/whisper-tiny-random/jfk.encoder.npy"));
  LogitsProcessors none;
  SearchOptions o;
  o.max_length = 24;
  o.eos = 50257;
  const std::vector<int> prompt = {50258, 50259, 50359, 50363};
  const auto greedy = search(s, prompt, none, o).tokens;
  o.temperature = 1e-4f;  // practically greedy
  EXPECT_EQ(search(s, prompt, none, o).tokens, greedy);
  o.temperature = 1.5f;
  o.seed = 42;
  const auto a = search(s, prompt, none, o).tokens;
  EXPECT_EQ(search(s, prompt, none, o).tokens, a);  // same seed, same draw
  o.seed = 43;
  EXPECT_NE(search(s, prompt, none, o).tokens, a);  // a random model at T 1.5: draws differ
  o.num_beams = 2;
  EXPECT_THROW(search(s, prompt, none, o), Error);
}

}  // namespace
}  // namespace parley::whisper
