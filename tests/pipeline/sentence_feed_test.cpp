// SentenceFeed (pipeline/sentence_feed.h): a transcript fed window by window hands out each sentence
// once no later window can change it, holding a sentence that goes on into the next window, and in
// the end gives exactly the sentences and times of timed_sentences() on the whole transcript.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "pipeline/sentence_feed.h"

namespace parley::test {
namespace {

using pipeline::SentenceFeed;
using pipeline::TimedSentence;

Segment segment(double start, double end, std::string text) {
  Segment s;
  s.start = start;
  s.end = end;
  s.text = std::move(text);
  return s;
}

std::vector<std::string> texts(const std::vector<TimedSentence>& sentences) {
  std::vector<std::string> out;
  for (const auto& s : sentences) out.push_back(s.text);
  return out;
}

// Three windows: the first ends inside a sentence, the second on a finished one, the third on an
// abbreviation ("Mr.") whose sentence may go on.
const std::vector<std::vector<Segment>> kWindows = {
    {segment(0, 4, " Hello there."), segment(4, 9, " We went to the")},
    {segment(30, 33, " market today."), segment(33, 38, " It was busy!")},
    {segment(60, 62, " Then we met Mr."), segment(62, 65, " Smith at the door.")},
};

TEST(SentenceFeed, HoldsTheSentenceThatGoesOnIntoTheNextWindow) {
  SentenceFeed feed;
  EXPECT_EQ(texts(feed.add(kWindows[0])), std::vector<std::string>{"Hello there."});
  const std::vector<TimedSentence> second = feed.add(kWindows[1]);
  ASSERT_EQ(texts(second), (std::vector<std::string>{"We went to the market today.", "It was busy!"}));
  EXPECT_EQ(second[0].start, 4);  // from the first window's segment to the second's
  EXPECT_EQ(second[0].end, 33);
  EXPECT_EQ(texts(feed.add(std::span(kWindows[2]).first(1))), std::vector<std::string>{});  // "Then we met Mr." may go on
  EXPECT_EQ(texts(feed.add(std::span(kWindows[2]).last(1))), std::vector<std::string>{});  // the last: may go on too
  EXPECT_EQ(texts(feed.finish()), std::vector<std::string>{"Then we met Mr. Smith at the door."});
  EXPECT_TRUE(feed.finish().empty());  // nothing is handed out twice
}

// The sentences handed out window by window, then at the end, against timed_sentences() on the whole.
void expect_fed_equals_whole(const std::vector<std::vector<Segment>>& windows, const std::vector<size_t>& handed_out) {
  SentenceFeed feed;
  std::vector<Segment> all;
  std::string text;
  std::vector<TimedSentence> fed;
  for (size_t w = 0; w < windows.size(); ++w) {
    std::vector<TimedSentence> got = feed.add(windows[w]);
    EXPECT_EQ(got.size(), handed_out[w]) << "window " << w << ": " << ::testing::PrintToString(texts(got));
    for (auto& s : got) fed.push_back(std::move(s));
    for (const auto& s : windows[w]) {
      all.push_back(s);
      text += s.text;
    }
  }
  for (auto& s : feed.finish()) fed.push_back(std::move(s));
  const std::vector<TimedSentence> whole = pipeline::timed_sentences(text.substr(1), all);
  ASSERT_EQ(texts(fed), texts(whole));
  for (size_t i = 0; i < fed.size(); ++i) {
    EXPECT_EQ(fed[i].start, whole[i].start) << i;
    EXPECT_EQ(fed[i].end, whole[i].end) << i;
  }
}

TEST(SentenceFeed, FedWindowByWindowGivesTheWholeTranscriptsSentences) {
  expect_fed_equals_whole(kWindows, {1, 2, 0});
}

// Speech without sentence punctuation (Thai, or Whisper leaving it out) is cut at the first segment
// end at which the piece has gone on for 20 s, so a stream need not wait for the end of the recording.
TEST(SentenceFeed, TextWithoutTerminatorsIsCutAtTheSegmentEndAfter20Seconds) {
  const std::vector<Segment> all = {segment(0, 8, " uno dos"), segment(8, 17, " tres"),
                                    segment(17, 24, " cuatro cinco"), segment(24, 30, " seis"),
                                    segment(30, 41, " siete"), segment(41, 45, " ocho")};
  const std::vector<TimedSentence> whole =
      pipeline::timed_sentences("uno dos tres cuatro cinco seis siete ocho", all);
  ASSERT_EQ(texts(whole), (std::vector<std::string>{"uno dos tres cuatro cinco", "seis siete ocho"}));
  EXPECT_EQ(whole[0].start, 0);
  EXPECT_EQ(whole[0].end, 24);
  EXPECT_EQ(whole[1].start, 24);
  EXPECT_EQ(whole[1].end, 45);
  // Window by window: each piece with the window that makes it 20 s long ("seis" waits for the next).
  expect_fed_equals_whole({{all[0], all[1], all[2], all[3]}, {all[4], all[5]}}, {1, 1});
  expect_fed_equals_whole({{all[0], all[1], all[2], all[3]}, {all[4]}, {all[5]}}, {1, 0, 1});
  // A piece that reaches 20 s at its window's last segment is handed out with that window: the
  // whole run cuts it there too.
  expect_fed_equals_whole({{segment(0, 12, " uno"), segment(12, 29, " dos")}, {segment(30, 45, " tres")}}, {1, 0});
  // Unpunctuated speech waits while it is short (here until the second window makes it 36 s).
  expect_fed_equals_whole({{segment(0, 9, " sécurité monstr")}, {segment(30, 36, " monstr")}}, {0, 1});
}

}  // namespace
}  // namespace parley::test
