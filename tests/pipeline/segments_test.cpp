// window_segments: a decoded window cut into timed segments at its timestamp tokens, as
// openai/whisper's transcribe() cuts one window, on the fixture model's tokenizer.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "hf/model_dir.h"
#include "pipeline/segments.h"

namespace parley::pipeline {
namespace {

class Segments : public ::testing::Test {
 protected:
  WhisperTokenizer tok = WhisperTokenizer::load(ModelDir(test::data_path("models/whisper-tiny-random")));
  int t(double seconds) const { return tok.timestamp_begin() + static_cast<int>(seconds / 0.02 + 0.5); }
  std::vector<int> words(const std::string& text) const { return tok.encode(text); }
  // <|startoftranscript|> ... then `body`, then <|endoftext|>.
  std::vector<int> window(std::vector<std::vector<int>> parts) const {
    std::vector<int> out = {tok.sot()};
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    out.push_back(tok.eot());
    return out;
  }
};

TEST_F(Segments, PairsOfTimestampsCloseAndOpenSegments) {
  const auto ids = window({{t(0)}, words(" Hello there."), {t(1.5), t(1.5)}, words(" How are you?"), {t(3.2)}});
  const auto s = window_segments(tok, ids, 0.02, 10.0);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].text, " Hello there.");
  EXPECT_DOUBLE_EQ(s[0].start, 0.0);
  EXPECT_NEAR(s[0].end, 1.5, 1e-9);
  EXPECT_EQ(s[0].tokens, words(" Hello there."));
  EXPECT_EQ(s[1].text, " How are you?");
  EXPECT_NEAR(s[1].start, 1.5, 1e-9);
  EXPECT_NEAR(s[1].end, 3.2, 1e-9);
}

TEST_F(Segments, TextAfterTheLastClosedSegmentRunsToTheEndOfTheAudio) {
  const auto ids = window({{t(0)}, words(" One."), {t(1), t(1)}, words(" Two, cut off")});
  const auto s = window_segments(tok, ids, 0.02, 4.0);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].text, " Two, cut off");
  EXPECT_NEAR(s[1].start, 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(s[1].end, 4.0);
}

TEST_F(Segments, WithoutTimestampsTheWholeTextIsOneSegmentOverTheAudio) {
  const auto ids = window({words(" Just text.")});
  const auto s = window_segments(tok, ids, 0.02, 5.5);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].text, " Just text.");
  EXPECT_DOUBLE_EQ(s[0].start, 0.0);
  EXPECT_DOUBLE_EQ(s[0].end, 5.5);
}

TEST_F(Segments, TimesAreClampedToTheAudioAndEmptySegmentsDropped) {
  // A random model's timestamps may run past the audio; segments with no words are left out.
  const auto ids = window({{t(0), t(0.5)}, {t(2), t(2)}, words(" Late."), {t(9)}});
  const auto s = window_segments(tok, ids, 0.02, 3.0);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].text, " Late.");
  EXPECT_NEAR(s[0].start, 2.0, 1e-9);
  EXPECT_DOUBLE_EQ(s[0].end, 3.0);
  EXPECT_TRUE(window_segments(tok, window({}), 0.02, 3.0).empty());
}

}  // namespace
}  // namespace parley::pipeline
