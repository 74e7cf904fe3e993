// The pipeline on recordings longer than Whisper's 30 s window, with the fixture models: recognition
// goes through long-form decoding (Whisper::transcribe_long) and gives exactly its segments; a
// streaming translation speaks each window's text as soon as the window is decoded; Whisper's
// initial prompt; `parley translate --output-format` on long audio through the strict SRT/VTT
// checks. Fallback is turned off (one temperature): on the random fixture model every window would
// otherwise be retried at five temperatures, which is slow and tests nothing more here.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "audio/wav.h"
#include "common/subtitle_check.h"
#include "common/test_util.h"
#include "core/files.h"
#include "pipeline/pipeline.h"
#include "pipeline_fixtures.h"
#include "speecht5/voices.h"
#include "whisper/whisper.h"

namespace parley::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using pipeline::Pipeline;

constexpr int kMaxNewTokens = 24;  // per window: short texts keep the synthesis quick
constexpr double kClipSeconds = 45;

// The first 45 s of the fixtures' 2-minute recording: two windows.
const std::vector<float>& long_clip() {
  static const std::vector<float> clip = [] {
    std::vector<float> s = audio::decode_file(data_path("audio/long_2min.wav"));
    s.resize(static_cast<size_t>(kClipSeconds * 16000));
    return s;
  }();
  return clip;
}

fs::path long_clip_wav() {
  const fs::path path = temp_dir("longform-pipeline") / "clip45.wav";
  if (!fs::exists(path)) audio::write_wav(path, long_clip(), 16000, audio::SampleFormat::F32);
  return path;
}

std::shared_ptr<Pipeline> fixture_pipeline() {
  static std::shared_ptr<Pipeline> p = Pipeline::load(fixture_options(kMaxNewTokens));
  return p;
}

const whisper::Whisper& fixture_whisper() {
  static const whisper::Whisper w = whisper::Whisper::load(fixture_options().asr_model);
  return w;
}

void expect_timed_within(const std::vector<Segment>& segments, double duration) {
  double last_start = 0;
  for (const Segment& s : segments) {
    EXPECT_GE(s.start, last_start) << s.text;
    EXPECT_LE(s.start, s.end) << s.text;
    EXPECT_LE(s.end, duration + 1e-9) << s.text;
    last_start = s.start;
  }
}

// The segments equal transcribe_long's on the same audio with the options the pipeline uses.
void expect_same_as_transcribe_long(const std::vector<Segment>& got, const std::string& text, const std::string& language,
                                    std::span<const float> audio, const AsrRequest& request) {
  const whisper::LongformOptions o = pipeline::longform_options(fixture_whisper(), request, kMaxNewTokens);
  const whisper::LongformResult want = fixture_whisper().transcribe_long(audio, o);
  ASSERT_EQ(got.size(), want.segments.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(got[i].start, want.segments[i].start);
    EXPECT_EQ(got[i].end, want.segments[i].end);
    EXPECT_EQ(got[i].text, want.segments[i].text);
    EXPECT_EQ(got[i].seek, want.segments[i].seek);
    EXPECT_EQ(got[i].tokens, std::vector<int32_t>(want.segments[i].tokens.begin(), want.segments[i].tokens.end()));
    EXPECT_EQ(got[i].avg_logprob, want.segments[i].avg_logprob);
  }
  EXPECT_EQ(text, trimmed(want.text));
  EXPECT_EQ(language, want.language);
}

TEST(PipelineLongForm, TranslatesEveryWindowAsTranscribeLongDoes) {
  TranslateRequest request;
  request.temperature_fallback = false;
  pipeline::RunStats stats;
  const TranslateResult r = fixture_pipeline()->translate(long_clip(), request, speecht5::load_voice("slt"), stats);
  EXPECT_EQ(stats.windows, 2u);
  EXPECT_DOUBLE_EQ(r.duration_s, kClipSeconds);
  ASSERT_FALSE(r.segments.empty());
  EXPECT_GT(r.segments.back().start, 30.0) << "the second window's text is there";
  expect_timed_within(r.segments, kClipSeconds);
  AsrRequest asr;
  asr.task = AsrTask::Translate;
  asr.temperature_fallback = false;
  expect_same_as_transcribe_long(r.segments, r.text, r.language, long_clip(), asr);
  EXPECT_FALSE(r.audio.empty());
}

