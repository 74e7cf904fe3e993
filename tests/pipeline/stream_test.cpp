// Streaming synthesis on the fixture models: with sentence_by_sentence each sentence's audio reaches
// on_chunk as soon as it is made, in order, with its text and its place in the whole audio; the
// chunks joined are exactly the non-streaming result for the same seed (the pieces, the pauses and
// the prenet's random draws are the same; only the hand-over differs), and the first chunk is
// handed over before the next piece is synthesized.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "audio/decode.h"
#include "common/test_util.h"
#include "pipeline/pipeline.h"
#include "pipeline_fixtures.h"
#include "speecht5/prenet_masks.h"
#include "speecht5/synthesizer.h"
#include "speecht5/voices.h"

namespace parley::test {
namespace {

using pipeline::Pipeline;

struct Received {
  std::vector<AudioChunk> chunks;       // audio spans cleared (they are only valid in the callback)
  std::vector<float> joined;            // every chunk's samples, in order
  std::vector<size_t> made_before;      // pieces the synthesizer had finished when each chunk arrived
};

// Collects chunks; `pieces_made` counts pieces as the on_audio callback (called first, for the same
// piece) sees them, so a chunk handed over late (after later pieces were made) would show.
std::function<void(const AudioChunk&)> collect(Received& got, const size_t& pieces_made) {
  return [&got, &pieces_made](const AudioChunk& c) {
    got.joined.insert(got.joined.end(), c.audio.begin(), c.audio.end());
    got.made_before.push_back(pieces_made);
    AudioChunk copy = c;
    copy.audio = {};
    got.chunks.push_back(copy);
  };
}

void expect_contiguous(const Received& got, size_t total_samples, int rate) {
  double at = 0;
  for (size_t i = 0; i < got.chunks.size(); ++i) {
    EXPECT_EQ(got.chunks[i].index, i);
    EXPECT_EQ(got.chunks[i].sample_rate, rate);
    EXPECT_DOUBLE_EQ(got.chunks[i].start, at);
    EXPECT_GT(got.chunks[i].end, got.chunks[i].start);
    at = got.chunks[i].end;
    if (i > 0) {
      EXPECT_LE(got.chunks[i - 1].elapsed_ms, got.chunks[i].elapsed_ms);
    }
    EXPECT_EQ(got.made_before[i], i + 1) << "chunk " << i << " was handed over after later pieces were made";
  }
  EXPECT_DOUBLE_EQ(at, static_cast<double>(total_samples) / rate);
}

TEST(Streaming, SentencesArriveOneByOneAndJoinToTheWholeSpeech) {
  auto p = Pipeline::load(fixture_options());
  const std::string text = "Hello there. How are you today? I am fine, thank you.";
  TtsRequest request;
  request.text = text;
  request.seed = 11;
  request.sentence_by_sentence = true;
  Received got;
  size_t pieces_made = 0;
  request.on_audio = [&](std::span<const float> a, int) {
    if (!a.empty() && a[0] == 0.f && std::all_of(a.begin(), a.end(), [](float x) { return x == 0.f; })) return;
    ++pieces_made;  // a piece (pauses are all zeros and come on their own)
  };
  request.on_chunk = collect(got, pieces_made);
  pipeline::RunStats stats;
  const TtsResult r = p->text_to_speech(request, speecht5::load_voice("slt"), stats);

  ASSERT_EQ(got.chunks.size(), 3u);  // one per sentence
  EXPECT_EQ(got.chunks[0].text, "Hello there.");
  EXPECT_EQ(got.chunks[1].text, "How are you today?");
  EXPECT_EQ(got.chunks[2].text, "I am fine, thank you.");
  EXPECT_EQ(got.joined, r.audio);
  expect_contiguous(got, r.audio.size(), r.sample_rate);
  EXPECT_DOUBLE_EQ(r.first_audio_ms, got.chunks[0].elapsed_ms);
  EXPECT_GT(r.first_audio_ms, 0.0);

  // The same call without streaming, and SpeechT5 + HiFi-GAN alone with one piece per sentence:
  // the same samples.
  TtsRequest plain;
  plain.text = text;
  plain.seed = 11;
  plain.sentence_by_sentence = true;
  pipeline::RunStats plain_stats;
  EXPECT_EQ(p->text_to_speech(plain, speecht5::load_voice("slt"), plain_stats).audio, r.audio);
  const auto o = fixture_options();
  speecht5::Synthesizer synth(speecht5::SpeechT5Tts::load(o.tts_model), speecht5::HifiGan::load(o.vocoder));
  speecht5::SeededMasks masks(11);
  speecht5::SynthesisOptions so;
  so.split = speecht5::SplitMode::Sentences;
  EXPECT_EQ(synth.synthesize(text, speecht5::load_voice("slt"), so, masks).audio, r.audio);
  std::printf("  3 sentences: first audio after %.1f ms, last after %.1f ms\n", got.chunks[0].elapsed_ms,
              got.chunks[2].elapsed_ms);
}

TEST(Streaming, TranslateStreamsItsSpeechAndReportsTimeToFirstAudio) {
  auto p = Pipeline::load(fixture_options(64));
  const std::vector<float> samples = audio::decode_file(data_path("audio/jfk.wav"));
  TranslateRequest request;
  request.language = "en";
  request.seed = 5;
  request.sentence_by_sentence = true;
  Received got;
  size_t pieces_made = 0;
  std::vector<Segment> segments;
  bool text_before_audio = true;
  request.on_segment = [&](const Segment& s) {
    segments.push_back(s);
    if (!got.chunks.empty()) text_before_audio = false;
  };
  request.on_audio = [&](std::span<const float> a, int) {
    if (std::all_of(a.begin(), a.end(), [](float x) { return x == 0.f; })) return;
    ++pieces_made;
  };
  request.on_chunk = collect(got, pieces_made);
  pipeline::RunStats stats;
  const TranslateResult r = p->translate(samples, request, speecht5::load_voice("slt"), stats);

  ASSERT_TRUE(stats.spoken);
  ASSERT_FALSE(segments.empty());
  EXPECT_TRUE(text_before_audio);  // the English text is known before its speech
  ASSERT_EQ(got.chunks.size(), stats.pieces);
  EXPECT_EQ(got.joined, r.audio);
  expect_contiguous(got, r.audio.size(), r.sample_rate);
  EXPECT_DOUBLE_EQ(r.first_audio_ms, got.chunks[0].elapsed_ms);
  for (const auto& c : got.chunks) EXPECT_NE(r.text.find(c.text), std::string::npos) << c.text;  // its sentences

  TranslateRequest plain;
  plain.language = "en";
  plain.seed = 5;
  plain.sentence_by_sentence = true;
  pipeline::RunStats plain_stats;
  const TranslateResult whole = p->translate(samples, plain, speecht5::load_voice("slt"), plain_stats);
  EXPECT_EQ(whole.audio, r.audio);
  EXPECT_EQ(whole.text, r.text);
  std::printf("  %zu chunks, time to first audio %.1f ms\n", got.chunks.size(), r.first_audio_ms);
}

}  // namespace
}  // namespace parley::test
