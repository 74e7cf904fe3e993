// Whisper::transcribe_long against openai/whisper's transcribe() on the fixture models (goldens made
// by tools/make_longform_goldens.py and the fixtures' make_longform_golden.py, fallback disabled:
// temperature 0 only). Every window's start, length, prompt and decoded tokens, every segment's
// window, times, tokens and text, and the whole text must match exactly; log-probabilities within
// what the fixtures' logits tolerance (1e-3) allows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "common/test_util.h"
#include "core/error.h"
#include "core/files.h"
#include "whisper/whisper.h"

namespace parley::whisper {
namespace {

using nlohmann::json;
using test::data_path;

// A log-probability is a logit minus a log-sum-exp: two logits' errors (<= 1e-3 each) add up.
constexpr double kLogprobTol = 2e-3;

LongformOptions options_of(const json& o) {
  LongformOptions r;
  r.task = o.value("task", "transcribe");
  r.language = o["language"].is_null() ? "auto" : o["language"].get<std::string>();
  r.temperatures = o["temperature"].get<std::vector<float>>();
  auto optional = [&](const char* key) -> std::optional<double> {
    if (o[key].is_null()) return std::nullopt;
    return o[key].get<double>();
  };
  r.compression_ratio_threshold = optional("compression_ratio_threshold");
  r.logprob_threshold = optional("logprob_threshold");
  r.no_speech_threshold = optional("no_speech_threshold");
  r.condition_on_previous_text = o.value("condition_on_previous_text", true);
  r.initial_prompt = o.value("initial_prompt", "");
  r.carry_initial_prompt = o.value("carry_initial_prompt", false);
  r.beam_size = o.value("beam_size", 0);
  r.without_timestamps = o.value("without_timestamps", false);
  r.sample_len = o.value("sample_len", 0);
  r.clamp_to_duration = false;  // the reference lets a random model's times run past the audio
  return r;
}

struct Measured {
  double logprob = 0, no_speech_rel = 0;
  int windows = 0, segments = 0;
};

void check_run(const Whisper& w, const std::vector<float>& audio, const json& run, Measured& m) {
  const LongformOptions o = options_of(run["options"]);
  std::vector<Segment> streamed;
  const LongformResult r = w.transcribe_long(audio, o, [&](const Segment& s) { streamed.push_back(s); });
  if (run.contains("language")) { EXPECT_EQ(r.language, run["language"]); }
  EXPECT_EQ(r.text, run["text"].get<std::string>());

  if (run.contains("decodes")) {
    // Fallback is disabled, so each decode is one window; skipped windows are decoded too.
    const json& decodes = run["decodes"];
    ASSERT_EQ(r.windows.size(), decodes.size());
    for (size_t i = 0; i < decodes.size(); ++i) {
      SCOPED_TRACE("window " + std::to_string(i));
      const json& d = decodes[i];
      const WindowTrace& t = r.windows[i];
      EXPECT_EQ(t.seek, d["seek"].get<int64_t>());
      EXPECT_EQ(t.segment_size, d["segment_size"].get<int64_t>());
      EXPECT_EQ(t.prompt, d["prompt"].get<std::vector<int>>());
      ASSERT_EQ(t.attempts.size(), 1u);
      const WindowAttempt& a = t.attempts[0];
      EXPECT_EQ(a.result.tokens, d["tokens"].get<std::vector<int>>());
      EXPECT_EQ(a.text, d["text"].get<std::string>());
      EXPECT_DOUBLE_EQ(a.compression_ratio, d["compression_ratio"].get<double>());
      EXPECT_NEAR(a.result.avg_logprob, d["avg_logprob"].get<double>(), kLogprobTol);
      const double nsp = d["no_speech_prob"];
      EXPECT_NEAR(a.result.no_speech_prob, nsp, kLogprobTol * nsp);
      m.logprob = std::max(m.logprob, std::abs(a.result.avg_logprob - d["avg_logprob"].get<double>()));
      m.no_speech_rel = std::max(m.no_speech_rel, std::abs(a.result.no_speech_prob - nsp) / nsp);
      ++m.windows;
    }
  }

  const json& segs = run["segments"];
  ASSERT_EQ(r.segments.size(), segs.size());
  for (size_t i = 0; i < segs.size(); ++i) {
    SCOPED_TRACE("segment " + std::to_string(i));
    const json& s = segs[i];
    const Segment& g = r.segments[i];
    EXPECT_EQ(g.id, s["id"].get<int>());
    EXPECT_EQ(g.seek, s["seek"].get<int64_t>());
    EXPECT_NEAR(g.start, s["start"].get<double>(), 1e-9);
    EXPECT_NEAR(g.end, s["end"].get<double>(), 1e-9);
    EXPECT_EQ(g.text, s["text"].get<std::string>());
    EXPECT_EQ(g.tokens, s["tokens"].get<std::vector<int>>());
    EXPECT_DOUBLE_EQ(g.temperature, s["temperature"].get<double>());
    EXPECT_DOUBLE_EQ(g.compression_ratio.value(), s["compression_ratio"].get<double>());
    EXPECT_NEAR(g.avg_logprob.value(), s["avg_logprob"].get<double>(), kLogprobTol);
    m.logprob = std::max(m.logprob, std::abs(g.avg_logprob.value() - s["avg_logprob"].get<double>()));
    ++m.segments;
  }
  // The callback saw every segment, in order, as the result has them.
  ASSERT_EQ(streamed.size(), r.segments.size());
  for (size_t i = 0; i < streamed.size(); ++i) {
    EXPECT_EQ(streamed[i].id, r.segments[i].id);
    EXPECT_EQ(streamed[i].text, r.segments[i].text);
  }
}

void check_file(const std::string& model, const std::string& golden) {
  const Whisper w = Whisper::load(data_path("models/" + model));
  const json g = json::parse(read_file(data_path(golden)));
  const std::vector<float> audio = audio::decode_file(data_path(g["audio"].get<std::string>()));
  Measured m;
  for (const json& run : g["runs"]) {
    SCOPED_TRACE(run["name"].get<std::string>());
    check_run(w, audio, run, m);
  }
  std::printf("%s %s: %d windows, %d segments; max |avg_logprob diff| %.3g, max no-speech rel diff %.3g\n",
              model.c_str(), golden.c_str(), m.windows, m.segments, m.logprob, m.no_speech_rel);
  EXPECT_GT(m.segments, 0);
}

TEST(LongformGolden, TinyModelOnTheThreeMinuteRecording) {
  check_file("whisper-tiny-random", "cases/whisper-tiny-random/longform_3min.json");
}

TEST(LongformGolden, TinyModelOnTheTwoMinuteFixture) {
  check_file("whisper-tiny-random", "cases/whisper-tiny-random/longform.json");
}

TEST(LongformGolden, LargeV3ShapeWithLanguageDetection) {
  check_file("whisper-v3-random", "cases/whisper-v3-random/longform.json");
}

TEST(LongformGolden, TheGoldensExerciseEveryDecision) {
  // Guards the test data: prompts, beams, an initial prompt, skipped windows and windows advanced by
  // less than 30 s all occur, so the comparisons above cover them.
  const json g = json::parse(read_file(data_path("cases/whisper-tiny-random/longform_3min.json")));
  bool prompt = false, skipped = false, partial_advance = false;
  for (const json& run : g["runs"]) {
    const json& d = run["decodes"];
    for (size_t i = 0; i + 1 < d.size(); ++i) {
      prompt = prompt || !d[i + 1]["prompt"].empty();
      const int64_t step = d[i + 1]["seek"].get<int64_t>() - d[i]["seek"].get<int64_t>();
      partial_advance = partial_advance || step < 3000;
      skipped = skipped || (d[i]["no_speech_prob"].get<double>() > run["options"]["no_speech_threshold"].get<double>() &&
                            d[i]["avg_logprob"].get<double>() < -1.0);
    }
  }
  EXPECT_TRUE(prompt);
  EXPECT_TRUE(skipped);
  EXPECT_TRUE(partial_advance);
}

TEST(LongformGolden, ClampedTimesStayWithinTheAudio) {
  const Whisper w = Whisper::load(data_path("models/whisper-tiny-random"));
  const std::vector<float> audio = audio::decode_file(data_path("audio/long_3min.flac"));
  const json g = json::parse(read_file(data_path("cases/whisper-tiny-random/longform_3min.json")));
  LongformOptions o = options_of(g["runs"][0]["options"]);
  o.clamp_to_duration = true;
  const LongformResult r = w.transcribe_long(audio, o);
  EXPECT_DOUBLE_EQ(r.audio_seconds, 180.0);
  // The same segments as the reference up to the end of the audio (the random model's times run past it).
  size_t kept = 0;
  for (const json& s : g["runs"][0]["segments"])
    if (s["start"].get<double>() < 180.0) ++kept;
  ASSERT_EQ(r.segments.size(), kept);
  ASSERT_LT(kept, g["runs"][0]["segments"].size());
  double last_end = 0;
  for (const Segment& s : r.segments) {
    EXPECT_LE(s.start, s.end);
    EXPECT_LE(s.end, 180.0);
    EXPECT_GE(s.start, last_end - 1e-9);
    last_end = s.end;
  }
}

// Sampling (temperatures above 0, best_of candidates) has no golden (the reference draws from torch's
// generator); it must be repeatable for a seed and depend on it.
TEST(LongformModel, SamplingIsRepeatableForASeed) {
  const Whisper w = Whisper::load(data_path("models/whisper-tiny-random"));
  const std::vector<float> audio = audio::decode_file(data_path("audio/jfk.wav"));
  LongformOptions o;
  o.language = "en";
  o.temperatures = {0.7f};
  o.best_of = 2;
  auto tokens = [&](uint64_t seed) {
    o.seed = seed;
    const LongformResult r = w.transcribe_long(audio, o);
    EXPECT_EQ(r.windows.size(), 1u);
    EXPECT_FLOAT_EQ(r.windows.at(0).attempts.at(0).temperature, 0.7f);
    return r.windows.at(0).attempts.at(0).result.tokens;
  };
  const std::vector<int> a = tokens(1);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(tokens(1), a);
  EXPECT_NE(tokens(2), a);
}

TEST(LongformModel, BadOptionsAreRefusedBeforeDecoding) {
  const Whisper w = Whisper::load(data_path("models/whisper-tiny-random"));
  auto refused = [&](auto change) {
    LongformOptions o;
    change(o);
    try {
      w.check(o);
    } catch (const Error& e) {
      return e.kind() == ErrorKind::InvalidArgument;
    }
    return false;
  };
  EXPECT_TRUE(refused([](LongformOptions& o) { o.temperatures.clear(); }));
  EXPECT_TRUE(refused([](LongformOptions& o) { o.temperatures = {0.f, -0.2f}; }));
  EXPECT_TRUE(refused([](LongformOptions& o) { o.beam_size = 100; }));
  EXPECT_TRUE(refused([](LongformOptions& o) { o.best_of = 0; }));
  EXPECT_TRUE(refused([](LongformOptions& o) { o.language = "xx"; }));
  EXPECT_TRUE(refused([](LongformOptions& o) { o.task = "summarize"; }));
  EXPECT_TRUE(refused([](LongformOptions& o) { o.sample_len = 449; }));
  EXPECT_FALSE(refused([](LongformOptions&) {}));
  // Silence and no audio at all decode without error.
  LongformOptions o;
  o.temperatures = {0.f};
  const LongformResult r = w.transcribe_long(std::vector<float>(16000 * 2, 0.f), o);
  EXPECT_DOUBLE_EQ(r.audio_seconds, 2.0);
  for (const Segment& s : r.segments) EXPECT_LE(s.end, 2.0);
  EXPECT_EQ(w.transcribe_long(std::vector<float>{}, o).segments.size(), 0u);
}

}  // namespace
}  // namespace parley::whisper