TEST(PipelineLongForm, SpeechToTextTranscribesLongAudioAndTakesAPrompt) {
  AsrRequest request;
  request.task = AsrTask::Transcribe;
  request.temperature_fallback = false;
  const AsrResult r = fixture_pipeline()->speech_to_text(long_clip(), request);
  expect_timed_within(r.segments, kClipSeconds);
  expect_same_as_transcribe_long(r.segments, r.text, r.language, long_clip(), request);

  // A prompt on short audio: long-form decoding with Whisper's initial prompt (<|startofprev|>).
  const std::vector<float> es = audio::decode_file(data_path("audio/es.wav"));
  AsrRequest prompted = request;
  prompted.prompt = "Una conversación entre amigos.";
  const AsrResult p = fixture_pipeline()->speech_to_text(es, prompted);
  expect_same_as_transcribe_long(p.segments, p.text, p.language, es, prompted);
  // The prompt reached the decoder: the first window's prompt holds its tokens.
  const whisper::LongformResult traced =
      fixture_whisper().transcribe_long(es, pipeline::longform_options(fixture_whisper(), prompted, kMaxNewTokens));
  ASSERT_FALSE(traced.windows.empty());
  EXPECT_EQ(traced.windows[0].prompt, fixture_whisper().tokenizer().encode(" Una conversación entre amigos."));
}

TEST(PipelineLongForm, StreamingSpeaksTheFirstWindowBeforeTheLastIsDecoded) {
  std::vector<std::string> events;
  std::vector<Segment> streamed;
  std::vector<float> joined;
  TranslateRequest request;
  request.temperature_fallback = false;
  request.sentence_by_sentence = true;
  request.on_recognized = [&](const AsrResult& w) {
    events.push_back("text");
    streamed.insert(streamed.end(), w.segments.begin(), w.segments.end());
  };
  request.on_chunk = [&](const AudioChunk& c) {
    events.push_back("audio");
    joined.insert(joined.end(), c.audio.begin(), c.audio.end());
  };
  pipeline::RunStats stats;
  const TranslateResult r = fixture_pipeline()->translate(long_clip(), request, speecht5::load_voice("slt"), stats);
  ASSERT_EQ(stats.windows, 2u);
  // One text event per window, the first window's audio between them.
  ASSERT_EQ(std::count(events.begin(), events.end(), "text"), 2) << ::testing::PrintToString(events);
  EXPECT_EQ(events.front(), "text");
  EXPECT_EQ(events[1], "audio") << ::testing::PrintToString(events);
  EXPECT_NE(std::find(events.begin() + 1, events.end(), "text"), events.end());
  EXPECT_GT(r.first_audio_ms, 0);
  // The windows' segments are the result's, and the chunks joined are its audio.
  ASSERT_EQ(streamed.size(), r.segments.size());
  for (size_t i = 0; i < streamed.size(); ++i) EXPECT_EQ(streamed[i].text, r.segments[i].text);
  EXPECT_EQ(joined, r.audio);
}

TEST(PipelineLongForm, TranslateCliWritesTimedEnglishText) {
  const fs::path dir = temp_dir("longform-cli");
  const std::string clip = long_clip_wav().string();
  auto translate = [&](const fs::path& wav, std::vector<std::string> extra) {
    std::vector<std::string> a = {"translate", clip, "-o", wav.string(), "--no-temperature-fallback"};
    for (const auto& s : fixture_model_args(kMaxNewTokens)) a.push_back(s);
    a.insert(a.end(), extra.begin(), extra.end());
    return run_parley(a, 300);
  };
  // SRT on stdout (the report moves to stderr).
  const auto srt = translate(dir / "a.wav", {"--output-format", "srt"});
  ASSERT_EQ(srt.exit_code, 0) << srt.err;
  std::vector<ParsedCue> cues;
  EXPECT_TRUE(ValidSrt(srt.out, kClipSeconds, &cues));
  ASSERT_FALSE(cues.empty());
  EXPECT_GT(cues.back().start, 30.0);
  EXPECT_NE(srt.err.find("language:"), std::string::npos) << srt.err;

  // The verbose JSON in a file next to the --json report.
  const auto verbose = translate(dir / "c.wav", {"-f", "json", "--text-output", (dir / "c.json").string(), "--json"});
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  const json report = json::parse(verbose.out);
  EXPECT_EQ(report["windows"], 2);
  const json j = json::parse(read_file(dir / "c.json"));
  EXPECT_EQ(j["task"], "translate");
  EXPECT_EQ(j["duration"].get<double>(), kClipSeconds);
  EXPECT_EQ(j["text"], report["text"]);
  EXPECT_EQ(j["language"], report["language_name"]);
  ASSERT_EQ(j["segments"].size(), cues.size());
  for (size_t i = 0; i < cues.size(); ++i) {
    EXPECT_NEAR(j["segments"][i]["start"].get<double>(), cues[i].start, 0.0005);
    EXPECT_NEAR(j["segments"][i]["end"].get<double>(), cues[i].end, 0.0005);
  }

  // stdout already carries the audio: the text needs a file.
  const auto clash = translate(dir / "d.wav", {"--output-format", "srt", "--json"});
  EXPECT_NE(clash.exit_code, 0);
  EXPECT_NE(clash.err.find("--text-output"), std::string::npos) << clash.err;
}

}  // namespace
}  // namespace parley::test
