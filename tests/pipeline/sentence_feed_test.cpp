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

TEST(SentenceFeed, FedWindowByWindowGivesTheWholeTranscriptsSentences) {
  std::vector<Segment> all;
  std::string text;
  SentenceFeed feed;
  std::vector<TimedSentence> fed;
  for (const auto& window : kWindows) {
    for (const auto& s : window) {
      all.push_back(s);
      text += s.text;
    }
    for (auto& s : feed.add(window)) fed.push_back(std::move(s));
  }
  for (auto& s : feed.finish()) fed.push_back(std::move(s));
  const std::vector<TimedSentence> whole = pipeline::timed_sentences(text.substr(1), all);
  ASSERT_EQ(texts(fed), texts(whole));
  for (size_t i = 0; i < fed.size(); ++i) {
    EXPECT_EQ(fed[i].start, whole[i].start) << i;
    EXPECT_EQ(fed[i].end, whole[i].end) << i;
  }
}

TEST(SentenceFeed, TextWithoutTerminatorsWaitsForTheEnd) {
  SentenceFeed feed;
  EXPECT_TRUE(feed.add(std::vector<Segment>{segment(0, 30, " sécurité monstr")}).empty());
  EXPECT_TRUE(feed.add(std::vector<Segment>{segment(30, 45, " monstr")}).empty());
  EXPECT_EQ(texts(feed.finish()), std::vector<std::string>{"sécurité monstr monstr"});
}

}  // namespace
}  // namespace parley::test
