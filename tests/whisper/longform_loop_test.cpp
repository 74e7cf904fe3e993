// The long-form loop (run_longform) driven by a scripted stand-in for the model: every decision of
// openai/whisper's transcribe() that does not depend on the network - where the next window starts,
// which prompt it gets, when a window is decoded again at a higher temperature, when it is skipped as
// silence, how segments are cut and timed - checked exactly on hand-made decoder outputs.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/test_util.h"
#include "core/error.h"
#include "hf/model_dir.h"
#include "whisper/longform.h"

namespace parley::whisper {
namespace {

using test::data_path;

const WhisperTokenizer& tokenizer() {
  static const WhisperTokenizer tok = WhisperTokenizer::load(ModelDir(data_path("models/whisper-tiny-random")));
  return tok;
}

// Answers each (window start, temperature) with a scripted decoding and records every request.
class ScriptedDecoder : public WindowDecoder {
 public:
  // A window with no script gets `fallback` (a plain short segment by default).
  std::map<std::pair<int64_t, float>, WindowDecoding> script;
  WindowDecoding fallback;
  std::vector<WindowRequest> requests;
  std::vector<int64_t> windows_set;
  std::vector<float> first_feature;  // features[0][0] of each window, to check the slicing

  void set_window(const Tensor& features, int64_t seek) override {
    windows_set.push_back(seek);
    first_feature.push_back(features.row(0)[0]);
  }
  WindowDecoding decode(const WindowRequest& r) override {
    requests.push_back(r);
    auto it = script.find({r.seek, r.temperature});
    return it != script.end() ? it->second : fallback;
  }
  AlignmentScores align(const std::vector<int>&) override {
    ADD_FAILURE() << "the loop aligned words without word_timestamps";
    return {};
  }
};

struct Fixture {
  LongformSetup setup;
  int ts;  // <|0.00|>
  std::vector<int> words;  // a few ordinary text tokens
  Fixture() {
    const WhisperTokenizer& tok = tokenizer();
    ts = tok.timestamp_begin();
    setup.eot = tok.eot();
    setup.timestamp_begin = ts;
    setup.n_text_ctx = 448;
    words = tok.encode(" one two three four five six seven eight");
  }
  int t(double seconds) const { return ts + static_cast<int>(seconds / 0.02 + 0.5); }
};

// A log-mel of `content` frames plus one window of padding whose frame f holds f (to check slicing).
Tensor mel_of(int64_t content) {
  Tensor mel({4, content + 3000});
  for (int64_t m = 0; m < 4; ++m)
    for (int64_t f = 0; f < content + 3000; ++f) mel.row(m)[f] = static_cast<float>(f);
  return mel;
}

WindowDecoding good(std::vector<int> tokens) { return {std::move(tokens), -0.2, 0.01}; }

LongformOptions plain() {
  LongformOptions o;
  o.clamp_to_duration = false;
  return o;
}

TEST(LongformLoop, AdvancesToTheLastTimestampAndPromptsWithThePreviousTokens) {
  Fixture fx;
  ScriptedDecoder d;
  const auto& w = fx.words;
  // Window 0: two finished segments, then an unfinished one: the next window starts at 12.00 s.
  const std::vector<int> first = {fx.t(0), w[0], w[1], fx.t(4), fx.t(4), w[2], fx.t(12), fx.t(12), w[3]};
  d.script[{0, 0.f}] = good(first);
  // Window at 1200: ends on a single timestamp (nothing said after it): the window is used up.
  const std::vector<int> second = {fx.t(0), w[4], fx.t(3), fx.t(3), w[5], fx.t(7)};
  d.script[{1200, 0.f}] = good(second);
  // Window at 4200: no consecutive timestamps, one at 5 s: one segment of 5 s, advance by the window.
  d.script[{4200, 0.f}] = good({fx.t(0), w[6], fx.t(5)});
  // Window at 7200 (the last 1800 frames): no timestamps at all: the segment spans the window's audio.
  d.script[{7200, 0.f}] = good({w[7]});
  LongformResult r = run_longform(mel_of(9000), 9000, 90.0, d, tokenizer(), fx.setup, plain());

  ASSERT_EQ(r.windows.size(), 4u);
  EXPECT_EQ(d.windows_set, (std::vector<int64_t>{0, 1200, 4200, 7200}));
  EXPECT_EQ(d.first_feature, (std::vector<float>{0, 1200, 4200, 7200}));  // mel[:, seek:] of each window
  EXPECT_EQ(r.windows[0].segment_size, 3000);
  EXPECT_EQ(r.windows[3].segment_size, 1800);
  EXPECT_EQ(d.requests[3].segment_size, 1800);

  // Prompts: everything before, timestamps included, in the order decoded (the unfinished tail of
  // window 0 is not part of any segment, so it is not in the prompt).
  const std::vector<int> seg01 = {first.begin(), first.begin() + 7};
  EXPECT_TRUE(d.requests[0].prompt.empty());
  EXPECT_EQ(d.requests[1].prompt, seg01);
  std::vector<int> after2 = seg01;
  after2.insert(after2.end(), second.begin(), second.end());
  EXPECT_EQ(d.requests[2].prompt, after2);

  ASSERT_EQ(r.segments.size(), 6u);
  const std::vector<std::pair<double, double>> times = {{0, 4}, {4, 12}, {12, 15}, {15, 19}, {42, 47}, {72, 90}};
  for (size_t i = 0; i < times.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.segments[i].id, static_cast<int>(i));
    EXPECT_NEAR(r.segments[i].start, times[i].first, 1e-9);
    EXPECT_NEAR(r.segments[i].end, times[i].second, 1e-9);
  }
  EXPECT_EQ(r.segments[0].seek, 0);
  EXPECT_EQ(r.segments[2].seek, 1200);
  EXPECT_EQ(r.segments[0].tokens, (std::vector<int>{fx.t(0), w[0], w[1], fx.t(4)}));
  EXPECT_EQ(r.segments[0].text, tokenizer().decode(std::vector<int>{w[0], w[1]}));
  // The text is the segments' text (w[3], in the unfinished tail of window 0, was decoded again later).
  EXPECT_EQ(r.text, tokenizer().decode(std::vector<int>{w[0], w[1], w[2], w[4], w[5], w[6], w[7]}));
}

TEST(LongformLoop, PromptKeepsTheLastHalfContextAndHonoursInitialPrompt) {
  Fixture fx;
  const auto& w = fx.words;
  // Every window: 150 text tokens in one closed segment -> the prompt outgrows 223 tokens.
  std::vector<int> many = {fx.t(0)};
  for (int i = 0; i < 150; ++i) many.push_back(w[i % w.size()]);
  many.push_back(fx.t(10));
  many.push_back(fx.t(10));  // unfinished: seek advances 10 s
  for (bool carry : {false, true}) {
    SCOPED_TRACE(carry);
    ScriptedDecoder d;
    d.fallback = good(many);
    LongformOptions o = plain();
    o.initial_prompt = "  A council meeting.  ";
    o.carry_initial_prompt = carry;
    o.compression_ratio_threshold.reset();  // the repeated words would fall back and reset the prompt
    LongformResult r = run_longform(mel_of(3000), 3000, 30.0, d, tokenizer(), fx.setup, o);
    const std::vector<int> initial = tokenizer().encode(" A council meeting.");
    ASSERT_EQ(r.windows.size(), 3u);  // 0, 1000, 2000
    EXPECT_EQ(d.requests[0].prompt, initial);
    const std::vector<int> seg(many.begin(), many.end() - 1);  // the closed segment's 152 tokens
    std::vector<int> all = initial;
    all.insert(all.end(), seg.begin(), seg.end());
    EXPECT_EQ(d.requests[1].prompt, all);
    all.insert(all.end(), seg.begin(), seg.end());
    ASSERT_EQ(d.requests[2].prompt.size(), 223u);
    if (!carry) {
      EXPECT_EQ(d.requests[2].prompt, std::vector<int>(all.end() - 223, all.end()));
    } else {
      // The initial prompt stays first; the rest is the newest tokens that fit after it.
      std::vector<int> want = initial;
      want.insert(want.end(), all.end() - static_cast<std::ptrdiff_t>(223 - initial.size()), all.end());
      EXPECT_EQ(d.requests[2].prompt, want);
    }
    EXPECT_EQ(r.text.find("council"), std::string::npos);  // the initial prompt is not transcribed text
  }
}

TEST(LongformLoop, FallsBackOnRepetitionOrLowLogprobAndResetsThePromptAboveHalf) {
  Fixture fx;
  const auto& w = fx.words;
  ScriptedDecoder d;
  std::vector<int> repetitive = {fx.t(0)};
  for (int i = 0; i < 60; ++i) repetitive.push_back(w[0]);
  repetitive.push_back(fx.t(20));
  // Window 0: repetitive at 0.0 (compression ratio > 2.4), too unlikely at 0.2, fine at 0.4.
  d.script[{0, 0.f}] = good(repetitive);
  d.script[{0, 0.2f}] = {{fx.t(0), w[1], fx.t(20)}, -1.5, 0.01};
  d.script[{0, 0.4f}] = good({fx.t(0), w[2], fx.t(30)});
  // Window 3000: fails until 0.6 (> 0.5): its text is kept but not used as a prompt afterwards.
  d.script[{3000, 0.f}] = {{fx.t(0), w[3], fx.t(30)}, -2.0, 0.01};
  d.script[{3000, 0.2f}] = {{fx.t(0), w[3], fx.t(30)}, -2.0, 0.01};
  d.script[{3000, 0.4f}] = {{fx.t(0), w[3], fx.t(30)}, -2.0, 0.01};
  d.script[{3000, 0.6f}] = good({fx.t(0), w[4], fx.t(30)});
  // Window 6000: fails at every temperature: the last attempt is used.
  d.fallback = {{fx.t(0), w[5], fx.t(30)}, -3.0, 0.01};
  LongformResult r = run_longform(mel_of(9000), 9000, 90.0, d, tokenizer(), fx.setup, plain());

  ASSERT_EQ(r.windows.size(), 3u);
  std::vector<float> temps;
  for (const auto& a : r.windows[0].attempts) temps.push_back(a.temperature);
  EXPECT_EQ(temps, (std::vector<float>{0.f, 0.2f, 0.4f}));
  EXPECT_GT(r.windows[0].attempts[0].compression_ratio, 2.4);
  EXPECT_TRUE(r.windows[0].attempts[0].needs_fallback);
  EXPECT_LT(r.windows[0].attempts[1].compression_ratio, 2.4);
  EXPECT_TRUE(r.windows[0].attempts[1].needs_fallback);
  EXPECT_FALSE(r.windows[0].attempts[2].needs_fallback);
  EXPECT_EQ(r.windows[1].attempts.size(), 4u);
  EXPECT_EQ(r.windows[2].attempts.size(), 6u);
  ASSERT_EQ(r.segments.size(), 3u);
  EXPECT_FLOAT_EQ(r.segments[0].temperature, 0.4f);
  EXPECT_EQ(r.segments[0].text, tokenizer().decode(std::vector<int>{w[2]}));
  EXPECT_FLOAT_EQ(r.segments[1].temperature, 0.6f);
  EXPECT_FLOAT_EQ(r.segments[2].temperature, 1.0f);
  EXPECT_DOUBLE_EQ(r.segments[2].avg_logprob.value(), -3.0);
  // Every attempt of a window sees the same prompt; after the 0.6 window the prompt starts over.
  const std::vector<int> seg0 = {fx.t(0), w[2], fx.t(30)};
  for (const auto& req : d.requests) {
    if (req.seek == 0) { EXPECT_TRUE(req.prompt.empty()); }
    if (req.seek == 3000) { EXPECT_EQ(req.prompt, seg0); }
    if (req.seek == 6000) { EXPECT_TRUE(req.prompt.empty()); }
  }
}

TEST(LongformLoop, SkipsSilentWindowsUnlessTheTextIsLikely) {
  Fixture fx;
  const auto& w = fx.words;
  ScriptedDecoder d;
  // Window 0: no-speech 0.9 and log-prob -2: silence. Not retried hotter, skipped, nothing kept.
  d.script[{0, 0.f}] = {{fx.t(0), w[0], fx.t(10)}, -2.0, 0.9};
  // Window 3000: no-speech 0.9 but log-prob -0.5: confident text, kept.
  d.script[{3000, 0.f}] = {{fx.t(0), w[1], fx.t(10)}, -0.5, 0.9};
  // Window 3000 ends on a single timestamp: the next one starts at 6000.
  d.fallback = {{fx.t(0), w[2], fx.t(10)}, -0.5, 0.1};
  LongformResult r = run_longform(mel_of(9000), 9000, 90.0, d, tokenizer(), fx.setup, plain());
  ASSERT_EQ(r.windows.size(), 3u);
  EXPECT_TRUE(r.windows[0].skipped);
  EXPECT_EQ(r.windows[0].attempts.size(), 1u);
  EXPECT_FALSE(r.windows[0].attempts[0].needs_fallback);
  EXPECT_FALSE(r.windows[1].skipped);
  EXPECT_EQ(r.windows[1].seek, 3000);
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_NEAR(r.segments[0].start, 30.0, 1e-9);
  EXPECT_TRUE(d.requests[1].prompt.empty());  // a skipped window adds nothing to the prompt

  // Without a log-prob threshold a no-speech probability over the threshold always skips.
  ScriptedDecoder d2;
  d2.fallback = {{fx.t(0), w[1], fx.t(10)}, -0.5, 0.9};
  LongformOptions o = plain();
  o.logprob_threshold.reset();
  r = run_longform(mel_of(6000), 6000, 60.0, d2, tokenizer(), fx.setup, o);
  EXPECT_TRUE(r.segments.empty());
  EXPECT_EQ(r.windows.size(), 2u);
  // Without a no-speech threshold nothing is skipped.
  ScriptedDecoder d3;
  d3.fallback = {{fx.t(0), w[1], fx.t(10)}, -2.0, 0.99};
  o = plain();
  o.no_speech_threshold.reset();
  o.temperatures = {0.f};
  r = run_longform(mel_of(6000), 6000, 60.0, d3, tokenizer(), fx.setup, o);
  EXPECT_EQ(r.segments.size(), 2u);
}

TEST(LongformLoop, SeedsAreRepeatableAndDifferPerWindowAndAttempt) {
  Fixture fx;
  auto seeds = [&](uint64_t seed) {
    ScriptedDecoder d;
    d.fallback = {{fx.t(0), fx.words[0], fx.t(10)}, -2.0, 0.0};  // always falls back
    LongformOptions o = plain();
    o.seed = seed;
    run_longform(mel_of(6000), 6000, 60.0, d, tokenizer(), fx.setup, o);
    std::vector<uint64_t> s;
    for (const auto& r : d.requests) s.push_back(r.seed);
    return s;
  };
  const auto a = seeds(7), b = seeds(7), c = seeds(8);
  ASSERT_EQ(a.size(), 12u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<uint64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
}

TEST(LongformLoop, ClampsToTheAudioAndReportsSegmentsAsTheyCome) {
  Fixture fx;
  const auto& w = fx.words;
  ScriptedDecoder d;
  // 12 s of audio, but the model claims speech up to 29 s: clamped, and a segment after 12 s dropped.
  d.fallback = good({fx.t(0), w[0], fx.t(6), fx.t(6), w[1], fx.t(14), fx.t(14), w[2], fx.t(29)});
  std::vector<Segment> seen;
  LongformOptions o;
  LongformResult r = run_longform(mel_of(1200), 1200, 12.0, d, tokenizer(), fx.setup, o,
                                  [&](const Segment& s) { seen.push_back(s); });
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_DOUBLE_EQ(r.segments[1].end, 12.0);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].text, r.segments[1].text);
  EXPECT_EQ(seen[1].id, 1);
  EXPECT_EQ(r.text, tokenizer().decode(std::vector<int>{w[0], w[1]}));
}

