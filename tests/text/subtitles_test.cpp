// The subtitle writers: SubRip and WebVTT pass a strict format check (index lines, HH:MM:SS,mmm /
// HH:MM:SS.mmm timings, monotonic and within the audio) even from awkward segments; txt and json
// carry the text and times unchanged.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/subtitle_check.h"
#include "core/error.h"
#include "text/subtitles.h"

namespace parley::subtitles {
namespace {

Transcript sample() {
  Transcript t;
  t.task = "transcribe";
  t.language = "english";
  t.duration = 3725.5;
  t.text = " And so, my fellow Americans. Ask not.";
  t.cues = {{0.0, 2.5, " And so,"},
            {2.5, 7.25, " my fellow Americans.", {{"tokens", {1, 2, 3}}, {"avg_logprob", -0.25}}},
            {3661.001, 3725.4, " Ask not."}};
  return t;
}

TEST(Subtitles, Timestamps) {
  EXPECT_EQ(timestamp(0, ','), "00:00:00,000");
  EXPECT_EQ(timestamp(3661.0014, ','), "01:01:01,001");
  EXPECT_EQ(timestamp(59.9996, '.'), "00:01:00.000");  // rounded to the millisecond, carried
  EXPECT_EQ(timestamp(-3, '.'), "00:00:00.000");
  EXPECT_EQ(timestamp(100 * 3600.0 + 0.25, ','), "100:00:00,250");
}

TEST(Subtitles, SrtIsNumberedAndTimed) {
  const std::string srt = to_srt(sample());
  EXPECT_EQ(srt,
            "1\n00:00:00,000 --> 00:00:02,500\nAnd so,\n\n"
            "2\n00:00:02,500 --> 00:00:07,250\nmy fellow Americans.\n\n"
            "3\n01:01:01,001 --> 01:02:05,400\nAsk not.\n\n");
  std::vector<test::ParsedCue> cues;
  ASSERT_TRUE(test::ValidSrt(srt, 3725.5, &cues));
  ASSERT_EQ(cues.size(), 3u);
  EXPECT_DOUBLE_EQ(cues[2].start, 3661.001);
}

TEST(Subtitles, VttHasTheHeaderAndDotMilliseconds) {
  const std::string vtt = to_vtt(sample());
  EXPECT_EQ(vtt.rfind("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nAnd so,\n\n", 0), 0u) << vtt;
  EXPECT_TRUE(test::ValidVtt(vtt, 3725.5));
  EXPECT_FALSE(test::ValidSrt(vtt, 3725.5));
  EXPECT_FALSE(test::ValidVtt(to_srt(sample()), 3725.5));
}

TEST(Subtitles, AwkwardSegmentsStillGiveValidFiles) {
  Transcript t;
  t.duration = 10;
  t.cues = {{1, 3, "  "},                        // no text: left out
            {2, 1, "ends before it starts"},     // end raised to the start
            {1.5, 4, "starts before the last"},  // start raised to the previous start
            {5, 12, "runs --> past\n\n\nthe end"},
            {11, 13, "starts after the end"},
            {-1, 0.5, "negative"}};
  for (Format f : {Format::Srt, Format::Vtt}) {
    const std::string doc = render(t, f);
    std::vector<test::ParsedCue> cues;
    ASSERT_TRUE(f == Format::Srt ? test::ValidSrt(doc, 10, &cues) : test::ValidVtt(doc, 10, &cues)) << doc;
    ASSERT_EQ(cues.size(), 5u);
    EXPECT_EQ(cues[0].start, 2);
    EXPECT_EQ(cues[0].end, 2);
    EXPECT_EQ(cues[1].start, 2);
    EXPECT_EQ(cues[2].text, "runs -> past\nthe end");
    EXPECT_EQ(cues[2].end, 10);
    EXPECT_EQ(cues[3].start, 10);
  }
  EXPECT_EQ(to_srt(Transcript{}), "");
  EXPECT_EQ(to_vtt(Transcript{}), "WEBVTT\n\n");
}

TEST(Subtitles, TheCheckerCatchesBrokenFiles) {
  EXPECT_FALSE(test::ValidSrt("2\n00:00:00,000 --> 00:00:01,000\nx\n\n", 5));           // index
  EXPECT_FALSE(test::ValidSrt("1\n00:00:00.000 --> 00:00:01.000\nx\n\n", 5));           // marker
  EXPECT_FALSE(test::ValidSrt("1\n00:00:02,000 --> 00:00:01,000\nx\n\n", 5));           // order
  EXPECT_FALSE(test::ValidSrt("1\n00:00:00,000 --> 00:00:06,000\nx\n\n", 5));           // duration
  EXPECT_FALSE(test::ValidSrt("1\n00:00:00,000 --> 00:00:01,000\n\n", 5));              // no text
  EXPECT_FALSE(test::ValidSrt("1\n00:00:03,000 --> 00:00:04,000\nx\n\n"
                              "2\n00:00:01,000 --> 00:00:02,000\ny\n\n", 5));           // monotonic
  EXPECT_FALSE(test::ValidVtt("00:00:00.000 --> 00:00:01.000\nx\n\n", 5));              // header
}

TEST(Subtitles, TxtIsOneStrippedLinePerSegment) {
  EXPECT_EQ(to_txt(sample()), "And so,\nmy fellow Americans.\nAsk not.\n");
}

TEST(Subtitles, JsonIsShapedLikeVerboseJson) {
  const nlohmann::json j = nlohmann::json::parse(to_json(sample()));
  EXPECT_EQ(j["task"], "transcribe");
  EXPECT_EQ(j["language"], "english");
  EXPECT_DOUBLE_EQ(j["duration"].get<double>(), 3725.5);
  EXPECT_EQ(j["text"], sample().text);
  ASSERT_EQ(j["segments"].size(), 3u);
  EXPECT_EQ(j["segments"][1]["id"], 1);
  EXPECT_DOUBLE_EQ(j["segments"][1]["start"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(j["segments"][1]["end"].get<double>(), 7.25);
  EXPECT_EQ(j["segments"][1]["text"], " my fellow Americans.");
  EXPECT_EQ(j["segments"][1]["tokens"], nlohmann::json({1, 2, 3}));
  EXPECT_FALSE(j["segments"][0].contains("tokens"));
}

// Word-cut subtitles: the expected files are what openai/whisper's WriteSRT writes for these segments
// (whisper/utils.py, iterate_result with these max_line_width / max_line_count options).
TEST(Subtitles, WordCuesAsOpenaiWhispersWriter) {
  std::vector<Segment> segs(2);
  segs[0].start = 0, segs[0].end = 3, segs[0].text = " Hello there, my friend.";
  segs[0].words = {{" Hello", 0.0, 0.5, 1}, {" there,", 0.5, 1.0, 1}, {" my", 1.2, 1.4, 1}, {" friend.", 1.4, 2.0, 1}};
  segs[1].start = 3, segs[1].end = 9, segs[1].text = " How are you?";
  segs[1].words = {{" How", 3.0, 3.2, 1}, {" are", 3.2, 3.4, 1}, {" you?", 7.0, 7.5, 1}};
  const subtitles::Transcript t = subtitles::transcript_of("transcribe", "english", 9, "Hello there, my friend. How are you?", segs);
  auto srt = [&](std::optional<int> width, std::optional<int> count) {
    return subtitles::render(t, subtitles::Format::Srt, segs, {width, count});
  };
  EXPECT_EQ(srt({}, {}),
            "1\n00:00:00,000 --> 00:00:02,000\nHello there, my friend.\n\n"
            "2\n00:00:03,000 --> 00:00:07,500\nHow are you?\n\n");
  EXPECT_EQ(srt(12, {}),  // the width alone wraps each segment's cue
            "1\n00:00:00,000 --> 00:00:02,000\nHello there,\nmy friend.\n\n"
            "2\n00:00:03,000 --> 00:00:07,500\nHow are you?\n\n");
  EXPECT_EQ(srt(12, 2),
            "1\n00:00:00,000 --> 00:00:02,000\nHello there,\nmy friend.\n\n"
            "2\n00:00:03,000 --> 00:00:03,400\nHow are\n\n3\n00:00:07,000 --> 00:00:07,500\nyou?\n\n");
  EXPECT_EQ(srt(12, 1),
            "1\n00:00:00,000 --> 00:00:01,000\nHello there,\n\n2\n00:00:01,200 --> 00:00:02,000\nmy friend.\n\n"
            "3\n00:00:03,000 --> 00:00:03,400\nHow are\n\n4\n00:00:07,000 --> 00:00:07,500\nyou?\n\n");
  // Without words, the segments' own cues; json carries each segment's words.
  std::vector<Segment> plain = segs;
  for (Segment& s : plain) s.words.clear();
  EXPECT_EQ(subtitles::render(t, subtitles::Format::Srt, plain, {12, 2}), subtitles::to_srt(t));
  const auto j = nlohmann::json::parse(subtitles::to_json(t));
  ASSERT_EQ(j["segments"][1]["words"].size(), 3u);
  EXPECT_EQ(j["segments"][1]["words"][2]["word"], " you?");
  EXPECT_DOUBLE_EQ(j["segments"][1]["words"][2]["start"].get<double>(), 7.0);
}

TEST(Subtitles, FormatNames) {
  for (const char* n : {"txt", "json", "srt", "vtt"}) EXPECT_STREQ(format_name(parse_format(n)), n);
  EXPECT_THROW(parse_format("xml"), Error);
}

}  // namespace
}  // namespace parley::subtitles