TEST(LongformLoop, EmptyAndInstantSegmentsAreClearedAndAStuckDecoderStillMovesOn) {
  Fixture fx;
  ScriptedDecoder d;
  // An instantaneous segment (start == end) keeps its place but loses its text; the window's last
  // timestamp is <|0.00|>, which would never advance (openai would loop): the loop moves a window on.
  d.fallback = good({fx.t(0), fx.words[0], fx.t(0), fx.t(0)});
  LongformResult r = run_longform(mel_of(6000), 6000, 60.0, d, tokenizer(), fx.setup, plain());
  ASSERT_EQ(r.windows.size(), 2u);
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_EQ(r.segments[0].text, "");
  EXPECT_TRUE(r.segments[0].tokens.empty());
  EXPECT_TRUE(d.requests[1].prompt.empty());
}

TEST(LongformLoop, NoAudioMeansNoWindowsAndBadGeometryIsRefused) {
  Fixture fx;
  ScriptedDecoder d;
  LongformResult r = run_longform(mel_of(0), 0, 0.0, d, tokenizer(), fx.setup, plain());
  EXPECT_TRUE(r.windows.empty());
  EXPECT_TRUE(r.segments.empty());
  EXPECT_EQ(r.text, "");
  Tensor short_mel({4, 100});
  EXPECT_THROW(run_longform(short_mel, 50, 0.5, d, tokenizer(), fx.setup, plain()), Error);
  LongformOptions o = plain();
  o.temperatures.clear();
  EXPECT_THROW(run_longform(mel_of(100), 100, 1.0, d, tokenizer(), fx.setup, o), Error);
  o = plain();
  o.initial_prompt = "<|endoftext|>";
  EXPECT_THROW(run_longform(mel_of(100), 100, 1.0, d, tokenizer(), fx.setup, o), Error);
}

TEST(LongformLoop, CompressionRatioIsZlibsAsOpenaiComputesIt) {
  // zlib.compress(b"hello hello hello hello") is 16 bytes (default level): 23 / 16.
  EXPECT_DOUBLE_EQ(compression_ratio("hello hello hello hello"), 23.0 / 16.0);
  EXPECT_DOUBLE_EQ(compression_ratio(""), 0.0 / 8.0);
}

}  // namespace
}  // namespace parley::whisper
